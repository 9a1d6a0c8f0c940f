"""CLI of the screen part: ``kizuna screen PROPOSAL... [--communities F] [--boundaries F] [--events F]``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kizuna.i18n import _
from kizuna.options import WorkspaceOpt, parse_as_of
from kizuna.output import Format, render

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, csv, xlsx or json.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write the summary table to this file.")]


def screen_cmd(
    proposals: Annotated[list[Path], typer.Argument(help="Proposal files: .toml/.yaml (one) or .csv (a batch).")],
    communities: Annotated[Path | None, typer.Option(help="Communities: CSV or GeoJSON points.")] = None,
    boundaries: Annotated[Path | None, typer.Option(help="Boundaries: GeoJSON polygons or lines.")] = None,
    events: Annotated[
        list[Path] | None,
        typer.Option(help="Conflict events: UCDP GED or ACLED CSV (repeat for several files)."),
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Screen as of this date (YYYY-MM-DD).")] = None,
    catalogue: Annotated[Path | None, typer.Option(help="Rule catalogue overriding the shipped one.")] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir", help="Where to write JSON, HTML and XLSX (default ./screen-reports; none with --no-store)."
        ),
    ] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Store nothing and create no file (unless --out-dir or --out).")
    ] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Screen proposals for do-no-harm risks: fired rules, the facts behind them, the category."""
    from kizuna.screen.register import summary_rows
    from kizuna.screen.report import category_label, write_reports
    from kizuna.screen.run import screen_files, store_run
    from kizuna.workspace import default_path, open_workspace

    day = parse_as_of(as_of, "screen")
    ws_path = workspace if workspace is not None else default_path()
    # Everything is read and screened first, with the workspace open read-only (its ledger counts
    # other actors nearby) or not at all; only a run that succeeded opens it for writing.
    if ws_path.exists():
        with open_workspace(ws_path, read_only=True) as ro:
            run = screen_files(
                list(proposals),
                as_of=day,
                communities=communities,
                boundaries=boundaries,
                events=list(events or []),
                catalogue=catalogue,
                ws=ro,
                store=False,
            )
    else:
        run = screen_files(
            list(proposals),
            as_of=day,
            communities=communities,
            boundaries=boundaries,
            events=list(events or []),
            catalogue=catalogue,
        )
    if not no_store:
        with open_workspace(ws_path) as ws:
            store_run(ws, run)
    if out_dir is None and not no_store:
        out_dir = Path("screen-reports")
    paths = write_reports(run.registers, out_dir) if out_dir is not None else {}
    title = " / ".join(
        f"{r.proposal_id}: {category_label(r.category)}"
        if r.complete
        else f"{r.proposal_id}: " + _("{category} (assessment incomplete)").format(category=category_label(r.category))
        for r in run.registers
    )
    render(summary_rows(run.registers), fmt, out, title=_("Do-no-harm register ({proposals})").format(proposals=title))
    n_area = run.warnings.get("events_counted_by_area", 0)
    if n_area:
        print(
            _("{n} events located only to an area were counted in their area, not by distance").format(n=n_area),
            file=sys.stderr,
        )
    if paths:
        print(_("wrote {files}").format(files=", ".join(str(p) for p in paths.values())), file=sys.stderr)


def registers_cmd(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """List the registers stored in the workspace, with provenance."""
    from kizuna.screen.store import list_registers
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        render(list_registers(ws), fmt, out, title=_("Screening registers"))


def register(app: typer.Typer) -> None:
    app.command("screen")(screen_cmd)
    app.command("screen-registers")(registers_cmd)
