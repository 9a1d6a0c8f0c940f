"""CLI of the screen part: ``kizuna screen PROPOSAL... [--communities F] [--boundaries F] [--events F]``."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from kizuna.errors import InputError, Where
from kizuna.i18n import N_, _
from kizuna.options import WorkspaceOpt
from kizuna.output import Format, render

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, csv, xlsx or json.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write the summary table to this file.")]


def parse_as_of(text: str | None) -> date:
    """``--as-of`` as a date (YYYY-MM-DD); today when not given."""
    if text is None:
        return date.today()
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise InputError(
            "screen.bad_date",
            N_("cannot read the date {text!r}"),
            Where(field="--as-of"),
            hint=N_("write it as YYYY-MM-DD"),
            params={"text": text},
        ) from None


def screen_cmd(
    proposals: Annotated[list[Path], typer.Argument(help="Proposal files: .toml/.yaml (one) or .csv (a batch).")],
    communities: Annotated[Path | None, typer.Option(help="Communities: CSV or GeoJSON points.")] = None,
    boundaries: Annotated[Path | None, typer.Option(help="Boundaries: GeoJSON polygons or lines.")] = None,
    events: Annotated[Path | None, typer.Option(help="Conflict events: UCDP GED or ACLED CSV.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Screen as of this date (YYYY-MM-DD).")] = None,
    catalogue: Annotated[Path | None, typer.Option(help="Rule catalogue overriding the shipped one.")] = None,
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where to write JSON, HTML and XLSX.")] = Path(
        "screen-reports"
    ),
    all_precisions: Annotated[
        bool, typer.Option("--all-precisions", help="Keep events located only to an area.")
    ] = False,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not store the registers.")] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Screen proposals for do-no-harm risks: fired rules, the facts behind them, the category."""
    from kizuna.screen.register import summary_rows
    from kizuna.screen.report import write_reports
    from kizuna.screen.run import screen_files
    from kizuna.workspace import open_workspace

    day = parse_as_of(as_of)
    with open_workspace(workspace) as ws:
        run = screen_files(
            list(proposals),
            as_of=day,
            communities=communities,
            boundaries=boundaries,
            events=events,
            catalogue=catalogue,
            ws=ws,
            all_event_precisions=all_precisions,
            store=not no_store,
        )
    paths = write_reports(run.registers, out_dir)
    title = " / ".join(f"{r.proposal_id}: {r.category}" for r in run.registers)
    render(summary_rows(run.registers), fmt, out, title=_("Do-no-harm register ({proposals})").format(proposals=title))
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
