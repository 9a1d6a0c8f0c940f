"""A run's tables as they are shown and written: measures in the order M0, H, A, and every standard
error of 0 flagged ``at_bound`` (the estimate sits at a bound; its interval says nothing about sampling
error). Pure functions over frames; :mod:`kizuna.measure.outputs` (files) and
:mod:`kizuna.measure.report` (the HTML page) both use them. Why the flag: see :mod:`kizuna.measure.outputs`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from kizuna import i18n
from kizuna.i18n import N_, _
from kizuna.measure.af import ALL, MEASURES
from kizuna.measure.run import MeasureResult

BOUND_FLAG = "at_bound"
# an SE this small is a zero that floating point left behind, not a measured sampling error
SE_ZERO = 1e-12
RESPONDENTS_FILE = "respondents.csv"
BOUND_MARK = "†"
BOUND_NOTE = N_("† SE 0: estimate at a bound, interval not informative")


def bound_flag(df: pl.DataFrame) -> pl.Expr:
    """True where the SE is 0 or the interval is a point (the estimate at 0 or 1); null where the SE
    is undefined (an empty domain, or A where no one is poor)."""
    se = pl.col("se")
    expr = se.abs() <= SE_ZERO
    if "lo" in df.columns and "hi" in df.columns:
        expr = expr | (pl.col("lo").is_not_nan() & (pl.col("lo") == pl.col("hi")))
    return pl.when(se.is_null() | se.is_nan()).then(None).otherwise(expr)


def flag_bounds(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with the ``at_bound`` column after ``hi`` (or at the end) when it has an ``se`` column."""
    if "se" not in df.columns or BOUND_FLAG in df.columns:
        return df
    out = df.with_columns(bound_flag(df).alias(BOUND_FLAG))
    after = "hi" if "hi" in df.columns else df.columns[-1]
    cols = list(df.columns)
    cols.insert(cols.index(after) + 1, BOUND_FLAG)
    return out.select(cols)


def flag_subgroups(subgroups: pl.DataFrame, estimates: pl.DataFrame, k: float) -> pl.DataFrame:
    """The subgroup table with ``at_bound``: True when any of the group's M0, H, A estimates at ``k``
    has SE 0."""
    if subgroups.is_empty() or BOUND_FLAG in subgroups.columns:
        return subgroups
    est = estimates.filter(
        (pl.col("k") == k) & (pl.col("group_var") != ALL) & pl.col("measure").is_in(list(MEASURES))
        & pl.col("indicator").is_null()
    )
    flags = est.with_columns(bound_flag(est).alias(BOUND_FLAG)).group_by(["round", "group_var", "group"]).agg(
        pl.col(BOUND_FLAG).any()
    )
    return subgroups.join(flags, on=["round", "group_var", "group"], how="left", nulls_equal=True)


def in_measure_order(df: pl.DataFrame) -> pl.DataFrame:
    """Rows of a table with a ``measure`` column in the order M0, H, A within each round (and k)."""
    if "measure" not in df.columns:
        return df
    rank = pl.col("measure").replace_strict(
        {m: i for i, m in enumerate(MEASURES)}, default=len(MEASURES), return_dtype=pl.Int64
    )
    keys = [c for c in ("round", "k") if c in df.columns]
    return df.with_row_index("__i").sort([*keys, rank, "__i"], nulls_last=True).drop("__i")


def mark_bounds(df: pl.DataFrame) -> tuple[pl.DataFrame, bool]:
    """For people: ``at_bound`` replaced by a ``note`` column holding † on the flagged rows (empty
    elsewhere), and whether any row is flagged. A frame without the flag is returned as it is."""
    if BOUND_FLAG not in df.columns:
        return df, False
    flags = df.get_column(BOUND_FLAG).fill_null(False)
    note = pl.Series("note", [BOUND_MARK if f else None for f in flags.to_list()], dtype=pl.String)
    return df.drop(BOUND_FLAG).with_columns(note), bool(flags.any())


def design_line(design: dict[str, Any]) -> str:
    """The design behind the intervals, in the current language: PSUs, strata and the degrees of
    freedom of the t quantile (#PSU − #strata; :mod:`kizuna.measure.design`)."""
    return _("design: {psu} PSUs in {strata} strata; confidence intervals use t with {df} degrees of freedom").format(
        psu=i18n.number(design["n_psu"]), strata=i18n.number(design["n_strata"]), df=i18n.number(design["df"])
    )


def flagged_tables(result: MeasureResult) -> dict[str, pl.DataFrame]:
    """The run's tables as written: measures in order M0, H, A and every SE flagged at a bound."""
    out = {}
    for name, df in result.tables().items():
        if name == "subgroups":
            out[name] = flag_subgroups(df, result.estimates, result.spec.k)
        elif name in ("summary", "k_sweep"):
            out[name] = flag_bounds(in_measure_order(df))
        else:
            out[name] = flag_bounds(df)
    return out
