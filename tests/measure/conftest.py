"""Fixtures of the measure tests: the CLI with the measure command registered (once)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def _register_measure() -> None:
    from kizuna.cli import app

    if not any(getattr(c, "name", None) == "measure" for c in app.registered_commands):
        from kizuna.measure.commands import register

        register(app)


_register_measure()
