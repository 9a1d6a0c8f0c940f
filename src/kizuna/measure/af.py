"""The Alkire–Foster (AF) counting method with design-based inference. Pure numpy; no I/O.

Source: S. Alkire and J. Foster (2011), "Counting and multidimensional poverty measurement",
*Journal of Public Economics* 95:476–487; conventions of OPHI's ``mpitb`` (Suppa 2023, Stata
Journal 23(3):625–657) and ``mpitbR`` (measurement.md §1.1–1.2):

* g0_ij ∈ {0, 1}: person i deprived in indicator j; indicator weights w_j ≥ 0 with Σ w_j = 1.
* Deprivation score c_i = Σ_j w_j g0_ij. Poor iff c_i ≥ k (k in percent as in mpitb, k/100 as a
  share), compared with a tolerance of 1e-9 because the weights are float sums (1/6, 1/18, ...).
* Censoring: c_i(k) = c_i·1[poor], g0_ij(k) = g0_ij·1[poor].
* H = Σ w_s·1[poor] / Σ w_s; A = Σ w_s c_i(k) / Σ w_s 1[poor]; M0 = Σ w_s c_i(k) / Σ w_s = H·A.
* Uncensored headcount hd_j = mean g0_ij; censored headcount hdk_j = mean g0_ij(k);
  absolute contribution actb_j = w_j·hdk_j; percentage contribution pctb_j = w_j·hdk_j / M0.
* Subgroups and rounds are *domains* of the full design; M0 = Σ_l (N_l/N)·M0_l.
* Changes over time (mpitbR ``absolute.change``/``relative.change``): b2 − b1, (b2 − b1)/(y2 − y1),
  100·(b2/b1 − 1), 100·((b2/b1)^(1/(y2 − y1)) − 1); SEs by the delta method on the pooled design.

Every measure is a ratio of two weighted totals, so one sparse product gives the PSU totals of all
numerators and denominators for every domain (round × group) at once (see :mod:`.design`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import scipy.sparse as sp

from kizuna.measure.design import Design, logit_ci, standard_errors, symmetric_ci

K_TOLERANCE = 1e-9

MEASURES = ("M0", "H", "A")
IND_MEASURES = ("hd", "hdk", "actb", "pctb")


def nested_equal_weights(
    dimensions: dict[str, Sequence[str]], dimension_weights: dict[str, float] | None = None
) -> dict[str, float]:
    """Indicator weights: each dimension gets 1/D (or its given weight), shared equally by its indicators.

    Global MPI: three dimensions, health and education indicators 1/6 each, the six living-standard
    indicators 1/18 each (Alkire & Santos 2014, World Development 59:251–274).
    """
    out: dict[str, float] = {}
    n_dim = len(dimensions)
    for dim, inds in dimensions.items():
        dw = (dimension_weights or {}).get(dim, 1.0 / n_dim)
        for ind in inds:
            out[ind] = dw / len(inds)
    return out


def deprivation_scores(g0: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """c_i = Σ_j w_j g0_ij (share of weighted deprivations, 0..1)."""
    return np.asarray(g0, dtype=np.float64) @ np.asarray(weights, dtype=np.float64)


def identify(c: np.ndarray, k_percent: float) -> np.ndarray:
    """Poor iff c_i ≥ k/100, with tolerance 1e-9 for float sums of weights."""
    return c >= k_percent / 100.0 - K_TOLERANCE


@dataclass
class Grouping:
    """A partition of the rows: integer codes 0..G−1 and a label per code."""

    name: str
    codes: np.ndarray
    labels: list[str]


@dataclass
class AFData:
    """Inputs of an AF estimation, after listwise deletion (no missing values left)."""

    g0: np.ndarray  # n × d, 0/1 (float64)
    indicators: list[str]
    weights: np.ndarray  # d, Σ = 1
    design: Design
    rounds: Grouping | None = None
    groupings: list[Grouping] = field(default_factory=list)
    years: dict[str, float] = field(default_factory=dict)  # round label -> year, for annualising


@dataclass
class Estimates:
    """Long table of estimates plus the PSU totals of linearised values, kept for contrasts."""

    table: pl.DataFrame
    z: dict[tuple, np.ndarray]  # (k, group_var, group, measure, indicator, round) -> P vector


ALL = "all"


def _domain_totals(design: Design, dom_codes: np.ndarray, n_dom: int, x: np.ndarray) -> np.ndarray:
    """Weighted PSU totals per domain: an n_dom × P × m array of Σ_{i∈PSU, i∈domain} w_i x_im."""
    p = design.n_psu
    rows = dom_codes * p + design.psu_code
    s = sp.csr_matrix((design.weight, (rows, np.arange(design.n))), shape=(n_dom * p, design.n))
    return np.asarray(s @ x).reshape(n_dom, p, x.shape[1])


def _ratio(tn: np.ndarray, td: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ratio of totals and PSU totals of linearised values; tn, td: n_dom × P × m (td may be m=1)."""
    sn = tn.sum(axis=1)
    sd = td.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = sn / sd
        z = (tn - r[:, None, :] * td) / sd[:, None, :]
    return r, z


def estimate(
    data: AFData,
    k_list: Sequence[float],
    *,
    indicators: bool = True,
    level: float = 0.95,
    keep_z: bool = True,
) -> Estimates:
    """All AF measures with SEs and logit CIs for every k, every round and every subgroup.

    Returns one long table with columns: k, round, group_var, group, measure, indicator, b, se,
    lo, hi, n (unweighted persons in the domain's denominator) and pop (its weighted total).
    ``group_var`` is "all" for the whole population. Measures: M0, H, A and, when ``indicators``,
    hd, hdk, actb and pctb per indicator.
    """
    d = data.g0.shape[1]
    n = data.g0.shape[0]
    des = data.design
    c = deprivation_scores(data.g0, data.weights)
    rounds = data.rounds or Grouping("round", np.zeros(n, dtype=np.int64), [""])
    groupings = [Grouping(ALL, np.zeros(n, dtype=np.int64), [ALL]), *data.groupings]
    rows: list[dict] = []
    zs: dict[tuple, np.ndarray] = {}
    df = des.df
    ones = np.ones((n, 1))
    g0 = data.g0.astype(np.float64, copy=False)
    for grouping in groupings:
        n_g = len(grouping.labels)
        n_r = len(rounds.labels)
        dom = rounds.codes * n_g + grouping.codes
        n_dom = n_g * n_r
        # persons per domain (unweighted) for the report
        n_obs = np.bincount(dom, minlength=n_dom)
        base_x = np.hstack([ones, g0]) if indicators else ones
        base = _domain_totals(des, dom, n_dom, base_x)  # w, w·g0_j
        t_w = base[:, :, :1]
        for k in k_list:
            poor = identify(c, k).astype(np.float64)
            ck = c * poor
            if indicators:
                kx = np.hstack([poor[:, None], ck[:, None], g0 * poor[:, None]])
            else:
                kx = np.column_stack([poor, ck])
            kt = _domain_totals(des, dom, n_dom, kx)
            t_poor, t_ck = kt[:, :, 0:1], kt[:, :, 1:2]
            n_poor = np.bincount(dom, weights=poor, minlength=n_dom).astype(np.int64)
            parts: list[tuple[str, list[str | None], np.ndarray, np.ndarray, str]] = []
            r_h, z_h = _ratio(t_poor, t_w)
            r_m0, z_m0 = _ratio(t_ck, t_w)
            r_a, z_a = _ratio(t_ck, t_poor)
            parts += [
                ("H", [None], r_h, z_h, "all"),
                ("M0", [None], r_m0, z_m0, "all"),
                ("A", [None], r_a, z_a, "poor"),
            ]
            if indicators:
                wv = data.weights[None, :]
                r_hd, z_hd = _ratio(base[:, :, 1:], t_w)
                r_hdk, z_hdk = _ratio(kt[:, :, 2:], t_w)
                r_pc, z_pc = _ratio(kt[:, :, 2:] * wv[:, None, :], t_ck)
                names: list[str | None] = list(data.indicators)
                parts += [
                    ("hd", names, r_hd, z_hd, "all"),
                    ("hdk", names, r_hdk, z_hdk, "all"),
                    ("actb", names, r_hdk * wv, z_hdk * wv[:, None, :], "all"),
                    ("pctb", names, r_pc, z_pc, "poor"),
                ]
            pop_all = t_w.sum(axis=1)[:, 0]
            pop_poor = t_poor.sum(axis=1)[:, 0]
            for measure, inds, r, z, denom in parts:
                m = r.shape[1]
                # variance for every domain × column at once: P × (n_dom·m)
                zz = np.transpose(z, (1, 0, 2)).reshape(des.n_psu, n_dom * m)
                se = standard_errors(des, zz).reshape(n_dom, m)
                if measure in ("hd",) and k != k_list[0]:
                    continue  # k-independent; reported once, at the first k
                lo, hi = logit_ci(r, se, df, level)
                for di in range(n_dom):
                    ri, gi = divmod(di, n_g)
                    rl = rounds.labels[ri]
                    gl = grouping.labels[gi]
                    for j, ind in enumerate(inds):
                        rows.append(
                            {
                                "k": float(k),
                                "round": rl,
                                "group_var": grouping.name,
                                "group": gl,
                                "measure": measure,
                                "indicator": ind,
                                "b": float(r[di, j]),
                                "se": float(se[di, j]),
                                "lo": float(lo[di, j]),
                                "hi": float(hi[di, j]),
                                "n": int(n_obs[di] if denom == "all" else n_poor[di]),
                                "pop": float(pop_all[di] if denom == "all" else pop_poor[di]),
                            }
                        )
                        if keep_z:
                            zs[(float(k), grouping.name, gl, measure, ind, rl)] = z[di, :, j]
    table = pl.DataFrame(
        rows,
        schema={
            "k": pl.Float64,
            "round": pl.String,
            "group_var": pl.String,
            "group": pl.String,
            "measure": pl.String,
            "indicator": pl.String,
            "b": pl.Float64,
            "se": pl.Float64,
            "lo": pl.Float64,
            "hi": pl.Float64,
            "n": pl.Int64,
            "pop": pl.Float64,
        },
    )
    if data.rounds is None:
        table = table.with_columns(pl.lit(None, dtype=pl.String).alias("round"))
    return Estimates(table, zs)


def subgroup_table(est: pl.DataFrame, k: float) -> pl.DataFrame:
    """Per subgroup: population share, M0, H, A and the group's contribution (N_l/N)·M0_l/M0.

    The shares use weighted counts within the same round; Σ_l share_l·M0_l = M0 (AF 2011 §4.1).
    """
    e = est.filter((pl.col("k") == k) & pl.col("measure").is_in(list(MEASURES)))
    wide = e.pivot(on="measure", index=["round", "group_var", "group"], values="b")
    pops = e.filter(pl.col("measure") == "M0").select("round", "group_var", "group", "pop")
    wide = wide.join(pops, on=["round", "group_var", "group"], how="left", nulls_equal=True)
    total = wide.filter(pl.col("group_var") == ALL).select(
        "round", pl.col("pop").alias("pop_total"), pl.col("M0").alias("M0_total")
    )
    sub = wide.filter((pl.col("group_var") != ALL) & (pl.col("pop") > 0)).join(
        total, on="round", how="left", nulls_equal=True
    )
    return (
        sub.with_columns(
            (pl.col("pop") / pl.col("pop_total")).alias("pop_share"),
        )
        .with_columns(
            (pl.col("pop_share") * pl.col("M0") / pl.col("M0_total")).alias("contribution"),
        )
        .select("round", "group_var", "group", "pop", "pop_share", "M0", "H", "A", "contribution")
        .sort("round", "group_var", "group", nulls_last=True)
    )


def changes(
    est: Estimates, data: AFData, *, measures: Sequence[str] = ("M0", "H", "A", "hdk"), level: float = 0.95
) -> pl.DataFrame:
    """Changes between consecutive rounds for each k, group and measure, with delta-method SEs.

    abs = b2 − b1; abs_ann = (b2 − b1)/(y2 − y1); rel = 100·(b2/b1 − 1);
    rel_ann = 100·((b2/b1)^(1/(y2 − y1)) − 1) (mpitbR R/absolute.change.R, R/relative.change.R).
    The linearised change of two domain estimates on the pooled design is z2 − z1 (PSU by PSU), so
    the covariance of rounds that share PSUs is accounted for. CIs: b ± t_{df}·se.
    """
    if data.rounds is None or len(data.rounds.labels) < 2:
        return pl.DataFrame()
    labels = data.rounds.labels
    df = data.design.df
    t = est.table.filter(pl.col("measure").is_in(list(measures)))
    index = {
        (r["k"], r["group_var"], r["group"], r["measure"], r["indicator"], r["round"]): r["b"]
        for r in t.iter_rows(named=True)
    }
    out: list[dict] = []
    for key, b1 in index.items():
        k, gv, g, m, ind, r1 = key
        i = labels.index(r1)
        if i + 1 >= len(labels):
            continue
        r2 = labels[i + 1]
        b2 = index.get((k, gv, g, m, ind, r2))
        if b2 is None:
            continue
        z1 = est.z[(k, gv, g, m, ind, r1)]
        z2 = est.z[(k, gv, g, m, ind, r2)]
        y1, y2 = data.years.get(r1), data.years.get(r2)
        dy = (y2 - y1) if (y1 is not None and y2 is not None) else None
        ratio = b2 / b1 if b1 else float("nan")
        cols = {
            "abs": (b2 - b1, z2 - z1),
            "rel": (100 * (ratio - 1), 100 * (z2 / b1 - b2 * z1 / b1**2) if b1 else z1 * np.nan),
        }
        if dy:
            cols["abs_ann"] = (cols["abs"][0] / dy, cols["abs"][1] / dy)
            g_ = ratio ** (1 / dy) if ratio > 0 else float("nan")
            deriv = (1 / dy) * ratio ** (1 / dy - 1) if ratio > 0 else float("nan")
            cols["rel_ann"] = (100 * (g_ - 1), deriv * cols["rel"][1])
        for kind, (val, z) in cols.items():
            se = float(standard_errors(data.design, z[:, None])[0])
            lo, hi = symmetric_ci(np.array([val]), np.array([se]), df, level)
            out.append(
                {
                    "k": k,
                    "group_var": gv,
                    "group": g,
                    "measure": m,
                    "indicator": ind,
                    "from_round": r1,
                    "to_round": r2,
                    "years": dy,
                    "change": kind,
                    "b1": b1,
                    "b2": b2,
                    "value": float(val),
                    "se": se,
                    "lo": float(lo[0]),
                    "hi": float(hi[0]),
                }
            )
    return pl.DataFrame(
        out,
        schema={
            "k": pl.Float64,
            "group_var": pl.String,
            "group": pl.String,
            "measure": pl.String,
            "indicator": pl.String,
            "from_round": pl.String,
            "to_round": pl.String,
            "years": pl.Float64,
            "change": pl.String,
            "b1": pl.Float64,
            "b2": pl.Float64,
            "value": pl.Float64,
            "se": pl.Float64,
            "lo": pl.Float64,
            "hi": pl.Float64,
        },
    )
