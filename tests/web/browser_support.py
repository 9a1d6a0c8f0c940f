"""Shared helpers of the accessibility and language browser tests (tests/web/test_a11y.py,
tests/web/test_languages_browser.py): the pages both visit and how a page is loaded. The browser
(`chromium`, tests/conftest.py) and the servers (`server`, `real_server`, tests/web/conftest.py) are
session fixtures.
"""

from __future__ import annotations

from typing import Any

import pytest

# Every page of the dashboard, and one error page (an unknown path answers 404 with the error template).
PAGES = [
    "/",
    "/presence",
    "/overlaps",
    "/gaps",
    "/division",
    "/vital-core",
    "/screening",
    "/results",
    "/ddr",
    "/training",
    "/sources",
    "/api",
    "/no-such-page",
]
LANGS = ["en", "ja"]

def workspaces(request: pytest.FixtureRequest, which: str) -> str:
    """The base URL of the server of ``which`` ("demo" or "real")."""
    return request.getfixturevalue("server" if which == "demo" else "real_server")


def load(browser: Any, url: str) -> tuple[Any, Any, int]:
    """Open ``url`` in a fresh context and wait until its charts are drawn; (context, page, status)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    response = page.goto(url)
    status = response.status if response is not None else 0
    # app.js marks the body when every chart is drawn (or none is on the page); a selector, not
    # wait_for_function: that evaluates a string, which the page's CSP forbids
    page.wait_for_selector("body[data-charts]", state="attached", timeout=20_000)
    return ctx, page, status
