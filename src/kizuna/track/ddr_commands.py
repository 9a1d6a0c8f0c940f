"""CLI of track's DDR cohorts: ``kizuna ddr import | programmes | survival | waves | dimensions | report``.

Thin adapters: each command parses its options, calls one library function (``ddr_store.import_sheets``,
``ddr_report.compute``) and renders (:func:`kizuna.output.render`)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kizuna import i18n
from kizuna.i18n import _
from kizuna.options import FormatOpt, OutOpt, WorkspaceOpt
from kizuna.output import Format, render

ddr_app = typer.Typer(
    help="DDR reintegration cohorts: pseudonymised persons, waves of follow up, time until a return to arms."
)


class By(StrEnum):
    all = "all"
    sex = "sex"
    area = "area"
    cohort = "cohort"
    programme = "programme"


ProgrammeOpt = Annotated[
    str | None, typer.Option("--programme", "-p", help="Programme name (default: every programme).")
]
ByOpt = Annotated[By, typer.Option("--by", help="Breakdown: all, sex, area, cohort or programme.")]


@ddr_app.command("import")
def import_cmd(
    persons: Annotated[
        Path | None, typer.Argument(help="Person records (.csv or .xlsx); see docs/track-ddr.md.")
    ] = None,
    waves: Annotated[Path | None, typer.Option("--waves", help="Follow-up wave records (.csv or .xlsx).")] = None,
    programme: Annotated[
        str | None, typer.Option("--programme", "-p", help="Programme of rows without a programme column.")
    ] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="Key file (kizuna key new PATH); default $KIZUNA_TRACK_KEY.")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Import DDR person records and/or follow-up waves, pseudonymised on read (names never stored)."""
    from kizuna.track.ddr_store import import_sheets
    from kizuna.track.protect import load_key
    from kizuna.workspace import open_workspace

    track_key = load_key(key)
    if persons is None and waves is None:
        from kizuna.errors import InputError, Where
        from kizuna.i18n import N_

        raise InputError(
            "ddr.nothing",
            N_("nothing to import"),
            Where(field="PERSONS"),
            hint=N_("give a persons sheet, --waves, or both"),
        )
    with open_workspace(workspace) as ws:
        summary = import_sheets(ws, persons, waves, track_key, programme=programme)
    for w in summary.warnings:
        print(_("warning: {message}").format(message=w), file=sys.stderr)
    print(
        _("stored {persons} persons and {waves} wave records in {programmes} programme(s), pseudonymised").format(
            persons=i18n.number(summary.persons),
            waves=i18n.number(summary.waves),
            programmes=i18n.number(len(summary.programmes)),
        ),
        file=sys.stderr,
    )


@ddr_app.command("programmes")
def programmes_cmd(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """List the DDR programmes: persons, waves and the id of the key they were stored with."""
    from kizuna.track.ddr_store import programmes
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        table = programmes(ws)
    render(table, fmt, out, title=_("DDR programmes"))


def _report(workspace: Path | None, programme: str | None, by: By):  # noqa: ANN202 — a DdrReport
    from kizuna.track.ddr_report import compute
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        return compute(ws, programme, (by.value,))


@ddr_app.command("survival")
def survival_cmd(
    by: ByOpt = By.all,
    programme: ProgrammeOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Time to re-recruitment: Kaplan-Meier curves with Greenwood 95% CIs, log-rank test between groups."""
    rep = _report(workspace, programme, by)
    render(rep.survival.curves, fmt, out, title=_("Staying out of armed groups (Kaplan-Meier)"), float_digits=4)
    for row in rep.survival.tests.iter_rows(named=True):
        print(
            _("log-rank test by {by}: chi-square {statistic} on {df} df, p = {p}").format(
                by=row["breakdown"],
                statistic=i18n.number(row["chi_square"], 3),
                df=row["degrees_of_freedom"],
                p=i18n.number(row["p_value"], 4),
            ),
            file=sys.stderr,
        )
    hidden = rep.survival.groups.filter("suppressed").height
    if hidden:
        print(_("{n} group(s) withheld: fewer than 10 persons").format(n=hidden), file=sys.stderr)


@ddr_app.command("waves")
def waves_cmd(
    by: ByOpt = By.all,
    programme: ProgrammeOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Share re-recruited by each wave with its denominator (the lost are left out, never successes)."""
    rep = _report(workspace, programme, by)
    render(rep.waves, fmt, out, title=_("Share re-recruited by wave"), float_digits=4)


@ddr_app.command("dimensions")
def dimensions_cmd(
    by: ByOpt = By.all,
    programme: ProgrammeOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """IDDRS reintegration dimensions per wave: employment, income, acceptance, housing, participation,
    security, WHO-5 / PHQ-9 / K6, each with the persons who answered."""
    rep = _report(workspace, programme, by)
    table = rep.dimensions.select(
        "breakdown", "group", "wave", "dimension_name", "outcome_name", "seen", "answered", "value", "suppressed"
    )
    render(table, fmt, out, title=_("Reintegration dimensions by wave"), float_digits=3)


@ddr_app.command("report")
def report_cmd(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the HTML, XLSX, JSON and CSV files.")] = Path(
        "ddr_report"
    ),
    programme: ProgrammeOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Write the DDR reintegration report (HTML, XLSX, JSON, CSV) for every breakdown."""
    from kizuna.track.ddr_report import compute, write
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        rep = compute(ws, programme)
    paths = write(rep, out_dir)
    print(_("wrote {n} files to {folder}").format(n=i18n.number(len(paths)), folder=out_dir), file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Add the ddr commands to ``app``."""
    app.add_typer(ddr_app, name="ddr")
