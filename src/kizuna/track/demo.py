"""The track part of ``kizuna demo``: synthetic results, a DDR programme and a course (all fictional)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kizuna.workspace import Workspace


def build_demo(ws: Workspace, folder: Path, seed: int = 7) -> dict[str, Any]:
    """Build each track sub-part's synthetic demo into ``ws``; inputs under ``folder``."""
    from kizuna.track import ddr_demo, results_demo, training_demo

    return {
        "results": results_demo.build_demo(ws, folder / "results", seed),
        "ddr": ddr_demo.build_demo(ws, folder / "ddr", seed),
        "training": training_demo.build_demo(ws, folder / "training", seed),
    }
