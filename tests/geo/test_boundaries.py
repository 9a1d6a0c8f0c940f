"""Admin boundaries: the real COD-AB files and the P-code gazetteer load, points fall in the right areas,
bad files are refused whole, and located activities get their admin areas before and after boundaries."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import shapely
from shapely.geometry import shape

from kizuna.errors import InputError
from kizuna.geo.areas import area_names, boundary_shapes
from kizuna.geo.assign import points_in_areas
from kizuna.geo.readers import read_boundaries
from kizuna.geo.store import add_boundaries
from tests.conftest import shared_path

SSD_COUNTIES = ("boundaries", "ssd_counties_adm2_ocha_nawg.geojson")
SSD_STATES = ("boundaries", "ssd_states_adm1_DERIVED_dissolved.geojson")


def _features(*parts: str) -> list[dict]:
    return json.loads(shared_path(*parts).read_text(encoding="utf-8"))["features"]


def _square(x: float, y: float, d: float = 1.0) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


def _geojson(path: Path, features: list[tuple[dict, dict | None]]) -> Path:
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# --- the real files ---------------------------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("ssd_counties_adm2_ocha_nawg.geojson", {"SS admin-2": 79}),
        ("ssd_states_adm1_DERIVED_dissolved.geojson", {"SS admin-1": 11}),
        ("caf_admin1_DERIVED.geojson", {"CF admin-1": 17}),
        ("caf_admin2_DERIVED.geojson", {"CF admin-2": 72}),
    ],
)
def test_real_cod_ab_files_load_every_feature(ws, name, counts):
    res = add_boundaries(ws, shared_path("boundaries", name))
    assert res.status == "imported" and res.counts == counts
    n = sum(counts.values())
    assert ws.scalar("SELECT count(*) FROM admin_areas WHERE geometry IS NOT NULL AND name IS NOT NULL") == n
    # a P-code and name pair as the file itself gives it
    first = _features("boundaries", name)[0]["properties"]
    level = 2 if "adm2_pcode" in first else 1
    names = area_names(ws)
    got = names.filter(pl.col("pcode") == first[f"adm{level}_pcode"]).row(0, named=True)
    assert got["name"] == first[f"adm{level}_name"] and got["level"] == level
    if level == 2:
        assert got["parent_pcode"] == first["adm1_pcode"]


@pytest.mark.shared
def test_the_gazetteer_loads_names_levels_and_parents(ws):
    res = add_boundaries(ws, shared_path("boundaries", "global_pcodes_adm1_adm2.csv"))
    for key, n in {"SS": (11, 79), "AF": (34, 401), "CF": (17, 72), "SO": (18, 74)}.items():
        assert (res.counts[f"{key} admin-1"], res.counts[f"{key} admin-2"]) == n
    af = area_names(ws, "af")  # any case
    assert af.height == 34 + 401
    assert af.filter(pl.col("pcode") == "AF0101").row(0, named=True) | {} == {
        "country": "AF",
        "level": 2,
        "pcode": "AF0101",
        "name": "Kabul",
        "parent_pcode": "AF01",
        "source": "gazetteer",
    }
    assert af.filter(pl.col("level") == 1).get_column("parent_pcode").null_count() == 34  # no country parents
    assert ws.scalar("SELECT count(*) FROM admin_areas WHERE geometry IS NOT NULL") == 0


@pytest.mark.shared
def test_the_cod_ab_workbook_names_four_levels(ws):
    res = add_boundaries(ws, shared_path("boundaries", "caf_cod_ab.xlsx"))
    assert res.counts["CF admin-1"] == 17 and res.counts["CF admin-2"] == 72
    assert area_names(ws, "CF").filter(pl.col("pcode") == "CF616").get_column("name").to_list() == ["Satéma"]


@pytest.mark.shared
def test_boundaries_outrank_the_gazetteer_and_3w_names(ws, tmp_path):
    sheet = tmp_path / "s.csv"
    sheet.write_text("#org,#sector,#adm1+name,#adm1+code\nA,Health,Jonglei State,SS03\n", encoding="utf-8")
    from kizuna.ledger.ingest import ingest_file

    ingest_file(ws, sheet)
    assert area_names(ws, "SS").row(0, named=True)["name"] == "Jonglei State"  # only the sheet knows it
    add_boundaries(ws, shared_path("boundaries", "global_pcodes_adm1_adm2.csv"))
    add_boundaries(ws, shared_path(*SSD_STATES))
    row = area_names(ws, "SS").filter(pl.col("pcode") == "SS03").row(0, named=True)
    assert (row["name"], row["source"]) == ("Jonglei", "boundaries")


@pytest.mark.shared
def test_adding_the_same_file_twice_changes_nothing(ws):
    add_boundaries(ws, shared_path(*SSD_COUNTIES))
    before = ws.table_counts()
    again = add_boundaries(ws, shared_path(*SSD_COUNTIES))
    assert again.status == "skipped" and ws.table_counts() == before


# --- point in polygon -------------------------------------------------------------------------------


@pytest.mark.shared
def test_every_county_contains_its_own_inner_point_and_its_published_centre():
    feats = _features(*SSD_COUNTIES)
    polys = [shape(f["geometry"]) for f in feats]
    keys = [f["properties"]["adm2_pcode"] for f in feats]
    inner = [p.representative_point() for p in polys]
    got = points_in_areas(np.array([p.x for p in inner]), np.array([p.y for p in inner]), polys, keys)
    assert list(got) == keys
    # Juba town (4.85 N, 31.58 E) is in Juba county (SS0101); Bor town (6.21 N, 31.56 E) in Bor South (SS0303);
    # a point in the Indian Ocean is in no county
    got = points_in_areas(np.array([31.58, 31.56, 60.0]), np.array([4.85, 6.21, -10.0]), polys, keys)
    assert list(got) == ["SS0101", "SS0303", None]


@pytest.mark.shared
@pytest.mark.parametrize(
    "pair", [("SS0302", "SS0304"), ("SS1004", "SS1005"), ("SS0405", "SS0607"), ("SS0311", "SS0303")]
)
def test_a_point_where_two_simplified_counties_overlap_goes_to_the_one_it_is_deepest_in(pair):
    feats = {f["properties"]["adm2_pcode"]: shape(f["geometry"]) for f in _features(*SSD_COUNTIES)}
    a, b = feats[pair[0]], feats[pair[1]]
    overlap = a.intersection(b)
    assert overlap.area > 1e-4  # the README's overlapping pairs
    pt = overlap.representative_point()
    depth = {k: pt.distance(feats[k].boundary) for k in pair}
    expect = max(pair, key=lambda k: (depth[k], -ord(k[-1])))
    keys = list(feats)
    polys = [feats[k] for k in keys]
    got = points_in_areas(np.array([pt.x]), np.array([pt.y]), polys, keys)[0]
    assert got == expect
    # the answer does not depend on the order of the file
    back = points_in_areas(np.array([pt.x]), np.array([pt.y]), polys[::-1], keys[::-1])[0]
    assert back == expect


def test_a_point_on_a_shared_border_goes_to_the_smaller_p_code():
    polys = [shape(_square(1, 0)), shape(_square(0, 0))]
    got = points_in_areas(np.array([1.0, 0.5, 1.5]), np.array([0.5, 0.5, 0.5]), polys, ["XZ02", "XZ01"])
    assert list(got) == ["XZ01", "XZ01", "XZ02"]


# --- bad files --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("features", "code", "feature"),
    [
        (
            [({"adm1_pcode": "XZ01", "adm1_name": "A"}, _square(0, 0)), ({"adm1_name": "B"}, _square(1, 0))],
            "boundaries.no_pcode",
            2,
        ),
        ([({"adm1_pcode": "XZ01"}, _square(0, 0)), ({"adm1_pcode": "XZ02"}, None)], "boundaries.no_geometry", 2),
        (
            [({"adm1_pcode": "XZ01"}, {"type": "Point", "coordinates": [0, 0]})],
            "boundaries.bad_geometry",
            1,
        ),
        (
            [({"adm1_pcode": "XZ01"}, _square(0, 0)), ({"adm1_pcode": "XZ02"}, _square(500000, 9000000, 1000))],
            "boundaries.not_lonlat",
            2,
        ),
        (
            [({"adm1_pcode": "XZ01"}, {"type": "Polygon", "coordinates": [[[0, 0], [1]]]})],
            "boundaries.bad_geometry",
            1,
        ),
    ],
)
def test_a_bad_feature_is_one_line_naming_file_and_feature_and_nothing_is_stored(ws, tmp_path, features, code, feature):
    path = _geojson(tmp_path / "bad.geojson", features)
    before = ws.table_counts()
    with pytest.raises(InputError) as e:
        add_boundaries(ws, path)
    line = e.value.one_line()
    assert e.value.code == code and "bad.geojson" in line and f"row {feature}" in line and f"feature {feature}" in line
    assert "\n" not in line
    assert ws.table_counts() == before


@pytest.mark.parametrize(
    ("name", "body", "code"),
    [
        ("x.geojson", b"{not json", "boundaries.bad_json"),
        ("x.geojson", b'{"type": "Feature"}', "boundaries.not_features"),
        ("x.geojson", b'{"type": "FeatureCollection", "features": []}', "boundaries.empty"),
        ("x.zip", b"PK not a zip", "boundaries.bad_zip"),
        ("x.kml", b"<kml/>", "boundaries.format"),
        ("x.csv", b"Location,Name\nAFG,Kabul\n", "boundaries.gazetteer_columns"),
        ("x.csv", b"Location,Admin Level,P-Code,Name,Parent P-Code\nAFG,one,AF01,Kabul,AFG\n", "boundaries.bad_level"),
    ],
)
def test_unreadable_files_are_refused(ws, tmp_path, name, body, code):
    path = tmp_path / name
    path.write_bytes(body)
    before = ws.table_counts()
    with pytest.raises(InputError) as e:
        add_boundaries(ws, path)
    assert e.value.code == code and name in e.value.one_line()
    assert ws.table_counts() == before


def test_a_projected_crs_declared_in_geojson_is_refused(tmp_path):
    path = _geojson(tmp_path / "utm.geojson", [({"adm1_pcode": "XZ01"}, _square(0, 0))])
    doc = json.loads(path.read_text())
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32636"}}
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as e:
        read_boundaries(path)
    assert e.value.code == "boundaries.not_lonlat"


def test_geoboundaries_properties_and_a_self_intersecting_ring(ws, tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    path = _geojson(
        tmp_path / "geob.geojson",
        [
            (
                {
                    "shapeName": "Northmarch",
                    "shapeISO": "",
                    "shapeID": "XZ-ADM1-1",
                    "shapeGroup": "XZ",
                    "shapeType": "ADM1",
                },
                bowtie,
            )
        ],
    )
    res = add_boundaries(ws, path)
    assert res.counts == {"XZ admin-1": 1} and "repaired" in res.warnings[0]
    assert area_names(ws, "XZ").select("pcode", "name", "level").row(0) == ("XZ-ADM1-1", "Northmarch", 1)


# --- shapefiles -------------------------------------------------------------------------------------


def _zip_shapefile(path: Path, feats: list[dict], prj: str | None, transform=None) -> Path:
    import shapefile

    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as w:
        w.field("ADM1_PCODE", "C", 10)
        w.field("ADM1_EN", "C", 60)
        w.field("ADM0_PCODE", "C", 4)
        for f in feats:
            g = shape(f["geometry"])
            if transform is not None:
                g = transform(g)
            w.shape(g.__geo_interface__)
            w.record(f["properties"]["adm1_pcode"], f["properties"]["adm1_name"], "SS")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("ssd_admbnda_adm1.shp", shp.getvalue())
        z.writestr("ssd_admbnda_adm1.shx", shx.getvalue())
        z.writestr("ssd_admbnda_adm1.dbf", dbf.getvalue())
        if prj:
            z.writestr("ssd_admbnda_adm1.prj", prj)
    return path


@pytest.mark.shared
def test_a_zipped_shapefile_loads_like_its_geojson(ws, tmp_path):
    import pyproj

    feats = _features(*SSD_STATES)
    wgs84 = pyproj.CRS.from_epsg(4326).to_wkt(pyproj.enums.WktVersion.WKT1_ESRI)
    path = _zip_shapefile(tmp_path / "ssd.zip", feats, wgs84)
    res = add_boundaries(ws, path)
    assert res.kind == "shapefile" and res.counts == {"SS admin-1": 11}
    names = {r["pcode"]: r["name"] for r in area_names(ws, "SS").iter_rows(named=True)}
    assert names == {f["properties"]["adm1_pcode"]: f["properties"]["adm1_name"] for f in feats}
    # a projected shapefile (UTM 36N, metres) comes back to longitude/latitude through its .prj
    utm = pyproj.CRS.from_epsg(32636)
    fwd = pyproj.Transformer.from_crs(4326, utm, always_xy=True)
    projected = _zip_shapefile(
        tmp_path / "ssd_utm.zip",
        feats,
        utm.to_wkt(pyproj.enums.WktVersion.WKT1_ESRI),
        lambda g: shapely.transform(g, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1]))),
    )
    back = {a.pcode: a.geometry for a in read_boundaries(projected).areas}
    for f in feats:
        original = shape(f["geometry"])
        assert back[f["properties"]["adm1_pcode"]].symmetric_difference(original).area < 1e-6 * original.area + 1e-9


# --- located activities ------------------------------------------------------------------------------


@pytest.mark.shared
def test_points_get_their_areas_before_and_after_boundaries_are_added(ws, tmp_path):
    from kizuna.coordinate.load import load_ledger
    from kizuna.ledger.ingest import ingest_file

    def sheet(name: str, lat: float, lon: float) -> Path:
        p = tmp_path / f"{name}.csv"
        p.write_text(f"#org,#sector,#geo+lat,#geo+lon,#country+code\n{name},Health,{lat},{lon},SS\n", encoding="utf-8")
        return p

    ingest_file(ws, sheet("Juba clinic", 4.85, 31.58))  # before the boundaries
    add_boundaries(ws, shared_path(*SSD_COUNTIES))
    assert ws.scalar("SELECT count(*) FROM location_areas WHERE adm2 = 'SS0101' AND adm1 = 'SS01'") == 1
    ingest_file(ws, sheet("Bor clinic", 6.21, 31.56))  # after: placed when the ledger is read
    assert ws.scalar("SELECT count(*) FROM location_areas") == 1
    locs = load_ledger(ws).locations.sort("lat")
    assert locs.select("adm1", "adm2").rows() == [("SS01", "SS0101"), ("SS03", "SS0303")]
    # an IATI location's own admin code (another vocabulary) gives way to the P-code of its point
    ws.con.execute(
        "INSERT INTO locations (activity_uid, seq, lat, lon, adm1, admin_vocabulary) VALUES ('X|1', 1, 9.53, 31.66, 'G1-123', 'G1')"
    )
    iati = load_ledger(ws).locations.filter(pl.col("activity_uid") == "X|1").row(0, named=True)
    assert (iati["adm1"], iati["adm2"], iati["country"]) == ("SS07", "SS0707", "SS")  # Malakal, Upper Nile


@pytest.mark.shared
def test_map_shapes_are_simplified_clockwise_and_labelled(ws):
    add_boundaries(ws, shared_path(*SSD_COUNTIES))
    add_boundaries(ws, shared_path("boundaries", "global_pcodes_adm1_adm2.csv"))
    fc = boundary_shapes(ws, "SS")
    assert len(fc["features"]) == 79
    size = len(json.dumps(fc))
    assert size < 0.8 * shared_path(*SSD_COUNTIES).stat().st_size
    juba = next(f for f in fc["features"] if f["properties"]["pcode"] == "SS0101")
    assert (juba["properties"]["name"], juba["properties"]["parent_name"]) == ("Juba", "Central Equatoria")
    ring = juba["geometry"]["coordinates"][0]
    signed = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))
    assert signed < 0  # clockwise, as d3-geo wants an exterior ring
    label = shapely.Point(juba["properties"]["label_lon"], juba["properties"]["label_lat"])
    assert shape(juba["geometry"]).buffer(0.01).contains(label)


@pytest.mark.shared
def test_a_3w_p_code_the_countrys_gazetteer_does_not_know_is_reported(ws, tmp_path):
    from kizuna.ledger.ingest import ingest_file

    add_boundaries(ws, shared_path("boundaries", "global_pcodes_adm1_adm2.csv"))
    sheet = tmp_path / "s.csv"
    sheet.write_text(
        "#org,#sector,#adm1+code,#adm2+code\nA,Health,SS01,SS0101\nB,Health,SS01,SS0199\nC,WASH,SS01,SS0199\n",
        encoding="utf-8",
    )
    ingest_file(ws, sheet)
    warn = ws.query("SELECT code, line, message FROM ledger_warnings")
    assert [(w["code"], w["line"]) for w in warn] == [("pcode.unknown", 3)]
    assert "SS0199" in warn[0]["message"] and "2 rows" in warn[0]["message"]
