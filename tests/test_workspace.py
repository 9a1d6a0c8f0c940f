"""The workspace: migrations apply once, transactions are all-or-nothing, errors are data."""

from __future__ import annotations

import pytest

from kizuna.errors import KizunaError, Where
from kizuna.workspace import migrations, open_workspace


def test_migrations_apply_once_and_in_order(ws_path):
    ws = open_workspace(ws_path)
    first = ws.con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [v for (v,) in first] == [m.version for m in migrations()]
    assert ws.migrate() == []  # nothing left to apply
    ws.close()
    ws2 = open_workspace(ws_path)
    assert ws2.migrate() == []
    ws2.close()


def test_transaction_rolls_back_everything_on_error(ws):
    before = ws.table_counts()
    with pytest.raises(RuntimeError), ws.transaction() as con:
        con.execute(
            "INSERT INTO imports (import_id, kind, file_name, sha256, imported_at) VALUES (99, 'iati', 'f.xml', 'abc', now())"
        )
        raise RuntimeError("boom")
    assert ws.table_counts() == before


def test_missing_workspace_read_only_is_a_clear_error(tmp_path):
    with pytest.raises(KizunaError) as ei:
        open_workspace(tmp_path / "nope.duckdb", read_only=True)
    assert ei.value.code == "workspace.missing"
    assert "nope.duckdb" in ei.value.one_line()


def test_error_one_line_names_file_line_field_and_hint():
    e = KizunaError("iati.bad_value", "not a number", Where(file="a.xml", line=12, field="value"), hint="fix it")
    line = e.one_line()
    assert "\n" not in line
    assert line == "error[iati.bad_value]: a.xml, line 12, field 'value': not a number (hint: fix it)"
    assert e.to_dict() == {
        "error": {
            "code": "iati.bad_value",
            "message": "not a number",
            "where": {"file": "a.xml", "line": 12, "field": "value"},
            "hint": "fix it",
        }
    }
