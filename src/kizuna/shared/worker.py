"""A child process for the shared server's heavy work: import jobs and analytical-copy builds.

Python runs one thread at a time per process. An import (the CLI's importer into a staging DuckDB,
then the rows into PostgreSQL) and a copy build (every visible row out of PostgreSQL into DuckDB) take
seconds of CPU; run as threads of the server, they starve the page renders and API answers of the
interpreter, and reads wait (measured: read p95 44 s with ten writers, ``benchmarks/shared.py``).
In a child process they use another core, and the child runs at a lower scheduling priority
(``nice``), so on a busy machine the readers come first and imports and new copies wait a little.

:class:`ChildProcess` is one such process (``spawn``: a fresh interpreter, nothing inherited from the
server's threads, sockets or pools). A child that dies (killed, out of memory) fails the call it was
running with ``BrokenProcessPool``; the next call starts a new child. What the child was doing is
safe to lose: a job's transaction is rolled back by PostgreSQL when its connection closes, and the
job is marked failed by the sweep (:func:`kizuna.shared.imports.fail_stale_jobs`); a copy is written
aside and renamed only when complete.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

NICE = 10  # the child's niceness (0..19): readers in the server process come first


def _start_child(niceness: int, parent: int) -> None:
    """In the child: lower its priority, and end it when the server ends (even by SIGKILL), so that a
    killed server leaves no import half-run by an orphan: PostgreSQL then rolls the job's transaction
    back and the next start's sweep marks the job failed."""
    with contextlib.suppress(OSError):  # not permitted here: run at the same priority
        os.nice(niceness)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:  # re-parented: the server is gone
                os._exit(1)

    threading.Thread(target=watch, name="kizuna-parent-watch", daemon=True).start()


class ChildProcess:
    """One long-lived child process running calls one after another (``call`` blocks until done)."""

    def __init__(self, name: str, niceness: int = NICE):
        self.name = name
        self.niceness = niceness
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_child,
                    initargs=(self.niceness, os.getpid()),
                )
            return self._pool

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the child (``fn`` and the arguments must pickle: module-level functions and
        plain values). A child that died is replaced for the next call; this call raises."""
        pool = self._executor()
        try:
            return pool.submit(fn, *args).result()  # submit raises too when the child died in between
        except BrokenProcessPool:
            log.warning("the %s child process died; a new one starts with the next call", self.name)
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    def pid(self) -> int | None:
        """The child's process id (None before the first call or after it died)."""
        with self._lock:
            procs = getattr(self._pool, "_processes", None) or {}
            return next(iter(procs), None)

    def close(self, wait: bool = False) -> None:
        """Stop the child: queued calls are dropped; a running one is stopped (its transaction is rolled
        back by PostgreSQL and the next start's sweep fails its job) unless ``wait``, which waits for it.
        Either way the pool is shut down completely, so its queues' semaphores are released before the
        server exits (else Python's resource tracker reports them as leaked)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        if not wait:
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):  # (it ended meanwhile)
                    proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
