"""CLI: ``kizuna serve`` — the dashboard and JSON API over a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace file (default ./kizuna.duckdb or $KIZUNA_WORKSPACE)."),
]


def serve_cmd(
    workspace: WorkspaceOpt = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (127.0.0.1 = this machine only; others need --public).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    needs: Annotated[
        Path | None,
        typer.Option("--needs", help="Needs table (CSV/XLSX: area x sector, severity, people in need) for gaps."),
    ] = None,
    public: Annotated[
        bool,
        typer.Option(
            "--public",
            help="Allow a --host other than this machine (e.g. 0.0.0.0): the data becomes public, with no login.",
        ),
    ] = False,
) -> None:
    """Serve the dashboard and the read-only JSON API (/api/v1) over a workspace, fully offline."""
    from kizuna.web import serve

    serve(workspace, host, port, needs=needs, public=public)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
