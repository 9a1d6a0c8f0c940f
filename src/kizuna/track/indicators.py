"""Reader of indicator tables (CSV or XLSX) as ActivityInfo- or DHIS2-like systems export them.

A table is in long format: one row per indicator x disaggregation x area x period, with the
organisation, the activity, the indicator (code, name, unit, measure, direction), the disaggregation
(e.g. "female 18-59"), the area (P-code or name), the period (start and end dates, or one period such
as ``2024Q1``, ``2024-03`` or ``2024``) and the baseline, target and actual values.

Headers are read as the 3W reader reads them (:mod:`kizuna.ledger.threew`, whose sheet reading, HXL
tag parsing and date parsing this module reuses): an HXL hashtag row (https://hxlstandard.org/) or
plain headers. The accepted tags and headers are :data:`HXL_FIELDS` and :data:`PLAIN_FIELDS`
(documented in ``docs/track-results.md``). A column the reader does not know is refused, with the
closest known name as a hint, so a misspelt "Targte" never silently drops the targets; columns of
personal data (contact, e-mail, phone) are skipped and named in a warning, never read.

Errors follow the 3W rules: one line naming the file, the row (as a spreadsheet numbers it) and the
field, with a hint; the reader yields nothing for a bad file, so its import stores nothing.

Measures (IATI IndicatorMeasure codelist, https://iatistandard.org/en/iati-standard/203/codelists/indicatormeasure/:
1 unit, 2 percentage, 3 nominal, 4 ordinal, 5 qualitative) plus ``ratio``, which indicator tables use
for rates such as "teachers per 100 pupils". Percentages are read in points (``45%`` and ``45`` are 45).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from kizuna.errors import InputError, Where
from kizuna.i18n import N_
from kizuna.ledger import threew
from kizuna.sheets import read_rows

MEASURES = ("unit", "percentage", "ratio", "nominal", "ordinal", "qualitative")
NUMERIC_MEASURES = frozenset({"unit", "percentage", "ratio", "ordinal"})
# spellings of a measure (lower case) -> measure; IATI IndicatorMeasure codes 1-5 too
MEASURE_WORDS: dict[str, str] = {
    "1": "unit",
    "unit": "unit",
    "units": "unit",
    "number": "unit",
    "numeric": "unit",
    "count": "unit",
    "integer": "unit",
    "quantity": "unit",
    "2": "percentage",
    "percentage": "percentage",
    "percent": "percentage",
    "%": "percentage",
    "ratio": "ratio",
    "rate": "ratio",
    "3": "nominal",
    "nominal": "nominal",
    "4": "ordinal",
    "ordinal": "ordinal",
    "5": "qualitative",
    "qualitative": "qualitative",
    "text": "qualitative",
}
DIRECTION_WORDS: dict[str, bool] = {
    "ascending": True,
    "up": True,
    "increase": True,
    "higher is better": True,
    "1": True,
    "true": True,
    "descending": False,
    "down": False,
    "decrease": False,
    "lower is better": False,
    "0": False,
    "false": False,
}

# Plain headers (lower case, runs of spaces/underscores as one space) -> field. DHIS2's analytics
# export names "Data", "Period", "Organisation unit"; ActivityInfo's names "Partner", "Indicator".
PLAIN_FIELDS: dict[str, list[str]] = {
    "org": [
        "organisation",
        "organization",
        "org",
        "partner",
        "agency",
        "implementing partner",
        "reporting organisation",
    ],
    "activity_id": ["activity id", "activity code", "project id", "project code", "iati identifier"],
    "activity_title": ["activity", "activity name", "project", "project name", "project title", "activity title"],
    "vocabulary": ["indicator vocabulary", "vocabulary", "reference vocabulary"],
    "indicator_code": ["indicator code", "indicator id", "data element code", "indicator ref", "reference code"],
    "indicator_name": ["indicator", "indicator name", "data", "data element", "indicator title"],
    "unit": ["unit", "indicator unit", "unit of measure"],
    "measure": ["measure", "indicator measure", "value type"],
    "direction": ["direction", "ascending", "polarity"],
    "disaggregation": ["disaggregation", "category option combo", "category", "disaggregation group"],
    "adm1_code": ["admin1 code", "adm1 code", "admin1 pcode", "adm1 pcode"],
    "adm1": ["admin1", "adm1", "region", "province", "state", "admin1 name"],
    "adm2_code": ["admin2 code", "adm2 code", "admin2 pcode", "adm2 pcode"],
    "adm2": ["admin2", "adm2", "district", "county", "admin2 name"],
    "area": ["area", "organisation unit", "org unit", "location", "p code", "pcode"],
    "period": ["period", "reporting period"],
    "start": ["period start", "start date", "start", "date start"],
    "end": ["period end", "end date", "end", "date end"],
    "baseline": ["baseline", "baseline value"],
    "target": ["target", "target value", "targeted"],
    "actual": ["actual", "actual value", "value", "achieved", "reached", "result"],
}
_PLAIN = {s: f for f, spellings in PLAIN_FIELDS.items() for s in spellings}

# HXL tags (base tag and the attributes that decide) -> field, as documented in docs/track-results.md
HXL_FIELDS: dict[str, str] = {
    "#org": "org",
    "#activity+code": "activity_id",
    "#activity+id": "activity_id",
    "#activity": "activity_title",
    "#activity+name": "activity_title",
    "#indicator+code": "indicator_code",
    "#indicator+vocabulary": "vocabulary",
    "#indicator+name": "indicator_name",
    "#indicator": "indicator_name",
    "#indicator+unit": "unit",
    "#indicator+measure": "measure",
    "#indicator+direction": "direction",
    "#group": "disaggregation",
    "#indicator+disaggregation": "disaggregation",
    "#adm1+code": "adm1_code",
    "#adm1+name": "adm1",
    "#adm1": "adm1",
    "#adm2+code": "adm2_code",
    "#adm2+name": "adm2",
    "#adm2": "adm2",
    "#loc": "area",
    "#loc+name": "area",
    "#date+period": "period",
    "#date": "period",
    "#date+start": "start",
    "#date+end": "end",
    "#value+baseline": "baseline",
    "#indicator+baseline": "baseline",
    "#targeted": "target",
    "#value+target": "target",
    "#indicator+target": "target",
    "#reached": "actual",
    "#value+actual": "actual",
    "#indicator+value": "actual",
    "#indicator+num": "actual",
}


@dataclass(frozen=True)
class IndicatorRow:
    """One row of an indicator table, checked. Values are normalised text (numbers without thousands
    separators or a % sign), kept as text so qualitative values travel with the numeric ones."""

    row_no: int
    org: str | None
    activity_id: str | None
    activity_title: str | None
    vocabulary: str | None
    indicator_code: str | None
    indicator_name: str | None
    unit: str | None
    measure: str
    ascending: bool | None
    disaggregation: str | None
    area: str | None
    period_start: date | None
    period_end: date | None
    baseline_value: str | None
    target_value: str | None
    actual_value: str | None


@dataclass
class IndicatorTable:
    """What :func:`read_indicator_table` found: its rows, whether it is HXL-tagged, and warnings
    ``(code, row, message)``."""

    rows: list[IndicatorRow]
    hxl: bool
    columns: dict[str, int]
    warnings: list[tuple[str, int, str]] = field(default_factory=list)


def _tag_key(base: str, attrs: frozenset[str]) -> str:
    return "+".join([base, *sorted(attrs)])


def _hxl_field(base: str, attrs: frozenset[str]) -> str | None:
    """The field of a hashtag: the longest documented tag whose attributes it carries."""
    best: tuple[int, str] | None = None
    for tag, fname in HXL_FIELDS.items():
        t_base, *t_attrs = tag.split("+")
        if t_base == base and set(t_attrs) <= attrs and (best is None or len(t_attrs) > best[0]):
            best = (len(t_attrs), fname)
    return best[1] if best else None


def _close(text: str, known: list[str]) -> str | None:
    found = difflib.get_close_matches(text, known, n=1, cutoff=0.6)
    return found[0] if found else None


def _unknown_column(path: Path, row: int, text: str, known: list[str]) -> InputError:
    guess = _close(text, known)
    return InputError(
        "results.unknown_column",
        N_("column '{column}' is not a column of an indicator table"),
        Where(file=str(path), row=row, field=text),
        hint=N_("did you mean '{guess}'? (see docs/track-results.md for the columns)")
        if guess
        else N_("rename it to a known column or remove it (see docs/track-results.md for the columns)"),
        params={"column": text, "guess": guess},
    )


def _layout(path: Path, rows: list[list[str]]) -> tuple[int, dict[str, int], bool, list[str]]:
    """(index of the header row, field -> column, HXL?, personal columns skipped)."""
    scan = rows[: threew.HEADER_SCAN_ROWS]
    for i, cells in enumerate(scan):
        if not threew._is_hashtag_row(cells):
            continue
        cols: dict[str, int] = {}
        personal: list[str] = []
        for idx, cell in enumerate(cells):
            if not cell.strip():
                continue
            tag = threew.hxl_tag(cell)
            if tag is None or threew._is_personal(cell):
                if threew._is_personal(cell):
                    personal.append(cell.strip())
                    continue
                raise _unknown_column(path, i + 1, cell.strip(), list(HXL_FIELDS))
            fname = _hxl_field(*tag)
            if fname is None:
                raise _unknown_column(path, i + 1, _tag_key(*tag), list(HXL_FIELDS))
            _claim(path, i + 1, cols, fname, idx, cell.strip())
        return i, cols, True, personal
    for i, cells in enumerate(scan):
        named = [c for c in cells if c.strip()]
        hits = [c for c in named if threew._norm_header(c) in _PLAIN]
        if len(hits) < 2 or 2 * len(hits) < len(named):
            continue
        cols = {}
        personal = []
        for idx, cell in enumerate(cells):
            if not cell.strip():
                continue
            if threew._is_personal(cell):
                personal.append(cell.strip())
                continue
            fname = _PLAIN.get(threew._norm_header(cell))
            if fname is None:
                raise _unknown_column(path, i + 1, cell.strip(), list(_PLAIN))
            _claim(path, i + 1, cols, fname, idx, cell.strip())
        return i, cols, False, personal
    raise InputError(
        "results.no_header",
        N_("found neither an HXL hashtag row nor the headers of an indicator table"),
        Where(file=str(path), row=1),
        hint=N_("add headers such as 'Organisation', 'Indicator code', 'Period', 'Target', 'Actual' (or HXL tags)"),
    )


def _claim(path: Path, row: int, cols: dict[str, int], fname: str, idx: int, text: str) -> None:
    if fname in cols:
        raise InputError(
            "results.duplicate_column",
            N_("two columns give the same field: '{column}'"),
            Where(file=str(path), row=row, field=text),
            hint=N_("keep one of them, or rename the other"),
            params={"column": text},
        )
    cols[fname] = idx


_PERIOD = re.compile(r"^(\d{4})(?:\s*[-_ ]?\s*(?:([qQ])([1-4])|(?:[mM]?)(\d{1,2})|([sS]|[hH])([12])))?$")


def period_bounds(text: str) -> tuple[date, date] | None:
    """The first and last day of a period written as a year (``2024``), a quarter (``2024Q1``,
    ``2024-Q1``), a month (``2024-03``, ``202403``) or a half (``2024S1``, ``2024H2``: DHIS2's
    six-monthly ``S``); None when it is none of these."""
    m = _PERIOD.match(text.strip())
    if not m:
        return None
    year = int(m.group(1))
    if m.group(3):
        first = 3 * (int(m.group(3)) - 1) + 1
        months = 3
    elif m.group(4):
        first = int(m.group(4))
        months = 1
        if not 1 <= first <= 12:
            return None
    elif m.group(6):
        first = 6 * (int(m.group(6)) - 1) + 1
        months = 6
    else:
        first, months = 1, 12
    start = date(year, first, 1)
    nxt = first + months
    end = date(year + (nxt - 1) // 12, (nxt - 1) % 12 + 1, 1) - timedelta(days=1)
    return start, end


_GROUPED = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def number_text(raw: str) -> str | None:
    """A number as written in a table, normalised to plain text (``1,200`` -> ``1200``, ``45%`` -> ``45``,
    ``3.0`` kept); None when it is no number."""
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if text.endswith("%"):
        text = text[:-1]
    if _GROUPED.match(text):
        text = text.replace(",", "")
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return text


def read_indicator_table(path: Path | str) -> IndicatorTable:
    """Read and check a whole indicator table; raise :class:`~kizuna.errors.InputError` on the first bad
    row (nothing is returned for a bad file). See the module's docstring for the columns."""
    path = Path(path)
    try:
        return _read(path)
    except InputError as exc:
        if exc.code.startswith("3w."):  # the 3W reader's shared helpers: same rule, this part's code
            raise dataclasses.replace(exc, code="results." + exc.code[3:]) from None
        raise


def _read(path: Path) -> IndicatorTable:
    rows, lines = read_rows(path, part="results")
    header, cols, hxl, personal = _layout(path, rows)
    _require(path, header + 1, cols)
    table = IndicatorTable(rows=[], hxl=hxl, columns=dict(cols))
    if personal:
        table.warnings.append(
            (
                "results.personal_data",
                header + 1,
                "columns not read (personal data is never stored): " + ", ".join(personal),
            )
        )
    width = max((k + 1 for k, c in enumerate(rows[header]) if c.strip()), default=0)
    heads = {fname: rows[header][idx].strip() for fname, idx in cols.items()}  # errors name the column as written
    for i in range(header + 1, len(rows)):
        cells = rows[i]
        if not any(c.strip() for c in cells):
            continue
        if not hxl and i == header + 1 and threew._is_hashtag_row(cells):
            continue
        threew._check_width(path, cells, width, i + 1, lines[i] if lines is not None else None)
        table.rows.append(_row(path, i + 1, cells, cols, heads))
    return table


def _require(path: Path, row: int, cols: dict[str, int]) -> None:
    missing = None
    if "indicator_code" not in cols and "indicator_name" not in cols:
        missing = ("#indicator+code", N_("add an 'Indicator code' (#indicator+code) or 'Indicator' column"))
    elif "target" not in cols and "actual" not in cols:
        missing = ("#targeted", N_("add a 'Target' (#targeted) or 'Actual' (#reached) column"))
    elif "period" not in cols and "end" not in cols:
        missing = ("#date+end", N_("add a 'Period' (e.g. 2024Q1) or 'Period end' (#date+end) column"))
    elif "org" not in cols:
        missing = ("#org", N_("add an 'Organisation' (#org) column: roll-ups are across organisations"))
    if missing:
        raise InputError(
            "results.missing_column",
            N_("a required column is missing"),
            Where(file=str(path), row=row, field=missing[0]),
            hint=missing[1],
        )


FIELD_TAGS = {
    "measure": "#indicator+measure",
    "direction": "#indicator+direction",
    "period": "#date+period",
    "start": "#date+start",
    "end": "#date+end",
    "baseline": "#value+baseline",
    "target": "#targeted",
    "actual": "#reached",
    "org": "#org",
}


def _row(path: Path, rownum: int, cells: list[str], cols: dict[str, int], heads: dict[str, str]) -> IndicatorRow:
    def get(fname: str) -> str:
        idx = cols.get(fname)
        return cells[idx].strip() if idx is not None and idx < len(cells) and cells[idx] else ""

    def where(fname: str) -> Where:
        return Where(file=str(path), row=rownum, field=heads.get(fname) or FIELD_TAGS.get(fname, fname))

    org = get("org")
    if not org:
        raise InputError(
            "results.no_org",
            N_("no organisation on this row"),
            where("org"),
            hint=N_("every row needs the organisation that reports the indicator"),
        )
    code, name = get("indicator_code"), get("indicator_name")
    if not code and not name:
        raise InputError(
            "results.no_indicator",
            N_("no indicator on this row"),
            where("indicator_code"),
            hint=N_("give the indicator's code or name"),
        )
    measure_text = get("measure")
    measure = MEASURE_WORDS.get(measure_text.lower(), "") if measure_text else "unit"
    if not measure:
        raise InputError(
            "results.bad_measure",
            N_("'{value}' is not a measure"),
            where("measure"),
            hint=N_("use number, percentage, ratio, nominal, ordinal or qualitative (or IATI codes 1-5)"),
            params={"value": measure_text},
        )
    direction_text = get("direction")
    ascending: bool | None = None
    if direction_text:
        if direction_text.lower() not in DIRECTION_WORDS:
            raise InputError(
                "results.bad_direction",
                N_("'{value}' is not a direction"),
                where("direction"),
                hint=N_("use ascending (higher is better) or descending (lower is better)"),
                params={"value": direction_text},
            )
        ascending = DIRECTION_WORDS[direction_text.lower()]
    start, end = _period(path, rownum, get("period"), get("start"), get("end"), heads)
    values: dict[str, str | None] = {}
    for fname in ("baseline", "target", "actual"):
        raw = get(fname)
        if not raw:
            values[fname] = None
        elif measure in NUMERIC_MEASURES:
            num = number_text(raw)
            if num is None:
                raise InputError(
                    "results.bad_number",
                    N_("'{value}' is not a number"),
                    where(fname),
                    hint=N_("write a number such as 1200 or 45%; for a text value set the measure to qualitative"),
                    params={"value": raw},
                )
            values[fname] = num
        else:
            values[fname] = raw
    area = get("adm2_code") or get("adm2") or get("adm1_code") or get("adm1") or get("area")
    return IndicatorRow(
        row_no=rownum,
        org=org,
        activity_id=get("activity_id") or None,
        activity_title=get("activity_title") or None,
        vocabulary=get("vocabulary") or None,
        indicator_code=code or None,
        indicator_name=name or None,
        unit=get("unit") or None,
        measure=measure,
        ascending=ascending,
        disaggregation=get("disaggregation") or None,
        area=area or None,
        period_start=start,
        period_end=end,
        baseline_value=values["baseline"],
        target_value=values["target"],
        actual_value=values["actual"],
    )


def _period(
    path: Path, rownum: int, period: str, start_s: str, end_s: str, heads: dict[str, str]
) -> tuple[date | None, date | None]:
    start_field = heads.get("start") or "#date+start"
    end_field = heads.get("end") or heads.get("period") or "#date+end"
    start = threew._parse_date(start_s, path, rownum, start_field) if start_s else None
    end = threew._parse_date(end_s, path, rownum, heads.get("end") or "#date+end") if end_s else None
    if period and not (start and end):
        bounds = period_bounds(period)
        if bounds is None:
            raise InputError(
                "results.bad_period",
                N_("'{value}' is not a period"),
                Where(file=str(path), row=rownum, field=heads.get("period") or "#date+period"),
                hint=N_("write a year (2024), a quarter (2024Q1), a month (2024-03) or a half (2024S1)"),
                params={"value": period},
            )
        start, end = start or bounds[0], end or bounds[1]
    if end is None:
        raise InputError(
            "results.no_period",
            N_("no period on this row"),
            Where(file=str(path), row=rownum, field=end_field),
            hint=N_("give a period (2024Q1) or the period's end date"),
        )
    if start and end < start:
        raise InputError(
            "results.dates_reversed",
            N_("end {end} is before start {start}"),
            Where(file=str(path), row=rownum, field=end_field),
            hint=N_("swap the two dates"),
            params={"end": end, "start": start},
        )
    return start, end


def iter_rows(path: Path | str) -> Iterator[IndicatorRow]:
    """The rows of a checked table (the whole file is checked first: a bad file yields nothing)."""
    yield from read_indicator_table(path).rows
