"""Read queries over the ledger, shared by the CLI, the API and reports. No writes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from kizuna.errors import InputError, Where
from kizuna.i18n import N_
from kizuna.workspace import Workspace

SPEND_TYPES = ("3", "4")  # disbursement, expenditure


LEDGER_COUNTRIES_SQL = """
    SELECT code AS country, activity_uid FROM activity_countries
    UNION SELECT code, activity_uid FROM transaction_countries
    UNION SELECT country, activity_uid FROM locations WHERE country IS NOT NULL
    UNION SELECT country, activity_uid FROM flows WHERE country IS NOT NULL
"""


def ledger_countries(ws: Workspace) -> list[dict[str, Any]]:
    """Every country the ledger holds (activity- or transaction-level recipient country, a location, or
    money), with its name and number of activities, most activities first."""
    return ws.query(
        f"""
        SELECT c.country, any_value(n.name) AS name, count(DISTINCT c.activity_uid) AS activities
        FROM ({LEDGER_COUNTRIES_SQL}) c
        LEFT JOIN codelist_items n ON n.codelist = 'Country' AND n.code = c.country
        GROUP BY c.country ORDER BY activities DESC, c.country
        """
    )


def checked_country(ws: Workspace, code: str | None) -> str | None:
    """``code`` checked against the ledger's countries (:func:`kizuna.reference.countries.check_country`)."""
    if code is None or not code.strip():
        return None
    from kizuna.reference.countries import check_country

    # the codes alone (no per-country activity counts): one hash aggregate, even over millions of flows
    held = ws.con.execute(
        "SELECT code FROM activity_countries UNION SELECT code FROM transaction_countries"
        " UNION SELECT country FROM locations WHERE country IS NOT NULL"
        " UNION SELECT country FROM flows WHERE country IS NOT NULL"
    ).fetchall()
    return check_country(code, [r[0] for r in held])


# --------------------------------------------------------------------------- multilingual data
# One selection rule for every narrative a view shows (docs/languages.md, "Multilingual data"): for a
# reader of language L, the narrative in L; else in English; else in the activity's default language
# (iati-activity/@xml:lang, else iati-activities/@xml:lang); else the first in document order. The
# same rule in Python: kizuna.ledger.iati.lang_rank / pick_narrative.

_LANG_TAG = re.compile(r"[a-z]{2,8}")


def data_lang(lang: str | None = None) -> str:
    """The primary language subtag a view selects narratives for: ``lang`` (any BCP 47 tag: ``ja``,
    ``en-GB``, ``es``), else the language of the moment (:func:`kizuna.i18n.current`). Letters only,
    lower case, so it can be written into SQL as a literal."""
    if lang:
        tag = lang.strip().replace("_", "-").split("-", 1)[0].lower()
        if _LANG_TAG.fullmatch(tag):
            return tag
    from kizuna import i18n

    return i18n.current()


def narrative_rank_sql(lang: str | None = None, n: str = "n", a: str = "a") -> str:
    """SQL rank of a narrative (alias ``n``, of ``narratives``) for a reader of ``lang`` (lower is
    better; ``a`` is its ``activities`` row): 0 the reader's language, 1 English, 2 the activity's
    default language, 3 any other or unknown (:func:`kizuna.ledger.iati.lang_rank`)."""
    ui = data_lang(lang)
    p = f"split_part({n}.lang, '-', 1)"
    return (
        f"CASE WHEN {p} = '{ui}' THEN 0 WHEN {p} = 'en' THEN 1"
        f" WHEN {p} = split_part({a}.default_lang, '-', 1) THEN 2 ELSE 3 END"
    )


def narratives_sql(element: str, lang: str | None = None, table: str = "all_narratives") -> str:
    """SQL of one narrative per element: ``activity_uid, seq, text`` for every ``element`` ('title',
    'description', 'reporting-org', 'participating-org', 'provider-org', 'receiver-org') of every
    activity, the text chosen by the rule above for a reader of ``lang`` (default: the language of
    the moment). Titles and descriptions have one row per activity (``seq`` of the one chosen): for
    descriptions, a general one (type 1 or none) before the others in the same language. ``table``:
    ``all_narratives`` (every narrative), or ``narratives`` (only those the single-value columns do
    not already hold, for a caller that falls back to those columns)."""
    if table not in ("all_narratives", "narratives"):
        raise ValueError(f"unknown narratives table {table!r}")
    if element not in _ELEMENTS:
        raise ValueError(f"unknown narrative element {element!r}; use one of {sorted(_ELEMENTS)}")
    rank = narrative_rank_sql(lang)
    one_per_activity = element in ("title", "description")
    part = "n.activity_uid" if one_per_activity else "n.activity_uid, n.seq"
    general = "CASE WHEN coalesce(n.kind, '1') = '1' THEN 0 ELSE 1 END, " if element == "description" else ""
    return f"""
        SELECT n.activity_uid, n.seq, n.text FROM {table} n JOIN activities a USING (activity_uid)
        WHERE n.element = '{element}'
        QUALIFY row_number() OVER (PARTITION BY {part} ORDER BY {rank}, {general}n.seq, n.ord) = 1
    """


_ELEMENTS = frozenset(
    ("title", "description", "reporting-org", "participating-org", "provider-org", "receiver-org")
)


def titles_sql(lang: str | None = None) -> str:
    """SQL of ``activity_uid, title``: each activity's title for a reader of ``lang`` (the rule
    above), else its stored ``activities.title`` (3W rows, and workspaces ingested before the
    narratives table existed). Join it: ``LEFT JOIN ({titles_sql()}) tl USING (activity_uid)``."""
    return f"""
        SELECT a.activity_uid, coalesce(t.text, a.title) AS title
        FROM activities a LEFT JOIN ({narratives_sql("title", lang, "narratives")}) t USING (activity_uid)
    """


def org_names_sql(lang: str | None = None) -> str:
    """SQL of ``ref, name``: one name per organisation identifier for a reader of ``lang``.

    The rule (docs/languages.md, "Multilingual data"; the same as
    :func:`kizuna.coordinate.model.org_names`): the registry's name in that language (``name`` in
    English, ``name_ja`` in Japanese); else the name the organisation gives itself in that language as
    a publisher (reporting-org), the most frequent; else the name others give it in that language
    (participating-org); else the language-blind name of the ``org_names`` view (registry name, else
    self-reported, else most frequent). Join it: ``LEFT JOIN ({org_names_sql()}) o ON o.ref = ...``."""
    ui = data_lang(lang)
    registry = {"en": "o.name_source = 'registry' THEN o.name", "ja": "o.name_ja IS NOT NULL THEN o.name_ja"}.get(ui)
    first = f"CASE WHEN {registry} END, " if registry else ""
    return f"""
        WITH seen AS (
            SELECT a.publisher_ref AS ref, n.text AS name, 0 AS other
            FROM all_narratives n JOIN activities a USING (activity_uid)
            WHERE n.element = 'reporting-org' AND a.publisher_ref IS NOT NULL AND split_part(n.lang, '-', 1) = '{ui}'
            UNION ALL
            SELECT p.ref, n.text, 1 FROM all_narratives n
            JOIN participating_orgs p ON p.activity_uid = n.activity_uid AND p.seq = n.seq
            WHERE n.element = 'participating-org' AND p.ref IS NOT NULL AND split_part(n.lang, '-', 1) = '{ui}'
        ), best AS (
            SELECT ref, first(name ORDER BY other, n DESC, name) AS name
            FROM (SELECT ref, name, min(other) AS other, count(*) AS n FROM seen GROUP BY ref, name)
            GROUP BY ref
        )
        SELECT o.ref, coalesce({first}b.name, o.name) AS name
        FROM org_names o LEFT JOIN best b ON b.ref = o.ref
    """


def activity_titles(ws: Workspace, lang: str | None = None, uids: list[str] | None = None) -> dict[str, str | None]:
    """Each activity's title for a reader of ``lang`` (default: the language of the moment), by the
    rule of :func:`titles_sql`: ``{activity_uid: title}``, for ``uids`` or every activity."""
    sql = f"SELECT activity_uid, title FROM ({titles_sql(lang)})"
    params: list[Any] = []
    if uids is not None:
        sql += " WHERE activity_uid IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(uids))
    return {r["activity_uid"]: r["title"] for r in ws.query(sql, params)}


def activity_narratives(ws: Workspace, uid: str) -> list[dict[str, Any]]:
    """Every narrative stored for one activity, in document order: element, seq, ord, lang, text, kind."""
    return ws.query(
        "SELECT element, seq, ord, lang, text, kind FROM all_narratives WHERE activity_uid = ?"
        " ORDER BY element, seq, ord",
        [uid],
    )


def list_sources(ws: Workspace) -> list[dict[str, Any]]:
    """Every import, newest first, with its provenance (and, for a downloaded file, where and when from)."""
    return ws.query(
        "SELECT import_id, kind, file_name, sha256, publisher, version, counts, warnings,"
        " imported_at, source_url, retrieved_at FROM imports ORDER BY import_id DESC"
    )


@dataclass
class ActivityFilter:
    """Filters shared by ``kizuna activities`` and the API. Every field is optional."""

    country: str | None = None  # ISO 3166-1 alpha-2
    sector: str | None = None  # DAC code prefix: '152' or '15220'
    publisher: str | None = None  # reporting-org ref
    status: str | None = None  # ActivityStatus code
    start: date | None = None  # activities running on or after this date
    end: date | None = None  # activities running on or before this date
    source: str | None = None  # 'iati' | '3w'

    def validate(self) -> None:
        if self.sector is not None:
            from kizuna.validate import check_sector_form  # one home for sector values (CLI, API, pages)

            check_sector_form(self.sector)
        if self.start and self.end and self.end < self.start:
            raise InputError(
                "filter.dates",
                N_("the end date is before the start date"),
                Where(field="end"),
                hint=N_("swap --from and --to"),
            )

    def where(self) -> tuple[str, list[Any]]:
        self.validate()
        clauses: list[str] = []
        params: list[Any] = []
        if self.country:
            clauses.append(
                "(a.activity_uid IN (SELECT activity_uid FROM activity_countries WHERE code = ?)"
                " OR a.activity_uid IN (SELECT activity_uid FROM transaction_countries WHERE code = ?)"
                " OR a.activity_uid IN (SELECT activity_uid FROM locations WHERE country = ?))"
            )
            params += [self.country.upper()] * 3
        if self.sector:
            clauses.append(
                "(a.activity_uid IN (SELECT activity_uid FROM activity_sectors WHERE vocabulary IN ('1','2')"
                " AND starts_with(code, ?)) OR a.activity_uid IN (SELECT activity_uid FROM transaction_sectors"
                " WHERE vocabulary IN ('1','2') AND starts_with(code, ?)))"
            )
            params += [self.sector, self.sector]
        if self.publisher:
            clauses.append("a.publisher_ref = ?")
            params.append(self.publisher)
        if self.status:
            clauses.append("a.status_code = ?")
            params.append(self.status)
        if self.start:
            clauses.append("(a.end_date IS NULL OR a.end_date >= ?)")
            params.append(self.start)
        if self.end:
            clauses.append("(a.start_date IS NULL OR a.start_date <= ?)")
            params.append(self.end)
        if self.source:
            clauses.append("a.source = ?")
            params.append(self.source)
        return (" AND ".join(clauses) or "TRUE"), params


def list_activities(
    ws: Workspace, flt: ActivityFilter | None = None, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """Activities matching the filter with their total counted spend in USD (types 3 and 4)."""
    flt = flt or ActivityFilter()
    flt.country = checked_country(ws, flt.country)
    where, params = flt.where()
    sql = f"""
        SELECT a.activity_uid, a.iati_identifier, a.source, a.publisher_ref,
               coalesce(o.name, a.publisher_name) AS publisher_name, tl.title,
               coalesce(st.name, a.status_code) AS status, a.start_date, a.end_date,
               (SELECT string_agg(DISTINCT c, ',' ORDER BY c) FROM (
                    SELECT code AS c FROM activity_countries WHERE activity_uid = a.activity_uid
                    UNION ALL SELECT code FROM transaction_countries WHERE activity_uid = a.activity_uid
                    UNION ALL SELECT country FROM locations WHERE activity_uid = a.activity_uid)
                 WHERE c IS NOT NULL) AS countries,
               -- DAC codes, or the sheet's own sector names for 3W rows
               (SELECT string_agg(DISTINCT s, ',' ORDER BY s) FROM (
                    SELECT CASE WHEN vocabulary IN ('1', '2') THEN code ELSE coalesce(name, code) END AS s
                    FROM activity_sectors WHERE activity_uid = a.activity_uid
                      AND (vocabulary IN ('1', '2') OR name IS NOT NULL)
                    UNION ALL SELECT code FROM transaction_sectors
                    WHERE activity_uid = a.activity_uid AND vocabulary IN ('1', '2'))) AS sectors,
               (SELECT sum(usd) FROM flows f WHERE f.activity_uid = a.activity_uid AND f.counted
                  AND f.type_code IN ('3','4')) AS spend_usd
        FROM activities a
        LEFT JOIN ({org_names_sql()}) o ON o.ref = a.publisher_ref
        LEFT JOIN ({titles_sql()}) tl USING (activity_uid)
        LEFT JOIN codelist_items st ON st.codelist = 'ActivityStatus' AND st.code = a.status_code
        WHERE {where}
        ORDER BY a.publisher_ref, a.iati_identifier
    """
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return ws.query(sql, params)


def count_activities(ws: Workspace, flt: ActivityFilter | None = None) -> int:
    flt = flt or ActivityFilter()
    flt.country = checked_country(ws, flt.country)
    where, params = flt.where()
    return int(ws.scalar(f"SELECT count(*) FROM activities a WHERE {where}", params))


@dataclass
class FlowQuery:
    """What ``kizuna flows`` sums: USD by publisher x country x sector x year."""

    types: tuple[str, ...] = SPEND_TYPES
    level: int = 3  # sector level: 3 (DAC category) or 5 (purpose code)
    include_double_counted: bool = False
    country: str | None = None
    sector: str | None = None  # prefix
    publisher: str | None = None
    year_from: int | None = None
    year_to: int | None = None

    def validate(self) -> None:
        if self.level not in (3, 5):
            raise InputError(
                "flows.level",
                N_("sector level {level} is not 3 or 5"),
                Where(field="level"),
                hint=N_("use --level 3 (DAC category) or --level 5 (purpose code)"),
                params={"level": self.level},
            )
        bad = [t for t in self.types if not t.isdigit()]
        if bad:
            raise InputError(
                "flows.types",
                N_("transaction types {bad} are not codes"),
                Where(field="types"),
                hint=N_("e.g. --types 3,4 (disbursement, expenditure) or 2 (commitment)"),
                params={"bad": bad},
            )


def flow_totals(ws: Workspace, q: FlowQuery | None = None) -> list[dict[str, Any]]:
    """USD totals by publisher x country x sector x year, with code names, largest first."""
    q = q or FlowQuery()
    q.validate()
    q.country = checked_country(ws, q.country)
    sector_col = "f.sector3" if q.level == 3 else "f.sector"
    clauses = [f"f.type_code IN ({', '.join('?' for _ in q.types)})"]
    params: list[Any] = list(q.types)
    if not q.include_double_counted:
        clauses.append("f.counted")
    if q.country:
        clauses.append("f.country = ?")
        params.append(q.country.upper())
    if q.sector:
        clauses.append("starts_with(f.sector, ?)")
        params.append(q.sector)
    if q.publisher:
        clauses.append("f.publisher_ref = ?")
        params.append(q.publisher)
    if q.year_from is not None:
        clauses.append("f.year >= ?")
        params.append(q.year_from)
    if q.year_to is not None:
        clauses.append("f.year <= ?")
        params.append(q.year_to)
    name_list = "SectorCategory" if q.level == 3 else "Sector"
    sql = f"""
        SELECT f.publisher_ref AS publisher, any_value(coalesce(o.name, a.publisher_name)) AS publisher_name,
               f.country, any_value(cn.name) AS country_name,
               f.region, f.region_vocabulary, any_value(rn.name) AS region_name,
               {sector_col} AS sector, any_value(sn.name) AS sector_name,
               f.year, sum(f.usd) AS usd, count(DISTINCT f.activity_uid) AS activities,
               count(*) FILTER (WHERE f.usd IS NULL) AS rows_without_rate
        FROM flows f
        JOIN activities a USING (activity_uid)
        LEFT JOIN ({org_names_sql()}) o ON o.ref = f.publisher_ref
        LEFT JOIN codelist_items cn ON cn.codelist = 'Country' AND cn.code = f.country
        LEFT JOIN codelist_items rn ON rn.codelist = 'Region' AND rn.code = f.region AND f.region_vocabulary = '1'
        LEFT JOIN codelist_items sn ON sn.codelist = '{name_list}' AND sn.code = {sector_col}
        WHERE {" AND ".join(clauses)}
        GROUP BY f.publisher_ref, f.country, f.region, f.region_vocabulary, {sector_col}, f.year
        ORDER BY usd DESC NULLS LAST, publisher, country, region, sector, year
    """
    return ws.query(sql, params)


def list_warnings(ws: Workspace, import_id: int | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT w.import_id, i.file_name, w.line, w.activity_uid, w.code, w.message FROM ledger_warnings w"
        " JOIN imports i USING (import_id)"
    )
    params: list[Any] = []
    if import_id is not None:
        sql += " WHERE w.import_id = ?"
        params.append(import_id)
    return ws.query(sql + " ORDER BY w.import_id, w.line", params)
