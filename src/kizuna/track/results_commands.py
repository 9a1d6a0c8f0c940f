"""CLI of track's results (issue 14): ``kizuna results import | progress | missing | rollup | report``.

Each command parses its options, calls one library function (:mod:`kizuna.track.results_store`,
:mod:`kizuna.track.results_report`) and renders its table through :func:`kizuna.output.render`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kizuna.i18n import _
from kizuna.options import FormatOpt, OutOpt, WorkspaceOpt
from kizuna.output import Format, render

AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Periods ending before this date (YYYY-MM-DD) need an actual; default today."),
]

results_app = typer.Typer(
    help="Results against targets: IATI results and indicator tables (progress, missing actuals, roll-up).",
    no_args_is_help=True,
)


@results_app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Indicator tables: .csv or .xlsx (HXL tags accepted).")],
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Store indicator tables (one transaction for all; a file stored already is skipped)."""
    from kizuna.track.results_store import import_tables
    from kizuna.workspace import open_workspace

    with open_workspace(workspace) as ws:
        done = import_tables(ws, files)
    render(
        [{"file": d.file, "status": d.status, "rows": d.rows, "warnings": d.warnings} for d in done],
        fmt,
        out,
        title=_("Indicator tables"),
    )


@results_app.command("progress")
def progress_cmd(
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Progress toward target of every indicator period: (actual - baseline) / (target - baseline)."""
    from kizuna.options import parse_as_of
    from kizuna.track.results_store import results_progress
    from kizuna.workspace import open_workspace

    day = parse_as_of(as_of, "results")
    with open_workspace(workspace, read_only=True) as ws:
        df = results_progress(ws, day)
    render(df, fmt, out, title=_("Progress toward targets"), float_digits=1)


@results_app.command("missing")
def missing_cmd(
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Periods that ended (before --as-of) without an actual value."""
    from kizuna.options import parse_as_of
    from kizuna.track.results_store import results_missing
    from kizuna.workspace import open_workspace

    day = parse_as_of(as_of, "results")
    with open_workspace(workspace, read_only=True) as ws:
        df = results_missing(ws, day)
    render(df, fmt, out, title=_("Periods ended without an actual"), float_digits=1)


@results_app.command("rollup")
def rollup_cmd(
    workspace: WorkspaceOpt = None,
    left_out: Annotated[
        bool, typer.Option("--left-out", help="Show the indicators not rolled up, with the reason, instead.")
    ] = False,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Sums across agencies of indicators that share a reference code, a unit and an additive measure."""
    from kizuna.track.results_store import results_rollup
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        res = results_rollup(ws)
    if left_out:
        render(res.not_rolled, fmt, out, title=_("Not rolled up, and why"))
        return
    render(res.rolled, fmt, out, title=_("Roll-up across agencies"), float_digits=1)
    if fmt is Format.table and res.not_rolled.height:
        print(
            _("{n} indicator(s) not rolled up; see `kizuna results rollup --left-out` for why").format(
                n=res.not_rolled.height
            ),
            file=sys.stderr,
        )


@results_app.command("report")
def report_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write results.html and results.xlsx into.")],
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Write the results report: a self-contained HTML page and an XLSX workbook."""
    from kizuna.options import parse_as_of
    from kizuna.track.results_report import write_report
    from kizuna.workspace import open_workspace

    day = parse_as_of(as_of, "results")
    with open_workspace(workspace, read_only=True) as ws:
        paths = write_report(ws, out, day)
    for p in paths.values():
        print(_("wrote {path}").format(path=p), file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Add the results commands to ``app``."""
    app.add_typer(results_app, name="results")
