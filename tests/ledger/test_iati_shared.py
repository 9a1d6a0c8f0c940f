"""The ledger against the real IATI files in ../shared/data/iati, checked by independent computations."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from lxml import etree

from kizuna.cli import main
from kizuna.ledger.ingest import ingest_paths
from kizuna.workspace import open_workspace
from tests.conftest import shared_path

FILES = [
    "state-southsudan.xml",
    "usadf-southsudan.xml",
    "hhs-southsudan.xml",
    "usaid-cf.xml",
    "dod-afghanistan.xml",
    "acfspain-ss.xml",
]


@pytest.fixture(scope="module")
def shared_ws(tmp_path_factory):
    folder = shared_path("iati")
    path = tmp_path_factory.mktemp("ledger") / "shared.duckdb"
    with open_workspace(path) as ws:
        ingest_paths(ws, [folder])
    ws = open_workspace(path, read_only=True)  # as the CLI opens it for queries
    yield ws
    ws.close()


@pytest.mark.parametrize("name", FILES)
def test_counts_match_an_independent_xpath_count(shared_ws, name):
    path = shared_path("iati", name)
    tree = etree.parse(str(path))
    n_act = int(tree.xpath("count(/iati-activities/iati-activity)"))
    n_tx = int(tree.xpath("count(/iati-activities/iati-activity/transaction)"))
    publisher = tree.xpath("string(/iati-activities/iati-activity[1]/reporting-org/@ref)")
    got = shared_ws.query(
        "SELECT count(DISTINCT a.activity_uid) AS acts, count(t.seq) AS txs FROM activities a"
        " JOIN imports i USING (import_id) LEFT JOIN transactions t USING (activity_uid) WHERE i.file_name = ?",
        [name],
    )[0]
    assert (got["acts"], got["txs"]) == (n_act, n_tx)
    assert shared_ws.scalar("SELECT publisher FROM imports WHERE file_name = ?", [name]) == publisher


@pytest.mark.parametrize("name", FILES)
def test_split_usd_sums_back_to_transaction_usd_per_activity(shared_ws, name):
    # Transaction USD = value x the stored rate; the split rows must add up to it, activity by activity.
    rows = shared_ws.query(
        """
        WITH t AS (
            SELECT t.activity_uid, t.seq, t.value, any_value(f.fx_rate) AS rate
            FROM transactions t JOIN activities a USING (activity_uid) JOIN imports i USING (import_id)
            JOIN flows f USING (activity_uid, seq)
            WHERE i.file_name = ? GROUP BY ALL
        )
        SELECT t.activity_uid, sum(t.value * t.rate) AS tx_usd,
               (SELECT sum(usd) FROM flows f WHERE f.activity_uid = t.activity_uid) AS split_usd,
               sum(t.value) AS tx_value,
               (SELECT sum(value) FROM flows f WHERE f.activity_uid = t.activity_uid) AS split_value
        FROM t GROUP BY t.activity_uid
        """,
        [name],
    )
    assert rows, "no flows"
    for r in rows:
        if r["tx_usd"] is None:
            continue
        assert r["split_usd"] == pytest.approx(r["tx_usd"], rel=1e-9, abs=1e-6), r["activity_uid"]
        assert r["split_value"] == pytest.approx(r["tx_value"], rel=1e-9, abs=1e-6), r["activity_uid"]


def _independent_sector_totals(path: Path) -> dict[str, float]:
    """Disbursements + expenditures in USD by DAC 3-digit category, straight from the XML."""
    tree = etree.parse(str(path))
    totals: dict[str, float] = defaultdict(float)
    for act in tree.iterfind("iati-activity"):
        default_cur = act.get("default-currency")
        for tx in act.iterfind("transaction"):
            if tx.find("transaction-type").get("code") not in ("3", "4"):
                continue
            value = tx.find("value")
            assert (value.get("currency") or default_cur) == "USD"  # State publishes in USD only
            codes = [s.get("code") for s in tx.iterfind("sector") if (s.get("vocabulary") or "1") == "1"]
            assert len(codes) == 1
            totals[codes[0][:3]] += float(value.text)
    return totals


def test_state_southsudan_sector_totals_152_and_720_in_kizuna_flows(shared_ws, capsys):
    expected = _independent_sector_totals(shared_path("iati", "state-southsudan.xml"))
    assert expected["152"] > 0 and expected["720"] > 0
    rc = main(["flows", "-w", str(shared_ws.path), "--publisher", "US-GOV-11", "--format", "json"])
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    got: dict[str, float] = defaultdict(float)
    for r in rows:
        got[r["sector"]] += r["usd"]
        if r["sector"] in ("152", "720"):
            assert r["sector_name"] in ("Conflict, Peace & Security", "Emergency Response")
    assert got["152"] == pytest.approx(expected["152"], abs=1e-6)
    assert got["720"] == pytest.approx(expected["720"], abs=1e-6)


def test_every_dac_code_in_the_real_files_has_its_name_built_in(shared_ws, capsys):
    # Issue 11 (7): no `kizuna codelists load` has run on this workspace.
    unnamed = shared_ws.query(
        "SELECT DISTINCT f.sector_vocabulary, f.sector FROM flows f LEFT JOIN codelist_items n"
        " ON n.codelist = CASE f.sector_vocabulary WHEN '1' THEN 'Sector' ELSE 'SectorCategory' END"
        " AND n.code = f.sector WHERE f.sector IS NOT NULL AND n.name IS NULL"
    )
    assert unnamed == []
    assert main(["flows", "-w", str(shared_ws.path), "--level", "5", "--sector", "15220", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {r["sector_name"] for r in rows} == {"Civilian peace-building, conflict prevention and resolution"}


def test_eur_values_convert_at_their_value_dates_with_the_rate_date_stored(shared_ws):
    from currency_converter import CurrencyConverter

    cc = CurrencyConverter()
    rows = shared_ws.query(
        "SELECT f.value, f.usd, f.fx_rate, f.fx_date, t.value_date FROM flows f"
        " JOIN transactions t USING (activity_uid, seq) WHERE f.currency = 'EUR'"
    )
    assert len(rows) == 7 * 4  # 7 transactions x 4 activity-level sectors
    for r in rows:
        vd: date = r["value_date"]
        assert r["fx_date"] <= vd and vd - r["fx_date"] <= timedelta(days=7)
        ecb = cc.convert(1.0, "EUR", "USD", date=r["fx_date"])  # the ECB rate of that day, independently
        assert r["fx_rate"] == pytest.approx(ecb, rel=1e-12)
        assert r["usd"] == pytest.approx(r["value"] * ecb, rel=1e-12)
    # A business day converts at its own date
    assert any(r["fx_date"] == r["value_date"] for r in rows)


def test_sectors_of_other_vocabularies_are_kept_but_never_split_money(shared_ws):
    n99 = shared_ws.scalar("SELECT count(*) FROM transaction_sectors WHERE vocabulary = '99'")
    assert n99 > 0
    assert shared_ws.scalar("SELECT count(*) FROM flows WHERE sector_vocabulary NOT IN ('1', '2')") == 0


def test_flows_built_from_each_files_batch_equal_flows_rebuilt_from_the_ledger(tmp_path):
    # Ingest derives a file's flows from the rows it has just written (its cost is the file's, not the
    # ledger's); deriving them again from the ledger tables must give the same rows, and the marks
    # recomputed import by import must equal those recomputed over the whole ledger.
    from kizuna.ledger.money import build_flows, mark_double_counting

    cols = (
        "activity_uid, seq, date, year, date_source, country, region, region_vocabulary, country_source, sector,"
        " sector_source, share, usd, fx_rate, fx_date, counted"
    )
    order = "ORDER BY activity_uid, seq, country NULLS FIRST, region NULLS FIRST, sector NULLS FIRST, share"
    with open_workspace(tmp_path / "w.duckdb") as ws:
        ingest_paths(ws, [shared_path("iati"), shared_path("iati-more")])  # regions: in the D-Portal extract
        batch = ws.query(f"SELECT {cols} FROM flows {order}")
        ws.con.execute("BEGIN TRANSACTION")
        for (import_id,) in ws.con.execute("SELECT import_id FROM imports ORDER BY import_id").fetchall():
            build_flows(ws.con, import_id)
        mark_double_counting(ws.con)
        ledger = ws.query(f"SELECT {cols} FROM flows {order}")
        ws.con.execute("ROLLBACK")
    assert len(batch) == len(ledger) > 4000
    for a, b in zip(batch, ledger, strict=True):
        assert {k: v for k, v in a.items() if k not in ("share", "usd")} == {
            k: v for k, v in b.items() if k not in ("share", "usd")
        }
        assert a["share"] == pytest.approx(b["share"], rel=1e-12)
        assert a["usd"] == pytest.approx(b["usd"], rel=1e-12) if b["usd"] is not None else a["usd"] is None


def _independent_recipient_totals(path: Path) -> dict[tuple[str, str], float]:
    """Disbursements + expenditures by (currency, recipient), straight from the XML, by the IATI 2.03
    rules as the standard states them: a transaction's own recipient-country, else its own
    recipient-region, else the activity's countries and the regions of one vocabulary (OECD DAC 1
    before UN 2 before the publisher's 99), whose percentages share 100 % and are normalised."""
    totals: dict[tuple[str, str], float] = defaultdict(float)

    def pct(el) -> float:
        try:
            return float(el.get("percentage") or "")
        except ValueError:
            return 0.0

    def vocab(el) -> str:
        return (el.get("vocabulary") or "").strip() or "1"

    def first_vocab(regions) -> list:
        order = sorted({vocab(r) for r in regions}, key=lambda v: (v not in ("1", "2"), v))
        return [r for r in regions if vocab(r) == order[0]] if order else []

    for act in etree.parse(str(path)).iterfind("iati-activity"):
        countries = [c for c in act.iterfind("recipient-country") if (c.get("code") or "").strip()]
        regions = first_vocab([r for r in act.iterfind("recipient-region") if (r.get("code") or "").strip()])
        parts = [("C:" + c.get("code").strip().upper(), pct(c)) for c in countries]
        parts += [(f"R:{r.get('code').strip()}/{vocab(r)}", pct(r)) for r in regions]
        whole = sum(p for _, p in parts)
        shares = [(k, p / whole if whole else 1 / len(parts)) for k, p in parts]
        for tx in act.iterfind("transaction"):
            kind = tx.find("transaction-type")
            value = tx.find("value")
            if kind is None or (kind.get("code") or "").strip() not in ("3", "4") or value is None:
                continue
            try:
                amount = float((value.text or "").strip())
            except ValueError:
                continue
            currency = ((value.get("currency") or "").strip() or (act.get("default-currency") or "")).upper()
            own_c = [c.get("code").strip().upper() for c in tx.iterfind("recipient-country") if c.get("code")]
            own_r = first_vocab([r for r in tx.iterfind("recipient-region") if (r.get("code") or "").strip()])
            if own_c:
                mine = [("C:" + c, 1 / len(own_c)) for c in own_c]
            elif own_r:
                mine = [(f"R:{r.get('code').strip()}/{vocab(r)}", 1 / len(own_r)) for r in own_r]
            else:
                mine = shares or [("unspecified", 1.0)]
            for key, share in mine:
                totals[(currency, key)] += amount * share
    return totals


@pytest.mark.parametrize(
    "folder,name",
    [("iati", f) for f in FILES]
    + [("iati-more", f) for f in ("dportal-covid-extract.xml", "CAF-ActivityFile-2025-10-10.xml", "worldbank-sv.xml")],
)
def test_spend_by_recipient_country_or_region_equals_an_independent_computation(tmp_path, folder, name):
    # Issue 11 (1): countries and regions share 100 %; region money stays region money.
    path = shared_path(folder, name)
    expected = {k: v for k, v in _independent_recipient_totals(path).items() if v}
    with open_workspace(tmp_path / "w.duckdb") as ws:
        ingest_paths(ws, [path])
        rows = ws.query(
            "SELECT currency, CASE WHEN country IS NOT NULL THEN 'C:' || country"
            " WHEN region IS NOT NULL THEN 'R:' || region || '/' || region_vocabulary ELSE 'unspecified' END AS k,"
            " sum(value) AS v FROM flows WHERE type_code IN ('3', '4') AND value IS NOT NULL GROUP BY ALL"
        )
    got = {(r["currency"], r["k"]): r["v"] for r in rows if r["v"]}
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-6), key
    if name == "dportal-covid-extract.xml":  # the file has region money; it must be there as such
        assert sum(v for (_, k), v in got.items() if k.startswith("R:")) > 0
