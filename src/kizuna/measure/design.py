"""Design-based variance by Taylor linearisation (PSUs sampled with replacement within strata).

Every AF measure is a weighted mean or a ratio of weighted totals, estimated for a domain of the
*full* design (a subgroup, a round, the poor). For a ratio R = Σ_i a_i / Σ_i b_i, with
a_i = w_i·1[i∈D]·y_i and b_i = w_i·1[i∈D]·x_i, the linearised value of person i is

    z_i = (a_i − R·b_i) / Σ_i b_i

(Woodruff 1971; Wolter, *Introduction to Variance Estimation*, 2nd ed. 2007, §6.11). A domain mean
is the ratio with x_i = 1. The z_i are summed within each PSU, z_hj, and

    V(R) = Σ_h n_h/(n_h − 1) Σ_j (z_hj − z̄_h)²

where n_h is the number of PSUs in stratum h (the "with replacement" estimator of Stata ``svy`` and
R ``survey::svydesign(ids=~psu, strata=~strata, weights=~w)``; measurement.md §1.2). Outside the
domain z_i = 0 but the PSU still counts, so subgroups are domain estimates, never re-designed subsets.

Confidence intervals for proportions use the logit transform with a t quantile on
#PSU − #strata degrees of freedom, as ``survey::svyciprop(method="logit")`` does:
expit(logit(b) ± t·se / (b(1 − b))).

Everything here is vectorised over many estimates at once: the numerators form an n × m matrix and
the PSU totals are one sparse matrix product.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy import stats

from kizuna.errors import InputError, Where
from kizuna.i18n import N_

LONELY_PSU_RULES = ("centered", "certainty", "fail")


@dataclass(frozen=True)
class Design:
    """A complex survey design over n rows.

    ``weight`` are sampling weights (float, > 0); ``stratum_of_psu`` gives, for each of the P PSUs,
    its stratum code 0..H−1; ``psu_matrix`` (built on first use) sums rows into PSUs.
    PSU labels are nested in strata: the same PSU label in two strata is two PSUs.
    """

    weight: np.ndarray
    psu_code: np.ndarray
    stratum_of_psu: np.ndarray
    n_strata: int
    n_psu: int
    lonely_psu: str = "centered"

    @cached_property
    def strata_sorted(self) -> bool:
        """True when PSU codes run stratum by stratum (always so for :func:`make_design`)."""
        h = self.stratum_of_psu
        return bool(np.all(h[1:] >= h[:-1])) and bool(np.all(np.bincount(h, minlength=self.n_strata) > 0))

    @cached_property
    def psu_matrix(self) -> sp.csc_matrix:
        """P × n 0/1 matrix summing rows into PSUs (the transpose of a one-entry-per-row CSR)."""
        n = self.n
        return sp.csr_matrix((np.ones(n), self.psu_code, np.arange(n + 1)), shape=(n, self.n_psu)).T

    @property
    def n(self) -> int:
        return int(self.weight.shape[0])

    @property
    def df(self) -> int:
        """Design degrees of freedom: #PSU − #strata (at least 1)."""
        return max(self.n_psu - self.n_strata, 1)

    def subset(self, keep: np.ndarray) -> Design:
        """The same design restricted to rows ``keep`` (a boolean mask), for listwise deletion.

        Strata and PSUs that lose all their rows disappear; codes are re-numbered.
        """
        strata_of_rows = self.stratum_of_psu[self.psu_code]
        return make_design(
            weight=self.weight[keep],
            strata=strata_of_rows[keep],
            psu=self.psu_code[keep],
            lonely_psu=self.lonely_psu,
        )


def _codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense integer codes 0..U−1 in sorted order of the values, and U.

    Integers with a modest range use a presence table (O(n)); anything else goes through a sort.
    """
    v = np.asarray(values).ravel()
    if v.dtype.kind in "iub" and v.size:
        lo, hi = int(v.min()), int(v.max())
        if hi - lo <= 4 * v.size + 1024:
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[v - lo] = True
            code_of = np.cumsum(present) - 1
            return code_of[v - lo].astype(np.int64), int(present.sum())
    uniq, inv = np.unique(v, return_inverse=True)
    return inv.astype(np.int64).ravel(), int(uniq.shape[0])


def make_design(
    weight: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    psu: np.ndarray | None = None,
    *,
    n: int | None = None,
    lonely_psu: str = "centered",
    file: str | None = None,
) -> Design:
    """Build a :class:`Design` from row-level columns; each is optional.

    No weight means equal weights 1; no strata means one stratum; no PSU means every row is its own
    PSU (simple random sampling with replacement). ``lonely_psu`` says what a stratum with a single
    PSU contributes: ``"centered"`` (Stata ``singleunit(centered)``: deviation from the grand mean of
    PSU totals), ``"certainty"`` (nothing) or ``"fail"`` (an error).
    """
    if lonely_psu not in LONELY_PSU_RULES:
        raise InputError(
            "measure.lonely_psu",
            N_("unknown lonely_psu rule '{lonely_psu}'"),
            Where(file=file, key="design.lonely_psu"),
            hint=N_("allowed: {allowed}"),
            params={"lonely_psu": lonely_psu, "allowed": ', '.join(LONELY_PSU_RULES)},
        )
    if n is None:
        for col in (weight, strata, psu):
            if col is not None:
                n = len(col)
                break
    if n is None:
        raise ValueError("make_design needs n or at least one column")
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
    if w.shape[0] and (not np.all(np.isfinite(w)) or np.any(w <= 0)):
        bad = np.flatnonzero(~np.isfinite(w) | (w <= 0))
        raise InputError(
            "measure.bad_weight",
            N_("{size} weights are missing, zero or negative"),
            Where(file=file, row=int(bad[0]) + 1, field="weight"),
            hint=N_("rows {rows}; weights must be > 0"),
            params={"size": bad.size, "rows": ', '.join(str(int(r) + 1) for r in bad[:10])},
        )
    s_codes, n_strata = (np.zeros(n, dtype=np.int64), 1) if strata is None else _codes(np.asarray(strata))
    if psu is None:
        p_raw = np.arange(n, dtype=np.int64)
    else:
        p_raw, _ = _codes(np.asarray(psu))
    # nest PSUs in strata: (stratum, psu) pairs are the PSUs
    pair = s_codes * (int(p_raw.max()) + 1 if n else 1) + p_raw
    psu_code, n_psu = _codes(pair)
    stratum_of_psu = np.zeros(n_psu, dtype=np.int64)
    stratum_of_psu[psu_code] = s_codes
    design = Design(w, psu_code, stratum_of_psu, n_strata, n_psu, lonely_psu)
    if lonely_psu == "fail":
        counts = np.bincount(stratum_of_psu, minlength=n_strata)
        if np.any(counts == 1):
            h = int(np.flatnonzero(counts == 1)[0])
            raise InputError(
                "measure.lonely_psu",
                N_("{counts} strata have a single PSU (stratum code #{h})"),
                Where(file=file, field="strata"),
                hint=N_('set design.lonely_psu = "centered" or "certainty"'),
                params={"counts": int((counts == 1).sum()), "h": h},
            )
    return design


def psu_totals(design: Design, values: np.ndarray) -> np.ndarray:
    """Sum the rows of ``values`` (n or n × m) within PSUs: a P × m array."""
    v = values.reshape(design.n, -1)
    return np.asarray(design.psu_matrix @ v)


def ratio_linearised(design: Design, num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ratios R_m = Σ num[:, m] / Σ den[:, m] and the PSU totals of their linearised values.

    ``num`` and ``den`` are n × m (``den`` may be n × 1 and is then shared). They already include
    the sampling weight and the domain indicator. Returns (R of shape m, Z of shape P × m), where
    Z[j, m] = Σ_{i∈PSU j} (num_im − R_m·den_im) / Σ_i den_im. A ratio with an empty domain is NaN.
    """
    num = num.reshape(design.n, -1)
    den = den.reshape(design.n, -1)
    tn = psu_totals(design, num)
    td = psu_totals(design, den)
    sn = tn.sum(axis=0)
    sd = td.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = sn / sd
        z = (tn - r * td) / sd
    return r, z


def variance_from_psu_totals(design: Design, z: np.ndarray) -> np.ndarray:
    """V = Σ_h n_h/(n_h − 1) Σ_j (z_hj − z̄_h)² for each column of the P × m matrix ``z``.

    Strata with one PSU follow ``design.lonely_psu``: "centered" measures that PSU's deviation from
    the grand mean of all PSU totals (Stata ``singleunit(centered)``); "certainty" drops it.
    """
    z = z.reshape(design.n_psu, -1)
    h = design.stratum_of_psu
    n_h = np.bincount(h, minlength=design.n_strata).astype(np.float64)
    if design.strata_sorted:
        # PSU codes run stratum by stratum: contiguous blocks, so reduceat replaces scatter-adds
        starts = np.concatenate([[0], np.cumsum(n_h[:-1])]).astype(np.int64)
        sums = np.add.reduceat(z, starts, axis=0)
        dev = z - np.repeat(sums / n_h[:, None], n_h.astype(np.int64), axis=0)
        ss = np.add.reduceat(dev * dev, starts, axis=0)
    else:
        sums = np.zeros((design.n_strata, z.shape[1]))
        np.add.at(sums, h, z)
        dev = z - (sums / n_h[:, None])[h]
        ss = np.zeros_like(sums)
        np.add.at(ss, h, dev * dev)
    multi = n_h > 1
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(multi, n_h / (n_h - 1), 0.0)
    v = (factor[:, None] * ss).sum(axis=0)
    if design.lonely_psu == "centered" and not multi.all():
        lonely = ~multi[h]
        grand = z.mean(axis=0)
        v = v + ((z[lonely] - grand) ** 2).sum(axis=0)
    return v


def standard_errors(design: Design, z: np.ndarray) -> np.ndarray:
    """Standard errors (√V) for the PSU totals of linearised values ``z`` (P × m)."""
    return np.sqrt(variance_from_psu_totals(design, z))


def t_quantile(df: int, level: float = 0.95) -> float:
    """Two-sided t quantile t_{df, 1−(1−level)/2} (scipy.stats.t)."""
    return float(stats.t.ppf(1 - (1 - level) / 2, df))


def logit_ci(b: np.ndarray, se: np.ndarray, df: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Logit-scale CI for proportions in (0, 1): expit(logit(b) ± t·se/(b(1−b))).

    ``survey::svyciprop(method="logit")``. At b = 0 or 1 (or se = 0) the interval is [b, b]: the
    logit is unbounded there and the data show no variation to build an interval from.
    """
    b = np.asarray(b, dtype=np.float64)
    se = np.asarray(se, dtype=np.float64)
    t = t_quantile(df, level)
    lo = b.copy()
    hi = b.copy()
    ok = (b > 0) & (b < 1) & (se > 0) & np.isfinite(se)
    with np.errstate(invalid="ignore", divide="ignore"):
        eta = np.log(b / (1 - b))
        half = t * se / (b * (1 - b))
        lo[ok] = 1 / (1 + np.exp(-(eta[ok] - half[ok])))
        hi[ok] = 1 / (1 + np.exp(-(eta[ok] + half[ok])))
    return lo, hi


def symmetric_ci(b: np.ndarray, se: np.ndarray, df: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """b ± t_{df}·se, for quantities that can be negative (changes over time)."""
    t = t_quantile(df, level)
    return b - t * se, b + t * se
