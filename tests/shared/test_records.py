"""load_import stores exactly what the CLI's ingest stores, in PostgreSQL, as rows of one import; a bad file
raises the CLI's own error and stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kizuna.errors import KizunaError
from kizuna.shared import pg, records
from tests.conftest import shared_path
from tests.shared.records_support import add_orgs, load, new_import, pg_counts

SHEET = """#org,#sector,#adm1+name,#activity+name,#date+start,#reached,#country+code
Alpha Relief,WASH,Jonglei,Wells,2023-01-15,1200,SS
Beta Aid,Health,Unity,Clinics,2023-02-01,300,SS
"""


def cli_counts(tmp_path: Path, *files: Path) -> dict[str, int]:
    """Rows per record table after `kizuna ingest FILES` into a fresh DuckDB workspace (empty tables left out)."""
    from kizuna.ledger.ingest import ingest_paths

    folder = tmp_path / "cli"
    folder.mkdir()
    with records.staging_workspace(folder) as ws:  # = a fresh open_workspace, faster
        ingest_paths(ws, list(files))
        return {t: n for t, n in ws.table_counts().items() if t in records.RECORD_TABLES and n}


def test_a_3w_sheet_lands_as_rows_of_its_import_with_its_provenance(tmp_path: Path, pg_url: str) -> None:
    sheet = tmp_path / "3w.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    orgs = add_orgs(pg_url, "ocha")
    iid, counts = load(pg_url, orgs["ocha"], "3w", sheet)
    assert counts == cli_counts(tmp_path, sheet)
    assert counts["activities"] == 2
    with pg.connect(pg_url) as con:
        assert con.execute("SELECT DISTINCT import_id FROM activities").fetchall() == [{"import_id": iid}]
        row = con.execute("SELECT counts, warnings FROM imports WHERE import_id = %s", [iid]).fetchone()
        assert row["counts"]["activities"] == 2
        got = con.execute("SELECT publisher_name, reached, start_date::text AS d FROM activities ORDER BY 1").fetchall()
    assert got == [
        {"publisher_name": "Alpha Relief", "reached": 1200, "d": "2023-01-15"},
        {"publisher_name": "Beta Aid", "reached": 300, "d": "2023-02-01"},
    ]


@pytest.mark.shared
@pytest.mark.parametrize(
    "parts", [("iati", "usaid-cf.xml"), ("iati-more", "worldbank-sv.xml"), ("3w", "ss_3w_2022q1.xlsx")]
)
def test_real_files_store_the_same_rows_as_the_cli_ingest(tmp_path: Path, pg_url: str, parts: tuple[str, str]) -> None:
    path = shared_path(*parts)
    kind = "iati" if path.suffix == ".xml" else "3w"
    orgs = add_orgs(pg_url, "usaid")
    _iid, counts = load(pg_url, orgs["usaid"], kind, path)
    expected = cli_counts(tmp_path, path)
    assert counts == expected
    assert {t: n for t, n in pg_counts(pg_url).items() if n} == expected


def test_a_bad_file_raises_the_clis_error_and_leaves_postgresql_unchanged(tmp_path: Path, pg_url: str) -> None:
    from kizuna.ledger.ingest import ingest_paths
    from kizuna.workspace import open_workspace

    bad = tmp_path / "bad.csv"
    bad.write_text("#org,#sector,#date+start\nA,WASH,2023-13-45\n", encoding="utf-8")
    with open_workspace(tmp_path / "cli.duckdb") as ws, pytest.raises(KizunaError) as cli:
        ingest_paths(ws, [bad])
    orgs = add_orgs(pg_url, "ocha")
    with pg.connect(pg_url, as_app=True) as con:
        with pg.acting(con, orgs["ocha"], "editor") as a:
            iid = new_import(a, orgs["ocha"], "3w", bad)
        before = pg_counts(pg_url)
        with pytest.raises(KizunaError) as got, pg.acting(con, orgs["ocha"], "editor") as a:
            records.load_import(a, import_id=iid, kind="3w", path=bad)
    assert got.value.one_line() == cli.value.one_line()
    assert got.value.code == "3w.bad_date" and got.value.where.row == 2
    assert pg_counts(pg_url) == before == {t: 0 for t in records.RECORD_TABLES}
    with pg.connect(pg_url) as con:
        assert con.execute("SELECT counts FROM imports WHERE import_id = %s", [iid]).fetchone()["counts"] is None


@pytest.mark.shared
def test_a_truncated_iati_file_is_refused_with_the_clis_line(tmp_path: Path, pg_url: str) -> None:
    bad = tmp_path / "cut.xml"
    bad.write_bytes(shared_path("iati", "hhs-southsudan.xml").read_bytes()[:40_000])
    orgs = add_orgs(pg_url, "hhs")
    with pytest.raises(KizunaError) as got:
        load(pg_url, orgs["hhs"], "iati", bad)
    assert got.value.code == "xml.malformed" and got.value.where.file is not None
    assert pg_counts(pg_url) == {t: 0 for t in records.RECORD_TABLES}


def test_only_an_editor_of_the_owner_may_load_into_an_import(tmp_path: Path, pg_url: str) -> None:
    sheet = tmp_path / "3w.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    orgs = add_orgs(pg_url, "ocha", "jica")
    with pg.connect(pg_url, as_app=True) as con:
        with pg.acting(con, orgs["ocha"], "editor") as a:
            iid = new_import(a, orgs["ocha"], "3w", sheet)
        for org, role in ((orgs["jica"], "admin"), (orgs["ocha"], "viewer")):
            with pytest.raises(KizunaError) as got, pg.acting(con, org, role) as a:
                records.load_import(a, import_id=iid, kind="3w", path=sheet)
            assert got.value.code == "records.forbidden"
    assert pg_counts(pg_url)["activities"] == 0


def test_progress_runs_from_0_to_1_with_stage_message_ids(tmp_path: Path, pg_url: str) -> None:
    sheet = tmp_path / "3w.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    orgs = add_orgs(pg_url, "ocha")
    seen: list[tuple[float, str]] = []
    with pg.connect(pg_url, as_app=True) as con, pg.acting(con, orgs["ocha"], "editor") as a:
        iid = new_import(a, orgs["ocha"], "3w", sheet)
        records.load_import(a, import_id=iid, kind="3w", path=sheet, progress=lambda f, s: seen.append((f, s)))
    fractions = [f for f, _s in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert {s for _f, s in seen} <= {records.STAGE_READING, records.STAGE_COPYING, records.STAGE_DONE}


def test_deleting_an_import_deletes_its_rows_and_only_its_owner_may(tmp_path: Path, pg_url: str) -> None:
    sheet = tmp_path / "3w.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    orgs = add_orgs(pg_url, "ocha", "jica")
    iid, _ = load(pg_url, orgs["ocha"], "3w", sheet)
    with pg.connect(pg_url, as_app=True) as con:
        with pg.acting(con, orgs["jica"], "admin") as a:
            assert records.delete_import(a, iid) == 0
        assert pg_counts(pg_url)["activities"] == 2
        with pg.acting(con, orgs["ocha"], "editor") as a:
            assert records.delete_import(a, iid) == 1
    assert pg_counts(pg_url) == {t: 0 for t in records.RECORD_TABLES}


def plain_counts(tmp_path: Path, fill: object) -> dict[str, int]:
    """Rows per record table of a fresh DuckDB workspace after ``fill(ws)`` (the CLI's library call)."""
    folder = tmp_path / "plain"
    folder.mkdir()
    with records.staging_workspace(folder) as ws:
        fill(ws)  # type: ignore[operator]
        return {t: n for t, n in ws.table_counts().items() if t in records.RECORD_TABLES and n}


@pytest.mark.shared
def test_a_survey_with_its_spec_stores_the_measure_runs_aggregates(tmp_path: Path, pg_url: str) -> None:
    from kizuna.measure.api import measure_file

    # a fifth of each round of the real file (the whole file takes seconds per run)
    lines = shared_path("surveys", "syn_cdta.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    survey = tmp_path / "syn_cdta_part.csv"
    survey.write_text("".join([lines[0], *lines[1:1501], *lines[7501:9001]]), encoding="utf-8")
    spec = Path(__file__).parents[1] / "measure" / "syn_cdta_mpi.toml"
    orgs = add_orgs(pg_url, "undp")
    iid, counts = load(pg_url, orgs["undp"], "survey", survey, options={"spec": spec})
    assert counts == plain_counts(tmp_path, lambda ws: measure_file(survey, spec, ws=ws))
    assert counts["measure_runs"] == 1 and counts["measure_estimates"] > 100
    with pg.connect(pg_url) as con:
        run = con.execute("SELECT run_id, import_id FROM measure_runs").fetchone()
        assert run["import_id"] == iid
        # the estimates point at the run's new id, drawn from PostgreSQL's sequence
        assert con.execute("SELECT DISTINCT run_id FROM measure_estimates").fetchall() == [{"run_id": run["run_id"]}]
        assert (
            con.execute("SELECT counts FROM imports WHERE import_id = %s", [iid]).fetchone()["counts"]["rows"] == 3000
        )


def test_a_survey_without_its_spec_is_refused(tmp_path: Path, pg_url: str) -> None:
    data = tmp_path / "s.csv"
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    orgs = add_orgs(pg_url, "undp")
    with pytest.raises(KizunaError) as got:
        load(pg_url, orgs["undp"], "survey", data)
    assert got.value.code == "records.spec_missing"


def test_a_proposal_is_screened_and_its_register_stored(tmp_path: Path, pg_url: str) -> None:
    from kizuna.screen.demo import AS_OF, write_demo_inputs
    from kizuna.screen.run import screen_files

    files = write_demo_inputs(tmp_path / "in")
    layers = {"communities": files["communities"], "boundaries": files["boundaries"], "events": files["events"]}
    proposal = files["proposals"][0]
    orgs = add_orgs(pg_url, "jica")
    options = {**layers, "as_of": AS_OF.isoformat()}
    _iid, counts = load(pg_url, orgs["jica"], "proposal", proposal, options=options)
    expected = plain_counts(tmp_path, lambda ws: screen_files([proposal], as_of=AS_OF, ws=ws, **layers))
    assert counts == expected and counts["screen_registers"] == 1
    with pg.connect(pg_url) as con:
        reg = con.execute("SELECT register_id, n_risks FROM screen_registers").fetchone()
        risks = con.execute("SELECT count(*) AS n, min(register_id) AS r FROM screen_risks").fetchone()
    assert risks == {"n": reg["n_risks"], "r": reg["register_id"] if reg["n_risks"] else None}


def test_an_unknown_kind_is_refused(tmp_path: Path, pg_url: str) -> None:
    data = tmp_path / "s.csv"
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    orgs = add_orgs(pg_url, "undp")
    with pytest.raises(KizunaError) as got:
        load(pg_url, orgs["undp"], "spreadsheet", data)
    assert got.value.code == "records.kind"


INDICATORS = (
    "Organisation,Activity ID,Indicator code,Indicator,Unit,Measure,Direction,Admin1 code,Period,Baseline,Target,Actual\n"
    'Agency A,A-1,PB-1,People trained,people,number,ascending,XZ01,2024Q1,0,"1,200",600\n'
    "Agency A,A-1,PB-2,Incidents,incidents,number,descending,XZ01,2024,40,20,30\n"
)


@pytest.mark.shared
def test_indicators_needs_and_boundaries_store_the_clis_rows_and_read_back_whole(tmp_path: Path, pg_url: str) -> None:
    from kizuna.coordinate.needs_store import store_needs
    from kizuna.geo.store import add_boundaries
    from kizuna.shared import analytic
    from kizuna.track.results_store import import_tables

    table = tmp_path / "ind.csv"
    table.write_text(INDICATORS, encoding="utf-8")
    needs = shared_path("needs", "afg_hno_2024.csv")
    bounds = shared_path("boundaries", "ssd_states_adm1_DERIVED_dissolved.geojson")
    orgs = add_orgs(pg_url, "ocha")
    for kind, path, fill in (
        ("indicators", table, lambda ws: import_tables(ws, [table])),
        ("needs", needs, lambda ws: store_needs(ws, needs)),
        ("boundaries", bounds, lambda ws: add_boundaries(ws, bounds)),
    ):
        iid, counts = load(pg_url, orgs["ocha"], kind, path)
        (tmp_path / kind).mkdir()
        assert counts == plain_counts(tmp_path / kind, fill), kind
    with pg.connect(pg_url) as con:
        needs_ids = con.execute("SELECT DISTINCT needs_id FROM needs_rows").fetchall()
        assert needs_ids == con.execute("SELECT needs_id FROM needs_tables").fetchall()
        assert con.execute("SELECT count(*) AS n FROM admin_areas WHERE geometry IS NULL").fetchone()["n"] == 0
    # the polygons come back byte for byte in the analytical copy
    with pg.connect(pg_url, as_app=True) as con, pg.acting(con, orgs["ocha"], "viewer"):
        copy = analytic.build_analytical_copy(con, tmp_path / "copy.duckdb")
    from kizuna.workspace import open_workspace

    with (
        open_workspace(copy, read_only=True) as a,
        open_workspace(tmp_path / "boundaries" / "plain" / "staging.duckdb", read_only=True) as b,
    ):
        sql = "SELECT pcode, md5(geometry::VARCHAR) FROM admin_areas ORDER BY pcode"
        assert a.con.execute(sql).fetchall() == b.con.execute(sql).fetchall()
        assert a.scalar("SELECT count(*) FROM needs_rows") == ws_count(tmp_path / "needs", "needs_rows")


def ws_count(folder: Path, table: str) -> int:
    from kizuna.workspace import open_workspace

    with open_workspace(folder / "plain" / "staging.duckdb", read_only=True) as ws:
        return int(ws.scalar(f"SELECT count(*) FROM {table}"))
