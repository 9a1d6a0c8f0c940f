"""Readers of administrative boundaries and P-code lists: they parse and validate, and never write the store.

Formats (each yields :class:`Area` rows; the reader is chosen by the file's name and contents):

* **GeoJSON** FeatureCollection — OCHA COD-AB (properties ``adm{N}_pcode``, ``adm{N}_name`` or
  ``ADM{N}_PCODE``, ``ADM{N}_EN`` ...) and geoBoundaries (``shapeType`` ``ADM1``, ``shapeName``,
  ``shapeISO``/``shapeID``, ``shapeGroup``);
* **zipped shapefile** (``.zip`` holding one or more ``.shp`` with its ``.dbf``/``.shx``, and ``.prj``:
  a projected file is transformed to longitude/latitude with pyproj), the same properties;
* **COD-AB workbook** (``.xlsx`` with sheets ``*admin1``, ``*admin2`` ...: names and P-codes, no geometry);
* **P-code gazetteer** CSV (HDX "global P-codes": ``Location, Admin Level, P-Code, Name, Parent P-Code,
  Valid from date``; names, levels and parents, no geometry).

The level of a COD-AB feature is the highest ``N`` for which it has an ``adm{N}_pcode``; its name the
English name (``adm{N}_en``) when given, else ``adm{N}_name``; its parent ``adm{N-1}_pcode``. A
geoBoundaries feature has no P-code: its ``shapeISO`` (ISO 3166-2) is used, else its ``shapeID``.
Geometry must be a (multi)polygon in longitude/latitude (WGS 84); an invalid ring is repaired with
``shapely.make_valid`` and counted in a warning. A feature without a P-code, a geometry that is not a
polygon, or coordinates outside longitude/latitude are errors naming the file and the feature (1-based).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kizuna.errors import InputError, Message, Where
from kizuna.geo.pcodes import country_of_pcode, iso2
from kizuna.i18n import N_

GAZETTEER_COLUMNS = ("location", "admin level", "p-code", "name", "parent p-code")
MAX_ZIP_BYTES = 2 << 30  # a zipped shapefile that unpacks to more than this is refused (zip bombs)


@dataclass
class Area:
    """One administrative area as a file gives it."""

    country: str | None
    level: int
    pcode: str
    name: str | None
    parent_pcode: str | None
    feature: int  # 1-based index of the feature (or data row) in its file
    geometry: Any = None  # a shapely (Multi)Polygon in lon/lat, or None
    valid_from: date | None = None


@dataclass
class BoundaryFile:
    kind: str  # 'geojson' | 'shapefile' | 'cod-ab-xlsx' | 'gazetteer'
    areas: list[Area]
    warnings: list[str] = field(default_factory=list)


def read_boundaries(path: Path, level: int | None = None) -> BoundaryFile:
    """Read a boundary file or P-code list (see the module docstring). ``level`` forces the admin level
    of every feature of a single-level file whose properties do not say it."""
    path = Path(path)
    if not path.exists():
        raise InputError("boundaries.missing", N_("file not found"), Where(file=str(path)), hint=N_("check the path"))
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return _read_geojson(path, level)
    if suffix == ".zip":
        return _read_zip(path, level)
    if suffix == ".xlsx":
        return _read_codab_xlsx(path)
    if suffix == ".csv":
        return _read_gazetteer(path)
    raise InputError(
        "boundaries.format",
        N_("cannot read boundaries from a {suffix} file"),
        Where(file=str(path)),
        hint=N_("give a .geojson, a zipped shapefile (.zip), a COD-AB .xlsx or the P-code gazetteer .csv"),
        params={"suffix": suffix or Message(N_("nameless"))},
    )


# --- properties --------------------------------------------------------------------------------------


def _lower_keys(props: dict[str, Any]) -> dict[str, Any]:
    return {str(k).strip().lower(): v for k, v in props.items()}


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    t = str(v).strip()
    return t or None


def _date(v: Any) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    t = _text(v)
    if not t:
        return None
    try:
        return datetime.strptime(t[:10], "%Y-%m-%d").date()
    except ValueError:
        return None


_ADM_PCODE = re.compile(r"^adm([0-9])_?pcode$")


def area_from_properties(
    props: dict[str, Any], feature: int, path: Path, level: int | None = None, pcode_field: str | None = None
) -> Area:
    """An :class:`Area` (without geometry) from one feature's properties (COD-AB or geoBoundaries)."""
    p = _lower_keys(props)
    levels = sorted(int(m.group(1)) for k in p if (m := _ADM_PCODE.match(k)) and _text(p[k]))
    if pcode_field:
        pcode = _text(p.get(pcode_field.lower()))
        lvl = level or (max(levels) if levels else None)
    elif "shapetype" in p and not levels:  # geoBoundaries
        m = re.match(r"adm\s*([0-9])", str(p.get("shapetype", "")).lower())
        lvl = level or (int(m.group(1)) if m else None)
        pcode = _text(p.get("shapeiso")) or _text(p.get("shapeid"))
    else:
        lvl = level if level is not None else (max(levels) if levels else None)
        pcode = (_text(p.get(f"adm{lvl}_pcode")) or _text(p.get(f"adm{lvl}pcode"))) if lvl is not None else None
    if not pcode:
        raise InputError(
            "boundaries.no_pcode",
            N_("feature {feature} has no P-code"),
            Where(file=str(path), row=feature),
            hint=N_("COD-AB files carry adm1_pcode/adm2_pcode (or ADM1_PCODE ...); geoBoundaries shapeID"),
            params={"feature": feature},
        )
    if lvl is None or not 0 < lvl <= 5:
        raise InputError(
            "boundaries.no_level",
            N_("feature {feature} ({pcode}) has no admin level 1-5"),
            Where(file=str(path), row=feature),
            hint=N_("give --level 1 or --level 2 for a file whose properties do not say it"),
            params={"feature": feature, "pcode": pcode},
        )
    name = None
    if "shapename" in p and not levels:
        name = _text(p.get("shapename"))
    else:
        for key in (f"adm{lvl}_en", f"adm{lvl}_name", f"adm{lvl}name", f"adm{lvl}_ref", "name"):
            name = _text(p.get(key))
            if name:
                break
        if not name:  # any other language (adm1_fr, adm1_es ...)
            name = next((_text(v) for k, v in p.items() if re.match(rf"^adm{lvl}_[a-z]{{2}}$", k) and _text(v)), None)
    parent = _text(p.get(f"adm{lvl - 1}_pcode")) if lvl > 1 else None
    country = (
        iso2(_text(p.get("iso2")))
        or iso2(_text(p.get("adm0_pcode")))
        or iso2(_text(p.get("iso3")))
        or iso2(_text(p.get("shapegroup")))
        or country_of_pcode(pcode)
    )
    valid = _date(p.get("valid_on")) or _date(p.get("validon")) or _date(p.get("date"))
    return Area(country, lvl, pcode, name, parent, feature, None, valid)


# --- geometry ----------------------------------------------------------------------------------------


def _polygon(geom: Any, feature: int, path: Path, repaired: list[int]) -> Any:
    import shapely
    from shapely.geometry import shape

    if geom is None:
        raise InputError(
            "boundaries.no_geometry",
            N_("feature {feature} has no geometry"),
            Where(file=str(path), row=feature),
            hint=N_("every boundary feature needs a Polygon or MultiPolygon"),
            params={"feature": feature},
        )
    try:
        g = geom if isinstance(geom, shapely.Geometry) else shape(geom)
    except Exception as exc:  # shapely raises several kinds for malformed coordinates
        raise InputError(
            "boundaries.bad_geometry",
            N_("feature {feature}: the geometry cannot be read ({error})"),
            Where(file=str(path), row=feature),
            hint=N_("coordinates must be [longitude, latitude] rings"),
            params={"feature": feature, "error": str(exc).splitlines()[0]},
        ) from None
    if g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError(
            "boundaries.bad_geometry",
            N_("feature {feature} is a {geometry}, not a polygon"),
            Where(file=str(path), row=feature),
            hint=N_("admin boundaries are Polygons or MultiPolygons"),
            params={"feature": feature, "geometry": g.geom_type if not g.is_empty else Message(N_("empty geometry"))},
        )
    minx, miny, maxx, maxy = g.bounds
    if not (-180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0):
        raise InputError(
            "boundaries.not_lonlat",
            N_("feature {feature}: coordinates ({minx:.0f}, {miny:.0f}) are not longitude/latitude"),
            Where(file=str(path), row=feature),
            hint=N_("reproject to WGS 84 (EPSG:4326), or give the zipped shapefile with its .prj"),
            params={"feature": feature, "minx": minx, "miny": miny},
        )
    if not g.is_valid:
        repaired.append(feature)
        fixed = shapely.make_valid(g)
        polys = [p for p in getattr(fixed, "geoms", [fixed]) if p.geom_type in ("Polygon", "MultiPolygon")]
        g = shapely.union_all(polys) if polys else fixed
    return g


def _repair_warning(repaired: list[int]) -> list[str]:
    if not repaired:
        return []
    shown = ", ".join(map(str, repaired[:10])) + (" ..." if len(repaired) > 10 else "")
    return [f"{len(repaired)} invalid polygon(s) repaired with make_valid (features {shown})"]


# --- GeoJSON -----------------------------------------------------------------------------------------


def _read_geojson(path: Path, level: int | None) -> BoundaryFile:
    try:
        doc = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            "boundaries.bad_json",
            N_("not JSON: {error}"),
            Where(file=str(path)),
            hint=N_("is it a GeoJSON file?"),
            params={"error": str(exc).splitlines()[0]},
        ) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise InputError(
            "boundaries.not_features",
            N_("not a GeoJSON FeatureCollection"),
            Where(file=str(path)),
            hint=N_("boundary files are FeatureCollections of (multi)polygons with P-code properties"),
        )
    crs = str(((doc.get("crs") or {}).get("properties") or {}).get("name", ""))
    if crs and not re.search(r"(CRS84|4326)$", crs):
        raise InputError(
            "boundaries.not_lonlat",
            N_("the file declares the coordinate system {crs}"),
            Where(file=str(path)),
            hint=N_("reproject to WGS 84 (EPSG:4326) longitude/latitude"),
            params={"crs": crs},
        )
    areas: list[Area] = []
    repaired: list[int] = []
    for i, feat in enumerate(doc["features"], start=1):
        if not isinstance(feat, dict):
            raise InputError(
                "boundaries.bad_feature",
                N_("feature {i} is not an object"),
                Where(file=str(path), row=i),
                params={"i": i},
            )
        area = area_from_properties(feat.get("properties") or {}, i, path, level)
        area.geometry = _polygon(feat.get("geometry"), i, path, repaired)
        areas.append(area)
    if not areas:
        raise InputError("boundaries.empty", N_("the file has no features"), Where(file=str(path)))
    return BoundaryFile("geojson", _merge_parts(areas), _repair_warning(repaired))


def _merge_parts(areas: list[Area]) -> list[Area]:
    """Features repeating a P-code at one level are parts of one area: their polygons are joined."""
    import shapely

    by: dict[tuple[int, str], Area] = {}
    for a in areas:
        key = (a.level, a.pcode)
        if key in by and a.geometry is not None and by[key].geometry is not None:
            by[key].geometry = shapely.union_all([by[key].geometry, a.geometry])
        else:
            by.setdefault(key, a)
    return list(by.values())


# --- zipped shapefiles -------------------------------------------------------------------------------


def _read_zip(path: Path, level: int | None) -> BoundaryFile:
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            "boundaries.bad_zip",
            N_("not a zip file: {error}"),
            Where(file=str(path)),
            params={"error": str(exc)},
        ) from None
    with z:
        infos = z.infolist()
        if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
            raise InputError(
                "boundaries.too_large",
                N_("the archive unpacks to more than 2 GiB"),
                Where(file=str(path)),
                hint=N_("unpack it and give the shapefile's own zip"),
            )
        names = {i.filename.lower(): i.filename for i in infos if not i.filename.endswith("/")}
        shps = sorted(n for n in names if n.endswith(".shp"))
        if not shps:
            raise InputError(
                "boundaries.no_shapefile",
                N_("the zip holds no .shp file"),
                Where(file=str(path)),
                hint=N_("a zipped shapefile holds name.shp, name.dbf and name.shx (and name.prj)"),
            )
        areas: list[Area] = []
        warnings: list[str] = []
        offset = 0
        for shp in shps:
            stem = shp[:-4]
            parts = {ext: names.get(stem + ext) for ext in (".shp", ".dbf", ".shx", ".prj", ".cpg")}
            if parts[".dbf"] is None:
                raise InputError(
                    "boundaries.no_dbf",
                    N_("{names} has no .dbf beside it (its attributes: P-codes and names)"),
                    Where(file=str(path)),
                    params={"names": names[shp]},
                )
            got, warns = _read_shapefile(z, parts, path, level, offset)
            areas.extend(got)
            warnings.extend(warns)
            offset += len(got)
    return BoundaryFile("shapefile", _merge_parts(areas), warnings)


def _read_shapefile(
    z: zipfile.ZipFile, parts: dict[str, str | None], path: Path, level: int | None, offset: int
) -> tuple[list[Area], list[str]]:
    import shapefile  # pyshp

    def member(ext: str) -> io.BytesIO | None:
        name = parts[ext]
        return io.BytesIO(z.read(name)) if name else None

    encoding = "utf-8"
    cpg = member(".cpg")
    if cpg is not None:
        encoding = cpg.read().decode("ascii", "replace").strip() or "utf-8"
    transform = _projection(member(".prj"), path)
    try:
        reader = shapefile.Reader(shp=member(".shp"), dbf=member(".dbf"), shx=member(".shx"), encoding=encoding)
    except Exception as exc:  # pyshp raises its own and struct errors for broken files
        raise InputError(
            "boundaries.bad_shapefile",
            N_("cannot read {value}: {error}"),
            Where(file=str(path)),
            params={"value": parts['.shp'], "error": str(exc).splitlines()[0]},
        ) from None
    fields = [f[0] for f in reader.fields[1:]]
    areas: list[Area] = []
    repaired: list[int] = []
    try:
        for i, rec in enumerate(reader.iterShapeRecords(), start=offset + 1):
            area = area_from_properties(dict(zip(fields, rec.record, strict=False)), i, path, level)
            geom = rec.shape.__geo_interface__ if rec.shape.shapeType != shapefile.NULL else None
            if geom is not None and transform is not None:
                from shapely.geometry import shape

                geom = transform(shape(geom))
            area.geometry = _polygon(geom, i, path, repaired)
            areas.append(area)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            "boundaries.bad_shapefile",
            N_("cannot read {value}: {error}"),
            Where(file=str(path)),
            params={"value": parts['.shp'], "error": str(exc).splitlines()[0]},
        ) from None
    finally:
        reader.close()
    return areas, _repair_warning(repaired)


def _projection(prj: io.BytesIO | None, path: Path) -> Any:
    """A function taking a shapely geometry to lon/lat, or None when the .prj is lon/lat already (or absent)."""
    if prj is None:
        return None
    import numpy as np
    import pyproj
    import shapely

    try:
        crs = pyproj.CRS.from_wkt(prj.read().decode("utf-8", "replace"))
    except pyproj.exceptions.CRSError as exc:
        raise InputError(
            "boundaries.bad_prj",
            N_("the .prj cannot be read: {error}"),
            Where(file=str(path)),
            hint=N_("is it a WKT .prj?"),
            params={"error": str(exc)},
        ) from None
    if crs.is_geographic and crs.equals(pyproj.CRS.from_epsg(4326), ignore_axis_order=True):
        return None
    if crs.is_geographic and crs.datum is not None and "WGS" in (crs.datum.name or "").upper():
        return None
    tr = pyproj.Transformer.from_crs(crs, pyproj.CRS.from_epsg(4326), always_xy=True)

    def to_lonlat(g: Any) -> Any:
        return shapely.transform(g, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))

    return to_lonlat


# --- names without geometry --------------------------------------------------------------------------


def _read_codab_xlsx(path: Path) -> BoundaryFile:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken zip/XML
        raise InputError(
            "boundaries.xlsx",
            N_("cannot open the workbook: {error}"),
            Where(file=str(path)),
            params={"error": str(exc)},
        ) from None
    areas: list[Area] = []
    try:
        for ws in wb.worksheets:
            m = re.search(r"adm(?:in)?\s*_?([1-5])$", ws.title.lower())
            if not m:
                continue
            lvl = int(m.group(1))
            rows = ws.iter_rows(values_only=True)
            header = [str(h or "").strip() for h in next(rows, [])]
            for i, row in enumerate(rows, start=2):
                props = dict(zip(header, row, strict=False))
                if not _text(_lower_keys(props).get(f"adm{lvl}_pcode")):
                    continue  # COD-AB sheets carry blank rows for areas without this level
                area = area_from_properties(props, i, path, lvl)
                areas.append(area)
    finally:
        wb.close()
    if not areas:
        raise InputError(
            "boundaries.empty",
            N_("no sheet named admin1/admin2/... with adm{N}_pcode columns"),
            Where(file=str(path)),
            hint=N_("give an OCHA COD-AB workbook (sheets caf_admin1, caf_admin2, ...)"),
        )
    return BoundaryFile("cod-ab-xlsx", areas)


def _read_gazetteer(path: Path) -> BoundaryFile:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("boundaries.encoding", N_("the file is not UTF-8 text"), Where(file=str(path))) from None
    rows: Iterator[list[str]] = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(rows, [])]
    missing = [c for c in GAZETTEER_COLUMNS if c not in header]
    if missing:
        raise InputError(
            "boundaries.gazetteer_columns",
            N_("a P-code list needs the columns Location, Admin Level, P-Code, Name, Parent P-Code; missing {missing}"),
            Where(file=str(path), row=1),
            hint=N_("the HDX global P-codes CSV has them; boundaries come as .geojson or a zipped shapefile"),
            params={"missing": missing},
        )
    col = {c: header.index(c) for c in GAZETTEER_COLUMNS}
    valid_col = header.index("valid from date") if "valid from date" in header else None
    areas: list[Area] = []
    for i, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row) or row[0].startswith("#"):
            continue  # blank, or an HXL hashtag row
        cell = {c: (row[k].strip() if k < len(row) else "") for c, k in col.items()}
        try:
            lvl = int(cell["admin level"])
        except ValueError:
            raise InputError(
                "boundaries.bad_level",
                N_("admin level {value!r} is not a number"),
                Where(file=str(path), row=i, field="Admin Level"),
                hint=N_("1 for provinces/states, 2 for districts/counties"),
                params={"value": cell['admin level']},
            ) from None
        if not cell["p-code"]:
            raise InputError(
                "boundaries.no_pcode", N_("the row has no P-code"), Where(file=str(path), row=i, field="P-Code")
            )
        country = iso2(cell["location"]) or country_of_pcode(cell["p-code"])
        parent = cell["parent p-code"] or None
        if lvl == 1 or (parent and iso2(parent) == country and len(parent) == 3):
            parent = None  # an admin-1 area's parent is the country itself
        valid = _date(row[valid_col]) if valid_col is not None and valid_col < len(row) else None
        areas.append(Area(country, lvl, cell["p-code"], cell["name"] or None, parent, i, None, valid))
    if not areas:
        raise InputError("boundaries.empty", N_("the P-code list has no rows"), Where(file=str(path)))
    return BoundaryFile("gazetteer", areas)
