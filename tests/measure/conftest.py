"""Fixtures of the measure tests: the CLI with the measure command registered (once), and the
shared syn_cdta extract through the root conftest's ``shared_path`` (skips when absent)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _root_conftest():
    spec = importlib.util.spec_from_file_location("_kizuna_root_conftest", HERE.parent / "conftest.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


shared_path = _root_conftest().shared_path


def _register_measure() -> None:
    from kizuna.cli import app

    if not any(getattr(c, "name", None) == "measure" for c in app.registered_commands):
        from kizuna.measure.commands import register

        register(app)


_register_measure()


@pytest.fixture(scope="session")
def syn_cdta() -> Path:
    """../shared/data/surveys/syn_cdta.csv (mpitbR's synthetic data; see its README)."""
    return shared_path("surveys", "syn_cdta.csv")
