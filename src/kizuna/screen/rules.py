"""The rule catalogue as data: loading, validation, user overrides and the significance matrix.

The default catalogue ships as ``kizuna/screen/catalogue.toml``; a user file (TOML or YAML, same keys)
overrides it: tables merge key by key, a rule with a known ``id`` is merged field by field, a new id is
added, ``disabled = true`` drops a rule. Triggers are parsed with :mod:`kizuna.screen.expr` against the
fact names of :data:`kizuna.screen.facts.FACTS` when loaded, so a typo fails before any screening.

Texts a person reads (``question``, ``mitigation``) may carry a translation per language under
``<field>_<lang>`` (``question_ja``, ``mitigation_ja``): the shipped catalogue has Japanese for every
rule; a user catalogue without it shows its English to every reader (:func:`shown`).

Significance (UNDP SESP Q3): score = impact x likelihood, each 1-5; the category is the band the score
falls in, raised by the overrides (e.g. impact 5 is at least Substantial). The project category is the
highest category among its risks (UNDP SESP Q4; the same "highest rating wins" rule as the World Bank
ESF classification).
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from kizuna import i18n
from kizuna.errors import SpecError, Where
from kizuna.i18n import N_
from kizuna.screen.expr import Expr, ExprError, parse

CATEGORIES = ("Low", "Moderate", "Substantial", "High")
# the rule fields a person reads, translated per language under "<field>_<lang>" (question_ja ...)
TEXT_FIELDS = ("question", "mitigation")
TRANSLATION_KEYS = {f"{f}_{lang}": f for f in TEXT_FIELDS for lang in i18n.LANGUAGES if lang != i18n.DEFAULT}
RULE_KEYS = {
    "id",
    "family",
    "question",
    "when",
    "impact",
    "likelihood",
    "evidence",
    "adjust",
    "source",
    "mitigation",
    "disabled",
    *TRANSLATION_KEYS,
}
ADJUST_KEYS = {"when", "impact_at_least", "likelihood_at_least", "add_impact", "add_likelihood"}
FAMILIES = (
    "contested_resources",
    "land_displacement",
    "legitimisation",
    "security",
    "exclusion_consultation",
    "gbv",
    "reprisals",
    "partner_impartiality",
    "duplication",
    "market_distortion",
    "timing",
)


@dataclass
class Adjustment:
    when: Expr
    impact_at_least: int | None = None
    likelihood_at_least: int | None = None
    add_impact: int = 0
    add_likelihood: int = 0


@dataclass
class Rule:
    id: str
    family: str
    question: str
    when: Expr
    impact: int
    likelihood: int
    source: str
    mitigation: str
    evidence: list[str] = field(default_factory=list)
    adjust: list[Adjustment] = field(default_factory=list)
    translations: dict[str, str] = field(default_factory=dict)  # "question_ja" -> text, ...


@dataclass(frozen=True)
class Shown:
    """A rule text as a reader sees it: the text and the language it is written in (``en`` when no
    translation into the reader's language exists: then it is shown as data, ``translate="no"``)."""

    text: str
    lang: str


@lru_cache(maxsize=1)
def builtin_texts() -> dict[str, dict[str, str]]:
    """Rule id -> the shipped catalogue's texts and their translations (``question``, ``question_ja``, ...)."""
    data = tomllib.loads(default_catalogue_text())
    keep = {*TEXT_FIELDS, *TRANSLATION_KEYS}
    return {r["id"]: {k: v for k, v in r.items() if k in keep} for r in data.get("rules", [])}


def shown(
    name: str,
    english: str,
    translations: Mapping[str, str] | None = None,
    rule_id: str | None = None,
    lang: str | None = None,
) -> Shown:
    """Rule text ``name`` (``question`` or ``mitigation``) in the reader's language (default
    :func:`kizuna.i18n.current`), falling back to ``english``.

    The translation comes from ``translations`` (the rule's own ``<name>_<lang>`` keys, as loaded) or,
    for a text read back from the workspace (which stores the English only), from the shipped catalogue
    for ``rule_id`` — but only when ``english`` is still the shipped English: a user catalogue that
    reworded the rule keeps its own words rather than a translation of other ones."""
    lang = i18n.normalise(lang) or i18n.current()
    if lang == i18n.DEFAULT:
        return Shown(english, i18n.DEFAULT)
    key = f"{name}_{lang}"
    if translations and translations.get(key):
        return Shown(translations[key], lang)
    if rule_id is not None:
        builtin = builtin_texts().get(rule_id, {})
        if builtin.get(name) == english and builtin.get(key):
            return Shown(builtin[key], lang)
    return Shown(english, i18n.DEFAULT)


def reader_row(row: Mapping[str, Any], lang: str | None = None) -> tuple[dict[str, Any], set[str]]:
    """A risk or gap row read back from the workspace (``rule_id``, ``question``, ``mitigation``: the
    English as screened) with those texts in the reader's language where the shipped catalogue has them
    (:func:`shown`), and the names of the columns now in the reader's language (UI text, no longer data).
    The row is copied, never changed: it may sit in a cache shared by both languages."""
    out = dict(row)
    done: set[str] = set()
    lang = i18n.normalise(lang) or i18n.current()
    for name in TEXT_FIELDS:
        if isinstance(row.get(name), str):
            s = shown(name, row[name], None, str(row.get("rule_id") or ""), lang)
            out[name] = s.text
            if s.lang == lang:
                done.add(name)
    return out, done


@dataclass
class Matrix:
    bands: list[tuple[str, int]]  # (category, lowest score), ascending
    overrides: list[tuple[Expr, str]]  # (condition over impact/likelihood/score, at least category)

    def category(self, impact: int, likelihood: int) -> str:
        """The significance category of one risk (score = impact x likelihood, then overrides)."""
        score = impact * likelihood
        cat = self.bands[0][0]
        for name, lo in self.bands:
            if score >= lo:
                cat = name
        vals = {"impact": impact, "likelihood": likelihood, "score": score}
        for cond, at_least in self.overrides:
            if cond.evaluate(vals) and CATEGORIES.index(at_least) > CATEGORIES.index(cat):
                cat = at_least
        return cat


@dataclass
class Catalogue:
    name: str
    version: str
    rules: list[Rule]
    matrix: Matrix
    parameters: dict[str, float]
    buffers_km: dict[str, float]
    project_types: dict[str, dict[str, Any]]
    sha256: str
    sources: list[str]


def worst(categories: list[str]) -> str:
    """The highest of several categories; Low when there are none."""
    return max(categories, key=CATEGORIES.index) if categories else "Low"


def _load_file(path: Path) -> dict[str, Any]:
    file = str(path)
    if not path.exists():
        raise SpecError("screen.missing_file", N_("no such catalogue file"), Where(file=file, field="--catalogue"))
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = tomllib.loads(text)
    except Exception as exc:  # tomllib and yaml raise their own error types
        raise SpecError(
            "screen.bad_catalogue",
            N_("cannot read the catalogue: {error}"),
            Where(file=file),
            params={"error": str(exc).splitlines()[0]},
        ) from None
    if not isinstance(data, dict):
        raise SpecError("screen.bad_catalogue", N_("the catalogue is a table of keys"), Where(file=file))
    return data


def default_catalogue_text() -> str:
    return resources.files("kizuna.screen").joinpath("catalogue.toml").read_text(encoding="utf-8")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if k == "rules":
            rules = {r["id"]: r for r in out.get("rules", [])}
            order = [r["id"] for r in out.get("rules", [])]
            for r in v or []:
                rid = r.get("id")
                if rid in rules:
                    old = rules[rid]
                    # a reworded English text drops the translations of the old wording, unless given anew
                    stale = {k for k, f in TRANSLATION_KEYS.items() if f in r and r[f] != old.get(f)}
                    rules[rid] = {**{k: x for k, x in old.items() if k not in stale}, **r}
                else:
                    rules[rid] = r
                    order.append(rid)
            out["rules"] = [rules[i] for i in order if not rules[i].get("disabled")]
        elif isinstance(v, dict) and isinstance(out.get(k), dict) and k != "matrix":
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def load_catalogue(user_file: Path | str | None = None) -> Catalogue:
    """The shipped catalogue, overridden by ``user_file`` when given; validated."""
    from kizuna.screen.facts import FACTS

    base_text = default_catalogue_text()
    data = tomllib.loads(base_text)
    sources = ["kizuna/screen/catalogue.toml"]
    h = hashlib.sha256(base_text.encode())
    file = "kizuna/screen/catalogue.toml"
    if user_file is not None:
        p = Path(user_file)
        data = _merge(data, _load_file(p))
        sources.append(str(p))
        h.update(p.read_bytes())
        file = str(p)
    data["rules"] = [r for r in data.get("rules", []) if not r.get("disabled")]
    known = set(FACTS)

    def expr(text: Any, where: Where, names: set[str]) -> Expr:
        if not isinstance(text, str):
            raise SpecError("screen.bad_rule", N_("a trigger is a text condition"), where)
        try:
            return parse(text, names)
        except ExprError as exc:
            raise SpecError(
                "screen.bad_trigger",
                exc.message,  # a catalogue id (N_-marked in screen/expr.py), with its params
                where,
                hint=N_("see docs/screen.md for the condition language and the fact names"),
                params=exc.params,
            ) from None

    def score(v: Any, where: Where) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 5:
            raise SpecError(
                "screen.bad_rule",
                N_("{value!r} is not a whole number from 1 to 5"),
                where,
                params={"value": v},
            )
        return v

    rules: list[Rule] = []
    seen: set[str] = set()
    for k, r in enumerate(data["rules"]):
        rid = r.get("id") or f"rules[{k}]"
        if not r.get("id"):
            raise SpecError("screen.bad_rule", N_("a rule needs an id"), Where(file=file, key=rid, field="id"))
        if rid in seen:
            raise SpecError(
                "screen.bad_rule",
                N_("rule id {rid!r} appears twice"),
                Where(file=file, key=rid),
                params={"rid": rid},
            )
        seen.add(rid)
        extra = set(r) - RULE_KEYS
        if extra:
            raise SpecError(
                "screen.bad_rule",
                N_("unknown key {extra!r}"),
                Where(file=file, key=rid, field=sorted(extra)[0]),
                hint=N_("keys: {rule_keys}"),
                params={"extra": sorted(extra)[0], "rule_keys": ", ".join(sorted(RULE_KEYS))},
            )
        for req in ("question", "when", "impact", "likelihood", "source", "mitigation"):
            if r.get(req) in (None, ""):
                raise SpecError(
                    "screen.bad_rule",
                    N_("the rule has no {req}"),
                    Where(file=file, key=rid, field=req),
                    params={"req": req},
                )
        for key in sorted(TRANSLATION_KEYS.keys() & set(r)):
            if not isinstance(r[key], str) or not r[key].strip():
                raise SpecError(
                    "screen.bad_rule",
                    N_("{key} must be a text; leave it out to show the English"),
                    Where(file=file, key=rid, field=key),
                    params={"key": key},
                )
        fam = r.get("family")
        if fam not in FAMILIES:
            raise SpecError(
                "screen.bad_rule",
                N_("unknown rule family {family!r}"),
                Where(file=file, key=rid, field="family"),
                hint=N_("one of {families}"),
                params={"family": fam, "families": ", ".join(FAMILIES)},
            )
        ev = list(r.get("evidence") or [])
        for e in ev:
            if e not in known:
                raise SpecError(
                    "screen.bad_rule",
                    N_("unknown evidence fact {fact!r}"),
                    Where(file=file, key=rid, field="evidence"),
                    params={"fact": e},
                )
        adjust = []
        for j, a in enumerate(r.get("adjust") or []):
            w = Where(file=file, key=rid, field=f"adjust[{j}]")
            if set(a) - ADJUST_KEYS:
                raise SpecError(
                    "screen.bad_rule",
                    N_("unknown key {key!r}"),
                    w,
                    params={"key": sorted(set(a) - ADJUST_KEYS)[0]},
                )
            adjust.append(
                Adjustment(
                    expr(a.get("when"), w, known),
                    None if a.get("impact_at_least") is None else score(a["impact_at_least"], w),
                    None if a.get("likelihood_at_least") is None else score(a["likelihood_at_least"], w),
                    int(a.get("add_impact", 0)),
                    int(a.get("add_likelihood", 0)),
                )
            )
        rules.append(
            Rule(
                id=str(rid),
                family=str(fam),
                question=str(r["question"]),
                when=expr(r["when"], Where(file=file, key=rid, field="when"), known),
                impact=score(r["impact"], Where(file=file, key=rid, field="impact")),
                likelihood=score(r["likelihood"], Where(file=file, key=rid, field="likelihood")),
                source=str(r["source"]),
                mitigation=str(r["mitigation"]),
                evidence=ev,
                adjust=adjust,
                translations={k: str(r[k]) for k in sorted(TRANSLATION_KEYS.keys() & set(r))},
            )
        )
    m = data.get("matrix") or {}
    bands = sorted(((b["category"], int(b["min"])) for b in m.get("bands", [])), key=lambda x: x[1])
    for name, _ in bands:
        if name not in CATEGORIES:
            raise SpecError(
                "screen.bad_matrix",
                N_("unknown category {name!r}"),
                Where(file=file, key="matrix.bands"),
                hint=N_("one of {categories}"),
                params={"name": name, "categories": ", ".join(CATEGORIES)},
            )
    if not bands:
        raise SpecError("screen.bad_matrix", N_("the matrix has no bands"), Where(file=file, key="matrix.bands"))
    overrides = []
    for o in m.get("overrides", []):
        if o.get("at_least") not in CATEGORIES:
            raise SpecError(
                "screen.bad_matrix",
                N_("unknown category {name!r}"),
                Where(file=file, key="matrix.overrides"),
                params={"name": o.get("at_least")},
            )
        overrides.append(
            (
                expr(o.get("when"), Where(file=file, key="matrix.overrides"), {"impact", "likelihood", "score"}),
                o["at_least"],
            )
        )
    types = data.get("project_types") or {}
    for key, spec in types.items():
        if not isinstance(spec, dict) or not spec.get("dac3"):
            raise SpecError(
                "screen.bad_catalogue",
                N_("a project type needs a dac3 sector"),
                Where(file=file, key=f"project_types.{key}", field="dac3"),
            )
    params = {k: float(v) for k, v in (data.get("parameters") or {}).items()}
    buffers = {k: float(v) for k, v in (data.get("buffers_km") or {}).items()}
    meta = data.get("catalogue") or {}
    return Catalogue(
        name=str(meta.get("name", "catalogue")),
        version=str(meta.get("version", "")),
        rules=rules,
        matrix=Matrix(bands, overrides),
        parameters=params,
        buffers_km=buffers,
        project_types=types,
        sha256=h.hexdigest(),
        sources=sources,
    )


def catalogue_table(cat: Catalogue) -> list[dict[str, Any]]:
    """The catalogue as rows (for `kizuna screen-rules` style listings and the docs)."""
    return [
        {
            "id": r.id,
            "family": r.family,
            "question": r.question,
            "when": r.when.text,
            "impact": r.impact,
            "likelihood": r.likelihood,
            "source": r.source,
            "mitigation": r.mitigation,
            "adjust": json.dumps([a.when.text for a in r.adjust]),
        }
        for r in cat.rules
    ]
