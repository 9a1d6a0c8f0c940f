"""Large files are cut at activity boundaries and parsed in worker processes: same result as streaming."""

from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.errors import InputError
from kizuna.ledger import chunks, ingest
from kizuna.ledger.ingest import ingest_file
from kizuna.workspace import open_workspace
from tests.conftest import shared_path

TABLES = ["activities", "transactions", "transaction_sectors", "transaction_countries", "participating_orgs", "flows"]


def _dump(ws):
    out = {}
    for t in TABLES:
        cols = "* EXCLUDE (import_id)" if t == "activities" else "*"
        out[t] = ws.con.execute(f"SELECT {cols} FROM {t} ORDER BY ALL").fetchall()
    return out


def test_chunked_parallel_ingest_equals_streaming_ingest(tmp_path, monkeypatch):
    path = shared_path("iati", "state-southsudan.xml")
    with open_workspace(tmp_path / "serial.duckdb") as ws:
        ingest_file(ws, path)
        serial = _dump(ws)
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 150_000)  # about 14 chunks
    monkeypatch.setenv("KIZUNA_WORKERS", "2")
    plan = chunks.plan_chunks(path)
    assert plan is not None and len(plan.chunks) > 10
    with open_workspace(tmp_path / "parallel.duckdb") as ws:
        res = ingest_file(ws, path)
        assert res.activities == 344 and res.publisher == "US-GOV-11" and res.version == "2.03"
        parallel = _dump(ws)
    for t in TABLES:
        assert parallel[t] == serial[t], t


def test_chunk_line_numbers_are_the_files_lines(tmp_path):
    path = shared_path("iati", "usadf-southsudan.xml")
    plan = chunks.plan_chunks(path, chunk_bytes=40_000)
    serial_lines = []
    from kizuna.ledger.iati import IatiReader

    serial_lines = [a.line for a in IatiReader(path)]
    chunk_lines = []
    before = plan.header.count(b"\n")
    for c in plan.chunks:
        res = chunks.parse_chunk(str(path), plan.header, c, str(tmp_path))
        lines = pq.read_table(res.files["activities"]).column("line").to_pylist()
        chunk_lines += lines if res.lines_absolute else [line + before for line in lines]
        before += res.newlines
    assert chunk_lines == serial_lines


def test_a_truncated_large_file_is_refused_before_any_chunk_loads(tmp_path, monkeypatch):
    src = shared_path("iati", "usaid-cf.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    end = src.rfind(b"</iati-activity>") + len(b"</iati-activity>")
    cut.write_bytes(src[:end] + b"\n")  # every activity complete, the root never closed
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setenv("KIZUNA_WORKERS", "2")
    with open_workspace(tmp_path / "ws.duckdb") as ws:
        before = ws.table_counts()
        with pytest.raises(InputError) as ei:
            ingest_file(ws, cut)
        assert ei.value.code == "xml.malformed" and ei.value.where.line == src[:end].count(b"\n") + 2
        assert ws.table_counts() == before


def test_a_malformed_chunk_reports_the_files_line(tmp_path, monkeypatch):
    src = shared_path("iati", "usadf-southsudan.xml").read_bytes()
    lines = src.split(b"\n")
    target = len(lines) * 3 // 4
    while b"<title>" not in lines[target]:
        target += 1
    lines[target] = lines[target].replace(b"<title>", b"<title><broken>")
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"\n".join(lines))
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 50_000)
    monkeypatch.setenv("KIZUNA_WORKERS", "2")
    with open_workspace(tmp_path / "ws.duckdb") as ws, pytest.raises(InputError) as ei:
        ingest_file(ws, bad)
    # libxml2 reports the mismatch where the enclosing element closes: a line or two below
    assert ei.value.code == "xml.malformed"
    assert target + 1 <= ei.value.where.line <= target + 4


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=300).map(lambda b: b.replace(b"</iati-activity>", b"")),
    inserts=st.lists(st.integers(min_value=0, max_value=300), max_size=4),
    block=st.integers(min_value=1, max_value=64),
    start=st.integers(min_value=0, max_value=400),
)
def test_block_scans_find_what_bytes_find_finds(tmp_path_factory, data, inserts, block, start):
    # The planner reads files in blocks instead of mapping them; it must find exactly what a whole-file
    # search finds, including a tag that straddles two blocks.
    for i in sorted(inserts, reverse=True):
        data = data[:i] + chunks.END_TAG + data[i:]
    path = tmp_path_factory.mktemp("scan") / "f.bin"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        assert chunks._rfind(fh, chunks.END_TAG, len(data), block) == data.rfind(chunks.END_TAG)
        assert chunks._find(fh, chunks.END_TAG, start, len(data), block) == data.find(chunks.END_TAG, start)
        assert chunks._count_newlines(fh, 0, len(data), block) == data.count(b"\n")


def test_groups_of_chunks_with_repeats_give_the_same_ledger_as_one_pass(tmp_path, monkeypatch):
    # Chunks land 3 at a time with their flows built group by group; an activity repeated in a later
    # chunk must still replace the earlier one everywhere, flows included.
    src = shared_path("iati", "state-southsudan.xml").read_bytes()
    first = src.find(b"<iati-activity ")
    block = src[first : src.find(b"</iati-activity>", first) + len(b"</iati-activity>")]
    changed = block.replace(b"<value ", b'<value currency="EUR" ')
    end = src.rfind(b"</iati-activities>")
    path = tmp_path / "repeat.xml"
    path.write_bytes(src[:end] + changed + b"\n" + src[end:])  # the first activity again, at the end
    with open_workspace(tmp_path / "serial.duckdb") as ws:
        ingest_file(ws, path)
        serial = _dump(ws)
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ingest, "FLUSH_CHUNKS", 3)
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 150_000)
    monkeypatch.setenv("KIZUNA_WORKERS", "2")
    with open_workspace(tmp_path / "parallel.duckdb") as ws:
        res = ingest_file(ws, path)
        assert res.warnings.get("identifier.repeated_in_file") == 1
        parallel = _dump(ws)
        currencies = ws.con.execute(
            "SELECT DISTINCT f.currency FROM flows f JOIN activities a USING (activity_uid) WHERE a.line > ?",
            [src[:end].count(b"\n")],
        ).fetchall()
    assert currencies == [("EUR",)]  # the later version won, in the flows too
    for t in TABLES:
        assert parallel[t] == serial[t], t


def test_a_chunk_the_fast_reader_declines_keeps_the_files_lines_in_warnings(tmp_path, monkeypatch):
    src = shared_path("iati", "usaid-cf.xml").read_bytes()
    lines = src.split(b"\n")
    target = len(lines) * 2 // 3
    while b"<value " not in lines[target]:
        target += 1
    v = lines[target]
    lines[target] = v[: v.index(b">") + 1] + b"lots" + v[v.index(b"</value>") :]
    bad = tmp_path / "nan.xml"
    bad.write_bytes(b"\n".join(lines))
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 200_000)
    monkeypatch.setenv("KIZUNA_WORKERS", "2")
    with open_workspace(tmp_path / "ws.duckdb") as ws:
        ingest_file(ws, bad)
        msgs = ws.con.execute("SELECT message FROM ledger_warnings WHERE code = 'value.not_a_number'").fetchall()
        acts_lines = ws.con.execute("SELECT line FROM activities ORDER BY line").fetchall()
    assert msgs and f"(line {target + 1})" in msgs[0][0]
    expected = [src[: m.start()].count(b"\n") + 1 for m in re.finditer(rb"<iati-activity[\s>]", src)]
    assert [r[0] for r in acts_lines] == expected


def test_no_worker_pool_when_the_main_module_cannot_be_reimported(monkeypatch):
    # A script piped on stdin has __main__.__file__ == "<stdin>": workers would die re-importing it.
    import sys

    monkeypatch.setenv("KIZUNA_WORKERS", "2")
    assert chunks.workers() == 2
    monkeypatch.setattr(sys.modules["__main__"], "__file__", "<stdin>", raising=False)
    assert chunks.workers() == 1


def test_no_worker_pool_where_there_is_no_fork_server(monkeypatch):
    monkeypatch.setenv("KIZUNA_WORKERS", "2")
    monkeypatch.setattr(chunks, "get_all_start_methods", lambda: ["spawn"])  # as on Windows
    assert chunks.workers() == 1
