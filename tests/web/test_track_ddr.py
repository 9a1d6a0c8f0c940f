"""The DDR page and its datasets: an empty workspace says what to run; with the synthetic programme the page
shows the curve, the withheld group and the dimensions in both languages, and the API serves every DDR
dataset with a `breakdown` column."""

from __future__ import annotations

import pytest

from kizuna.i18n import N_


def _client(path):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    return TestClient(create_app(path, cache_size=0), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def ddr_ws(tmp_path_factory):
    from kizuna.track.ddr_demo import build_demo
    from kizuna.workspace import open_workspace

    tmp = tmp_path_factory.mktemp("ddr-web")
    ws = tmp / "ws.duckdb"
    with open_workspace(ws) as w:
        summary = build_demo(w, tmp / "inputs")
    assert summary["persons"] == 480
    return ws


def test_an_empty_workspace_says_how_to_import_a_programme(tmp_path):
    from kizuna.workspace import open_workspace

    open_workspace(tmp_path / "w.duckdb").close()
    with _client(tmp_path / "w.duckdb") as c:
        page = c.get("/ddr")
        api = c.get("/api/v1/ddr-survival").json()
    assert page.status_code == 200 and "kizuna ddr import" in page.text
    assert api["total"] == 0 and "kizuna ddr import" in api["empty"]


def test_the_page_shows_the_curve_the_tables_and_the_withheld_area(ddr_ws):
    with _client(ddr_ws) as c:
        en = c.get("/ddr")
        ja = c.get("/ddr?lang=ja")
        groups = c.get("/api/v1/ddr-groups").json()["items"]
        survival = c.get("/api/v1/ddr-survival").json()["items"]
        tests = c.get("/api/v1/ddr-logrank").json()["items"]
        csv = c.get("/api/v1/ddr-dimensions", params={"format": "csv"})
    assert en.status_code == ja.status_code == 200
    assert '"interpolate": "step-after"' in en.text  # the Kaplan–Meier curve is drawn as steps
    assert "Time to re-recruitment" in en.text and "再徴募までの期間" in ja.text
    assert '<a href="/ddr' in en.text  # in the navigation
    kl05 = next(g for g in groups if g["group"] == "KL05")
    assert kl05["suppressed"] and kl05["persons"] is None  # 7 persons: withheld
    assert {r["breakdown"] for r in survival} == {"all", "sex", "area", "cohort", "programme"}
    assert "KL05" not in {r["group"] for r in survival}
    assert {t["breakdown"] for t in tests} == {"sex", "area", "cohort"}  # one programme: nothing to compare
    assert csv.status_code == 200 and "outcome_code" in csv.text.splitlines()[0]


def test_the_navigation_label_is_a_catalogue_message():
    from kizuna.web.track_ddr import NAV

    assert [("/ddr", N_("DDR reintegration"))] == NAV
