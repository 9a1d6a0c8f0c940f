"""Context layers around a proposal: communities (points) and boundaries (polygons or lines).

Communities: CSV with columns ``name``, ``lat``/``latitude``, ``lon``/``longitude``, optional
``population`` and ``group`` (the identity, clan or livelihood group a divider analysis names), or a
GeoJSON FeatureCollection of Points with those properties. Boundaries: GeoJSON of Polygon/MultiPolygon
features (administrative areas or community territories; optional ``name`` and ``group`` properties)
and LineString/MultiLineString features (a boundary drawn as a line, e.g. a grazing line agreed
between two communities).

The "boundary between groups" is: every line feature, plus every stretch of a polygon's outline
shared with a polygon of another group. When polygons carry no ``group``, every polygon outline
counts (an administrative boundary).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from kizuna.errors import InputError, Where
from kizuna.i18n import N_

COMMUNITY_SCHEMA = {
    "name": pl.String,
    "lat": pl.Float64,
    "lon": pl.Float64,
    "population": pl.Int64,
    "group": pl.String,
}


def _num(
    value: Any,
    file: str,
    row: int,
    fld: str,
    lo: float | None = None,
    hi: float | None = None,
    required: bool = True,
) -> float | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if required:
            raise InputError("screen.missing_value", N_("a value is required"), Where(file=file, row=row, field=fld))
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(
            "screen.bad_number",
            N_("cannot read {value!r} as a number"),
            Where(file=file, row=row, field=fld),
            params={"value": value},
        ) from None
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        hint = latitude_hint(v) if fld in ("lat", "latitude") else None
        raise InputError(
            "screen.coordinate_range",
            N_("{value:g} is outside [{lo:g}, {hi:g}]"),
            Where(file=file, row=row, field=fld),
            hint=hint,
            params={"value": v, "lo": lo, "hi": hi},
        )
    return v


def latitude_hint(v: float) -> str:
    """What a latitude outside [-90, 90] most likely is: a longitude (the columns swapped) only when it could
    be one; otherwise a typo. A swap is judged with both coordinates by ``facts.check_sites_plausible``."""
    if abs(v) <= 180:
        return N_("latitude must be within [-90, 90]: a typo, or a longitude (are the two columns swapped?)")
    return N_("latitude must be within [-90, 90] and this is no longitude either: check the value for a typo")


def _community_row(props: dict[str, Any], lat: Any, lon: Any, file: str, row: int) -> dict[str, Any]:
    name = props.get("name")
    if name is None or str(name).strip() == "":
        raise InputError(
            "screen.missing_value", N_("every community needs a name"), Where(file=file, row=row, field="name")
        )
    pop = _num(props.get("population"), file, row, "population", 0, None, required=False)
    group = props.get("group")
    return {
        "name": str(name).strip(),
        "lat": _num(lat, file, row, "lat", -90, 90),
        "lon": _num(lon, file, row, "lon", -180, 180),
        "population": None if pop is None else int(pop),
        "group": None if group is None or str(group).strip() == "" else str(group).strip(),
    }


def read_communities(path: Path | str) -> pl.DataFrame:
    """Read communities (CSV or GeoJSON points) into a frame: name, lat, lon, population, group."""
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise InputError("screen.missing_file", N_("no such file"), Where(file=file, field="--communities"))
    rows: list[dict[str, Any]] = []
    if path.suffix.lower() in (".geojson", ".json"):
        for i, feat in enumerate(_features(path), start=1):
            geom = feat.get("geometry") or {}
            if geom.get("type") != "Point":
                raise InputError(
                    "screen.bad_geometry",
                    N_("communities must be Points, not {geom}"),
                    Where(file=file, row=i, field="geometry"),
                    params={"geom": geom.get('type')},
                )
            lon, lat = (geom.get("coordinates") or [None, None])[:2]
            rows.append(_community_row(feat.get("properties") or {}, lat, lon, file, i))
    else:
        import csv

        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = {(h or "").strip().lower(): h for h in (reader.fieldnames or [])}
            lat_key = header.get("lat") or header.get("latitude")
            lon_key = header.get("lon") or header.get("longitude")
            for need, key in (("name", header.get("name")), ("lat", lat_key), ("lon", lon_key)):
                if key is None:
                    raise InputError(
                        "screen.missing_column",
                        N_("the communities file has no '{need}' column"),
                        Where(file=file, line=1, field=need),
                        hint=N_("columns: name, lat, lon, population (optional), group (optional)"),
                        params={"need": need},
                    )
            for i, rec in enumerate(reader, start=1):
                props = {k: rec.get(h) for k, h in header.items()}
                rows.append(_community_row(props, rec.get(lat_key), rec.get(lon_key), file, i))
    return pl.DataFrame(rows, schema=COMMUNITY_SCHEMA)


def _features(path: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            "screen.bad_geojson",
            N_("not valid JSON: {error}"),
            Where(file=str(path)),
            params={"error": str(exc)},
        ) from None
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        return list(doc.get("features") or [])
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        return [doc]
    raise InputError("screen.bad_geojson", N_("expected a GeoJSON FeatureCollection"), Where(file=str(path)))


@dataclass
class Boundaries:
    """Territories (polygons with name and group) and the lines that separate different groups."""

    polygons: list[dict[str, Any]] = field(default_factory=list)  # {"name", "group", "geom"}
    lines: list[dict[str, Any]] = field(default_factory=list)  # {"name", "geom"}
    divider: Any = None  # shapely geometry, lon/lat

    def territories_at(self, lat: float, lon: float) -> list[dict[str, Any]]:
        import shapely

        p = shapely.Point(lon, lat)
        return [{"name": t["name"], "group": t["group"]} for t in self.polygons if t["geom"].covers(p)]


def read_boundaries(path: Path | str) -> Boundaries:
    """Read a GeoJSON of polygons and/or lines and derive the lines between groups."""
    import shapely
    from shapely.geometry import shape

    path = Path(path)
    file = str(path)
    if not path.exists():
        raise InputError("screen.missing_file", N_("no such file"), Where(file=file, field="--boundaries"))
    b = Boundaries()
    for i, feat in enumerate(_features(path), start=1):
        props = feat.get("properties") or {}
        try:
            geom = shape(feat.get("geometry"))
        except Exception as exc:  # shapely raises several types on broken GeoJSON geometry
            raise InputError(
                "screen.bad_geometry",
                N_("cannot read the geometry: {error}"),
                Where(file=file, row=i, field="geometry"),
                params={"error": str(exc)},
            ) from None
        xmin, ymin, xmax, ymax = geom.bounds
        if ymin < -90 or ymax > 90 or xmin < -180 or xmax > 180:
            raise InputError(
                "screen.coordinate_range",
                N_("coordinates outside lon [-180, 180] / lat [-90, 90]"),
                Where(file=file, row=i, field="geometry"),
                hint=N_("GeoJSON positions are [longitude, latitude]"),
            )
        name = props.get("name") or f"feature {i}"
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            if not geom.is_valid:
                geom = shapely.make_valid(geom)
            b.polygons.append({"name": str(name), "group": props.get("group"), "geom": geom})
        elif geom.geom_type in ("LineString", "MultiLineString"):
            b.lines.append({"name": str(name), "geom": geom})
        else:
            raise InputError(
                "screen.bad_geometry",
                N_("boundaries must be polygons or lines, not {geom_type}"),
                Where(file=file, row=i, field="geometry"),
                params={"geom_type": geom.geom_type},
            )
    parts = [ln["geom"] for ln in b.lines]
    grouped = [p for p in b.polygons if p["group"] is not None]
    if grouped:
        tol = 1e-6  # degrees (~0.1 m): shared edges digitised twice rarely coincide exactly
        for p in grouped:
            others = [q["geom"] for q in grouped if q["group"] != p["group"]]
            if others:
                shared = p["geom"].boundary.intersection(shapely.union_all(others).buffer(tol))
                if not shared.is_empty:
                    parts.append(shared)
    else:
        parts.extend(p["geom"].boundary for p in b.polygons)
    b.divider = shapely.union_all(parts) if parts else None
    return b
