"""CLI of the measure part: ``kizuna measure SURVEY --spec SPEC.toml``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kizuna import i18n
from kizuna.i18n import _
from kizuna.options import WorkspaceOpt
from kizuna.output import Format, render

if TYPE_CHECKING:
    import polars as pl

    from kizuna.measure.run import MeasureResult

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, csv, xlsx or json (the summary).")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write the summary to this file.")]


def measure_cmd(
    survey: Annotated[Path, typer.Argument(help="Survey microdata: .csv, .xlsx, .sav, .dta or a Kobo/ODK export.")],
    spec: Annotated[Path, typer.Option("--spec", "-s", help="The TOML spec: design, instruments, indicators, k.")],
    out_dir: Annotated[Path, typer.Option("--out-dir", "-d", help="Folder for CSV, XLSX, JSON and HTML.")] = Path(
        "measure_out"
    ),
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not store the run in the workspace.")] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Compute the vital-core (Alkire-Foster) index of a household survey with design-based SEs."""
    from kizuna.measure.api import measure_file
    from kizuna.workspace import open_workspace

    ws = None if no_store else open_workspace(workspace)
    try:
        run = measure_file(survey, spec, ws=ws, out_dir=out_dir)
    finally:
        if ws is not None:
            ws.close()
    res = run.result
    summary, flagged = headline(res)
    render(summary, fmt, out, title=f"{res.spec.title}: k = {res.spec.k:g}%", float_digits=4)  # the spec's own title
    from kizuna.measure.shown import BOUND_NOTE, design_line

    print(design_line(res.design), file=sys.stderr)
    if flagged:
        print(_(BOUND_NOTE), file=sys.stderr)
    for note in res.notes:
        print(_(note), file=sys.stderr)
    if run.run_id is not None:
        stored = _("stored as run {run_id}") if run.created else _("already stored as run {run_id}")
        print(stored.format(run_id=run.run_id), file=sys.stderr)
    print(
        _("wrote {n} files to {folder}").format(n=i18n.number(len(run.written)), folder=out_dir), file=sys.stderr
    )


def headline(res: MeasureResult) -> tuple[pl.DataFrame, bool]:
    """The printed table: M0, H, A per round (in that order) with SE, CI and persons, and a ``note``
    column marking with † an estimate whose SE is 0 (at a bound: a point "interval"). Returns the
    table and whether any row is marked."""
    import polars as pl

    from kizuna.measure.shown import flag_bounds, in_measure_order, mark_bounds  # lazy: CLI start-up

    table, marked = mark_bounds(flag_bounds(in_measure_order(res.summary)))
    cols: list[pl.Expr | str] = ["round", "measure", pl.col("b").alias("estimate"), "se", "lo", "hi", "n"]
    summary = table.select(*cols, "note") if marked else table.select(*cols)
    return summary, marked


def register(app: typer.Typer) -> None:
    app.command("measure")(measure_cmd)
