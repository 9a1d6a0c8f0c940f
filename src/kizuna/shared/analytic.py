"""The analytical copy: a DuckDB workspace holding exactly the records one organisation may read, so that the
existing analyses and pages (``kizuna.web.create_app`` over that file) show that organisation's view.

The rows are read from PostgreSQL through row-level security, acting as the organisation: nothing is
filtered in Python, so the copy can never hold a row RLS hides. Where several visible imports hold the
same DuckDB key (two organisations imported the same IATI activity, a re-import of a newer file), the
latest import wins, as the latest ingest wins in a DuckDB workspace. The derived tables are rebuilt
the way the CLI builds them after an import (:data:`kizuna.shared.records.DERIVED_TABLES`).

The server caches copies by :func:`copy_key` (which imports, with or without their person-level rows,
the organisation sees, and whether each is done) and builds a new one when it changes.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Final

import duckdb
import psycopg

from kizuna.shared import records

# The kind an import has in a DuckDB workspace, when shared mode names it otherwise.
DUCKDB_KIND: Final[dict[str, str]] = {"proposal": "screen"}

# Tables whose rows hang on an activity (activity_uid) without a key of their own: they come from the
# import whose activity the copy keeps.
_ACTIVITY_PARTS_EXCLUDED: Final[frozenset[str]] = frozenset({"activities", "ledger_warnings"})
# Rows that hang on a parent row kept by key: (parent table, link column).
_CHILDREN: Final[dict[str, tuple[str, str]]] = {
    "screen_risks": ("screen_registers", "register_id"),
    "screen_gaps": ("screen_registers", "register_id"),
}

_IMPORT_COLUMNS: Final[tuple[str, ...]] = (
    "import_id",
    "kind",
    "file_name",
    "file_path",
    "sha256",
    "publisher",
    "version",
    "counts",
    "warnings",
    "imported_at",
    "source_url",
    "retrieved_at",
)

# Bumped when the copy is built differently, so that cached copies are not reused.
# 2: only finished imports (a pending import has no rows yet; the imports page lists it);
# 3: 'own' marks imports with the organisation's person-level rows only
COPY_FORMAT = 3


# Whether the acting organisation owns person-level rows in an import: the one thing besides the set
# of visible imports that makes its copy differ from another's (RLS shows person rows to the owner only).
_OWN_PERSONS = " OR ".join(
    f"EXISTS (SELECT 1 FROM {t} p WHERE p.import_id = i.import_id)" for t in records.PERSONAL_TABLES
)
_STATE_SQL = (
    f"SELECT i.import_id, i.org_id = kizuna_org() AND ({_OWN_PERSONS}) AS own FROM imports i"
    " WHERE i.status = 'done' ORDER BY i.import_id"
)


@functools.lru_cache(maxsize=1)
def _duck_schema() -> int:
    """The newest DuckDB migration shipped (read once: the files do not change while a server runs)."""
    from kizuna.workspace import migrations

    return max(m.version for m in migrations())


def copy_state(con: psycopg.Connection[Any]) -> tuple[str, frozenset[tuple[int, bool]]]:
    """Inside an acting transaction: the copy key and the set of ``(import_id, owned)`` this organisation
    sees (finished imports only: a pending one has no rows yet, a failed one never will).

    The key is a sha256 (hex) over the DuckDB schema version, the copy format and, for each visible
    finished import in id order, its id and whether this organisation owns person-level rows in it
    (only the owner reads those: :data:`kizuna.shared.records.PERSONAL_TABLES`). Organisations that
    see the same imports and no person-level rows of their own among them — the usual case: IATI files
    and 3W sheets have none — share one key, so one copy serves them all. Imports are never edited
    once done (a new file is a new import), so
    equal keys mean equal analytical copies; another organisation's private write, or anyone's upload
    still waiting for its job, leaves this key as it was.
    """
    h = hashlib.sha256()
    h.update(f"copy{COPY_FORMAT}|schema{_duck_schema()}".encode())
    seen: set[tuple[int, bool]] = set()
    for row in con.execute(_STATE_SQL).fetchall():
        iid, own = (row["import_id"], row["own"]) if isinstance(row, dict) else row
        h.update(f"|{iid}:{'own' if own else 'seen'}".encode())
        seen.add((int(iid), bool(own)))
    return h.hexdigest(), frozenset(seen)


def copy_key(con: psycopg.Connection[Any]) -> str:
    """Inside an acting transaction: the key of the analytical copy this organisation sees (see
    :func:`copy_state`). Equal keys mean equal analytical copies."""
    return copy_state(con)[0]


def _first(row: Any) -> Any:
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


# Every copy starts from the same migrated template, so a table's columns and key are the same in all of
# them: read once per process and DuckDB schema (the catalogue queries cost ~40 % of a small copy's build).
_SHAPES: dict[tuple[int, str, str], Any] = {}


def _duck_columns(duck: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """The table's (column, DuckDB type) in order."""
    key = (_duck_schema(), "columns", table)
    if key not in _SHAPES:
        _SHAPES[key] = [
            (str(c), str(t))
            for c, t in duck.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?"
                " ORDER BY ordinal_position",
                [table],
            ).fetchall()
        ]
    return list(_SHAPES[key])


def _duck_key(duck: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of the table's UNIQUE constraint, else of its primary key (empty when none)."""
    key = (_duck_schema(), "key", table)
    if key not in _SHAPES:
        rows = duck.execute(
            "SELECT constraint_type, constraint_column_names FROM duckdb_constraints()"
            " WHERE table_name = ? AND constraint_type IN ('UNIQUE', 'PRIMARY KEY')",
            [table],
        ).fetchall()
        by = {str(t): [str(c) for c in cols] for t, cols in rows}
        _SHAPES[key] = by.get("UNIQUE") or by.get("PRIMARY KEY") or []
    return list(_SHAPES[key])


def _pg_expr(col: str, typ: str) -> str:
    """A column as text PostgreSQL writes and DuckDB reads back unchanged."""
    q = f'"{col}"'
    if typ == "BLOB":
        return f"encode({q}, 'hex')"
    if typ.endswith("[]"):
        return f"to_json({q})::text"
    if typ in ("BOOLEAN", "JSON"):
        return f"{q}::text"
    return q


def _duck_expr(col: str, typ: str) -> str:
    q = f'"{col}"'
    if typ == "BLOB":
        return f"from_hex({q})"
    if typ.endswith("[]"):
        return f"CAST(from_json({q}, '[\"VARCHAR\"]') AS {typ})"
    return f"CAST({q} AS {typ})"


def _scope(duck: duckdb.DuckDBPyConnection, table: str, cols: list[str]) -> str:
    """The PostgreSQL query (with ``{cols}`` to fill) of the visible rows the copy keeps: by key, the
    latest import's row; rows hanging on a kept row, those of the kept row's import."""
    key = _duck_key(duck, table)
    if key and table != "imports":
        keys = ", ".join(f'"{k}"' for k in key)
        return f"SELECT DISTINCT ON ({keys}) {{cols}} FROM {table} t ORDER BY {keys}, import_id DESC"
    if table in _CHILDREN:
        parent, link = _CHILDREN[table]
        pkeys = ", ".join(f'"{k}"' for k in _duck_key(duck, parent))
        return (
            f"SELECT {{cols}} FROM {table} t WHERE {link} IN (SELECT DISTINCT ON ({pkeys}) {link} FROM {parent}"
            f" ORDER BY {pkeys}, import_id DESC)"
        )
    if "activity_uid" in cols and table not in _ACTIVITY_PARTS_EXCLUDED:
        return (
            f"SELECT {{cols}} FROM {table} t WHERE (activity_uid, import_id) IN"
            " (SELECT DISTINCT ON (activity_uid) activity_uid, import_id FROM activities"
            " ORDER BY activity_uid, import_id DESC)"
        )
    return f"SELECT {{cols}} FROM {table} t"


def _copy_out(con: psycopg.Connection[Any], sql: str, dest: Path) -> int:
    """``COPY (sql) TO STDOUT`` as CSV into ``dest``; returns bytes written."""
    n = 0
    with dest.open("wb") as fh, con.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
        for block in copy:
            fh.write(block)
            n += len(block)
    return n


def _load_table(con: psycopg.Connection[Any], duck: duckdb.DuckDBPyConnection, table: str, folder: Path) -> None:
    """Copy the rows of ``table`` this organisation reads (and the copy keeps) into the DuckDB table."""
    cols = _duck_columns(duck, table)
    names = [c for c, _t in cols]
    if table == "imports":
        pg_cols = ", ".join(
            f"CASE kind {' '.join(f'WHEN {k!r} THEN {v!r}' for k, v in DUCKDB_KIND.items())} ELSE kind END"
            if c == "kind"
            else _pg_expr(c, t)
            for c, t in cols
        )
        sql = f"SELECT {pg_cols} FROM imports WHERE status = 'done'"
    else:
        sql = _scope(duck, table, names).format(cols=", ".join(_pg_expr(c, t) for c, t in cols))
    path = folder / f"{table}.csv"
    if not _copy_out(con, sql, path):
        return
    spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in names) + "}"
    duck.execute(
        f"INSERT INTO {table} ({', '.join(chr(34) + c + chr(34) for c in names)})"
        f" SELECT {', '.join(_duck_expr(c, t) for c, t in cols)}"
        f" FROM read_csv(?, header = false, columns = {spec}, quote = '\"', escape = '\"',"
        " allow_quoted_nulls = false, auto_detect = false, delim = ',', new_line = '\\n')",
        [str(path)],
    )
    path.unlink()


def build_analytical_copy(con: psycopg.Connection[Any], target: Path | str) -> Path:
    """Inside an acting transaction: write a DuckDB workspace at ``target`` holding the rows this
    organisation may read (read through RLS), with the shipped reference data and the derived tables
    rebuilt as the CLI builds them (flows with their double-counting marks, the points' admin areas).

    All or nothing: the copy is written under a temporary name beside ``target`` and renamed over it
    when complete; a failure leaves ``target`` as it was. Returns ``target``. Sets ``DateStyle`` (ISO)
    and ``extra_float_digits`` (1: the shortest text that reads back as the same double) for the rest
    of the caller's transaction.
    """
    from kizuna.geo.store import refresh_location_areas
    from kizuna.ledger.money import rebuild_flows
    from kizuna.workspace import open_workspace

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    con.execute("SET LOCAL DateStyle TO 'ISO, YMD'")
    con.execute("SET LOCAL extra_float_digits TO 1")  # shortest text that reads back as the same double
    try:
        shutil.copyfile(records.staging_template(), tmp)
        with tempfile.TemporaryDirectory(prefix="kizuna-copy-") as folder, open_workspace(tmp) as ws:
            with ws.transaction() as duck:
                _load_table(con, duck, "imports", Path(folder))
                for table in records.RECORD_TABLES:
                    _load_table(con, duck, table, Path(folder))
                rebuild_flows(duck)
                if ws.scalar("SELECT count(*) FROM admin_areas WHERE geometry IS NOT NULL"):
                    refresh_location_areas(duck)
            ws.con.execute("CHECKPOINT")
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return target


def build_copy_for(
    url: str, org_id: int, role: str, user_id: int | None, directory: Path | str
) -> tuple[str, frozenset[tuple[int, bool]]]:
    """Build (unless it exists) the analytical copy the organisation ``org_id`` sees, under ``directory``
    as ``<key>.duckdb``, over a connection of its own acting as ``kizuna_app`` (under RLS); returns the
    key and the ``(import_id, owned)`` pairs it holds (see :func:`copy_state`).

    The key and the rows are read in one REPEATABLE READ snapshot, so a write in between cannot give a
    copy the wrong name. Plain arguments and a plain result: the shared server runs it in a child
    process (:mod:`kizuna.shared.worker`) so that building never holds the server's interpreter.
    """
    from kizuna.shared import pg

    with pg.connect(url, as_app=True) as con:
        con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with pg.acting(con, org_id, role, user_id):
            key, seen = copy_state(con)
            path = Path(directory) / f"{key}.duckdb"
            if not path.exists():
                build_analytical_copy(con, path)  # written aside and renamed: all or nothing
    return key, seen
