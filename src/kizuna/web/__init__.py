"""The dashboard and JSON API: ``kizuna serve``, offline and read-only."""

from __future__ import annotations

from pathlib import Path

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(
    workspace_path: Path | str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    needs: Path | str | None = None,
) -> None:
    """Serve the dashboard and API over the workspace (read-only) until interrupted.

    Binds to 127.0.0.1 unless told otherwise; on loopback it answers only Host headers naming
    loopback (a guard against DNS rebinding). ``needs``: a needs table for the gaps page.
    """
    import uvicorn

    from kizuna.web.app import LOOPBACK_HOSTS, create_app
    from kizuna.workspace import default_path

    path = Path(workspace_path) if workspace_path is not None else default_path()
    allowed = LOOPBACK_HOSTS if host in LOOPBACK else None
    app = create_app(path, allowed_hosts=allowed, needs=needs)
    shown = f"[{host}]" if ":" in host else host
    print(f"Kizuna dashboard on http://{shown}:{port}/ (workspace {path}; Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
