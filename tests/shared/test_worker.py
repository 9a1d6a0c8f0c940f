"""The shared server's child process (kizuna.shared.worker): heavy work off the server's interpreter,
at a lower priority, replaced when it dies, and never outliving a killed server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from kizuna.shared.worker import NICE, ChildProcess

ROOT = Path(__file__).resolve().parents[2]


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in state  # exited, not yet reaped


def test_calls_run_in_a_lower_priority_child_that_is_replaced_after_it_dies():
    child = ChildProcess("test")
    try:
        first = child.call(os.getpid)
        assert first != os.getpid()
        assert child.call(os.nice, 0) >= min(19, os.nice(0) + NICE)  # os.nice(0): its niceness now
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not gone(first) and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(BrokenProcessPool):
            child.call(time.sleep, 0)
        second = child.call(os.getpid)
        assert second not in (first, os.getpid())
    finally:
        child.close()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see the processes")
def test_the_child_ends_when_its_server_is_killed():
    """A SIGKILLed server must not leave an orphan finishing an import: PostgreSQL then rolls the job
    back when the child's connection closes, and the next start's sweep marks it failed."""
    code = (
        "import os, time\n"
        "from kizuna.shared.worker import ChildProcess\n"
        "child = ChildProcess('t')  # kept: an executor nobody holds shuts its worker down\n"
        "print(child.call(os.getpid), flush=True)\n"
        "time.sleep(120)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert server.stdout is not None
        pid = int(server.stdout.readline())
        assert not gone(pid)
    finally:
        server.kill()
        server.wait(10)
    deadline = time.monotonic() + 15
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gone(pid), "the child outlived its killed server"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see the processes")
def test_a_worker_that_exited_unreaped_counts_as_gone_for_the_stale_job_sweep():
    """Where nothing reaps orphans (PID 1 of many containers) a killed server's worker stays a zombie;
    it still answers signal 0, but it is dead and its job must be failed at the next start."""
    import socket

    from kizuna.shared.imports import _pid_gone

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while "\nState:\tZ" not in Path(f"/proc/{child.pid}/status").read_text():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(child.pid, 0)  # a zombie still answers signal 0
        assert _pid_gone(f"{socket.gethostname()}:{child.pid}")
    finally:
        child.wait()
    assert _pid_gone(f"{socket.gethostname()}:{child.pid}")  # reaped: no such process
    assert not _pid_gone(f"{socket.gethostname()}:{os.getpid()}")  # alive
    assert not _pid_gone(f"another-host:{child.pid}")  # another host's pid says nothing here
