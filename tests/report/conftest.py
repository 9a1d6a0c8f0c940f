"""Fixtures for the report tests: the synthetic Kaltara demo workspace and its accountability report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def kaltara(tmp_path_factory) -> dict[str, Any]:
    """The coordinate demo (ledger, needs, areas) and its accountability report, built once."""
    from kizuna.coordinate.accountability import build_accountability
    from kizuna.coordinate.demo import build_demo
    from kizuna.coordinate.load import load_ledger, read_needs
    from kizuna.geo.areas import area_names
    from kizuna.workspace import open_workspace

    root = tmp_path_factory.mktemp("kaltara")
    path = root / "demo.duckdb"
    with open_workspace(path) as ws:
        summary = build_demo(ws, root / "files")
    with open_workspace(path, read_only=True) as ws:
        lf = load_ledger(ws)
        areas = area_names(ws, "XZ")
    rep = build_accountability(lf, "XZ", needs=read_needs(Path(summary["needs"])), areas=areas)
    return {"path": path, "lf": lf, "areas": areas, "rep": rep, "root": root}
