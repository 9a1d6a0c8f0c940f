"""Maps draw the admin boundaries with names (tooltips and labels), offline, from the workspace."""

from __future__ import annotations

import json

import pytest

from kizuna.web.charts import map_spec
from tests.conftest import shared_path

SQUARE = {"type": "Polygon", "coordinates": [[[30, 4], [30, 5], [31, 5], [31, 4], [30, 4]]]}


def _layers(spec: dict) -> list[dict]:
    return spec["layer"]


def test_a_map_of_boundaries_alone_fits_them_and_names_the_areas():
    shapes = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"name": "Juba", "pcode": "SS0101"}, "geometry": SQUARE}],
    }
    spec = map_spec(
        {"Activities": []}, {}, "Map", shapes=shapes, labels=[{"name": "Central Equatoria", "lon": 30.5, "lat": 4.5}]
    )
    assert spec is not None
    ring = spec["projection"]["fit"]["geometry"]["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    assert min(xs) < 30 < 31 < max(xs) and min(ys) < 4 < 5 < max(ys) and max(xs) - min(xs) < 1.2
    geo = next(
        layer
        for layer in _layers(spec)
        if layer.get("encoding", {}).get("tooltip") and layer["mark"]["type"] == "geoshape"
    )
    assert {t["field"] for t in geo["encoding"]["tooltip"]} == {
        "properties.name",
        "properties.parent_name",
        "properties.pcode",
    }
    text = next(layer for layer in _layers(spec) if layer["mark"]["type"] == "text")
    assert text["data"]["values"] == [{"name": "Central Equatoria", "lon": 30.5, "lat": 4.5}]
    assert "http" not in json.dumps(spec)  # nothing remote: no tiles, no schema URL
    assert map_spec({"Activities": []}, {}, "Map") is None  # neither points nor shapes: the empty state


@pytest.mark.shared
def test_the_presence_page_draws_the_countrys_areas(tmp_path):
    from fastapi.testclient import TestClient

    from kizuna.geo.store import add_boundaries
    from kizuna.ledger.ingest import ingest_file
    from kizuna.web.app import create_app
    from kizuna.workspace import open_workspace

    path = tmp_path / "w.duckdb"
    sheet = tmp_path / "s.csv"
    sheet.write_text("#org,#sector,#adm1+code,#adm2+code\nA,Health,SS01,SS0101\n", encoding="utf-8")
    with open_workspace(path) as ws:
        ingest_file(ws, sheet)
        add_boundaries(ws, shared_path("boundaries", "ssd_counties_adm2_ocha_nawg.geojson"))
        add_boundaries(ws, shared_path("boundaries", "ssd_states_adm1_DERIVED_dissolved.geojson"))
    app = create_app(path)
    with TestClient(app) as c:
        page = c.get("/presence?country=SS").text
    app.state.store.close()
    assert '"properties.name"' in page and '"pcode": "SS0101"' in page
    assert '"name": "Central Equatoria"' in page  # an admin-1 label
    assert "no activity in this workspace has coordinates" in page and "admin areas shown" in page
    assert len(page) < 400_000  # simplified shapes keep the page small
