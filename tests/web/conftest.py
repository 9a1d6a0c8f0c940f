"""Fixtures of the web tests: workspaces, an in-process client, a real uvicorn server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web_fixture import build_fixture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def mini_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small hand-made workspace of web_fixture.py."""
    return build_fixture(tmp_path_factory.mktemp("mini") / "mini.duckdb")


def _build_demo(path: Path) -> Path:
    try:
        from kizuna.demo import build_demo  # the lead's demo builder, once it has landed
    except ImportError:
        return build_fixture(path)
    build_demo(path, serve=False)
    return path


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace (`kizuna demo`), or the small fixture until the demo exists."""
    return _build_demo(tmp_path_factory.mktemp("demo") / "demo.duckdb")


@pytest.fixture(scope="session")
def client(mini_ws: Path) -> Iterator[object]:
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    app = create_app(mini_ws)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(demo_ws: Path) -> Iterator[str]:
    """A real `kizuna serve` (uvicorn) on 127.0.0.1 and a free port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    code = "import sys; from kizuna.web import serve; serve(sys.argv[1], '127.0.0.1', int(sys.argv[2]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(demo_ws), str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/api/v1", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out = proc.stdout.read().decode() if proc.stdout else ""
            pytest.fail(f"the server did not start: {out[-2000:]}")
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
