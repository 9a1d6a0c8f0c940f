"""Real data: the four South Sudan files in ../shared/data/iati through the lead's ingest, then presence."""

from __future__ import annotations

import polars as pl
import pytest
from tests.conftest import shared_path

from kizuna.coordinate.division import concentration, donor_money
from kizuna.coordinate.load import load_ledger
from kizuna.coordinate.presence import MEASURES, presence, shared_sectors
from kizuna.workspace import open_workspace

pytestmark = pytest.mark.shared
FILES = ["state-southsudan.xml", "usadf-southsudan.xml", "hhs-southsudan.xml", "acfspain-ss.xml"]


@pytest.fixture(scope="module")
def ss(tmp_path_factory):
    from kizuna.ledger.ingest import ingest_paths

    paths = [shared_path("iati", f) for f in FILES]
    path = tmp_path_factory.mktemp("ss") / "ss.duckdb"
    with open_workspace(path) as ws:
        ingest_paths(ws, paths)
    ws = open_workspace(path, read_only=True)
    yield ws
    ws.close()


@pytest.mark.parametrize("by", ["org", "ally"])
@pytest.mark.parametrize("admin_level", ["country", "adm1", "adm2"])
@pytest.mark.parametrize("sector_level", ["dac5", "dac3", "cluster"])
def test_presence_totals_reconcile_with_the_ledgers_flows(ss, by, admin_level, sector_level):
    lf = load_ledger(ss)
    p = presence(lf, by=by, admin_level=admin_level, sector_level=sector_level, country="SS")
    for type_codes, col in (("2", "usd_commitments"), ("3", "usd_disbursements"), ("4", "usd_expenditure")):
        want = ss.query(
            "SELECT coalesce(sum(usd), 0) AS s FROM flows WHERE country = 'SS' AND counted AND type_code = ?",
            [type_codes],
        )[0]["s"]
        got = p.get_column(col).sum()
        assert got == pytest.approx(want, abs=0.01), (col, got, want)
    incoming = ss.query(
        "SELECT coalesce(sum(usd), 0) AS s FROM flows WHERE country = 'SS' AND counted AND type_code IN ('1', '11')"
    )[0]["s"]
    assert p.get_column("usd_incoming").sum() == pytest.approx(incoming, abs=0.01)
    assert set(MEASURES) >= {"1", "11", "2", "3", "4"}


def test_sectors_shared_across_agencies_are_listed(ss):
    lf = load_ledger(ss)
    shared = shared_sectors(presence(lf, admin_level="country", sector_level="dac3", country="SS"))
    assert "430" in shared.get_column("sector").to_list()
    row = shared.filter(pl.col("sector") == "430").row(0, named=True)
    # reference note §3 worked check: State USD 0.18 M and USADF USD 2.29 M in 430 (disbursements)
    assert row["n_orgs"] == 2
    assert "African Development Foundation (USD 229" in row["orgs"] and "Department of State (USD 17" in row["orgs"]
    # agencies that share nothing (HHS alone in 130) are not listed as shared
    assert "130" not in shared.get_column("sector").to_list()


def test_hhi_of_the_shared_category_matches_the_reference_figure(ss):
    money = donor_money(load_ledger(ss), role="reporting")
    c = concentration(money.filter(pl.col("country") == "SS")).filter(pl.col("sector") == "430").row(0, named=True)
    # reference note §3: HHI 0.867 for 430 (USADF 2.29 M, State 0.18 M): (2.29/2.47)^2 + (0.18/2.47)^2 = 0.865
    assert c["hhi"] == pytest.approx(0.867, abs=0.002) and c["n_donors"] == 2
