"""Properties of the AF measures that hold for any data (hypothesis): M0 = H·A; percentage
contributions sum to 1; M0 is the population-share-weighted sum of subgroup M0 (AF 2011 §4.1,
subgroup decomposability); H and M0 never increase as k rises; integer weights act as copies."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kizuna.measure.af import AFData, Grouping, estimate, subgroup_table
from kizuna.measure.design import make_design


@st.composite
def surveys(draw):
    n = draw(st.integers(2, 40))
    d = draw(st.integers(1, 6))
    g0 = draw(arrays(np.int8, (n, d), elements=st.integers(0, 1))).astype(float)
    raw_w = draw(arrays(np.float64, d, elements=st.floats(0.05, 1.0)))
    iw = raw_w / raw_w.sum()
    sw = draw(arrays(np.float64, n, elements=st.floats(0.1, 10.0)))
    groups = draw(arrays(np.int64, n, elements=st.integers(0, 2)))
    strata = draw(arrays(np.int64, n, elements=st.integers(0, 2)))
    k = draw(st.floats(1.0, 100.0))
    return g0, iw, sw, groups, strata, k


def _table(g0, iw, sw, groups, strata, ks):
    labels = [str(i) for i in range(int(groups.max()) + 1)]
    design = make_design(sw, strata, None)
    data = AFData(g0, [f"i{j}" for j in range(g0.shape[1])], iw, design, groupings=[Grouping("g", groups, labels)])
    return estimate(data, ks).table


def _get(t, k, m, gv="all"):
    return t.filter((pl.col("k") == k) & (pl.col("measure") == m) & (pl.col("group_var") == gv))


@settings(max_examples=60, deadline=None)
@given(surveys())
def test_m0_is_h_times_a_and_contributions_sum_to_one(s):
    g0, iw, sw, groups, strata, k = s
    t = _table(g0, iw, sw, groups, strata, [k])
    h, a, m0 = (_get(t, k, m)["b"][0] for m in ("H", "A", "M0"))
    if h > 0:
        assert m0 == pytest.approx(h * a, rel=1e-12, abs=1e-15)
        assert _get(t, k, "pctb")["b"].sum() == pytest.approx(1.0, abs=1e-12)
        assert _get(t, k, "actb")["b"].sum() == pytest.approx(m0, abs=1e-12)
    else:
        assert m0 == 0.0


@settings(max_examples=60, deadline=None)
@given(surveys())
def test_m0_is_the_share_weighted_sum_of_subgroup_m0(s):
    g0, iw, sw, groups, strata, k = s
    t = _table(g0, iw, sw, groups, strata, [k])
    sub = subgroup_table(t, k)
    m0 = _get(t, k, "M0")["b"][0]
    assert sub["pop_share"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (sub["pop_share"] * sub["M0"]).sum() == pytest.approx(m0, abs=1e-12)
    if m0 > 0:
        assert sub["contribution"].sum() == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(surveys(), st.lists(st.floats(1.0, 100.0), min_size=2, max_size=6, unique=True))
def test_h_and_m0_never_increase_as_k_rises(s, ks):
    g0, iw, sw, groups, strata, _ = s
    ks = sorted(ks)
    t = _table(g0, iw, sw, groups, strata, ks)
    for m in ("H", "M0"):
        vals = [_get(t, k, m)["b"][0] for k in ks]
        assert all(b <= a + 1e-15 for a, b in zip(vals, vals[1:], strict=False)), (m, vals)


@settings(max_examples=30, deadline=None)
@given(surveys())
def test_integer_weights_act_as_copies_of_rows(s):
    g0, iw, _, groups, strata, k = s
    reps = (np.arange(g0.shape[0]) % 3) + 1
    t_w = _table(g0, iw, reps.astype(float), groups, np.zeros_like(strata), [k])
    t_c = _table(
        np.repeat(g0, reps, axis=0),
        iw,
        np.ones(int(reps.sum())),
        np.repeat(groups, reps),
        np.zeros(int(reps.sum()), dtype=np.int64),
        [k],
    )
    for m in ("H", "A", "M0"):
        a, b = _get(t_w, k, m)["b"][0], _get(t_c, k, m)["b"][0]
        assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(surveys())
def test_chunked_domains_give_the_same_estimates_and_changes(s):
    g0, iw, sw, groups, strata, k = s
    n = g0.shape[0]
    rounds = Grouping("t", (np.arange(n) % 2).astype(np.int64), ["1", "2"])
    design = make_design(sw, strata, None)
    data = AFData(
        g0,
        [f"i{j}" for j in range(g0.shape[1])],
        iw,
        design,
        rounds=rounds,
        groupings=[Grouping("g", groups, ["0", "1", "2"])],
        years={"1": 2000.0, "2": 2004.0},
    )
    whole = estimate(data, [k])
    chunked = estimate(data, [k], chunk_cells=1)  # one group per chunk
    key = ["k", "round", "group_var", "group", "measure", "indicator"]
    a, b = whole.table.sort(key, nulls_last=True), chunked.table.sort(key, nulls_last=True)
    assert a.select(key).equals(b.select(key))
    for col in ("b", "se", "lo", "hi"):
        x, y = a[col].to_numpy(), b[col].to_numpy()
        assert np.allclose(x, y, rtol=0, atol=1e-13, equal_nan=True), col
    assert a["n"].to_list() == b["n"].to_list()
    ck = ["group_var", "group", "measure", "indicator", "change"]
    ca, cb = whole.changes.sort(ck, nulls_last=True), chunked.changes.sort(ck, nulls_last=True)
    assert ca.height == cb.height > 0
    assert np.allclose(ca["se"].to_numpy(), cb["se"].to_numpy(), atol=1e-13, equal_nan=True)
