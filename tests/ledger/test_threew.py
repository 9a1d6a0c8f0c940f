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
    assert "bad.csv" in err.one_line() and err.hint_text()
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


# --- sheets as OCHA publishes them ------------------------------------------------------------------

HXL_FIRST = """#org+reporting,#org+reporting+name,#org+reporting+type,Name,#adm1+name,#adm1+code,#adm2+name,#adm2+code,#date,#reporting+or+implementing+org?
ACTED,Agency for Technical Cooperation and Development,INGO,CCCM,Jonglei,SS03,Akobo,SS0301,January,Reporting Organization
ACTED,Agency for Technical Cooperation and Development,INGO,CCCM,Jonglei,SS03,Akobo,SS0301,February,Reporting Organization
HRSS,Hope Restoration South Sudan,NNGO,ES/NFI,Jonglei,SS03,Ayod,SS0302,January,Implementing Organizations
WFP,World Food Programme,UN,FSL,Warrap,SS08,Abyei region,SS0807,March,Reporting Organization
"""
BOM_SPACES = (
    "\ufeffREGION,PROVINCE,PROV_CODE,DISTRICT,DIST_CODE,ORG_ACRONYM,ORG_NAME,ORG_TYPE,CLUSTER_SECTOR_CODE,"
    "CLUSTER_SECTOR_NAME,Question\r\n"
    "#region+name,#adm1+name,#adm1+code,#adm2+name,#adm2+code,#org +acronym,#org +name,#org +type +name,"
    "#sector +cluster +code,#sector +cluster +name,\r\n"
    "Capital,Kabul,AF01,Kabul,AF0101,OCCD,Organization for Community Coordination of Development,National NGO,"
    "EiE_OP,Operational Presence: Education in Emergencies,OP\r\n"
    "Eastern,Nangarhar,AF06,Jalalabad,AF0601,IRC,International Rescue Committee,International NGO,WASH_OP,"
    '"Operatioanl Presence: Water, Sanitation & Hygiene",OP\r\n'
)


def _rows(ws, sql):
    return ws.query(sql)


def test_a_sheet_whose_first_row_is_the_hxl_row_reads_its_untagged_cluster_column_by_content(ws, tmp_path):
    path = tmp_path / "ss_3w.csv"
    path.write_text(HXL_FIRST, encoding="utf-8")
    res = ingest_file(ws, path)
    assert res.activities == 4  # every row, the two months of ACTED's Akobo row included
    rows = ws.query(
        "SELECT a.publisher_name, a.publisher_type, s.vocabulary, s.code, s.name, l.adm1, l.adm2, c.code AS country,"
        " t.code AS role FROM activities a JOIN activity_sectors s USING (activity_uid)"
        " JOIN locations l USING (activity_uid) JOIN activity_countries c USING (activity_uid)"
        " JOIN tags t USING (activity_uid) WHERE t.code LIKE '3w-role:%' ORDER BY a.line"
    )
    acted, _, hrss, wfp = rows
    assert acted["publisher_name"] == "Agency for Technical Cooperation and Development"  # the +name column
    assert (acted["publisher_type"], hrss["publisher_type"], wfp["publisher_type"]) == ("21", "22", "40")
    assert (acted["vocabulary"], acted["code"], hrss["code"], wfp["code"]) == ("10", "1", "4", "6")
    assert (acted["role"], hrss["role"]) == ("3w-role:reporting", "3w-role:implementing")
    assert {r["country"] for r in rows} == {"SS"}  # no country column: the P-codes tell it
    # Abyei's pre-2023 code is read as the 2023 one, under its own admin-1 area, with a warning
    assert (wfp["adm1"], wfp["adm2"]) == ("SS00", "SS0001")
    warn = ws.query("SELECT code, message FROM ledger_warnings")
    assert [w["code"] for w in warn] == ["3w.pcode_alias"] and "SS0807" in warn[0]["message"]


def test_a_bom_header_then_hxl_row_with_spaces_in_tags(ws, tmp_path):
    path = tmp_path / "afg_3w.csv"
    path.write_bytes(BOM_SPACES.encode("utf-8"))
    assert ingest_file(ws, path).activities == 2
    rows = ws.query(
        "SELECT a.publisher_name, a.publisher_type, s.code, l.adm1, l.adm2, l.name"
        " FROM activities a JOIN activity_sectors s USING (activity_uid) JOIN locations l USING (activity_uid)"
        " ORDER BY a.line"
    )
    assert rows == [
        {
            "publisher_name": "Organization for Community Coordination of Development",
            "publisher_type": "22",
            "code": "3",  # Education in Emergencies -> Education
            "adm1": "AF01",
            "adm2": "AF0101",
            "name": "Kabul",
        },
        {
            "publisher_name": "International Rescue Committee",
            "publisher_type": "21",
            "code": "11",  # the source's misspelt "Operatioanl Presence: Water, Sanitation & Hygiene"
            "adm1": "AF06",
            "adm2": "AF0601",
            "name": "Jalalabad",
        },
    ]
    # the sheet's own code/name pairs name its areas
    from kizuna.geo.areas import area_names

    names = {r["pcode"]: r["name"] for r in area_names(ws, "AF").iter_rows(named=True)}
    assert names == {"AF01": "Kabul", "AF0101": "Kabul", "AF06": "Nangarhar", "AF0601": "Jalalabad"}


def test_personal_data_columns_are_never_stored(ws, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(
        "Organisation,Cluster,Admin1 code,Focal point,Email,Phone number\n"
        "#org+name,#sector,#adm1+code,#contact+name,#contact+email,#contact+phone\n"
        "Synthetic Relief Org,WASH,XZ01,Jane Doe,jane.doe@example.org,+211 912 345 678\n",
        encoding="utf-8",
    )
    ingest_file(ws, path)
    dump = str([ws.query(f'SELECT * FROM "{t}"') for t in ws.table_counts() if t not in ("fx_rates", "codelists")])
    for secret in ("Jane Doe", "jane.doe@example.org", "912 345"):
        assert secret not in dump
    warn = ws.query("SELECT code, message FROM ledger_warnings")
    assert warn[0]["code"] == "3w.personal_data" and "#contact+email" in warn[0]["message"]


def test_two_organisations_known_only_by_japanese_names_stay_two(ws, tmp_path):
    path = tmp_path / "ja.csv"
    path.write_text("#org,#sector,#adm1+code\n日本赤十字社,Health,XZ01\n難民を助ける会,Health,XZ01\n", encoding="utf-8")
    ingest_file(ws, path)
    refs = [r["publisher_ref"] for r in ws.query("SELECT DISTINCT publisher_ref FROM activities ORDER BY 1")]
    assert refs == ["3W:日本赤十字社", "3W:難民を助ける会"]


def test_aliases_match_japanese_and_full_width_names(ws, tmp_path):
    add_alias(ws, "国際協力機構", "Japan International Cooperation Agency", "XM-DAC-701-8")
    path = tmp_path / "jica.csv"
    path.write_text("#org,#sector\n国際協力機構,Health\nＪＩＣＡ,Health\n", encoding="utf-8")
    add_alias(ws, "JICA", "Japan International Cooperation Agency", "XM-DAC-701-8")
    ingest_file(ws, path)
    assert ws.query("SELECT DISTINCT publisher_ref FROM activities") == [{"publisher_ref": "XM-DAC-701-8"}]


def test_unknown_org_types_roles_and_clusters_are_warned_once_per_value(ws, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text(
        "#org+name,#org+type,#sector,#org+role\n"
        "A,Red Cross Movement,Basket weaving,Funder\n"
        "B,Red Cross Movement,Basket weaving,Funder\n",
        encoding="utf-8",
    )
    ingest_file(ws, path)
    got = {r["code"]: r["message"] for r in ws.query("SELECT code, message FROM ledger_warnings")}
    assert set(got) == {"3w.org_type", "3w.sector_unknown", "3w.org_role"}
    assert "2 rows, first row 2" in got["3w.org_type"]
