"""Track's results in the workspace: storing indicator tables, and the indicator periods of IATI results
and indicator tables as one frame for :mod:`kizuna.track.progress`.

An indicator table is stored whole in one transaction with its provenance (``imports`` kind
``indicators``, its sha256): a bad file stores nothing, and the same file given again stores nothing
new. Several files in one call are all stored or none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from kizuna.errors import InputError, Where
from kizuna.i18n import N_
from kizuna.track.indicators import IndicatorRow, IndicatorTable, read_indicator_table
from kizuna.track.progress import PERIOD_SCHEMA, Rollup, empty_periods, missing_actuals, progress, rollup
from kizuna.workspace import Workspace, file_sha256

KIND = "indicators"
ROW_FIELDS = [f for f in IndicatorRow.__dataclass_fields__]


@dataclass
class Imported:
    file: str
    status: str  # 'imported' | 'skipped' (the same file, by sha256, is stored already)
    rows: int
    import_id: int | None
    warnings: int


def import_tables(ws: Workspace, paths: list[Path]) -> list[Imported]:
    """Read and store indicator tables (:func:`kizuna.track.indicators.read_indicator_table`): every file
    read and checked before anything is written, then all stored in one transaction."""
    read: list[tuple[Path, str, IndicatorTable | None]] = []
    seen: set[str] = set()
    for path in paths:
        if not path.is_file():
            raise InputError(
                "results.not_found",
                N_("no such file"),
                Where(file=str(path)),
                hint=N_("check the path: give indicator tables as .csv or .xlsx files"),
            )
        sha = file_sha256(path)
        if sha in seen or ws.already_imported(KIND, sha):
            read.append((path, sha, None))
            continue
        seen.add(sha)
        read.append((path, sha, read_indicator_table(path)))
    out: list[Imported] = []
    with ws.transaction() as con:
        for path, sha, table in read:
            if table is None:
                out.append(Imported(path.name, "skipped", 0, None, 0))
                continue
            orgs = {r.org for r in table.rows}
            import_id = ws.record_import(
                con,
                kind=KIND,
                path=path,
                sha256=sha,
                publisher=next(iter(orgs)) if len(orgs) == 1 else None,
                version="hxl" if table.hxl else "plain",
                counts={"rows": len(table.rows)},
                warnings={code: 1 for code, _row, _msg in table.warnings},
            )
            frame = pl.DataFrame(
                {f: [getattr(r, f) for r in table.rows] for f in ROW_FIELDS},
                schema={
                    **{f: pl.String for f in ROW_FIELDS},
                    "row_no": pl.Int32,
                    "ascending": pl.Boolean,
                    "period_start": pl.Date,
                    "period_end": pl.Date,
                },
            ).with_columns(pl.lit(import_id, pl.Int32).alias("import_id"))
            con.register("_indicator_rows", frame.to_arrow())
            try:
                con.execute(
                    f"INSERT INTO indicator_values (import_id, {', '.join(ROW_FIELDS)})"
                    f" SELECT import_id, {', '.join(ROW_FIELDS)} FROM _indicator_rows"
                )
            finally:
                con.unregister("_indicator_rows")
            out.append(Imported(path.name, "imported", len(table.rows), import_id, len(table.warnings)))
    return out


# IATI IndicatorMeasure codes -> measure names (https://iatistandard.org/en/iati-standard/203/codelists/indicatormeasure/);
# an indicator without a measure is read as a unit (the codelist's first, and IATI 1.x had none)
IATI_SQL = """
SELECT 'iati' AS source,
       coalesce(a.publisher_name, a.publisher_ref) AS org,
       a.iati_identifier AS activity_id,
       a.title AS activity_title,
       p.activity_uid || '#' || p.result_seq || '.' || p.indicator_seq AS indicator_key,
       r.vocabulary AS vocabulary,
       r.code AS indicator_code,
       i.title AS indicator_title,
       CAST(NULL AS VARCHAR) AS unit,
       CASE trim(i.measure) WHEN '2' THEN 'percentage' WHEN '3' THEN 'nominal' WHEN '4' THEN 'ordinal'
            WHEN '5' THEN 'qualitative' ELSE 'unit' END AS measure,
       coalesce(i.ascending, true) AS ascending,
       res.aggregation_status AS aggregable,
       CAST(NULL AS VARCHAR) AS disaggregation,
       CAST(NULL AS VARCHAR) AS area,
       p.period_start, p.period_end,
       nullif(trim(i.baseline_value), '') AS baseline,
       nullif(trim(p.target_value), '') AS target,
       nullif(trim(p.actual_value), '') AS actual
FROM result_periods p
JOIN result_indicators i USING (activity_uid, result_seq, indicator_seq)
LEFT JOIN results res USING (activity_uid, result_seq)
LEFT JOIN activities a ON a.activity_uid = p.activity_uid
LEFT JOIN (
    SELECT activity_uid, result_seq, indicator_seq,
           arg_min(vocabulary, ref_seq) AS vocabulary, arg_min(code, ref_seq) AS code
    FROM result_indicator_refs WHERE code IS NOT NULL AND trim(code) <> ''
    GROUP BY ALL
) r USING (activity_uid, result_seq, indicator_seq)
"""
# A table's indicator code without a vocabulary is read as one shared list ("table"), as in a cluster's
# ActivityInfo database where every partner reports against the cluster's codes.
TABLE_SQL = """
SELECT 'table' AS source, v.org, v.activity_id, v.activity_title,
       v.import_id || ':' || coalesce(v.activity_id, '') || ':' || v.org || ':'
           || coalesce(v.indicator_code, v.indicator_name) AS indicator_key,
       CASE WHEN v.indicator_code IS NOT NULL THEN coalesce(v.vocabulary, 'table') END AS vocabulary,
       v.indicator_code,
       coalesce(v.indicator_name, v.indicator_code) AS indicator_title,
       v.unit, v.measure, v.ascending, CAST(NULL AS BOOLEAN) AS aggregable,
       v.disaggregation, v.area, v.period_start, v.period_end,
       v.baseline_value AS baseline, v.target_value AS target, v.actual_value AS actual
FROM indicator_values v
"""
IATI_TABLES = ("result_periods", "result_indicators", "results", "activities", "result_indicator_refs")


def indicator_periods(ws: Workspace) -> pl.DataFrame:
    """Every indicator period the workspace holds, from IATI results and from indicator tables, in
    :data:`kizuna.track.progress.PERIOD_SCHEMA`."""
    parts = []
    if all(ws.has_table(t) for t in IATI_TABLES):
        parts.append(IATI_SQL)
    if ws.has_table("indicator_values"):
        parts.append(TABLE_SQL)
    if not parts:
        return empty_periods()
    sql = " UNION ALL ".join(f"({p})" for p in parts) + " ORDER BY source, org, activity_id, indicator_key, period_end"
    df = pl.from_arrow(ws.con.sql(sql).to_arrow_table())
    assert isinstance(df, pl.DataFrame)
    if not df.height:
        return empty_periods()
    return df.select([pl.col(c).cast(t) for c, t in PERIOD_SCHEMA.items()])


def results_progress(ws: Workspace, as_of: date | None = None) -> pl.DataFrame:
    """Progress of every indicator period (:func:`kizuna.track.progress.progress`) as of ``as_of`` (today)."""
    return progress(indicator_periods(ws), as_of or date.today())


def results_missing(ws: Workspace, as_of: date | None = None) -> pl.DataFrame:
    """Periods ended before ``as_of`` (today) without an actual value."""
    return missing_actuals(results_progress(ws, as_of))


def results_rollup(ws: Workspace) -> Rollup:
    """The roll-up across agencies (:func:`kizuna.track.progress.rollup`)."""
    return rollup(indicator_periods(ws))


def results_summary(ws: Workspace, as_of: date | None = None) -> dict[str, Any]:
    """Counts for pages and reports: indicators and their periods, periods by source and by status,
    missing actuals, and the periods whose target is not a number (what the data can and cannot show)."""
    periods = indicator_periods(ws)
    df = progress(periods, as_of or date.today())
    return {
        "periods": df.height,
        "indicators": periods.get_column("indicator_key").n_unique(),
        "by_source": dict(df.group_by("source").len().sort("source").iter_rows()),
        "by_status": dict(df.group_by("status").len().sort("status").iter_rows()),
        "missing": int(df.get_column("missing_actual").sum()),
        "no_numeric_target": df.filter(pl.col("status") == "no_target").height,
    }
