"""Land activities from a reader into the workspace: one transaction per file, batched column inserts.

The reader yields :class:`kizuna.ledger.iati.Activity` objects; this module turns batches of them into
Arrow tables and inserts them with DuckDB, so a file of any size loads in bounded memory. Rules:

* ``activity_uid`` = ``publisher_ref|iati_identifier``. The same uid in a later import (or later in
  the same file) replaces the earlier version, in every table; the same identifier from another
  publisher is another activity, and both show in the ``activity_duplicates`` view.
* A file whose sha256 was already imported is skipped whole: importing it again changes no row.
* Any error rolls the whole file back: every table keeps its row count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from kizuna.ledger.iati import Activity
from kizuna.workspace import Workspace, scalar

BATCH = 5000

# Column order of each child table, as in migrations/0002_ledger.sql.
COLUMNS: dict[str, list[str]] = {
    "activities": [
        "activity_uid",
        "iati_identifier",
        "source",
        "import_id",
        "line",
        "publisher_ref",
        "publisher_name",
        "publisher_type",
        "title",
        "description",
        "status_code",
        "default_currency",
        "humanitarian",
        "hierarchy",
        "scope_code",
        "planned_start",
        "actual_start",
        "planned_end",
        "actual_end",
        "start_date",
        "end_date",
        "last_updated",
        "reached",
    ],
    "participating_orgs": ["activity_uid", "seq", "role", "ref", "type", "name", "org_activity_id"],
    "activity_countries": ["activity_uid", "code", "percentage"],
    "activity_regions": ["activity_uid", "code", "vocabulary", "percentage"],
    "activity_sectors": ["activity_uid", "vocabulary", "code", "percentage", "name"],
    "locations": [
        "activity_uid",
        "seq",
        "ref",
        "name",
        "lat",
        "lon",
        "exactness",
        "location_class",
        "precision_code",
        "adm1",
        "adm2",
        "admin_vocabulary",
        "country",
    ],
    "policy_markers": ["activity_uid", "vocabulary", "code", "significance"],
    "tags": ["activity_uid", "vocabulary", "code", "name"],
    "budgets": [
        "activity_uid",
        "seq",
        "type",
        "status",
        "period_start",
        "period_end",
        "value",
        "currency",
        "value_date",
    ],
    "transactions": [
        "activity_uid",
        "seq",
        "ref",
        "type_code",
        "date",
        "value",
        "currency",
        "value_date",
        "provider_ref",
        "provider_name",
        "provider_activity_id",
        "receiver_ref",
        "receiver_name",
        "receiver_activity_id",
        "humanitarian",
        "description",
    ],
    "transaction_sectors": ["activity_uid", "seq", "vocabulary", "code"],
    "transaction_countries": ["activity_uid", "seq", "code"],
    "transaction_regions": ["activity_uid", "seq", "code", "vocabulary"],
    "results": ["activity_uid", "result_seq", "type", "aggregation_status", "title"],
    "result_indicators": [
        "activity_uid",
        "result_seq",
        "indicator_seq",
        "measure",
        "ascending",
        "title",
        "baseline_year",
        "baseline_date",
        "baseline_value",
    ],
    "result_periods": [
        "activity_uid",
        "result_seq",
        "indicator_seq",
        "period_seq",
        "period_start",
        "period_end",
        "target_value",
        "actual_value",
    ],
}
ACTIVITY_TABLES = [t for t in COLUMNS if t != "activities"] + ["flows"]


def activity_uid(publisher_ref: str | None, identifier: str) -> str:
    """The ledger key of an activity: who published it and its identifier."""
    return f"{publisher_ref or ''}|{identifier}"


@dataclass
class LoadStats:
    activities: int = 0
    transactions: int = 0
    replaced: int = 0
    warnings: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class _Batch:
    def __init__(self) -> None:
        self.cols: dict[str, dict[str, list[Any]]] = {t: {c: [] for c in cs} for t, cs in COLUMNS.items()}
        self.uids: dict[str, int] = {}

    def add(self, table: str, *values: Any) -> None:
        cols = self.cols[table]
        for c, v in zip(COLUMNS[table], values, strict=True):
            cols[c].append(v)

    def arrow(self, table: str) -> pa.Table:
        return pa.table(self.cols[table])

    def __len__(self) -> int:
        return len(self.uids)


def _add_activity(b: _Batch, act: Activity, uid: str, import_id: int, source: str, reached: int | None) -> None:
    d = act.dates
    start = d.get("2") or d.get("1")
    end = d.get("4") or d.get("3")
    b.add(
        "activities",
        uid,
        act.iati_identifier,
        source,
        import_id,
        act.line,
        act.publisher_ref,
        act.publisher_name,
        act.publisher_type,
        act.title,
        act.description,
        act.status_code,
        act.default_currency,
        act.humanitarian,
        act.hierarchy,
        act.scope_code,
        d.get("1"),
        d.get("2"),
        d.get("3"),
        d.get("4"),
        start,
        end,
        act.last_updated,
        reached,
    )
    for org in act.participating_orgs:
        b.add("participating_orgs", uid, *org)
    for code, pct in act.countries:
        b.add("activity_countries", uid, code, pct)
    for code, vocab, pct in act.regions:
        b.add("activity_regions", uid, code, vocab, pct)
    for sec in act.sectors:
        vocab, code, pct = sec[0], sec[1], sec[2]
        name = sec[3] if len(sec) > 3 else None  # type: ignore[misc]
        b.add("activity_sectors", uid, vocab, code, pct, name)
    for i, loc in enumerate(act.locations, start=1):
        b.add(
            "locations",
            uid,
            i,
            loc.get("ref"),
            loc.get("name"),
            loc.get("lat"),
            loc.get("lon"),
            loc.get("exactness"),
            loc.get("location_class"),
            loc.get("precision_code"),
            loc.get("adm1"),
            loc.get("adm2"),
            loc.get("admin_vocabulary"),
            loc.get("country"),
        )
    for pm in act.policy_markers:
        b.add("policy_markers", uid, *pm)
    for tg in act.tags:
        b.add("tags", uid, *tg)
    for bud in act.budgets:
        b.add("budgets", uid, *bud)
    for t in act.transactions:
        b.add(
            "transactions",
            uid,
            t.seq,
            t.ref,
            t.type_code,
            t.date,
            t.value,
            t.currency,
            t.value_date,
            t.provider_ref,
            t.provider_name,
            t.provider_activity_id,
            t.receiver_ref,
            t.receiver_name,
            t.receiver_activity_id,
            t.humanitarian,
            t.description,
        )
        for vocab, code in t.sectors:
            b.add("transaction_sectors", uid, t.seq, vocab, code)
        for code in t.countries:
            b.add("transaction_countries", uid, t.seq, code)
        for code, vocab in t.regions:
            b.add("transaction_regions", uid, t.seq, code, vocab)
    for r_i, res in enumerate(act.results, start=1):
        b.add("results", uid, r_i, res["type"], res["aggregation_status"], res["title"])
        for i_i, ind in enumerate(res["indicators"], start=1):
            b.add(
                "result_indicators",
                uid,
                r_i,
                i_i,
                ind["measure"],
                ind["ascending"],
                ind["title"],
                ind["baseline_year"],
                ind["baseline_date"],
                ind["baseline_value"],
            )
            for p_i, per in enumerate(ind["periods"], start=1):
                b.add("result_periods", uid, r_i, i_i, p_i, *per)


def _flush(con: Any, b: _Batch, stats: LoadStats) -> None:
    if not len(b):
        return
    uids = pa.table({"activity_uid": list(b.uids)})
    con.register("_batch_uids", uids)
    try:
        replaced = scalar(
            con, "SELECT count(*) FROM activities WHERE activity_uid IN (SELECT activity_uid FROM _batch_uids)"
        )
        stats.replaced += int(replaced)
        if replaced:
            for table in ["activities", *ACTIVITY_TABLES]:
                con.execute(f"DELETE FROM {table} WHERE activity_uid IN (SELECT activity_uid FROM _batch_uids)")
        for table, cols in COLUMNS.items():
            if not b.cols[table][cols[0]]:
                continue
            con.register("_batch_rows", b.arrow(table))
            try:
                collist = ", ".join(cols)
                con.execute(f"INSERT INTO {table} ({collist}) SELECT {collist} FROM _batch_rows")
            finally:
                con.unregister("_batch_rows")
    finally:
        con.unregister("_batch_uids")


def load_activities(
    con: Any,
    activities: Iterable[Activity],
    import_id: int,
    source: str,
    reached: dict[str, int] | None = None,
) -> tuple[LoadStats, list[tuple[str, int, str, str]]]:
    """Insert activities batch by batch inside the caller's transaction.

    Returns the load statistics and the warnings as ``(activity_uid, line, code, message)``.
    """
    stats = LoadStats()
    warnings: list[tuple[str, int, str, str]] = []
    b = _Batch()
    pending: dict[str, Activity] = {}
    for act in activities:
        uid = activity_uid(act.publisher_ref, act.iati_identifier)
        if uid in pending:
            warnings.append(
                (
                    uid,
                    act.line,
                    "identifier.repeated_in_file",
                    f"{act.iati_identifier} appears again in the file (line {act.line}); the later one wins",
                )
            )
        pending[uid] = act
        if len(pending) >= BATCH:
            _flush_pending(con, pending, b, import_id, source, reached, stats, warnings)
            b = _Batch()
            pending = {}
    _flush_pending(con, pending, b, import_id, source, reached, stats, warnings)
    return stats, warnings


def _flush_pending(
    con: Any,
    pending: dict[str, Activity],
    b: _Batch,
    import_id: int,
    source: str,
    reached: dict[str, int] | None,
    stats: LoadStats,
    warnings: list[tuple[str, int, str, str]],
) -> None:
    for uid, act in pending.items():
        _add_activity(b, act, uid, import_id, source, (reached or {}).get(uid))
        b.uids[uid] = 1
        stats.activities += 1
        stats.transactions += len(act.transactions)
        for code, msg in act.warnings:
            warnings.append((uid, act.line, code, msg))
    _flush(con, b, stats)


def store_warnings(con: Any, import_id: int, warnings: list[tuple[str, int, str, str]]) -> dict[str, int]:
    """Insert warnings for an import; return counts by code."""
    by_code: dict[str, int] = defaultdict(int)
    if not warnings:
        return {}
    rows = {"import_id": [], "activity_uid": [], "line": [], "code": [], "message": []}  # type: dict[str, list[Any]]
    for uid, line, code, msg in warnings:
        rows["import_id"].append(import_id)
        rows["activity_uid"].append(uid)
        rows["line"].append(line)
        rows["code"].append(code)
        rows["message"].append(msg)
        by_code[code] += 1
    con.register("_warn_rows", pa.table(rows))
    try:
        con.execute("INSERT INTO ledger_warnings SELECT import_id, activity_uid, line, code, message FROM _warn_rows")
    finally:
        con.unregister("_warn_rows")
    return dict(by_code)


def import_exists(ws: Workspace, sha256: str) -> bool:
    return ws.already_imported("iati", sha256) or ws.already_imported("3w", sha256)


def file_size(path: Path) -> int:
    return path.stat().st_size
