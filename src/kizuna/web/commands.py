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
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="Shared mode: a PostgreSQL URL (kizuna db init); logins, uploads, one view per organisation.",
        ),
    ] = None,
    data_dir: Annotated[
        Path,
        typer.Option("--data-dir", help="Shared mode: folder for uploads and analytical copies."),
    ] = Path("kizuna-data"),
    max_upload_mb: Annotated[
        float, typer.Option("--max-upload-mb", min=0.001, help="Shared mode: largest upload accepted (MiB).")
    ] = 100.0,
    behind_tls: Annotated[
        bool,
        typer.Option(
            "--behind-tls",
            help="Shared mode: a TLS proxy on this machine fronts the server (Secure cookies, X-Forwarded-For).",
        ),
    ] = False,
    stale_reads: Annotated[
        bool,
        typer.Option(
            "--stale-reads",
            help="Shared mode: while a newer view is built after others' uploads, answer from the previous one "
            "(marked stale; never after a withdrawal).",
        ),
    ] = False,
    pool_size: Annotated[
        int,
        typer.Option(
            "--pool-size", min=2, max=500, help="Shared mode: PostgreSQL connections the server keeps at most."
        ),
    ] = 20,
) -> None:
    """Serve the dashboard and the JSON API (/api/v1): over a workspace (read-only, fully offline), or
    with --database over the shared PostgreSQL database (accounts, uploads, one view per organisation)."""
    if database:
        from kizuna.web.shared_server import serve_shared

        serve_shared(
            database, host, port, data_dir=data_dir, max_upload_mb=max_upload_mb, behind_tls=behind_tls,
            stale_reads=stale_reads, pool_size=pool_size,
        )
        return
    from kizuna.web import serve

    serve(workspace, host, port, needs=needs, public=public)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
