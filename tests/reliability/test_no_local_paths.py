"""Issue 13 (personal data): the workspace keeps an input's file name (and sha256), never its full local path,
which names the user's home folder and often the person. Files inside the workspace's own folder keep their
path relative to it (``inputs/screen/well.toml``), so the screening map still finds a proposal's layers."""

from __future__ import annotations

from pathlib import Path

from kizuna.cli import main
from kizuna.workspace import open_workspace

USER = "yamada-hanako-7731"  # a planted user name, in the folders the inputs come from


def _text_columns(ws) -> list[tuple[str, str]]:
    return [
        (t, c)
        for t, c in ws.con.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE t.table_type = 'BASE TABLE' AND c.table_schema = 'main'"
            " AND (c.data_type LIKE 'VARCHAR%' OR c.data_type = 'JSON')"
        ).fetchall()
    ]


def _cells_naming(ws, needle: str) -> list[str]:
    return [
        f"{t}.{c}"
        for t, c in _text_columns(ws)
        if ws.scalar(f'SELECT count(*) FROM "{t}" WHERE strpos(CAST("{c}" AS VARCHAR), ?) > 0', [needle])
    ]


def _bytes_name(ws_path: Path, needle: str) -> bool:
    files = [ws_path, Path(str(ws_path) + ".wal")]
    return any(needle.encode() in f.read_bytes() for f in files if f.exists())


def test_no_input_leaves_its_folder_in_the_workspace(tmp_path):
    from kizuna.demo.ledger_synth import generate
    from kizuna.measure.demo import write_demo_inputs as measure_inputs
    from kizuna.screen.demo import write_demo_inputs as screen_inputs

    home = tmp_path / "home" / USER / "Downloads"
    ledger = generate(home / "ledger", seed=7)
    survey, spec = measure_inputs(home / "measure")
    screen = screen_inputs(home)
    ws_path = tmp_path / "project" / "kizuna.duckdb"
    ws_path.parent.mkdir()
    out = tmp_path / "out"
    assert main(["ingest", str(ledger["iati_files"][0]), str(ledger["threew_file"]), "-w", str(ws_path)]) == 0
    assert main(["measure", str(survey), "--spec", str(spec), "-w", str(ws_path), "-d", str(out / "m")]) == 0
    args = ["--communities", str(screen["communities"]), "--events", str(screen["events"])]
    assert main(["screen", str(screen["proposals"][0]), *args, "-w", str(ws_path), "--out-dir", str(out / "s")]) == 0
    with open_workspace(ws_path) as ws:
        rows = ws.query("SELECT kind, file_name, file_path FROM imports ORDER BY import_id")
        assert [r["kind"] for r in rows] == ["iati", "3w", "survey", "screen"]
        assert all(r["file_path"] == r["file_name"] for r in rows)
        assert _cells_naming(ws, USER) == []
        assert _cells_naming(ws, str(tmp_path)) == []
    assert not _bytes_name(ws_path, USER)


def test_the_byte_check_would_see_a_stored_path(tmp_path):
    # the control of the test above: a path that is stored can be found in the file's bytes
    ws_path = tmp_path / "kizuna.duckdb"
    with open_workspace(ws_path) as ws:
        with ws.transaction() as con:
            ws.record_import(con, kind="iati", path=tmp_path / "a.xml", sha256="0" * 64)
            con.execute("UPDATE imports SET publisher = ?", [f"/home/{USER}/Downloads/a.xml"])
        assert _cells_naming(ws, USER) == ["imports.publisher"]
    assert _bytes_name(ws_path, USER)


def test_a_file_inside_the_workspace_folder_keeps_its_relative_path(tmp_path):
    sheet = tmp_path / "inputs" / "3w.csv"
    sheet.parent.mkdir()
    sheet.write_text("Organisation,Sector,Admin1\nAlpha Org,Health,North\n")
    assert main(["ingest", str(sheet), "-w", str(tmp_path / "kizuna.duckdb")]) == 0
    with open_workspace(tmp_path / "kizuna.duckdb") as ws:
        (stored,) = ws.con.execute("SELECT file_path FROM imports").fetchall()[0]
        assert stored == "inputs/3w.csv"
        assert ws.source_path(stored) == sheet.resolve()


def test_the_migration_keeps_only_the_base_name_of_paths_stored_before(tmp_path):
    ws_path = tmp_path / "kizuna.duckdb"
    with open_workspace(ws_path) as ws, ws.transaction() as con:
        for k, old in enumerate([f"/home/{USER}/data/a.xml", f"C:\\Users\\{USER}\\b.csv", "c.xlsx", None]):
            con.execute(
                "INSERT INTO imports (import_id, kind, file_name, file_path, sha256, imported_at)"
                " VALUES (?, 'iati', 'x', ?, '0', now())",
                [100 + k, old],
            )
        con.execute("DELETE FROM schema_migrations WHERE version = 11")  # as a workspace made before it
    with open_workspace(ws_path) as ws:
        got = [r[0] for r in ws.con.execute("SELECT file_path FROM imports ORDER BY import_id").fetchall()]
        assert got == ["a.xml", "b.csv", "c.xlsx", None]
        assert _cells_naming(ws, USER) == []
