"""Storing admin areas: ``kizuna boundaries add`` and the areas 3W sheets name (the writes of kizuna.geo).

A boundary file lands in one transaction with its provenance (``imports`` kind ``boundaries``); the
same file again (same sha256) changes nothing. Adding boundaries re-places every located point of the
ledger (``location_areas``) in the same transaction.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from kizuna.geo.areas import boundary_polygons, locate_points
from kizuna.geo.readers import Area, read_boundaries
from kizuna.workspace import Workspace, file_sha256

# Map shapes: simplified with this tolerance (degrees; ~1 km at the equator for admin-1, ~400 m for
# finer levels) and rounded to 3 decimals (~100 m), so a country's districts stay a few hundred kB.
SHAPE_TOLERANCE = {1: 0.01}
SHAPE_TOLERANCE_FINE = 0.004
SHAPE_DECIMALS = 3


@dataclass
class BoundariesResult:
    path: Path
    status: str  # 'imported' | 'skipped'
    import_id: int | None = None
    kind: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # "SS admin-2" -> areas
    warnings: list[str] = field(default_factory=list)
    located_points: int = 0  # ledger points placed in an area after this import


def add_boundaries(ws: Workspace, path: Path | str, level: int | None = None) -> BoundariesResult:
    """Add a boundary file or P-code list to the workspace (one transaction; idempotent by sha256).

    The file is read and checked whole before anything is written, so a bad file changes nothing.
    """
    path = Path(path)
    bf = read_boundaries(path, level)
    sha = file_sha256(path)
    if ws.already_imported("boundaries", sha):
        return BoundariesResult(path, "skipped", kind=bf.kind)
    counts = Counter(f"{a.country or '?'} admin-{a.level}" for a in bf.areas)
    result = BoundariesResult(path, "imported", kind=bf.kind, counts=dict(sorted(counts.items())), warnings=bf.warnings)
    source = "gazetteer" if all(a.geometry is None for a in bf.areas) else "boundaries"
    with ws.transaction() as con:
        import_id = ws.record_import(
            con,
            kind="boundaries",
            path=path,
            sha256=sha,
            version=bf.kind,
            counts=result.counts,
            warnings={"boundaries.repaired": len(bf.warnings)} if bf.warnings else None,
        )
        result.import_id = import_id
        _insert_areas(con, import_id, source, bf.areas)
        if source == "boundaries":
            result.located_points = refresh_location_areas(con)
    return result


def _shape_fields(a: Area) -> tuple[Any, ...]:
    import shapely

    g = a.geometry
    if g is None:
        return (None, None, None, None, None, None, None, None)
    tol = SHAPE_TOLERANCE.get(a.level, SHAPE_TOLERANCE_FINE)
    simple = shapely.set_precision(shapely.simplify(g, tol, preserve_topology=True), 10**-SHAPE_DECIMALS)
    if simple.is_empty:
        simple = g
    # d3-geo (Vega-Lite) reads rings on the sphere: an exterior ring must run clockwise
    simple = shapely.orient_polygons(simple, exterior_cw=True)
    label = g.representative_point()
    minx, miny, maxx, maxy = g.bounds
    return (
        shapely.to_wkb(g),
        json.dumps(shapely.geometry.mapping(simple), separators=(",", ":")),
        minx,
        miny,
        maxx,
        maxy,
        label.x,
        label.y,
    )


def _insert_areas(con: Any, import_id: int, source: str, areas: list[Area]) -> None:
    if not areas:
        return
    shapes = [_shape_fields(a) for a in areas]
    cols = list(zip(*shapes, strict=True))
    table = pa.table(
        {
            "import_id": pa.array([import_id] * len(areas), pa.int32()),
            "source": [source] * len(areas),
            "country": pa.array([a.country for a in areas], pa.string()),
            "level": pa.array([a.level for a in areas], pa.int32()),
            "pcode": [a.pcode for a in areas],
            "name": pa.array([a.name for a in areas], pa.string()),
            "parent_pcode": pa.array([a.parent_pcode for a in areas], pa.string()),
            "valid_from": pa.array([a.valid_from for a in areas], pa.date32()),
            "feature": pa.array([a.feature for a in areas], pa.int32()),
            "geometry": pa.array(cols[0], pa.binary()),
            "shape": pa.array(cols[1], pa.string()),
            "min_lon": pa.array(cols[2], pa.float64()),
            "min_lat": pa.array(cols[3], pa.float64()),
            "max_lon": pa.array(cols[4], pa.float64()),
            "max_lat": pa.array(cols[5], pa.float64()),
            "label_lon": pa.array(cols[6], pa.float64()),
            "label_lat": pa.array(cols[7], pa.float64()),
        }
    )
    con.register("_area_rows", table)
    try:
        con.execute(f"INSERT INTO admin_areas ({', '.join(table.column_names)}) SELECT * FROM _area_rows")
    finally:
        con.unregister("_area_rows")


def refresh_location_areas(con: Any) -> int:
    """Place every located point of the ledger in the admin areas of the workspace (replaces
    ``location_areas`` whole); returns how many points fell in an area."""
    con.execute("DELETE FROM location_areas")
    pts = con.sql(
        "SELECT DISTINCT activity_uid, seq, lat, lon FROM locations WHERE lat IS NOT NULL AND lon IS NOT NULL"
    ).to_arrow_table()
    if pts.num_rows == 0:
        return 0
    polygons = boundary_polygons(con)
    country, adm1, adm2 = locate_points(
        pts.column("lon").to_numpy(zero_copy_only=False), pts.column("lat").to_numpy(zero_copy_only=False), polygons
    )
    table = pts.append_column("country", pa.array(country.tolist(), pa.string()))
    table = table.append_column("adm1", pa.array(adm1.tolist(), pa.string()))
    table = table.append_column("adm2", pa.array(adm2.tolist(), pa.string()))
    con.register("_located", table)
    try:
        con.execute(
            "INSERT INTO location_areas (activity_uid, seq, lat, lon, country, adm1, adm2)"
            " SELECT activity_uid, seq, lat, lon, country, adm1, adm2 FROM _located"
        )
    finally:
        con.unregister("_located")
    return int(sum(1 for a, b in zip(adm1, adm2, strict=True) if a or b))


def store_sheet_areas(con: Any, import_id: int, sheet: Any) -> list[tuple[str, int, str, str]]:
    """Inside a 3W import's transaction: keep the code/name pairs the sheet gives (source ``3w``), and
    return a ``pcode.unknown`` warning for each code that the country's boundaries or gazetteer in the
    workspace do not know (no check for a country with none)."""
    areas = [Area(country, level, pcode, name, parent, 0) for country, level, pcode, name, parent in sheet.areas]
    _insert_areas(con, import_id, "3w", areas)
    if not sheet.pcodes:
        return []
    known = con.execute(
        "SELECT country, list(DISTINCT pcode) FROM admin_areas WHERE source <> '3w' GROUP BY country"
    ).fetchall()
    known_by = {c: set(codes) for c, codes in known}
    from kizuna.geo.pcodes import country_of_pcode

    warnings = []
    for code, (first, n) in sorted(sheet.pcodes.items()):
        country = country_of_pcode(code)
        if country in known_by and code not in known_by[country]:
            warnings.append(
                (
                    "",
                    first,
                    "pcode.unknown",
                    f"P-code {code} is in no boundary file or P-code list of {country} in this workspace"
                    f" ({n} rows, first row {first}): an older edition? (kizuna.geo.pcodes.PCODE_ALIASES)",
                )
            )
    return warnings
