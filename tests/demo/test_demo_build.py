"""`kizuna demo`: one command builds a labelled-synthetic workspace with every part filled.

How fast it builds is measured by benchmarks, not asserted here (these machines are shared and noisy)."""

from __future__ import annotations

import json

import pytest

from kizuna.cli import main
from kizuna.demo.build import build_demo
from kizuna.errors import KizunaError
from kizuna.workspace import open_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    summary = build_demo(root / "kizuna.duckdb", root / "inputs")
    return summary, root


def test_demo_builds_every_part(demo):
    summary, root = demo
    planted = json.loads((root / "inputs" / "coordinate" / "ledger" / "planted_overlaps.json").read_text())
    with open_workspace(summary.workspace, read_only=True) as ws:
        counts = ws.table_counts()
        # 150-300 IATI activities (the generator's range) plus the 3W rows
        n_iati = ws.scalar("SELECT count(*) FROM activities WHERE source = 'iati'")
        assert 150 <= n_iati <= 300
        assert counts["activities"] == summary.steps["ledger"]["activities"]
        assert counts["transactions"] == summary.steps["ledger"]["transactions"]
        # every transaction becomes at least one flow (a split across sectors/countries gives more)
        assert counts["flows"] >= counts["transactions"]
        assert ws.scalar("SELECT count(DISTINCT currency) FROM transactions WHERE currency IN ('USD','JPY','EUR')") == 3
        # measure: one run over the two survey rounds; screen: one register per demo proposal
        assert counts["measure_runs"] == 1
        assert ws.scalar("SELECT count(DISTINCT round) FROM measure_estimates") == 2
        assert counts["screen_registers"] == summary.steps["screen"]["proposals"] == 4
        # the malformed records the generator plants are reported as warnings, not dropped silently
        assert counts["ledger_warnings"] == summary.steps["ledger"]["warnings"] >= len(planted["malformed"])
    # every planted overlap is among the candidates (their ranking is specified in tests/coordinate)
    assert summary.steps["coordinate"]["overlap_candidates"] >= len(planted["planted_overlaps"])
    assert (summary.workspace.parent / "reports" / "accountability-XZ.html").exists()


def test_demo_is_labelled_synthetic_everywhere_it_shows(demo):
    summary, _ = demo
    with open_workspace(summary.workspace, read_only=True) as ws:
        assert ws.scalar("SELECT count(*) FROM imports WHERE kind = 'demo'") == 1
        unlabelled = ws.scalar(
            "SELECT count(*) FROM activities WHERE source = 'iati'"
            " AND NOT (title LIKE '%SYNTHETIC%' AND publisher_name ILIKE '%synthetic%')"
        )
        assert unlabelled == 0
        # no real organisation identifiers are used for invented projects
        real = ws.scalar(
            "SELECT count(*) FROM activities WHERE publisher_ref LIKE 'US-GOV-%' OR publisher_ref LIKE 'XM-DAC-%'"
        )
        assert real == 0


def test_the_demo_never_overwrites_a_users_workspace(tmp_path, capsys):
    mine = tmp_path / "mine.duckdb"
    open_workspace(mine).close()
    with pytest.raises(KizunaError) as ei:
        build_demo(mine, tmp_path / "inputs")
    assert ei.value.code == "demo.not_demo_workspace"
    rc = main(["demo", "--no-serve", "-w", str(mine), "--inputs", str(tmp_path / "inputs")])
    assert rc == 2 and "not the demo's" in capsys.readouterr().err
    assert mine.exists()


def test_the_demo_refuses_a_public_address_before_building_anything(tmp_path, capsys):
    ws = tmp_path / "demo" / "kizuna.duckdb"
    rc = main(["demo", "-w", str(ws), "--inputs", str(tmp_path / "inputs"), "--host", "0.0.0.0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err[0].startswith("error[serve.not_loopback]")
    assert not ws.exists() and not (tmp_path / "inputs").exists()
