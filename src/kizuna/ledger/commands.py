"""CLI commands of the ledger: ingest, activities, flows, sources, warnings, codelists, alias.

Each command parses its options, calls one library function and renders the result.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kizuna import i18n
from kizuna.errors import InputError, Where
from kizuna.i18n import N_, _, ngettext
from kizuna.ledger.endpoints import DATASTORE_URL, KEY_ENV, PAGE_ROWS, REGISTRY_URL, Source
from kizuna.options import FormatOpt, OutOpt, WorkspaceOpt
from kizuna.output import Format, render

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
        raise InputError(
            "cli.bad_date",
            N_("'{raw}' is not a date"),
            Where(field=opt),
            hint=N_("use YYYY-MM-DD"),
            params={"raw": raw},
        ) from None


KeepGoingOpt = Annotated[
    bool,
    typer.Option(
        "--keep-going",
        help="Import every good file (each in its own transaction); list each refused one with its error and "
        "exit 2 at the end (without it the run is all-or-nothing: the first bad file stops it and nothing "
        "of the run is stored).",
    ),
]

FetchKeepGoingOpt = Annotated[
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
    """Import IATI activity files and 3W/4W sheets into the workspace (all of them or none)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from kizuna.ledger.ingest import expand_paths, ingest_paths
    from kizuna.workspace import open_workspace

    files = expand_paths(paths)
    err = Console(stderr=True)
    with (
        open_workspace(workspace) as ws,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn(_("{task.completed}/{task.total} files")),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress,
    ):
        task = progress.add_task(_("ingesting"), total=len(files))

        def on_file(path: Path, i: int, n: int) -> None:
            progress.update(task, completed=i, description=_("ingesting {name}").format(name=path.name))

        summary = ingest_paths(ws, files, on_file=on_file, keep_going=keep_going)
        progress.update(task, completed=len(files))
    if report_ingest(summary):
        raise typer.Exit(code=2)


def report_ingest(summary: IngestSummary) -> int:
    """The ingest table and totals on stdout; each refused file as one error line on stderr. Returns how
    many were refused (``--keep-going``: the command then exits with status 2)."""
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
    render(rows, Format.table, None, title=_("Ingested"))
    warn = summary.warnings_by_kind()
    failed = summary.failed
    num = i18n.number
    line = _("{files} files, {activities} activities, {transactions} transactions, {warnings} warnings").format(
        files=num(len(summary.files)),
        activities=num(summary.activities),
        transactions=num(summary.transactions),
        warnings=num(sum(warn.values())),
    )
    if warn:  # warning kinds are codes (e.g. percentage_normalised), kept as they are
        line += _(": {counts}").format(counts=", ".join(f"{k} {num(v)}" for k, v in warn.items()))
    if failed:
        line += _("; {n} refused").format(n=num(len(failed)))
    typer.echo(line)
    for f in failed:
        assert f.error is not None
        typer.echo(f.error.one_line(), err=True)
    return len(failed)


def fetch(
    country: CountryOpt = None,
    publisher: Annotated[
        list[str] | None,
        typer.Option(
            "--publisher",
            help="Reporting-org ref (US-GOV-1) or Registry short name (usaid); repeat or comma-separate.",
        ),
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Activities running on or after YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Activities running on or before YYYY-MM-DD.")] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only records updated since YYYY-MM-DD[THH:MM:SSZ], or 'last' (since this selection's last "
            "complete download).",
        ),
    ] = None,
    source: Annotated[
        Source, typer.Option("--source", help="datastore (by country or publisher) or registry (publishers' files).")
    ] = Source.datastore,
    datastore_url: Annotated[
        str, typer.Option("--datastore-url", help="IATI Datastore API base URL (a local stand-in for demos).")
    ] = DATASTORE_URL,
    registry_url: Annotated[
        str, typer.Option("--registry-url", help="CKAN-compatible package_search base URL of the IATI Registry.")
    ] = REGISTRY_URL,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="Cache folder (default: kizuna-fetch/ beside the workspace).")
    ] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Download again what the cache holds.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be asked and where it would go; download nothing.")
    ] = False,
    keep_going: FetchKeepGoingOpt = False,
    key_env: Annotated[
        str, typer.Option("--key-env", help="Environment variable holding the Datastore subscription key.")
    ] = KEY_ENV,
    min_interval: Annotated[
        float, typer.Option("--min-interval", min=0.0, help="Seconds between the starts of two requests.")
    ] = 1.0,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds to wait for an answer.")] = 60.0,
    retries: Annotated[int, typer.Option("--retries", min=0, help="Attempts after the first, per request.")] = 5,
    rows: Annotated[int, typer.Option("--rows", min=1, help="Activities per Datastore request.")] = PAGE_ROWS,
    workspace: WorkspaceOpt = None,
) -> None:
    """Download IATI activities (Datastore or Registry) into a local cache and ingest them (needs a network)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from kizuna.ledger import fetch as f
    from kizuna.workspace import default_path, open_workspace

    ws_path = workspace or default_path()
    options = f.FetchOptions(
        cache_dir=cache or f.default_cache_dir(ws_path),
        source=source.value,
        datastore_url=datastore_url,
        registry_url=registry_url,
        rows=rows,
        timeout=timeout,
        retries=retries,
        min_interval=min_interval,
        refresh=refresh,
        key_env=key_env,
    )
    sel = f.Selection(
        country=f.check_country(country) if country else None,
        publishers=tuple(p.strip() for raw in publisher or [] for p in raw.split(",") if p.strip()),
        date_from=_date(date_from, "--from"),
        date_to=_date(date_to, "--to"),
    )
    sel = f.resolve_since(options, sel, f.parse_since(since) if since else None)
    if dry_run:
        plan = f.plan(options, sel)
        for label, value in (
            (N_("source"), plan.source),
            (N_("selection"), plan.selection),
            (N_("first request"), plan.first_request),
            (N_("cache"), f"{plan.folder} ({plan.cache})"),
            (N_("key"), plan.key),
            (N_("politeness"), plan.politeness),
        ):
            typer.echo(f"{_(label):14s} {value}")
        typer.echo(_("dry run: nothing downloaded, the workspace untouched"))
        return
    err = Console(stderr=True)
    with (
        open_workspace(ws_path) as ws,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress,
    ):
        down = progress.add_task(_("fetching"), total=None)
        load = progress.add_task(_("ingesting"), total=None, visible=False)

        def on_progress(done: int, total: int | None, what: str) -> None:
            progress.update(down, completed=done, total=total, description=_("fetching {what}").format(what=what))

        def on_file(path: Path, i: int, n: int) -> None:
            desc = _("ingesting {name}").format(name=path.name)
            progress.update(load, completed=i, total=n, visible=True, description=desc)

        result = f.fetch(ws, options, sel, keep_going=keep_going, on_progress=on_progress, on_file=on_file)
    d = result.fetched
    n = d.downloaded + d.cached
    num = i18n.number
    if d.source == "datastore":
        got = ngettext("{n} page ({downloaded} downloaded, {cached} from the cache)",
                       "{n} pages ({downloaded} downloaded, {cached} from the cache)", n)
    else:
        got = ngettext("{n} file ({downloaded} downloaded, {cached} from the cache)",
                       "{n} files ({downloaded} downloaded, {cached} from the cache)", n)
    got = got.format(n=num(n), downloaded=num(d.downloaded), cached=num(d.cached))
    if d.activities is not None:
        got = _("{n} activities, {rest}").format(n=num(d.activities), rest=got)
    typer.echo(
        _("{source}: {selection}: {got}; {requests} requests, {retries} retries, {mb} MB; cache {folder}").format(
            source=d.source,
            selection=sel.describe(),
            got=got,
            requests=num(d.requests),
            retries=num(d.retries),
            mb=num(d.bytes / 1e6, 1),
            folder=d.folder,
        )
    )
    for note in d.notes:
        typer.echo(_("note: {note}").format(note=note))
    refused = report_ingest(result.ingest)
    for what, exc in d.failed:
        typer.echo(f"{exc.one_line()} [{what}]", err=True)
    if refused or d.failed:
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
    from kizuna.workspace import open_workspace

    flt = ActivityFilter(
        country=country,
        sector=sector,
        publisher=publisher,
        status=status,
        start=_date(date_from, "--from"),
        end=_date(date_to, "--to"),
    )
    with open_workspace(workspace, read_only=True) as ws:
        render(list_activities(ws, flt, limit=limit), fmt, out, title=_("Activities"))


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
    from kizuna.workspace import open_workspace

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
        render(flow_totals(ws, q), fmt, out, title=_("Flows (USD)"))


def sources(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """List every import with its provenance: file, sha256, publisher, version, counts, time."""
    from kizuna.ledger.queries import list_sources
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        render(list_sources(ws), fmt, out, title=_("Imports"))


def warnings(
    workspace: WorkspaceOpt = None,
    import_id: Annotated[int | None, typer.Option("--import", help="Only this import.")] = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Data-quality warnings found on import (percentages normalised, missing rates, bad values), and
    organisation refs that are not identifiers, with what they count as and the money involved."""
    from kizuna.coordinate.queries import org_ref_warnings
    from kizuna.ledger.queries import list_warnings
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        rows = list_warnings(ws, import_id) + org_ref_warnings(ws, import_id)
    if not rows and fmt is Format.table and out is None:
        if import_id is None:
            print(_("no warnings"), file=sys.stderr)
        else:
            print(_("no warnings for import {import_id}").format(import_id=import_id), file=sys.stderr)
        return
    render(rows, fmt, out, title=_("Warnings"))


codelists_app = typer.Typer(
    help="IATI codelists: built-in names offline, the full lists when online.", no_args_is_help=True
)


@codelists_app.command("update")
def codelists_update(workspace: WorkspaceOpt = None) -> None:
    """Download the IATI codelists (needs a network; the built-in names stay in use otherwise)."""
    from kizuna.reference.codelists import download
    from kizuna.workspace import open_workspace

    with open_workspace(workspace) as ws, ws.transaction() as con:
        counts = download(con)
    # codelist names stay as IATI writes them
    typer.echo(", ".join(f"{k} {i18n.number(v)}" for k, v in counts.items()))


@codelists_app.command("load")
def codelists_load(
    folder: Annotated[Path, typer.Argument(help="Folder of IATI codelist .xml files.")], workspace: WorkspaceOpt = None
) -> None:
    """Load IATI codelist XML files from a local folder (offline)."""
    from kizuna.reference.codelists import load_folder
    from kizuna.workspace import open_workspace

    with open_workspace(workspace) as ws, ws.transaction() as con:
        counts = load_folder(con, folder)
    typer.echo(
        _("loaded {codes} codes from {lists} codelists").format(
            codes=i18n.number(sum(counts.values())), lists=i18n.number(len(counts))
        )
    )


@codelists_app.command("show")
def codelists_show(
    name: Annotated[str, typer.Argument(help="Codelist name, e.g. SectorCategory.")],
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Show the codes of one codelist as the workspace knows them."""
    from kizuna.reference.codelists import codelist_rows, ensure_codelists
    from kizuna.workspace import open_workspace

    with open_workspace(workspace) as ws, ws.transaction() as con:
        ensure_codelists(con)
        rows = codelist_rows(con, name)
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
    from kizuna.workspace import open_workspace

    with open_workspace(workspace) as ws:
        add_alias(ws, alias, name, ref)
    typer.echo(f"'{alias}' -> {name}" + (f" ({ref})" if ref else ""))


@alias_app.command("list")
def alias_list(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """List the aliases."""
    from kizuna.ledger.store import alias_rows
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        render(
            alias_rows(ws),
            fmt,
            out,
            title=_("Aliases"),
        )


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("fetch")(fetch)
    app.command("activities")(activities)
    app.command("flows")(flows)
    app.command("sources")(sources)
    app.command("warnings")(warnings)
    app.add_typer(codelists_app, name="codelists")
    app.add_typer(alias_app, name="alias")
