"""A real `kizuna serve` (uvicorn) over the workspace of the six real IATI files (``real_iati_path``,
tests/conftest.py), for browser tests on real data. Import the fixture into a test module:
``from real_server import real_server  # noqa: F401``.
"""

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

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def real_server(real_iati_path: Path, own_tmp: Path) -> Iterator[str]:
    """The dashboard over the real-file workspace on 127.0.0.1 and a free port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    code = "import sys; from kizuna.web import serve; serve(sys.argv[1], '127.0.0.1', int(sys.argv[2]))"
    log_path = own_tmp / "real-server.log"
    log = log_path.open("wb")  # noqa: SIM115 — a file, not a pipe: a full pipe stalls the server
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(real_iati_path), str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
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
            pytest.fail(f"the real-file server did not start: {log_path.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)
    # the first page builds the workspace's results: do it here, not inside a browser's page timeout
    httpx.get(base + "/", timeout=180)
    yield base
    log.close()
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
