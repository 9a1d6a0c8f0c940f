"""``--keep-going``: a folder (or a fetched set) with bad files imports every good one, lists each bad one
with its error, and exits non-zero. Without it, the run is all-or-nothing: the first bad file stops it and
nothing of the run lands, not even the good files before it (issue 13)."""

from __future__ import annotations

import pytest

from kizuna.cli import main
from kizuna.ledger import ingest
from kizuna.ledger.ingest import ingest_paths
from kizuna.workspace import open_workspace


def _doc(n: int) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">\n'
        '<iati-activity default-currency="USD">\n'
        f"<iati-identifier>XZ-SYN-{n}</iati-identifier>\n"
        '<reporting-org ref="XZ-SYN" type="10"><narrative>[SYNTHETIC] Agency</narrative></reporting-org>\n'
        '<recipient-country code="SS"/>\n'
        '<transaction><transaction-type code="3"/><transaction-date iso-date="2021-01-01"/>'
        f"<value>{100 * n}</value></transaction>\n"
        "</iati-activity>\n</iati-activities>\n"
    )


BAD = {
    "truncated": ("xml.malformed", lambda n: _doc(n)[: len(_doc(n)) // 2]),
    "an HTML page": ("xml.doctype", lambda n: "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"),
    "not IATI": ("iati.not_iati", lambda n: "<html><body>404</body></html>"),
}


def _folder(tmp_path, bad: dict[int, str], n: int = 6):
    folder = tmp_path / "fetched"
    folder.mkdir()
    files = []
    for k in range(n):
        f = folder / f"page-{k:02d}.xml"
        f.write_text(BAD[bad[k]][1](k) if k in bad else _doc(k))
        files.append(f)
    return files


@pytest.fixture(params=["in process", "in workers"])
def mode(request, monkeypatch):
    if request.param == "in workers":
        monkeypatch.setattr(ingest, "SMALL_FILES_PARALLEL_BYTES", 0)
        monkeypatch.setenv("KIZUNA_WORKERS", "2")
    else:
        monkeypatch.setenv("KIZUNA_WORKERS", "1")
    return request.param


def _imported(ws):
    return [r[0] for r in ws.con.execute("SELECT file_name FROM imports ORDER BY import_id").fetchall()]


@pytest.mark.parametrize("bad_kind", sorted(BAD))
def test_keep_going_imports_every_good_file_and_reports_each_bad_one(tmp_path, mode, bad_kind):
    files = _folder(tmp_path, {1: bad_kind, 4: "truncated"})
    with open_workspace(tmp_path / "w.duckdb") as ws:
        summary = ingest_paths(ws, [tmp_path / "fetched"], keep_going=True)
        assert [f.status for f in summary.files] == ["imported", "failed", "imported", "imported", "failed", "imported"]
        assert _imported(ws) == [files[k].name for k in (0, 2, 3, 5)]
        assert sorted(ws.con.execute("SELECT iati_identifier FROM activities").fetchall()) == [
            (f"XZ-SYN-{k}",) for k in (0, 2, 3, 5)
        ]
        # Nothing of a refused file: no transaction or warning row points at a missing import.
        assert ws.scalar("SELECT count(*) FROM transactions") == 4
        for table in ("activities", "ledger_warnings"):
            orphans = f"SELECT count(*) FROM {table} WHERE import_id NOT IN (SELECT import_id FROM imports)"
            assert ws.scalar(orphans) == 0, table
    refused = summary.failed
    assert [f.path for f in refused] == [files[1], files[4]]
    assert [f.error.code for f in refused] == [BAD[bad_kind][0], "xml.malformed"]
    assert all(f.error.where.file == str(f.path) for f in refused)


def test_without_keep_going_the_first_bad_file_stops_the_run_and_nothing_of_it_is_stored(tmp_path, mode):
    files = _folder(tmp_path, {2: "truncated", 4: "truncated"})
    with open_workspace(tmp_path / "w.duckdb") as ws:
        before = ws.table_counts()
        with pytest.raises(Exception) as exc:
            ingest_paths(ws, [tmp_path / "fetched"])
        assert getattr(exc.value, "code", None) == "xml.malformed" and exc.value.where.file == str(files[2])
        assert _imported(ws) == []
        assert ws.table_counts() == before


def test_without_keep_going_a_bad_sheet_after_good_xml_files_stores_none_of_them(tmp_path, mode):
    # Files ingested on their own (a 3W sheet) and the small-files batch share the run's transaction.
    files = _folder(tmp_path, {})
    (tmp_path / "fetched" / "page-99.csv").write_text("nothing,here\n1,2\n")
    with open_workspace(tmp_path / "w.duckdb") as ws:
        before = ws.table_counts()
        with pytest.raises(Exception) as exc:
            ingest_paths(ws, [*files, tmp_path / "fetched" / "page-99.csv"])
        assert getattr(exc.value, "code", "").startswith("3w.")
        assert ws.table_counts() == before
        # and the same files without the bad one land whole, as one run
        summary = ingest_paths(ws, files)
        assert [f.status for f in summary.files] == ["imported"] * len(files)
        assert _imported(ws) == [f.name for f in files]


def test_a_copy_of_a_refused_file_is_refused_with_it(tmp_path, mode):
    files = _folder(tmp_path, {1: "truncated"}, n=3)
    (tmp_path / "fetched" / "page-09.xml").write_bytes(files[1].read_bytes())
    with open_workspace(tmp_path / "w.duckdb") as ws:
        summary = ingest_paths(ws, [tmp_path / "fetched"], keep_going=True)
    assert [(f.path.name, f.status) for f in summary.files] == [
        ("page-00.xml", "imported"),
        ("page-01.xml", "failed"),
        ("page-02.xml", "imported"),
        ("page-09.xml", "failed"),
    ]
    assert summary.files[3].error.code == "xml.malformed"


def test_keep_going_covers_files_ingested_on_their_own(tmp_path):
    # A 3W sheet (and any large IATI file) is its own transaction, outside the small-files batch.
    files = _folder(tmp_path, {})
    sheet = tmp_path / "fetched" / "page-03b.csv"
    sheet.write_text("nothing,here\n1,2\n")
    with open_workspace(tmp_path / "w.duckdb") as ws:
        summary = ingest_paths(ws, [tmp_path / "fetched"], keep_going=True)
        assert _imported(ws) == [f.name for f in files]
    (bad,) = summary.failed
    assert bad.path == sheet and bad.kind == "3w" and bad.error.code.startswith("3w.")


def test_cli_keep_going_exits_2_and_lists_each_refused_file_on_one_line(tmp_path, capsys, mode):
    files = _folder(tmp_path, {1: "truncated", 3: "an HTML page"})
    ws = tmp_path / "w.duckdb"
    rc = main(["ingest", str(tmp_path / "fetched"), "-w", str(ws), "--keep-going"])
    out, err = capsys.readouterr()
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"error[xml.malformed]: {files[1]}, line ") and "(hint: " in lines[0]
    assert lines[1].startswith(f"error[xml.doctype]: {files[3]}") and "(hint: " in lines[1]
    assert "6 files" in out and "2 refused" in out
    with open_workspace(ws, read_only=True) as w:
        assert _imported(w) == [files[k].name for k in (0, 2, 4, 5)]


def test_cli_without_keep_going_stores_nothing_of_the_run(tmp_path, capsys):
    files = _folder(tmp_path, {1: "truncated", 3: "truncated"})
    ws = tmp_path / "w.duckdb"
    rc = main(["ingest", str(tmp_path / "fetched"), "-w", str(ws)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith(f"error[xml.malformed]: {files[1]}")
    with open_workspace(ws, read_only=True) as w:
        assert _imported(w) == []
