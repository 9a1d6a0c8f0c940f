"""Shared fixtures: where ../shared is, temporary workspaces."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data; skips the test (fails in CI) when it is absent."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        msg = f"{p} is absent: the real public test data lives in ../shared/data beside the repository"
        if os.environ.get("KIZUNA_REQUIRE_SHARED"):
            pytest.fail(msg)
        pytest.skip(msg)
    return p


def run_async(coro):
    """``asyncio.run(coro)`` in a thread of its own: in a test process where Playwright's sync API (the
    browser tests) keeps an event loop running in the main thread, ``asyncio.run`` there is refused."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(autouse=True)
def _english_unless_a_test_says_otherwise() -> Iterator[None]:
    """Every test starts and ends in English: an in-process CLI run with ``--lang ja`` sets the language
    for the rest of its context, which would leak into whichever test a worker runs next (the suite runs
    on two processes, so the order differs from run to run)."""
    from kizuna import i18n

    i18n.set_language(None)
    yield
    i18n.set_language(None)


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def ws(ws_path: Path):
    from kizuna.workspace import open_workspace

    w = open_workspace(ws_path)
    yield w
    w.close()


def pytest_collection_modifyitems(config, items):
    # A test that drives Chromium without the `browser` marker escapes `-m "not browser"` runs and the
    # CI rule that a missing browser fails: refuse to collect it rather than let it hide.
    unmarked = [i.nodeid for i in items if "chromium" in getattr(i, "fixturenames", ()) and not i.get_closest_marker("browser")]
    if unmarked:
        raise pytest.UsageError("tests use the chromium fixture without @pytest.mark.browser: " + ", ".join(unmarked))


def pytest_sessionfinish(session, exitstatus):
    # Close the DuckDB connections tests left open (apps built without a lifespan, module fixtures),
    # so the binding's leak report at interpreter exit does not trail the test summary.
    import gc

    from kizuna.web.store import ReadOnlyStore
    from kizuna.workspace import Workspace

    gc.collect()
    for obj in gc.get_objects():
        if isinstance(obj, ReadOnlyStore | Workspace):
            with contextlib.suppress(Exception):  # already closed
                obj.close()
    gc.collect()


REAL_IATI = [
    "state-southsudan.xml",
    "usadf-southsudan.xml",
    "hhs-southsudan.xml",
    "acfspain-ss.xml",
    "usaid-cf.xml",
    "dod-afghanistan.xml",
]


@pytest.fixture(scope="session")
def real_iati_path(tmp_path_factory) -> Path:
    """A workspace holding the six real IATI files of ../shared/data/iati, built once per test session
    (tests open it read-only)."""
    from kizuna.ledger.ingest import ingest_paths
    from kizuna.workspace import open_workspace

    paths = [shared_path("iati", f) for f in REAL_IATI]
    path = tmp_path_factory.mktemp("real-iati") / "real.duckdb"
    with open_workspace(path) as ws:
        ingest_paths(ws, paths)
    return path


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One headless Chromium (Debian's) for every browser test of the session: Playwright's sync API
    allows one running instance per thread, so no test starts its own."""
    exe = Path("/usr/bin/chromium")
    if not exe.exists():
        msg = "/usr/bin/chromium is missing: install Debian's chromium package to run the browser tests"
        if os.environ.get("KIZUNA_REQUIRE_BROWSER"):
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(exe), args=args)
        yield b
        b.close()
