"""Real servers in tests: a free loopback port, waiting until a started server answers, stopping it.

One home for the web tests' uvicorn servers (tests/web/conftest.py) and shared mode's
(tests/shared/web_support.py).
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(
    proc: subprocess.Popen, url: str, log_path: Path, what: str = "the server", timeout: float = 60
) -> None:
    """Return once ``url`` answers 200; if ``proc`` ends or ``timeout`` seconds pass first, kill it and fail
    the test with the end of its log."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{what} did not start: {log_path.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not ended within 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
