"""The vital-core demo (synthetic Kaltara survey) and the needs table coordinate will read."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from kizuna.measure.demo import ADMIN1, build_demo, synthetic_survey
from kizuna.measure.needs import VITAL_CORE, stored_needs


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from kizuna.workspace import open_workspace

    tmp = tmp_path_factory.mktemp("demo")
    ws = open_workspace(tmp / "ws.duckdb")
    summary = build_demo(ws, tmp)
    yield ws, tmp, summary
    ws.close()


def test_survey_is_deterministic_and_has_the_design():
    a, b = synthetic_survey(), synthetic_survey()
    assert a.equals(b)
    assert sorted(a["admin1"].unique().to_list()) == sorted(ADMIN1)
    assert sorted(a["round"].unique().to_list()) == [1, 2]
    assert a["stratum"].n_unique() == 12 and a["cluster"].n_unique() == 96
    assert set(a["displacement"].unique().to_list()) == {"host", "idp", "returnee"}
    assert set(a["sex"].unique().to_list()) == {"female", "male"}


def test_demo_labels_itself_synthetic(demo):
    ws, tmp, summary = demo
    assert summary["synthetic"] is True and summary["run_id"] == 1
    html = Path(summary["report"]).read_text()
    assert "(synthetic)" in html
    runs = ws.query("SELECT title FROM measure_runs")
    assert "synthetic" in runs[0]["title"]
    # identifiers were protected on read: the clear household ids are nowhere in the outputs
    out = (tmp / "measure" / "measure.json").read_text()
    assert "HH1000000" not in out and "+000" not in out


def test_demo_improves_between_rounds_and_idps_are_worse_off(demo):
    _, tmp, summary = demo
    assert summary["M0_round2"] < summary["M0_round1"]
    sub = pl.read_csv(tmp / "measure" / "subgroups.csv")
    disp = {
        r["group"]: r["M0"]
        for r in sub.filter((pl.col("group_var") == "displacement") & (pl.col("round") == 1)).iter_rows(named=True)
    }
    assert disp["idp"] > disp["host"]


def test_spec_mixes_physical_and_psychological_dimensions(demo):
    _, tmp, _ = demo
    ind = pl.read_csv(tmp / "measure" / "indicators.csv")
    dims = set(ind["dimension"].unique().to_list())
    assert {"food", "water", "shelter", "health", "safety"} <= dims
    assert {"distress", "hope", "dignity"} <= dims
    w = ind.filter((pl.col("measure") == "hd") & (pl.col("round") == 1)).select("dimension", "weight")
    psych = w.filter(pl.col("dimension").is_in(["distress", "hope", "dignity"]))["weight"].sum()
    assert psych == pytest.approx(0.5, abs=1e-9)


def test_needs_table_for_coordinate(demo):
    ws, _, _ = demo
    needs = stored_needs(ws)
    assert set(needs["admin1"].unique().to_list()) == set(ADMIN1)
    assert needs.height == 6 * 9  # 8 dimensions + the vital-core headcount, per admin1
    assert needs["round"].unique().to_list() == ["2"]  # latest round
    row = needs.filter((pl.col("admin1") == "XZ05") & (pl.col("dimension") == VITAL_CORE)).row(0, named=True)
    assert row["people_in_need"] == pytest.approx(row["share_deprived"] * row["population"])
    assert 0 < row["share_deprived"] < 1 and row["lo"] < row["share_deprived"] < row["hi"]
    # the vital-core headcount of an area equals H of that area in the stored estimates
    h = ws.query(
        "SELECT b FROM measure_estimates WHERE measure = 'H' AND group_var = 'admin1'"
        " AND group_label = 'XZ05' AND round = '2'"
    )[0]["b"]
    assert row["share_deprived"] == pytest.approx(h, abs=1e-12)
    # share deprived and poor never exceeds share deprived
    assert (needs["share_deprived_poor"] <= needs["share_deprived"] + 1e-12).all()
