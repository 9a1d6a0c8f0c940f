"""The bottom of the storage layer: what every store module shares and nothing of kizuna's is imported by.

:mod:`kizuna.workspace` (open, migrate, load the reference tables) and the parts' ``store``/``queries``
modules build on it; the modules the workspace itself calls while it opens (the reference loaders,
:mod:`kizuna.ledger.money`) import it instead of :mod:`kizuna.workspace`, so no import goes back up.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

KILL_ENV = "KIZUNA_TEST_KILL_AT"
_kill_hits: dict[str, int] = {}
_kill_quiet = 0  # > 0 while a workspace opens: migrations are not the command's own work


def kill_point(name: str) -> None:
    """Test hook: end this process with SIGKILL at the named point when ``$KIZUNA_TEST_KILL_AT`` says so.

    The variable holds ``name`` (the first time the point is reached) or ``name:N`` (the N-th time).
    The points: ``begin`` (just before a unit of work's BEGIN), ``insert`` (after a write inside it),
    ``commit`` (just before its COMMIT), ``committed`` (after COMMIT, before any output file),
    ``file`` (after each input file of an ingest is loaded, before the next), ``replace`` and
    ``replaced`` (``kizuna demo``: the new workspace built, before and after it replaces the old one).
    The SIGKILL tests (``tests/reliability/test_sigkill.py``, docs/reliability.md) use it to stop a real
    CLI process at each of them; unset, it costs one environment look-up. Points reached while a
    workspace opens (its migrations, see :func:`quiet_kill_points`) do not count.
    """
    want = os.environ.get(KILL_ENV)
    if not want or _kill_quiet:
        return
    target, _sep, nth = want.partition(":")
    if target != name:
        return
    _kill_hits[name] = _kill_hits.get(name, 0) + 1
    if _kill_hits[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def quiet_kill_points() -> Iterator[None]:
    """Kill points reached inside this block do not count (a workspace opening: not the command's work)."""
    global _kill_quiet
    _kill_quiet += 1
    try:
        yield
    finally:
        _kill_quiet -= 1


def scalar(con: Any, sql: str, params: Any = None) -> Any:
    """The first value of a query's result, fetched whole (DuckDB 2.0 refuses new work on a connection
    with an unfinished result, which ``fetchone`` leaves behind)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None
