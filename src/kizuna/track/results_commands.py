"""CLI of track's results (issue 14)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the results commands to ``app``."""
