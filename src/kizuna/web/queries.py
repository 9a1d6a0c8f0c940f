"""Read-only queries the dashboard needs that no part provides yet.

Kept small on purpose: each is one SELECT over the ledger tables (``0002_ledger.sql``) and the
imports table, returns rows as dicts, and writes nothing. When a part ships its own query
function for the same thing, the web layer switches to it and the query here goes.

Every query takes the same optional filters (``None`` = no filter):
``country`` (ISO 3166-1 alpha-2, from ``activity_countries``), ``ally`` (the reporting
publisher's ref), ``sector`` (a sector code or, for 3W rows without one, its name), ``adm1``
(a location's first-level administrative area) and ``q`` (text in the title, case-insensitive).
"""

from __future__ import annotations

from typing import Any

from kizuna.workspace import Workspace

# Transaction type codes (IATI TransactionType codelist): 2 = outgoing commitment,
# 3 = disbursement, 4 = expenditure.
COMMITMENT = "('2')"
SPENT = "('3', '4')"


def _activity_filter(
    country: str | None,
    ally: str | None,
    sector: str | None,
    adm1: str | None,
    q: str | None,
    alias: str = "a",
) -> tuple[str, list[Any]]:
    """A WHERE clause (starting with ``TRUE``) and its parameters, on activities aliased ``alias``."""
    sql = ["TRUE"]
    params: list[Any] = []
    if country:
        sql.append(f"{alias}.activity_uid IN (SELECT activity_uid FROM activity_countries WHERE code = ?)")
        params.append(country)
    if ally:
        sql.append(f"{alias}.publisher_ref = ?")
        params.append(ally)
    if sector:
        sql.append(
            f"{alias}.activity_uid IN (SELECT activity_uid FROM activity_sectors WHERE code = ? OR name = ?)"
        )
        params += [sector, sector]
    if adm1:
        sql.append(f"{alias}.activity_uid IN (SELECT activity_uid FROM locations WHERE adm1 = ?)")
        params.append(adm1)
    if q:
        sql.append(f"{alias}.title ILIKE ?")
        params.append("%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    return " AND ".join(sql), params


def countries(ws: Workspace) -> list[dict[str, Any]]:
    """Countries with at least one activity, most activities first."""
    return ws.query(
        "SELECT code AS country, count(DISTINCT activity_uid) AS activities FROM activity_countries"
        " GROUP BY code ORDER BY activities DESC, code"
    )


def allies(ws: Workspace, country: str | None = None) -> list[dict[str, Any]]:
    """Allies (reporting publishers) with their activities and money in USD, largest spend first.

    Money comes from ``flows`` (transactions split by country x sector share and converted to
    USD by the ledger), counting only rows with ``counted`` (money passed on to another publisher
    is counted once, at its funder). With ``country``, only that country's share counts.
    """
    where, params = _activity_filter(country, None, None, None, None)
    flow_country = "AND f.country = ?" if country else ""
    return ws.query(
        f"""
        WITH act AS (SELECT activity_uid, publisher_ref, publisher_name FROM activities a WHERE {where}),
        money AS (
            SELECT f.activity_uid,
                   sum(f.usd) FILTER (WHERE f.type_code IN {COMMITMENT}) AS committed,
                   sum(f.usd) FILTER (WHERE f.type_code IN {SPENT}) AS spent
            FROM flows f WHERE f.counted {flow_country} GROUP BY f.activity_uid)
        SELECT act.publisher_ref AS ally_ref, any_value(act.publisher_name) AS ally,
               count(*) AS activities,
               round(coalesce(sum(money.committed), 0), 2) AS committed_usd,
               round(coalesce(sum(money.spent), 0), 2) AS spent_usd
        FROM act LEFT JOIN money USING (activity_uid)
        GROUP BY act.publisher_ref
        ORDER BY spent_usd DESC, committed_usd DESC, ally
        """,
        params + ([country] if country else []),
    )


def sectors(ws: Workspace, country: str | None = None) -> list[dict[str, Any]]:
    """Sectors used by activities (code, or the 3W name when no code), most activities first."""
    where, params = _activity_filter(country, None, None, None, None)
    return ws.query(
        f"""
        SELECT coalesce(s.code, s.name) AS sector, any_value(s.name) AS name,
               any_value(s.vocabulary) AS vocabulary, count(DISTINCT s.activity_uid) AS activities
        FROM activity_sectors s JOIN activities a USING (activity_uid)
        WHERE {where} GROUP BY 1 ORDER BY activities DESC, sector
        """,
        params,
    )


def admin_areas(ws: Workspace, country: str | None = None) -> list[dict[str, Any]]:
    """First-level administrative areas named by activity locations, with activity counts."""
    where, params = _activity_filter(country, None, None, None, None)
    return ws.query(
        f"""
        SELECT l.adm1 AS adm1, count(DISTINCT l.activity_uid) AS activities
        FROM locations l JOIN activities a USING (activity_uid)
        WHERE l.adm1 IS NOT NULL AND {where} GROUP BY 1 ORDER BY adm1
        """,
        params,
    )


def activities(
    ws: Workspace,
    country: str | None = None,
    ally: str | None = None,
    sector: str | None = None,
    adm1: str | None = None,
    q: str | None = None,
) -> list[dict[str, Any]]:
    """Activities with their ally, sectors, areas, dates and money (USD), by title."""
    where, params = _activity_filter(country, ally, sector, adm1, q)
    flow_country = "AND f.country = ?" if country else ""
    return ws.query(
        f"""
        WITH act AS (SELECT * FROM activities a WHERE {where}),
        sec AS (SELECT activity_uid,
                string_agg(DISTINCT coalesce(code, name), ', ' ORDER BY coalesce(code, name))
                AS sectors FROM activity_sectors WHERE activity_uid IN (SELECT activity_uid FROM act)
                GROUP BY activity_uid),
        area AS (SELECT activity_uid, string_agg(DISTINCT adm1, ', ' ORDER BY adm1) AS areas
                 FROM locations WHERE activity_uid IN (SELECT activity_uid FROM act) GROUP BY activity_uid),
        money AS (SELECT f.activity_uid,
                         sum(f.usd) FILTER (WHERE f.type_code IN {COMMITMENT}) AS committed,
                         sum(f.usd) FILTER (WHERE f.type_code IN {SPENT}) AS spent
                  FROM flows f WHERE f.counted {flow_country}
                  AND f.activity_uid IN (SELECT activity_uid FROM act) GROUP BY f.activity_uid)
        SELECT act.iati_identifier, act.title, act.publisher_name AS ally, act.publisher_ref AS ally_ref,
               sec.sectors, area.areas, act.status_code AS status, act.start_date, act.end_date,
               round(money.committed, 2) AS committed_usd, round(money.spent, 2) AS spent_usd,
               act.source
        FROM act LEFT JOIN sec USING (activity_uid) LEFT JOIN area USING (activity_uid)
        LEFT JOIN money USING (activity_uid)
        ORDER BY act.title, act.activity_uid
        """,
        params + ([country] if country else []),
    )


def activity_points(
    ws: Workspace,
    country: str | None = None,
    ally: str | None = None,
    sector: str | None = None,
    adm1: str | None = None,
    q: str | None = None,
) -> list[dict[str, Any]]:
    """Activity locations with coordinates (WGS84 degrees), for maps."""
    where, params = _activity_filter(country, ally, sector, adm1, q)
    country_sql = "AND (l.country IS NULL OR l.country = ?)" if country else ""
    return ws.query(
        f"""
        SELECT a.iati_identifier, a.title, a.publisher_name AS ally, l.name AS place, l.adm1, l.adm2,
               round(l.lat, 5) AS lat, round(l.lon, 5) AS lon
        FROM locations l JOIN activities a USING (activity_uid)
        WHERE l.lat IS NOT NULL AND l.lon IS NOT NULL AND l.lat BETWEEN -90 AND 90
          AND l.lon BETWEEN -180 AND 180 AND {where} {country_sql}
        ORDER BY a.title, l.seq
        """,
        params + ([country] if country else []),
    )


def presence(
    ws: Workspace,
    country: str | None = None,
    ally: str | None = None,
    sector: str | None = None,
    adm1: str | None = None,
) -> list[dict[str, Any]]:
    """Who does what where: activities per first-level area x ally (a long-form heat matrix)."""
    where, params = _activity_filter(country, ally, sector, adm1, None)
    return ws.query(
        f"""
        SELECT coalesce(l.adm1, '(unspecified)') AS adm1, a.publisher_name AS ally,
               a.publisher_ref AS ally_ref,
               count(DISTINCT a.activity_uid) AS activities
        FROM activities a LEFT JOIN locations l USING (activity_uid)
        WHERE {where} {"AND (l.adm1 = ?)" if adm1 else ""}
        GROUP BY 1, 2, 3 ORDER BY adm1, ally
        """,
        params + ([adm1] if adm1 else []),
    )


def holds_synthetic_data(ws: Workspace) -> bool:
    """True when any import is the demo's or names a synthetic file or publisher (case-insensitive)."""
    row = ws.con.execute(
        "SELECT count(*) FROM imports WHERE kind = 'demo' OR file_name ILIKE '%synthetic%'"
        " OR publisher ILIKE '%synthetic%'"
    ).fetchone()
    if row and row[0]:
        return True
    row = ws.con.execute(
        "SELECT count(*) FROM activities WHERE title ILIKE '%[SYNTHETIC]%'"
        " OR publisher_name ILIKE 'synthetic%'"
    ).fetchone()
    return bool(row and row[0])
