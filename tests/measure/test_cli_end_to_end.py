"""End to end through the CLI: the shared syn_cdta extract (global MPI, k = 33, subgroups by area
and region, two rounds with change over time), outputs, workspace storage and provenance."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from kizuna.cli import main
from kizuna.workspace import open_workspace

HERE = Path(__file__).resolve().parent
SPEC = HERE / "syn_cdta_mpi.toml"
SYN_SHA = "ea924214da2a1d415488467997cf57556650a6e28d667dd6fd403e751bc2e45e"


@pytest.fixture(scope="module")
def syn_run(tmp_path_factory, syn_cdta):
    survey = syn_cdta
    tmp = tmp_path_factory.mktemp("syn")
    ws = tmp / "ws.duckdb"
    out = tmp / "out"
    rc = main(["measure", str(survey), "--spec", str(SPEC), "-w", str(ws), "--out-dir", str(out)])
    return rc, survey, ws, out


@pytest.mark.shared
def test_runs_and_writes_every_output(syn_run):
    rc, _, _, out = syn_run
    assert rc == 0
    for name in (
        "summary.csv",
        "indicators.csv",
        "subgroups.csv",
        "k_sweep.csv",
        "changes.csv",
        "estimates.csv",
        "measure.xlsx",
        "measure.json",
        "measure.html",
    ):
        assert (out / name).stat().st_size > 0, name
    doc = json.loads((out / "measure.json").read_text())
    assert doc["run"]["n_rows"] == 15000
    # the README's missing counts (d_nutr 82, d_satt 37) are reported; 97 persons miss at least one
    assert doc["run"]["missing"]["d_nutr"] == 82 and doc["run"]["missing"]["d_satt"] == 37
    assert doc["run"]["n_dropped"] == 97


@pytest.mark.shared
def test_results_are_consistent_with_the_data(syn_run):
    _, survey, _, out = syn_run
    summary = pl.read_csv(out / "summary.csv")
    assert sorted(summary["round"].unique().to_list()) == [1, 2]
    data = pl.read_csv(survey)
    inds = ["d_nutr", "d_cm", "d_satt", "d_educ", "d_elct", "d_sani", "d_wtr", "d_hsg", "d_ckfl", "d_asst"]
    w = [1 / 6] * 4 + [1 / 18] * 6
    full = data.drop_nulls(inds).with_columns(sum(pl.col(c) * wi for c, wi in zip(inds, w, strict=True)).alias("c"))
    for t in (1, 2):
        r = full.filter(pl.col("t") == t)
        poor = r["c"] >= 1 / 3 - 1e-9
        h = poor.mean()
        m0 = (r["c"] * poor).mean()
        got = {row["measure"]: row["b"] for row in summary.filter(pl.col("round") == t).iter_rows(named=True)}
        assert got["H"] == pytest.approx(h, abs=1e-12)
        assert got["M0"] == pytest.approx(m0, abs=1e-12)
        assert got["M0"] == pytest.approx(got["H"] * got["A"], abs=1e-12)
    changes = pl.read_csv(out / "changes.csv").filter((pl.col("group_var") == "all") & (pl.col("measure") == "M0"))
    kinds = set(changes["change"].to_list())
    assert kinds == {"abs", "abs_ann", "rel", "rel_ann"}
    ann = changes.filter(pl.col("change") == "abs_ann").row(0, named=True)
    assert ann["years"] == pytest.approx(8.5)
    assert ann["value"] == pytest.approx((ann["b2"] - ann["b1"]) / 8.5, abs=1e-15)
    sub = pl.read_csv(out / "subgroups.csv")
    assert set(sub["group_var"].unique().to_list()) == {"area", "region"}
    assert sub.filter(pl.col("group_var") == "region").height == 40  # 20 regions × 2 rounds
    for t in (1, 2):
        for gv in ("area", "region"):
            part = sub.filter((pl.col("round") == t) & (pl.col("group_var") == gv))
            m0 = summary.filter((pl.col("round") == t) & (pl.col("measure") == "M0"))["b"][0]
            assert (part["pop_share"] * part["M0"]).sum() == pytest.approx(m0, abs=1e-12)


@pytest.mark.shared
def test_stored_with_provenance_and_idempotent(syn_run, capsys):
    _, survey, ws_path, out = syn_run
    with open_workspace(ws_path) as ws:
        runs = ws.query("SELECT * FROM measure_runs")
        assert len(runs) == 1 and runs[0]["data_sha256"] == SYN_SHA
        assert runs[0]["spec_toml"] == SPEC.read_text()
        imp = ws.query("SELECT kind, sha256, file_name FROM imports")
        assert imp == [{"kind": "survey", "sha256": SYN_SHA, "file_name": "syn_cdta.csv"}]
        n_est = ws.query("SELECT count(*) AS n FROM measure_estimates")[0]["n"]
        assert n_est > 0
    rc = main(["measure", str(survey), "--spec", str(SPEC), "-w", str(ws_path), "--out-dir", str(out)])
    assert rc == 0
    assert "already stored as run 1" in capsys.readouterr().err
    with open_workspace(ws_path) as ws:
        assert ws.query("SELECT count(*) AS n FROM measure_runs")[0]["n"] == 1
        assert ws.query("SELECT count(*) AS n FROM measure_estimates")[0]["n"] == n_est


@pytest.mark.shared
def test_html_report_is_self_contained(syn_run):
    html = (syn_run[3] / "measure.html").read_text()
    assert "window.vegaEmbed" in html
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=\"?https?:", html)
    for chart in ("c_contrib", "c_sub", "c_sweep", "c_time"):
        assert f'id="{chart}"' in html


@pytest.mark.shared
def test_summary_as_json_on_stdout(tmp_path, capsys, syn_cdta):
    survey = syn_cdta
    rc = main(
        [
            "measure",
            str(survey),
            "--spec",
            str(SPEC),
            "--no-store",
            "--out-dir",
            str(tmp_path / "o"),
            "-f",
            "json",
        ]
    )
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["measure"] for r in rows} == {"M0", "H", "A"} and len(rows) == 6


def test_bad_spec_is_one_error_line_and_exit_2(tmp_path, capsys):
    survey = tmp_path / "s.csv"
    survey.write_text("a\n1\n")
    spec = tmp_path / "spec.toml"
    spec.write_text('[indicators.x]\ncolumn = "a"\ndeprived_if = { over = 3 }\n')
    rc = main(["measure", str(survey), "--spec", str(spec), "--no-store", "--out-dir", str(tmp_path / "o")])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error[spec.bad_rule]") and "indicators.x.deprived_if.over" in err[0]


def test_failed_run_leaves_the_workspace_unchanged(tmp_path, capsys):
    survey = tmp_path / "s.csv"
    survey.write_text("a,w\n1,1\n0,0\n")
    spec = tmp_path / "spec.toml"
    spec.write_text('[design]\nweight = "w"\n[indicators.x]\ncolumn = "a"\n')
    ws = tmp_path / "ws.duckdb"
    rc = main(["measure", str(survey), "--spec", str(spec), "-w", str(ws), "--out-dir", str(tmp_path / "o")])
    assert rc == 2 and "measure.bad_weight" in capsys.readouterr().err
    with open_workspace(ws) as w:
        assert w.query("SELECT count(*) AS n FROM imports")[0]["n"] == 0
        assert w.query("SELECT count(*) AS n FROM measure_runs")[0]["n"] == 0
