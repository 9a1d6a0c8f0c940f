"""Large IATI files in parallel: split at activity boundaries, parse chunks in worker processes.

The file is cut after a ``</iati-activity>`` every :data:`CHUNK_BYTES`; each chunk is parsed as the
original root start tag + its activities + ``</iati-activities>``, by the same hardened
:class:`~kizuna.ledger.iati.IatiReader`, in a pool of worker processes, while the main process inserts
the finished batches into DuckDB in file order (so "later repeats win" still holds). Line numbers in
errors and warnings are those of the original file.

Before any chunk is read, the whole file's prolog is checked for a DOCTYPE and its tail for the closing
``</iati-activities>``: a truncated file fails with its last line, never loads half.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any, BinaryIO

from kizuna.errors import InputError, KizunaError, Where
from kizuna.i18n import N_
from kizuna.ledger.iati import IatiReader, check_prolog
from kizuna.ledger.rows import build_batch, write_batch

CHUNK_BYTES = 8 << 20
PARALLEL_MIN_BYTES = 24 << 20
END_TAG = b"</iati-activity>"
ROOT_RE = re.compile(rb"<iati-activities[\s>]")
COMMENT_RE = re.compile(rb"<!--.*?-->", re.S)


@dataclass(frozen=True)
class Chunk:
    start: int  # byte offsets in the file: the chunk is whole activities
    end: int


@dataclass
class ChunkPlan:
    header: bytes
    chunks: list[Chunk]


def workers() -> int:
    """Worker processes for parallel ingest: ``$KIZUNA_WORKERS``, else the machine's cores (at most 4).

    One (no pool) where workers cannot start from a fork server (Windows), or when the main module is
    a file that does not exist, such as a script piped on standard input: worker processes re-import
    it by path, and would die at start."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file and not os.path.exists(main_file):
        return 1
    if "forkserver" not in get_all_start_methods():  # Windows: parse in process
        return 1
    env = os.environ.get("KIZUNA_WORKERS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(4, os.cpu_count() or 1))


def _rfind(fh: BinaryIO, pattern: bytes, size: int, block: int = 1 << 20) -> int:
    """Offset of the last ``pattern`` in the file, reading backwards in blocks (-1 if absent)."""
    end = size
    while end > 0:
        start = max(0, end - block)
        fh.seek(start)
        data = fh.read(end - start + len(pattern) - 1 if end < size else end - start)
        k = data.rfind(pattern)
        if k >= 0:
            return start + k
        end = start
    return -1


def _find(fh: BinaryIO, pattern: bytes, start: int, stop: int, block: int = 1 << 20) -> int:
    """Offset of the first ``pattern`` at or after ``start`` and before ``stop`` (-1 if absent)."""
    pos = start
    while pos < stop:
        fh.seek(pos)
        data = fh.read(min(block + len(pattern) - 1, stop - pos))
        k = data.find(pattern)
        if k >= 0:
            return pos + k
        pos += block
    return -1


def _count_newlines(fh: BinaryIO, start: int, end: int, block: int = 8 << 20) -> int:
    fh.seek(start)
    n = 0
    left = end - start
    while left > 0:
        data = fh.read(min(block, left))
        if not data:
            break
        n += data.count(b"\n")
        left -= len(data)
    return n


def plan_chunks(path: Path, chunk_bytes: int | None = None) -> ChunkPlan | None:
    """Cut points for ``path``; ``None`` when the file cannot be cut (no activities): read it serially.

    Only seeks near the cut points: line numbers are counted by the workers, chunk by chunk (see
    :class:`ChunkResult`), so planning costs milliseconds whatever the file's size. Reads in blocks
    (never mapped whole: mapped pages would count in the process's memory).
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    check_prolog(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
        m = ROOT_RE.search(head)
        if m is None:
            return None
        root_end = head.find(b">", m.start())
        if root_end < 0 or head[root_end - 1 : root_end] == b"/":
            return None
        header = head[: root_end + 1]
        last = _rfind(fh, END_TAG, size)
        if last < 0:
            return None
        fh.seek(last + len(END_TAG))
        tail = fh.read(1 << 16)
        if COMMENT_RE.sub(b"", tail).strip() != b"</iati-activities>":
            total_lines = _count_newlines(fh, 0, size) + 1
            raise InputError(
                "xml.malformed",
                N_("the file ends before </iati-activities>: it looks truncated"),
                Where(file=str(path), line=total_lines),
                hint=N_("the download may have been cut short; download it again"),
            )
        chunks: list[Chunk] = []
        pos = root_end + 1
        stop = last + len(END_TAG)
        while pos < stop:
            k = _find(fh, END_TAG, min(pos + chunk_bytes, stop - len(END_TAG)), stop)
            end = stop if k < 0 else k + len(END_TAG)
            chunks.append(Chunk(pos, end))
            pos = end
        return ChunkPlan(header=header, chunks=chunks)


@dataclass
class ChunkResult:
    """What a worker hands back: the chunk's activity keys, its Parquet files, counts and warnings.

    Lines (the ``line`` column of its activities file and of its warnings) are counted from the
    chunk's start, 1 being the line it starts on, unless ``lines_absolute``: the caller adds the
    number of newlines before the chunk, known once the earlier chunks report ``newlines``.
    """

    uids: list[str]
    files: dict[str, str]  # table -> Parquet file, for kizuna.ledger.store.flush_files
    activities: int
    transactions: int
    warnings: list[tuple[str, int, str, str]]
    publishers: Counter[str]
    version: str | None
    newlines: int = 0  # newlines in the chunk's bytes
    lines_absolute: bool = True


def parse_chunk(path: str, header: bytes, chunk: Chunk, out_dir: str) -> ChunkResult:
    """Worker: read one chunk of ``path`` and write its table rows as Parquet files in ``out_dir``.

    Rows carry import id 0 (the caller sets the real one as it inserts them) and chunk-relative lines.
    """
    with open(path, "rb") as fh:
        fh.seek(chunk.start)
        body = fh.read(chunk.end - chunk.start)
    header_nl = header.count(b"\n")
    data = header + body + b"</iati-activities>"
    del body  # one copy of the chunk in memory, not two
    stem = f"c{chunk.start}"
    res = fast_document(path, data, -header_nl, 0, out_dir, stem)
    if res is not None:
        res.lines_absolute = False
        res.newlines -= header_nl  # the fast path counted the whole document: header, body, end tag
        return res
    # The reference reader reports errors and warning messages with lines: give it the true ones.
    with open(path, "rb") as fh:
        before = _count_newlines(fh, 0, chunk.start)
    # A 1.0x file's one iati.version_1 warning comes from its first chunk, not from every chunk.
    first = chunk.start == len(header)
    res = careful_document(path, data, before - header_nl, 0, out_dir, stem, file_warnings=first)
    res.newlines = data.count(b"\n") - header_nl
    return res


def read_document(path: str, data: bytes, line_offset: int, import_id: int, out_dir: str, stem: str) -> ChunkResult:
    """Ledger rows of one in-memory IATI document (a whole small file, or a chunk of a large one), as
    Parquet files: by the compiled fast path when it can promise the reference reader's answer, else
    by :class:`~kizuna.ledger.iati.IatiReader`, which also reports every error with its line."""
    res = fast_document(path, data, line_offset, import_id, out_dir, stem)
    return res if res is not None else careful_document(path, data, line_offset, import_id, out_dir, stem)


def fast_document(
    path: str, data: bytes, line_offset: int, import_id: int, out_dir: str, stem: str
) -> ChunkResult | None:
    """:func:`read_document` by the compiled fast path only; ``None`` where it declines."""
    from kizuna.ledger import iati_fast

    try:
        fast = iati_fast.fast_tables(data, import_id, line_offset, path=path)
    except iati_fast.Decline:
        return None
    return ChunkResult(
        uids=fast.uids,
        files=write_batch(fast.tables, Path(out_dir), stem),
        activities=fast.activities,
        transactions=fast.transactions,
        warnings=fast.warnings,
        publishers=fast.publishers,
        version=fast.version,
        newlines=fast.newlines,
    )


def careful_document(
    path: str, data: bytes, line_offset: int, import_id: int, out_dir: str, stem: str, file_warnings: bool = True
) -> ChunkResult:
    """:func:`read_document` by the reference reader only (``file_warnings``: whether this document may
    carry the file's once-per-file warnings; not for the second and later chunks of a file)."""
    reader = IatiReader(path, data=data, line_offset=line_offset, file_warnings=file_warnings)
    pubs: Counter[str] = Counter()

    def acts() -> Iterator[Any]:
        for a in reader:
            if a.publisher_ref:
                pubs[a.publisher_ref] += 1
            yield a

    batch, stats, warnings = build_batch(acts(), import_id, "iati")
    return ChunkResult(
        uids=list(batch.uids),
        files=write_batch(batch.tables(), Path(out_dir), stem),
        activities=stats.activities,
        transactions=stats.transactions,
        warnings=warnings,
        publishers=pubs,
        version=reader.header.version if reader.header else None,
    )


def parse_file(path: str, out_dir: str, stem: str) -> ChunkResult:
    """Worker: read one whole (small) IATI file, as :func:`read_document` does, with the file's lines."""
    check_prolog(Path(path))
    return read_document(path, Path(path).read_bytes(), 0, 0, out_dir, stem)


class ParallelParse:
    """Results of parse tasks in submission order, from a pool of worker processes, at most
    ``workers + 1`` in flight: the chunks of one large file (:meth:`chunks`), or whole small files
    (:meth:`files`).

    Construction returns at once: a thread starts the pool and submits the first tasks, so the
    caller can hash the file and open its transaction while the workers start. Workers come from a
    fork server that has loaded the readers and compiled the fast path's parser
    (:mod:`kizuna.ledger.worker_preload`): they start fast and never inherit DuckDB's threads or the
    caller's imports. ``close()`` (or the end of iteration) stops the pool.
    """

    def __init__(self, tasks: Iterable[tuple[Any, ...]], n_workers: int | None = None):
        self.n = n_workers or workers()
        ctx = get_context("forkserver")
        ctx.set_forkserver_preload(["kizuna.ledger.worker_preload"])
        self.ex = ProcessPoolExecutor(max_workers=self.n, mp_context=ctx)
        self.todo = iter(tasks)
        self.pending: deque[Future[ChunkResult]] = deque()
        self.starter = threading.Thread(target=self._start, name="kizuna-parse-start", daemon=True)
        self.starter.start()

    @classmethod
    def chunks(cls, path: Path, plan: ChunkPlan, out_dir: Path, n_workers: int | None = None) -> ParallelParse:
        return cls([(parse_chunk, str(path), plan.header, c, str(out_dir)) for c in plan.chunks], n_workers)

    @classmethod
    def files(cls, paths: Iterable[Path], out_dir: Path, n_workers: int | None = None) -> ParallelParse:
        """Whole files, as ``paths`` gives them: it may be a generator that waits for each next file
        (a download under way); it is drawn from where the next task is submitted."""
        return cls(((parse_file, str(p), str(out_dir), f"f{i}") for i, p in enumerate(paths)), n_workers)

    def _start(self) -> None:
        for _ in range(self.n + 1):
            self._submit_next()

    def _submit_next(self) -> None:
        task = next(self.todo, None)
        if task is not None:
            self.pending.append(self.ex.submit(*task))

    def __iter__(self) -> Iterator[ChunkResult]:
        for res in self.outcomes():
            if isinstance(res, KizunaError):
                raise res
            yield res

    def outcomes(self) -> Iterator[ChunkResult | KizunaError]:
        """Like iterating, but a task that fails with a :class:`KizunaError` yields it and the others
        go on (``ingest --keep-going`` reads every good file of a folder with a bad one)."""
        self.starter.join()
        try:
            while self.pending:
                fut = self.pending.popleft()
                self._submit_next()
                try:
                    res: ChunkResult | KizunaError = fut.result()
                except KizunaError as exc:
                    res = exc
                yield res
        finally:
            self.close()

    def close(self) -> None:
        self.starter.join()
        for f in self.pending:
            f.cancel()
        self.pending.clear()
        self.ex.shutdown(wait=True, cancel_futures=True)
