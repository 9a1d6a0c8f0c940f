"""Synthetic training data for ``kizuna demo`` (fictional, labelled synthetic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kizuna.workspace import Workspace


def build_demo(ws: Workspace, folder: Path, seed: int = 7) -> dict[str, Any]:
    """Generate the synthetic training inputs under ``folder``, store them in ``ws``; a summary."""
    return {}
