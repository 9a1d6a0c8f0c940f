"""The AF (2011) worked example (measurement.md §1.4): 4 persons × 4 indicators, equal weights.

Achievements y and cut-offs z = (13, 12, 3, 1); deprived iff y < z. Alkire & Foster (2011),
"Counting and multidimensional poverty measurement", J. Public Econ. 95:476–487.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from kizuna.measure.af import AFData, Grouping, estimate, identify, subgroup_table
from kizuna.measure.design import make_design

Y = np.array([[13.1, 14, 4, 1], [15.2, 7, 5, 0], [12.5, 10, 1, 0], [20, 11, 3, 1]])
Z = np.array([13, 12, 3, 1])
G0 = (Y < Z).astype(float)
IND = ["income", "education", "health", "housing"]
W = np.full(4, 0.25)
EXACT = 1e-15


def _est(k_list, groupings=()):
    data = AFData(G0, IND, W, make_design(n=4), groupings=list(groupings))
    return estimate(data, k_list).table


def _b(t: pl.DataFrame, k: float, measure: str, indicator=None, group_var="all", group="all") -> float:
    f = t.filter(
        (pl.col("k") == k)
        & (pl.col("measure") == measure)
        & (pl.col("group_var") == group_var)
        & (pl.col("group") == group)
    )
    f = f.filter(pl.col("indicator").is_null()) if indicator is None else f.filter(pl.col("indicator") == indicator)
    assert f.height == 1
    return f["b"][0]


def test_deprivation_matrix_and_counts_are_the_papers():
    assert G0.tolist() == [[0, 0, 0, 0], [0, 1, 0, 1], [1, 1, 1, 1], [0, 1, 0, 0]]
    assert (G0.sum(axis=1)).tolist() == [0, 2, 4, 1]


def test_k_2_of_4_gives_h_half_a_three_quarters_m0_0375():
    t = _est([50])
    # poor: persons 2 (c = 2/4) and 3 (c = 4/4)
    assert _b(t, 50, "H") == pytest.approx(2 / 4, abs=EXACT)
    assert _b(t, 50, "A") == pytest.approx((2 / 4 + 4 / 4) / 2, abs=EXACT)  # 0.75
    assert _b(t, 50, "M0") == pytest.approx(0.375, abs=EXACT)


def test_union_and_intersection():
    t = _est([25, 100])
    # union (k = 1 of 4): persons 2, 3, 4 with c = 2/4, 4/4, 1/4
    assert _b(t, 25, "H") == pytest.approx(3 / 4, abs=EXACT)
    assert _b(t, 25, "A") == pytest.approx((2 / 4 + 1 + 1 / 4) / 3, abs=EXACT)  # 7/12
    assert _b(t, 25, "A") == pytest.approx(7 / 12, abs=EXACT)
    assert _b(t, 25, "M0") == pytest.approx(0.4375, abs=EXACT)
    # intersection (k = 4 of 4): person 3 only
    assert _b(t, 100, "H") == pytest.approx(0.25, abs=EXACT)
    assert _b(t, 100, "A") == pytest.approx(1.0, abs=EXACT)
    assert _b(t, 100, "M0") == pytest.approx(0.25, abs=EXACT)


def test_headcounts_and_contributions_at_k_50():
    t = _est([50])
    # uncensored headcounts: column means of G0
    hd = {"income": 1 / 4, "education": 3 / 4, "health": 1 / 4, "housing": 2 / 4}
    # censored at k = 50 (rows of persons 2 and 3 kept): [0,1,0,1] + [1,1,1,1]
    hdk = {"income": 1 / 4, "education": 2 / 4, "health": 1 / 4, "housing": 2 / 4}
    for ind in IND:
        assert _b(t, 50, "hd", ind) == pytest.approx(hd[ind], abs=EXACT)
        assert _b(t, 50, "hdk", ind) == pytest.approx(hdk[ind], abs=EXACT)
        # actb = w·hdk; pctb = w·hdk / M0 with M0 = 0.375 = 6/16
        assert _b(t, 50, "actb", ind) == pytest.approx(0.25 * hdk[ind], abs=EXACT)
        assert _b(t, 50, "pctb", ind) == pytest.approx(0.25 * hdk[ind] / 0.375, abs=EXACT)
    assert _b(t, 50, "pctb", "education") == pytest.approx(2 / 6, abs=EXACT)
    assert _b(t, 50, "pctb", "income") == pytest.approx(1 / 6, abs=EXACT)
    assert sum(_b(t, 50, "actb", i) for i in IND) == pytest.approx(0.375, abs=EXACT)


def test_subgroup_split_of_our_own():
    # group "a" = persons 1, 3, 4 (c = 0, 1, 1/4); group "b" = person 2 (c = 1/2)
    g = Grouping("split", np.array([0, 1, 0, 0]), ["a", "b"])
    t = _est([50], [g])
    # k = 50: in a only person 3 is poor: H_a = 1/3, M0_a = (0 + 1 + 0)/3 = 1/3, A_a = 1
    assert _b(t, 50, "H", group_var="split", group="a") == pytest.approx(1 / 3, abs=EXACT)
    assert _b(t, 50, "M0", group_var="split", group="a") == pytest.approx(1 / 3, abs=EXACT)
    assert _b(t, 50, "A", group_var="split", group="a") == pytest.approx(1.0, abs=EXACT)
    # in b person 2 is poor with c = 1/2: H_b = 1, M0_b = 1/2, A_b = 1/2
    assert _b(t, 50, "H", group_var="split", group="b") == pytest.approx(1.0, abs=EXACT)
    assert _b(t, 50, "M0", group_var="split", group="b") == pytest.approx(0.5, abs=EXACT)
    assert _b(t, 50, "A", group_var="split", group="b") == pytest.approx(0.5, abs=EXACT)
    # censored headcount of education in a: person 3 only -> 1/3; pctb_a(education) = (1/4·1/3)/(1/3)
    assert _b(t, 50, "hdk", "education", "split", "a") == pytest.approx(1 / 3, abs=EXACT)
    assert _b(t, 50, "pctb", "education", "split", "a") == pytest.approx(0.25, abs=EXACT)
    sub = subgroup_table(t, 50).sort("group")
    # population shares 3/4 and 1/4; 3/4·1/3 + 1/4·1/2 = 1/4 + 1/8 = 0.375 = M0
    assert sub["pop_share"].to_list() == pytest.approx([3 / 4, 1 / 4], abs=EXACT)
    assert (sub["pop_share"] * sub["M0"]).sum() == pytest.approx(0.375, abs=EXACT)
    # contributions: (1/4)/0.375 = 2/3 and (1/8)/0.375 = 1/3
    assert sub["contribution"].to_list() == pytest.approx([2 / 3, 1 / 3], abs=EXACT)


def test_k_is_compared_with_a_tolerance_for_float_sums_of_weights():
    # ten indicators at 0.1: eight deprivations summed in floats give 0.7999999999999999, and
    # 5 × 1/6 gives 0.8333333333333333 < 5/6; both must still meet k = 80 and k = 100·5/6
    c = np.array([sum([0.1] * 8), sum([1 / 6] * 5)])
    assert c[0] < 0.8 and c[1] < 5 / 6
    assert identify(c[:1], 80).tolist() == [True]
    assert identify(c[1:], 100 * 5 / 6).tolist() == [True]
    assert identify(np.array([0.8 - 2e-9]), 80).tolist() == [False]  # beyond the 1e-9 tolerance
    assert identify(np.array([0.8 - 5e-10]), 80).tolist() == [True]  # within it
