"""CLI commands of the ledger: ingest, activities, flows, sources, warnings, codelists, alias.

Each command parses its options, calls one library function and renders the result.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kizuna.errors import InputError, Where
from kizuna.options import FormatOpt, OutOpt, WorkspaceOpt
from kizuna.output import Format, render
from kizuna.workspace import open_workspace

if TYPE_CHECKING:
    from kizuna.ledger.ingest import IngestSummary

CountryOpt = Annotated[str | None, typer.Option("--country", help="ISO 3166-1 alpha-2 code, e.g. SS.")]
SectorOpt = Annotated[str | None, typer.Option("--sector", help="DAC code or prefix, e.g. 152 or 15220.")]
PublisherOpt = Annotated[str | None, typer.Option("--publisher", help="Reporting-org ref, e.g. US-GOV-11.")]


def _date(raw: str | None, opt: str) -> date | None:
    if raw is None:
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise InputError("cli.bad_date", f"'{raw}' is not a date", Where(field=opt), hint="use YYYY-MM-DD") from None


KeepGoingOpt = Annotated[
    bool,
    typer.Option(
        "--keep-going",
        help="Import every good file; list each refused one with its error and exit 2 at the end "
        "(without it the first bad file stops the run; the files before it stay imported).",
    ),
]


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="IATI .xml files, 3W .csv/.xlsx sheets, or folders of them.")],
    workspace: WorkspaceOpt = None,
    keep_going: KeepGoingOpt = False,
) -> None:
    """Import IATI activity files and 3W/4W sheets into the workspace (one transaction per file)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from kizuna.ledger.ingest import expand_paths, ingest_paths

    files = expand_paths(paths)
    err = Console(stderr=True)
    with (
        open_workspace(workspace) as ws,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} files"),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress,
    ):
        task = progress.add_task("ingesting", total=len(files))

        def on_file(path: Path, i: int, n: int) -> None:
            progress.update(task, completed=i, description=f"ingesting {path.name}")

        summary = ingest_paths(ws, files, on_file=on_file, keep_going=keep_going)
        progress.update(task, completed=len(files))
    report_ingest(summary)


def report_ingest(summary: IngestSummary) -> None:
    """The ingest table and totals on stdout; each refused file as one error line on stderr, and exit
    status 2 when there was one (``--keep-going``)."""
    rows = [
        {
            "file": f.path.name,
            "kind": f.kind,
            "status": f.status,
            "publisher": f.publisher,
            "activities": f.activities,
            "transactions": f.transactions,
            "replaced": f.replaced,
            "warnings": sum(f.warnings.values()),
        }
        for f in summary.files
    ]
    render(rows, Format.table, None, title="Ingested")
    warn = summary.warnings_by_kind()
    failed = summary.failed
    typer.echo(
        f"{len(summary.files)} files, {summary.activities} activities, {summary.transactions} transactions, "
        f"{sum(warn.values())} warnings"
        + (": " + ", ".join(f"{k} {v}" for k, v in warn.items()) if warn else "")
        + (f"; {len(failed)} refused" if failed else "")
    )
    for f in failed:
        assert f.error is not None
        typer.echo(f.error.one_line(), err=True)
    if failed:
        raise typer.Exit(code=2)


def activities(
    workspace: WorkspaceOpt = None,
    country: CountryOpt = None,
    sector: SectorOpt = None,
    publisher: PublisherOpt = None,
    status: Annotated[str | None, typer.Option("--status", help="ActivityStatus code (2 = implementation).")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Running on or after YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Running on or before YYYY-MM-DD.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many rows.")] = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """List activities, filtered, with their counted spend in USD."""
    from kizuna.ledger.queries import ActivityFilter, list_activities

    flt = ActivityFilter(
        country=country,
        sector=sector,
        publisher=publisher,
        status=status,
        start=_date(date_from, "--from"),
        end=_date(date_to, "--to"),
    )
    with open_workspace(workspace, read_only=True) as ws:
        render(list_activities(ws, flt, limit=limit), fmt, out, title="Activities")


def flows(
    workspace: WorkspaceOpt = None,
    country: CountryOpt = None,
    sector: SectorOpt = None,
    publisher: PublisherOpt = None,
    level: Annotated[int, typer.Option("--level", help="Sector level: 3 (category) or 5 (purpose code).")] = 3,
    types: Annotated[
        str,
        typer.Option(
            "--types", help="Transaction types, comma-separated (3 = disbursement, 4 = expenditure, 2 = commitment)."
        ),
    ] = "3,4",
    year_from: Annotated[int | None, typer.Option("--year-from")] = None,
    year_to: Annotated[int | None, typer.Option("--year-to")] = None,
    all_rows: Annotated[
        bool, typer.Option("--include-double-counted", help="Also count money already counted at its funder.")
    ] = False,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """USD by publisher x country x sector x year (money counted once, at the funder)."""
    from kizuna.ledger.queries import FlowQuery, flow_totals

    q = FlowQuery(
        types=tuple(t.strip() for t in types.split(",") if t.strip()),
        level=level,
        include_double_counted=all_rows,
        country=country,
        sector=sector,
        publisher=publisher,
        year_from=year_from,
        year_to=year_to,
    )
    with open_workspace(workspace, read_only=True) as ws:
        render(flow_totals(ws, q), fmt, out, title="Flows (USD)")


def sources(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """List every import with its provenance: file, sha256, publisher, version, counts, time."""
    from kizuna.ledger.queries import list_sources

    with open_workspace(workspace, read_only=True) as ws:
        render(list_sources(ws), fmt, out, title="Imports")


def warnings(
    workspace: WorkspaceOpt = None,
    import_id: Annotated[int | None, typer.Option("--import", help="Only this import.")] = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Data-quality warnings found on import (percentages normalised, missing rates, bad values)."""
    from kizuna.ledger.queries import list_warnings

    with open_workspace(workspace, read_only=True) as ws:
        render(list_warnings(ws, import_id), fmt, out, title="Warnings")


codelists_app = typer.Typer(
    help="IATI codelists: built-in names offline, the full lists when online.", no_args_is_help=True
)


@codelists_app.command("update")
def codelists_update(workspace: WorkspaceOpt = None) -> None:
    """Download the IATI codelists (needs a network; the built-in names stay in use otherwise)."""
    from kizuna.reference.codelists import download

    with open_workspace(workspace) as ws, ws.transaction() as con:
        counts = download(con)
    typer.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


@codelists_app.command("load")
def codelists_load(
    folder: Annotated[Path, typer.Argument(help="Folder of IATI codelist .xml files.")], workspace: WorkspaceOpt = None
) -> None:
    """Load IATI codelist XML files from a local folder (offline)."""
    from kizuna.reference.codelists import load_folder

    with open_workspace(workspace) as ws, ws.transaction() as con:
        counts = load_folder(con, folder)
    typer.echo(f"loaded {sum(counts.values())} codes from {len(counts)} codelists")


@codelists_app.command("show")
def codelists_show(
    name: Annotated[str, typer.Argument(help="Codelist name, e.g. SectorCategory.")],
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Show the codes of one codelist as the workspace knows them."""
    from kizuna.reference.codelists import ensure_codelists

    with open_workspace(workspace) as ws:
        with ws.transaction() as con:
            ensure_codelists(con)
        rows = ws.query(
            "SELECT code, name, category, source FROM codelist_items WHERE codelist = ? ORDER BY code", [name]
        )
    render(rows, fmt, out, title=name)


alias_app = typer.Typer(help="Organisation name aliases used to match 3W sheets.", no_args_is_help=True)


@alias_app.command("add")
def alias_add(
    alias: Annotated[str, typer.Argument(help="The name as written in sheets.")],
    name: Annotated[str, typer.Option("--name", help="The organisation's canonical name.")],
    ref: Annotated[str | None, typer.Option("--ref", help="Its IATI organisation identifier.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add or change an alias: later 3W imports match ALIAS to NAME (and REF)."""
    from kizuna.ledger.aliases import add_alias

    with open_workspace(workspace) as ws:
        add_alias(ws, alias, name, ref)
    typer.echo(f"'{alias}' -> {name}" + (f" ({ref})" if ref else ""))


@alias_app.command("list")
def alias_list(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """List the aliases."""
    with open_workspace(workspace, read_only=True) as ws:
        render(
            ws.query("SELECT alias, org_name, org_ref FROM org_aliases ORDER BY alias_norm"), fmt, out, title="Aliases"
        )


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("activities")(activities)
    app.command("flows")(flows)
    app.command("sources")(sources)
    app.command("warnings")(warnings)
    app.add_typer(codelists_app, name="codelists")
    app.add_typer(alias_app, name="alias")
