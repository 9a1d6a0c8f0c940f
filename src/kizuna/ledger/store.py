"""Land activities from a reader into the workspace: one transaction per file, batched column inserts.

The reader yields :class:`kizuna.ledger.iati.Activity` objects; :mod:`kizuna.ledger.rows` turns batches of
them into Arrow tables (Parquet files) and this module inserts them with DuckDB, so a file of any size
loads in bounded memory. Rules:

* ``activity_uid`` = ``publisher_ref|iati_identifier``. The same uid in a later import (or later in
  the same file) replaces the earlier version, in every table; the same identifier from another
  publisher is another activity, and both show in the ``activity_duplicates`` view.
* A file whose sha256 was already imported is skipped whole: importing it again changes no row.
* Any error rolls the whole file back: every table keeps its row count.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa

from kizuna.ledger.iati import Activity
from kizuna.ledger.rows import (  # re-exported: the ledger's rows, shaped where readers may use them
    ACTIVITY_TABLES,
    BATCH,
    COLUMNS,
    Batch,
    LoadStats,
    _batched,
    activity_uid,
    build_batch,
    repeat_warnings,
    write_batch,
)
from kizuna.reference.orgs import norm_name
from kizuna.workspace import Workspace, kill_point

__all__ = [
    "ACTIVITY_TABLES",
    "BATCH",
    "COLUMNS",
    "Batch",
    "LoadStats",
    "activity_uid",
    "alias_rows",
    "build_batch",
    "delete_files",
    "flush_files",
    "ledger_counts",
    "load_activities",
    "load_aliases",
    "merge_files",
    "repeat_warnings",
    "save_alias",
    "store_warnings",
    "store_warnings_of_imports",
    "write_batch",
]


def flush_files(
    con: Any,
    paths: dict[str, str] | dict[str, list[str]],
    import_id: int | dict[str, int] | None = None,
    line_offsets: dict[str, int] | None = None,
    delete: bool = True,
) -> dict[str, int]:
    """Insert one batch (Parquet files from :func:`write_batch`, one or a list per table) inside the
    caller's transaction, replacing earlier versions of its activities, then delete the files.
    Returns how many it replaced, by activities file (files that replaced none are left out). The
    files of one call must not repeat an activity.

    ``import_id`` replaces the files' import id (one for all, or one per activities file: several
    small files land in one transaction) and ``line_offsets`` (activities file -> newlines before its
    chunk) turns chunk-relative lines into the file's lines: parse workers know neither.
    ``delete=False`` keeps the files (the caller still reads them; it deletes them).

    Why files and not registered Arrow tables: DuckDB keeps every Arrow object a transaction scanned
    alive until commit, so a file-sized transaction would hold the whole file in memory.
    """
    acts = paths.get("activities")
    if not acts:
        return {}
    in_batch = "activity_uid IN (SELECT activity_uid FROM read_parquet(?))"
    replaced: dict[str, int] = dict(
        con.execute(
            "SELECT f.filename, count(*) FROM activities a"
            " JOIN read_parquet(?, filename = true) f USING (activity_uid) GROUP BY f.filename",
            [acts],
        ).fetchall()
    )
    if replaced:
        for table in ["activities", *ACTIVITY_TABLES]:
            con.execute(f"DELETE FROM {table} WHERE {in_batch}", [acts])
    for table, path in paths.items():
        cols = ", ".join(COLUMNS[table])
        if table == "activities" and (import_id is not None or line_offsets):
            files = [path] if isinstance(path, str) else path
            offsets = line_offsets or {}
            ids = import_id if isinstance(import_id, dict) else dict.fromkeys(files, import_id)
            parts = [
                f"SELECT * REPLACE (line + {int(offsets.get(f, 0))} AS line"
                + (f", {int(i)} AS import_id" if (i := ids.get(f)) is not None else "")
                + ") FROM read_parquet(?)"
                for f in files
            ]
            con.execute(f"INSERT INTO activities ({cols}) SELECT {cols} FROM ({' UNION ALL '.join(parts)})", files)
        else:
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM read_parquet(?)", [path])
        kill_point("insert")
    if delete:
        delete_files(paths)
    return replaced


def delete_files(paths: dict[str, str] | dict[str, list[str]]) -> None:
    for written in paths.values():
        for f in [written] if isinstance(written, str) else written:
            Path(f).unlink(missing_ok=True)


def merge_files(batches: list[dict[str, str]]) -> dict[str, list[str]]:
    """The Parquet files of several batches, by table, for one :func:`flush_files` call."""
    out: dict[str, list[str]] = defaultdict(list)
    for b in batches:
        for table, path in b.items():
            out[table].append(path)
    return dict(out)


def load_activities(
    con: Any,
    activities: Iterable[Activity],
    import_id: int,
    source: str,
    reached: dict[str, int] | None = None,
) -> tuple[LoadStats, list[tuple[str, int, str, str]]]:
    """Insert activities batch by batch inside the caller's transaction (bounded memory).

    Returns the load statistics and the warnings as ``(activity_uid, line, code, message)``.
    """
    total = LoadStats()
    warnings: list[tuple[str, int, str, str]] = []
    seen: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="kizuna-ingest-") as tmp:
        for i, group in enumerate(_batched(activities, BATCH)):
            b, stats, warns = build_batch(group, import_id, source, reached)
            warnings.extend(warns)
            warnings.extend(repeat_warnings(b.uids, seen))
            total.replaced += sum(flush_files(con, write_batch(b.tables(), Path(tmp), f"b{i}")).values())
            total.activities += stats.activities
            total.transactions += stats.transactions
    return total, warnings


def store_warnings(con: Any, import_id: int, warnings: list[tuple[str, int, str, str]]) -> dict[str, int]:
    """Insert warnings for an import; return counts by code."""
    return store_warnings_of_imports(con, [(import_id, warnings)])[0]


def store_warnings_of_imports(
    con: Any, imports: list[tuple[int, list[tuple[str, int, str, str]]]]
) -> list[dict[str, int]]:
    """Insert the warnings of several imports in one statement; return each import's counts by code."""
    rows: dict[str, list[Any]] = {"import_id": [], "activity_uid": [], "line": [], "code": [], "message": []}
    counts: list[dict[str, int]] = []
    for import_id, warnings in imports:
        by_code: dict[str, int] = defaultdict(int)
        for uid, line, code, msg in warnings:
            rows["import_id"].append(import_id)
            rows["activity_uid"].append(uid)
            rows["line"].append(line)
            rows["code"].append(code)
            rows["message"].append(msg)
            by_code[code] += 1
        counts.append(dict(by_code))
    if rows["import_id"]:
        con.register("_warn_rows", pa.table(rows))
        try:
            con.execute(
                "INSERT INTO ledger_warnings SELECT import_id, activity_uid, line, code, message FROM _warn_rows"
            )
        finally:
            con.unregister("_warn_rows")
    return counts


# --- organisation name aliases (``org_aliases``), used to match 3W sheets ---------------------------


def load_aliases(con: Any) -> dict[str, tuple[str | None, str]]:
    """The alias table as ``{normalised alias: (org_ref, org_name)}``.

    Keys are recomputed from the alias as written, so aliases stored by an older normaliser match too.
    """
    rows = con.execute("SELECT alias, org_ref, org_name FROM org_aliases").fetchall()
    return {norm_name(a): (r, n) for a, r, n in rows if norm_name(a)}


def save_alias(ws: Workspace, alias_norm: str, alias: str, org_ref: str | None, org_name: str) -> None:
    """Add or replace one alias (its normalised form is the key), in one unit of work."""
    with ws.transaction() as con:
        con.execute("INSERT OR REPLACE INTO org_aliases VALUES (?, ?, ?, ?)", [alias_norm, alias, org_ref, org_name])


def alias_rows(ws: Workspace) -> list[dict[str, Any]]:
    """The aliases as written, with their organisation (``kizuna alias list``)."""
    return ws.query("SELECT alias, org_name, org_ref FROM org_aliases ORDER BY alias_norm")


def ledger_counts(ws: Workspace) -> dict[str, int]:
    """How many activities, transactions and stored warnings the ledger holds."""
    return {
        "activities": int(ws.scalar("SELECT count(*) FROM activities")),
        "transactions": int(ws.scalar("SELECT count(*) FROM transactions")),
        "warnings": int(ws.scalar("SELECT count(*) FROM ledger_warnings")),
    }
