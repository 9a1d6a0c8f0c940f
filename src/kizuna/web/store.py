"""The server's read-only view of one workspace: a DuckDB connection, a cursor per request, a cache.

The file is opened ``read_only=True`` once. DuckDB connections are not thread-safe, so every
request gets its own ``con.cursor()`` (cheap: it shares the database instance). While a process
holds the file read-only no other process can write it (DuckDB's file lock), so what a query
returned stays true for the life of the server: results are cached in a small LRU keyed by
dataset and filters.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from kizuna.workspace import Workspace, migrations, open_workspace

T = TypeVar("T")


def pending_migrations(ws: Workspace) -> list[int]:
    """Migrations this code ships that the workspace file has not had yet."""
    try:
        done = {r["version"] for r in ws.query("SELECT version FROM schema_migrations")}
    except Exception:  # noqa: BLE001 — a file with no schema_migrations table has had none
        done = set()
    return [m.version for m in migrations() if m.version not in done]


class ReadOnlyStore:
    """One workspace opened read-only, shared by all requests of one app."""

    def __init__(self, path: Path | str, cache_size: int = 512, needs: Path | str | None = None):
        self.path = Path(path)
        self.needs_path = Path(needs) if needs is not None else None
        self._ws = open_workspace(self.path, read_only=True)
        if pending_migrations(self._ws):
            # A workspace written by an older Kizuna: bring its schema up to date once (the only
            # write the server ever makes), then serve it read-only.
            self._ws.close()
            open_workspace(self.path).close()
            self._ws = open_workspace(self.path, read_only=True)
        tables = self._ws.query("SELECT table_name FROM information_schema.tables")
        self.tables = frozenset(r["table_name"] for r in tables)
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._kept: dict[tuple[Any, ...], Any] = {}
        self._keep_lock = threading.RLock()

    def close(self) -> None:
        self._ws.close()

    def needs_table(self) -> Any:
        """The needs table given at start (``kizuna serve --needs``), read once by
        :func:`kizuna.coordinate.load.read_needs`; else the one stored in the workspace (``kizuna gaps
        --needs``, ``kizuna demo``); None when there is neither."""
        needs_path = self.needs_path
        if needs_path is None:
            if not self.has_tables("needs_rows"):
                return None
            from kizuna.coordinate.needs_store import stored_needs_table

            return self.cached(("needs-table",), stored_needs_table, keep=True)
        from kizuna.coordinate.load import read_needs

        return self.remember(("needs-table",), lambda: read_needs(needs_path), keep=True)

    def has_tables(self, *names: str) -> bool:
        return all(n in self.tables for n in names)

    @contextmanager
    def workspace(self) -> Iterator[Workspace]:
        """A Workspace over a fresh cursor, for one request (closed afterwards)."""
        cur = self._ws.con.cursor()
        try:
            yield Workspace(cur, self.path, read_only=True)
        finally:
            cur.close()

    def cached(self, key: tuple[Any, ...], compute: Callable[[Workspace], T], keep: bool = False) -> T:
        """``compute(ws)`` once per key (over a fresh cursor); later calls return the remembered value."""

        def run() -> T:
            with self.workspace() as ws:
                return compute(ws)

        return self.remember(key, run, keep=keep)

    def remember(
        self, key: tuple[Any, ...], compute: Callable[[], T], max_bytes: int = 1 << 20, keep: bool = False
    ) -> T:
        """``compute()`` once per key; values of ``bytes`` over ``max_bytes`` are not kept.

        ``keep``: a value the server needs again and again (the ledger frames, table counts): kept for
        the server's life whatever the cache size, and computed by one request while others wait.
        """
        if keep:
            with self._keep_lock:
                if key not in self._kept:
                    self._kept[key] = compute()
                return self._kept[key]
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = compute()
        size = len(value[-1]) if isinstance(value, tuple) and value and isinstance(value[-1], bytes) else 0
        if self._cache_size and size <= max_bytes:
            with self._lock:
                self._cache[key] = value
                self._cache.move_to_end(key)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return value
