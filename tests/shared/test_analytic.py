"""The analytical copy holds exactly what the organisation may read, read through RLS, with the derived
tables rebuilt as the CLI builds them: for the owner of every import it equals the plain DuckDB workspace
the CLI makes from the same files; for another organisation it leaves out private imports and everyone's
person-level rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kizuna.shared import analytic, pg, records
from tests.conftest import shared_path
from tests.shared.records_support import add_orgs, load

IDS = {"import_id", "run_id", "register_id", "needs_id", "programme_id", "imported_at"}

SHEET = """#org,#sector,#adm1+name,#activity+name,#date+start,#reached,#country+code
Alpha Relief,WASH,Jonglei,Wells,2023-01-15,1200,SS
Beta Aid,Health,Unity,Clinics,2023-02-01,300,SS
"""
PRIVATE = """#org,#sector,#adm1+name,#activity+name,#date+start,#reached,#country+code
Gamma Care,Protection,Warrap,Safe spaces,2023-03-01,80,SS
"""


def rows(con: Any, table: str, catalog: str) -> list[str]:
    """A table's rows without its store-given ids, as sorted JSON (JSON columns parsed)."""
    cols = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? AND table_catalog = ?"
        " ORDER BY ordinal_position",
        [table, catalog],
    ).fetchall()
    keep = [(c, t) for c, t in cols if c not in IDS]
    out = []
    for r in con.execute(
        f"SELECT {', '.join(chr(34) + c + chr(34) for c, _ in keep)} FROM {catalog}.{table}"
    ).fetchall():
        values = [json.loads(v) if t == "JSON" and v is not None else v for (_c, t), v in zip(keep, r, strict=True)]
        out.append(json.dumps(values, default=str, sort_keys=True))
    return sorted(out)


def same_rows(con: Any, table: str) -> bool:
    """The table holds the same rows (as a multiset, store-given ids aside) in the open workspace and in
    the attached ``plain`` one."""
    here = con.execute("SELECT current_database()").fetchall()[0][0]
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? AND table_catalog = ?",
            [table, here],
        ).fetchall()
    )
    if "JSON" in types.values():  # PostgreSQL's jsonb orders keys its own way: compare parsed
        return rows(con, table, here) == rows(con, table, "plain")
    cols = ", ".join(f'"{c}"' for c in types if c not in IDS)
    diff = con.execute(
        f"SELECT count(*) FROM ((SELECT {cols} FROM {table} EXCEPT ALL SELECT {cols} FROM plain.{table})"
        f" UNION ALL (SELECT {cols} FROM plain.{table} EXCEPT ALL SELECT {cols} FROM {table}))"
    ).fetchall()[0][0]
    return diff == 0


def copy_as(url: str, org_id: int, target: Path, role: str = "viewer") -> Path:
    with pg.connect(url, as_app=True) as con, pg.acting(con, org_id, role):
        return analytic.build_analytical_copy(con, target)


def key_as(url: str, org_id: int) -> str:
    with pg.connect(url, as_app=True) as con, pg.acting(con, org_id, "viewer"):
        return analytic.copy_key(con)


def counts(path: Path) -> dict[str, int]:
    from kizuna.workspace import open_workspace

    with open_workspace(path, read_only=True) as ws:
        return ws.table_counts()


def test_each_organisation_gets_what_it_may_read(tmp_path: Path, pg_url: str) -> None:
    sheet, private = tmp_path / "a.csv", tmp_path / "p.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    private.write_text(PRIVATE, encoding="utf-8")
    orgs = add_orgs(pg_url, "ocha", "jica", "usaid")
    load(pg_url, orgs["ocha"], "3w", sheet, visibility="shared", shared_with=[orgs["jica"]])
    priv, _ = load(pg_url, orgs["ocha"], "3w", private, visibility="private")
    # a person-level row of the private import (as DDR would store it)
    with pg.connect(pg_url) as con:
        con.execute(
            "INSERT INTO ddr_persons (programme_id, person, sex, cohort, area, import_id) VALUES (1, 'p1', 'f', 'c', 'x', %s)",
            [priv],
        )
        con.execute(
            "INSERT INTO ddr_programmes (programme_id, name, key_id, created_at, import_id) VALUES (1, 'p', 'k', now(), %s)",
            [priv],
        )
        con.commit()
    own = counts(copy_as(pg_url, orgs["ocha"], tmp_path / "ocha.duckdb"))
    named = counts(copy_as(pg_url, orgs["jica"], tmp_path / "jica.duckdb"))
    other = counts(copy_as(pg_url, orgs["usaid"], tmp_path / "usaid.duckdb"))
    assert (own["activities"], own["imports"], own["ddr_persons"], own["flows"]) == (3, 2, 1, 0)
    assert (named["activities"], named["imports"], named["ddr_persons"]) == (2, 1, 0)
    assert (other["activities"], other["imports"], other["ddr_persons"]) == (0, 0, 0)
    # the copy is a workspace the existing pages read
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    with TestClient(create_app(tmp_path / "jica.duckdb"), raise_server_exceptions=False) as client:
        page = client.get("/")
    assert page.status_code == 200 and "Alpha Relief" in page.text and "Gamma Care" not in page.text


def test_the_copy_key_changes_with_what_the_organisation_sees_and_only_then(tmp_path: Path, pg_url: str) -> None:
    sheet = tmp_path / "a.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    orgs = add_orgs(pg_url, "ocha", "jica", "usaid")
    empty = key_as(pg_url, orgs["jica"])
    assert empty == key_as(pg_url, orgs["usaid"])  # both see nothing
    iid, _ = load(pg_url, orgs["ocha"], "3w", sheet)
    seen = key_as(pg_url, orgs["jica"])
    assert seen != empty and seen == key_as(pg_url, orgs["usaid"])  # same imports, none their own
    assert key_as(pg_url, orgs["ocha"]) == seen  # a 3W sheet has no person-level rows: the owner shares the copy
    with pg.connect(pg_url) as con:  # a person-level row in the import (as DDR would store it)
        con.execute(
            "INSERT INTO ddr_persons (programme_id, person, sex, cohort, area, import_id) VALUES (1, 'p1', 'f', 'c', 'x', %s)",
            [iid],
        )
        con.commit()
    assert key_as(pg_url, orgs["ocha"]) != seen  # only the owner reads it: a copy of its own
    assert key_as(pg_url, orgs["jica"]) == seen == key_as(pg_url, orgs["usaid"])
    with pg.connect(pg_url) as con:
        con.execute("DELETE FROM ddr_persons WHERE import_id = %s", [iid])
        con.commit()
    with pg.connect(pg_url, as_app=True) as con, pg.acting(con, orgs["ocha"], "editor") as a:
        con.execute("UPDATE imports SET visibility = 'private' WHERE import_id = %s", [iid])
    assert key_as(pg_url, orgs["jica"]) == empty  # another organisation's private import: jica's view as before
    assert key_as(pg_url, orgs["ocha"]) != empty
    with pg.connect(pg_url, as_app=True) as con, pg.acting(con, orgs["ocha"], "editor") as a:
        records.delete_import(a, iid)
    assert key_as(pg_url, orgs["ocha"]) == empty  # nothing left: the same view as an empty alliance


def test_a_failed_copy_leaves_the_previous_one(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sheet = tmp_path / "a.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    orgs = add_orgs(pg_url, "ocha")
    load(pg_url, orgs["ocha"], "3w", sheet)
    target = copy_as(pg_url, orgs["ocha"], tmp_path / "copy.duckdb")
    before = target.read_bytes()

    def boom(con: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("kizuna.ledger.money.rebuild_flows", boom)
    with pytest.raises(RuntimeError):
        copy_as(pg_url, orgs["ocha"], target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "copy.duckdb"]


@pytest.mark.shared
def test_the_owners_copy_of_real_files_equals_the_cli_workspace(tmp_path: Path, pg_url: str) -> None:
    from kizuna.ledger.ingest import ingest_paths
    from kizuna.workspace import open_workspace

    # (3W sheets: test_records checks their rows; reading the real one takes seconds)
    public = [shared_path("iati", "usaid-cf.xml"), shared_path("iati-more", "worldbank-sv.xml")]
    private = shared_path("iati", "hhs-southsudan.xml")
    orgs = add_orgs(pg_url, "usaid", "jica")
    for f in public:
        load(pg_url, orgs["usaid"], "iati" if f.suffix == ".xml" else "3w", f)
    hidden, _ = load(pg_url, orgs["usaid"], "iati", private, visibility="private")
    (tmp_path / "cli").mkdir()
    with records.staging_workspace(tmp_path / "cli") as ws:  # = a fresh open_workspace, faster
        ingest_paths(ws, [*public, private])
        plain = ws.path
    mine = copy_as(pg_url, orgs["usaid"], tmp_path / "usaid.duckdb")
    theirs = copy_as(pg_url, orgs["jica"], tmp_path / "jica.duckdb")
    with open_workspace(mine, read_only=True) as a, open_workspace(plain, read_only=True) as b:
        assert a.table_counts() == b.table_counts()
        a.con.execute("ATTACH ? AS plain (READ_ONLY)", [str(plain)])
        for table in (*records.RECORD_TABLES, *records.DERIVED_TABLES):
            assert same_rows(a.con, table), table
        by_import = dict(a.con.execute("SELECT import_id, list(activity_uid) FROM activities GROUP BY ALL").fetchall())
    with open_workspace(theirs, read_only=True) as c:
        seen = {uid for (uid,) in c.con.execute("SELECT activity_uid FROM activities").fetchall()}
        assert c.scalar("SELECT count(*) FROM imports WHERE import_id = ?", [hidden]) == 0
    assert seen == {uid for iid, uids in by_import.items() if iid != hidden for uid in uids}
    assert seen.isdisjoint(by_import[hidden])


IATI = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03">
 <iati-activity default-currency="USD">
  <iati-identifier>XM-DAC-701-8-A1</iati-identifier>
  <reporting-org ref="XM-DAC-701-8" type="10"><narrative>JICA</narrative></reporting-org>
  <title><narrative>{title}</narrative></title>
  <activity-status code="2"/>
  <recipient-country code="SS"/>
  <sector vocabulary="1" code="15220"/>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2024-01-10"/>
   <value value-date="2024-01-10">{value}</value></transaction>
 </iati-activity>
</iati-activities>
"""


def test_the_same_activity_from_two_imports_is_kept_once_from_the_latest(tmp_path: Path, pg_url: str) -> None:
    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    first.write_text(IATI.format(title="Peace", value=100), encoding="utf-8")
    second.write_text(IATI.format(title="Peace, revised", value=250), encoding="utf-8")
    orgs = add_orgs(pg_url, "jica", "mofa", "usaid")
    load(pg_url, orgs["jica"], "iati", first)
    load(pg_url, orgs["mofa"], "iati", second)  # the same activity, published again later
    with pg.connect(pg_url) as con:
        assert con.execute("SELECT count(*) AS n FROM transactions").fetchone()["n"] == 2
    from kizuna.workspace import open_workspace

    with open_workspace(copy_as(pg_url, orgs["usaid"], tmp_path / "usaid.duckdb"), read_only=True) as ws:
        assert ws.query("SELECT title FROM activities") == [{"title": "Peace, revised"}]
        # its parts and its money come from the same (latest) import
        assert ws.query("SELECT value FROM transactions") == [{"value": 250.0}]
        assert ws.query("SELECT value FROM flows") == [{"value": 250.0}]
