"""Shared machinery of the accessibility and language browser tests (tests/web/test_a11y.py,
tests/web/test_languages_browser.py): one headless Chromium for the whole session, a real uvicorn
server over the real-file workspace, and the list of pages both tests visit.

The fixtures here are imported by both test modules; pytest then registers each fixture once per
module, so the browser and the server are memoised in this module and closed when the last user
finishes: one Chromium and one real-file server per session.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

# Every page of the dashboard, and one error page (an unknown path answers 404 with the error template).
PAGES = [
    "/",
    "/presence",
    "/overlaps",
    "/gaps",
    "/division",
    "/vital-core",
    "/screening",
    "/sources",
    "/api",
    "/no-such-page",
]
LANGS = ["en", "ja"]

_shared: dict[str, Any] = {}


def _acquire(name: str, start) -> Any:
    entry = _shared.get(name)
    if entry is None:
        entry = _shared[name] = {"value": start(), "users": 0}
    entry["users"] += 1
    return entry


def _release(name: str, stop) -> None:
    entry = _shared[name]
    entry["users"] -= 1
    if entry["users"] == 0:
        del _shared[name]
        stop(entry["value"])


def start_server(workspace: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """`kizuna serve` (uvicorn) over ``workspace`` on 127.0.0.1 and a free port; (process, base URL)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    code = "import sys; from kizuna.web import serve; serve(sys.argv[1], '127.0.0.1', int(sys.argv[2]))"
    log = log_path.open("wb")  # a file, not a pipe: a full pipe stalls the server
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(workspace), str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/api/v1", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the server did not start: {log_path.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


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
