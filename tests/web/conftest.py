"""Fixtures of the web tests: workspaces, an in-process client, a real uvicorn server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.server_support import free_port, stop_process, wait_until_up
from web_fixture import build_fixture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def own_tmp() -> Iterator[Path]:
    """A temporary folder of our own: pytest's shared basetemp is pruned by concurrent sessions."""
    path = Path(tempfile.mkdtemp(prefix="kizuna-web-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def mini_ws(own_tmp: Path) -> Path:
    """The small hand-made workspace of web_fixture.py."""
    (own_tmp / "mini").mkdir()
    return build_fixture(own_tmp / "mini" / "mini.duckdb")


def _build_demo(path: Path) -> Path:
    from kizuna.demo.build import build_demo  # the product's `kizuna demo`

    build_demo(path, path.parent / "inputs")
    return path


@pytest.fixture(scope="session")
def demo_ws(own_tmp: Path) -> Path:
    """The demo workspace, exactly as `kizuna demo` builds it (synthetic Republic of Kaltara)."""
    (own_tmp / "demo").mkdir()
    return _build_demo(own_tmp / "demo" / "demo.duckdb")


@pytest.fixture(scope="session")
def client(mini_ws: Path) -> Iterator[object]:
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    app = create_app(mini_ws)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.store.close()


@pytest.fixture(scope="session")
def server(demo_ws: Path, own_tmp: Path) -> Iterator[str]:
    """A real `kizuna serve` (uvicorn) on 127.0.0.1 and a free port, over the demo workspace with the
    demo's needs table; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    code = "import sys; from kizuna.web import serve; serve(sys.argv[1], '127.0.0.1', int(sys.argv[2]), sys.argv[3])"
    needs = demo_ws.parent / "inputs" / "coordinate" / "kaltara-needs.csv"  # written by the demo
    log = (own_tmp / "server.log").open("wb")  # noqa: SIM115 — a file, not a pipe: a full pipe stalls the server
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(demo_ws), str(port), str(needs)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(proc, base + "/api/v1", own_tmp / "server.log")
    yield base
    log.close()
    stop_process(proc)


def serve_workspace(path: Path, log_path: Path, needs: Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start `kizuna serve` (uvicorn) over ``path`` on 127.0.0.1 and a free port; returns the process and
    its base URL once it answers. Without ``needs`` the server uses the needs table stored in the workspace."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    code = (
        "import sys; from kizuna.web import serve; "
        "serve(sys.argv[1], '127.0.0.1', int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)"
    )
    args = [sys.executable, "-c", code, str(path), str(port)] + ([str(needs)] if needs else [])
    log = log_path.open("wb")  # noqa: SIM115 — a file, not a pipe: a full pipe stalls the server
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(proc, base + "/api/v1", log_path)
    return proc, base


@pytest.fixture(scope="session")
def real_needs_ws(real_iati_path: Path, own_tmp: Path) -> Path:
    """The six real IATI files plus the real Afghanistan HNO stored as the needs table (as `kizuna gaps
    --needs` stores it), so the Gaps page has real rows: a copy of ``real_iati_path``."""
    from tests.conftest import shared_path

    from kizuna.coordinate.needs_store import store_needs
    from kizuna.workspace import open_workspace

    (own_tmp / "real-needs").mkdir()
    path = own_tmp / "real-needs" / "real.duckdb"
    shutil.copyfile(real_iati_path, path)
    with open_workspace(path) as ws:
        store_needs(ws, shared_path("needs", "afg_hno_2024.csv"))
    return path


@pytest.fixture(scope="session")
def real_pages_server(real_needs_ws: Path, own_tmp: Path) -> Iterator[str]:
    """The dashboard over the real-file workspace (with its stored needs table); yields its base URL."""
    proc, base = serve_workspace(real_needs_ws, own_tmp / "real-pages-server.log")
    yield base
    stop_process(proc)


@pytest.fixture(scope="session")
def demo_stored_server(demo_ws: Path, own_tmp: Path) -> Iterator[str]:
    """`kizuna serve` over the demo as `kizuna demo --no-serve` leaves it: no --needs, the stored table."""
    proc, base = serve_workspace(demo_ws, own_tmp / "demo-stored-server.log")
    yield base
    stop_process(proc)


@pytest.fixture(scope="session")
def real_server(real_pages_server: str) -> str:
    """The dashboard over the real-file workspace (six real IATI files, the Afghanistan HNO stored):
    one server for every real-data browser test."""
    return real_pages_server
