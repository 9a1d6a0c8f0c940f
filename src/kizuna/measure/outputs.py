"""Write a run's tables to a folder: one CSV per table, one XLSX with a sheet each, one JSON with
every table and the run's metadata, the self-contained HTML report and, when given, the
per-respondent table (``respondents.csv``, :mod:`kizuna.measure.respondents`).

Every table with a standard error carries ``at_bound``: True where the SE is 0, which happens when
the estimate sits at a bound (a share of 0 or 1 in that domain: every linearised value is 0) and the
"interval" is a single point. Such an interval says nothing about sampling error; the flag says so
instead of letting a point pass for precision. The subgroup table has no SE of its own and takes the
flag from its M0, H and A estimates. The headline measures are listed M0, H, A (Alkire & Foster
2011's order, and the docs').
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from kizuna import i18n
from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_, _
from kizuna.measure.af import ALL, MEASURES
from kizuna.measure.respondents import RespondentTable
from kizuna.measure.run import MeasureResult
from kizuna.output import to_csv_text, to_json_records, write_xlsx

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


def write_outputs(
    result: MeasureResult,
    out_dir: Path,
    *,
    file: str,
    sha256: str,
    respondents: RespondentTable | None = None,
) -> list[Path]:
    """Write CSV, XLSX, JSON and HTML under ``out_dir`` (and ``respondents.csv`` when
    ``respondents`` is given); return the paths written."""
    from kizuna.measure.report import render_html  # the report reads this module's flags

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KizunaError(
            "measure.out_dir",
            N_("cannot create the output folder: {strerror}"),
            Where(file=str(out_dir)),
            hint=N_("pass --out-dir to a writable folder"),
            params={"strerror": exc.strerror},
        ) from exc
    written: list[Path] = []
    tables = flagged_tables(result)
    for name, df in tables.items():
        p = out_dir / f"{name}.csv"
        p.write_text(to_csv_text(df), encoding="utf-8")
        written.append(p)
    xlsx = out_dir / "measure.xlsx"
    write_xlsx({name: df for name, df in tables.items()}, xlsx)
    written.append(xlsx)
    meta: dict[str, Any] = {
        "title": result.spec.title,
        "file": file,
        "sha256": sha256,
        "spec_sha256": result.spec.sha256,
        "k": result.spec.k,
        "n_rows": result.n_rows,
        "n_used": result.n_used,
        "n_dropped": result.n_dropped,
        "missing": result.missing,
        "design": result.design,
        "weights": result.spec.weights,
        "dimensions": result.spec.dimensions,
        "notes": result.notes,
        "disclosure": result.disclosure,  # min_cell, method, cells withheld (kizuna.measure.disclosure)
    }
    if respondents is not None:
        meta["respondents"] = {
            "file": RESPONDENTS_FILE,
            "rows": respondents.frame.height,
            "keys": respondents.keys or ["row"],
            "keys_hashed": bool(respondents.keys),
        }
    js = out_dir / "measure.json"
    js.write_text(
        json.dumps(
            {"run": meta, **{n: to_json_records(df) for n, df in tables.items()}},
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    written.append(js)
    html = out_dir / "measure.html"
    html.write_text(render_html(result, file=file, sha256=sha256), encoding="utf-8")
    written.append(html)
    if respondents is not None:
        p = out_dir / RESPONDENTS_FILE
        p.write_text(to_csv_text(respondents.frame), encoding="utf-8")
        written.append(p)
    return written
