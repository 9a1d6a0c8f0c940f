"""The server's read-only view of one workspace: a DuckDB connection, a cursor per request, two memories.

The file is opened ``read_only=True`` once. DuckDB connections are not thread-safe, so every
request gets its own ``con.cursor()`` (cheap: it shares the database instance).

What the server remembers, and on what key (docs/benchmarks/serve.md, "What is cached"):

- **per-request caches** (off with ``cache_size=0``): query results and rendered pages, in a small
  LRU keyed by dataset, filters and language (and the app's response cache, :class:`kizuna.web.app.ResponseCache`);
- **data-version precomputations** (``keep=True``, always on): values derived from the whole workspace
  that every request reads (the ledger frames, resolved names, per-country summaries), keyed on the
  workspace's **data version** (:meth:`ReadOnlyStore.data_version`). They are never "once per
  process": :meth:`ReadOnlyStore.refresh` re-reads the version and, when it changed, drops every
  precomputation and every cached result, so the next request builds them from the new data.

While a process holds a DuckDB file read-only no other process can write it (DuckDB's file lock), so
for ``kizuna serve`` the version cannot change while it serves; a backend whose data can change (the
shared server) calls :meth:`ReadOnlyStore.refresh` before each request or when told of a write.
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


def store_of(request: Any) -> ReadOnlyStore:
    """The store a request reads: the one the shared server chose for it (its organisation's analytical
    copy, in ``scope["state"]["store"]``, see :func:`kizuna.web.app.create_copies_app`), else the app's own."""
    chosen = request.scope.get("state", {}).get("store")
    return chosen if chosen is not None else request.app.state.store  # type: ignore[no-any-return]


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
        self._version = self._read_version()
        self._on_change: list[Callable[[], None]] = []

    def _read_version(self) -> tuple[Any, ...]:
        """The data version: the newest import's id and the number of imports (every ingest, needs table,
        boundary set, survey run and register is an import, in one transaction with its ``imports`` row),
        and a fingerprint of the few tables written outside imports (the ally rules and organisation
        registry of ``kizuna allies``: an order-independent XOR of row hashes). Any change of the data
        the pages show changes it."""
        parts = []
        if "imports" in self.tables:
            parts += ["(SELECT coalesce(max(import_id), 0) FROM imports)", "(SELECT count(*) FROM imports)"]
        for table in ("org_registry", "coordinate_ally_rules", "coordinate_org_allies"):
            if table in self.tables:
                parts += [f"(SELECT count(*) FROM {table})", f"(SELECT coalesce(bit_xor(hash(t)), 0) FROM {table} t)"]
        if not parts:
            return ()
        with self.workspace() as ws:
            row = ws.con.execute("SELECT " + ", ".join(parts)).fetchone()
        return tuple(row) if row else ()

    def data_version(self) -> tuple[Any, ...]:
        """The version of the data the precomputations (``keep=True``) were built from."""
        return self._version

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` whenever :meth:`refresh` finds a new data version (the app's response
        cache registers its ``clear`` here)."""
        self._on_change.append(callback)

    def refresh(self) -> bool:
        """Re-read the data version; when it changed, drop every precomputation and cached result (and
        tell :meth:`on_change`'s callbacks). True when it changed. Cost: one aggregate over ``imports``."""
        version = self._read_version()
        if version == self._version:
            return False
        self.invalidate(version)
        return True

    def invalidate(self, version: tuple[Any, ...] | None = None) -> None:
        """Forget everything derived from the data (as after a write), at ``version`` (default: the same).
        The benchmark uses it to measure what rebuilding the precomputations costs."""
        with self._keep_lock, self._lock:
            self._kept.clear()
            self._cache.clear()
            if version is not None:
                self._version = version
        for callback in self._on_change:
            callback()

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

        ``keep``: a data-version precomputation, a value the server needs again and again (the ledger
        frames, table counts, per-country summaries): kept whatever the cache size until the data version
        changes (:meth:`refresh`), and computed by one request while others wait.
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
