"""Acceptance on the synthetic Kaltara demo workspace (ledger ingest + coordinate demo)."""

from __future__ import annotations

import json

import openpyxl
import polars as pl
import pytest

from kizuna.coordinate.accountability import build_accountability
from kizuna.coordinate.demo import build_demo
from kizuna.coordinate.gaps import gaps_from_ledger
from kizuna.coordinate.load import load_ledger, read_needs
from kizuna.coordinate.overlap import find_overlaps
from kizuna.coordinate.report import render_html, write_report
from kizuna.workspace import open_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    path = root / "demo.duckdb"
    with open_workspace(path) as ws:
        summary = build_demo(ws, root / "files")
    manifest = json.loads((root / "files" / "ledger" / "planted_overlaps.json").read_text(encoding="utf-8"))
    with open_workspace(path, read_only=True) as ws:
        lf = load_ledger(ws)
    return {"path": path, "root": root, "summary": summary, "manifest": manifest, "lf": lf}


def _uid_ends(df: pl.DataFrame, a: str, b: str) -> pl.DataFrame:
    ua, ub = pl.col("activity_uid_a"), pl.col("activity_uid_b")
    return df.filter(
        (ua.str.ends_with("|" + a) & ub.str.ends_with("|" + b))
        | (ua.str.ends_with("|" + b) & ub.str.ends_with("|" + a))
    )


def test_every_planted_overlap_is_found_in_its_countrys_top_ten_with_reasons(demo):
    pairs = find_overlaps(demo["lf"]).pairs
    planted = demo["manifest"]["planted_overlaps"]
    assert len(planted) >= 4
    for p in planted:
        hit = _uid_ends(pairs, p["a"], p["b"])
        assert hit.height == 1, p
        row = hit.row(0, named=True)
        assert row["country"] == "XZ" and row["rank"] <= 10, (p, row["rank"])
        assert f"same DAC 5-digit sector {p['sector']}" in row["reasons"]
        assert f"admin2 area {p['admin2']}" in row["reasons"]
        assert "different allies" in row["reasons"]


def test_no_pair_has_both_activities_from_the_same_organisation_and_each_has_reasons(demo):
    pairs = find_overlaps(demo["lf"]).pairs
    assert pairs.height > 20
    assert pairs.filter(pl.col("org_key_a") == pl.col("org_key_b")).height == 0
    assert pairs.filter(pl.col("reasons").is_null() | (pl.col("reasons").str.len_chars() < 40)).height == 0


def test_funding_chains_of_the_demo_are_not_reported_as_overlaps(demo):
    pairs = find_overlaps(demo["lf"]).pairs
    for chain in demo["manifest"]["funding_chains"]:
        assert _uid_ends(pairs, chain["funder_activity"], chain["implementer_activity"]).height == 0


def test_cross_ally_filter_keeps_only_pairs_from_different_allies(demo):
    pairs = find_overlaps(demo["lf"], different_allies=True).pairs
    assert pairs.height > 0 and pairs.filter(pl.col("ally_a") == pl.col("ally_b")).height == 0


def test_the_planted_gap_ranks_first(demo):
    needs = read_needs(demo["summary"]["needs"])
    g = gaps_from_ledger(demo["lf"], needs)
    top = g.row(0, named=True)
    assert (top["adm2"], top["sector"], top["n_orgs"]) == ("XZ06-04", "Water Sanitation Hygiene", 0)
    assert "no organisation present" in top["reason"] and "42000 people in need" in top["reason"]
    # an area with organisations present never outranks an equally severe, larger need with none
    assert g.filter(pl.col("n_orgs") > 0).get_column("gap_score").max() < top["gap_score"]


def test_accountability_report_html_and_xlsx(demo, tmp_path):
    rep = build_accountability(
        demo["lf"], "XZ", year_from=2019, year_to=2025, needs=read_needs(demo["summary"]["needs"])
    )
    allies = set(rep.summary.get_column("ally").to_list())
    assert {"Ally A", "Ally B", "UN", "NGOs"} <= allies
    # side by side: commitments and disbursements of each ally by sector
    assert {"usd_commitments", "usd_disbursements", "disbursed_per_committed"} <= set(rep.by_sector.columns)
    assert rep.overlaps.filter(pl.col("ally_a") == pl.col("ally_b")).height == 0 and rep.overlaps.height > 0
    html = render_html(rep)
    assert "https://cdn" not in html and "<script src" not in html
    assert html.count('class="vega-chart"') == len(allies)
    xlsx = write_report(rep, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    assert {"summary", "by sector", "by area", "overlaps", "gaps", "division - RCA"} <= set(wb.sheetnames)


def _cli(args: list[str], capsys) -> tuple[int, str, str]:
    from kizuna.cli import main

    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "command",
    [
        ["who", "--by", "ally"],
        ["who", "--shared"],
        ["overlaps", "--top", "10", "--different-allies"],
        ["division", "--view", "concentration"],
        ["division", "--view", "rca", "--by", "ally"],
        ["division", "--view", "significance"],
        ["report", "accountability", "--country", "XZ"],
    ],
)
def test_cli_commands_give_table_csv_json_and_xlsx(demo, command, capsys, tmp_path, cli_registered):
    w = ["-w", str(demo["path"])]
    code, out, _ = _cli([*command, *w], capsys)
    assert code == 0 and out.strip()
    code, out, _ = _cli([*command, *w, "-f", "json"], capsys)
    assert code == 0 and json.loads(out)
    code, out, _ = _cli([*command, *w, "-f", "csv"], capsys)
    assert code == 0 and "," in out.splitlines()[0]
    target = tmp_path / "out.xlsx"
    code, _, _ = _cli([*command, *w, "-f", "xlsx", "-o", str(target)], capsys)
    assert code == 0 and openpyxl.load_workbook(target).sheetnames


def test_cli_gaps_and_report_html(demo, capsys, tmp_path, cli_registered):
    w = ["-w", str(demo["path"])]
    code, out, _ = _cli(["gaps", str(demo["summary"]["needs"]), *w, "-f", "json"], capsys)
    assert code == 0 and json.loads(out)[0]["adm2"] == "XZ06-04"
    page = tmp_path / "r.html"
    code, _, _ = _cli(["report", "accountability", "--country", "XZ", *w, "-o", str(page)], capsys)
    assert code == 0 and page.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_cli_bad_inputs_give_one_line_errors(demo, capsys, tmp_path, cli_registered):
    w = ["-w", str(demo["path"])]
    code, _, err = _cli(["who", *w, "--from", "2024", "--to", "2020"], capsys)
    assert code == 2 and "cli.bad_period" in err
    code, _, err = _cli(["gaps", str(tmp_path / "none.csv"), *w], capsys)
    assert code == 2 and "needs.missing" in err
    code, _, err = _cli(["report", "accountability", "--country", "XZ", *w, "-o", str(tmp_path / "r.pdf")], capsys)
    assert code == 2 and "report.format" in err and "r.pdf" in err and len(err.strip().splitlines()) == 1


@pytest.mark.browser
def test_html_report_opens_offline_in_headless_chromium_with_a_chart_per_ally(demo, tmp_path, chromium):
    rep = build_accountability(demo["lf"], "XZ")
    page_path = write_report(rep, tmp_path / "report.html")
    n_allies = rep.summary.height
    requests: list[str] = []
    errors: list[str] = []
    page = chromium.new_page()
    try:
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.as_uri())
        page.wait_for_function(f"window.kizunaChartsRendered >= {n_allies}", timeout=30_000)
        charts = page.locator(".vega-chart svg").count()
        titles = page.locator(".vega-chart").evaluate_all("els => els.map(e => e.dataset.ally)")
    finally:
        page.close()
    assert errors == []
    assert requests == [page_path.as_uri()], requests  # nothing but the page itself
    assert charts == n_allies and sorted(titles) == sorted(rep.summary.get_column("ally").to_list())


@pytest.mark.parametrize("seed", [1, 3])
def test_planted_overlaps_and_gap_hold_for_other_seeds(tmp_path, seed):
    with open_workspace(tmp_path / "w.duckdb") as ws:
        summary = build_demo(ws, tmp_path / "files", seed=seed)
        lf = load_ledger(ws)
    manifest = json.loads((tmp_path / "files" / "ledger" / "planted_overlaps.json").read_text(encoding="utf-8"))
    pairs = find_overlaps(lf).pairs
    for p in manifest["planted_overlaps"]:
        hit = _uid_ends(pairs, p["a"], p["b"])
        assert hit.height == 1 and hit.row(0, named=True)["rank"] <= 10, (seed, p)
    top = gaps_from_ledger(lf, read_needs(summary["needs"])).row(0, named=True)
    assert (top["adm2"], top["sector"], top["n_orgs"]) == ("XZ06-04", "Water Sanitation Hygiene", 0)


def test_the_demo_stores_its_needs_table_so_gaps_needs_no_file(demo, capsys, cli_registered):
    from kizuna.coordinate.needs_store import stored_needs_table

    with open_workspace(demo["path"], read_only=True) as ws:
        stored = stored_needs_table(ws)
    given = read_needs(demo["summary"]["needs"])
    assert stored is not None and stored.sort("adm2", "sector").equals(given.sort("adm2", "sector"))
    code, out, _ = _cli(["gaps", "-w", str(demo["path"]), "-f", "json"], capsys)
    assert code == 0 and json.loads(out)[0]["adm2"] == "XZ06-04"
