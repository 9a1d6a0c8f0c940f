"""Read-only queries the dashboard needs that no part provides yet.

Kept small on purpose: each is one SELECT over the ledger tables (``0002_ledger.sql``) and the
imports table, returns rows as dicts and writes nothing. Activities themselves come from the
ledger (:func:`kizuna.ledger.queries.list_activities`); these add what the pages need around them:
countries, allies' totals, sectors and areas for the pickers, located points for maps, and the
area x ally presence counts. When a part ships its own query for one of these, the web layer
switches to it and the query here goes.

Filters (``None`` = no filter) are the ledger's (:class:`kizuna.ledger.queries.ActivityFilter`):
``country`` (ISO 3166-1 alpha-2), ``publisher`` (reporting-org ref) and ``sector`` (DAC code or
prefix), plus ``adm1`` (a location's first-level administrative area).
"""

from __future__ import annotations

from typing import Any

from kizuna.ledger.queries import ActivityFilter, org_names_sql, titles_sql
from kizuna.ledger.queries import data_lang as data_lang  # the language cache keys of datasets carry
from kizuna.workspace import Workspace

# IATI TransactionType codes: 2 = outgoing commitment; 3 = disbursement, 4 = expenditure.
COMMITMENT = "('2')"
SPENT = "('3', '4')"


def _activity_filter(
    country: str | None, publisher: str | None, sector: str | None, adm1: str | None
) -> tuple[str, list[Any]]:
    """The ledger's activity filter (:class:`kizuna.ledger.queries.ActivityFilter`, on alias ``a``)
    plus the dashboard's one extra: a first-level area."""
    where, params = ActivityFilter(country=country, sector=sector, publisher=publisher).where()
    sql = [where]
    if adm1:
        sql.append("a.activity_uid IN (SELECT activity_uid FROM locations WHERE adm1 = ?)")
        params.append(adm1)
    return " AND ".join(sql), params


def activity_uids_in_area(ws: Workspace, adm1: str) -> set[str]:
    """Activities with a location in the first-level area ``adm1``."""
    return {r["activity_uid"] for r in ws.query("SELECT DISTINCT activity_uid FROM locations WHERE adm1 = ?", [adm1])}


def countries(ws: Workspace) -> list[dict[str, Any]]:
    """Every country the ledger holds (:func:`kizuna.ledger.queries.ledger_countries`)."""
    from kizuna.ledger.queries import ledger_countries

    return ledger_countries(ws)


def publishers(ws: Workspace, country: str | None = None) -> list[dict[str, Any]]:
    """Reporting publishers with their activities and money in USD, largest spend first.

    Money is the ledger's ``flows`` (transactions split by country x sector share, in USD), counting
    only ``counted`` rows (money passed on to another publisher counts once, at its funder);
    committed = type 2, spent = types 3 and 4. With ``country``, only that country's share counts.
    """
    where, params = _activity_filter(country, None, None, None)
    flow_country = "AND f.country = ?" if country else ""
    return ws.query(
        f"""
        WITH act AS (SELECT a.activity_uid, a.publisher_ref, coalesce(o.name, a.publisher_name) AS publisher_name
                     FROM activities a LEFT JOIN ({org_names_sql()}) o ON o.ref = a.publisher_ref
                     WHERE {where}),
        money AS (
            SELECT f.activity_uid,
                   sum(f.usd) FILTER (WHERE f.type_code IN {COMMITMENT}) AS committed,
                   sum(f.usd) FILTER (WHERE f.type_code IN {SPENT}) AS spent
            FROM flows f WHERE f.counted {flow_country} GROUP BY f.activity_uid)
        SELECT act.publisher_ref, any_value(act.publisher_name) AS publisher_name,
               count(*) AS activities,
               round(coalesce(sum(money.committed), 0), 2) AS committed_usd,
               round(coalesce(sum(money.spent), 0), 2) AS spent_usd
        FROM act LEFT JOIN money USING (activity_uid)
        GROUP BY act.publisher_ref
        ORDER BY spent_usd DESC, committed_usd DESC, publisher_name
        """,
        params + ([country.upper()] if country else []),
    )


def publishers_by_country(ws: Workspace) -> dict[str, list[dict[str, Any]]]:
    """:func:`publishers` for every country at once, in one query: ``{country: rows}``, each country's
    rows as ``publishers(ws, country)`` gives them (its activities by the ledger's country filter, only
    that country's share of the money, the same order)."""
    rows = ws.query(
        f"""
        WITH ac AS (SELECT code AS country, activity_uid FROM activity_countries WHERE code IS NOT NULL
                    UNION SELECT code, activity_uid FROM transaction_countries WHERE code IS NOT NULL
                    UNION SELECT country, activity_uid FROM locations WHERE country IS NOT NULL),
        act AS (SELECT ac.country, a.activity_uid, a.publisher_ref,
                       coalesce(o.name, a.publisher_name) AS publisher_name
                FROM ac JOIN activities a USING (activity_uid)
                LEFT JOIN ({org_names_sql()}) o ON o.ref = a.publisher_ref),
        money AS (
            SELECT f.country, f.activity_uid,
                   sum(f.usd) FILTER (WHERE f.type_code IN {COMMITMENT}) AS committed,
                   sum(f.usd) FILTER (WHERE f.type_code IN {SPENT}) AS spent
            FROM flows f WHERE f.counted AND f.country IS NOT NULL GROUP BY f.country, f.activity_uid)
        SELECT act.country AS _country, act.publisher_ref, any_value(act.publisher_name) AS publisher_name,
               count(*) AS activities,
               round(coalesce(sum(money.committed), 0), 2) AS committed_usd,
               round(coalesce(sum(money.spent), 0), 2) AS spent_usd
        FROM act LEFT JOIN money ON money.activity_uid = act.activity_uid AND money.country = act.country
        GROUP BY act.country, act.publisher_ref
        ORDER BY act.country, spent_usd DESC, committed_usd DESC, publisher_name
        """
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r.pop("_country"), []).append(r)
    return out


def sectors(ws: Workspace, country: str | None = None) -> list[dict[str, Any]]:
    """DAC sectors (vocabularies 1 and 2) of activities, with names, most activities first."""
    where, params = _activity_filter(country, None, None, None)
    return ws.query(
        f"""
        SELECT s.code AS sector, any_value(coalesce(n5.name, n3.name, s.name)) AS name,
               count(DISTINCT s.activity_uid) AS activities
        FROM activity_sectors s JOIN activities a USING (activity_uid)
        LEFT JOIN codelist_items n5 ON n5.codelist = 'Sector' AND n5.code = s.code
        LEFT JOIN codelist_items n3 ON n3.codelist = 'SectorCategory' AND n3.code = s.code
        WHERE s.vocabulary IN ('1', '2') AND {where} GROUP BY s.code ORDER BY activities DESC, sector
        """,
        params,
    )


def admin_areas(ws: Workspace, country: str | None = None) -> list[dict[str, Any]]:
    """First-level administrative areas named by activity locations, with activity counts."""
    where, params = _activity_filter(country, None, None, None)
    return ws.query(
        f"""
        SELECT l.adm1 AS adm1, count(DISTINCT l.activity_uid) AS activities
        FROM locations l JOIN activities a USING (activity_uid)
        WHERE l.adm1 IS NOT NULL AND {where} GROUP BY 1 ORDER BY adm1
        """,
        params,
    )


def _points_sql(where: str, extra: str = "", order: str = "tl.title, a.activity_uid, l.seq") -> str:
    """The located points' SELECT (one place for its columns): ``where`` narrows activities (alias ``a``)
    and locations (``l``); ``extra`` adds columns after the shown ones."""
    return f"""
        SELECT a.activity_uid, a.iati_identifier, tl.title, coalesce(o.name, a.publisher_name) AS publisher_name,
               l.name AS place, l.adm1, l.adm2, round(l.lat, 5) AS lat, round(l.lon, 5) AS lon{extra}
        FROM locations l JOIN activities a USING (activity_uid)
        LEFT JOIN ({org_names_sql()}) o ON o.ref = a.publisher_ref
        LEFT JOIN ({titles_sql()}) tl ON tl.activity_uid = a.activity_uid
        WHERE l.lat BETWEEN -90 AND 90 AND l.lon BETWEEN -180 AND 180 AND {where}
        ORDER BY {order}
        """


def activity_points(
    ws: Workspace,
    country: str | None = None,
    publisher: str | None = None,
    sector: str | None = None,
    adm1: str | None = None,
) -> list[dict[str, Any]]:
    """Activity locations with coordinates (WGS84 degrees, 5 decimals), for maps."""
    where, params = _activity_filter(country, publisher, sector, adm1)
    in_country = "AND (l.country IS NULL OR l.country = ?)" if country else ""
    in_area = "AND l.adm1 = ?" if adm1 else ""
    extra = ([country.upper()] if country else []) + ([adm1] if adm1 else [])
    return ws.query(_points_sql(f"{where} {in_country} {in_area}"), params + extra)


# The columns :func:`all_activity_points` adds so that a filter can be applied to its rows afterwards.
POINT_KEYS = ("_location_country", "_publisher_ref")


def all_activity_points(ws: Workspace) -> list[dict[str, Any]]:
    """Every located point of :func:`activity_points` (no filter, its order), with the location's
    country and the activity's publisher ref (:data:`POINT_KEYS`) for filtering afterwards: the
    dashboard narrows these rows per request (:mod:`kizuna.web.datasets`) instead of querying again."""
    return ws.query(_points_sql("TRUE", ", l.country AS _location_country, a.publisher_ref AS _publisher_ref"))


def activity_match_keys(ws: Workspace) -> dict[str, list[tuple[Any, str]]]:
    """What :class:`kizuna.ledger.queries.ActivityFilter` and the area filter match activities on, for
    every activity at once, as ``(value, activity_uid)`` pairs: ``country`` (an activity- or
    transaction-level recipient country or a location's country: the filter's three subqueries),
    ``sector`` (DAC codes of vocabularies 1 and 2, activity- or transaction-level) and ``adm1`` (a
    location's first-level area)."""
    con = ws.con
    return {
        "country": con.execute(
            "SELECT code, activity_uid FROM activity_countries WHERE code IS NOT NULL"
            " UNION SELECT code, activity_uid FROM transaction_countries WHERE code IS NOT NULL"
            " UNION SELECT country, activity_uid FROM locations WHERE country IS NOT NULL"
        ).fetchall(),
        "sector": con.execute(
            "SELECT code, activity_uid FROM activity_sectors WHERE vocabulary IN ('1','2') AND code IS NOT NULL"
            " UNION SELECT code, activity_uid FROM transaction_sectors WHERE vocabulary IN ('1','2')"
            " AND code IS NOT NULL"
        ).fetchall(),
        "adm1": con.execute("SELECT DISTINCT adm1, activity_uid FROM locations WHERE adm1 IS NOT NULL").fetchall(),
    }


def presence(
    ws: Workspace,
    country: str | None = None,
    publisher: str | None = None,
    sector: str | None = None,
    adm1: str | None = None,
) -> list[dict[str, Any]]:
    """Who does what where: activities per first-level area x ally (the heat matrix, long form)."""
    where, params = _activity_filter(country, publisher, sector, adm1)
    return ws.query(
        f"""
        SELECT coalesce(l.adm1, '(unspecified)') AS adm1, a.publisher_ref,
               any_value(coalesce(o.name, a.publisher_name)) AS publisher_name,
               count(DISTINCT a.activity_uid) AS activities
        FROM activities a LEFT JOIN locations l USING (activity_uid)
        LEFT JOIN ({org_names_sql()}) o ON o.ref = a.publisher_ref
        WHERE {where} {"AND l.adm1 = ?" if adm1 else ""}
        GROUP BY 1, 2 ORDER BY adm1, publisher_name
        """,
        params + ([adm1] if adm1 else []),
    )


def holds_synthetic_data(ws: Workspace) -> bool:
    """True when any import is the demo's or names a synthetic file or publisher (case-insensitive),
    or an activity carries the demo's ``[SYNTHETIC]`` title or ``Synthetic — …`` publisher."""
    n = ws.scalar(
        "SELECT count(*) FROM imports WHERE kind = 'demo' OR file_name ILIKE '%synthetic%'"
        " OR publisher ILIKE '%synthetic%'"
    )
    if n:
        return True
    n = ws.scalar(
        "SELECT count(*) FROM activities WHERE title ILIKE '%[SYNTHETIC]%' OR publisher_name ILIKE 'synthetic%'"
    )
    return bool(n)


def activity_points_of(ws: Workspace, uids: list[str]) -> list[dict[str, Any]]:
    """Located points of the given activities (for the map of an overlap pair)."""
    if not uids:
        return []
    return ws.query(_points_sql("list_contains(?, a.activity_uid)", order="a.activity_uid, l.seq"), [uids])


# --- measure: the stored vital-core runs (0030_measure.sql) ------------------------------------------

AF_MEASURES = ("H", "A", "M0")


def latest_run(ws: Workspace) -> int | None:
    """The newest vital-core run id, or None when there is none."""
    return ws.scalar("SELECT max(run_id) FROM measure_runs")


def vital_core_estimates(ws: Workspace, group: str | None = None, round: str | None = None) -> list[dict[str, Any]]:
    """H, A and M0 with SE and CI of the latest run at its k, by round and subgroup (``group``:
    'all', or a subgroup variable such as admin1; default 'all')."""
    run = latest_run(ws)
    return ws.query(
        """
        SELECT e.round, e.group_var, e.group_label, e.measure, e.b AS estimate, e.se, e.lo, e.hi, e.n,
               round(e.pop) AS population, e.k, coalesce(e.suppressed, false) AS suppressed, e.run_id
        FROM measure_estimates e JOIN measure_runs r USING (run_id)
        WHERE e.run_id = ? AND e.k = r.k AND e.indicator IS NULL AND e.measure IN ('H', 'A', 'M0')
          AND e.group_var = ? AND (? IS NULL OR e.round = ?)
        ORDER BY e.round, e.group_label, array_position(['H', 'A', 'M0'], e.measure)
        """,
        [run, group or "all", round, round],
    )


def vital_core_contributions(ws: Workspace, group: str | None = None, round: str | None = None) -> list[dict[str, Any]]:
    """Per indicator: censored headcount (hdk) and percentage contribution to M0 (pctb), latest run
    at its k, by round (``group`` as in :func:`vital_core_estimates`)."""
    run = latest_run(ws)
    return ws.query(
        """
        SELECT e.round, e.group_var, e.group_label, e.indicator,
               max(e.b) FILTER (WHERE e.measure = 'hdk') AS censored_headcount,
               max(e.b) FILTER (WHERE e.measure = 'hd') AS uncensored_headcount,
               max(e.b) FILTER (WHERE e.measure = 'pctb') AS contribution_pct,
               max(e.lo) FILTER (WHERE e.measure = 'pctb') AS contribution_lo,
               max(e.hi) FILTER (WHERE e.measure = 'pctb') AS contribution_hi,
               coalesce(bool_or(e.suppressed), false) AS suppressed
        FROM measure_estimates e JOIN measure_runs r USING (run_id)
        WHERE e.run_id = ? AND e.k = r.k AND e.indicator IS NOT NULL AND e.group_var = ?
          AND (? IS NULL OR e.round = ?)
        GROUP BY ALL ORDER BY e.round, e.group_label, contribution_pct DESC NULLS LAST
        """,
        [run, group or "all", round, round],
    )


def vital_core_changes(ws: Workspace, group: str | None = None) -> list[dict[str, Any]]:
    """Changes of H, A and M0 between consecutive rounds (absolute and relative, with delta-method
    SE and CI as stored by kizuna.measure), latest run at its k."""
    run = latest_run(ws)
    return ws.query(
        """
        SELECT c.group_var, c.group_label, c.measure, c.from_round, c.to_round, c.years, c.change,
               c.b1 AS from_value, c.b2 AS to_value, c.value, c.se, c.lo, c.hi,
               coalesce(c.suppressed, false) AS suppressed
        FROM measure_changes c JOIN measure_runs r USING (run_id)
        WHERE c.run_id = ? AND c.k = r.k AND c.indicator IS NULL AND c.group_var = ?
          AND c.change IN ('abs', 'rel')
        ORDER BY c.group_label, array_position(['H', 'A', 'M0'], c.measure), c.change, c.from_round
        """,
        [run, group or "all"],
    )


def vital_core_groups(ws: Workspace) -> list[dict[str, Any]]:
    """Subgroup variables of the latest run ('all' first)."""
    run = latest_run(ws)
    return ws.query(
        "SELECT group_var, count(DISTINCT group_label) AS groups FROM measure_estimates WHERE run_id = ?"
        " GROUP BY group_var ORDER BY group_var <> 'all', group_var",
        [run],
    )


# --- screen: stored risk registers (0040_screen.sql) -----------------------------------------------------


def register_risks(ws: Workspace, register: int | None = None) -> list[dict[str, Any]]:
    """Every rule that fired, per register (all registers, or one): why, impact x likelihood, mitigation.

    ``why`` carries only published facts (:func:`kizuna.screen.schema.published_why`): a register stored
    before consultation text was kept out of registers may still hold it, and it is not served."""
    from kizuna.screen.schema import published_why

    rows = ws.query(
        """
        SELECT k.register_id, r.proposal_id, k.seq, k.rule_id, k.family, k.question, k.impact, k.likelihood,
               k.score, k.significance, k.facts AS why, k.adjustments, k.mitigation, k.source
        FROM screen_risks k JOIN screen_registers r USING (register_id)
        WHERE ? IS NULL OR k.register_id = ?
        ORDER BY k.register_id DESC, k.score DESC, k.seq
        """,
        [register, register],
    )
    for r in rows:
        r["why"] = published_why(r["why"])
    return rows


def register_gaps(ws: Workspace, register: int | None = None) -> list[dict[str, Any]]:
    """Rules that could not be decided for want of facts, per register."""
    return ws.query(
        """
        SELECT g.register_id, r.proposal_id, g.rule_id, g.question, g.unknown AS unknown_facts
        FROM screen_gaps g JOIN screen_registers r USING (register_id)
        WHERE ? IS NULL OR g.register_id = ?
        ORDER BY g.register_id DESC, g.rule_id
        """,
        [register, register],
    )


def register_detail(ws: Workspace, register: int) -> dict[str, Any] | None:
    """One register with its proposal file's provenance (path and sha256) and its layers."""
    rows = ws.query(
        """
        SELECT r.register_id, r.proposal_id, r.title, r.project_type, r.category, r.as_of, r.next_steps,
               r.layers, r.facts, i.file_path, i.sha256 AS proposal_sha256
        FROM screen_registers r JOIN imports i USING (import_id) WHERE r.register_id = ?
        """,
        [register],
    )
    return rows[0] if rows else None


def latest_register(ws: Workspace) -> int | None:
    """The newest screening register's id (None when none is stored)."""
    return ws.scalar("SELECT max(register_id) FROM screen_registers")


# --- what the datasets and their filters need (kizuna.web.datasets) ------------------------------------


def row_count(ws: Workspace, table: str) -> int:
    """How many rows ``table`` holds (a dataset is ready when its first table holds any). ``table`` is
    one of the datasets' declared table names, never a request's text."""
    return int(ws.scalar(f'SELECT count(*) FROM "{table}"') or 0)


# The values each filter accepts (kizuna.validate checks a request's filters against them), one query
# per filter: name -> (SELECT giving the values as column v, the tables it reads).
FILTER_VALUES: dict[str, tuple[str, tuple[str, ...]]] = {
    "publisher": (
        "SELECT DISTINCT publisher_ref AS v FROM activities WHERE publisher_ref IS NOT NULL",
        ("activities",),
    ),
    "sector": (
        "SELECT DISTINCT code AS v FROM activity_sectors WHERE vocabulary IN ('1', '2') AND code IS NOT NULL"
        " UNION SELECT DISTINCT sector FROM flows WHERE sector IS NOT NULL",
        ("activity_sectors", "flows"),
    ),
    "location-adm1": ("SELECT DISTINCT adm1 AS v FROM locations WHERE adm1 IS NOT NULL", ("locations",)),
    "needs-adm1": ("SELECT DISTINCT admin1 AS v FROM measure_needs WHERE admin1 IS NOT NULL", ("measure_needs",)),
    "register": ("SELECT register_id AS v FROM screen_registers", ("screen_registers",)),
    "round": (
        "SELECT DISTINCT round AS v FROM measure_estimates"
        " WHERE run_id = (SELECT max(run_id) FROM measure_runs) AND round IS NOT NULL",
        ("measure_runs", "measure_estimates"),
    ),
    # track, training evaluation (issue 14)
    "course": ("SELECT course AS v FROM training_courses", ("training_courses",)),
}


def filter_values(ws: Workspace, name: str) -> list[str]:
    """The distinct values of :data:`FILTER_VALUES` ``name`` as text, sorted."""
    sql, _tables = FILTER_VALUES[name]
    return sorted({str(r["v"]) for r in ws.query(sql)})


def held_activities(ws: Workspace, ids: list[str], examples: int) -> tuple[list[str], list[str]]:
    """Which of ``ids`` the ledger holds, and its first ``examples`` activity ids (for a hint)."""
    held = ws.query("SELECT activity_uid AS v FROM activities WHERE list_contains(?, activity_uid)", [ids])
    first = ws.query("SELECT activity_uid AS v FROM activities ORDER BY 1 LIMIT ?", [int(examples)])
    return [r["v"] for r in held], [r["v"] for r in first]
