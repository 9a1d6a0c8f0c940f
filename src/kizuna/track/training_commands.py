"""CLI of track's training evaluation: ``kizuna training import | evaluate | report`` (thin adapters)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kizuna.i18n import _
from kizuna.options import FormatOpt, OutOpt, WorkspaceOpt
from kizuna.output import Format, render

training_app = typer.Typer(
    help="Training evaluation at Kirkpatrick's four levels: reaction, learning, behaviour, results.",
    no_args_is_help=True,
)

KeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--key", help="Key file for participant pseudonyms (default $KIZUNA_TRACK_KEY); never in the workspace."
    ),
]


@training_app.command("import")
def import_cmd(
    course: Annotated[str, typer.Option("--course", help="The course's name (one course per import).")],
    roster: Annotated[
        Path | None, typer.Option("--roster", help="Roster CSV/XLSX: session, participant_id, ...")
    ] = None,
    reaction: Annotated[
        Path | None, typer.Option("--reaction", help="Reaction forms: Likert items <scale>_<n>.")
    ] = None,
    tests: Annotated[Path | None, typer.Option("--tests", help="Pre/post test item scores (phase pre/post).")] = None,
    followup: Annotated[
        Path | None, typer.Option("--followup", help="Behaviour observations (phase baseline/followup).")
    ] = None,
    units: Annotated[Path | None, typer.Option("--units", help="Unit-level outcomes before/after.")] = None,
    key: KeyOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Import a course's roster, reaction forms, tests, follow-ups and unit results (one transaction)."""
    from kizuna.track.protect import load_key
    from kizuna.track.training_store import import_course
    from kizuna.workspace import open_workspace

    k = load_key(key)
    with open_workspace(workspace) as ws:
        summary = import_course(
            ws, course, k, roster=roster, reaction=reaction, tests=tests, followup=followup, units=units
        )
    render(summary.rows(), fmt, out, title=_("Imported course {course}").format(course=course))
    print(_("participants are stored as pseudonyms under key {key_id}").format(key_id=k.key_id), file=sys.stderr)


@training_app.command("evaluate")
def evaluate_cmd(
    course: Annotated[str | None, typer.Argument(help="A course (default: every course's levels).")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """The four levels of each course: one row per headline statistic, with n, CI and p."""
    from kizuna.track.training_report import levels_of
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        table, notes = levels_of(ws, course)
    render(table, fmt, out, title=_("Training evaluation (Kirkpatrick levels 1-4)"), float_digits=3)
    for n in notes:
        print(n, file=sys.stderr)


@training_app.command("report")
def report_cmd(
    course: Annotated[str, typer.Argument(help="The course to report on.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the HTML and XLSX report.")] = Path(
        "training-report"
    ),
    workspace: WorkspaceOpt = None,
) -> None:
    """Write the course's evaluation report: HTML (offline, printable) and XLSX."""
    from kizuna.track.training_report import write_report
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        paths = write_report(ws, course, out_dir)
    print(_("wrote {files}").format(files=", ".join(str(p) for p in paths.values())), file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Add the training commands to ``app``."""
    app.add_typer(training_app, name="training")
