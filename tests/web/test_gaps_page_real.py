"""The Gaps page finds the needs table stored in the workspace and says what the data cannot show
(issue 11, item 8), on the Afghanistan 3W + HNO and on the six IATI files."""

from __future__ import annotations

import pytest
from tests.conftest import shared_path

from kizuna.workspace import open_workspace

pytestmark = pytest.mark.shared


def _client(path):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    return TestClient(create_app(path), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def afghanistan(tmp_path_factory):
    from kizuna.coordinate.needs_store import store_needs
    from kizuna.geo.store import add_boundaries
    from kizuna.ledger.ingest import ingest_paths

    path = tmp_path_factory.mktemp("af") / "af.duckdb"
    with open_workspace(path) as ws:
        ingest_paths(ws, [shared_path("3w", "afg_3w_2024q1.csv")])
        add_boundaries(ws, shared_path("boundaries", "global_pcodes_adm1_adm2.csv"))
        store_needs(ws, shared_path("needs", "afg_hno_2024.csv"))
    return path


def test_the_gaps_api_ranks_districts_by_name_from_the_stored_hno(afghanistan):
    with _client(afghanistan) as c:
        rows = c.get("/api/v1/gaps?country=AF&limit=5").json()["items"]
        notes = c.get("/api/v1/gap-notes?country=af").json()["items"]
        html = c.get("/gaps?country=AF").text
    assert rows[0]["rank"] == 1 and rows[0]["area_name"] == "Bagrami" and rows[0]["sector"] == "Food Security"
    assert {n["code"] for n in notes} >= {"needs_national_total", "ranked_by"}
    assert "What the data cannot show" in html and 'data-code="needs_national_total"' in html
    assert "Bagrami" in html


def test_the_gaps_page_on_the_six_iati_files_says_there_is_no_location_and_no_needs_table(tmp_path):
    from kizuna.ledger.ingest import ingest_paths

    path = tmp_path / "real.duckdb"
    with open_workspace(path) as ws:
        ingest_paths(ws, [shared_path("iati", f) for f in ("state-southsudan.xml", "dod-afghanistan.xml")])
    with _client(path) as c:
        notes = {n["code"]: n["message"] for n in c.get("/api/v1/gap-notes?country=SS").json()["items"]}
        html = c.get("/gaps?country=SS").text
    assert set(notes) >= {"no_needs", "no_subnational_locations"}
    assert "no organisation present" not in html
    assert 'data-code="no_subnational_locations"' in html
