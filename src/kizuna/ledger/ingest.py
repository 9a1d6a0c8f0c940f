"""Ingest IATI XML files and 3W/4W sheets into the workspace: the library call behind ``kizuna ingest``.

A run is all-or-nothing across all of its inputs: every file lands whole (activities, transactions,
flows, warnings, provenance) or, at the first bad file, none of them does (one transaction around the
run). A file already imported (same sha256) is skipped and changes nothing. With ``keep_going`` each
file is its own transaction instead: every good file is imported and each bad one is reported with
its error.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kizuna.errors import InputError, KizunaError, Where
from kizuna.i18n import N_
from kizuna.ledger import money
from kizuna.ledger.chunks import (
    PARALLEL_MIN_BYTES,
    ChunkPlan,
    ChunkResult,
    ParallelParse,
    parse_chunk,
    parse_file,
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
    store_warnings_of_imports,
)
from kizuna.reference.codelists import ensure_codelists
from kizuna.workspace import Workspace, file_sha256, kill_point

IATI_SUFFIXES = {".xml"}
INGEST_MEMORY_LIMIT = os.environ.get("KIZUNA_INGEST_MEMORY", "192MB")
# Small files load while the workers parse the next ones (a large file's chunks load after its
# workers end): DuckDB gets less, so the whole process tree stays under 500 MB.
SMALL_FILES_MEMORY_LIMIT = os.environ.get("KIZUNA_INGEST_MEMORY", "160MB")
SHEET_SUFFIXES = {".csv", ".xlsx"}
FLUSH_CHUNKS = 32  # chunks per insert (and per flows build): fewer, larger statements, within the memory limit
# Small files ingested together: at most this many per transaction, and this many bytes.
GROUP_FILES = 256
GROUP_BYTES = 256 << 20
FLUSH_FILES = 48  # small files per insert (and per flows build), loaded while the next ones are parsed
SMALL_FILES_PARALLEL_BYTES = 8 << 20  # below this, starting the worker pool costs more than it saves


# Where a file came from when it was downloaded (``kizuna fetch``): recorded on its ``imports`` row.
# Keys: source_url, retrieved_at (UTC datetime).
Provenance = Mapping[str, Any]


@dataclass
class FileResult:
    path: Path
    kind: str
    status: str  # 'imported' | 'skipped' | 'failed' (only with keep_going; see ``error``)
    import_id: int | None = None
    publisher: str | None = None
    version: str | None = None
    activities: int = 0
    transactions: int = 0
    replaced: int = 0
    warnings: dict[str, int] = field(default_factory=dict)
    error: KizunaError | None = None  # why a 'failed' file was refused


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

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
                N_("no such file or folder"),
                Where(file=str(p)),
                hint=N_("check the path; folders are searched for .xml, .csv and .xlsx files"),
            )
    return out


def ingest_paths(
    ws: Workspace,
    paths: Iterable[Path | str],
    on_file: Callable[[Path, int, int], None] | None = None,
    *,
    keep_going: bool = False,
    provenance: Mapping[Path, Provenance] | None = None,
    known_sha256: Mapping[Path, str] | None = None,
) -> IngestSummary:
    """Ingest every file, in order, all or nothing: the first bad file stops the run and nothing of the
    run is stored (not the files before it either; one transaction holds them all). Runs of small IATI
    files are ingested together (see :func:`ingest_small_files`).

    With ``keep_going``, each file (or group of small files) is a transaction of its own: a file that
    cannot be read (a :class:`KizunaError`) is left out whole and the run goes on; the summary lists it
    as ``failed`` with its error.
    ``provenance`` gives, by path, where downloaded files came from (recorded on their imports rows);
    ``known_sha256`` the hashes of files the caller has just written or checked (not read again).
    """
    files = expand_paths(paths)
    prov = provenance or {}
    known = known_sha256 or {}
    summary = IngestSummary()
    # Bulk loads do not need DuckDB's default buffer pool (80% of RAM): a small one keeps the
    # process's peak memory flat in the input size; DuckDB spills what does not fit.
    previous = ws.scalar("SELECT current_setting('memory_limit')")
    ws.con.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
    try:
        # Without keep_going the per-file transactions nest in this one: a bad file rolls back the run.
        with nullcontext() if keep_going else ws.transaction():
            i = 0
            while i < len(files):
                group = _small_iati_run(files, i)
                if len(group) > 1:
                    summary.files.extend(
                        ingest_small_files(
                            ws, group, on_file, i, len(files), keep_going=keep_going, provenance=prov,
                            known_sha256=known,
                        )
                    )
                    i += len(group)
                    kill_point("file")
                    continue
                if on_file:
                    on_file(files[i], i, len(files))
                try:
                    summary.files.append(
                        ingest_file(ws, files[i], provenance=prov.get(files[i]), sha256=known.get(files[i]))
                    )
                except KizunaError as exc:
                    if not keep_going:
                        raise
                    summary.files.append(FileResult(files[i], _kind(files[i]), "failed", error=exc))
                i += 1
                kill_point("file")
    finally:
        ws.con.execute(f"SET memory_limit = '{previous}'")
    return summary


def _kind(path: Path) -> str:
    return "iati" if path.suffix.lower() in IATI_SUFFIXES else "3w"


def ingest_file(
    ws: Workspace,
    path: Path,
    kind: str | None = None,
    provenance: Provenance | None = None,
    sha256: str | None = None,
) -> FileResult:
    """Ingest one file as one transaction (``sha256``: the file's, when the caller knows it already)."""
    kind = kind or _kind(path)
    if path.suffix.lower() not in IATI_SUFFIXES | SHEET_SUFFIXES:
        raise InputError(
            "ingest.unknown_type",
            N_("cannot tell what kind of file '{suffix}' is"),
            Where(file=str(path)),
            hint=N_("IATI activity files end in .xml; 3W sheets in .csv or .xlsx"),
            params={"suffix": path.suffix},
        )
    # A large IATI file starts parsing in worker processes at once, while this process hashes it
    # (an already imported file then stops them) and opens the transaction.
    parallel = _start_parallel(path) if kind == "iati" else None
    try:
        sha = sha256 or file_sha256(path)
        if ws.already_imported(kind, sha):
            return FileResult(path, kind, "skipped")
        return _ingest(ws, path, kind, sha, parallel, provenance or {})
    finally:
        if parallel is not None:
            parallel.close()


def _ingest(
    ws: Workspace, path: Path, kind: str, sha: str, parallel: _Parallel | None, provenance: Provenance
) -> FileResult:
    result = FileResult(path, kind, "imported")
    with ws.transaction() as con:
        import_id = ws.record_import(con, kind=kind, path=path, sha256=sha, **provenance)
        result.import_id = import_id

        def setup() -> None:  # reference tables the flows need (loaded when the workspace was created)
            ensure_codelists(con)
            money.ensure_rates(con)

        flows_built = False
        if kind == "iati":
            stats, warnings, flows_built = _load_iati(con, path, import_id, result, setup, parallel)
        else:
            setup()
            from kizuna.geo.store import store_sheet_areas
            from kizuna.ledger.store import load_aliases
            from kizuna.ledger.threew import read_threew

            sheet = read_threew(path, load_aliases(con))
            stats, warnings = load_activities(con, sheet.activities, import_id, "3w", sheet.reached)
            result.publisher = sheet.publisher
            warnings = sheet.warnings + warnings + store_sheet_areas(con, import_id, sheet)
        if kind != "iati" or not flows_built:
            warnings += money.build_flows(con, import_id)
        money.mark_double_counting(con, import_id)
        result.activities, result.transactions, result.replaced = stats.activities, stats.transactions, stats.replaced
        _finish_import(con, result, warnings)
    return result


def _finish_import(con: Any, result: FileResult, warnings: list[Any]) -> None:
    """Store an import's warnings and its counts on its ``imports`` row."""
    assert result.import_id is not None
    result.warnings = store_warnings(con, result.import_id, warnings)
    con.execute(
        "UPDATE imports SET publisher = ?, version = ?, counts = ?, warnings = ? WHERE import_id = ?",
        [
            result.publisher,
            result.version,
            json.dumps(
                {"activities": result.activities, "transactions": result.transactions, "replaced": result.replaced}
            ),
            json.dumps(result.warnings),
            result.import_id,
        ],
    )


def _small_iati_run(files: list[Path], start: int) -> list[Path]:
    """The small IATI files from ``start`` on, up to the first other file or a group's limits."""
    run: list[Path] = []
    size = 0
    for path in files[start:]:
        if path.suffix.lower() not in IATI_SUFFIXES or len(run) >= GROUP_FILES or size >= GROUP_BYTES:
            break
        n = path.stat().st_size
        if n >= PARALLEL_MIN_BYTES:
            break
        run.append(path)
        size += n
    return run


def ingest_small_files(
    ws: Workspace,
    paths: list[Path],
    on_file: Callable[[Path, int, int], None] | None = None,
    first: int = 0,
    total: int | None = None,
    *,
    keep_going: bool = False,
    provenance: Mapping[Path, Provenance] | None = None,
    known_sha256: Mapping[Path, str] | None = None,
) -> list[FileResult]:
    """Ingest small IATI files together: hashed (files imported already are skipped), parsed in worker
    processes, and loaded as they come back, in one transaction (one ``imports`` row per file), 48
    files per insert and flows derivation, with one double-counting pass for them all. A corpus is
    thousands of small files: this makes the cost per file that of its bytes, not of a dozen
    statements and a commit.

    Each file still lands whole or not at all, in order: a later file repeating an activity of an
    earlier one replaces it, as separate imports would. At the first file that cannot be read, the
    files before it are committed and its error is raised; with ``keep_going`` it is left out (a
    ``failed`` result with its error) and the files after it load as if it were not there.
    """
    total = total if total is not None else len(paths)
    known = known_sha256 or {}
    shas = [known.get(p) or file_sha256(p) for p in paths]
    imported = ws.imported_hashes("iati", shas)
    # Starting the worker pool costs more than it saves for a few small files: count what will be read.
    fresh = {sha: p for p, sha in reversed(list(zip(paths, shas, strict=True))) if sha not in imported}
    pool = workers() > 1 and sum(p.stat().st_size for p in fresh.values()) >= SMALL_FILES_PARALLEL_BYTES
    prov = provenance or {}
    results, _ = _small_files_group(
        ws,
        iter([(p, sha, prov.get(p, {})) for p, sha in zip(paths, shas, strict=True)]),
        imported.__contains__,
        pool,
        (lambda path, k: on_file(path, first + k, total)) if on_file else None,
        keep_going,
    )
    return results


Arrival = tuple[Path, str, Provenance]  # a whole file: its path, sha256 and provenance


def ingest_arriving(
    ws: Workspace,
    arrivals: Iterable[Arrival],
    on_file: Callable[[Path, int, int], None] | None = None,
    *,
    keep_going: bool = False,
) -> IngestSummary:
    """Ingest files as they arrive from a download under way (``kizuna fetch``), by the rules of
    :func:`ingest_paths`: a run of small IATI files is one group (one transaction, at most
    :data:`GROUP_FILES` files or :data:`GROUP_BYTES`), whose first file is parsed while the next ones
    still download; any other file is ingested on its own. ``arrivals`` may block while the next file
    downloads. ``on_file`` hears (file, its index, the number of files arrived so far)."""
    summary = IngestSummary()
    it = iter(arrivals)
    ahead: Arrival | None = next(it, None)
    done = 0

    def progress(path: Path, k: int) -> None:
        if on_file:
            on_file(path, done + k, done + k + 1)

    previous = ws.scalar("SELECT current_setting('memory_limit')")
    ws.con.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
    # Whether a file is imported already is asked where the parse pool asks for its next file (its
    # starter thread among others): through a connection of its own, not the one loading.
    cursor = ws.con.cursor()

    def is_imported(sha: str) -> bool:
        return bool(cursor.execute("SELECT 1 FROM imports WHERE kind = 'iati' AND sha256 = ?", [sha]).fetchall())

    try:
        while ahead is not None:
            path, sha, prov = ahead
            if not _is_small_iati(path):
                if on_file:
                    on_file(path, done, done + 1)
                try:
                    summary.files.append(ingest_file(ws, path, provenance=prov, sha256=sha))
                except KizunaError as exc:
                    if not keep_going:
                        raise
                    summary.files.append(FileResult(path, _kind(path), "failed", error=exc))
                done += 1
                ahead = next(it, None)
                continue
            results, ahead = _small_files_group(
                ws, itertools.chain([ahead], it), is_imported, workers() > 1, progress, keep_going
            )
            summary.files.extend(results)
            done += len(results)
    finally:
        cursor.close()
        ws.con.execute(f"SET memory_limit = '{previous}'")
    return summary


def _is_small_iati(path: Path) -> bool:
    return path.suffix.lower() in IATI_SUFFIXES and path.stat().st_size < PARALLEL_MIN_BYTES


def _small_files_group(
    ws: Workspace,
    items: Iterator[Arrival],
    is_imported: Callable[[str], bool],
    pool: bool,
    on_file: Callable[[Path, int], None] | None,
    keep_going: bool,
) -> tuple[list[FileResult], Arrival | None]:
    """One group of small IATI files (see :func:`ingest_small_files`), read from ``items`` as they come:
    each file is looked at (imported already, a copy of one earlier in the group, or to be read) and
    handed to the parse as soon as it is there. The group ends with ``items``, or at the first file that
    is not a small IATI file or would pass the group's limits: that one is returned, unread."""
    order: list[Path] = []
    skipped: dict[Path, FileResult] = {}
    todo: deque[tuple[Path, str]] = deque()  # handed to the parse, in order
    prov: dict[Path, Provenance] = {}
    first_of: dict[str, Path] = {}  # a file repeated in the group is read once, at its first copy
    twin: dict[Path, Path] = {}
    leftover: list[Arrival] = []

    def to_read() -> Iterator[Path]:
        # Runs where the parse asks for its next file (its starter thread, then the caller's thread).
        size = 0
        for item in items:
            path, sha, p = item
            if order and (not _is_small_iati(path) or len(order) >= GROUP_FILES or size >= GROUP_BYTES):
                leftover.append(item)
                return
            order.append(path)
            prov[path] = p
            if sha in first_of:
                skipped[path] = FileResult(path, "iati", "skipped")
                twin[path] = first_of[sha]
            elif is_imported(sha):
                skipped[path] = FileResult(path, "iati", "skipped")
            else:
                first_of[sha] = path
                todo.append((path, sha))
                size += path.stat().st_size
                yield path

    errors: list[KizunaError] = []
    failed: dict[Path, FileResult] = {}
    loaded: dict[Path, FileResult] = {}
    with tempfile.TemporaryDirectory(prefix="kizuna-ingest-") as tmp:
        parse: Iterator[ChunkResult | KizunaError]
        parallel = None
        if pool:
            parallel = ParallelParse.files(to_read(), Path(tmp))
            parse = parallel.outcomes()
        else:
            parse = _parse_in_process(to_read(), tmp)

        def parsed() -> Iterator[tuple[Path, str, ChunkResult]]:
            # In file order, up to the first file that cannot be read (its error is kept for later),
            # or past it when keeping going.
            for res in parse:
                path, sha = todo.popleft()
                if on_file:
                    on_file(path, order.index(path))
                if isinstance(res, KizunaError):
                    failed[path] = FileResult(path, "iati", "failed", error=res)
                    if keep_going:
                        continue
                    errors.append(res)
                    return
                yield path, sha, res

        limit = ws.scalar("SELECT current_setting('memory_limit')")
        ws.con.execute(f"SET memory_limit = '{SMALL_FILES_MEMORY_LIMIT}'")
        try:
            files = parsed()
            head = next(files, None)  # no transaction for a group with nothing to read
            if head is not None:
                loaded = {r.path: r for r in _load_small_files(ws, itertools.chain([head], files), prov)}
        finally:
            ws.con.execute(f"SET memory_limit = '{limit}'")
            if parallel is not None:
                parallel.close()
    if errors:
        raise errors[0]
    for copy, original in twin.items():  # a copy of a refused file is refused with it
        if original in failed:
            skipped[copy] = FileResult(copy, "iati", "failed", error=failed[original].error)
    return [skipped.get(p) or loaded.get(p) or failed[p] for p in order], (leftover[0] if leftover else None)


def _parse_in_process(paths: Iterable[Path], tmp: str) -> Iterator[ChunkResult | KizunaError]:
    """Each file parsed here, in order; one that cannot be read yields its error (see
    :meth:`ParallelParse.outcomes`)."""
    for k, p in enumerate(paths):
        try:
            yield parse_file(str(p), tmp, f"f{k}")
        except KizunaError as exc:
            yield exc


def _load_small_files(
    ws: Workspace,
    parsed: Iterator[tuple[Path, str, ChunkResult]],
    provenance: Mapping[Path, Provenance],
) -> list[FileResult]:
    """One transaction for the small files ``parsed`` hands over, loaded as the workers hand them
    back: see :func:`ingest_small_files`."""
    results: list[FileResult] = []
    shas: list[str] = []
    with ws.transaction() as con:
        ensure_codelists(con)
        money.ensure_rates(con)
        import_ids: list[int] = []
        file_of_uid: dict[str, int] = {}
        warnings: list[list[Any]] = []
        # Files are inserted many at a time, until one repeats an activity of those pending: the pending
        # ones land first, so the later version replaces the earlier one, as in separate imports.
        pending: list[tuple[int, ChunkResult]] = []
        seen: set[str] = set()

        def flush() -> None:
            if not pending:
                return
            batch = merge_files([res.files for _, res in pending])
            file_index = {res.files["activities"]: k for k, res in pending if "activities" in res.files}
            if file_index:  # files without activities have nothing to load
                replaced = flush_files(con, batch, {f: import_ids[k] for f, k in file_index.items()}, delete=False)
                for activities_file, count in replaced.items():
                    results[file_index[activities_file]].replaced = count
                for w in money.build_flows(con, batch=batch):
                    warnings[file_of_uid[w[0]]].append(w)
            delete_files(batch)
            pending.clear()
            seen.clear()

        for k, (path, sha, res) in enumerate(parsed):
            import_ids.extend(ws.reserve_import_ids(con, 1))  # files come one by one, as they are read
            r = FileResult(path, "iati", "imported", import_id=import_ids[k])
            r.activities, r.transactions, r.version = res.activities, res.transactions, res.version
            if res.publishers:
                r.publisher = res.publishers.most_common(1)[0][0]
            results.append(r)
            shas.append(sha)
            warnings.append(list(res.warnings))
            if seen.intersection(res.uids) or len(pending) >= FLUSH_FILES:
                flush()
            pending.append((k, res))
            seen.update(res.uids)
            file_of_uid.update(dict.fromkeys(res.uids, k))
        flush()
        ids = [int(r.import_id or 0) for r in results]
        money.mark_double_counting(con, ids)
        counts = store_warnings_of_imports(con, list(zip(ids, warnings, strict=True)))
        for r, by_code in zip(results, counts, strict=True):
            r.warnings = by_code
        ws.record_imports(
            con,
            [
                {
                    "import_id": r.import_id,
                    "kind": "iati",
                    "path": r.path,
                    "sha256": sha,
                    "publisher": r.publisher,
                    "version": r.version,
                    "counts": {"activities": r.activities, "transactions": r.transactions, "replaced": r.replaced},
                    "warnings": r.warnings,
                    **provenance.get(r.path, {}),
                }
                for r, sha in zip(results, shas, strict=True)
            ],
        )
    return results


class _Parallel:
    """A large file's chunk plan and its running parse (with the folder its workers write to)."""

    def __init__(self, path: Path, plan: ChunkPlan):
        self.plan = plan
        self.tmp = tempfile.TemporaryDirectory(prefix="kizuna-ingest-")
        self.parse = ParallelParse.chunks(path, plan, Path(self.tmp.name))

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
                stats.replaced += sum(flush_files(con, files, import_id, offsets, delete=False).values())
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
