"""Needs from the vital-core index: admin1 × dimension × share deprived and people, for the gap
analysis of ``kizuna.coordinate`` (need vs presence).

A person is *deprived in a dimension* when deprived in any of its indicators (uncensored, as the
dimensional headcounts of the MSNI/LSG tradition count need); the ``share_deprived_poor`` column
counts only persons who are also vital-core poor at k (the AF censored view). The dimension
"vital_core" is the AF headcount H itself. People = share × the weighted population of the area
(meaningful when weights are expansion weights, i.e. sum to the population). Each share is a domain
mean of the full design with a linearised SE and a logit CI (see :mod:`.design`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from kizuna.measure import af
from kizuna.measure.design import logit_ci, standard_errors
from kizuna.measure.queries import NEEDS_SCHEMA, stored_needs
from kizuna.measure.spec import Spec

__all__ = ["NEEDS_SCHEMA", "VITAL_CORE", "needs_table", "stored_needs"]  # the last two: from measure.queries

VITAL_CORE = "vital_core"


def needs_table(data: af.AFData, spec: Spec, admin1: af.Grouping, *, latest_round_only: bool = True) -> pl.DataFrame:
    """Per admin1 area and dimension: share deprived (SE, CI), share deprived and poor, people."""
    des = data.design
    names = data.indicators
    dims = list(spec.dimensions)
    dep = np.column_stack([data.g0[:, [names.index(i) for i in spec.dimensions[d]]].max(axis=1) for d in dims])
    c = af.deprivation_scores(data.g0, data.weights)
    poor = af.identify(c, spec.k).astype(np.float64)
    x = np.column_stack([np.ones(des.n), dep, dep * poor[:, None], poor])
    rounds = data.rounds or af.Grouping("round", np.zeros(des.n, dtype=np.int64), [""])
    n_a = len(admin1.labels)
    dom = rounds.codes * n_a + admin1.codes
    n_dom = n_a * len(rounds.labels)
    tot = af._domain_totals(des, dom, n_dom, x)
    r, z = af._ratio(tot[:, :, 1:], tot[:, :, :1])
    m = r.shape[1]
    se = standard_errors(des, np.transpose(z, (1, 0, 2)).reshape(des.n_psu, n_dom * m)).reshape(n_dom, m)
    lo, hi = logit_ci(r, se, des.df, spec.level)
    pop = tot[:, :, 0].sum(axis=1)
    nd = len(dims)
    labels = [*dims, VITAL_CORE]
    rows = []
    keep_rounds = [len(rounds.labels) - 1] if latest_round_only else range(len(rounds.labels))
    for ri in keep_rounds:
        for ai in range(n_a):
            di = ri * n_a + ai
            for j, dim in enumerate(labels):
                col = j if j < nd else 2 * nd
                share = float(r[di, col])
                rows.append(
                    {
                        "round": rounds.labels[ri] or None,
                        "admin1": admin1.labels[ai],
                        "dimension": dim,
                        "share_deprived": share,
                        "se": float(se[di, col]),
                        "lo": float(lo[di, col]),
                        "hi": float(hi[di, col]),
                        "share_deprived_poor": float(r[di, nd + j]) if j < nd else share,
                        "population": float(pop[di]),
                        "people_in_need": share * float(pop[di]),
                    }
                )
    return pl.DataFrame(
        rows,
        schema={k: v for k, v in NEEDS_SCHEMA.items() if k != "run_id"},
    )
