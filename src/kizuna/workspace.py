"""The workspace: one DuckDB file, numbered migrations, one transaction per import, provenance.

Readers never write here; importers (``kizuna.ledger.store`` and the like) take rows from readers and
land them through :meth:`Workspace.transaction`, so a failed import leaves every table as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from kizuna.errors import KizunaError, Where
from kizuna.files import file_sha256
from kizuna.i18n import N_
from kizuna.store import KILL_ENV, kill_point, quiet_kill_points, scalar

DEFAULT_PATH = Path("kizuna.duckdb")
FLOW_RULES_MIGRATION = 5  # 0005_flows_regions_dates: the money rules of issue 11 (regions, value dates)
ENV_VAR = "KIZUNA_WORKSPACE"
__all__ = [  # kill_point, scalar, file_sha256: defined below the workspace (kizuna.store, kizuna.files)
    "KILL_ENV",
    "Workspace",
    "default_path",
    "file_sha256",
    "fold_wal",
    "kill_point",
    "migrations",
    "open_workspace",
    "scalar",
]


def default_path() -> Path:
    """The workspace path: ``$KIZUNA_WORKSPACE`` if set, else ``./kizuna.duckdb``."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_PATH)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """All migrations shipped in ``kizuna/migrations`` as ``NNNN_name.sql``, in version order."""
    out: list[Migration] = []
    for entry in resources.files("kizuna.migrations").iterdir():
        name = entry.name
        if not name.endswith(".sql") or not name[:4].isdigit():
            continue
        out.append(Migration(int(name[:4]), name[5:-4], entry.read_text(encoding="utf-8")))
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration numbers in kizuna/migrations: {versions}")
    return out


class Workspace:
    """An open workspace. Use :func:`open_workspace`; close with :meth:`close` or as a context manager."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool):
        self.con = con
        self.path = path
        self.read_only = read_only
        self._depth = 0  # open units of work: only the outermost one begins and commits

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection and let it go (a closed workspace keeps no DuckDB object alive)."""
        con = self.__dict__.pop("con", None)
        if con is not None:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One all-or-nothing unit of work: commits on success, rolls back on any exception.

        Units of work nest: one opened inside another is part of it (DuckDB has no savepoints), so a
        command that takes several inputs (``kizuna ingest a.xml b.xml``) wraps the per-file units in
        one and stores all of them or none. A failure inside a nested unit must end the outer one too:
        let the exception through (the outer unit rolls back).
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        kill_point("begin")
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield self.con
            kill_point("commit")
        except BaseException:
            self._depth = 0
            self.con.execute("ROLLBACK")
            raise
        self._depth = 0
        self.con.execute("COMMIT")
        kill_point("committed")

    def migrate(self) -> list[int]:
        """Apply the migrations this file has not seen yet; return their versions."""
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
        )
        done = {r[0] for r in self.con.execute("SELECT version FROM schema_migrations").fetchall()}
        with quiet_kill_points():
            return self._migrate(done)

    def _migrate(self, done: set[int]) -> list[int]:
        applied = []
        for m in migrations():
            if m.version in done:
                continue
            with self.transaction() as con:
                con.execute(m.sql)
                con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [m.version, m.name, datetime.now(UTC).replace(tzinfo=None)],
                )
            applied.append(m.version)
        if applied:
            self.load_reference()
        else:
            self.refresh_registry()
        if FLOW_RULES_MIGRATION in applied and done and self.scalar("SELECT count(*) FROM flows"):
            # flows derived under older money rules (before regions shared the 100 %): derive them again
            from kizuna.ledger.money import rebuild_flows  # here: most commands open a migrated workspace

            with self.transaction() as con:
                rebuild_flows(con)
        return applied

    def load_reference(self) -> None:
        """Load the offline reference tables (IATI codes, ECB rates) once, when the workspace is created
        or upgraded, so that no import pays for them."""
        from kizuna.ledger.money import ensure_rates  # here: only a new or upgraded workspace loads them
        from kizuna.reference.codelists import ensure_codelists
        from kizuna.reference.orgs import ensure_registry

        with self.transaction() as con:
            ensure_codelists(con)
            ensure_rates(con)
            ensure_registry(con)

    def refresh_registry(self) -> None:
        """Reload the shipped organisation registry if this workspace holds an older version of it."""
        from kizuna.reference.orgs import ensure_registry

        with self.transaction() as con:
            ensure_registry(con)

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        """The first column of the first row (fetches everything: DuckDB 2.0 refuses new work on a
        connection with an unfinished result, which ``fetchone`` leaves behind)."""
        return scalar(self.con, sql, params)

    def has_table(self, name: str) -> bool:
        return bool(self.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))

    def table_counts(self) -> dict[str, int]:
        """Row count of every base table (for tests and ``kizuna sources``)."""
        names = [
            r[0]
            for r in self.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY table_name"
            ).fetchall()
        ]
        return {n: int(self.scalar(f'SELECT count(*) FROM "{n}"')) for n in names}

    def record_import(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        kind: str,
        path: Path,
        sha256: str,
        publisher: str | None = None,
        version: str | None = None,
        counts: dict[str, int] | None = None,
        warnings: dict[str, int] | None = None,
        source_url: str | None = None,
        retrieved_at: datetime | None = None,
    ) -> int:
        """Record an import's provenance inside the caller's transaction; return its ``import_id``.
        A downloaded file also gives where it came from: ``source_url`` and ``retrieved_at`` (UTC)."""
        import_id = self.reserve_import_ids(con, 1)[0]
        self.record_imports(
            con,
            [
                {
                    "import_id": import_id,
                    "kind": kind,
                    "path": path,
                    "sha256": sha256,
                    "publisher": publisher,
                    "version": version,
                    "counts": counts,
                    "warnings": warnings,
                    "source_url": source_url,
                    "retrieved_at": retrieved_at,
                }
            ],
        )
        return import_id

    def reserve_import_ids(self, con: duckdb.DuckDBPyConnection, n: int) -> list[int]:
        """``n`` new import ids, for :meth:`record_imports` (inside the caller's transaction)."""
        return [int(r[0]) for r in con.execute("SELECT nextval('import_seq') FROM range(?)", [n]).fetchall()]

    def record_imports(self, con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
        """Record several imports' provenance in one statement (ids from :meth:`reserve_import_ids`):
        each row has ``import_id, kind, path, sha256, publisher, version, counts, warnings``, and a
        downloaded file's ``source_url, retrieved_at`` (see :meth:`record_import`)."""
        if not rows:
            return
        import pyarrow as pa  # here: most commands never record an import

        now = datetime.now(UTC).replace(tzinfo=None)
        table = pa.table(
            {
                "import_id": [r["import_id"] for r in rows],
                "kind": [r["kind"] for r in rows],
                "file_name": [Path(r["path"]).name for r in rows],
                "file_path": [self.stored_path(r["path"]) for r in rows],
                "sha256": [r["sha256"] for r in rows],
                "publisher": pa.array([r.get("publisher") for r in rows], pa.string()),
                "version": pa.array([r.get("version") for r in rows], pa.string()),
                "counts": [json.dumps(r.get("counts") or {}) for r in rows],
                "warnings": [json.dumps(r.get("warnings") or {}) for r in rows],
                "imported_at": pa.array([now] * len(rows), pa.timestamp("us")),
                "source_url": pa.array([r.get("source_url") for r in rows], pa.string()),
                "retrieved_at": pa.array([_utc_naive(r.get("retrieved_at")) for r in rows], pa.timestamp("us")),
            }
        )
        con.register("_import_rows", table)
        try:
            con.execute(
                "INSERT INTO imports (import_id, kind, file_name, file_path, sha256, publisher, version, counts,"
                " warnings, imported_at, source_url, retrieved_at) SELECT import_id, kind, file_name, file_path,"
                " sha256, publisher, version, counts, warnings, imported_at, source_url, retrieved_at FROM _import_rows"
            )
        finally:
            con.unregister("_import_rows")
        kill_point("insert")

    def stored_path(self, path: Path | str) -> str:
        """How an input file's place is kept on its ``imports`` row (``file_path``): its path relative to
        the workspace's folder when it lies inside that folder (``inputs/screen/well.toml``), else its
        bare file name. A full local path names the user's home and folders (often a person's name) and
        is never stored. See :meth:`source_path` for the way back."""
        p = Path(path)
        try:
            rel = p.resolve().relative_to(self.path.resolve().parent)
        except (ValueError, OSError):
            return p.name
        return rel.as_posix() if rel.parts else p.name

    def source_path(self, stored: str | None) -> Path | None:
        """Where an input file recorded by :meth:`stored_path` is now: resolved against the workspace's
        folder (None when nothing is stored). The file may have moved or gone: check it exists (and
        its sha256) before reading it."""
        if not stored:
            return None
        return self.path.resolve().parent / stored

    def imported_hashes(self, kind: str, hashes: list[str]) -> set[str]:
        """Which of these sha256 hashes are imported already (as ``kind``)."""
        rows = self.con.execute(
            "SELECT DISTINCT sha256 FROM imports WHERE kind = ? AND list_contains(?, sha256)", [kind, hashes]
        ).fetchall()
        return {r[0] for r in rows}

    def already_imported(self, kind: str, sha256: str) -> bool:
        return bool(self.imported_hashes(kind, [sha256]))

    def has_imports(self, kind: str) -> bool:
        """Whether any import of this kind is recorded (False when there is no ``imports`` table yet)."""
        return self.has_table("imports") and bool(self.scalar("SELECT count(*) FROM imports WHERE kind = ?", [kind]))

    def checkpoint(self) -> None:
        """Write everything into the file itself, so no write-ahead log of it stays behind."""
        self.con.execute("CHECKPOINT")

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run a read query; rows as dicts (small results only: pages, CLI tables)."""
        cur = self.con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _utc_naive(t: datetime | None) -> datetime | None:
    """A time as the naive UTC the ``imports`` table stores (an aware one is converted)."""
    return t.astimezone(UTC).replace(tzinfo=None) if t is not None and t.tzinfo is not None else t


def fold_wal(path: Path) -> None:
    """Fold a workspace file's write-ahead log (left by a process killed while writing) into the file,
    without migrating it: the file must stand alone before another replaces it."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


def open_workspace(path: Path | str | None = None, *, read_only: bool = False, create: bool = True) -> Workspace:
    """Open (and, unless read-only, create and migrate) the workspace at ``path``."""
    p = Path(path) if path is not None else default_path()
    if not p.exists() and (read_only or not create):
        raise KizunaError(
            "workspace.missing",
            N_("no workspace here"),
            Where(file=str(p)),
            hint=N_("run `kizuna demo` or `kizuna ingest FILE` first, or pass --workspace PATH"),
            status=404,
        )
    try:
        con = duckdb.connect(str(p), read_only=read_only)
    except duckdb.Error as exc:
        raise KizunaError(
            "workspace.open",
            N_("cannot open the workspace: {error}"),
            Where(file=str(p)),
            hint=N_("is another kizuna process writing to it? Is it a DuckDB 2.x file?"),
            params={"error": str(exc).splitlines()[0]},
        ) from exc
    ws = Workspace(con, p, read_only)
    if not read_only:
        ws.migrate()
    return ws
