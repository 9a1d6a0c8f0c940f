"""Statistical disclosure control of the published survey tables, and the refusal of identifier-like
columns as subgroups, needs areas or rounds. Pure: no I/O.

Method (threshold rule with complementary suppression, Hundepool et al., *Statistical Disclosure
Control*, Wiley 2012, §5.2 "the threshold rule" and §5.3 "secondary cell suppression"; OCHA Centre
for Humanitarian Data, *Guidance Note: Statistical Disclosure Control*, 2019):

* a *cell* is one published domain: a round × subgroup (or a round × needs area); its size is the
  **unweighted** number of persons in it (weights do not protect anyone);
* **primary suppression**: every estimate of a cell with ``0 < n < min_cell`` is withheld (value,
  SE, CI, n and population blanked) and the row is marked ``suppressed = true``;
* **complementary (secondary) suppression**: within one one-way table (one subgroup variable in one
  round, all of whose cells add up to the published whole-population row), when exactly one cell is
  primary-suppressed, the non-empty cell with the next-smallest n is suppressed too, so that the
  total minus the others cannot give the hidden cell back. With two or more suppressed cells the
  difference only gives their sum. Empty cells (n = 0) reveal nothing and protect nothing.

The threshold ``min_cell`` (default 10) is set in the spec (``[disclosure] min_cell``) and written
with the method into the outputs' metadata and the workspace.

Limits (said in docs/privacy.md): the rule protects cells by their size, not by their contents — a
share of 1 person in a published cell of 40 is published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from kizuna.errors import Message, SpecError, Where
from kizuna.i18n import N_, Said

DEFAULT_MIN_CELL = 10
METHOD = (
    "threshold rule on unweighted n with complementary suppression "
    "(Hundepool et al. 2012, Statistical Disclosure Control, sections 5.2-5.3; "
    "OCHA Centre for Humanitarian Data, Guidance Note on Statistical Disclosure Control, 2019)"
)

# --- identifier-like columns ------------------------------------------------------------------------

# Kinds of identifier, as catalogue ids (shown in errors and warnings).
KIND_NAME = N_("a person's name")
KIND_PHONE = N_("a phone number")
KIND_EMAIL = N_("an e-mail address")
KIND_ID = N_("an identity or record number")
KIND_GPS = N_("GPS coordinates")
KIND_DEVICE = N_("a device identifier")
KIND_STAFF = N_("an enumerator or user name")
KIND_TEXT = N_("free text")
KIND_ADDRESS = N_("an address")
KIND_BIRTH = N_("a date of birth")
KIND_UNIQUE = N_("nearly every value is unique")
KIND_ATTACHMENT = N_("an attachment (photo, audio, file)")

# Column-name words (after splitting on non-letters and camelCase) and what they point to.
NAME_WORDS: dict[str, str] = {
    **dict.fromkeys(
        [
            "name",
            "names",
            "firstname",
            "lastname",
            "surname",
            "fullname",
            "forename",
            "givenname",
            "familyname",
            "instancename",
            "nom",
            "nombre",
            "prenom",
        ],
        KIND_NAME,
    ),
    **dict.fromkeys(
        ["phone", "phones", "telephone", "tel", "mobile", "msisdn", "whatsapp", "phonenumber", "cellphone"],
        KIND_PHONE,
    ),
    **dict.fromkeys(["email", "mail"], KIND_EMAIL),
    **dict.fromkeys(
        [
            "id",
            "uuid",
            "nid",
            "passport",
            "ssn",
            "idno",
            "idnumber",
            "instanceid",
            "rootuuid",
            "barcode",
            "unhcr",
            "progres",
            "beneficiaryid",
        ],
        KIND_ID,
    ),
    **dict.fromkeys(
        [
            "gps",
            "geopoint",
            "latitude",
            "longitude",
            "lat",
            "lon",
            "lng",
            "altitude",
            "geolocation",
            "coordinates",
            "coords",
            "geotrace",
            "geoshape",
        ],
        KIND_GPS,
    ),
    **dict.fromkeys(["deviceid", "device", "imei", "simserial", "subscriberid", "useragent", "simid"], KIND_DEVICE),
    **dict.fromkeys(
        [
            "enumerator",
            "enumerators",
            "enum",
            "interviewer",
            "surveyor",
            "submitter",
            "submittername",
            "submitterid",
            "username",
            "supervisor",
            "collector",
            "submitted",
        ],
        KIND_STAFF,
    ),
    **dict.fromkeys(
        [
            "comment",
            "comments",
            "note",
            "notes",
            "remark",
            "remarks",
            "specify",
            "describe",
            "description",
            "explain",
            "freetext",
            "narrative",
        ],
        KIND_TEXT,
    ),
    **dict.fromkeys(["address", "street", "postcode", "zipcode", "houseno"], KIND_ADDRESS),
    **dict.fromkeys(["dob", "birthdate", "birthday", "birth"], KIND_BIRTH),
    **dict.fromkeys(["attachments", "attachment", "photo", "picture", "signature", "audio"], KIND_ATTACHMENT),
}
# Words that make a "name"/"id" column a place, an organisation or a design unit, not a person.
PLACE_WORDS = {
    "admin",
    "adm",
    "admin0",
    "admin1",
    "admin2",
    "admin3",
    "adm0",
    "adm1",
    "adm2",
    "adm3",
    "region",
    "district",
    "province",
    "county",
    "state",
    "village",
    "area",
    "country",
    "camp",
    "site",
    "location",
    "org",
    "organisation",
    "organization",
    "facility",
    "school",
    "cluster",
    "settlement",
    "payam",
    "boma",
    "ea",
    "psu",
    "stratum",
    "strata",
    "zone",
    "ward",
    "commune",
    "city",
    "town",
    "form",
    "sector",
    "project",
    "item",
    "indicator",
    "question",
    "choice",
    "list",
    "round",
    "wave",
    "dimension",
    "pcode",
}
# XLSForm question types that hold personal data or metadata (dropped from Kobo/ODK exports).
PERSONAL_FORM_TYPES = {
    "start": KIND_DEVICE,
    "end": KIND_DEVICE,
    "deviceid": KIND_DEVICE,
    "phonenumber": KIND_PHONE,
    "username": KIND_STAFF,
    "email": KIND_EMAIL,
    "simserial": KIND_DEVICE,
    "subscriberid": KIND_DEVICE,
    "audit": KIND_DEVICE,
    "start-geopoint": KIND_GPS,
    "background-geopoint": KIND_GPS,
    "geopoint": KIND_GPS,
    "geotrace": KIND_GPS,
    "geoshape": KIND_GPS,
    "image": KIND_ATTACHMENT,
    "audio": KIND_ATTACHMENT,
    "video": KIND_ATTACHMENT,
    "file": KIND_ATTACHMENT,
    "background-audio": KIND_ATTACHMENT,
}
# XLSForm types that are personal but may be analysed on purpose: warned about, not dropped.
WARN_FORM_TYPES = {"text": KIND_TEXT, "barcode": KIND_ID}

_NUM = r"[-+]?\d{1,3}(?:\.\d+)?"
GEOPOINT_RE = re.compile(rf"^\s*{_NUM}[\s,;]+{_NUM}(?:\s+[-+]?\d+(?:\.\d+)?){{0,2}}\s*$")
PHONE_RE = re.compile(r"^\s*\+?\(?\d[\d\s\-().]{5,}\d\s*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
VALUE_SHARE = 0.8  # share of non-missing values that must look like a phone/e-mail/GPS
UNIQUE_MIN_VALUES = 20  # below this many values "nearly unique" says nothing
UNIQUE_SHARE = 0.9
PATTERN_SAMPLE = 2_000  # values looked at for the GPS/phone/e-mail patterns


def name_words(column: str) -> list[str]:
    """The words of a column name: ``respondentName`` / ``grp/respondent_name`` → respondent, name."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", column)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def kind_by_name(column: str) -> str | None:
    """The identifier kind a column's *name* points to (None when it does not look personal).

    A name or id right after a place or design word (``admin1_name``, ``psu_id``) is not personal.
    """
    words = name_words(column)
    joined = "".join(words)
    if joined in NAME_WORDS:
        return NAME_WORDS[joined]

    def placey(w: str) -> bool:
        return w in PLACE_WORDS or re.fullmatch(r"adm(in)?\d*", w) is not None

    for i, w in enumerate(words):
        kind = NAME_WORDS.get(w)
        if kind is None:
            continue
        # "admin1_name", "district_id": the name of a place; "village_head_name" is a person's
        if kind in (KIND_NAME, KIND_ID) and i > 0 and placey(words[i - 1]):
            continue
        return kind
    return None


def kind_by_values(values: pl.Series, *, unique: bool = True) -> str | None:
    """The identifier kind a column's *values* show: GPS points, phone numbers, e-mail addresses or
    (``unique``) nearly every value different. Decided on the non-missing values; None if not personal."""
    s = values.drop_nulls()
    if s.len() == 0:
        return None
    if s.dtype == pl.String:
        # the patterns are judged on an even sample (a 240,000-row export need not be scanned whole)
        step = max(1, s.len() // PATTERN_SAMPLE)
        text = s.gather_every(step).str.strip_chars()
        text = text.filter(text != "")
        if text.len() == 0:
            return None
        for kind, pattern in ((KIND_GPS, GEOPOINT_RE), (KIND_EMAIL, EMAIL_RE), (KIND_PHONE, PHONE_RE)):
            if text.str.contains(pattern.pattern).mean() >= VALUE_SHARE:  # type: ignore[operator]
                if kind == KIND_GPS and not _plausible_points(text):
                    continue
                return kind
    if unique and s.len() >= UNIQUE_MIN_VALUES and s.n_unique() >= UNIQUE_SHARE * s.len():
        return KIND_UNIQUE
    return None


def _plausible_points(text: pl.Series) -> bool:
    """Latitude in [−90, 90] and longitude in [−180, 180] for the first two numbers of each value."""
    parts = text.str.extract_all(r"[-+]?\d+(?:\.\d+)?")
    lat = parts.list.get(0, null_on_oob=True).cast(pl.Float64, strict=False)
    lon = parts.list.get(1, null_on_oob=True).cast(pl.Float64, strict=False)
    ok = lat.is_between(-90, 90) & lon.is_between(-180, 180) & lat.round(0).ne(lat)
    return bool(ok.fill_null(False).mean() >= VALUE_SHARE)  # type: ignore[operator]


def identifier_kind(column: str, values: pl.Series | None = None, form_type: str | None = None) -> str | None:
    """Why ``column`` looks like it identifies a person (a catalogue id), or None.

    Checked in order: the XLSForm question type (when known), the column name, then its values."""
    if form_type:
        kind = PERSONAL_FORM_TYPES.get(form_type) or WARN_FORM_TYPES.get(form_type)
        if kind:
            return kind
    kind = kind_by_name(column)
    if kind:
        return kind
    if values is not None:
        return kind_by_values(values, unique=values.dtype == pl.String)
    return None


def check_grouping(values: pl.Series, column: str, key: str, allow: list[str], file: str | None = None) -> None:
    """Refuse an identifier-like ``column`` as a subgroup, needs area or round (``key`` names the spec
    key) unless the spec lists it in ``[disclosure] allow``. Any dtype counts as nearly unique here:
    a grouping with one person per group publishes single persons."""
    if column in allow:
        return
    kind = kind_by_name(column) or kind_by_values(values, unique=True)
    if kind is None:
        return
    raise SpecError(
        "spec.identifier_group",
        N_(
            "'{key}' uses column '{column}', which looks like an identifier ({kind}): its groups would "
            "publish results about single persons"
        ),
        Where(file=file, key=key, field=column),
        hint=N_(
            'group by a coarser column; if publishing by it is intended, add [disclosure] allow = ["{column}"] '
            "(cells below min_cell stay suppressed)"
        ),
        params={"key": key, "column": column, "kind": Message(kind)},
    )


def undeclared_notes(undeclared: list[tuple[str, str]]) -> list[str]:
    """One warning per identifier-like column left in clear (column names only, never values)."""
    return [
        Said(
            N_(
                "warning: column '{column}' looks like {kind} and is neither hashed nor dropped; list it in "
                "survey.id_columns or survey.drop_columns"
            ),
            column=col,
            kind=Message(kind),
        )
        for col, kind in undeclared
    ]


# --- suppression -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One published domain: the table it belongs to (``table``: e.g. (round, group_var)), its label
    and its unweighted size."""

    table: tuple[Any, ...]
    label: str
    n: int


def suppress(cells: list[Cell], min_cell: int, totals: dict[tuple[Any, ...], int] | None = None) -> dict[Cell, str]:
    """Which cells to withhold: {cell: "primary" | "complementary"} (see the module docstring).

    ``totals`` gives, per table, the unweighted n of the published total row; a table whose total is
    itself below the threshold (hence withheld) needs no complementary suppression. Without
    ``totals`` every table's total is taken as published.
    """
    out: dict[Cell, str] = {}
    by_table: dict[tuple[Any, ...], list[Cell]] = {}
    for c in cells:
        by_table.setdefault(c.table, []).append(c)
    for table, members in by_table.items():
        primary = [c for c in members if 0 < c.n < min_cell]
        for c in primary:
            out[c] = "primary"
        total = None if totals is None else totals.get(table)
        total_published = total is None or total >= min_cell
        if len(primary) == 1 and total_published:
            others = sorted((c for c in members if c.n > 0 and c not in out), key=lambda c: (c.n, c.label))
            if others:
                out[others[0]] = "complementary"
    return out


EST_BLANK = ("b", "se", "lo", "hi", "n", "pop")


def _mark(df: pl.DataFrame, hidden: pl.DataFrame, on: list[str], blank: tuple[str, ...]) -> pl.DataFrame:
    """Join the hidden keys onto ``df``: blank ``blank`` columns there and add ``suppressed``."""
    if df.is_empty():
        return df.with_columns(pl.lit(False).alias("suppressed")) if "suppressed" not in df.columns else df
    flag = hidden.select(on).unique().with_columns(pl.lit(True).alias("__hide"))
    out = df.join(flag, on=on, how="left", nulls_equal=True, maintain_order="left")
    hide = pl.col("__hide").fill_null(False)
    return out.with_columns(
        *[pl.when(hide).then(None).otherwise(pl.col(c)).alias(c) for c in blank if c in df.columns],
        hide.alias("suppressed"),
    ).drop("__hide")


def domain_cells(est: pl.DataFrame, all_label: str = "all") -> tuple[list[Cell], dict[tuple[Any, ...], int]]:
    """The cells of an AF estimates table (one per round × group_var × group, sized by the unweighted
    persons of its H row) and the per-round totals."""
    rows = (
        est.filter(pl.col("measure") == "H")
        .group_by("round", "group_var", "group")
        .agg(pl.col("n").max())
        .sort("round", "group_var", "group", nulls_last=True)
    )
    cells: list[Cell] = []
    totals: dict[tuple[Any, ...], int] = {}
    for r in rows.iter_rows(named=True):
        if r["group_var"] == all_label:
            cells.append(Cell((r["round"], all_label), all_label, int(r["n"] or 0)))
            totals_key = r["round"]
            totals[(totals_key,)] = int(r["n"] or 0)
        else:
            cells.append(Cell((r["round"], r["group_var"]), str(r["group"]), int(r["n"] or 0)))
    # a subgroup table's total is the whole-population row of its round
    table_totals = {c.table: totals.get((c.table[0],), 0) for c in cells if c.table[1] != all_label}
    return cells, table_totals


def hidden_frame(decided: dict[Cell, str]) -> pl.DataFrame:
    """The withheld cells as (round, group_var, group) rows."""
    return pl.DataFrame(
        {
            "round": [c.table[0] for c in decided],
            "group_var": [c.table[1] for c in decided],
            "group": [c.label for c in decided],
        },
        schema={"round": pl.String, "group_var": pl.String, "group": pl.String},
    )


def suppress_estimates(est: pl.DataFrame, min_cell: int, all_label: str = "all") -> tuple[pl.DataFrame, pl.DataFrame]:
    """The estimates table with withheld cells blanked and marked, and the withheld cells."""
    cells, totals = domain_cells(est, all_label)
    # the whole-population rows are their own one-cell tables: primary suppression only
    decided = suppress([c for c in cells if c.table[1] != all_label], min_cell, totals)
    decided.update({c: "primary" for c in cells if c.table[1] == all_label and 0 < c.n < min_cell})
    hidden = hidden_frame(decided)
    return _mark(est, hidden, ["round", "group_var", "group"], EST_BLANK), hidden


def suppress_changes(changes: pl.DataFrame, hidden: pl.DataFrame) -> pl.DataFrame:
    """Changes between rounds involving a withheld cell (either round) are withheld too."""
    if changes.is_empty():
        return changes
    blank = ("b1", "b2", "value", "se", "lo", "hi")
    h = hidden.rename({"round": "r"})
    a = _mark(changes.with_columns(pl.col("from_round").alias("r")), h, ["r", "group_var", "group"], blank)
    first = a.get_column("suppressed")
    b = _mark(a.drop("suppressed").with_columns(pl.col("to_round").alias("r")), h, ["r", "group_var", "group"], blank)
    return b.with_columns((pl.col("suppressed") | first).alias("suppressed")).drop("r")


def suppress_rounds(df: pl.DataFrame, round_n: dict[Any, int], min_cell: int, blank: tuple[str, ...]) -> pl.DataFrame:
    """A whole-population table by round (summary, indicators, k sweep): rounds below the threshold
    withheld (primary only: no total across rounds is published)."""
    small = [r for r, n in round_n.items() if 0 < n < min_cell]
    hidden = pl.DataFrame({"round": small}, schema={"round": pl.String})
    return _mark(df, hidden, ["round"], blank)


def suppress_subgroups(sub: pl.DataFrame, hidden: pl.DataFrame) -> pl.DataFrame:
    """The subgroup table (share, M0, H, A, contribution) with withheld groups blanked and marked."""
    blank = ("pop", "pop_share", "M0", "H", "A", "contribution")
    return _mark(sub, hidden, ["round", "group_var", "group"], blank)


def suppress_areas(
    needs: pl.DataFrame, area_n: dict[str, int], total_n: int, min_cell: int
) -> tuple[pl.DataFrame, dict[Cell, str]]:
    """The needs table (one round, areas × dimensions): areas below the threshold withheld, and one
    more area when exactly one is, since the whole-population headcount is published."""
    cells = [Cell(("needs",), a, n) for a, n in area_n.items()]
    decided = suppress(cells, min_cell, {("needs",): total_n})
    hidden = pl.DataFrame({"admin1": [c.label for c in decided]}, schema={"admin1": pl.String})
    blank = ("share_deprived", "se", "lo", "hi", "share_deprived_poor", "population", "people_in_need", "n")
    return _mark(needs, hidden, ["admin1"], blank), decided
