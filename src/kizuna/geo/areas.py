"""Area names and shapes as the rest of Kizuna reads them (their SQL is in :mod:`kizuna.geo.queries`).

:func:`area_names` is the function every part uses to put a name on a P-code. Its sources, best
first: boundary files (``kizuna boundaries add x.geojson``), P-code gazetteers and COD-AB workbooks
(names without geometry), then the code/name pairs of ingested 3W sheets — so a workspace holding
only a 3W sheet still names its areas. Within one source the latest import wins.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import polars as pl

from kizuna.geo import queries
from kizuna.geo.assign import assign_admin

AREA_SCHEMA = {
    "country": pl.String,
    "level": pl.Int64,
    "pcode": pl.String,
    "name": pl.String,
    "parent_pcode": pl.String,
    "source": pl.String,
}
SOURCE_RANK = queries.SOURCE_RANK


def _con(con_or_ws: Any) -> Any:
    return getattr(con_or_ws, "con", con_or_ws)


def _typed(df: pl.DataFrame | None, schema: dict[str, Any]) -> pl.DataFrame:
    if df is None or df.height == 0:
        return pl.DataFrame(schema=schema)
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])


def area_names(con_or_ws: Any, country: str | None = None) -> pl.DataFrame:
    """Every named admin area: country (ISO alpha-2), level, pcode, name, parent_pcode, source.

    One row per P-code, from the best source that names it (boundaries, then gazetteer/COD-AB lists,
    then 3W sheets; the latest import within a source). ``country`` keeps one country (any case).
    An empty frame (same columns) when nothing is known.
    """
    return _typed(queries.named_areas(_con(con_or_ws), country.strip().upper() if country else None), AREA_SCHEMA)


def with_area_names(df: pl.DataFrame, names: pl.DataFrame, columns: tuple[str, ...] = ("adm1", "adm2")) -> pl.DataFrame:
    """``df`` with a ``<col>_name`` column after each P-code column of ``columns`` it has (pure)."""
    lookup = names.select("pcode", "name").unique("pcode")
    out = df
    for col in columns:
        if col not in out.columns:
            continue
        named = lookup.rename({"pcode": col, "name": f"{col}_name"})
        out = out.join(named, on=col, how="left", coalesce=True)
        order = [c for c in out.columns if c != f"{col}_name"]
        order.insert(order.index(col) + 1, f"{col}_name")
        out = out.select(order)
    return out


def boundary_polygons(con_or_ws: Any) -> list[tuple[int, str, str | None, Any, str | None]]:
    """``(level, pcode, parent_pcode, polygon, country)`` of every area with geometry (the latest import
    of each P-code), polygons decoded from WKB."""
    import shapely

    rows = queries.polygon_rows(_con(con_or_ws))
    if not rows:
        return []
    geoms = shapely.from_wkb([r[3] for r in rows])
    return [(int(r[0]), r[1], r[2], g, r[4]) for r, g in zip(rows, geoms, strict=True)]


def locate_points(
    lon: np.ndarray, lat: np.ndarray, polygons: list[tuple[int, str, str | None, Any, str | None]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(country, adm1, adm2)`` for each point from :func:`boundary_polygons` (see :mod:`kizuna.geo.assign`)."""
    adm1, adm2 = assign_admin(lon, lat, [(lvl, p, par, g) for lvl, p, par, g, _c in polygons])
    country_of = {p: c for _lvl, p, _par, _g, c in polygons}
    country = np.array([country_of.get(a2 or a1) if (a2 or a1) else None for a1, a2 in zip(adm1, adm2, strict=True)])
    return country, adm1, adm2


POINT_AREA_SCHEMA = {
    "activity_uid": pl.String,
    "seq": pl.Int64,
    "lat": pl.Float64,
    "lon": pl.Float64,
    "pip_country": pl.String,
    "pip_adm1": pl.String,
    "pip_adm2": pl.String,
}


def with_point_areas(con_or_ws: Any, locs: pl.DataFrame) -> pl.DataFrame:
    """Locations (``activity_uid, seq, adm1, adm2, lat, lon, country, admin_vocabulary``) with the admin
    areas their coordinates fall in, from the boundaries in the workspace.

    Points placed when the boundaries were added come from ``location_areas``; points ingested since
    are placed now (in memory). A location from an IATI file takes the P-codes of the areas its point
    lies in (its own ``administrative`` codes are of other vocabularies); a 3W row keeps the P-codes
    it gives and takes the point's only where it gives none. The country is filled where missing.
    """
    con = _con(con_or_ws)
    located = locs.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null())
    if located.height == 0:
        return locs
    placed = queries.placed_points(con)
    if placed is None or not queries.has_polygons(con):
        return locs
    key = ["activity_uid", "seq", "lat", "lon"]
    cached = _typed(placed, POINT_AREA_SCHEMA)
    points = located.select(key).unique()
    missing = points.join(cached.select(key), on=key, how="anti")
    if missing.height:
        country, adm1, adm2 = locate_points(
            missing.get_column("lon").to_numpy(), missing.get_column("lat").to_numpy(), boundary_polygons(con)
        )
        fresh = missing.with_columns(
            pl.Series("pip_country", country, dtype=pl.String),
            pl.Series("pip_adm1", adm1, dtype=pl.String),
            pl.Series("pip_adm2", adm2, dtype=pl.String),
        )
        cached = pl.concat([cached, fresh], how="vertical_relaxed")
    out = locs.join(cached, on=key, how="left")
    found = pl.col("pip_adm1").is_not_null() | pl.col("pip_adm2").is_not_null()
    from_iati = pl.col("admin_vocabulary").fill_null("") != "3W"
    return out.with_columns(
        pl.when(found & from_iati).then(pl.col("pip_adm1")).otherwise(pl.coalesce("adm1", "pip_adm1")).alias("adm1"),
        pl.when(found & from_iati).then(pl.col("pip_adm2")).otherwise(pl.coalesce("adm2", "pip_adm2")).alias("adm2"),
        pl.coalesce("country", "pip_country").alias("country"),
    ).drop("pip_country", "pip_adm1", "pip_adm2")


def boundary_shapes(con_or_ws: Any, country: str | None = None, level: int | None = None) -> dict[str, Any]:
    """The simplified shapes for a map, as a GeoJSON FeatureCollection; each feature's properties carry
    ``pcode``, ``name``, ``level``, ``parent_pcode``, ``parent_name`` and its label point (``label_lon``,
    ``label_lat``). ``level`` None: the finest level the country has. Empty when nothing is loaded."""
    rows = queries.shape_rows(_con(con_or_ws), country.strip().upper() if country else None, level)
    if level is None and rows:
        by_country: dict[str | None, int] = {}
        for r in rows:
            by_country[r[8]] = max(by_country.get(r[8], 0), int(r[0]))
        rows = [r for r in rows if int(r[0]) == by_country[r[8]]]
    features = [
        {
            "type": "Feature",
            "properties": {
                "pcode": r[1],
                "name": r[2] or r[1],
                "level": int(r[0]),
                "parent_pcode": r[3],
                "parent_name": r[4],
                "label_lon": r[6],
                "label_lat": r[7],
            },
            "geometry": json.loads(r[5]),
        }
        for r in rows
    ]
    return {"type": "FeatureCollection", "features": features}
