"""3W/4W sheets: HXL-tagged and plain-header sheets load into the same activities; bad rows say where."""

from __future__ import annotations

import pytest

from kizuna.errors import InputError
from kizuna.ledger.aliases import add_alias
from kizuna.ledger.ingest import ingest_file

HXL_SHEET = """Organisation,Sector,Region,Region code,District,Activity,Status,Start,End,Reached,Country
#org+name,#sector+name,#adm1+name,#adm1+code,#adm2+name,#activity+name,#status,#date+start,#date+end,#reached,#country+code
Synthetic Relief Org,WASH,Northmarch,XZ01,Stonebridge,[SYNTHETIC] Borehole repair,Ongoing,2023-01-15,2024-06-30,1200,XZ
Synthetic Health Alliance,Health,Eastvale,XZ02,Ashford,[SYNTHETIC] Mobile clinics,completed,2022-03-01,2022-12-31,"3,400",XZ
"""
PLAIN_SHEET = """Organization,Cluster,Admin1,Admin1 code,District,Activity,Status,Start date,End date,People reached,Country code
Synthetic Relief Org,WASH,Northmarch,XZ01,Stonebridge,[SYNTHETIC] Borehole repair,Ongoing,15/01/2023,30/06/2024,1200,XZ
Synthetic Health Alliance,Health,Eastvale,XZ02,Ashford,[SYNTHETIC] Mobile clinics,completed,01/03/2022,31/12/2022,3400,XZ
"""


def _activities(ws):
    return ws.query(
        "SELECT a.iati_identifier, a.publisher_name, a.title, a.status_code, a.start_date, a.end_date, a.reached,"
        " s.vocabulary, s.code, s.name, l.adm1, l.adm2, c.code AS country"
        " FROM activities a JOIN activity_sectors s USING (activity_uid) JOIN locations l USING (activity_uid)"
        " JOIN activity_countries c USING (activity_uid) ORDER BY a.iati_identifier"
    )


def test_hxl_and_plain_header_sheets_load_into_the_same_activities(tmp_path):
    from kizuna.workspace import open_workspace

    got = []
    for name, text in [("sheet", HXL_SHEET), ("sheet", PLAIN_SHEET)]:
        folder = tmp_path / str(len(got))
        folder.mkdir()
        path = folder / f"{name}.csv"
        path.write_text(text)
        with open_workspace(folder / "ws.duckdb") as ws:
            res = ingest_file(ws, path)
            assert res.kind == "3w" and res.activities == 2
            got.append(_activities(ws))
    assert got[0] == got[1]
    rows = got[0]
    wash = next(r for r in rows if r["title"] == "[SYNTHETIC] Borehole repair")
    assert (wash["vocabulary"], wash["code"], wash["name"]) == ("10", "11", "WASH")  # IASC cluster 11
    assert (wash["adm1"], wash["adm2"], wash["country"], wash["reached"]) == ("XZ01", "Stonebridge", "XZ", 1200)
    assert wash["status_code"] == "2" and str(wash["start_date"]) == "2023-01-15"
    clinic = next(r for r in rows if r["title"] == "[SYNTHETIC] Mobile clinics")
    assert clinic["reached"] == 3400 and clinic["status_code"] == "4"


def test_aliases_match_organisation_names(ws, tmp_path):
    add_alias(ws, "S.R.O.", "Synthetic Relief Org", "XZ-SYN-NGO-1")
    path = tmp_path / "aliased.csv"
    path.write_text("#org,#sector,#adm1+code\nS.R.O.,WASH,XZ01\nsro,Health,XZ02\n")
    ingest_file(ws, path)
    rows = ws.query("SELECT DISTINCT publisher_ref, publisher_name FROM activities ORDER BY publisher_ref")
    # "S.R.O." matches the alias; "sro" normalises to another key, so it stays its own organisation
    assert rows == [
        {"publisher_ref": "3W:sro", "publisher_name": "sro"},
        {"publisher_ref": "XZ-SYN-NGO-1", "publisher_name": "Synthetic Relief Org"},
    ]


@pytest.mark.parametrize(
    "body,code,row,field",
    [
        ("#org,#sector,#date+start\nA,WASH,2023-13-45\n", "3w.bad_date", 2, "#date+start"),
        ("#org,#sector,#date+start,#date+end\nA,WASH,2023-05-01,2023-01-01\n", "3w.dates_reversed", 2, "#date+end"),
        ("#org,#sector\n,WASH\n", "3w.no_org", 2, "#org"),
        ("#org,#sector+code\nA,15X20\n", "3w.bad_sector_code", 2, "#sector+code"),
        ("#org,#sector,#geo+lat,#geo+lon\nA,WASH,130.5,8.1\n", "3w.bad_coordinate", 2, "#geo+lat"),
        ("#org,#sector,#reached\nA,WASH,many\n", "3w.bad_number", 2, "#reached"),
        ("name,value\nA,1\n", "3w.no_header", 1, None),
    ],
)
def test_bad_rows_name_file_row_and_field_and_store_nothing(ws, tmp_path, body, code, row, field):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    before = ws.table_counts()
    with pytest.raises(InputError) as ei:
        ingest_file(ws, path)
    err = ei.value
    assert err.code == code and err.where.row == row and err.where.field == field
    assert "bad.csv" in err.one_line() and err.hint
    assert ws.table_counts() == before


def test_xlsx_sheet_loads_like_csv(ws, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    sh = wb.active
    for line in HXL_SHEET.strip().splitlines():
        import csv

        sh.append(next(csv.reader([line])))
    path = tmp_path / "sheet.xlsx"
    wb.save(path)
    res = ingest_file(ws, path)
    assert res.activities == 2
    assert ws.scalar("SELECT sum(reached) FROM activities") == 4600


def test_activity_lists_show_3w_countries_and_sector_names(ws, tmp_path):
    from kizuna.ledger.queries import ActivityFilter, list_activities

    path = tmp_path / "sheet.csv"
    path.write_text(HXL_SHEET)
    ingest_file(ws, path)
    rows = list_activities(ws, ActivityFilter(country="XZ"))
    assert {(r["countries"], r["sectors"]) for r in rows} == {("XZ", "WASH"), ("XZ", "Health")}
