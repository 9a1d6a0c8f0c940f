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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import scipy.sparse as sp

from kizuna.measure.design import Design, logit_ci, standard_errors, symmetric_ci

K_TOLERANCE = 1e-9

MEASURES = ("M0", "H", "A")
IND_MEASURES = ("hd", "hdk", "actb", "pctb")


def nested_equal_weights(
    dimensions: Mapping[str, Sequence[str]], dimension_weights: dict[str, float] | None = None
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
    """Long tables of estimates and of changes between consecutive rounds."""

    table: pl.DataFrame
    changes: pl.DataFrame


CHANGE_MEASURES = ("M0", "H", "A", "hdk")
# dense PSU × domain arrays are processed in chunks of groups of at most this many cells
CHUNK_CELLS = 4_000_000

ALL = "all"


class DomainSums:
    """Weighted PSU totals per domain, Σ_{i∈PSU j, i∈domain d} w_i·x_i, for any column(s) x.

    The summing matrix (n_dom·P rows × n persons, one entry per person) is built as the transpose of
    a matrix with one entry per row, so it needs no sort; dense columns go through one sparse
    product, single columns through ``np.bincount``.
    """

    def __init__(self, design: Design, dom_codes: np.ndarray, n_dom: int, weight: np.ndarray | None = None):
        self.p = design.n_psu
        self.n_dom = n_dom
        self.rows = dom_codes * self.p + design.psu_code
        self.weight = design.weight if weight is None else weight
        self.n = design.n
        self._m = self._summing(self.weight)

    def _summing(self, data: np.ndarray) -> sp.csc_matrix:
        # one entry per person j, in row rows[j]: the CSR of the transpose needs no sorting
        return sp.csr_matrix((data, self.rows, np.arange(self.n + 1)), shape=(self.n, self.n_dom * self.p)).T

    def vector(self, v: np.ndarray | None = None) -> np.ndarray:
        """Totals of one column (None = the weights themselves): n_dom × P × 1."""
        w = self.weight if v is None else self.weight * v
        t = np.bincount(self.rows, weights=w, minlength=self.n_dom * self.p)
        return t.reshape(self.n_dom, self.p, 1)

    def matrix(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Totals of the columns of x (n × m), optionally of the rows where ``mask`` (0/1) is 1."""
        m = self._m if mask is None else self._summing(self.weight * mask)
        return np.asarray(m @ x).reshape(self.n_dom, self.p, x.shape[1])


def _domain_totals(design: Design, dom_codes: np.ndarray, n_dom: int, x: np.ndarray) -> np.ndarray:
    """Weighted PSU totals per domain: an n_dom × P × m array of Σ_{i∈PSU, i∈domain} w_i x_im."""
    return DomainSums(design, dom_codes, n_dom).matrix(x)


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
    change_measures: Sequence[str] = CHANGE_MEASURES,
    chunk_cells: int = CHUNK_CELLS,
) -> Estimates:
    """All AF measures with SEs and logit CIs for every k, every round and every subgroup, and
    their changes between consecutive rounds.

    ``table`` has columns k, round, group_var, group, measure, indicator, b, se, lo, hi, n
    (unweighted persons in the domain's denominator) and pop (its weighted total); ``group_var``
    is "all" for the whole population. Measures: M0, H, A and, when ``indicators``, hd, hdk, actb
    and pctb per indicator. ``changes`` (when there are two or more rounds) has, for
    ``change_measures``, abs = b2 − b1, abs_ann = abs/(y2 − y1), rel = 100·(b2/b1 − 1) and
    rel_ann = 100·((b2/b1)^(1/(y2 − y1)) − 1) (mpitbR R/absolute.change.R, R/relative.change.R),
    with delta-method SEs: the linearised change of two domain estimates of the pooled design is
    z2 − z1 PSU by PSU (so rounds sharing PSUs are handled), and CIs b ± t_df·se.

    Groups are processed in chunks so that no dense (rounds × groups × PSUs × indicators) array
    exceeds ``chunk_cells`` cells.
    """
    n = data.g0.shape[0]
    des = data.design
    c = deprivation_scores(data.g0, data.weights)
    rounds = data.rounds or Grouping("round", np.zeros(n, dtype=np.int64), [""])
    groupings = [Grouping(ALL, np.zeros(n, dtype=np.int64), [ALL]), *data.groupings]
    g0 = np.ascontiguousarray(data.g0, dtype=np.float64)
    d = g0.shape[1]
    n_r = len(rounds.labels)
    years = [data.years.get(lbl) for lbl in rounds.labels]
    out = _Rows()
    poor_by_k = {k: identify(c, k).astype(np.float64) for k in k_list}
    for grouping in groupings:
        n_g = len(grouping.labels)
        per_chunk = max(1, chunk_cells // max(1, n_r * des.n_psu * max(d, 1)))
        for g_lo in range(0, n_g, per_chunk):
            g_hi = min(n_g, g_lo + per_chunk)
            n_gc = g_hi - g_lo
            inside = (grouping.codes >= g_lo) & (grouping.codes < g_hi)
            dom = np.where(inside, rounds.codes * n_gc + (grouping.codes - g_lo), 0)
            n_dom = n_r * n_gc
            wgt = des.weight if n_gc == n_g else des.weight * inside
            sums = DomainSums(des, dom, n_dom, wgt)
            n_obs = np.bincount(dom, weights=inside.astype(np.float64), minlength=n_dom).astype(np.int64)
            t_w = sums.vector()
            t_g0 = sums.matrix(g0) if indicators else None  # w·g0_j
            labels = grouping.labels[g_lo:g_hi]
            for ki, k in enumerate(k_list):
                poor = poor_by_k[k]
                ck = c * poor
                t_poor, t_ck = sums.vector(poor), sums.vector(ck)
                n_poor = np.bincount(dom, weights=poor * inside, minlength=n_dom).astype(np.int64)
                pop_all = t_w.sum(axis=1)[:, 0]
                pop_poor = t_poor.sum(axis=1)[:, 0]
                ctx = (k, grouping.name, labels, rounds.labels, years, n_gc)
                cnt = {"all": (n_obs, pop_all), "poor": (n_poor, pop_poor)}
                one: list[str | None] = [None]
                for measure, tn, td, denom in (
                    ("H", t_poor, t_w, "all"),
                    ("M0", t_ck, t_w, "all"),
                    ("A", t_ck, t_poor, "poor"),
                ):
                    r, z = _ratio(tn, td)
                    out.add(des, level, measure, one, r, z, *cnt[denom], ctx, measure in change_measures)
                if not indicators:
                    continue
                names: list[str | None] = list(data.indicators)
                wv = data.weights[None, :]
                assert t_g0 is not None
                if ki == 0:  # hd does not depend on k: reported once, at the first k
                    r, z = _ratio(t_g0, t_w)
                    out.add(des, level, "hd", names, r, z, *cnt["all"], ctx, "hd" in change_measures)
                t_g0k = sums.matrix(g0, mask=poor)  # w·g0_j·1[poor]
                r_hdk, z_hdk = _ratio(t_g0k, t_w)
                out.add(des, level, "hdk", names, r_hdk, z_hdk, *cnt["all"], ctx, "hdk" in change_measures)
                out.add(
                    des,
                    level,
                    "actb",
                    names,
                    r_hdk * wv,
                    z_hdk * wv[:, None, :],
                    *cnt["all"],
                    ctx,
                    "actb" in change_measures,
                )
                del r_hdk, z_hdk
                r, z = _ratio(t_g0k * wv[:, None, :], t_ck)
                out.add(des, level, "pctb", names, r, z, *cnt["poor"], ctx, "pctb" in change_measures)
    table = out.table()
    if data.rounds is None:
        table = table.with_columns(pl.lit(None, dtype=pl.String).alias("round"))
    return Estimates(table, out.changes_table())


class _Rows:
    """Collects estimate rows and change rows column-wise (fast for many thousands of rows)."""

    EST = ("k", "round", "group_var", "group", "measure", "indicator", "b", "se", "lo", "hi", "n", "pop")
    CHG = (
        "k",
        "group_var",
        "group",
        "measure",
        "indicator",
        "from_round",
        "to_round",
        "years",
        "change",
        "b1",
        "b2",
        "value",
        "se",
        "lo",
        "hi",
    )

    def __init__(self) -> None:
        self.est: dict[str, list] = {c: [] for c in self.EST}
        self.chg: dict[str, list] = {c: [] for c in self.CHG}

    def add(
        self,
        des: Design,
        level: float,
        measure: str,
        inds: list[str | None],
        r: np.ndarray,
        z: np.ndarray,
        n_obs: np.ndarray,
        pop: np.ndarray,
        ctx: tuple,
        with_change: bool,
    ) -> None:
        k, gname, glabels, rlabels, years, n_gc = ctx
        n_dom, m = r.shape
        se = standard_errors(des, np.transpose(z, (1, 0, 2)).reshape(des.n_psu, n_dom * m)).reshape(n_dom, m)
        lo, hi = logit_ci(r, se, des.df, level)
        n_r = len(rlabels)
        e = self.est
        di = np.repeat(np.arange(n_dom), m)
        e["k"] += [float(k)] * (n_dom * m)
        e["round"] += [rlabels[i // n_gc] for i in di]
        e["group_var"] += [gname] * (n_dom * m)
        e["group"] += [glabels[i % n_gc] for i in di]
        e["measure"] += [measure] * (n_dom * m)
        e["indicator"] += list(inds) * n_dom
        for col, arr in (("b", r), ("se", se), ("lo", lo), ("hi", hi)):
            e[col] += arr.ravel().tolist()
        e["n"] += np.repeat(n_obs, m).tolist()
        e["pop"] += np.repeat(pop, m).tolist()
        if with_change and n_r >= 2:
            self._changes(des, level, measure, inds, r.reshape(n_r, n_gc, m), z.reshape(n_r, n_gc, des.n_psu, m), ctx)

    def _changes(
        self,
        des: Design,
        level: float,
        measure: str,
        inds: list[str | None],
        r: np.ndarray,
        z: np.ndarray,
        ctx: tuple,
    ) -> None:
        k, gname, glabels, rlabels, years, n_gc = ctx
        b1, b2 = r[:-1], r[1:]  # (n_r − 1) × n_gc × m
        z1, z2 = z[:-1], z[1:]  # (n_r − 1) × n_gc × P × m
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = b2 / b1
            z_ratio = z2 / b1[:, :, None, :] - (b2 / b1**2)[:, :, None, :] * z1
            dy = np.array(
                [
                    (y2 - y1) if (y1 is not None and y2 is not None) else np.nan
                    for y1, y2 in zip(years[:-1], years[1:], strict=True)
                ]
            )[:, None, None]
            kinds = {"abs": (b2 - b1, z2 - z1), "rel": (100 * (ratio - 1), 100 * z_ratio)}
            if not np.all(np.isnan(dy)):
                root = np.where(ratio > 0, ratio, np.nan) ** (1 / dy)
                kinds["abs_ann"] = ((b2 - b1) / dy, (z2 - z1) / dy[..., None])
                kinds["rel_ann"] = (100 * (root - 1), 100 * ((root / ratio / dy)[:, :, None, :] * z_ratio))
        n_p, m = b1.shape[0], b1.shape[2]
        for kind, (val, zc) in kinds.items():
            zz = np.moveaxis(zc, 2, 0).reshape(des.n_psu, -1)
            se = standard_errors(des, zz).reshape(val.shape)
            lo, hi = symmetric_ci(val, se, des.df, level)
            for pi in range(n_p):
                for gi in range(n_gc):
                    for j in range(m):
                        c = self.chg
                        c["k"].append(float(k))
                        c["group_var"].append(gname)
                        c["group"].append(glabels[gi])
                        c["measure"].append(measure)
                        c["indicator"].append(inds[j])
                        c["from_round"].append(rlabels[pi])
                        c["to_round"].append(rlabels[pi + 1])
                        y = dy[pi, 0, 0]
                        c["years"].append(None if np.isnan(y) else float(y))
                        c["change"].append(kind)
                        c["b1"].append(float(b1[pi, gi, j]))
                        c["b2"].append(float(b2[pi, gi, j]))
                        c["value"].append(float(val[pi, gi, j]))
                        c["se"].append(float(se[pi, gi, j]))
                        c["lo"].append(float(lo[pi, gi, j]))
                        c["hi"].append(float(hi[pi, gi, j]))

    def table(self) -> pl.DataFrame:
        return pl.DataFrame(
            self.est,
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

    def changes_table(self) -> pl.DataFrame:
        return pl.DataFrame(
            self.chg,
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
