"""Codelists work offline and load from a local folder; outputs are spreadsheet-safe."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from kizuna.cli import main
from kizuna.errors import KizunaError
from kizuna.output import safe_cell
from kizuna.reference.codelists import download, ensure_codelists, load_folder
from tests.conftest import shared_path


def _name(ws, codelist, code):
    return ws.scalar("SELECT name FROM codelist_items WHERE codelist = ? AND code = ?", [codelist, code])


def test_built_in_names_work_offline(ws):
    with ws.transaction() as con:
        ensure_codelists(con)
    assert _name(ws, "SectorCategory", "152") == "Conflict, Peace & Security"
    assert _name(ws, "TransactionType", "3") == "Disbursement"
    assert _name(ws, "Country", "SS") == "South Sudan"
    assert _name(ws, "Country", "XZ") == "Republic of Kaltara (synthetic)"


def test_update_without_network_is_one_clear_error_and_keeps_the_built_in_names(ws, monkeypatch):
    def offline(*a, **k):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", offline)  # tests never touch the network
    with ws.transaction() as con:
        ensure_codelists(con)
    with pytest.raises(KizunaError) as ei, ws.transaction() as con:
        download(con)
    assert ei.value.code == "codelist.offline" and "offline" in ei.value.hint_text()
    assert _name(ws, "SectorCategory", "720") == "Emergency Response"  # the failed update changed nothing


def test_every_dac_sector_name_is_built_in_with_no_extra_command(ws):
    # Issue 11 (7): 5-digit names were missing until `kizuna codelists load` was run.
    assert ws.scalar("SELECT count(*) FROM codelist_items WHERE codelist = 'Sector'") == 325
    assert ws.scalar("SELECT count(*) FROM codelist_items WHERE codelist = 'SectorCategory'") == 44
    assert _name(ws, "Sector", "15240") == "Reintegration and SALW control"
    assert _name(ws, "Sector", "72010") == "Material relief assistance and services"
    assert _name(ws, "Region", "998") == "Developing countries, unspecified"
    assert _name(ws, "RegionVocabulary", "2") == "UN"
    assert _name(ws, "OrganisationType", "21") == "International NGO"
    assert _name(ws, "SectorVocabulary", "98") == "Reporting Organisation 2"
    assert ws.scalar("SELECT category FROM codelist_items WHERE codelist = 'Sector' AND code = '15220'") == "152"


def test_withdrawn_codes_keep_their_names_marked(ws):
    rows = ws.query(
        "SELECT code, name, status FROM codelist_items WHERE codelist = 'Sector' AND status IS NOT NULL ORDER BY code"
    )
    assert len(rows) == 30 and {r["status"] for r in rows} == {"withdrawn"}
    assert all(r["name"] and r["name"] != r["code"] for r in rows)
    assert _name(ws, "Sector", "15250") is not None  # a code still in use is active
    assert ws.scalar("SELECT status FROM codelist_items WHERE codelist = 'Sector' AND code = '15250'") is None


def test_a_workspace_from_before_the_full_table_gets_it_and_keeps_the_names_its_user_loaded(ws_path):
    from kizuna.workspace import open_workspace

    with open_workspace(ws_path) as ws:  # make it look like one created before migration 0006
        ws.con.execute("DELETE FROM schema_migrations WHERE version = 6")
        ws.con.execute("DELETE FROM codelist_items")
        ws.con.execute("ALTER TABLE codelist_items DROP COLUMN status")
        ws.con.execute(
            "INSERT INTO codelist_items VALUES ('SectorCategory', '152', 'Conflict, peace and security', NULL,"
            " 'builtin'), ('Sector', '15220', 'Peacebuilding (my own list)', '152', 'file:Sector.xml')"
        )
    with open_workspace(ws_path) as ws:  # opening for writing applies 0006 and fills the table
        assert _name(ws, "Sector", "15261") == "Child soldiers (prevention and demobilisation)"
        assert _name(ws, "SectorCategory", "152") == "Conflict, Peace & Security"
        assert _name(ws, "Sector", "15220") == "Peacebuilding (my own list)"
        assert ws.scalar("SELECT count(*) FROM codelist_items WHERE codelist = 'Sector'") == 325


@pytest.mark.shared
def test_the_built_in_table_is_what_the_generator_makes_of_iatis_codelists(capsys):
    from kizuna.reference.make_builtin_codes import main as make

    # Exit 0: regenerating from the shared copy of IATI's codelists would change nothing.
    assert make([str(shared_path("iati-codelists", "xml")), "--check"]) == 0, capsys.readouterr().err


def test_load_full_codelists_from_a_local_folder(ws):
    folder = shared_path("iati-codelists", "xml")
    with ws.transaction() as con:
        counts = load_folder(con, folder)
    assert counts["Sector"] == 325 and counts["Country"] == 251
    assert _name(ws, "Sector", "15261").startswith("Child soldiers")
    assert ws.scalar("SELECT count(*) FROM codelist_items WHERE codelist = 'Sector'") == 325


@pytest.mark.parametrize(
    "raw,safe",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-12.5", "-12.5"),
        ("plain", "plain"),
        (3, 3),
    ],
)
def test_formula_injection_is_neutralised(raw, safe):
    assert safe_cell(raw) == safe


def test_activities_xlsx_output_neutralises_formulas_from_a_hostile_title(ws_path, tmp_path):
    import openpyxl

    xml = tmp_path / "evil.xml"
    xml.write_text(
        '<iati-activities version="2.03"><iati-activity><iati-identifier>XZ-SYN-1</iati-identifier>'
        "<reporting-org ref=\"XZ-SYN\"/><title><narrative>=cmd|' /C calc'!A0</narrative></title>"
        "</iati-activity></iati-activities>"
    )
    assert main(["ingest", str(xml), "-w", str(ws_path)]) == 0
    out = tmp_path / "acts.xlsx"
    assert main(["activities", "-w", str(ws_path), "-f", "xlsx", "-o", str(out)]) == 0
    sheet = openpyxl.load_workbook(out).active
    titles = [c.value for c in sheet[2]]
    assert "'=cmd|' /C calc'!A0" in titles


def test_xlsx_sheet_names_are_made_legal():
    import io

    import openpyxl

    from kizuna.output import xlsx_bytes

    data = xlsx_bytes([{"a": 1}], sheet="Accountability: XZ [2020/21]? and a long tail")
    # every workbook ends with its Notes sheet (kizuna.output.write_xlsx)
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == ["Accountability- XZ -2020-21-- a", "Notes"]
