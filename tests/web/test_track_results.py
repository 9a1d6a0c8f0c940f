"""The /results page and the results datasets of the API (kizuna.web.track_results)."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from kizuna.web.app import create_app

TABLE = (
    "Organisation,Activity ID,Indicator code,Indicator,Unit,Measure,Direction,Period,Baseline,Target,Actual\n"
    "Agency A,A-1,PB-1,People trained,people,number,ascending,2024,0,1200,600\n"
    "Agency B,B-1,PB-1,People trained,people,number,ascending,2024,0,800,800\n"
    "Agency B,B-1,PB-2,Share satisfied,%,percentage,ascending,2024,40,60,50\n"
    "Agency B,B-1,PB-3,Community view,,qualitative,,2020,,better,\n"
)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from kizuna.track.results_store import import_tables
    from kizuna.workspace import open_workspace

    folder = tmp_path_factory.mktemp("results-web")
    (folder / "ind.csv").write_text(TABLE, encoding="utf-8")
    with open_workspace(folder / "w.duckdb") as ws:
        import_tables(ws, [folder / "ind.csv"])
    return TestClient(create_app(folder / "w.duckdb"))


def test_datasets_are_served_by_the_api(client):
    roll = client.get("/api/v1/results-rollup").json()
    assert roll["total"] == 1
    item = roll["items"][0]
    assert (item["indicator_code"], item["n_orgs"], item["target_sum"], item["actual_sum"]) == (
        "PB-1",
        2,
        2000.0,
        1400.0,
    )
    left = client.get("/api/v1/results-not-rolled").json()["items"]
    assert {r["indicator_code"]: r["reason"] for r in left} == {"PB-2": "not_summable", "PB-3": "not_summable"}
    missing = client.get("/api/v1/results-missing").json()["items"]
    assert [r["indicator_code"] for r in missing] == ["PB-3"]
    csv = client.get("/api/v1/results-progress?format=csv").text
    assert csv.splitlines()[0].startswith("source,org,activity_id,indicator_title")
    spec = client.get("/api/v1/openapi.json").json()
    assert any("results-progress" in p for p in spec["paths"])


def test_page_in_japanese_marks_data_and_translates_our_words(client):
    html = client.get("/results?lang=ja").text
    assert '<html lang="ja"' in html
    assert 'translate="no">People trained<' in html  # data values are left to the data's language
    assert "Partly achieved" not in html and "Listed (not numeric)" not in html
    assert 'href="/results' in html  # the navigation names the page


def test_page_says_what_the_data_cannot_show(client):
    html = client.get("/results?lang=en").text
    assert "have no numeric target" in html
    assert "Moved away" not in html  # no period moved away from its target here
