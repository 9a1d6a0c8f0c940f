"""CLI of track's training (issue 14)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the training commands to ``app``."""
