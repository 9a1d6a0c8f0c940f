"""The measurement spec: a TOML file (read with tomllib) naming the survey design, the instruments,
the indicators with their deprivation rules, the dimensions and weights, k, subgroups and time.

Example (the global MPI on mpitb's synthetic data)::

    title = "Global MPI"
    [design]
    weight = "weight"          # all three optional
    strata = "stratum"
    psu = "psu"
    [indicators.d_nutr]
    column = "d_nutr"          # or: instrument = "fcs", output = "class"
    deprived_if = { eq = 1 }   # eq ne lt le gt ge in not_in; default { eq = 1 }
    [dimensions]
    health = ["d_nutr", "d_cm"]
    [af]
    k = 33                     # percent, as mpitb: poor iff c >= k/100
    subgroups = ["area", "region"]
    time = "t"
    year = "year"

Every error is a :class:`SpecError` that names the key and says what is allowed.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kizuna.errors import Message, SpecError, Where
from kizuna.i18n import N_
from kizuna.measure.af import nested_equal_weights
from kizuna.measure.design import LONELY_PSU_RULES
from kizuna.measure.disclosure import DEFAULT_MIN_CELL
from kizuna.measure.disclosure import METHOD as DISCLOSURE_METHOD
from kizuna.measure.instruments import INSTRUMENTS

TOP_KEYS = {
    "title",
    "survey",
    "design",
    "instruments",
    "indicators",
    "dimensions",
    "dimension_weights",
    "indicator_weights",
    "af",
    "needs",
    "disclosure",
}
SURVEY_KEYS = {"id_columns", "drop_columns", "sheet", "xlsform"}
DESIGN_KEYS = {"weight", "strata", "psu", "lonely_psu"}
INDICATOR_KEYS = {"column", "instrument", "output", "deprived_if", "label"}
AF_KEYS = {"k", "k_sweep", "subgroups", "time", "year", "level"}
NEEDS_KEYS = {"admin1"}
DISCLOSURE_KEYS = {"min_cell", "allow"}
MAX_MIN_CELL = 10_000
RULE_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in")
WEIGHT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Rule:
    """A deprivation rule: deprived iff ``value <op> operand`` (``in``/``not_in`` take a list)."""

    op: str
    operand: Any

    def describe(self) -> str:
        sym = {
            "eq": "==",
            "ne": "!=",
            "lt": "<",
            "le": "<=",
            "gt": ">",
            "ge": ">=",
            "in": "in",
            "not_in": "not in",
        }
        return f"{sym[self.op]} {self.operand!r}"


@dataclass(frozen=True)
class IndicatorSpec:
    name: str
    column: str  # the data column (an instrument output resolves to <inst>_<output>)
    rule: Rule
    label: str
    instrument: str | None = None


@dataclass(frozen=True)
class InstrumentSpec:
    name: str
    kind: str
    items: dict[str, str]
    options: dict[str, Any]


@dataclass
class Spec:
    title: str
    weight: str | None
    strata: str | None
    psu: str | None
    lonely_psu: str
    instruments: list[InstrumentSpec]
    indicators: list[IndicatorSpec]
    dimensions: dict[str, list[str]]
    weights: dict[str, float]  # indicator -> weight, Σ = 1
    k: float
    k_sweep: list[float]
    subgroups: list[str]
    time: str | None
    year: str | None
    level: float
    id_columns: list[str] = field(default_factory=list)
    drop_columns: list[str] = field(default_factory=list)
    sheet: str | None = None
    xlsform: Path | None = None
    admin1: str | None = None
    text: str = ""
    path: str | None = None
    min_cell: int = DEFAULT_MIN_CELL  # disclosure control: cells with fewer unweighted persons are withheld
    allow: list[str] = field(default_factory=list)  # identifier-like columns allowed as groupings
    xlsform_sha256: str | None = None

    @property
    def stored_text(self) -> str:
        """The spec text as kept in the workspace: the XLSForm path cut to its file name (a full path
        can carry a user name) and the form's sha256 appended as a comment."""
        return stored_spec_text(self.text, self.xlsform, self.xlsform_sha256)

    @property
    def sha256(self) -> str:
        """sha256 of :attr:`stored_text` (the spec's identity: moving the XLSForm does not change it,
        editing the form does)."""
        return hashlib.sha256(self.stored_text.encode("utf-8")).hexdigest()

    @property
    def disclosure(self) -> dict[str, Any]:
        """The disclosure-control settings, as written into measure.json and the workspace."""
        return {"min_cell": self.min_cell, "allow": list(self.allow), "method": DISCLOSURE_METHOD}

    def dimension_of(self, indicator: str) -> str:
        for dim, inds in self.dimensions.items():
            if indicator in inds:
                return dim
        return ""


_XLSFORM_VALUE = re.compile(r"""(\bxlsform\s*=\s*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*')""")


def stored_spec_text(text: str, xlsform: Path | None, xlsform_sha256: str | None) -> str:
    """``text`` with every ``xlsform = "…/dir/form.xlsx"`` value reduced to ``"form.xlsx"`` and,
    when known, ``# xlsform sha256 = …`` appended."""
    if xlsform is None:
        return text

    def cut(m: re.Match[str]) -> str:
        raw = m.group(2)[1:-1]
        name = re.split(r"[/\\]", raw.replace("\\\\", "/"))[-1]
        return f'{m.group(1)}"{name}"'

    out = _XLSFORM_VALUE.sub(cut, text)
    if xlsform_sha256:
        out = out.rstrip("\n") + f"\n# xlsform sha256 = {xlsform_sha256}\n"
    return out


def _err(
    code: str, message: str, key: str, hint: str, file: str | None, params: dict[str, Any] | None = None
) -> SpecError:
    """A spec error at ``key``; ``message``/``hint`` are catalogue ids (N_-marked) with ``params``."""
    return SpecError(code, message, Where(file=file, key=key), hint=hint, params=params)


def _check_keys(table: dict[str, Any], allowed: set[str], prefix: str, file: str | None) -> None:
    for key in table:
        if key not in allowed:
            full = f"{prefix}.{key}" if prefix else key
            raise _err(
                "spec.unknown_key",
                N_("unknown key '{full}'"),
                full,
                N_("allowed in [{prefix}]: {allowed}") if prefix else N_("allowed: {allowed}"),
                file,
                params={"full": full, "prefix": prefix, "allowed": ", ".join(sorted(allowed))},
            )


def _str(table: dict[str, Any], key: str, prefix: str, file: str | None, default: str | None = None) -> str | None:
    v = table.get(key, default)
    if v is not None and not isinstance(v, str):
        raise _err(
            "spec.bad_value",
            N_("'{prefix}.{key}' must be a string (a column name), not {value!r}"),
            f"{prefix}.{key}",
            N_('write it in quotes, e.g. "weight"'),
            file,
            params={"prefix": prefix, "key": key, "value": v},
        )
    return v


def _str_list(table: dict[str, Any], key: str, prefix: str, file: str | None) -> list[str]:
    v = table.get(key, [])
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _err(
            "spec.bad_value",
            N_("'{prefix}.{key}' must be a list of column names"),
            f"{prefix}.{key}",
            N_('e.g. ["area", "region"]'),
            file,
            params={"prefix": prefix, "key": key},
        )
    return v


def _number(v: Any, key: str, file: str | None, lo: float, hi: float) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= v <= hi):
        raise _err(
            "spec.bad_value",
            N_("'{key}' must be a number from {lo:g} to {hi:g}, not {value!r}"),
            key,
            N_("a number in [{lo:g}, {hi:g}]"),
            file,
            params={"key": key, "lo": lo, "hi": hi, "value": v},
        )
    return float(v)


def parse_rule(raw: Any, key: str, file: str | None) -> Rule:
    """``{ le = 50 }`` → Rule("le", 50). Exactly one operator from eq ne lt le gt ge in not_in."""
    if raw is None:
        return Rule("eq", 1)
    if not isinstance(raw, dict) or len(raw) != 1:
        raise _err(
            "spec.bad_rule",
            N_("'{key}' must be a table with one operator, not {raw!r}"),
            key,
            N_('e.g. {{ le = 50 }} or {{ in = ["poor"] }}; operators: {rule_ops}'),
            file,
            params={"key": key, "raw": raw, "rule_ops": ", ".join(RULE_OPS)},
        )
    op, operand = next(iter(raw.items()))
    if op not in RULE_OPS:
        raise _err(
            "spec.bad_rule",
            N_("unknown operator '{op}' in '{key}'"),
            f"{key}.{op}",
            N_("allowed: {rule_ops}"),
            file,
            params={"op": op, "key": key, "rule_ops": ', '.join(RULE_OPS)},
        )
    if op in ("in", "not_in"):
        if not isinstance(operand, list) or not operand:
            raise _err(
                "spec.bad_rule",
                N_("'{key}.{op}' needs a non-empty list"),
                f"{key}.{op}",
                N_('e.g. {{ in = ["poor", "borderline"] }}'),
                file,
                params={"key": key, "op": op},
            )
    elif op in ("lt", "le", "gt", "ge"):
        if isinstance(operand, bool) or not isinstance(operand, (int, float)):
            raise _err(
                "spec.bad_rule",
                N_("'{key}.{op}' compares numbers; got {operand!r}"),
                f"{key}.{op}",
                N_("use eq/in for text classes"),
                file,
                params={"key": key, "op": op, "operand": operand},
            )
    elif not isinstance(operand, (int, float, str, bool)):
        raise _err(
            "spec.bad_rule",
            N_("'{key}.{op}' needs a number or text"),
            f"{key}.{op}",
            N_("e.g. {{ eq = 1 }}"),
            file,
            params={"key": key, "op": op},
        )
    return Rule(op, operand)


def load_spec(path: Path | str) -> Spec:
    """Read and validate a spec file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SpecError(
            "spec.missing", N_("spec file not found"), Where(file=str(p)), hint=N_("pass --spec PATH to a TOML file")
        ) from exc
    except UnicodeDecodeError as exc:
        raise SpecError(
            "spec.encoding",
            N_("spec file is not UTF-8"),
            Where(file=str(p)),
            hint=N_("save it as UTF-8"),
        ) from exc
    spec = parse_spec(text, file=str(p))
    if spec.xlsform is not None and not spec.xlsform.is_absolute():
        spec.xlsform = p.parent / spec.xlsform
    if spec.xlsform is not None and spec.xlsform.is_file():
        from kizuna.files import file_sha256

        spec.xlsform_sha256 = file_sha256(spec.xlsform)
    return spec


def parse_spec(text: str, file: str | None = None) -> Spec:
    """Validate a spec given as TOML text (see the module docstring for its keys)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(
            "spec.toml",
            N_("not valid TOML: {error}"),
            Where(file=file),
            hint=N_("check quotes, brackets and '=' signs on that line"),
            params={"error": str(exc)},
        ) from exc
    _check_keys(raw, TOP_KEYS, "", file)
    title = raw.get("title", "Vital-core index")
    survey = raw.get("survey", {})
    _check_keys(survey, SURVEY_KEYS, "survey", file)
    design = raw.get("design", {})
    _check_keys(design, DESIGN_KEYS, "design", file)
    lonely = _str(design, "lonely_psu", "design", file, "centered") or "centered"
    if lonely not in LONELY_PSU_RULES:
        raise _err(
            "spec.bad_value",
            N_("design.lonely_psu = '{lonely}' is not allowed"),
            "design.lonely_psu",
            N_("allowed: {allowed}"),
            file,
            params={"lonely": lonely, "allowed": ', '.join(LONELY_PSU_RULES)},
        )

    instruments: list[InstrumentSpec] = []
    for name, tbl in raw.get("instruments", {}).items():
        key = f"instruments.{name}"
        if not isinstance(tbl, dict):
            raise _err(
                "spec.bad_value",
                N_("'{key}' must be a table"),
                key,
                N_("[instruments.NAME] with type and items"),
                file,
                params={"key": key},
            )
        kind = tbl.get("type", name)
        if kind not in INSTRUMENTS:
            raise _err(
                "spec.unknown_instrument",
                N_("unknown instrument type '{kind}'"),
                f"{key}.type",
                N_("allowed: {instruments}"),
                file,
                params={"kind": kind, "instruments": ', '.join(INSTRUMENTS)},
            )
        items = tbl.get("items")
        if not isinstance(items, dict) or not all(isinstance(v, str) for v in items.values()):
            raise _err(
                "spec.bad_value",
                N_("'{key}.items' must map item keys to column names"),
                f"{key}.items",
                N_("items of {kind}: {instruments}"),
                file,
                params={"key": key, "kind": kind, "instruments": ', '.join(INSTRUMENTS[kind].items)},
            )
        opts = {k: v for k, v in tbl.items() if k not in ("type", "items")}
        for o in opts:
            if o not in INSTRUMENTS[kind].options:
                raise _err(
                    "spec.unknown_key",
                    N_("unknown key '{key}.{o}'"),
                    f"{key}.{o}",
                    N_("allowed: type, items{value}"),
                    file,
                    params={"key": key, "o": o, "value": ''.join(', ' + x for x in INSTRUMENTS[kind].options)},
                )
        instruments.append(InstrumentSpec(name, kind, {str(k): v for k, v in items.items()}, opts))
    inst_names = {i.name: i for i in instruments}

    indicators: list[IndicatorSpec] = []
    raw_inds = raw.get("indicators", {})
    if not raw_inds:
        raise _err(
            "spec.no_indicators",
            N_("the spec defines no indicators"),
            "indicators",
            N_("add [indicators.NAME] tables with column (or instrument + output) and deprived_if"),
            file,
        )
    for name, tbl in raw_inds.items():
        key = f"indicators.{name}"
        if not isinstance(tbl, dict):
            raise _err(
                "spec.bad_value",
                N_("'{key}' must be a table"),
                key,
                N_("column and deprived_if"),
                file,
                params={"key": key},
            )
        _check_keys(tbl, INDICATOR_KEYS, key, file)
        inst = _str(tbl, "instrument", key, file)
        if inst is not None:
            if inst not in inst_names:
                raise _err(
                    "spec.unknown_instrument",
                    N_("'{key}.instrument' names '{inst}', which is not defined"),
                    f"{key}.instrument",
                    N_("defined instruments: {items}"),
                    file,
                    params={"key": key, "inst": inst, "items": ', '.join(inst_names) or Message(N_("none"))},
                )
            kind = inst_names[inst].kind
            output = _str(tbl, "output", key, file) or "class"
            outs = INSTRUMENTS[kind].outputs
            if output not in outs:
                raise _err(
                    "spec.bad_value",
                    N_("'{key}.output' = '{output}' is not an output of {kind}"),
                    f"{key}.output",
                    N_("allowed: {outs}"),
                    file,
                    params={"key": key, "output": output, "kind": kind, "outs": ', '.join(outs)},
                )
            column = f"{inst}_{output}"
        else:
            column = _str(tbl, "column", key, file) or ""
            if not column:
                raise _err(
                    "spec.missing_key",
                    N_("'{key}' needs 'column' or 'instrument'"),
                    key,
                    N_('column = "d_nutr" or instrument = "fcs", output = "class"'),
                    file,
                    params={"key": key},
                )
        rule = parse_rule(tbl.get("deprived_if"), f"{key}.deprived_if", file)
        indicators.append(IndicatorSpec(name, column, rule, str(tbl.get("label", name)), inst))
    ind_names = [i.name for i in indicators]

    dims_raw = raw.get("dimensions")
    if dims_raw is None:
        dims = {name: [name] for name in ind_names}
    else:
        dims = {}
        seen: set[str] = set()
        for dim, inds in dims_raw.items():
            key = f"dimensions.{dim}"
            if not isinstance(inds, list) or not inds or not all(isinstance(x, str) for x in inds):
                raise _err(
                    "spec.bad_value",
                    N_("'{key}' must be a non-empty list of indicator names"),
                    key,
                    N_("indicators: {ind_names}"),
                    file,
                    params={"key": key, "ind_names": ', '.join(ind_names)},
                )
            for ind in inds:
                if ind not in ind_names:
                    raise _err(
                        "spec.unknown_indicator",
                        N_("'{key}' names indicator '{ind}', which is not defined"),
                        key,
                        N_("defined indicators: {ind_names}"),
                        file,
                        params={"key": key, "ind": ind, "ind_names": ', '.join(ind_names)},
                    )
                if ind in seen:
                    raise _err(
                        "spec.bad_value",
                        N_("indicator '{ind}' is in more than one dimension"),
                        key,
                        N_("each indicator belongs to exactly one dimension"),
                        file,
                        params={"ind": ind},
                    )
                seen.add(ind)
            dims[dim] = list(inds)
        unused = [i for i in ind_names if i not in seen]
        if unused:
            raise _err(
                "spec.bad_value",
                N_("indicator '{unused}' is in no dimension"),
                "dimensions",
                N_("list every indicator under one dimension"),
                file,
                params={"unused": unused[0]},
            )

    dw_raw = raw.get("dimension_weights")
    if dw_raw is not None:
        for dim, v in dw_raw.items():
            if dim not in dims:
                raise _err(
                    "spec.unknown_key",
                    N_("unknown dimension '{dim}' in dimension_weights"),
                    f"dimension_weights.{dim}",
                    N_("dimensions: {dims}"),
                    file,
                    params={"dim": dim, "dims": ', '.join(dims)},
                )
            _number(v, f"dimension_weights.{dim}", file, 0, 1)
        if set(dw_raw) != set(dims):
            missing = [d for d in dims if d not in dw_raw]
            raise _err(
                "spec.bad_value",
                N_("dimension_weights has no weight for '{missing}'"),
                "dimension_weights",
                N_("give every dimension a weight, or none (nested equal weights)"),
                file,
                params={"missing": missing[0]},
            )
        if not math.isclose(sum(dw_raw.values()), 1.0, abs_tol=WEIGHT_TOLERANCE):
            raise _err(
                "spec.bad_weights",
                N_("dimension weights sum to {sum:.6g}, not 1"),
                "dimension_weights",
                N_("make them sum to 1 (within {tol:g})"),
                file,
                params={"sum": sum(dw_raw.values()), "tol": WEIGHT_TOLERANCE},
            )
    weights = nested_equal_weights(dims, dw_raw)
    iw_raw = raw.get("indicator_weights")
    if iw_raw is not None:
        for ind, v in iw_raw.items():
            if ind not in ind_names:
                raise _err(
                    "spec.unknown_indicator",
                    N_("unknown indicator '{ind}' in indicator_weights"),
                    f"indicator_weights.{ind}",
                    N_("indicators: {ind_names}"),
                    file,
                    params={"ind": ind, "ind_names": ', '.join(ind_names)},
                )
            _number(v, f"indicator_weights.{ind}", file, 0, 1)
        if set(iw_raw) != set(ind_names):
            raise _err(
                "spec.bad_value",
                N_("indicator_weights must give every indicator a weight"),
                "indicator_weights",
                N_("indicators: {ind_names}"),
                file,
                params={"ind_names": ', '.join(ind_names)},
            )
        if not math.isclose(sum(iw_raw.values()), 1.0, abs_tol=WEIGHT_TOLERANCE):
            raise _err(
                "spec.bad_weights",
                N_("indicator weights sum to {sum:.6g}, not 1"),
                "indicator_weights",
                N_("make them sum to 1 (within {tol:g})"),
                file,
                params={"sum": sum(iw_raw.values()), "tol": WEIGHT_TOLERANCE},
            )
        weights = {k: float(v) for k, v in iw_raw.items()}

    af = raw.get("af", {})
    _check_keys(af, AF_KEYS, "af", file)
    k = _number(af.get("k", 33), "af.k", file, 0, 100)
    if k == 0:
        raise _err(
            "spec.bad_value",
            N_("'af.k' must be above 0 (k = 0 counts everyone as poor)"),
            "af.k",
            N_("a percent in (0, 100]; the global MPI uses 33"),
            file,
        )
    sweep_raw = af.get("k_sweep", list(range(10, 101, 10)))
    if not isinstance(sweep_raw, list):
        raise _err(
            "spec.bad_value",
            N_("'af.k_sweep' must be a list of percents"),
            "af.k_sweep",
            N_("e.g. [20, 33, 50]"),
            file,
        )
    sweep = sorted({_number(v, "af.k_sweep", file, 0.001, 100) for v in sweep_raw} | {k})
    level = _number(af.get("level", 0.95), "af.level", file, 0.5, 0.999)
    needs = raw.get("needs", {})
    _check_keys(needs, NEEDS_KEYS, "needs", file)
    xlsform = _str(survey, "xlsform", "survey", file)
    disclosure = raw.get("disclosure", {})
    if not isinstance(disclosure, dict):
        raise _err(
            "spec.bad_value",
            N_("'{key}' must be a table"),
            "disclosure",
            N_("[disclosure] with min_cell and allow"),
            file,
            params={"key": "disclosure"},
        )
    _check_keys(disclosure, DISCLOSURE_KEYS, "disclosure", file)
    min_cell = disclosure.get("min_cell", DEFAULT_MIN_CELL)
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or not (1 <= min_cell <= MAX_MIN_CELL):
        raise _err(
            "spec.bad_value",
            N_("'disclosure.min_cell' must be a whole number of persons from 1 to {hi}, not {value!r}"),
            "disclosure.min_cell",
            N_("cells with fewer unweighted persons are suppressed; the default is 10"),
            file,
            params={"hi": MAX_MIN_CELL, "value": min_cell},
        )
    return Spec(
        title=str(title),
        weight=_str(design, "weight", "design", file),
        strata=_str(design, "strata", "design", file),
        psu=_str(design, "psu", "design", file),
        lonely_psu=lonely,
        instruments=instruments,
        indicators=indicators,
        dimensions=dims,
        weights=weights,
        k=k,
        k_sweep=sweep,
        subgroups=_str_list(af, "subgroups", "af", file),
        time=_str(af, "time", "af", file),
        year=_str(af, "year", "af", file),
        level=level,
        id_columns=_str_list(survey, "id_columns", "survey", file),
        drop_columns=_str_list(survey, "drop_columns", "survey", file),
        sheet=_str(survey, "sheet", "survey", file),
        xlsform=Path(xlsform) if xlsform else None,
        admin1=_str(needs, "admin1", "needs", file),
        text=text,
        path=file,
        min_cell=int(min_cell),
        allow=_str_list(disclosure, "allow", "disclosure", file),
    )
