"""Needs tables stored in the workspace, the HNO layout's rules, and the sector crosswalk against its source."""

from __future__ import annotations

import json

import polars as pl
import pytest
from tests.conftest import shared_path

from kizuna.coordinate.gaps import gap_analysis, ledger_notes
from kizuna.coordinate.load import load_ledger
from kizuna.coordinate.needs import read_needs
from kizuna.coordinate.needs_store import current_needs_id, store_needs, stored_needs_table
from kizuna.coordinate.sectors import (
    DAC3,
    VOCAB10,
    needs_sector_cluster,
    normalise_cluster,
    resolve_sector,
)
from kizuna.errors import InputError

HNO_HEAD = (
    "Admin 1 PCode,Admin 2 PCode,Sector,Gender,Age Range,Min Age,Max Age,Disabled,Population Group,Population,"
    "In Need,Targeted,Affected,Reached\n"
    "#adm1+code,#adm2+code,#sector+code,#gender+code,#age+range,#age+min,#age+max,#is_disabled,"
    "#population_group+code,#population,#inneed,#targeted,#affected,#reached\n"
)
HNO = HNO_HEAD + (
    ",,ALL,a,ALL,,,a,ALL,1000,700,,,\n"
    ",,ALL,f,ALL,,,a,ALL,,360,,,\n"  # a breakdown: never added to the total
    ",,WSH,a,ALL,,,a,ALL,,500,,,\n"
    "XZ01,,ALL,a,ALL,,,a,ALL,,700,,,\n"
    "XZ01,,WSH,a,ALL,,,a,ALL,,500,,,\n"
    "XZ01,XZ0101,ALL,a,ALL,,,a,ALL,,300,,,\n"
    "XZ01,XZ0101,ALL,m,0-17,0,17,a,IDP,,40,,,\n"
    "XZ01,XZ0101,WSH,a,ALL,,,a,ALL,,250,,,\n"
    "XZ01,XZ0102,ALL,a,ALL,,,a,ALL,,401,,,\n"
    "XZ01,XZ0102,WSH,a,ALL,,,a,ALL,,250,,,\n"
)


def test_an_hno_table_keeps_its_total_rows_at_every_level(tmp_path):
    p = tmp_path / "hno.csv"
    p.write_text(HNO, encoding="utf-8")
    df = read_needs(p)
    assert df.height == 8  # 2 national, 2 admin-1, 4 admin-2: the two breakdown rows dropped
    assert df.filter(pl.col("adm1").is_null()).select("sector", "pin").sort("sector").rows() == [
        ("ALL", 700.0),
        ("WSH", 500.0),
    ]
    assert set(df.get_column("country")) == {"XZ"}  # from the P-codes; the national rows too


@pytest.mark.parametrize(
    ("body", "code", "row"),
    [
        (HNO_HEAD + "XZ01,XZ0101,WSH,f,ALL,,,a,ALL,,250,,,\n", "needs.no_total", 3),
        (HNO_HEAD + "XZ01,,WSH,a,ALL,,,a,ALL,,250,,,\nXZ01,,WSH,a,ALL,,,a,ALL,,251,,,\n", "needs.repeated_total", 3),
        (HNO_HEAD + "XZ01,,WSH,a,ALL,,,a,ALL,,NaN,,,\n", "needs.bad_number", 3),
    ],
)
def test_hno_tables_without_one_total_per_area_and_sector_are_refused(tmp_path, body, code, row):
    p = tmp_path / "hno.csv"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_needs(p)
    assert e.value.code == code and e.value.where.row == row


def test_gaps_rank_each_level_separately_and_never_add_across_levels(ws, builder, tmp_path):
    builder.activity("A|1", "XZ-SYN-NGO-1", sector_names=["WASH"], locations=[("XZ01", "XZ0101", None, None)])
    p = tmp_path / "hno.csv"
    p.write_text(HNO, encoding="utf-8")
    res = gap_analysis(load_ledger(ws), read_needs(p))
    t = res.table
    assert sorted(set(t.get_column("level"))) == ["adm1", "adm2"]
    adm2 = t.filter(pl.col("level") == "adm2")
    # no money anywhere: people in need per organisation; the district with nobody comes first
    assert adm2.select("rank", "adm2", "sector", "n_orgs", "pin_per_org").rows() == [
        (1, "XZ0102", "All sectors", 0, None),
        (2, "XZ0102", "Water Sanitation Hygiene", 0, None),
        (3, "XZ0101", "All sectors", 1, 300.0),
        (4, "XZ0101", "Water Sanitation Hygiene", 1, 250.0),
    ]
    adm1 = t.filter(pl.col("level") == "adm1").sort("sector")
    assert adm1.select("adm1", "sector", "pin", "n_orgs").rows() == [
        ("XZ01", "All sectors", 700.0, 1),
        ("XZ01", "Water Sanitation Hygiene", 500.0, 1),
    ]
    assert res.ranked_by == "pin_per_org"


def test_no_needs_table_is_a_note_not_an_empty_answer(ws, builder):
    builder.activity("A|1", "US-GOV-1", sectors=[("15220", 100)], flows=[("3", 2021, "15220", 100.0)])
    res = gap_analysis(load_ledger(ws), None)
    assert res.table.height == 0
    codes = [n["code"] for n in res.notes]
    assert codes[0] == "no_needs" and "no_subnational_locations" in codes
    money = next(n for n in res.notes if n["code"] == "money_without_location")
    assert money["message"].startswith("100% of the USD 100 of disbursements in XZ")
    no_cluster = next(n for n in res.notes if n["code"] == "ledger_sectors_without_cluster")
    assert "152 Conflict, peace and security 100%" in no_cluster["message"]


def test_a_located_activity_means_presence_is_known(ws, builder):
    builder.activity("A|1", "US-GOV-1", locations=[("XZ01", None, None, None)], flows=[("3", 2021, "12220", 50.0)])
    builder.activity("B|1", "US-GOV-1", flows=[("3", 2021, "12220", 150.0)])
    notes = {n["code"]: n["message"] for n in ledger_notes(load_ledger(ws), ["XZ"])}
    assert "no_subnational_locations" not in notes
    assert notes["money_without_location"].startswith("75% of the USD 200")


def test_stored_needs_the_last_given_is_in_use_and_the_same_file_is_stored_once(ws, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("adm1,sector,pin\nXZ01,Health,10\n", encoding="utf-8")
    b.write_text("country,adm1,sector,pin\nSS,SS01,Health,20\n", encoding="utf-8")
    assert stored_needs_table(ws) is None
    first = store_needs(ws, a)
    second = store_needs(ws, b)
    assert stored_needs_table(ws).get_column("pin").to_list() == [20.0]
    assert current_needs_id(ws, "xz") == first.needs_id and current_needs_id(ws, "SS") == second.needs_id
    before = ws.table_counts()
    again = store_needs(ws, a)
    assert again.status == "selected" and again.needs_id == first.needs_id
    assert ws.table_counts() == before and stored_needs_table(ws).get_column("pin").to_list() == [10.0]
    bad = tmp_path / "bad.csv"
    bad.write_text("adm1,sector,pin\nXZ01,Health,lots\n", encoding="utf-8")
    with pytest.raises(InputError):
        store_needs(ws, bad)
    assert ws.table_counts() == before


@pytest.mark.parametrize(
    ("text", "cluster"),
    [
        ("FSC", "Food Security"),
        ("PRO - GBV", "Gender Based Violence"),
        ("PRO-CPN", "Child Protection"),
        ("PRO_CPM", "Child Protection"),
        ("SHL", "Emergency Shelter and NFI"),
        ("WSH", "Water Sanitation Hygiene"),
        ("ALL", None),
        ("MS", None),
        ("Water, Sanitation & Hygiene", "Water Sanitation Hygiene"),
    ],
)
def test_needs_sector_codes_map_to_clusters(text, cluster):
    assert needs_sector_cluster(text) == cluster


def test_a_sector_filter_resolves_names_codes_and_dac():
    assert (
        resolve_sector("wash")
        == resolve_sector("WSH")
        == resolve_sector("11")
        == ("cluster", "Water Sanitation Hygiene")
    )
    assert resolve_sector("14030") == ("dac", "14030")
    with pytest.raises(ValueError):
        resolve_sector("basket weaving")


@pytest.mark.shared
def test_the_dac3_crosswalk_follows_the_mapping_file_entry_for_entry():
    source = json.loads(shared_path("mappings", "dac3-sector-map.json").read_text(encoding="utf-8"))
    assert set(source) == set(DAC3)  # every 3-digit category, none invented
    for code, entry in source.items():
        mapped = entry.get("humanitarian-mapping")
        expect = None if mapped in (None, "(No corresponding humanitarian cluster)") else normalise_cluster(mapped)
        assert DAC3[code][1] == expect, code


@pytest.mark.shared
def test_the_cluster_names_and_synonyms_follow_the_mapping_file():
    source = json.loads(shared_path("mappings", "humanitarian-cluster-map.json").read_text(encoding="utf-8"))
    assert {code: entry["name"] for code, entry in source.items()} == VOCAB10
    for entry in source.values():
        for synonym in entry["synonyms"]:
            assert normalise_cluster(synonym) == entry["name"]
