"""Fixtures for screen tests: the `screen` commands registered on the app once, small context layers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import polars as pl
import pytest

_spec = importlib.util.spec_from_file_location("_kizuna_tests_root_conftest", Path(__file__).parents[1] / "conftest.py")
_root = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(_root)  # type: ignore[union-attr]


@pytest.fixture
def shared():
    """tests/conftest.py::shared_path: a path under ../shared/data, skipping when it is absent."""
    return _root.shared_path


def _register_once() -> None:
    from kizuna.cli import app

    names = {c.name for c in app.registered_commands}
    if "screen" not in names:
        from kizuna.screen.commands import register

        register(app)


_register_once()


@pytest.fixture(scope="session")
def catalogue():
    from kizuna.screen.rules import load_catalogue

    return load_catalogue()


@pytest.fixture
def two_communities() -> pl.DataFrame:
    """Two villages of different (fictional) groups 2 km apart on the same parallel."""
    return pl.DataFrame(
        {
            "name": ["Amber Ford", "Blue Hill"],
            "lat": [8.0, 8.0],
            "lon": [30.0, 30.018],
            "population": [1200, 900],
            "group": ["Asari", "Belen"],
        }
    )
