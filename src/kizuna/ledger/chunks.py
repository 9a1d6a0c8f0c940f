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

import mmap
import os
import re
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from kizuna.errors import InputError, Where
from kizuna.ledger.iati import IatiReader, check_prolog
from kizuna.ledger.store import build_batch

CHUNK_BYTES = 8 << 20
PARALLEL_MIN_BYTES = 24 << 20
END_TAG = b"</iati-activity>"
ROOT_RE = re.compile(rb"<iati-activities[\s>]")
COMMENT_RE = re.compile(rb"<!--.*?-->", re.S)


@dataclass(frozen=True)
class Chunk:
    start: int
    end: int
    line_offset: int  # add to a line inside the chunk to get the file's line


@dataclass
class ChunkPlan:
    header: bytes
    chunks: list[Chunk]


def workers() -> int:
    """Worker processes for parallel ingest: ``$KIZUNA_WORKERS``, else the machine's cores (at most 4)."""
    env = os.environ.get("KIZUNA_WORKERS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(4, os.cpu_count() or 1))


def plan_chunks(path: Path, chunk_bytes: int | None = None) -> ChunkPlan | None:
    """Cut points for ``path``; ``None`` when the file cannot be cut (no activities): read it serially."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    check_prolog(path)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        m = ROOT_RE.search(mm, 0, min(len(mm), 1 << 20))
        if m is None:
            return None
        root_end = mm.find(b">", m.start())
        if root_end < 0 or mm[root_end - 1 : root_end] == b"/":
            return None
        header = mm[: root_end + 1]
        last = mm.rfind(END_TAG)
        if last < 0:
            return None
        tail = COMMENT_RE.sub(b"", mm[last + len(END_TAG) :]).strip()
        if tail != b"</iati-activities>":
            total_lines = mm[:].count(b"\n") + 1
            raise InputError(
                "xml.malformed",
                "the file ends before </iati-activities>: it looks truncated",
                Where(file=str(path), line=total_lines),
                hint="the download may have been cut short; download it again",
            )
        header_lines = header.count(b"\n")
        chunks: list[Chunk] = []
        pos = root_end + 1
        lines_before = header_lines
        stop = last + len(END_TAG)
        while pos < stop:
            k = mm.find(END_TAG, min(pos + chunk_bytes, stop - len(END_TAG)))
            end = stop if k < 0 else k + len(END_TAG)
            chunks.append(Chunk(pos, end, lines_before - header_lines))
            lines_before += mm[pos:end].count(b"\n")
            pos = end
        return ChunkPlan(header=header, chunks=chunks)


@dataclass
class ChunkResult:
    uids: list[str]
    tables: dict[str, Any]
    activities: int
    transactions: int
    warnings: list[tuple[str, int, str, str]]
    publishers: Counter[str]
    version: str | None


def parse_chunk(path: str, header: bytes, chunk: Chunk, import_id: int) -> ChunkResult:
    """Worker: read one chunk of ``path`` and turn it into table rows."""
    with open(path, "rb") as fh:
        fh.seek(chunk.start)
        body = fh.read(chunk.end - chunk.start)
    reader = IatiReader(path, data=header + body + b"</iati-activities>", line_offset=chunk.line_offset)
    pubs: Counter[str] = Counter()

    def acts() -> Iterator[Any]:
        for a in reader:
            if a.publisher_ref:
                pubs[a.publisher_ref] += 1
            yield a

    batch, stats, warnings = build_batch(acts(), import_id, "iati")
    return ChunkResult(
        uids=list(batch.uids),
        tables=batch.tables(),
        activities=stats.activities,
        transactions=stats.transactions,
        warnings=warnings,
        publishers=pubs,
        version=reader.header.version if reader.header else None,
    )


def parse_parallel(path: Path, plan: ChunkPlan, import_id: int, n_workers: int | None = None) -> Iterator[ChunkResult]:
    """Chunk results in file order, with at most ``2 x workers`` chunks in flight (bounded memory)."""
    n = n_workers or workers()
    ctx = get_context("spawn")  # never fork a process that holds DuckDB threads
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as ex:
        pending: deque[Future[ChunkResult]] = deque()
        it = iter(plan.chunks)
        for c in it:
            pending.append(ex.submit(parse_chunk, str(path), plan.header, c, import_id))
            if len(pending) >= 2 * n:
                break
        try:
            while pending:
                res = pending.popleft().result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.append(ex.submit(parse_chunk, str(path), plan.header, nxt, import_id))
                yield res
        finally:
            for f in pending:
                f.cancel()
