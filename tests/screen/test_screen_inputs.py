"""Bad input gets one-line errors naming file, row and field; good input in every format reads the same."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kizuna.cli import main
from kizuna.errors import InputError
from kizuna.screen.context import read_boundaries, read_communities
from kizuna.screen.proposal import read_proposals

GOOD_TOML = """
id = "P-1"
title = "Borehole"
type = "Well/Borehole"
budget_usd = 45000
partners = [{ name = "Kaltara Water Trust", ref = "XZ-SYN-2" }]
grievance_mechanism = true
security = "none"
[counterpart]
name = "District Water Office (synthetic)"
role = "approval"
[land]
acquisition = "none"
[[sites]]
name = "borehole 1"
lat = 8.0
lon = 30.009
[[consultations]]
community = "Amber Ford"
date = 2026-06-02
women_included = true
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_toml_yaml_and_csv_read_to_the_same_proposal(tmp_path, catalogue):
    t = read_proposals(_write(tmp_path, "p.toml", GOOD_TOML), catalogue.project_types)[0]
    yaml_text = """
id: P-1
title: Borehole
type: borehole
budget_usd: 45000
partners: [{name: Kaltara Water Trust, ref: XZ-SYN-2}]
grievance_mechanism: yes
security: none
counterpart: {name: District Water Office (synthetic), role: approval}
land: {acquisition: none}
sites: [{name: borehole 1, lat: 8.0, lon: 30.009}]
consultations: [{community: Amber Ford, date: 2026-06-02, women_included: true}]
"""
    y = read_proposals(_write(tmp_path, "p.yaml", yaml_text), catalogue.project_types)[0]
    csv_text = (
        "id,title,type,lat,lon,budget_usd,partners,counterpart,counterpart_role,land_acquisition,"
        "consulted,consultation_date,women_included,grievance_mechanism,security\n"
        "P-1,Borehole,water point,8.0,30.009,45000,Kaltara Water Trust,"
        "District Water Office (synthetic),approval,"
        "none,Amber Ford,2026-06-02,yes,yes,none\n"
    )
    c = read_proposals(_write(tmp_path, "p.csv", csv_text), catalogue.project_types)[0]
    for p in (t, y, c):
        assert p.project_type == "well"
        assert (p.sites[0].lats, p.sites[0].lons) == ([8.0], [30.009])
        assert p.consultations[0].date == date(2026, 6, 2) and p.consultations[0].women_included is True
        assert p.grievance_mechanism is True and p.land_acquisition == "none" and p.budget_usd == 45000
        assert p.counterpart_role == "approval"


def _err(tmp_path, catalogue, text, name="p.toml") -> InputError:
    with pytest.raises(InputError) as e:
        read_proposals(_write(tmp_path, name, text), catalogue.project_types)
    assert "\n" not in e.value.one_line()
    return e.value


def test_latitude_out_of_range(tmp_path, catalogue):
    e = _err(tmp_path, catalogue, GOOD_TOML.replace("lat = 8.0", "lat = 208.0"))
    assert e.code == "screen.coordinate_range" and e.where.field == "sites[0].lat"


def test_latitude_swapped_with_longitude(tmp_path, catalogue):
    e = _err(
        tmp_path,
        catalogue,
        GOOD_TOML.replace("lat = 8.0", "lat = 130.0").replace("lon = 30.009", "lon = 8.0"),
    )
    assert e.code == "screen.latlon_swapped" and e.where.field == "sites[0].lat"
    assert "swapped" in e.hint_text()


def test_unknown_project_type(tmp_path, catalogue):
    e = _err(tmp_path, catalogue, GOOD_TOML.replace('type = "Well/Borehole"', 'type = "spaceport"'))
    assert e.code == "screen.unknown_project_type" and e.where.field == "type"
    assert "well" in e.hint_text()


def test_malformed_consultation_date(tmp_path, catalogue):
    e = _err(tmp_path, catalogue, GOOD_TOML.replace("date = 2026-06-02", 'date = "02/30/2026"'))
    assert e.code == "screen.bad_date" and e.where.field == "consultations[0].date"


def test_missing_site(tmp_path, catalogue):
    text = GOOD_TOML.split("[[sites]]")[0] + GOOD_TOML.split("lon = 30.009")[1]
    e = _err(tmp_path, catalogue, text)
    assert e.code == "screen.missing_site" and e.where.field == "sites"


def test_missing_longitude(tmp_path, catalogue):
    e = _err(tmp_path, catalogue, GOOD_TOML.replace("lon = 30.009", ""))
    assert e.code == "screen.missing_site" and e.where.field == "sites[0].lon"


def test_csv_errors_name_the_row(tmp_path, catalogue):
    text = "id,type,lat,lon\nP-1,well,8.0,30.0\nP-2,well,8.0,\nP-3,well,8.0,30.0\n"
    e = _err(tmp_path, catalogue, text, "batch.csv")
    assert e.code == "screen.missing_site" and e.where.row == 2 and e.where.field == "sites[0].lon"
    e = _err(tmp_path, catalogue, "id,type,lat,lon\nP-1,bakery,8.0,30.0\n", "batch.csv")
    assert e.code == "screen.unknown_project_type" and e.where.row == 1
    e = _err(tmp_path, catalogue, "id,type,lat,lon\nP-1,well,8.0,30.0\nP-1,road,8.0,30.0\n", "batch.csv")
    assert e.code == "screen.duplicate_id"


def test_other_bad_values(tmp_path, catalogue):
    assert (
        _err(tmp_path, catalogue, GOOD_TOML.replace('acquisition = "none"', 'acquisition = "taken"')).where.field
        == "land.acquisition"
    )
    assert _err(tmp_path, catalogue, "colour = 'red'\n" + GOOD_TOML).code == "screen.unknown_key"
    assert (
        _err(tmp_path, catalogue, GOOD_TOML.replace("budget_usd = 45000", "budget_usd = -5")).where.field
        == "budget_usd"
    )
    e = _err(tmp_path, catalogue, GOOD_TOML + "colour = 'red'\n")
    assert e.code == "screen.unknown_key" and e.where.field == "consultations[0].colour"
    assert _err(tmp_path, catalogue, "id = [", "p.toml").code == "screen.bad_toml"
    assert _err(tmp_path, catalogue, "id: [", "p.yaml").code == "screen.bad_yaml"
    assert _err(tmp_path, catalogue, GOOD_TOML, "p.txt").code == "screen.unknown_format"


def test_communities_errors(tmp_path):
    p = _write(tmp_path, "c.csv", "name,lat,lon,population,group\nA,8.0,30.0,100,X\nB,95.0,30.0,100,Y\n")
    with pytest.raises(InputError) as e:
        read_communities(p)
    assert (e.value.where.row, e.value.where.field) == (2, "lat")
    p = _write(tmp_path, "c.csv", "name,x,y\nA,8.0,30.0\n")
    with pytest.raises(InputError) as e:
        read_communities(p)
    assert e.value.code == "screen.missing_column" and e.value.where.field == "lat"


def test_communities_geojson_and_boundary_between_group_polygons(tmp_path):
    gj = (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","geometry":{"type":"Point","coordinates":[30.0,8.0]},'
        '"properties":{"name":"Amber Ford","population":1200,"group":"Asari"}}]}'
    )
    df = read_communities(_write(tmp_path, "c.geojson", gj))
    assert df.row(0, named=True) == {
        "name": "Amber Ford",
        "lat": 8.0,
        "lon": 30.0,
        "population": 1200,
        "group": "Asari",
    }
    polys = (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"name":"West","group":"Asari"},"geometry":{"type":"Polygon",'
        '"coordinates":[[[29.9,7.9],[30.009,7.9],[30.009,8.1],[29.9,8.1],[29.9,7.9]]]}},'
        '{"type":"Feature","properties":{"name":"East","group":"Belen"},"geometry":{"type":"Polygon",'
        '"coordinates":[[[30.009,7.9],[30.2,7.9],[30.2,8.1],[30.009,8.1],[30.009,7.9]]]}}]}'
    )
    b = read_boundaries(_write(tmp_path, "b.geojson", polys))
    # only the shared edge lon = 30.009 separates the groups; the outer edges do not
    xmin, _, xmax, _ = b.divider.bounds
    assert xmin == pytest.approx(30.009, abs=1e-5) and xmax == pytest.approx(30.009, abs=1e-5)
    assert [t["name"] for t in b.territories_at(8.0, 29.95)] == ["West"]
    bad = polys.replace("[29.9,7.9],[30.009,7.9]", "[7.9,29.9],[30.009,7.9]", 1)
    with pytest.raises(InputError):
        read_boundaries(_write(tmp_path, "bad.geojson", bad.replace("[29.9,8.1],[29.9,7.9]", "[29.9,8.1],[7.9,129.9]")))


def test_cli_turns_each_bad_input_into_one_line_and_exit_2(tmp_path, capsys):
    p = _write(tmp_path, "p.toml", GOOD_TOML.replace('type = "Well/Borehole"', 'type = "spaceport"'))
    ws = tmp_path / "w.duckdb"
    rc = main(["screen", str(p), "--workspace", str(ws), "--out-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert err[0].startswith("error[screen.unknown_project_type]") and "field 'type'" in err[0]
    good = _write(tmp_path, "g.toml", GOOD_TOML)
    rc = main(["screen", str(good), "--as-of", "2026-13-01", "--workspace", str(ws)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--as-of" in err[0]


def test_swap_within_range_is_caught_against_the_communities(catalogue, two_communities):
    from datetime import date

    from kizuna.screen.facts import Context
    from kizuna.screen.proposal import proposal_from_dict
    from kizuna.screen.register import screen_proposal

    # (30.009, 8.0) is a valid coordinate, but the villages are at 8 N 30 E
    p = proposal_from_dict(
        {"id": "S", "type": "well", "sites": [{"lat": 30.009, "lon": 8.0}]},
        catalogue.project_types,
        "swap.toml",
    )
    with pytest.raises(InputError) as e:
        screen_proposal(p, Context.build(communities=two_communities), catalogue, date(2026, 11, 1))
    assert e.value.code == "screen.latlon_swapped" and e.value.where.field == "sites[0].lat"
    assert e.value.where.file == "swap.toml"
