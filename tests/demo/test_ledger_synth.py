"""The synthetic Kaltara ledger: deterministic, in range, clearly synthetic, with its planted cases."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from kizuna.demo.ledger_synth import ADMIN2, generate

REAL_PREFIXES = ("US-GOV-", "XM-DAC-", "JP-", "GB-", "XI-IATI-", "DE-", "FR-", "NL-")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    return generate(out, seed=7)


def _activities(files):
    for f in files:
        root = etree.parse(str(f), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        assert root.get("version") == "2.03"
        yield from root.iter("iati-activity")


def test_same_seed_gives_identical_bytes_and_another_seed_differs(demo, tmp_path):
    again = generate(tmp_path / "again", seed=7)
    for a, b in zip(demo["files"], again["files"], strict=True):
        assert a.name == b.name
        assert a.read_bytes() == b.read_bytes(), a.name
    other = generate(tmp_path / "other", seed=8)
    assert any(a.read_bytes() != b.read_bytes() for a, b in zip(demo["iati_files"], other["iati_files"], strict=True))


def test_counts_sectors_places_dates_and_currencies_are_in_range(demo):
    acts = list(_activities(demo["iati_files"]))
    assert 150 <= len(acts) <= 300
    assert len(demo["iati_files"]) >= 5  # one file per publisher
    groups = set()
    currencies = set()
    tx_types = set()
    years = set()
    for a in acts:
        assert a.find("recipient-country").get("code") == "XZ"
        sectors = [s.get("code") for s in a.iter("sector")]
        assert sectors, a.findtext("iati-identifier")
        for code in sectors:
            groups.add(
                "152"
                if code.startswith("152")
                else "720"
                if code.startswith("720")
                else "12"
                if code.startswith("12")
                else "140"
                if code.startswith("140")
                else "21020"
                if code == "21020"
                else "151"
                if code.startswith("151")
                else code
            )
        for loc in a.iter("location"):
            adm = {x.get("level"): x.get("code") for x in loc.iter("administrative")}
            assert adm["1"] in {f"XZ0{i}" for i in range(1, 7)}
            if "2" in adm:
                assert adm["2"] in ADMIN2 and adm["2"].startswith(adm["1"] + "-")
                lat, lon = map(float, loc.findtext("point/pos").split())
                assert 5.5 < lat < 10.5 and 27 < lon < 32.5
        for t in a.iter("transaction"):
            tx_types.add(t.find("transaction-type").get("code"))
            v = t.find("value")
            currencies.add(v.get("currency") or a.get("default-currency"))
            years.add(date.fromisoformat(v.get("value-date")).year)
    assert groups == {"152", "720", "12", "140", "21020", "151"}
    assert {"USD", "JPY", "EUR"} <= currencies
    assert tx_types == {"1", "2", "3", "4"}
    assert min(years) >= 2019 and max(years) <= 2025 and len(years) >= 5


def test_sectors_at_activity_level_for_some_publishers_and_on_transactions_for_others(demo):
    by_level = {"activity": 0, "transaction": 0}
    for a in _activities(demo["iati_files"]):
        if a.find("sector") is not None:
            by_level["activity"] += 1
            pcts = [float(s.get("percentage")) for s in a.findall("sector")]
            assert all(0 < p <= 100 for p in pcts)
        elif a.find("transaction/sector") is not None:
            by_level["transaction"] += 1
    assert by_level["activity"] > 20 and by_level["transaction"] > 20


def test_incoming_funds_point_at_an_existing_funder_activity(demo):
    acts = list(_activities(demo["iati_files"]))
    ids = {a.findtext("iati-identifier") for a in acts}
    links = [
        t.find("provider-org").get("provider-activity-id")
        for a in acts
        for t in a.iter("transaction")
        if t.find("transaction-type").get("code") == "1"
        and t.find("provider-org") is not None
        and t.find("provider-org").get("provider-activity-id")
    ]
    assert len(links) >= 5
    assert set(links) <= ids
    assert {c["funder_activity"] for c in demo["funding_chains"]} == set(links)


def test_everything_shown_is_labelled_synthetic_and_no_real_org_identifier_is_used(demo):
    for a in _activities(demo["iati_files"]):
        assert a.findtext("title/narrative").startswith("[SYNTHETIC]")
        for d in a.iter("description"):
            assert d.findtext("narrative").startswith("[SYNTHETIC]")
        for el in a.iter("reporting-org", "participating-org", "provider-org", "receiver-org"):
            assert el.findtext("narrative").startswith("Synthetic —")
            ref = el.get("ref")
            assert ref.startswith("XZ-SYN-") and not ref.startswith(REAL_PREFIXES)
    with open(demo["threew_file"], encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][:3] == ["#org", "#sector", "#adm1+name"]
    assert all(r[0].startswith("Synthetic —") and r[6].startswith("[SYNTHETIC]") for r in rows[2:])


def test_ally_prefixes_are_configurable(tmp_path):
    out = generate(tmp_path, seed=7, ally_prefixes={"Ally A": "XZ-SYN-NORTH-"})
    refs = {a.find("reporting-org").get("ref") for a in _activities(out["iati_files"])}
    assert "XZ-SYN-NORTH-1" in refs and not any(r.startswith("XZ-SYN-ALLYA-") for r in refs)


def test_planted_overlaps_match_the_xml(demo):
    manifest = json.loads(demo["manifest_file"].read_text(encoding="utf-8"))
    assert manifest["planted_overlaps"] == demo["planted_overlaps"] and len(demo["planted_overlaps"]) >= 4
    acts = {a.findtext("iati-identifier"): a for a in _activities(demo["iati_files"])}
    for p in demo["planted_overlaps"]:
        a, b = acts[p["a"]], acts[p["b"]]
        assert p["a_ally"] != p["b_ally"]
        for x in (a, b):
            codes = {s.get("code") for s in x.iter("sector")}
            assert codes == {p["sector"]}
            adm2 = {ad.get("code") for ad in x.iter("administrative") if ad.get("level") == "2"}
            assert adm2 == {p["admin2"]}
        assert p["a_dates"][0] <= p["b_dates"][1] and p["b_dates"][0] <= p["a_dates"][1]


def test_malformed_records_are_present_as_documented(demo):
    acts = {a.findtext("iati-identifier"): a for a in _activities(demo["iati_files"])}
    kinds = {m["kind"]: acts[m["activity"]] for m in demo["malformed"]}
    values = [t.findtext("value") for t in kinds["non_numeric_value"].iter("transaction")]
    assert "12,5OO" in values
    assert "XXX" in [t.find("value").get("currency") for t in kinds["unknown_currency"].iter("transaction")]
    assert sum(float(s.get("percentage")) for s in kinds["sector_percentages_90"].findall("sector")) == 90
    assert Path(demo["manifest_file"]).name == "planted_overlaps.json"
