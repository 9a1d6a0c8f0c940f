"""CLI of track's ddr (issue 14)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ddr commands to ``app``."""
