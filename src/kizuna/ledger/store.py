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

import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kizuna.ledger.iati import Activity, overall_value
from kizuna.workspace import kill_point

BATCH = 5000

# Column order of each child table, as in migrations/0002_ledger.sql (and 0007_narratives.sql).
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
        "default_lang",
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
    # every language of titles, descriptions and organisation names (migrations/0007_narratives.sql)
    "narratives": ["activity_uid", "element", "seq", "ord", "lang", "text", "kind"],
    "transaction_countries": ["activity_uid", "seq", "code"],
    "transaction_regions": ["activity_uid", "seq", "code", "vocabulary"],
    # results (migrations 0002, 0012, 0013_result_details.sql)
    "results": ["activity_uid", "result_seq", "type", "aggregation_status", "title", "description"],
    "result_refs": ["activity_uid", "result_seq", "ref_seq", "vocabulary", "code", "vocabulary_uri"],
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
        "aggregation_status",
        "description",
        "baseline_num",
    ],
    "result_indicator_refs": [
        "activity_uid",
        "result_seq",
        "indicator_seq",
        "ref_seq",
        "vocabulary",
        "code",
        "indicator_uri",
    ],
    "result_baselines": [
        "activity_uid",
        "result_seq",
        "indicator_seq",
        "baseline_seq",
        "year",
        "iso_date",
        "value",
        "value_num",
        "comment",
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
        "target_num",
        "actual_num",
    ],
    "result_period_values": [
        "activity_uid",
        "result_seq",
        "indicator_seq",
        "period_seq",
        "kind",
        "value_seq",
        "value",
        "value_num",
        "comment",
    ],
    "result_dimensions": [
        "activity_uid",
        "result_seq",
        "indicator_seq",
        "period_seq",
        "kind",
        "value_seq",
        "dim_seq",
        "name",
        "value",
    ],
    "result_location_refs": [
        "activity_uid",
        "result_seq",
        "indicator_seq",
        "period_seq",
        "kind",
        "value_seq",
        "loc_seq",
        "ref",
    ],
    "result_document_links": [
        "activity_uid",
        "result_seq",
        "indicator_seq",
        "period_seq",
        "kind",
        "value_seq",
        "link_seq",
        "url",
        "format",
        "title",
        "description",
        "categories",
        "languages",
        "document_date",
    ],
    "result_narratives": [
        "activity_uid",
        "result_seq",
        "indicator_seq",
        "period_seq",
        "kind",
        "value_seq",
        "element",
        "ord",
        "lang",
        "text",
    ],
}
# Arrow types of the non-text columns (the rest are strings): explicit types make the hand-over to
# DuckDB several times faster than letting pyarrow infer them from Python objects.
_INT = {"import_id", "line", "hierarchy", "seq", "role", "result_seq", "indicator_seq", "period_seq", "baseline_year"}
_INT.add("ord")  # narratives (0007)
_INT |= {"ref_seq", "baseline_seq", "value_seq", "dim_seq", "loc_seq", "link_seq", "year"}  # results (0012, 0013)
_FLOAT = {"percentage", "lat", "lon", "value", "value_num", "baseline_num", "target_num", "actual_num"}
_DATE = {
    "planned_start",
    "actual_start",
    "planned_end",
    "actual_end",
    "start_date",
    "end_date",
    "period_start",
    "period_end",
    "value_date",
    "date",
    "baseline_date",
    "iso_date",
    "document_date",
}
_LIST = {"categories", "languages"}
# Result values are kept as written (text): "value" is a number only in budgets and transactions.
_TEXT_IN = {"result_baselines", "result_period_values", "result_dimensions"}
_BOOL = {"humanitarian", "aggregation_status", "ascending"}


def _arrow_type(col: str, table: str | None = None) -> pa.DataType:
    if table in _TEXT_IN and col == "value":
        return pa.string()
    if col in _LIST:
        return pa.list_(pa.string())
    if col in _INT:
        return pa.int32()
    if col in _FLOAT:
        return pa.float64()
    if col in _DATE:
        return pa.date32()
    if col in _BOOL:
        return pa.bool_()
    if col == "reached":
        return pa.int64()
    return pa.string()


ACTIVITY_TABLES = [t for t in COLUMNS if t != "activities"] + ["flows"]


def activity_uid(publisher_ref: str | None, identifier: str) -> str:
    """The ledger key of an activity: who published it and its identifier."""
    return f"{publisher_ref or ''}|{identifier}"


@dataclass
class LoadStats:
    activities: int = 0
    transactions: int = 0
    replaced: int = 0


class Batch:
    """Rows of every ledger table for a group of activities, ready to become Arrow tables."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}
        self.uids: dict[str, None] = {}

    def add(self, table: str, *values: Any) -> None:
        self.rows[table].append(values)

    def arrow(self, table: str) -> pa.Table:
        rows = self.rows[table]
        cols = list(zip(*rows, strict=True)) if rows else [() for _ in COLUMNS[table]]
        return pa.table({c: pa.array(v, type=_arrow_type(c, table)) for c, v in zip(COLUMNS[table], cols, strict=True)})

    def tables(self) -> dict[str, pa.Table]:
        return {t: self.arrow(t) for t, rows in self.rows.items() if rows}

    def __len__(self) -> int:
        return len(self.uids)


def _add_activity(b: Batch, act: Activity, uid: str, import_id: int, source: str, reached: int | None) -> None:
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
        act.default_lang,
    )
    for narr in act.narratives:
        b.add("narratives", uid, *narr)
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
        _add_result(b, uid, r_i, res)


def _add_result(b: Batch, uid: str, r_i: int, res: dict[str, Any]) -> None:
    """The rows of one result as :meth:`kizuna.ledger.iati.IatiReader._read_result` read it."""
    b.add("results", uid, r_i, res["type"], res["aggregation_status"], res["title"], res.get("description"))
    for k, ref in enumerate(res.get("refs", ()), start=1):
        b.add("result_refs", uid, r_i, k, *ref)
    for k, link in enumerate(res.get("links", ()), start=1):
        b.add("result_document_links", uid, r_i, None, None, "result", None, k, *link)
    for narr in res.get("narratives", ()):
        b.add("result_narratives", uid, r_i, *narr)
    for i_i, ind in enumerate(res["indicators"], start=1):
        base = ind.get("baseline")
        b.add(
            "result_indicators",
            uid,
            r_i,
            i_i,
            ind["measure"],
            ind["ascending"],
            ind["title"],
            base and base["year"],
            base and base["date"],
            base and base["value"],
            ind.get("aggregation_status"),
            ind.get("description"),
            base and base["num"],
        )
        for k, ref in enumerate(ind.get("refs", ()), start=1):
            b.add("result_indicator_refs", uid, r_i, i_i, k, *ref)
        for k, link in enumerate(ind.get("links", ()), start=1):
            b.add("result_document_links", uid, r_i, i_i, None, "indicator", None, k, *link)
        for v_i, v in enumerate(ind.get("baselines", ()), start=1):
            b.add("result_baselines", uid, r_i, i_i, v_i, v["year"], v["date"], v["value"], v["num"], v["comment"])
            _add_value_parts(b, uid, r_i, i_i, None, "baseline", v_i, v)
        for p_i, per in enumerate(ind["periods"], start=1):
            target, actual = overall_value(per["target"]), overall_value(per["actual"])
            b.add(
                "result_periods",
                uid,
                r_i,
                i_i,
                p_i,
                per["start"],
                per["end"],
                target and target["value"],
                actual and actual["value"],
                target and target["num"],
                actual and actual["num"],
            )
            for kind in ("target", "actual"):
                for v_i, v in enumerate(per[kind], start=1):
                    b.add("result_period_values", uid, r_i, i_i, p_i, kind, v_i, v["value"], v["num"], v["comment"])
                    _add_value_parts(b, uid, r_i, i_i, p_i, kind, v_i, v)


def _add_value_parts(
    b: Batch, uid: str, r_i: int, i_i: int, p_i: int | None, kind: str, v_i: int, v: dict[str, Any]
) -> None:
    for k, (name, value) in enumerate(v["dimensions"], start=1):
        b.add("result_dimensions", uid, r_i, i_i, p_i, kind, v_i, k, name, value)
    for k, ref in enumerate(v["locations"], start=1):
        b.add("result_location_refs", uid, r_i, i_i, p_i, kind, v_i, k, ref)
    for k, link in enumerate(v["links"], start=1):
        b.add("result_document_links", uid, r_i, i_i, p_i, kind, v_i, k, *link)


def _batched(items: Iterable[Any], n: int) -> Iterable[list[Any]]:
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch


def write_batch(tables: dict[str, pa.Table], folder: Path, stem: str) -> dict[str, str]:
    """Write a batch's tables as uncompressed Parquet files (one per table) for :func:`flush_files`."""
    paths = {}
    for table, tbl in tables.items():
        path = folder / f"{stem}-{table}.parquet"
        pq.write_table(tbl, path, compression="none", write_statistics=False)  # read once, whole
        paths[table] = str(path)
    return paths


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


def build_batch(
    activities: Iterable[Activity],
    import_id: int,
    source: str,
    reached: dict[str, int] | None = None,
) -> tuple[Batch, LoadStats, list[tuple[str, int, str, str]]]:
    """Turn activities into table rows (no I/O: workers run this in parallel). Later repeats win."""
    stats = LoadStats()
    warnings: list[tuple[str, int, str, str]] = []
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
    b = Batch()
    for uid, act in pending.items():
        _add_activity(b, act, uid, import_id, source, (reached or {}).get(uid))
        b.uids[uid] = None
        stats.activities += 1
        stats.transactions += len(act.transactions)
        warnings.extend((uid, act.line, code, msg) for code, msg in act.warnings)
    return b, stats, warnings


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


def repeat_warnings(uids: Iterable[str], seen: set[str]) -> list[tuple[str, int, str, str]]:
    """Warnings for activities repeated across batches of one file; updates ``seen``."""
    out = []
    for uid in uids:
        if uid in seen:
            out.append(
                (
                    uid,
                    0,
                    "identifier.repeated_in_file",
                    f"{uid.split('|', 1)[1]} appears again later in the file; the later one wins",
                )
            )
        seen.add(uid)
    return out


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
