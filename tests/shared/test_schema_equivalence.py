"""The two schemas stay equivalent: every DuckDB record table has a PostgreSQL twin with the same column
names and equivalent types; the only differences allowed are the ownership columns shared mode adds.

A DuckDB migration that adds a column (or a table) without a PostgreSQL migration fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kizuna.shared import records

# DuckDB type -> PostgreSQL type (information_schema spelling; arrays are checked by element type).
TYPE_MAP = {
    "VARCHAR": "text",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DOUBLE": "double precision",
    "JSON": "jsonb",
    "TIMESTAMP": "timestamp without time zone",
    "DATE": "date",
    "BOOLEAN": "boolean",
    "BLOB": "bytea",
    "VARCHAR[]": "text[]",
}


def duck_columns(con: Any, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return {name: TYPE_MAP.get(typ, "?" + typ) for name, typ in rows}


def pg_columns(con: Any, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type, udt_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
        [table],
    ).fetchall()
    out = {}
    for r in rows:
        typ = r["data_type"]
        if typ == "ARRAY":  # udt_name _text -> text[]
            typ = {"_text": "text", "_int4": "integer", "_int8": "bigint"}.get(r["udt_name"], r["udt_name"]) + "[]"
        out[r["column_name"]] = typ
    return out


def schema_differences(duck: Any, pgcon: Any) -> list[str]:
    """Every difference between the DuckDB and PostgreSQL record tables, as readable lines."""
    out = []
    for table in (*records.RECORD_TABLES, "imports"):
        allowed = records.IMPORT_OWNERSHIP_COLUMNS if table == "imports" else records.OWNERSHIP_COLUMNS
        d, p = duck_columns(duck, table), pg_columns(pgcon, table)
        if not d:
            out.append(f"{table}: not in DuckDB")
        if not p:
            out.append(f"{table}: not in PostgreSQL")
            continue
        for col, typ in d.items():
            if col not in p:
                out.append(f"{table}.{col}: in DuckDB ({typ}), not in PostgreSQL")
            elif p[col] != typ:
                out.append(f"{table}.{col}: DuckDB {typ} ~ PostgreSQL {p[col]}")
        for col in p.keys() - d.keys() - allowed:
            out.append(f"{table}.{col}: in PostgreSQL only")
    return out


@pytest.fixture
def both(tmp_path: Path, pg_url: str) -> Any:
    from kizuna.shared import pg
    from kizuna.workspace import open_workspace

    with open_workspace(tmp_path / "w.duckdb") as ws, pg.connect(pg_url) as pgcon:
        yield ws, pgcon


def test_every_duckdb_table_is_classified(tmp_path: Path) -> None:
    from kizuna.workspace import open_workspace

    with open_workspace(tmp_path / "w.duckdb") as ws:
        tables = set(ws.table_counts())
    unclassified = sorted(t for t in tables if records.table_class(t) is None)
    assert unclassified == [], "classify these in kizuna.shared.records (mirrored/personal/reference/derived)"
    named = set(records.RECORD_TABLES) | set(records.REFERENCE_TABLES) | set(records.DERIVED_TABLES)
    assert sorted(named - tables) == [], "classified tables that DuckDB does not have"
    # one class each
    classes = [*records.RECORD_TABLES, *records.REFERENCE_TABLES, *records.DERIVED_TABLES]
    assert len(classes) == len(set(classes))


def test_every_mirrored_table_has_the_same_columns_and_types_in_postgresql(both: Any) -> None:
    ws, pgcon = both
    assert schema_differences(ws.con, pgcon) == []


def test_a_duckdb_column_without_a_postgresql_migration_is_caught(both: Any) -> None:
    ws, pgcon = both
    ws.con.execute("ALTER TABLE transactions ADD COLUMN finance_type VARCHAR")
    ws.con.execute("ALTER TABLE measure_runs ALTER COLUMN k TYPE INTEGER")
    assert sorted(schema_differences(ws.con, pgcon)) == [
        "measure_runs.k: DuckDB integer ~ PostgreSQL double precision",
        "transactions.finance_type: in DuckDB (text), not in PostgreSQL",
    ]


def test_only_the_ownership_column_is_extra_in_postgresql(both: Any) -> None:
    _ws, pgcon = both
    pgcon.execute("ALTER TABLE budgets ADD COLUMN note text")
    assert schema_differences(_ws.con, pgcon) == ["budgets.note: in PostgreSQL only"]


def test_reference_and_derived_tables_are_not_in_postgresql(both: Any) -> None:
    _ws, pgcon = both
    for table in [*records.DERIVED_TABLES, *(t for t in records.REFERENCE_TABLES if t != "imports")]:
        assert pg_columns(pgcon, table) == {}, table


def test_every_record_table_is_under_row_level_security_with_an_import_index(both: Any) -> None:
    _ws, pgcon = both
    rows = pgcon.execute(
        "SELECT c.relname, c.relrowsecurity FROM pg_class c WHERE c.relname = ANY(%s) AND c.relkind = 'r'",
        [list(records.RECORD_TABLES)],
    ).fetchall()
    assert {r["relname"]: r["relrowsecurity"] for r in rows} == {t: True for t in records.RECORD_TABLES}
    indexed = {
        r["tablename"]
        for r in pgcon.execute("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%%(import_id)'").fetchall()
    }
    assert set(records.RECORD_TABLES) <= indexed
