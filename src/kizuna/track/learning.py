"""Training evaluation statistics (Kirkpatrick levels 2 and 4): pre/post tests, the test's own quality, and
difference-in-differences for unit-level results.

Pure functions on numbers (no I/O). Each returns a frozen dataclass (or a polars frame per item) whose fields
carry their units in the docstrings. Sources of every formula are cited where it is defined.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import optimize, stats

from kizuna.errors import InputError, Where
from kizuna.i18n import N_
from kizuna.track.survival import _as_float


def _finite(arr: np.ndarray, name: str) -> np.ndarray:
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.argmax(bad)) + 1
        raise InputError(
            "track.missing_score",
            N_("{name} has a missing or non-finite value (person {row})"),
            Where(row=row, field=name),
            hint=N_("analyse complete pairs only: drop people without both scores"),
            params={"name": name, "row": row},
        )
    return arr


def _pairs(pre: Any, post: Any, minimum: int = 2) -> tuple[np.ndarray, np.ndarray]:
    a = _finite(_as_float(pre, "pre"), "pre")
    b = _finite(_as_float(post, "post"), "post")
    if a.size != b.size:
        raise InputError(
            "track.unpaired",
            N_("pre and post must have one score per person ({n} pre, {m} post)"),
            Where(field="post"),
            hint=N_("pair each person's scores in the same order"),
            params={"n": int(a.size), "m": int(b.size)},
        )
    if a.size < minimum:
        raise InputError(
            "track.too_few",
            N_("at least {n} people are needed"),
            Where(field="pre"),
            params={"n": minimum},
        )
    return a, b


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise InputError(
            "track.bad_alpha",
            N_("alpha must be between 0 and 1"),
            Where(field="alpha"),
            hint=N_("use 0.05 for 95% intervals"),
        )


def _no_spread() -> InputError:
    return InputError(
        "track.no_spread",
        N_("every person changed by the same amount, so there is no spread to test against"),
        Where(field="post"),
        hint=N_("report the change itself; a test or effect size needs differences that vary"),
    )


@dataclass(frozen=True)
class PairedT:
    """Paired t-test of post - pre: mean difference (score points), its SE, t, df, two-sided p and CI."""

    n: int
    mean_diff: float
    se: float
    t: float
    df: int
    p: float
    lo: float
    hi: float


def paired_t(pre: Any, post: Any, *, alpha: float = 0.05) -> PairedT:
    """Student's paired t-test on d = post - pre (Student 1908): t = mean(d) / (sd(d) / sqrt(n)), df = n - 1.

    The (1 - alpha) CI is mean(d) -/+ t_{1 - alpha/2, n - 1} * SE. Agrees with ``scipy.stats.ttest_rel(post, pre)``.
    """
    _check_alpha(alpha)
    a, b = _pairs(pre, post)
    d = b - a
    n = d.size
    sd = float(np.std(d, ddof=1))
    if sd == 0:
        raise _no_spread()
    mean = float(d.mean())
    se = sd / float(np.sqrt(n))
    t = mean / se
    df = n - 1
    q = float(stats.t.ppf(1 - alpha / 2, df))
    return PairedT(n, mean, se, t, df, float(2 * stats.t.sf(abs(t), df)), mean - q * se, mean + q * se)


@dataclass(frozen=True)
class Wilcoxon:
    """Wilcoxon signed-rank test of post - pre.

    ``statistic`` is min(W+, W-) (scipy's two-sided statistic), ``w_plus`` the rank sum of positive changes,
    ``n`` the non-zero differences used, ``zeros`` the dropped zero differences, ``method`` how p was found:
    "exact", "permutation" or "normal".
    """

    statistic: float
    w_plus: float
    n: int
    zeros: int
    p: float
    method: str


def _wilcoxon_pmf(n: int) -> np.ndarray:
    # distribution of W+ under H0 without ties: each rank is positive with probability 1/2
    c = np.ones(1)
    for k in range(1, n + 1):
        prev = c
        c = np.zeros(k * (k + 1) // 2 + 1)
        c[: prev.size] = prev * 0.5
        c[-prev.size :] += prev * 0.5
    return c


def wilcoxon_signed_rank(pre: Any, post: Any) -> Wilcoxon:
    """Wilcoxon (1945) signed-rank test, two-sided, with scipy's default choices (``scipy.stats.wilcoxon``,
    ``zero_method="wilcox"``, ``correction=False``, ``method="auto"``), so results agree with it:

    - zero differences are dropped (Wilcoxon's method) before ranking; tied |differences| get average ranks;
    - with at most 50 pairs and no ties or zeros: the exact null distribution of W+, p = 2 min(P(W+ <= w), P(W+ >= w));
    - with ties or zeros and at most 13 pairs: the exact permutation distribution over all 2^n sign flips;
    - otherwise the normal approximation z = (W+ - n(n+1)/4) / sqrt((n(n+1)(2n+1) - sum(t^3 - t)/2) / 24)
      with the tie correction and no continuity correction (Lehmann 1975, ch. 3).
    """
    a, b = _pairs(pre, post, minimum=1)
    d_all = b - a
    zeros = int((d_all == 0).sum())
    d = d_all[d_all != 0]
    n = d.size
    if n == 0:
        raise _no_spread()
    ranks = stats.rankdata(np.abs(d))
    w_plus = float(ranks[d > 0].sum())
    w_minus = float(ranks[d < 0].sum())
    _, tie_sizes = np.unique(np.abs(d), return_counts=True)
    ties = bool((tie_sizes > 1).any())
    if d_all.size <= 50 and not ties and zeros == 0:
        pmf = _wilcoxon_pmf(n)
        k = int(round(w_plus))
        p = min(1.0, 2 * min(pmf[: k + 1].sum(), pmf[k:].sum()))
        method = "exact"
    elif d_all.size <= 13:
        # every sign pattern of the non-zero ranks (zeros flip to themselves and change no proportion)
        bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
        null = bits @ ranks
        gamma = abs(1e-14 * w_plus)  # scipy's permutation_test compares with this relative tolerance
        p = min(1.0, 2 * min(float(np.mean(null >= w_plus - gamma)), float(np.mean(null <= w_plus + gamma))))
        method = "permutation"
    else:
        mn = n * (n + 1) / 4
        var = (n * (n + 1) * (2 * n + 1) - float((tie_sizes**3 - tie_sizes).sum()) / 2) / 24
        z = (w_plus - mn) / np.sqrt(var)
        p = float(2 * stats.norm.sf(abs(z)))
        method = "normal"
    return Wilcoxon(min(w_plus, w_minus), w_plus, n, zeros, float(p), method)


@dataclass(frozen=True)
class EffectSize:
    """A standardised mean difference with its (1 - alpha) CI and how the CI was found."""

    kind: str
    value: float
    lo: float
    hi: float
    ci_method: str


def _nct_ncp(t: float, df: int, target: float) -> float:
    """The noncentrality at which P(T <= t) = target; the cdf falls as ncp rises, so bracket and bisect.

    The bracket starts a few standard errors of the noncentrality around t (its SE is about
    sqrt(1 + t^2 / 2df)) and widens only as needed: far from t scipy's noncentral t cdf can return NaN
    (``nct.cdf(12.5, 76, -10)``), which a wide first bracket would hit.
    """

    def f(ncp: float) -> float:
        return float(stats.nct.cdf(t, df, ncp)) - target

    step = 3.0 * float(np.sqrt(1.0 + t * t / (2.0 * df)))
    lo, hi = t - step, t + step
    for _ in range(64):
        value = f(lo)
        if np.isnan(value):
            raise ValueError(f"noncentral t cdf undefined at ncp={lo:g} (t={t:g}, df={df})")
        if value >= 0:
            break
        lo -= step
        step *= 2
    step = 3.0 * float(np.sqrt(1.0 + t * t / (2.0 * df)))
    for _ in range(64):
        value = f(hi)
        if np.isnan(value):
            raise ValueError(f"noncentral t cdf undefined at ncp={hi:g} (t={t:g}, df={df})")
        if value <= 0:
            break
        hi += step
        step *= 2
    return float(optimize.brentq(f, lo, hi, xtol=1e-12))


def cohen_dz(pre: Any, post: Any, *, alpha: float = 0.05) -> EffectSize:
    """Cohen's d_z for paired scores: mean(post - pre) / sd(post - pre) = t / sqrt(n) (Lakens 2013, eq. 6).

    CI by inverting the noncentral t distribution of t (Cumming & Finch 2001; Lakens 2013): the noncentrality
    values L, U with P(T >= t | L) = alpha/2 and P(T <= t | U) = alpha/2, divided by sqrt(n).
    """
    _check_alpha(alpha)
    res = paired_t(pre, post, alpha=alpha)
    root_n = float(np.sqrt(res.n))
    lo = _nct_ncp(res.t, res.df, 1 - alpha / 2) / root_n
    hi = _nct_ncp(res.t, res.df, alpha / 2) / root_n
    return EffectSize("d_z", res.t / root_n, lo, hi, "noncentral t")


def hedges_g_rm(pre: Any, post: Any, *, alpha: float = 0.05) -> EffectSize:
    """Hedges' g_rm for paired scores: J * d_rm, d_rm = d_z * sqrt(2 (1 - r)) (Lakens 2013, eq. 9), r the
    pre-post correlation; d_rm is the change in units of the within-person SD, comparable with a
    between-groups d. J = 1 - 3 / (4 df - 1), df = n - 1 (Hedges & Olkin 1985, eq. 5.10; Borenstein et al. 2009,
    eq. 4.22).

    CI by the normal approximation of Borenstein, Hedges, Higgins & Rothstein (2009, Introduction to
    Meta-Analysis, eqs. 4.28 and 4.30): V(d) = (1/n + d^2 / (2n)) * 2 (1 - r), V(g) = J^2 V(d), g -/+ z sqrt(V(g)).
    """
    _check_alpha(alpha)
    a, b = _pairs(pre, post, minimum=3)
    d = b - a
    n = d.size
    sd_d = float(np.std(d, ddof=1))
    if sd_d == 0 or np.std(a) == 0 or np.std(b) == 0:
        raise _no_spread()
    r = float(np.corrcoef(a, b)[0, 1])
    d_rm = float(d.mean()) / sd_d * float(np.sqrt(2 * (1 - r)))
    j = 1 - 3 / (4 * (n - 1) - 1)
    v = j**2 * (1 / n + d_rm**2 / (2 * n)) * 2 * (1 - r)
    z = float(stats.norm.ppf(1 - alpha / 2))
    g = j * d_rm
    half = z * float(np.sqrt(v))
    return EffectSize("g_rm", g, g - half, g + half, "normal (Borenstein et al. 2009)")


@dataclass(frozen=True)
class Gain:
    """Normalised gain: ``class_gain`` Hake's <g> from the class means; ``mean_individual_gain`` the mean of each
    person's g_i over ``n_individual`` people (those who could still improve: pre below the maximum)."""

    class_gain: float
    mean_individual_gain: float | None
    n_individual: int
    pre_mean: float
    post_mean: float
    max_score: float


def normalised_gain(pre: Any, post: Any, *, max_score: float) -> Gain:
    """Hake's (1998) average normalised gain for scores out of ``max_score``:
    <g> = (mean(post) - mean(pre)) / (max_score - mean(pre)), the actual gain over the largest gain possible
    (Hake used class-average percentages: (%post - %pre) / (100 - %pre), the same ratio).
    Also the mean of individual gains g_i = (post_i - pre_i) / (max_score - pre_i) over people with
    pre_i < max_score (g_i is undefined at the ceiling), which differs from <g> in general (Bao 2006).
    """
    a, b = _pairs(pre, post, minimum=1)
    if not (np.isfinite(max_score) and max_score > 0):
        raise InputError(
            "track.bad_max_score",
            N_("the maximum score must be a positive number"),
            Where(field="max_score"),
        )
    for name, arr in (("pre", a), ("post", b)):
        out = (arr < 0) | (arr > max_score)
        if out.any():
            row = int(np.argmax(out)) + 1
            raise InputError(
                "track.score_out_of_range",
                N_("a score is outside 0 to the maximum score {max} (person {row})"),
                Where(row=row, field=name),
                hint=N_("check the maximum score of the test"),
                params={"max": max_score, "row": row},
            )
    pre_mean, post_mean = float(a.mean()), float(b.mean())
    if pre_mean == max_score:
        raise InputError(
            "track.at_ceiling",
            N_("everyone scored the maximum before the training, so no gain is possible"),
            Where(field="pre"),
        )
    room = a < max_score
    gi = (b[room] - a[room]) / (max_score - a[room])
    return Gain(
        (post_mean - pre_mean) / (max_score - pre_mean),
        float(gi.mean()) if gi.size else None,
        int(gi.size),
        pre_mean,
        post_mean,
        float(max_score),
    )


def _items(responses: Any, minimum_items: int = 2) -> np.ndarray:
    try:
        x = np.asarray(responses, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            "track.not_numeric",
            N_("{name} must be numbers"),
            Where(field="responses"),
            hint=N_("give one number per person"),
            params={"name": "responses"},
        ) from None
    if x.ndim != 2 or x.shape[1] < minimum_items or x.shape[0] < 2:
        raise InputError(
            "track.bad_item_matrix",
            N_("item scores must be a table of at least 2 people and {k} items (one row per person)"),
            Where(field="responses"),
            params={"k": minimum_items},
        )
    bad = ~np.isfinite(x)
    if bad.any():
        row = int(np.argwhere(bad)[0, 0]) + 1
        raise InputError(
            "track.missing_item",
            N_("an item score is missing (person {row})"),
            Where(row=row, field="responses"),
            hint=N_("score an unanswered item as 0, or drop the person"),
            params={"row": row},
        )
    return x


def _alpha_of(x: np.ndarray) -> float:
    k = x.shape[1]
    total_var = float(np.var(x.sum(axis=1), ddof=1))
    if total_var == 0:
        return float("nan")
    return k / (k - 1) * (1 - float(np.var(x, axis=0, ddof=1).sum()) / total_var)


def cronbach_alpha(responses: Any) -> float:
    """Cronbach's (1951) alpha = k / (k - 1) * (1 - sum of item variances / variance of total scores).

    ``responses``: one row per person, one column per item (scores). The ratio is the same whichever variance
    divisor is used, as long as it is the same for items and totals; NaN when total scores do not vary.
    """
    return _alpha_of(_items(responses))


def kr20(responses: Any) -> float:
    """Kuder–Richardson (1937) formula 20 for items scored 0/1: k / (k - 1) * (1 - sum p_i q_i / s_X^2), with
    p_i the share correct, q_i = 1 - p_i and s_X^2 the variance of total scores with divisor N (the population
    variance, as p q is). It then equals Cronbach's alpha on the same 0/1 data.
    """
    x = _items(responses)
    if not np.isin(x, (0.0, 1.0)).all():
        row = int(np.argwhere(~np.isin(x, (0.0, 1.0)))[0, 0]) + 1
        raise InputError(
            "track.not_dichotomous",
            N_("KR-20 needs items scored 0 or 1 (person {row})"),
            Where(row=row, field="responses"),
            hint=N_("use Cronbach's alpha for items with more than two scores"),
            params={"row": row},
        )
    k = x.shape[1]
    p = x.mean(axis=0)
    total_var = float(np.var(x.sum(axis=1)))
    if total_var == 0:
        return float("nan")
    return k / (k - 1) * (1 - float((p * (1 - p)).sum()) / total_var)


def item_analysis(responses: Any, *, max_scores: Any = None) -> pl.DataFrame:
    """Classical item analysis of a test: one row per item (``item`` numbered from 1).

    - ``difficulty``: the item p-value, mean score / item maximum (share correct for 0/1 items; higher = easier);
      ``max_scores`` gives each item's maximum (default 1 for every item);
    - ``discrimination``: the corrected item-total (item-rest) correlation, Pearson r of the item with the total
      of the other items (point-biserial for 0/1 items; Crocker & Algina 1986, ch. 14), NaN when either does not vary;
    - ``alpha_if_deleted``: Cronbach's alpha of the other items.
    """
    x = _items(responses, minimum_items=3)
    k = x.shape[1]
    mx = np.ones(k) if max_scores is None else _as_float(max_scores, "max_scores")
    if mx.size != k or not (np.isfinite(mx).all() and (mx > 0).all()):
        raise InputError(
            "track.bad_max_score",
            N_("the maximum score must be a positive number"),
            Where(field="max_scores"),
        )
    total = x.sum(axis=1)
    disc = np.empty(k)
    alpha_del = np.empty(k)
    for i in range(k):
        rest = total - x[:, i]
        if np.std(x[:, i]) == 0 or np.std(rest) == 0:
            disc[i] = np.nan
        else:
            disc[i] = np.corrcoef(x[:, i], rest)[0, 1]
        alpha_del[i] = _alpha_of(np.delete(x, i, axis=1))
    return pl.DataFrame(
        {
            "item": np.arange(1, k + 1),
            "difficulty": x.mean(axis=0) / mx,
            "discrimination": disc,
            "alpha_if_deleted": alpha_del,
        }
    )


@dataclass(frozen=True)
class DiffInDiff:
    """Difference-in-differences estimate (outcome units) with a robust SE, t, df, two-sided p and CI.

    ``means`` holds the four cell means keyed "control_before", "control_after", "treated_before",
    "treated_after"; ``se_type`` is "HC1" or "CR1"; ``clusters`` the number of clusters (None for HC1).
    """

    estimate: float
    se: float
    t: float
    df: int
    p: float
    lo: float
    hi: float
    n: int
    se_type: str
    clusters: int | None
    means: dict[str, float]


def _flag(values: Any, name: str, n: int) -> np.ndarray:
    arr = _finite(_as_float(values, name), name)
    if arr.size != n:
        raise InputError(
            "track.length_mismatch_did",
            N_("outcome, treated, post (and cluster) must have one value per unit and time ({n} outcomes)"),
            Where(field=name),
            params={"n": n},
        )
    if not np.isin(arr, (0.0, 1.0)).all():
        row = int(np.argmax(~np.isin(arr, (0.0, 1.0)))) + 1
        raise InputError(
            "track.not_flag",
            N_("{name} must be 0 or 1 (row {row})"),
            Where(row=row, field=name),
            params={"name": name, "row": row},
        )
    return arr


def diff_in_diff(outcome: Any, treated: Any, post: Any, *, cluster: Any = None, alpha: float = 0.05) -> DiffInDiff:
    """Difference-in-differences by OLS: y = b0 + b1 treated + b2 post + b3 treated*post + e; b3 is the estimate
    (Angrist & Pischke 2009, Mostly Harmless Econometrics, section 5.2), equal to
    (treated after - treated before) - (control after - control before) in cell means.

    SE: without ``cluster``, heteroskedasticity-robust HC1 (White 1980 with the n / (n - k) factor, MacKinnon &
    White 1985), t with n - k df; with ``cluster`` (unit or area ids, repeated over time), cluster-robust CR1 with
    the factor G/(G - 1) * (n - 1)/(n - k) and t with G - 1 df, as Stata's ``regress, vce(cluster)``
    (Angrist & Pischke 2009, section 8.2; Cameron & Miller 2015).
    """
    _check_alpha(alpha)
    y = _finite(_as_float(outcome, "outcome"), "outcome")
    n = y.size
    tr = _flag(treated, "treated", n)
    po = _flag(post, "post", n)
    cells = {
        "control_before": (tr == 0) & (po == 0),
        "control_after": (tr == 0) & (po == 1),
        "treated_before": (tr == 1) & (po == 0),
        "treated_after": (tr == 1) & (po == 1),
    }
    empty = [name for name, mask in cells.items() if not mask.any()]
    if empty:
        raise InputError(
            "track.empty_cell",
            N_("difference-in-differences needs outcomes in all four groups; none for {cell}"),
            Where(field="treated"),
            hint=N_("give outcomes for treated and comparison units, before and after"),
            params={"cell": empty[0]},
        )
    x = np.column_stack([np.ones(n), tr, po, tr * po])
    k = x.shape[1]
    if n <= k:
        raise InputError(
            "track.too_few", N_("at least {n} people are needed"), Where(field="outcome"), params={"n": k + 1}
        )
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ (x.T @ y)
    resid = y - x @ beta
    if cluster is None:
        meat = (x * resid[:, None] ** 2).T @ x
        vcov = xtx_inv @ meat @ xtx_inv * n / (n - k)
        df, se_type, g = n - k, "HC1", None
    else:
        if len(cluster) != n:
            raise InputError(
                "track.length_mismatch_did",
                N_("outcome, treated, post (and cluster) must have one value per unit and time ({n} outcomes)"),
                Where(field="cluster"),
                params={"n": n},
            )
        _, codes = np.unique(np.asarray(cluster), return_inverse=True)
        g = int(codes.max()) + 1
        if g < 2:
            raise InputError(
                "track.one_cluster",
                N_("cluster-robust errors need at least two clusters"),
                Where(field="cluster"),
            )
        scores = np.zeros((g, k))
        np.add.at(scores, codes, x * resid[:, None])
        vcov = xtx_inv @ (scores.T @ scores) @ xtx_inv * g / (g - 1) * (n - 1) / (n - k)
        df, se_type = g - 1, "CR1"
    est = float(beta[3])
    se = float(np.sqrt(vcov[3, 3]))
    t = est / se if se > 0 else float("nan")
    q = float(stats.t.ppf(1 - alpha / 2, df))
    return DiffInDiff(
        est,
        se,
        t,
        df,
        float(2 * stats.t.sf(abs(t), df)),
        est - q * se,
        est + q * se,
        n,
        se_type,
        g,
        {name: float(y[mask].mean()) for name, mask in cells.items()},
    )
