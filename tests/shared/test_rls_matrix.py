"""The permission matrix through SQL with row-level security alone (no server code): role (viewer, editor,
admin) x organisation (the owner, one named in the import's shared_with, another) x visibility (alliance,
shared, private) x action (read = SELECT, write = INSERT and UPDATE, delete = DELETE, export = COPY TO
STDOUT) on every record table, the person-level ones, imports, jobs and the audit log.

The expected outcome of every case is :func:`kizuna.shared.access.allowed_on`, the server's own rule; every
denied case must be denied by PostgreSQL (no row visible, the INSERT refused, UPDATE/DELETE touching no row).
One database for the module, its rows inserted once; each change is rolled back to a savepoint.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import psycopg
import pytest

from kizuna.shared import access, pg, records

MATRIX_TABLES = (*records.RECORD_TABLES, "imports", "jobs")
REL_ORG = {"owner": "a", "named": "b", "other": "c"}

SAMPLE = {
    "text": "x",
    "integer": 1,
    "bigint": 1,
    "double precision": 1.0,
    "jsonb": psycopg.types.json.Jsonb({}),
    "date": date(2024, 1, 1),
    "timestamp without time zone": datetime(2024, 1, 1),
    "boolean": False,
    "bytea": b"\x00",
    "ARRAY": [],
}


def required_values(con: Any, table: str) -> dict[str, Any]:
    """A value for every NOT NULL column without a default (import_id set by the caller)."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'"
        " AND table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    ).fetchall()
    return {r["column_name"]: SAMPLE[r["data_type"]] for r in rows if r["column_name"] != "import_id"}


class World:
    """Organisations a (owner), b (named in every import's shared_with), c (other); a's three imports,
    one per visibility, each with one row in every table."""

    def __init__(self, url: str) -> None:
        self.url = url
        with pg.connect(url) as con:
            self.orgs = {
                s: con.execute("INSERT INTO orgs (slug, name) VALUES (%s, %s) RETURNING org_id", [s, s]).fetchone()[
                    "org_id"
                ]
                for s in "abc"
            }
            self.imports = {}
            for vis in access.VISIBILITIES:
                self.imports[vis] = con.execute(
                    "INSERT INTO imports (kind, file_name, sha256, org_id, visibility, shared_with)"
                    " VALUES ('3w', %s, %s, %s, %s, %s) RETURNING import_id",
                    [f"{vis}.csv", vis, self.orgs["a"], vis, [self.orgs["b"]]],
                ).fetchone()["import_id"]
            self.values = {t: required_values(con, t) for t in records.RECORD_TABLES}
            for table in records.RECORD_TABLES:
                for iid in self.imports.values():
                    self.insert(con, table, iid)
            for iid in self.imports.values():
                con.execute("INSERT INTO jobs (import_id, org_id) VALUES (%s, %s)", [iid, self.orgs["a"]])
            con.execute(
                "INSERT INTO audit_log (actor_org, action, target_kind) VALUES (%s, 'import', 'import')",
                [self.orgs["a"]],
            )
            con.commit()

    def insert(self, con: Any, table: str, import_id: int) -> None:
        """One row of ``table`` in the import ``import_id`` (for ``imports``: a new import of a's, with the
        same visibility)."""
        if table == "imports":
            vis = next(v for v, i in self.imports.items() if i == import_id)
            con.execute(
                "INSERT INTO imports (kind, file_name, sha256, org_id, visibility, shared_with)"
                " VALUES ('3w', 'new.csv', %s, %s, %s, %s)",
                [uuid.uuid4().hex, self.orgs["a"], vis, [self.orgs["b"]]],
            )
            return
        if table == "jobs":
            con.execute("INSERT INTO jobs (import_id, org_id) VALUES (%s, %s)", [import_id, self.orgs["a"]])
            return
        values = {**self.values[table], "import_id": import_id}
        cols = ", ".join(f'"{c}"' for c in values)
        marks = ", ".join(["%s"] * len(values))
        con.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(values.values()))


@pytest.fixture(scope="module")
def world(pg_cluster: Any) -> Iterator[World]:
    name = "rls_" + uuid.uuid4().hex[:10]
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name} TEMPLATE kizuna_template")
    try:
        yield World(pg_cluster.url(name))
    finally:
        with pg.connect(pg_cluster.url(), autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _changes(world: World, con: Any, table: str, import_id: int, update_col: str) -> tuple[bool, bool, bool]:
    """(rows updated, rows deleted, insert accepted) for the import's rows, all rolled back (one savepoint)."""
    updated = deleted = 0
    try:
        with con.transaction(force_rollback=True):
            updated = con.execute(
                f"UPDATE {table} SET {update_col} = {update_col} WHERE import_id = %s", [import_id]
            ).rowcount
            deleted = con.execute(f"DELETE FROM {table} WHERE import_id = %s", [import_id]).rowcount
            world.insert(con, table, import_id)
    except psycopg.errors.InsufficientPrivilege:
        return updated > 0, deleted > 0, False
    return updated > 0, deleted > 0, True


def observed(world: World, con: Any, table: str) -> dict[tuple[str, str, str, str], bool]:
    """What PostgreSQL lets each (relation, role) do on each visibility's row of ``table``."""
    out = {}
    update_col = {"imports": "status", "jobs": "message"}.get(table, "import_id")
    for rel, slug in REL_ORG.items():
        for role in access.ROLES:
            with pg.acting(con, world.orgs[slug], role):
                seen = {r["import_id"] for r in con.execute(f"SELECT import_id FROM {table}").fetchall()}
                with con.cursor() as cur, cur.copy(f"COPY (SELECT import_id FROM {table}) TO STDOUT") as copy:
                    exported = {int(bytes(row).decode().strip()) for row in copy}
                for vis, iid in world.imports.items():
                    key = (rel, role, vis)
                    out[(*key, "read")] = iid in seen
                    out[(*key, "export")] = iid in exported
                    updated, deleted, inserted = _changes(world, con, table, iid, update_col)
                    out[(*key, "insert")] = inserted
                    out[(*key, "update")] = updated
                    out[(*key, "delete")] = deleted
    return out


def expected(table: str) -> dict[tuple[str, str, str, str], bool]:
    out = {}
    for rel in access.RELATIONS:
        for role in access.ROLES:
            for vis in access.VISIBILITIES:
                for action in ("read", "export", "insert", "update", "delete"):
                    rule = {"insert": "write", "update": "write"}.get(action, action)
                    out[(rel, role, vis, action)] = access.allowed_on(table, role, rel, vis, rule)
    return out


@pytest.mark.parametrize("table", MATRIX_TABLES)
def test_row_level_security_gives_the_rules_answer_on_every_case(world: World, table: str) -> None:
    with pg.connect(world.url, as_app=True) as con:
        got = observed(world, con, table)
    want = expected(table)
    wrong = {case: got[case] for case in want if got[case] != want[case]}
    assert wrong == {}, f"{table}: cases where RLS disagrees with access.allowed (case: what RLS did)"


def test_personal_rows_never_leave_the_owner_even_when_shared_with_the_alliance(world: World) -> None:
    with pg.connect(world.url, as_app=True) as con:
        for slug in "bc":
            with pg.acting(con, world.orgs[slug], "admin"):
                for table in records.PERSONAL_TABLES:
                    assert con.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"] == 0, table
                # their aggregates follow the import: alliance for everyone, shared for the named one
                n = con.execute("SELECT count(*) AS n FROM measure_estimates").fetchone()["n"]
                assert n == (2 if slug == "b" else 1)


def test_no_organisation_acting_sees_nothing(world: World) -> None:
    with pg.connect(world.url, as_app=True) as con, pg.acting(con, None):
        for table in (*MATRIX_TABLES, "audit_log"):
            assert con.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"] == 0, table


def test_an_editor_cannot_move_its_rows_into_another_organisations_import(world: World) -> None:
    with pg.connect(world.url) as owner:
        other = owner.execute(
            "INSERT INTO imports (kind, file_name, sha256, org_id) VALUES ('3w', 'c.csv', 'c', %s) RETURNING import_id",
            [world.orgs["c"]],
        ).fetchone()["import_id"]
        owner.commit()
    try:
        with (
            pg.connect(world.url, as_app=True) as con,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
            pg.acting(con, world.orgs["a"], "editor"),
        ):
            con.execute("UPDATE activities SET import_id = %s WHERE import_id = %s", [other, world.imports["private"]])
    finally:
        with pg.connect(world.url) as owner:
            owner.execute("DELETE FROM imports WHERE import_id = %s", [other])
            owner.commit()


@pytest.mark.parametrize("role", access.ROLES)
@pytest.mark.parametrize("rel", access.RELATIONS)
def test_the_audit_log_is_read_by_the_owners_admins_and_never_changed(world: World, role: str, rel: str) -> None:
    with pg.connect(world.url, as_app=True) as con, pg.acting(con, world.orgs[REL_ORG[rel]], role):
        n = con.execute("SELECT count(*) AS n FROM audit_log").fetchone()["n"]
        assert (n > 0) == access.allowed_on("audit_log", role, rel, "private", "read")
        for sql in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), con.transaction():
                con.execute(sql)
        # appending in another organisation's name is refused
        with pytest.raises(psycopg.errors.InsufficientPrivilege), con.transaction():
            con.execute(
                "INSERT INTO audit_log (actor_org, action, target_kind) VALUES (%s, 'x', 'x')",
                [world.orgs["c" if rel != "other" else "a"]],
            )


POLICY_FUNCTIONS = {
    "read": "kizuna_readable_imports()",
    "personal read": "kizuna_own_imports()",
    "write": "kizuna_writable_imports()",
}


def _plan(con: Any, sql: str) -> str:
    return "\n".join(r["QUERY PLAN"] for r in con.execute(f"EXPLAIN {sql}").fetchall())


@pytest.mark.parametrize(
    ("table", "sql"),
    [
        ("transactions", "SELECT * FROM transactions"),
        ("ddr_persons", "SELECT * FROM ddr_persons"),
        ("transactions", "UPDATE transactions SET value = value"),
        ("activities", "DELETE FROM activities"),
    ],
)
def test_the_policies_fetch_the_import_ids_once_per_statement_and_can_use_the_import_id_index(
    world: World, table: str, sql: str
) -> None:
    # 0040: `import_id = ANY ((SELECT kizuna_..._imports())::integer[])` is an InitPlan (run once per
    # statement; an UPDATE has one per policy it applies) and the record scan compares import_id with its one array; no sub-plan per row (0011's
    # `import_id IN (SELECT ...)` showed `hashed SubPlan` here). With sequential scans discouraged (the
    # test tables hold a few rows) the comparison is the index condition on (import_id).
    with pg.connect(world.url, as_app=True) as con, pg.acting(con, world.orgs["a"], "editor"):
        con.execute("SET LOCAL enable_seqscan = off")
        plan = _plan(con, sql)
    assert "InitPlan 1 (returns $0)" in plan, plan
    assert "SubPlan" not in plan, plan
    assert re.search(r"Index Cond: \(+import_id = ANY \(\$\d+\)\)", plan), plan
    assert re.search(rf"(Index Scan using|Bitmap Index Scan on) {table}_import\b", plan), plan


def test_every_record_policy_names_the_import_ids_and_none_sub_selects_imports(world: World) -> None:
    with pg.connect(world.url) as con:
        rows = con.execute(
            "SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies WHERE schemaname = 'public'"
            " AND tablename = ANY (%s)",
            [list(records.RECORD_TABLES)],
        ).fetchall()
    assert {(r["tablename"], r["cmd"]) for r in rows} == {
        (t, c) for t in records.RECORD_TABLES for c in ("SELECT", "INSERT", "UPDATE", "DELETE")
    }
    for r in rows:
        if r["cmd"] == "SELECT":
            personal = r["tablename"] in records.PERSONAL_TABLES
            want = POLICY_FUNCTIONS["personal read" if personal else "read"]
        else:
            want = POLICY_FUNCTIONS["write"]
        for expr in (r["qual"], r["with_check"]):
            if expr is not None:
                assert want in expr and "ANY" in expr, (r["policyname"], expr)
                assert "FROM imports" not in expr, (r["policyname"], expr)


@pytest.mark.parametrize("role", access.ROLES)
@pytest.mark.parametrize("rel", access.RELATIONS)
def test_the_import_id_functions_answer_as_the_imports_own_policy_does(world: World, role: str, rel: str) -> None:
    # SECURITY INVOKER: the functions read `imports` under its own policy (kizuna_can_see), so "readable"
    # is exactly the imports the organisation sees, "writable" those it may change, "own" those it owns
    with pg.connect(world.url, as_app=True) as con, pg.acting(con, world.orgs[REL_ORG[rel]], role):
        got = con.execute(
            "SELECT kizuna_readable_imports() AS r, kizuna_writable_imports() AS w, kizuna_own_imports() AS o"
        ).fetchone()
        seen = {r["import_id"] for r in con.execute("SELECT import_id FROM imports").fetchall()}
    mine = set(world.imports.values()) if rel == "owner" else set()
    assert set(got["r"]) == seen
    assert set(got["o"]) == mine
    assert set(got["w"]) == (mine if role in ("editor", "admin") else set())
