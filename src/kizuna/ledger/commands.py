"""CLI commands of the ledger: ingest, activities, flows, sources, codelists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kizuna.output import Format, render
from kizuna.workspace import open_workspace

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, csv, xlsx or json.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of the terminal.")]
WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace file (default ./kizuna.duckdb or $KIZUNA_WORKSPACE)."),
]


def sources(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """List every import with its provenance: file, sha256, publisher, version, counts, time."""
    from kizuna.ledger.queries import list_sources

    with open_workspace(workspace, read_only=True) as ws:
        render(list_sources(ws), fmt, out, title="Imports")


def register(app: typer.Typer) -> None:
    app.command("sources")(sources)
