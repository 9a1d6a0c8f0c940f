"""Overlap candidates: who is paired, who is not, and why."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.coordinate.load import load_ledger
from kizuna.coordinate.overlap import _haversine, cross_pairs, find_overlaps, sweep_pairs, tfidf_matrix

P1 = ("XZ01", "XZ01-01", 9.95, 29.75)


def _pairs(ws, **kw) -> set[frozenset[str]]:
    res = find_overlaps(load_ledger(ws), **kw)
    return {frozenset((r["activity_uid_a"], r["activity_uid_b"])) for r in res.pairs.iter_rows(named=True)}


def test_same_sector_same_admin2_same_time_different_orgs_is_a_pair_with_reasons(ws, builder):
    builder.activity(
        "A|1",
        "US-GOV-1",
        title="Reintegration of former combatants",
        sectors=[("15240", 100)],
        locations=[P1],
        start="2021-01-01",
        end="2021-12-31",
    )
    builder.activity(
        "B|1",
        "XM-DAC-701-8",
        title="Former combatants reintegration",
        sectors=[("15240", 100)],
        locations=[("XZ01", "XZ01-01", None, None)],
        start="2021-07-01",
        end="2022-06-30",
    )
    res = find_overlaps(load_ledger(ws))
    assert res.pairs.height == 1
    r = res.pairs.row(0, named=True)
    # overlap 2021-07-01..2021-12-31 = 184 days; shorter activity: 365 days -> 50%
    assert r["overlap_days"] == 184 and r["time_share"] == pytest.approx(184 / 365, abs=1e-3)
    assert r["spatial"] == "admin2" and r["sector_code"] == "15240" and not r["weak_evidence"]
    for words in (
        "same DAC 5-digit sector 15240",
        "admin2 area XZ01-01",
        "184 days",
        "different allies (United States / Japan)",
    ):
        assert words in r["reasons"]
    assert r["evidence"] == "admin2"
    # score = 0.20 x 1 (DAC5) + 0.20 x 1 (admin2) + 0.16 x 184/365 + 0.24 x text + 0.20 x 0 (no shared partner)
    assert r["score"] == pytest.approx(0.4 + 0.16 * 184 / 365 + 0.24 * r["text_similarity"], abs=1e-3)


def test_no_pair_when_time_sector_place_or_organisation_differ(ws, builder):
    base = dict(sectors=[("15240", 100)], locations=[P1], start="2021-01-01", end="2021-12-31")
    builder.activity("A|1", "US-GOV-1", **base)
    builder.activity("A|2", "US-GOV-1", **base)  # same organisation
    builder.activity("B|1", "XM-DAC-701-8", **{**base, "start": "2022-01-01", "end": "2022-12-31"})  # later
    builder.activity("C|1", "XM-DAC-41114", **{**base, "sectors": [("21020", 100)]})  # other sector
    builder.activity("D|1", "XZ-SYN-NGO-1", **{**base, "locations": [("XZ05", "XZ05-01", 6.75, 30.95)]})  # far
    assert _pairs(ws) == set()


def test_dac3_and_cluster_matches_score_lower_than_dac5(ws, builder):
    builder.activity("A|1", "US-GOV-1", sectors=[("12220", 100)], locations=[P1])
    builder.activity("B|1", "XM-DAC-701-8", sectors=[("12250", 100)], locations=[P1])  # same DAC3 122
    builder.activity("C|1", "XZ-SYN-NGO-1", sectors=[("13020", 100)], locations=[P1])  # 130: Health cluster
    res = find_overlaps(load_ledger(ws)).pairs
    by = {frozenset((r["activity_uid_a"], r["activity_uid_b"])): r for r in res.iter_rows(named=True)}
    assert "same DAC 3-digit category 122" in by[frozenset(("A|1", "B|1"))]["reasons"]
    assert "cluster / sector group Health" in by[frozenset(("A|1", "C|1"))]["reasons"]
    assert by[frozenset(("A|1", "B|1"))]["score"] > by[frozenset(("A|1", "C|1"))]["score"]


def test_points_within_max_km_are_co_located_even_in_different_admin2(ws, builder):
    # 0.1 degree of latitude apart: about 11.1 km
    builder.activity("A|1", "US-GOV-1", sectors=[("14031", 100)], locations=[("XZ01", "XZ01-01", 9.90, 29.70)])
    builder.activity("B|1", "XM-DAC-701-8", sectors=[("14031", 100)], locations=[("XZ01", "XZ01-03", 10.00, 29.70)])
    r = find_overlaps(load_ledger(ws)).pairs.row(0, named=True)
    assert r["spatial"] == "point" and r["distance_km"] == pytest.approx(11.12, abs=0.05)
    assert "11.1 km apart" in r["reasons"]
    assert _pairs(ws, max_km=10.0) == set()


def test_admin1_only_and_country_only_locations(ws, builder):
    builder.activity("A|1", "US-GOV-1", sectors=[("15220", 100)], locations=[P1])
    builder.activity("B|1", "XM-DAC-701-8", sectors=[("15220", 100)], locations=[("XZ01", None, None, None)])
    builder.activity("C|1", "XZ-SYN-NGO-1", sectors=[("15220", 100)], locations=[])
    builder.activity("D|1", "XZ-SYN-UN-1", sectors=[("15220", 100)], locations=[])
    lf = load_ledger(ws)
    res = find_overlaps(lf, show_all=True).pairs
    got = {frozenset((r["activity_uid_a"], r["activity_uid_b"])): r for r in res.iter_rows(named=True)}
    # A-B share admin1 (B is located at admin1 only); C-D have no subnational location: weak evidence;
    # a located activity is not paired with an unlocated one
    assert set(got) == {frozenset(("A|1", "B|1")), frozenset(("C|1", "D|1"))}
    assert got[frozenset(("A|1", "B|1"))]["spatial"] == "admin1"
    assert got[frozenset(("A|1", "B|1"))]["evidence"] == "admin1"
    weak = got[frozenset(("C|1", "D|1"))]
    assert weak["weak_evidence"] and weak["evidence"] == "country" and "weaker evidence" in weak["reasons"]
    # by default a country-only pair with nothing else (no partner, funding chain or similar text) is not listed
    default = find_overlaps(lf)
    assert {frozenset((r["activity_uid_a"], r["activity_uid_b"])) for r in default.pairs.iter_rows(named=True)} == {
        frozenset(("A|1", "B|1"))
    }
    assert any("1 pairs whose only evidence is the same country" in n for n in default.notes)


def test_different_allies_option_and_funding_links_are_not_overlaps(ws, builder):
    base = dict(sectors=[("15220", 100)], locations=[P1])
    builder.activity("A|1", "US-GOV-1", **base, iati_identifier="US-GOV-1-A1")
    builder.activity("A|2", "US-GOV-11", **base)  # same ally, different organisation
    # N records A's money as incoming funds (provider-activity-id): the same money, not an overlap
    builder.activity("N|1", "XZ-SYN-NGO-1", **base, flows=[("1", 2021, "15220", 5.0)], links_to="US-GOV-1-A1")
    assert _pairs(ws) == {frozenset(("A|1", "A|2")), frozenset(("A|2", "N|1"))}
    assert _pairs(ws, different_allies=True) == {frozenset(("A|2", "N|1"))}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40), st.integers(0, 15)), min_size=0, max_size=40),
    st.integers(1, 50),
)
def test_sweep_finds_exactly_the_intersecting_pairs_of_each_block(rows, window):
    block = np.array([r[0] for r in rows], dtype=np.int64)
    start = np.array([r[1] for r in rows], dtype=np.int64)
    end = start + np.array([r[2] for r in rows], dtype=np.int64)
    i, j, truncated = sweep_pairs(block, start, end, max_window=window)
    got = {frozenset((int(a), int(b))) for a, b in zip(i, j, strict=True)}
    want = {
        frozenset((a, b))
        for a, b in itertools.combinations(range(len(rows)), 2)
        if block[a] == block[b] and start[a] <= end[b] and start[b] <= end[a]
    }
    assert got <= want and len(got) == len(i)  # no duplicates, nothing wrong
    if truncated == 0:
        assert got == want


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 30), st.integers(0, 10)), max_size=25),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 30), st.integers(0, 10)), max_size=25),
)
def test_cross_pairs_finds_each_intersecting_pair_between_two_sets_once(left, right):
    def cols(rows):
        b = np.array([r[0] for r in rows], dtype=np.int64)
        s = np.array([r[1] for r in rows], dtype=np.int64)
        return b, s, s + np.array([r[2] for r in rows], dtype=np.int64)

    (bl, sl, el), (br, sr, er) = cols(left), cols(right)
    i, j, truncated = cross_pairs(bl, sl, el, br, sr, er, max_window=1000)
    got = list(zip(i.tolist(), j.tolist(), strict=True))
    want = {
        (a, b)
        for a in range(len(left))
        for b in range(len(right))
        if bl[a] == br[b] and sl[a] <= er[b] and sr[b] <= el[a]
    }
    assert truncated == 0 and len(got) == len(set(got)) and set(got) == want


def test_haversine_one_degree_of_latitude_is_about_111_km():
    # on a sphere of radius 6371.0088 km: pi/180 x R = 111.195 km
    assert _haversine(np.array([0.0]), np.array([30.0]), np.array([1.0]), np.array([30.0]))[0] == pytest.approx(
        111.195, abs=0.01
    )


def test_tfidf_identical_texts_have_cosine_one_and_disjoint_texts_zero():
    x = tfidf_matrix(
        np.arange(4),
        pl.Series(["water points repair", "water points repair", "mobile courts", "police reform training"]),
    )
    sims = np.asarray((x @ x.T).todense())
    assert sims[0, 1] == pytest.approx(1.0) and sims[0, 2] == 0.0 and sims[2, 3] == 0.0


# --------------------------------------------------------------------------- evidence beyond sector, place, time


def _unlocated(builder, uid, publisher, **kw):
    kw.setdefault("sectors", [("15220", 100)])
    return builder.activity(uid, publisher, locations=[], **kw)


def test_a_country_only_pair_is_listed_with_a_shared_implementing_partner(ws, builder):
    _unlocated(builder, "A|1", "US-GOV-1", title="Peace dialogues", orgs=[(4, "XM-DAC-41114", "UNDP", "40")])
    _unlocated(builder, "B|1", "XM-DAC-701-8", title="Community mediation", orgs=[(4, "XM-DAC-41114", "UNDP", "40")])
    _unlocated(builder, "C|1", "GB-GOV-1", title="Radio programmes", orgs=[(4, "XM-DAC-41140", "WFP", "40")])
    res = find_overlaps(load_ledger(ws))
    rows = res.pairs.to_dicts()
    assert [(r["activity_uid_a"], r["activity_uid_b"]) for r in rows] == [("A|1", "B|1")]
    r = rows[0]
    assert r["evidence"] == "country" and r["same_partner"] and "same implementing partner" in r["reasons"]
    # the shared partner adds the link weight: 0.2 x DAC5 + 0.2 x 0.2 (country) + 0.16 x time + 0.24 x text + 0.2
    assert r["score"] == pytest.approx(0.2 + 0.04 + 0.16 + 0.24 * r["text_similarity"] + 0.2, abs=1e-3)


def test_a_category_or_a_redacted_name_is_not_a_shared_partner(ws, builder):
    for uid, pub in (("A|1", "US-GOV-1"), ("B|1", "US-GOV-11")):
        _unlocated(
            builder,
            uid,
            pub,
            orgs=[(4, "XM-DAC-22000", "NGO - United States Other", "22"), (4, "", "Enterprise - Redacted", "70")],
        )
    assert find_overlaps(load_ledger(ws)).pairs.height == 0
    assert find_overlaps(load_ledger(ws), show_all=True).pairs.get_column("same_partner").to_list() == [None]


def test_a_country_only_pair_is_listed_when_both_are_funded_through_the_same_activity(ws, builder):
    _unlocated(builder, "P|1", "XM-DAC-701-2", iati_identifier="XM-DAC-701-2-PARENT", sectors=[("43010", 100)])
    _unlocated(builder, "A|1", "XM-DAC-41114", flows=[("1", 2021, "15220", 5.0)], links_to="XM-DAC-701-2-PARENT")
    _unlocated(builder, "B|1", "XM-DAC-41122", flows=[("1", 2021, "15220", 5.0)], links_to="XM-DAC-701-2-PARENT")
    rows = find_overlaps(load_ledger(ws)).pairs.to_dicts()
    assert [(r["activity_uid_a"], r["activity_uid_b"]) for r in rows] == [("A|1", "B|1")]
    assert rows[0]["shared_funding"] == "XM-DAC-701-2-PARENT" and "both funded through activity" in rows[0]["reasons"]


def test_a_country_only_pair_is_listed_with_similar_titles_in_japanese_too(ws, builder):
    _unlocated(builder, "A|1", "XM-DAC-701-8", title="元戦闘員の社会復帰支援プロジェクト")
    _unlocated(builder, "B|1", "US-GOV-1", title="元戦闘員の社会復帰支援")
    _unlocated(builder, "C|1", "GB-GOV-1", title="学校給食プログラム")
    rows = find_overlaps(load_ledger(ws)).pairs.to_dicts()
    assert [(r["activity_uid_a"], r["activity_uid_b"]) for r in rows] == [("A|1", "B|1")]
    assert rows[0]["text_similarity"] > 0.5 and "similar titles/descriptions" in rows[0]["reasons"]


def test_japanese_text_is_split_into_character_bigrams():
    x = tfidf_matrix(np.arange(3), pl.Series(["社会復帰支援", "社会復帰支援", "学校給食"]), max_df=1.0)
    sim = (x @ x.T).toarray()
    assert sim[0, 1] == pytest.approx(1.0) and sim[0, 2] == pytest.approx(0.0)
    assert x.shape[1] == 5 + 3  # 社会 会復 復帰 帰支 支援 + 学校 校給 給食


def test_records_of_one_grant_are_collapsed_into_one_pair(ws, builder):
    title = "Bureau of African Affairs - Joint Monitoring and Evaluation Commission"
    for k in range(6):  # one award split into six records, as the State Department publishes it
        builder.activity(f"US-GOV-11|R{k}", "US-GOV-11", iati_identifier=f"US-GOV-11-19AQMM18F4535-24336{k}",
                         title=title, sectors=[("15220", 100)], locations=[P1])
    builder.activity("XM-DAC-701-8|J", "XM-DAC-701-8", title="Ceasefire monitoring support", sectors=[("15220", 100)],
                     locations=[P1])
    res = find_overlaps(load_ledger(ws))
    assert res.pairs.height == 1
    r = res.pairs.row(0, named=True)
    assert r["grant_pairs"] == 6 and "best of 6 pairs of records of the same two grants" in r["reasons"]
    assert any("5 pairs of records of split grants" in n for n in res.notes)


def test_score_and_rank_do_not_change_with_a_country_filter(ws, builder):
    builder.activity("A|1", "US-GOV-1", title="Police training in Kaltara", sectors=[("15210", 100)],
                     locations=[P1])
    builder.activity("B|1", "XM-DAC-701-8", title="Community police training", sectors=[("15210", 100)],
                     locations=[P1])
    for k in range(5):  # another country's activities change the document frequencies of the whole ledger
        builder.activity(f"F|{k}", "GB-GOV-1", title=f"Police training programme {k}", sectors=[("15210", 100)],
                         locations=[("FR01", "FR01-01", None, None)], country="FR")
    lf = load_ledger(ws)
    everywhere = find_overlaps(lf).pairs.filter(pl.col("country") == "XZ")
    only_xz = find_overlaps(lf, country="xz").pairs
    assert only_xz.height == everywhere.height == 1
    assert only_xz.row(0, named=True)["score"] == everywhere.row(0, named=True)["score"]
    assert only_xz.row(0, named=True)["rank"] == everywhere.row(0, named=True)["rank"]
