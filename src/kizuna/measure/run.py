"""From a survey frame and a spec to every table of the vital-core index. Pure: no I/O.

Steps: score the instruments → apply each indicator's deprivation rule → listwise deletion of
persons with a missing indicator (global-MPI practice, measurement.md §1.2; the number dropped is
reported per indicator) → the design on the retained rows → AF estimates at k with subgroups and
rounds as domains → the k sweep → changes over time → the needs table per admin1 × dimension.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from kizuna.errors import InputError, SpecError, Where
from kizuna.i18n import N_, Said
from kizuna.measure import af, disclosure
from kizuna.measure.design import make_design
from kizuna.measure.instruments import score
from kizuna.measure.spec import IndicatorSpec, Spec

MISSING_GROUP = "(missing)"


@dataclass
class MeasureResult:
    """All result tables of one run, plus human-readable notes."""

    spec: Spec
    estimates: pl.DataFrame  # long: k, round, group_var, group, measure, indicator, b, se, lo, hi, n, pop
    summary: pl.DataFrame  # M0, H, A per round at k, overall
    indicators: pl.DataFrame  # hd, hdk, actb, pctb per round at k, overall (wide-ish)
    subgroups: pl.DataFrame  # per subgroup: share, M0, H, A, contribution
    sweep: pl.DataFrame  # M0, H, A per round for each k in the sweep
    changes: pl.DataFrame  # between consecutive rounds
    needs: pl.DataFrame | None  # admin1 × dimension, latest round
    missing: dict[str, int]  # persons missing each indicator
    n_rows: int
    n_used: int
    design: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    disclosure: dict[str, Any] = field(default_factory=dict)  # min_cell, method, cells withheld

    @property
    def n_dropped(self) -> int:
        return self.n_rows - self.n_used

    def tables(self) -> dict[str, pl.DataFrame]:
        out = {
            "summary": self.summary,
            "indicators": self.indicators,
            "subgroups": self.subgroups,
            "k_sweep": self.sweep,
            "changes": self.changes,
            "estimates": self.estimates,
        }
        if self.needs is not None:
            out["needs"] = self.needs
        return out


def _col(frame: pl.DataFrame, name: str, key: str, file: str | None) -> pl.Series:
    if name not in frame.columns:
        raise SpecError(
            "spec.unknown_column",
            N_("'{key}' names column '{name}', which the survey does not have"),
            Where(file=file, key=key),
            hint=N_("columns: {columns}"),
            params={"key": key, "name": name, "columns": ', '.join(frame.columns[:40])},
        )
    return frame.get_column(name)


def deprivation(series: pl.Series, ind: IndicatorSpec, file: str | None = None) -> np.ndarray:
    """Apply an indicator's rule: 1.0 deprived, 0.0 not, NaN where the value is missing."""
    rule = ind.rule
    s = series
    operand = rule.operand
    numeric_op = rule.op in ("lt", "le", "gt", "ge") or (
        rule.op in ("eq", "ne") and isinstance(operand, (int, float)) and not isinstance(operand, bool)
    )
    if rule.op in ("in", "not_in"):
        numeric_op = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in operand)
    if numeric_op:
        if s.dtype == pl.String:
            conv = s.str.strip_chars().cast(pl.Float64, strict=False)
            bad = conv.is_null() & s.is_not_null()
            if bad.any():
                row = int(bad.arg_true()[0]) + 1
                raise InputError(
                    "measure.not_a_number",
                    N_("indicator '{name}': column '{column}' has text where the rule '{rule}' needs numbers"),
                    Where(file=file, row=row, field=ind.column),
                    hint=N_("use eq/in with text classes, or clean the column"),
                    params={"name": ind.name, "column": ind.column, "rule": rule.describe()},
                )
            s = conv
        v = s.cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy()
        missing = np.isnan(v)
        if rule.op == "in":
            dep = np.isin(v, np.asarray(operand, dtype=float))
        elif rule.op == "not_in":
            dep = ~np.isin(v, np.asarray(operand, dtype=float))
        else:
            op = {
                "eq": np.equal,
                "ne": np.not_equal,
                "lt": np.less,
                "le": np.less_equal,
                "gt": np.greater,
                "ge": np.greater_equal,
            }[rule.op]
            with np.errstate(invalid="ignore"):
                dep = op(v, float(operand))
    else:
        t = s.cast(pl.String)
        missing = t.is_null().to_numpy()
        vals = t.fill_null("").to_numpy()
        targets = [str(x) for x in (operand if isinstance(operand, list) else [operand])]
        dep = np.isin(vals, targets)
        if rule.op in ("ne", "not_in"):
            dep = ~dep
    out = dep.astype(np.float64)
    out[missing] = np.nan
    return out


def _grouping(series: pl.Series, name: str, labels: dict[Any, str] | None) -> af.Grouping:
    """Integer codes 0..G−1 for the sorted distinct values (missing values last, as "(missing)")."""
    uniq = series.drop_nulls().unique().sort()
    codes = series.replace_strict(
        uniq, pl.int_range(len(uniq), eager=True), default=len(uniq), return_dtype=pl.Int64
    ).to_numpy()

    def lab(v: Any) -> str:
        if labels:
            for key in (v, int(v) if isinstance(v, float) and v.is_integer() else v):
                if key in labels:
                    return str(labels[key])
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    names = [lab(v) for v in uniq.to_list()] + ([MISSING_GROUP] if series.null_count() else [])
    return af.Grouping(name, codes.astype(np.int64), names)


def run_measure(
    frame: pl.DataFrame,
    spec: Spec,
    *,
    value_labels: dict[str, dict[Any, str]] | None = None,
    file: str | None = None,
) -> MeasureResult:
    """Compute the vital-core index described by ``spec`` on ``frame`` (one row per person)."""
    value_labels = value_labels or {}
    notes: list[str] = []
    for inst in spec.instruments:
        out = score(inst.kind, frame, inst.items, name=inst.name, options=inst.options, file=file)
        clash = [c for c in out.columns if c in frame.columns]
        if clash:
            raise SpecError(
                "spec.column_clash",
                N_("instrument '{name}' would overwrite column '{clash}'"),
                Where(file=file, key=f"instruments.{inst.name}"),
                hint=N_("rename the instrument (its outputs are named <name>_<output>)"),
                params={"name": inst.name, "clash": clash[0]},
            )
        frame = frame.hstack(out)
    n = frame.height
    if n == 0:
        raise InputError("survey.empty", N_("the survey has no rows"), Where(file=file), hint=N_("check the export"))
    names = [i.name for i in spec.indicators]
    g0 = np.empty((n, len(names)))
    for j, ind in enumerate(spec.indicators):
        key = f"indicators.{ind.name}.column"
        g0[:, j] = deprivation(_col(frame, ind.column, key, file), ind, file)
    miss = np.isnan(g0)
    missing = {nm: int(miss[:, j].sum()) for j, nm in enumerate(names)}
    keep = ~miss.any(axis=1)
    n_used = int(keep.sum())
    if n_used == 0:
        raise InputError(
            "measure.no_complete_rows",
            N_("no person has every indicator"),
            Where(file=file),
            hint=N_("check the indicator columns; persons with any missing indicator are dropped"),
        )
    if n_used < n:
        notes.append(
            Said(
                N_("{dropped} of {n} persons dropped (listwise) for a missing indicator: {counts}"),
                dropped=n - n_used,
                n=n,
                counts=", ".join(f"{k} {v}" for k, v in missing.items() if v),
            )
        )
    kept = frame.filter(pl.Series(keep))
    g0 = g0[keep]

    def design_col(name: str | None, key: str) -> np.ndarray | None:
        if name is None:
            return None
        s = _col(kept, name, key, file)
        if s.null_count():
            row = int(np.flatnonzero(keep)[int(s.is_null().arg_true()[0])]) + 1
            raise InputError(
                "measure.design_missing",
                N_("design column '{name}' has {value} missing values"),
                Where(file=file, row=row, field=name),
                hint=N_("every person needs a weight, stratum and PSU"),
                params={"name": name, "value": s.null_count()},
            )
        return s.to_numpy()

    w = design_col(spec.weight, "design.weight")
    if w is not None:
        try:
            w = w.astype(np.float64)
        except ValueError as exc:
            raise InputError(
                "measure.bad_weight",
                N_("weight column '{weight}' is not numeric"),
                Where(file=file, field=spec.weight),
                hint=N_("weights must be numbers > 0"),
                params={"weight": spec.weight},
            ) from exc
    design = make_design(
        w,
        design_col(spec.strata, "design.strata"),
        design_col(spec.psu, "design.psu"),
        n=n_used,
        lonely_psu=spec.lonely_psu,
        file=file,
    )
    rounds = None
    years: dict[str, float] = {}
    # identifier-like columns never become published groups unless the spec allows them
    for key, cols in (("af.time", [spec.time]), ("af.subgroups", spec.subgroups), ("needs.admin1", [spec.admin1])):
        for c in cols:
            if c is not None:
                disclosure.check_grouping(_col(kept, c, key, file), c, key, spec.allow, file)
    if spec.time:
        rounds = _grouping(_col(kept, spec.time, "af.time", file), spec.time, value_labels.get(spec.time))
        if MISSING_GROUP in rounds.labels:
            raise InputError(
                "measure.time_missing",
                N_("time column '{time}' has missing values"),
                Where(file=file, field=spec.time),
                hint=N_("every person needs a round"),
                params={"time": spec.time},
            )
        if spec.year:
            yv = _col(kept, spec.year, "af.year", file).cast(pl.Float64, strict=False).to_numpy()
            for code, label in enumerate(rounds.labels):
                ys = yv[rounds.codes == code]
                years[label] = float(np.nanmean(ys))
    groupings = [_grouping(_col(kept, g, "af.subgroups", file), g, value_labels.get(g)) for g in spec.subgroups]
    weights = np.array([spec.weights[nm] for nm in names])
    data = af.AFData(g0, names, weights, design, rounds, groupings, years)
    est = af.estimate(data, [spec.k], level=spec.level)
    raw_table = est.table
    # disclosure control before anything is published (module kizuna.measure.disclosure)
    table, hidden = disclosure.suppress_estimates(raw_table, spec.min_cell, af.ALL)
    round_n = {
        r["round"]: int(r["n"] or 0)
        for r in raw_table.filter((pl.col("group_var") == af.ALL) & (pl.col("measure") == "H"))
        .select("round", "n")
        .unique()
        .iter_rows(named=True)
    }
    sweep_data = af.AFData(g0, names, weights, design, rounds, [], years)
    sweep = af.estimate(sweep_data, spec.k_sweep, indicators=False, level=spec.level, change_measures=()).table
    sweep = (
        sweep.filter(pl.col("group_var") == af.ALL)
        .select("k", "round", "measure", "b", "se", "lo", "hi")
        .sort("round", "k", "measure", nulls_last=True)
    )
    sweep = disclosure.suppress_rounds(sweep, round_n, spec.min_cell, ("b", "se", "lo", "hi"))
    changes = disclosure.suppress_changes(est.changes, hidden)
    summary = table.filter((pl.col("group_var") == af.ALL) & pl.col("measure").is_in(list(af.MEASURES))).select(
        "round", "k", "measure", "b", "se", "lo", "hi", "n", "pop", "suppressed"
    )
    dim_of = {nm: spec.dimension_of(nm) for nm in names}
    ind_tbl = (
        table.filter((pl.col("group_var") == af.ALL) & pl.col("indicator").is_not_null())
        .select("round", "k", "indicator", "measure", "b", "se", "lo", "hi", "suppressed")
        .with_columns(
            pl.col("indicator").replace_strict(dim_of, return_dtype=pl.String).alias("dimension"),
            pl.col("indicator")
            .replace_strict({nm: spec.weights[nm] for nm in names}, return_dtype=pl.Float64)
            .alias("weight"),
        )
    )
    subgroups = (
        disclosure.suppress_subgroups(af.subgroup_table(raw_table, spec.k), hidden) if groupings else pl.DataFrame()
    )
    needs = None
    n_areas_hidden = 0
    if spec.admin1:
        from kizuna.measure.needs import needs_table

        areas = _grouping(_col(kept, spec.admin1, "needs.admin1", file), spec.admin1, value_labels.get(spec.admin1))
        needs = needs_table(data, spec, areas)
        # the needs table is of the latest round: its cells are the areas' persons in that round
        last = rounds.codes == len(rounds.labels) - 1 if rounds is not None else np.ones(n_used, dtype=bool)
        counts = np.bincount(areas.codes[last], minlength=len(areas.labels))
        area_n = {lab: int(counts[i]) for i, lab in enumerate(areas.labels)}
        needs = needs.with_columns(
            pl.col("admin1").replace_strict(area_n, default=0, return_dtype=pl.Int64).alias("n")
        )
        needs, areas_hidden = disclosure.suppress_areas(needs, area_n, int(last.sum()), spec.min_cell)
        n_areas_hidden = len(areas_hidden)
    design_info = {
        "n_strata": design.n_strata,
        "n_psu": design.n_psu,
        "df": design.df,
        "weight": spec.weight,
        "strata": spec.strata,
        "psu": spec.psu,
        "lonely_psu": spec.lonely_psu,
    }
    withheld = hidden.filter(pl.col("group_var") != af.ALL)
    disclosure_info = {
        **spec.disclosure,
        "suppressed_subgroup_cells": withheld.height,
        "suppressed_rounds": sum(1 for v in round_n.values() if 0 < v < spec.min_cell),
        "suppressed_areas": n_areas_hidden,
    }
    if withheld.height or n_areas_hidden:
        notes.append(
            Said(
                N_(
                    "disclosure control: {cells} subgroup cell(s) and {areas} area(s) withheld (fewer than "
                    "{min_cell} persons, or their complementary cell)"
                ),
                cells=withheld.height,
                areas=n_areas_hidden,
                min_cell=spec.min_cell,
            )
        )
    return MeasureResult(
        spec,
        table,
        summary,
        ind_tbl,
        subgroups,
        sweep,
        changes,
        needs,
        missing,
        n,
        n_used,
        design_info,
        notes,
        disclosure_info,
    )
