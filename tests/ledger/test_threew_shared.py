"""The two real OCHA 3W sheets in ../shared/data/3w ingest whole, checked against an independent reading.

The independent side reads the files with openpyxl / csv directly and counts by the columns' positions
as the README of ../shared/data/3w describes them; the pinned numbers are what that reading gives.
"""

from __future__ import annotations

import csv
import json
from collections import Counter

import openpyxl
import pytest

from kizuna.cli import main
from kizuna.ledger.ingest import ingest_paths
from kizuna.workspace import open_workspace
from tests.conftest import shared_path

pytestmark = pytest.mark.shared


def _ss_rows() -> list[tuple]:
    wb = openpyxl.load_workbook(shared_path("3w", "ss_3w_2022q1.xlsx"), read_only=True, data_only=True)
    try:
        return list(wb.worksheets[0].iter_rows(values_only=True))[1:]  # row 1 is the HXL row
    finally:
        wb.close()


def _af_rows() -> list[list[str]]:
    text = shared_path("3w", "afg_3w_2024q1.csv").read_text(encoding="utf-8-sig")
    return list(csv.reader(text.splitlines()))[2:]  # header, then the HXL row


@pytest.fixture(scope="module")
def sheets_ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("threew") / "w.duckdb"
    with open_workspace(path) as ws:
        ingest_paths(ws, [shared_path("3w", "ss_3w_2022q1.xlsx"), shared_path("3w", "afg_3w_2024q1.csv")])
    ws = open_workspace(path, read_only=True)
    yield ws
    ws.close()


def _by_country(ws, sql: str, country: str) -> list[dict]:
    return ws.query(sql.replace("{c}", "?"), [country])


def test_every_row_lands_as_an_activity_of_its_country(sheets_ws):
    ss, af = _ss_rows(), _af_rows()
    assert (len(ss), len(af)) == (2782, 10902)
    got = {
        r["code"]: r["n"] for r in sheets_ws.query("SELECT code, count(*) AS n FROM activity_countries GROUP BY code")
    }
    assert got == {"SS": len(ss), "AF": len(af)}
    assert sheets_ws.scalar("SELECT count(*) FROM activities WHERE source = '3w'") == len(ss) + len(af)


def test_organisations_and_their_types(sheets_ws):
    ss, af = _ss_rows(), _af_rows()
    ss_orgs, af_orgs = {r[1] for r in ss}, {r[6] for r in af}
    assert (len(ss_orgs), len(af_orgs)) == (200, 285)
    q = (
        "SELECT count(DISTINCT a.publisher_ref) AS n FROM activities a JOIN activity_countries c"
        " USING (activity_uid) WHERE c.code = ?"
    )
    assert _by_country(sheets_ws, q, "SS")[0]["n"] == len(ss_orgs)
    assert _by_country(sheets_ws, q, "AF")[0]["n"] == len(af_orgs)
    types = (
        "SELECT publisher_type AS t, count(*) AS n FROM activities a JOIN activity_countries c USING (activity_uid)"
        " WHERE c.code = ? GROUP BY 1"
    )
    iati = {"INGO": "21", "International NGO": "21", "NNGO": "22", "National NGO": "22", "UN": "40"}
    iati["United Nations"] = "40"
    expect_ss = Counter(iati[r[2]] for r in ss)
    expect_af = Counter(iati.get(r[7]) for r in af)
    assert {r["t"]: r["n"] for r in _by_country(sheets_ws, types, "SS")} == dict(expect_ss)
    assert {r["t"]: r["n"] for r in _by_country(sheets_ws, types, "AF")} == dict(expect_af)
    assert dict(expect_ss) == {"21": 1287, "40": 826, "22": 669}
    assert dict(expect_af) == {"22": 4443, "21": 4194, "40": 2263, None: 2}  # two rows give no type


def test_reporting_and_implementing_roles_of_the_south_sudan_sheet(sheets_ws):
    expect = Counter("implementing" if "Implement" in r[9] else "reporting" for r in _ss_rows())
    got = sheets_ws.query("SELECT code, count(*) AS n FROM tags WHERE code LIKE '3w-role:%' GROUP BY code")
    assert {r["code"].split(":")[1]: r["n"] for r in got} == dict(expect) == {"reporting": 2280, "implementing": 502}


def test_p_codes_as_the_sheets_give_them_with_abyei_mapped(sheets_ws):
    ss, af = _ss_rows(), _af_rows()
    loc = (
        "SELECT count(DISTINCT adm1) AS a1, count(DISTINCT adm2) AS a2, count(*) AS n FROM locations WHERE country = ?"
    )
    ss_got, af_got = _by_country(sheets_ws, loc, "SS")[0], _by_country(sheets_ws, loc, "AF")[0]
    assert (af_got["a1"], af_got["a2"], af_got["n"]) == (len({r[2] for r in af}), len({r[4] for r in af}), 10902)
    assert (af_got["a1"], af_got["a2"]) == (34, 401)
    # South Sudan: 10 states and 79 counties as written; Abyei (SS0807 under Warrap SS08) becomes SS0001
    # under its own admin-1 area SS00, so 11 admin-1 codes and still 79 admin-2 codes
    abyei = sum(1 for r in ss if r[7] == "SS0807")
    assert (len({r[5] for r in ss}), len({r[7] for r in ss}), abyei) == (10, 79, 15)
    assert (ss_got["a1"], ss_got["a2"], ss_got["n"]) == (11, 79, 2782)
    assert sheets_ws.scalar("SELECT count(*) FROM locations WHERE adm2 = 'SS0807'") == 0
    assert sheets_ws.scalar("SELECT count(*) FROM locations WHERE adm2 = 'SS0001' AND adm1 = 'SS00'") == abyei
    clusters = sheets_ws.query(
        "SELECT s.code, count(*) AS n FROM activity_sectors s JOIN activity_countries c USING (activity_uid)"
        " WHERE c.code = 'SS' AND s.vocabulary = '10' GROUP BY 1"
    )
    # all nine clusters of the sheet are recognised (none stored under the reporting org's own vocabulary)
    assert sum(r["n"] for r in clusters) == 2782 and len(clusters) == 9


def test_who_lists_admin_areas_by_name_from_the_sheets_alone(sheets_ws, capsys):
    path = str(sheets_ws.path)
    for country, n_adm1, sample in (("SS", 11, ("SS00", "Abyei Region")), ("AF", 34, ("AF01", "Kabul"))):
        rc = main(["who", "--country", country, "--sector-level", "cluster", "-f", "json", "-w", path])
        rows = json.loads(capsys.readouterr().out)
        assert rc == 0
        assert len({r["adm1"] for r in rows}) == n_adm1
        assert all(r["adm1_name"] for r in rows)  # every area named
        assert {(r["adm1"], r["adm1_name"]) for r in rows} >= {sample}
    rc = main(["who", "--country", "AF", "--admin-level", "adm2", "-f", "json", "-w", path])
    rows = json.loads(capsys.readouterr().out)
    assert len({r["adm2"] for r in rows}) == 401 and all(r["adm2_name"] for r in rows)
