"""A folder of small IATI files (a corpus is thousands of them) is ingested together: one transaction,
one insert per table, one flows derivation. The ledger must be the one that ingesting the files one
by one, in the same order, gives."""

from __future__ import annotations

import re
import shutil

import pytest

from kizuna.errors import InputError
from kizuna.ledger import ingest
from kizuna.ledger.ingest import ingest_file, ingest_paths
from kizuna.workspace import open_workspace
from tests.conftest import shared_path

TABLES = [
    "activities",
    "transactions",
    "transaction_sectors",
    "transaction_countries",
    "participating_orgs",
    "budgets",
    "locations",
    "flows",
    "ledger_warnings",
]


def _dump(ws):
    out = {t: ws.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    out["imports"] = ws.con.execute(
        "SELECT import_id, kind, file_name, sha256, publisher, version, counts, warnings FROM imports ORDER BY ALL"
    ).fetchall()
    return out


def _copies(tmp_path, n):
    """The shared files, ``n`` times, each copy's identifiers made its own (bytes differ, so no copy
    is skipped as already imported)."""
    folder = tmp_path / "corpus"
    for c in range(n):
        for src in sorted(shared_path("iati").glob("*.xml")):
            data = re.sub(
                rb"(<iati-identifier>)([^<]*)(</iati-identifier>)", rb"\g<1>\g<2>-k%d\g<3>" % c, src.read_bytes()
            )
            (folder / f"{c}").mkdir(parents=True, exist_ok=True)
            (folder / f"{c}" / src.name).write_bytes(data)
    return sorted(folder.rglob("*.xml"))


@pytest.mark.parametrize("parallel", [False, True], ids=["in process", "in workers"])
def test_small_files_together_give_the_ledger_of_one_by_one(tmp_path, monkeypatch, parallel):
    files = _copies(tmp_path, 2)
    with open_workspace(tmp_path / "one.duckdb") as ws:
        for f in files:
            ingest_file(ws, f)
        one_by_one = _dump(ws)
    if parallel:
        monkeypatch.setattr(ingest, "SMALL_FILES_PARALLEL_BYTES", 0)
        monkeypatch.setenv("KIZUNA_WORKERS", "2")
    else:
        monkeypatch.setenv("KIZUNA_WORKERS", "1")
    seen = []
    with open_workspace(tmp_path / "together.duckdb") as ws:
        summary = ingest_paths(ws, [tmp_path / "corpus"], on_file=lambda p, i, n: seen.append((p, i, n)))
        together = _dump(ws)
    assert [r.status for r in summary.files] == ["imported"] * len(files)
    assert [p for p, _, _ in seen] == files and seen[-1][1:] == (len(files) - 1, len(files))
    for t in one_by_one:
        assert together[t] == one_by_one[t], t


def test_a_later_file_repeating_an_activity_replaces_it_as_a_later_import_would(tmp_path):
    def doc(value):
        return (
            '<iati-activities version="2.03"><iati-activity default-currency="USD">'
            "<iati-identifier>XZ-SYN-1</iati-identifier>"
            '<reporting-org ref="XZ-SYN" type="10"><narrative>[SYNTHETIC] Agency</narrative></reporting-org>'
            f'<transaction><transaction-type code="3"/><transaction-date iso-date="2021-01-01"/>'
            f"<value>{value}</value></transaction></iati-activity></iati-activities>"
        )

    (tmp_path / "a.xml").write_text(doc(100))
    (tmp_path / "b.xml").write_text(doc(250))
    with open_workspace(tmp_path / "w.duckdb") as ws:
        summary = ingest_paths(ws, [tmp_path / "a.xml", tmp_path / "b.xml"])
        assert [(r.activities, r.replaced) for r in summary.files] == [(1, 0), (1, 1)]
        assert ws.scalar("SELECT count(*) FROM activities") == 1
        assert ws.scalar("SELECT sum(value) FROM flows") == 250.0
        assert ws.scalar("SELECT import_id FROM activities") == summary.files[1].import_id


BAD = {
    "truncated mid-element": ("xml.malformed", lambda text: text[: len(text) // 2]),
    "an HTML error page saved as .xml": ("xml.doctype", lambda text: b"<!DOCTYPE html><html><body>404</body></html>"),
    "not IATI": ("iati.not_iati", lambda text: b"<html><body>404</body></html>"),
}


@pytest.mark.parametrize("parallel", [False, True], ids=["in process", "in workers"])
@pytest.mark.parametrize("bad_kind", sorted(BAD))
def test_a_bad_file_stores_nothing_of_the_run(tmp_path, monkeypatch, bad_kind, parallel):
    if parallel:
        monkeypatch.setattr(ingest, "SMALL_FILES_PARALLEL_BYTES", 0)
        monkeypatch.setenv("KIZUNA_WORKERS", "2")
    files = _copies(tmp_path, 1)
    bad = files[2]
    code, damage = BAD[bad_kind]
    bad.write_bytes(damage(bad.read_bytes()))
    with open_workspace(tmp_path / "w.duckdb") as ws:
        with pytest.raises(InputError) as exc:
            ingest_paths(ws, [tmp_path / "corpus"])
        assert exc.value.code == code and exc.value.where.file == str(bad)
        assert exc.value.where.line or code == "iati.not_iati"  # a line wherever the XML has one
        # all-or-nothing across the run's inputs (issue 13): the good files before it are not kept either
        assert ws.scalar("SELECT count(*) FROM imports") == 0
        assert ws.scalar("SELECT count(*) FROM activities") == 0
    with open_workspace(tmp_path / "w.duckdb") as ws:  # with --keep-going the files before and after it land
        summary = ingest_paths(ws, [tmp_path / "corpus"], keep_going=True)
        names = [r[0] for r in ws.con.execute("SELECT file_name FROM imports ORDER BY import_id").fetchall()]
        assert names == [f.name for f in files if f != bad]
        assert [f.status for f in summary.files if f.path == bad] == ["failed"]


def test_the_same_file_twice_in_a_folder_is_imported_once(tmp_path):
    files = _copies(tmp_path, 1)
    twin = tmp_path / "corpus" / "twin"
    twin.mkdir()
    shutil.copy(files[0], twin / files[0].name)
    with open_workspace(tmp_path / "w.duckdb") as ws:
        summary = ingest_paths(ws, [tmp_path / "corpus"])
        assert sorted(r.status for r in summary.files) == ["imported"] * len(files) + ["skipped"]
        again = ingest_paths(ws, [tmp_path / "corpus"])
        assert {r.status for r in again.files} == {"skipped"}


def test_large_files_among_small_ones_keep_the_folders_order(tmp_path, monkeypatch):
    # A large file ends the run of small files before it: it is ingested on its own (in chunks), then
    # the next run starts. The ledger is still the file-by-file one.
    files = _copies(tmp_path, 2)
    with open_workspace(tmp_path / "one.duckdb") as ws:
        for f in files:
            ingest_file(ws, f)
        one_by_one = _dump(ws)
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 1_000_000)  # usaid-cf and state-southsudan are "large"
    monkeypatch.setattr(ingest, "SMALL_FILES_PARALLEL_BYTES", 0)
    monkeypatch.setenv("KIZUNA_WORKERS", "2")
    runs = []
    real = ingest.ingest_small_files
    monkeypatch.setattr(
        ingest, "ingest_small_files", lambda ws, group, *a, **kw: runs.append(len(group)) or real(ws, group, *a, **kw)
    )
    with open_workspace(tmp_path / "mixed.duckdb") as ws:
        ingest_paths(ws, [tmp_path / "corpus"])
        mixed = _dump(ws)
    assert len(runs) >= 2  # the large files split the folder into several runs of small ones
    for t in one_by_one:
        assert mixed[t] == one_by_one[t], t


def test_a_bad_first_file_imports_nothing_and_leaves_no_trace(tmp_path):
    files = _copies(tmp_path, 1)
    files[0].write_bytes(b"<iati-activities version='2.03'><iati-activity>")  # truncated at once
    with open_workspace(tmp_path / "w.duckdb") as ws:
        with pytest.raises(InputError) as exc:
            ingest_paths(ws, [tmp_path / "corpus"])
        assert exc.value.where.file == str(files[0])
        for table in ("imports", "activities", "transactions", "flows", "ledger_warnings"):
            assert ws.scalar(f"SELECT count(*) FROM {table}") == 0, table


@pytest.mark.parametrize("parallel", [False, True], ids=["in process", "in workers"])
def test_files_ingested_as_they_arrive_give_the_ledger_of_a_folder(tmp_path, monkeypatch, parallel):
    # kizuna fetch hands files over one by one while the next ones download: the parse of the first
    # ones starts at once. The ledger must be the one ingesting the finished folder gives.
    import time

    from kizuna.workspace import file_sha256

    files = _copies(tmp_path, 2)
    with open_workspace(tmp_path / "folder.duckdb") as ws:
        ingest_paths(ws, files)
        folder = _dump(ws)
    monkeypatch.setenv("KIZUNA_WORKERS", "2" if parallel else "1")
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 1_000_000)  # two of the shared files come alone

    def arriving():
        for f in files:
            time.sleep(0.02)  # a download under way
            yield f, file_sha256(f), {"source_url": f"http://example.org/{f.name}"}

    with open_workspace(tmp_path / "arriving.duckdb") as ws:
        summary = ingest.ingest_arriving(ws, arriving())
        arrived = _dump(ws)
        urls = [r[0] for r in ws.con.execute("SELECT source_url FROM imports ORDER BY import_id").fetchall()]
        again = ingest.ingest_arriving(ws, arriving())
    assert [r.path for r in summary.files] == files and {r.status for r in summary.files} == {"imported"}
    assert urls == [f"http://example.org/{f.name}" for f in files]
    assert {r.status for r in again.files} == {"skipped"}
    for t in folder:  # every ledger table, and the imports rows (bar the provenance _dump does not read)
        assert arrived[t] == folder[t], t
