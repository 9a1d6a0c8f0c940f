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


def test_a_workspace_derived_under_the_old_money_rules_is_derived_again_on_upgrade(tmp_path):
    """Migration 0005 (regions share the 100 %, value dates) is followed by a rebuild of the flows."""
    from kizuna.ledger.ingest import ingest_file
    from kizuna.workspace import open_workspace

    xml = tmp_path / "wri.xml"
    xml.write_text(
        """<iati-activities version="2.03"><iati-activity default-currency="USD">
<iati-identifier>XM-T-1</iati-identifier><reporting-org ref="XM-T" type="21"><narrative>T</narrative></reporting-org>
<title><narrative>T</narrative></title>
<recipient-country code="BR" percentage="48"/><recipient-region code="489" vocabulary="1" percentage="52"/>
<sector code="41010" percentage="100"/>
<transaction><transaction-type code="3"/><transaction-date iso-date="2021-05-01"/>
<value value-date="2021-05-01">100</value></transaction></iati-activity></iati-activities>""",
        encoding="utf-8",
    )
    path = tmp_path / "w.duckdb"
    with open_workspace(path) as ws:
        ingest_file(ws, xml)
        assert ws.scalar("SELECT sum(usd) FROM flows WHERE country = 'BR'") == pytest.approx(48.0)
        # as a workspace made before migration 0005: no region columns, Brazil given everything
        ws.con.execute("ALTER TABLE flows DROP COLUMN region")
        ws.con.execute("ALTER TABLE flows DROP COLUMN region_vocabulary")
        ws.con.execute("ALTER TABLE flows DROP COLUMN date_source")
        ws.con.execute("DELETE FROM schema_migrations WHERE version = 5")
        ws.con.execute("UPDATE flows SET usd = 100, share = 1")
    with open_workspace(path) as ws:
        assert ws.scalar("SELECT sum(usd) FROM flows WHERE country = 'BR'") == pytest.approx(48.0)
        assert ws.scalar("SELECT sum(usd) FROM flows WHERE region = '489'") == pytest.approx(52.0)
