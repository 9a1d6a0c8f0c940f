"""Ingest IATI XML files and 3W/4W sheets into the workspace: the library call behind ``kizuna ingest``.

Each file is one transaction: it lands whole (activities, transactions, flows, warnings, provenance)
or not at all. A file already imported (same sha256) is skipped and changes nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kizuna.errors import InputError, Where
from kizuna.ledger import money
from kizuna.ledger.chunks import (
    PARALLEL_MIN_BYTES,
    ChunkPlan,
    ChunkResult,
    ParallelParse,
    parse_chunk,
    plan_chunks,
    read_document,
    workers,
)
from kizuna.ledger.iati import Activity, IatiReader, check_prolog
from kizuna.ledger.store import (
    LoadStats,
    delete_files,
    flush_files,
    load_activities,
    merge_files,
    repeat_warnings,
    store_warnings,
)
from kizuna.reference.codelists import ensure_codelists
from kizuna.workspace import Workspace, file_sha256

IATI_SUFFIXES = {".xml"}
INGEST_MEMORY_LIMIT = os.environ.get("KIZUNA_INGEST_MEMORY", "192MB")
SHEET_SUFFIXES = {".csv", ".xlsx"}
FLUSH_CHUNKS = 32  # chunks per insert (and per flows build): fewer, larger statements, within the memory limit


@dataclass
class FileResult:
    path: Path
    kind: str
    status: str  # 'imported' | 'skipped'
    import_id: int | None = None
    publisher: str | None = None
    version: str | None = None
    activities: int = 0
    transactions: int = 0
    replaced: int = 0
    warnings: dict[str, int] = field(default_factory=dict)


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)

    @property
    def activities(self) -> int:
        return sum(f.activities for f in self.files)

    @property
    def transactions(self) -> int:
        return sum(f.transactions for f in self.files)

    def warnings_by_kind(self) -> dict[str, int]:
        c: Counter[str] = Counter()
        for f in self.files:
            c.update(f.warnings)
        return dict(sorted(c.items()))


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files named, and the IATI/3W files inside folders named (recursively, sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(
                sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in IATI_SUFFIXES | SHEET_SUFFIXES)
            )
        elif p.exists():
            out.append(p)
        else:
            raise InputError(
                "ingest.not_found",
                "no such file or folder",
                Where(file=str(p)),
                hint="check the path; folders are searched for .xml, .csv and .xlsx files",
            )
    return out


def ingest_paths(
    ws: Workspace,
    paths: Iterable[Path | str],
    on_file: Callable[[Path, int, int], None] | None = None,
) -> IngestSummary:
    """Ingest every file; stop at the first bad file (earlier files stay imported, the bad one not at all)."""
    files = expand_paths(paths)
    summary = IngestSummary()
    # Bulk loads do not need DuckDB's default buffer pool (80% of RAM): a small one keeps the
    # process's peak memory flat in the input size; DuckDB spills what does not fit.
    previous = ws.scalar("SELECT current_setting('memory_limit')")
    ws.con.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
    try:
        for i, path in enumerate(files):
            if on_file:
                on_file(path, i, len(files))
            summary.files.append(ingest_file(ws, path))
    finally:
        ws.con.execute(f"SET memory_limit = '{previous}'")
    return summary


def ingest_file(ws: Workspace, path: Path, kind: str | None = None) -> FileResult:
    """Ingest one file as one transaction."""
    kind = kind or ("iati" if path.suffix.lower() in IATI_SUFFIXES else "3w")
    if path.suffix.lower() not in IATI_SUFFIXES | SHEET_SUFFIXES:
        raise InputError(
            "ingest.unknown_type",
            f"cannot tell what kind of file '{path.suffix}' is",
            Where(file=str(path)),
            hint="IATI activity files end in .xml; 3W sheets in .csv or .xlsx",
        )
    # A large IATI file starts parsing in worker processes at once, while this process hashes it
    # (an already imported file then stops them) and opens the transaction.
    parallel = _start_parallel(path) if kind == "iati" else None
    try:
        sha = file_sha256(path)
        if ws.already_imported(kind, sha):
            return FileResult(path, kind, "skipped")
        return _ingest(ws, path, kind, sha, parallel)
    finally:
        if parallel is not None:
            parallel.close()


def _ingest(ws: Workspace, path: Path, kind: str, sha: str, parallel: _Parallel | None) -> FileResult:
    result = FileResult(path, kind, "imported")
    with ws.transaction() as con:
        import_id = ws.record_import(con, kind=kind, path=path, sha256=sha)
        result.import_id = import_id

        def setup() -> None:  # reference tables the flows need (loaded when the workspace was created)
            ensure_codelists(con)
            money.ensure_rates(con)

        flows_built = False
        if kind == "iati":
            stats, warnings, flows_built = _load_iati(con, path, import_id, result, setup, parallel)
        else:
            setup()
            from kizuna.ledger.threew import load_aliases, read_threew

            sheet = read_threew(path, load_aliases(con))
            stats, warnings = load_activities(con, sheet.activities, import_id, "3w", sheet.reached)
            result.publisher = sheet.publisher
            warnings = sheet.warnings + warnings
        if kind != "iati" or not flows_built:
            warnings += money.build_flows(con, import_id)
        money.mark_double_counting(con, import_id)
        result.activities, result.transactions, result.replaced = stats.activities, stats.transactions, stats.replaced
        result.warnings = store_warnings(con, import_id, warnings)
        con.execute(
            "UPDATE imports SET publisher = ?, version = ?, counts = ?, warnings = ? WHERE import_id = ?",
            [
                result.publisher,
                result.version,
                json.dumps(
                    {"activities": result.activities, "transactions": result.transactions, "replaced": result.replaced}
                ),
                json.dumps(result.warnings),
                import_id,
            ],
        )
    return result


class _Parallel:
    """A large file's chunk plan and its running parse (with the folder its workers write to)."""

    def __init__(self, path: Path, plan: ChunkPlan):
        self.plan = plan
        self.tmp = tempfile.TemporaryDirectory(prefix="kizuna-ingest-")
        self.parse = ParallelParse(path, plan, Path(self.tmp.name))

    def close(self) -> None:
        self.parse.close()
        self.tmp.cleanup()


def _start_parallel(path: Path) -> _Parallel | None:
    if path.stat().st_size < PARALLEL_MIN_BYTES or workers() < 2:
        return None
    plan = plan_chunks(path)
    return _Parallel(path, plan) if plan is not None else None


def _load_iati(
    con: Any,
    path: Path,
    import_id: int,
    result: FileResult,
    setup: Callable[[], None],
    parallel: _Parallel | None = None,
) -> tuple[LoadStats, list[Any], bool]:
    """Parse and load one IATI file: a small file whole, a large one in chunks (in parallel workers
    when the machine has more than one core); each by the compiled fast path where it applies.
    Returns the load statistics, the warnings, and whether the flows are built already."""
    setup()
    size = path.stat().st_size
    plan = parallel.plan if parallel is not None else None
    if plan is None and size >= PARALLEL_MIN_BYTES:
        plan = plan_chunks(path)
        if plan is None:  # no activity boundaries to cut at: stream it through the reference reader
            reader = IatiReader(path)
            serial_stats, serial_warnings = load_activities(
                con, _track_publishers(iter(reader), result), import_id, "iati"
            )
            result.version = reader.header.version if reader.header else None
            return serial_stats, serial_warnings, False
    stats = LoadStats()
    warnings: list[Any] = []
    seen: set[str] = set()
    publishers: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="kizuna-ingest-") as tmp:
        results: Iterable[ChunkResult]
        if plan is None:
            check_prolog(path)
            results = [read_document(str(path), path.read_bytes(), 0, import_id, tmp, "whole")]
        elif parallel is not None:
            # Let the workers finish before loading: the cores are theirs while they parse (loading
            # alongside gains no time on two cores), and their memory is gone before DuckDB's peaks.
            results = list(parallel.parse)
        else:
            results = (parse_chunk(str(path), plan.header, c, tmp) for c in plan.chunks)
        newlines_before = plan.header.count(b"\n") if plan is not None else 0
        # Chunks are inserted many at a time (fewer, larger statements), in file order; a chunk that
        # repeats an activity of the pending ones goes after them, so the later version still wins.
        pending: list[dict[str, str]] = []
        offsets: dict[str, int] = {}

        def flush() -> None:
            # Each group's flows are derived as it lands: a group's working set fits DuckDB's memory
            # limit, where a whole large file's would spill to disk.
            if pending:
                files = merge_files(pending)
                stats.replaced += flush_files(con, files, import_id, offsets, delete=False)
                warnings.extend(money.build_flows(con, import_id, files))
                delete_files(files)
                pending.clear()
                offsets.clear()

        for res in results:
            shift = 0 if res.lines_absolute else newlines_before
            newlines_before += res.newlines
            warnings.extend((u, line + shift, code, msg) for u, line, code, msg in res.warnings)
            repeats = repeat_warnings(res.uids, seen)
            warnings.extend(repeats)
            if repeats:
                flush()
            pending.append(res.files)
            if "activities" in res.files:
                offsets[res.files["activities"]] = shift
            if len(pending) >= FLUSH_CHUNKS:
                flush()
            stats.activities += res.activities
            stats.transactions += res.transactions
            publishers.update(res.publishers)
            result.version = result.version or res.version
        flush()
    if publishers:
        result.publisher = publishers.most_common(1)[0][0]
    return stats, warnings, True


def _track_publishers(acts: Iterator[Activity], result: FileResult) -> Iterator[Activity]:
    seen: Counter[str] = Counter()
    for a in acts:
        if a.publisher_ref:
            seen[a.publisher_ref] += 1
        yield a
    if seen:
        result.publisher = seen.most_common(1)[0][0]
