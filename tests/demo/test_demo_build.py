"""`kizuna demo`: one command builds a labelled-synthetic workspace with every part filled, quickly."""

from __future__ import annotations

import time

import pytest

from kizuna.cli import main
from kizuna.demo.build import build_demo
from kizuna.errors import KizunaError
from kizuna.workspace import open_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    t0 = time.perf_counter()
    summary = build_demo(root / "kizuna.duckdb", root / "inputs")
    return summary, time.perf_counter() - t0


def test_demo_builds_every_part_in_under_a_minute(demo):
    summary, seconds = demo
    assert seconds < 60
    with open_workspace(summary.workspace, read_only=True) as ws:
        counts = ws.table_counts()
        assert 150 <= counts["activities"] <= 400  # 150-300 IATI activities plus the 3W rows
        assert counts["flows"] > 0 and counts["transactions"] > 0
        assert ws.scalar("SELECT count(DISTINCT currency) FROM transactions WHERE currency IN ('USD','JPY','EUR')") == 3
        # every part left results
        for table in ("measure_runs", "screen_registers"):
            assert counts.get(table, 0) > 0, table
    assert summary.steps["coordinate"]["overlap_candidates"] > 0
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
