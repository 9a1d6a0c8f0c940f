"""What the data cannot show (issue 11, item 8): stated, with the money it concerns."""

from __future__ import annotations

import pytest
from tests.conftest import shared_path

from kizuna.coordinate.accountability import build_accountability
from kizuna.coordinate.limits import data_limits
from kizuna.coordinate.load import load_ledger
from kizuna.coordinate.report import render_html
from kizuna.workspace import open_workspace

P1 = ("XZ01", "XZ01-01", 1.0, 2.0)


def _by_code(limits):
    return {lim["code"]: lim["message"] for lim in limits}


def test_a_country_with_no_subnational_location_says_so(ws, builder):
    builder.activity("A|1", "US-GOV-1", sectors=[("15220", 100)], locations=[], flows=[("3", 2021, "15220", 10.0)])
    got = _by_code(data_limits(load_ledger(ws), "XZ", needs_given=False))
    assert set(got) == {"no_subnational_locations", "money_without_location", "needs.none"}
    assert "no activity in XZ (1) has an admin-1/admin-2 area or coordinates" in got["no_subnational_locations"]


def test_partly_located_money_is_stated_as_a_share_and_money_without_a_sector_too(ws, builder):
    builder.activity("A|1", "US-GOV-1", sectors=[("15220", 100)], locations=[P1], flows=[("3", 2021, "15220", 30.0)])
    builder.activity("B|1", "US-GOV-11", sectors=[("15220", 100)], locations=[], flows=[("3", 2021, "15220", 10.0)])
    builder.activity("C|1", "US-GOV-11", sectors=[], locations=[P1], flows=[("4", 2021, None, 60.0)])
    got = _by_code(data_limits(load_ledger(ws), "XZ", needs_given=True))
    assert set(got) == {"money_without_location", "sectors.unspecified"}
    assert got["money_without_location"].startswith("25% of the USD 40 of disbursements in XZ")
    assert got["sectors.unspecified"].startswith("60% of the money spent in XZ (USD 60) has no DAC sector")


def test_nothing_is_said_when_nothing_is_missing(ws, builder):
    builder.activity("A|1", "US-GOV-1", sectors=[("15220", 100)], locations=[P1], flows=[("3", 2021, "15220", 30.0)])
    assert data_limits(load_ledger(ws), "XZ") == []


@pytest.mark.shared
def test_the_report_on_real_files_opens_with_what_the_data_cannot_show(tmp_path):
    from kizuna.ledger.ingest import ingest_paths

    with open_workspace(tmp_path / "ss.duckdb") as ws:
        ingest_paths(ws, [shared_path("iati", "state-southsudan.xml"), shared_path("iati", "acfspain-ss.xml")])
        lf = load_ledger(ws)
    rep = build_accountability(lf, "ss")
    codes = [lim["code"] for lim in rep.limits]
    assert codes[0] == "no_subnational_locations" and "needs.none" in codes
    html = render_html(rep, generated="2026-12-01 00:00")
    assert html.index("What this data cannot show") < html.index("Summary by ally")
    assert 'data-code="no_subnational_locations"' in html
    assert rep.sheets()["notes"].get_column("note")[0].startswith("no subnational locations: no activity in SS")
