"""The SQL of the geo part's reads: ``admin_areas`` and ``location_areas`` (the writes are in
:mod:`kizuna.geo.store`). :mod:`kizuna.geo.areas` turns these rows into what the other parts use.

Each function takes a DuckDB connection (or anything with its ``execute``/``sql``) and answers "nothing"
(None or an empty list) when the table is not there, so a workspace from before the geo part still reads.
"""

from __future__ import annotations

from typing import Any

import polars as pl

SOURCE_RANK = "CASE source WHEN 'boundaries' THEN 0 WHEN 'gazetteer' THEN 1 ELSE 2 END"


def has_table(con: Any, name: str) -> bool:
    rows = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()
    return bool(rows[0][0])


def _frame(con: Any, sql: str, params: list[Any]) -> pl.DataFrame:
    df = pl.from_arrow(con.sql(sql, params=params).to_arrow_table() if params else con.sql(sql).to_arrow_table())
    assert isinstance(df, pl.DataFrame)
    return df


def named_areas(con: Any, country: str | None = None) -> pl.DataFrame | None:
    """``country, level, pcode, name, parent_pcode, source``: one row per named P-code, from the best
    source (boundaries, then gazetteer/COD-AB lists, then 3W sheets; the latest import within one).
    ``country``: ISO alpha-2 in upper case, or None for all. None when there is no ``admin_areas``."""
    if not has_table(con, "admin_areas"):
        return None
    where, params = "name IS NOT NULL", []
    if country:
        where += " AND country = ?"
        params.append(country)
    sql = f"""
        SELECT country, level, pcode, name, parent_pcode, source FROM admin_areas WHERE {where}
        QUALIFY row_number() OVER (PARTITION BY pcode ORDER BY {SOURCE_RANK}, import_id DESC) = 1
        ORDER BY country, level, pcode
    """
    return _frame(con, sql, params)


def polygon_rows(con: Any) -> list[tuple[Any, ...]]:
    """``(level, pcode, parent_pcode, geometry WKB, country)`` of every area with geometry (the latest
    import of each P-code)."""
    if not has_table(con, "admin_areas"):
        return []
    return con.execute(
        """
        SELECT level, pcode, parent_pcode, geometry, country FROM admin_areas
        WHERE geometry IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY level, pcode ORDER BY import_id DESC) = 1
        """
    ).fetchall()


def has_polygons(con: Any) -> bool:
    """Whether any area has a geometry (false when the tables are not there)."""
    if not has_table(con, "admin_areas"):
        return False
    return bool(con.execute("SELECT count(*) FROM admin_areas WHERE geometry IS NOT NULL").fetchall()[0][0])


def placed_points(con: Any) -> pl.DataFrame | None:
    """The points placed when boundaries were added: ``activity_uid, seq, lat, lon, pip_country,
    pip_adm1, pip_adm2`` (``location_areas``); None when there is no such table."""
    if not has_table(con, "location_areas"):
        return None
    return _frame(
        con,
        "SELECT activity_uid, seq, lat, lon, country AS pip_country, adm1 AS pip_adm1, adm2 AS pip_adm2"
        " FROM location_areas",
        [],
    )


def shape_rows(con: Any, country: str | None = None, level: int | None = None) -> list[tuple[Any, ...]]:
    """``(level, pcode, name, parent_pcode, parent_name, shape GeoJSON, label_lon, label_lat, country)``
    of the simplified shapes (the latest import of each P-code; names from the best source), ordered
    by level and P-code. ``country`` upper-case ISO alpha-2 or None; ``level`` None: every level."""
    if not has_table(con, "admin_areas"):
        return []
    where: list[str] = ["shape IS NOT NULL"]
    params: list[Any] = []
    if country:
        where.append("country = ?")
        params.append(country)
    if level is not None:
        where.append("level = ?")
        params.append(level)
    return con.execute(
        f"""
        WITH latest AS (
            SELECT * FROM admin_areas WHERE {" AND ".join(where)}
            QUALIFY row_number() OVER (PARTITION BY level, pcode ORDER BY import_id DESC) = 1),
        named AS (
            SELECT pcode, name FROM admin_areas WHERE name IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY pcode ORDER BY {SOURCE_RANK}, import_id DESC) = 1)
        SELECT l.level, l.pcode, coalesce(n.name, l.name), l.parent_pcode, p.name, l.shape, l.label_lon,
               l.label_lat, l.country
        FROM latest l LEFT JOIN named n ON n.pcode = l.pcode LEFT JOIN named p ON p.pcode = l.parent_pcode
        ORDER BY l.level, l.pcode
        """,
        params,
    ).fetchall()


def area_summary(con: Any) -> list[dict[str, Any]]:
    """Admin areas by country, level and source: ``areas`` (distinct P-codes), ``with_geometry`` and
    ``files`` (the imported files, joined with ", "). Empty when there is no ``admin_areas``."""
    if not has_table(con, "admin_areas"):
        return []
    cur = con.execute(
        "SELECT country, level, source, count(DISTINCT pcode) AS areas,"
        " count(geometry) > 0 AS with_geometry, list(DISTINCT i.file_name ORDER BY i.file_name) AS files"
        " FROM admin_areas a JOIN imports i USING (import_id)"
        " GROUP BY country, level, source ORDER BY country, level, source"
    )
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        r["files"] = ", ".join(r["files"])
    return rows
