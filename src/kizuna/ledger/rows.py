"""The ledger's rows: each table's columns and Arrow types, activities turned into Arrow batches, a
batch written as Parquet files.

No connection here: readers (:mod:`kizuna.ledger.chunks`, :mod:`kizuna.ledger.iati_fast`) and parse
workers shape their rows with it; :mod:`kizuna.ledger.store` lands the files in the workspace.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kizuna.ledger.iati import Activity, overall_value

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


