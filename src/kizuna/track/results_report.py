"""The results report: a self-contained HTML page (no script, no network) and an XLSX workbook.

Rendered from ``report/templates/results.html`` through the reports' one Jinja environment
(:func:`kizuna.report.environment`) in the language of the moment; the workbook is written by
:func:`kizuna.output.write_xlsx` (headings in the reader's language, a Notes sheet, formula-safe cells).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from kizuna import i18n, report
from kizuna.i18n import N_
from kizuna.output import Sheets, write_xlsx
from kizuna.track.progress import MEASURE_LABELS, NOT_ROLLED_REASONS, NOTES, STATUS_LABELS, Rollup
from kizuna.workspace import Workspace

SHEET_ABOUT = {
    N_("progress"): N_("Each indicator period: baseline, target, actual, change, progress toward target, status."),
    N_("missing"): N_("Periods that ended before the as-of date without an actual value."),
    N_("rollup"): N_("Sums across agencies of indicators sharing a reference code, a unit and an additive measure."),
    N_("not rolled up"): N_("Indicators left out of the roll-up, each with the reason."),
}
FORMULA = N_(
    "Progress = (actual − baseline) / (target − baseline), the share of the targeted change achieved "
    "(results-based management; IATI result guidance). It serves descending indicators too; without a "
    "baseline an ascending indicator starts from 0; a target equal to its baseline is achieved or not, "
    "without a percentage. Percentages are compared in points; ordinal, nominal and qualitative "
    "indicators are never averaged."
)


def readable(df: pl.DataFrame) -> pl.DataFrame:
    """Status, measure, reason and note codes in the reader's language (data values stay as they are)."""

    def words(column: str, table: dict[str, str]) -> pl.Expr:
        return (
            pl.col(column)
            .map_elements(
                lambda v: ", ".join(i18n.gettext(table.get(x, x)) for x in str(v).split(";")),
                return_dtype=pl.String,
            )
            .alias(column)
        )

    out = df
    for column, table in (
        ("status", STATUS_LABELS),
        ("indicator_measure", MEASURE_LABELS),
        ("reason", NOT_ROLLED_REASONS),
    ):
        if column in out.columns:
            out = out.with_columns(words(column, table))
    if "note" in out.columns:
        out = out.with_columns(words("note", NOTES))
    return out


def report_data(ws: Workspace, as_of: date) -> dict[str, Any]:
    """The report's tables and counts (one pass over the workspace)."""
    from kizuna.track.progress import missing_actuals, progress, rollup
    from kizuna.track.results_store import indicator_periods

    periods = indicator_periods(ws)
    prog = progress(periods, as_of)
    roll: Rollup = rollup(periods)
    return {"progress": prog, "missing": missing_actuals(prog), "rollup": roll.rolled, "not_rolled": roll.not_rolled}


def _counts(prog: pl.DataFrame) -> dict[str, Any]:
    return {
        "periods": prog.height,
        "iati": prog.filter(pl.col("source") == "iati").height,
        "table": prog.filter(pl.col("source") == "table").height,
        "no_target": prog.filter(pl.col("status") == "no_target").height,
        "listed": prog.filter(pl.col("status") == "listed").height,
    }


PROGRESS_KINDS = [
    ("org", "data"),
    ("activity_id", "data"),
    ("indicator_title", "data"),
    ("indicator_measure", "text"),
    ("unit", "data"),
    ("disaggregation", "data"),
    ("area", "data"),
    ("period_end", "day"),
    ("baseline", "data"),
    ("target", "data"),
    ("actual", "data"),
    ("progress_pct", "score"),
    ("status", "text"),
    ("note", "text"),
]
ROLLUP_KINDS = [
    ("vocabulary", "data"),
    ("indicator_code", "data"),
    ("unit", "data"),
    ("year", "data"),
    ("n_orgs", "int"),
    ("orgs", "data"),
    ("baseline_sum", "number"),
    ("target_sum", "number"),
    ("actual_sum", "number"),
    ("progress_pct", "score"),
]
LEFT_KINDS = [
    ("org", "data"),
    ("indicator_title", "data"),
    ("indicator_code", "data"),
    ("indicator_measure", "text"),
    ("unit", "data"),
    ("reason", "text"),
]


def render_html(data: dict[str, Any], as_of: date, synthetic: bool = False) -> str:
    """The report page in the language of the moment (inline CSS, no script, data marked ``translate="no"``)."""
    return (
        report.environment()
        .get_template("results.html")
        .render(
            csp=report.CSP_NO_SCRIPT,
            as_of=i18n.day(as_of),
            formula=i18n.gettext(FORMULA),
            counts=_counts(data["progress"]),
            synthetic=synthetic,
            progress=report.table(readable(data["progress"]), PROGRESS_KINDS),
            missing=report.table(readable(data["missing"]), PROGRESS_KINDS[:8]),
            rollup=report.table(data["rollup"], ROLLUP_KINDS),
            not_rolled=report.table(readable(data["not_rolled"]), LEFT_KINDS),
        )
    )


def write_report(ws: Workspace, out_dir: Path, as_of: date) -> dict[str, Path]:
    """Write ``results.html`` and ``results.xlsx`` into ``out_dir``; return their paths."""
    from kizuna.web.queries import holds_synthetic_data

    data = report_data(ws, as_of)
    synthetic = holds_synthetic_data(ws)  # the demo's files and publishers are named so
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"html": out_dir / "results.html", "xlsx": out_dir / "results.xlsx"}
    paths["html"].write_text(render_html(data, as_of, synthetic), encoding="utf-8")
    sheets = Sheets(
        {
            N_("progress"): readable(data["progress"]),
            N_("missing"): readable(data["missing"]),
            N_("rollup"): data["rollup"],
            N_("not rolled up"): readable(data["not_rolled"]),
        },
        SHEET_ABOUT,
    )
    write_xlsx(
        sheets,
        paths["xlsx"],
        notes=[i18n.gettext(FORMULA)],
        sources=[i18n.gettext(N_("IATI results of the workspace's activities and the indicator tables imported."))],
        synthetic=synthetic or None,
    )
    return paths
