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
    # score = 0.25 x 1 (DAC5) + 0.25 x 1 (admin2) + 0.20 x 184/365 + 0.30 x text
    assert r["score"] == pytest.approx(0.5 + 0.2 * 184 / 365 + 0.3 * r["text_similarity"], abs=1e-3)


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
    res = find_overlaps(load_ledger(ws)).pairs
    got = {frozenset((r["activity_uid_a"], r["activity_uid_b"])): r for r in res.iter_rows(named=True)}
    # A-B share admin1 (B is located at admin1 only); C-D have no subnational location: weak evidence;
    # a located activity is not paired with an unlocated one
    assert set(got) == {frozenset(("A|1", "B|1")), frozenset(("C|1", "D|1"))}
    assert got[frozenset(("A|1", "B|1"))]["spatial"] == "admin1"
    weak = got[frozenset(("C|1", "D|1"))]
    assert weak["weak_evidence"] and "weaker evidence" in weak["reasons"]


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
