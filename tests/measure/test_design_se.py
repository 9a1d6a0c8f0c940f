"""Design-based standard errors: our vectorised linearisation against plain loops written here.

Formula (measurement.md §1.2; Wolter 2007 §6.11): for a domain ratio R = Σ_D w y / Σ_D w x,
z_i = 1[i∈D]·w_i·(y_i − R·x_i) / Σ_D w x; z_hj = Σ_{i∈PSU hj} z_i;
V = Σ_h n_h/(n_h − 1) Σ_j (z_hj − z̄_h)².
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from kizuna.measure.af import AFData, Grouping, estimate
from kizuna.measure.design import logit_ci, make_design, ratio_linearised, standard_errors

# a small stratified, clustered design: 3 strata, 2–3 PSUs each, unequal weights
STRATUM = [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3]
PSU = [10, 10, 11, 11, 11, 20, 20, 21, 22, 22, 22, 30, 30, 31, 31]
WEIGHT = [1.5, 2.0, 1.0, 3.0, 2.5, 1.2, 0.8, 2.2, 1.1, 1.9, 2.4, 3.1, 0.7, 1.6, 2.8]
G0 = np.array(
    [
        [1, 0, 1],
        [0, 0, 0],
        [1, 1, 1],
        [0, 1, 0],
        [1, 1, 0],
        [0, 0, 1],
        [1, 0, 0],
        [1, 1, 1],
        [0, 0, 0],
        [0, 1, 1],
        [1, 0, 1],
        [0, 0, 0],
        [1, 1, 0],
        [0, 1, 1],
        [1, 1, 1],
    ],
    dtype=float,
)
IW = np.array([0.5, 0.25, 0.25])
SEX = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0]


def loop_variance(y, x, domain):
    """Linearised variance of Σ_D w y / Σ_D w x, with plain loops (no numpy)."""
    n = len(y)
    num = sum(WEIGHT[i] * y[i] for i in range(n) if domain[i])
    den = sum(WEIGHT[i] * x[i] for i in range(n) if domain[i])
    r = num / den
    z = [WEIGHT[i] * (y[i] - r * x[i]) / den if domain[i] else 0.0 for i in range(n)]
    psu_total: dict[tuple, float] = {}
    for i in range(n):
        key = (STRATUM[i], PSU[i])
        psu_total[key] = psu_total.get(key, 0.0) + z[i]
    v = 0.0
    for h in sorted(set(STRATUM)):
        totals = [t for (hh, _), t in psu_total.items() if hh == h]
        n_h = len(totals)
        mean = sum(totals) / n_h
        v += n_h / (n_h - 1) * sum((t - mean) ** 2 for t in totals)
    return r, v


def _ours(k: float) -> pl.DataFrame:
    design = make_design(np.array(WEIGHT), np.array(STRATUM), np.array(PSU))
    data = AFData(G0, ["a", "b", "c"], IW, design, groupings=[Grouping("sex", np.array(SEX), ["f", "m"])])
    return estimate(data, [k]).table


def _row(t, measure, indicator=None, group_var="all", group="all"):
    f = t.filter((pl.col("measure") == measure) & (pl.col("group_var") == group_var) & (pl.col("group") == group))
    f = f.filter(pl.col("indicator").is_null()) if indicator is None else f.filter(pl.col("indicator") == indicator)
    return f.row(0, named=True)


@pytest.mark.parametrize("group", [None, "f", "m"])
def test_af_measures_match_loop_linearisation_to_1e_12(group):
    k = 50
    t = _ours(k)
    n = len(WEIGHT)
    c = [sum(IW[j] * G0[i, j] for j in range(3)) for i in range(n)]
    poor = [1.0 if c[i] >= k / 100 - 1e-9 else 0.0 for i in range(n)]
    ck = [c[i] * poor[i] for i in range(n)]
    dom = [True] * n if group is None else [("f", "m")[SEX[i]] == group for i in range(n)]
    gv, gl = ("all", "all") if group is None else ("sex", group)
    ones = [1.0] * n
    cases = {
        ("H", None): (poor, ones),
        ("M0", None): (ck, ones),
        ("A", None): (ck, poor),
    }
    for j, ind in enumerate("abc"):
        gj = [G0[i, j] for i in range(n)]
        cases[("hd", ind)] = (gj, ones)
        cases[("hdk", ind)] = ([gj[i] * poor[i] for i in range(n)], ones)
        cases[("pctb", ind)] = ([IW[j] * gj[i] * poor[i] for i in range(n)], ck)
    for (measure, ind), (y, x) in cases.items():
        r, v = loop_variance(y, x, dom)
        row = _row(t, measure, ind, gv, gl)
        assert row["b"] == pytest.approx(r, abs=1e-12), (measure, ind)
        assert row["se"] == pytest.approx(math.sqrt(v), abs=1e-12), (measure, ind)
    # actb = w_j·hdk_j: its SE is w_j times that of hdk_j
    r, v = loop_variance([G0[i, 1] * poor[i] for i in range(n)], ones, dom)
    assert _row(t, "actb", "b", gv, gl)["se"] == pytest.approx(IW[1] * math.sqrt(v), abs=1e-12)


def test_degrees_of_freedom_and_logit_ci():
    design = make_design(np.array(WEIGHT), np.array(STRATUM), np.array(PSU))
    assert design.n_psu == 7 and design.n_strata == 3 and design.df == 4
    t = _ours(50)
    row = _row(t, "H")
    tq = stats.t.ppf(0.975, 4)
    b, se = row["b"], row["se"]
    eta = math.log(b / (1 - b))
    half = tq * se / (b * (1 - b))
    assert row["lo"] == pytest.approx(1 / (1 + math.exp(-(eta - half))), abs=1e-14)
    assert row["hi"] == pytest.approx(1 / (1 + math.exp(-(eta + half))), abs=1e-14)


def test_srs_equal_weights_gives_textbook_se_of_a_mean():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 57).astype(float)
    design = make_design(n=57)  # one stratum, each row its own PSU, weights 1
    r, z = ratio_linearised(design, y, np.ones(57))
    se = standard_errors(design, z)[0]
    assert r[0] == pytest.approx(y.mean(), abs=1e-15)
    assert se == pytest.approx(y.std(ddof=1) / math.sqrt(57), abs=1e-14)
    # and through the AF engine with a single indicator (H = hd = the mean of y)
    data = AFData(y[:, None], ["y"], np.array([1.0]), design)
    t = estimate(data, [100]).table
    assert _row(t, "H")["se"] == pytest.approx(y.std(ddof=1) / math.sqrt(57), abs=1e-14)


def test_lonely_psu_centered_and_certainty():
    # stratum 2 has a single PSU
    strata = np.array([1, 1, 1, 2, 2])
    psu = np.array([1, 2, 2, 3, 3])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    for rule in ("centered", "certainty"):
        d = make_design(None, strata, psu, lonely_psu=rule)
        r, z = ratio_linearised(d, y, np.ones(5))
        zi = (y - r[0]) / 5
        t = [zi[0], zi[1] + zi[2], zi[3] + zi[4]]  # PSU totals
        v = 2 / 1 * ((t[0] - (t[0] + t[1]) / 2) ** 2 + (t[1] - (t[0] + t[1]) / 2) ** 2)
        if rule == "centered":  # Stata singleunit(centered): deviation from the grand mean of PSU totals
            v += (t[2] - sum(t) / 3) ** 2
        assert standard_errors(d, z)[0] == pytest.approx(math.sqrt(v), abs=1e-15)


def test_lonely_psu_fail_is_an_error():
    from kizuna.errors import InputError

    with pytest.raises(InputError) as e:
        make_design(None, np.array([1, 1, 2]), np.array([1, 2, 3]), lonely_psu="fail")
    assert e.value.code == "measure.lonely_psu"


def test_bad_weights_are_errors_naming_rows():
    from kizuna.errors import InputError

    with pytest.raises(InputError) as e:
        make_design(np.array([1.0, 0.0, -1.0, np.nan]))
    assert e.value.code == "measure.bad_weight"
    assert "rows 2, 3, 4" in (e.value.hint_text() or "")


def test_logit_ci_at_the_bounds_is_degenerate():
    lo, hi = logit_ci(np.array([0.0, 1.0]), np.array([0.0, 0.0]), 10)
    assert lo.tolist() == [0.0, 1.0] and hi.tolist() == [0.0, 1.0]


def test_change_over_time_se_is_the_linearised_difference_on_the_pooled_design():
    # rounds share PSUs here, so their covariance matters: V(b2 − b1) uses z2 − z1 PSU by PSU
    rounds = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]
    n = len(WEIGHT)
    design = make_design(np.array(WEIGHT), np.array(STRATUM), np.array(PSU))
    data = AFData(
        G0,
        ["a", "b", "c"],
        IW,
        design,
        rounds=Grouping("t", np.array(rounds), ["1", "2"]),
        years={"1": 2010.0, "2": 2014.0},
    )
    ch = estimate(data, [50]).changes
    c = [sum(IW[j] * G0[i, j] for j in range(3)) for i in range(n)]
    poor = [1.0 if c[i] >= 0.5 - 1e-9 else 0.0 for i in range(n)]
    # H per round and the z of each, by loops
    zs, bs = [], []
    for rr in (0, 1):
        dom = [rounds[i] == rr for i in range(n)]
        den = sum(WEIGHT[i] for i in range(n) if dom[i])
        b = sum(WEIGHT[i] * poor[i] for i in range(n) if dom[i]) / den
        zs.append([WEIGHT[i] * (poor[i] - b) / den if dom[i] else 0.0 for i in range(n)])
        bs.append(b)

    def var_of(zz):
        totals: dict[tuple, float] = {}
        for i in range(n):
            totals[(STRATUM[i], PSU[i])] = totals.get((STRATUM[i], PSU[i]), 0.0) + zz[i]
        v = 0.0
        for h in set(STRATUM):
            ts = [t for (hh, _), t in totals.items() if hh == h]
            m = sum(ts) / len(ts)
            v += len(ts) / (len(ts) - 1) * sum((t - m) ** 2 for t in ts)
        return v

    v = var_of([zs[1][i] - zs[0][i] for i in range(n)])
    # relative change 100·(b2/b1 − 1): delta method, z = 100·(z2/b1 − b2·z1/b1²)
    v_rel = var_of([100 * (zs[1][i] / bs[0] - bs[1] * zs[0][i] / bs[0] ** 2) for i in range(n)])
    # annualised: 100·((b2/b1)^(1/4) − 1), derivative (1/4)·(b2/b1)^(−3/4) times that of b2/b1
    d_ann = 0.25 * (bs[1] / bs[0]) ** (-0.75)
    v_rel_ann = var_of([100 * d_ann * (zs[1][i] / bs[0] - bs[1] * zs[0][i] / bs[0] ** 2) for i in range(n)])
    row = ch.filter((pl.col("measure") == "H") & (pl.col("group_var") == "all") & (pl.col("change") == "abs"))
    assert row["value"][0] == pytest.approx(bs[1] - bs[0], abs=1e-15)
    assert row["se"][0] == pytest.approx(math.sqrt(v), abs=1e-12)
    ann = ch.filter((pl.col("measure") == "H") & (pl.col("group_var") == "all") & (pl.col("change") == "abs_ann"))
    assert ann["value"][0] == pytest.approx((bs[1] - bs[0]) / 4, abs=1e-15)
    rel = ch.filter((pl.col("measure") == "H") & (pl.col("group_var") == "all") & (pl.col("change") == "rel"))
    assert rel["value"][0] == pytest.approx(100 * (bs[1] / bs[0] - 1), abs=1e-12)
    assert rel["se"][0] == pytest.approx(math.sqrt(v_rel), abs=1e-10)
    rel_ann = ch.filter((pl.col("measure") == "H") & (pl.col("group_var") == "all") & (pl.col("change") == "rel_ann"))
    assert rel_ann["value"][0] == pytest.approx(100 * ((bs[1] / bs[0]) ** (1 / 4) - 1), abs=1e-12)
    assert rel_ann["se"][0] == pytest.approx(math.sqrt(v_rel_ann), abs=1e-10)
    assert ann["se"][0] == pytest.approx(math.sqrt(v) / 4, abs=1e-12)


def test_variance_does_not_depend_on_psu_order():
    from kizuna.measure.design import Design, variance_from_psu_totals

    d = make_design(np.array(WEIGHT), np.array(STRATUM), np.array(PSU))
    assert d.strata_sorted
    perm = np.array([3, 0, 6, 1, 5, 2, 4])  # PSU j becomes PSU perm[j]: strata no longer contiguous
    h = np.empty(d.n_psu, dtype=np.int64)
    h[perm] = d.stratum_of_psu
    shuffled = Design(d.weight, perm[d.psu_code], h, d.n_strata, d.n_psu, d.lonely_psu)
    assert not shuffled.strata_sorted
    y = G0[:, 0]
    w = np.array(WEIGHT)
    _, z = ratio_linearised(d, w * y, w)  # numerators and denominators carry the weights
    _, zs = ratio_linearised(shuffled, w * y, w)
    r, v = loop_variance(list(y), [1.0] * len(y), [True] * len(y))
    assert variance_from_psu_totals(d, z)[0] == pytest.approx(v, abs=1e-15)
    assert variance_from_psu_totals(shuffled, zs)[0] == pytest.approx(v, abs=1e-15)
