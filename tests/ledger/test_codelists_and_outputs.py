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
    assert _name(ws, "SectorCategory", "152") == "Conflict, peace and security"
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
    assert ei.value.code == "codelist.offline" and "offline" in ei.value.hint
    assert _name(ws, "SectorCategory", "720") == "Emergency response"  # the failed update changed nothing


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
