"""The track part of ``kizuna demo``: synthetic results, a DDR programme and a course (all fictional)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kizuna.workspace import Workspace


def build_demo(ws: Workspace, folder: Path, seed: int = 7) -> dict[str, Any]:
    """Build each track sub-part's synthetic demo into ``ws``; inputs under ``folder``."""
    from kizuna.track import ddr_demo, results_demo, training_demo

    parts = {
        "results": results_demo.build_demo(ws, folder / "results", seed),
        "ddr": ddr_demo.build_demo(ws, folder / "ddr", seed),
        "training": training_demo.build_demo(ws, folder / "training", seed),
    }
    # one flat line for the demo's summary: "results.indicator_rows=94, ddr.persons=480, ..."
    return {f"{part}.{k}": v for part, summary in parts.items() for k, v in summary.items()}
