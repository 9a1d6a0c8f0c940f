"""The dashboard and JSON API: ``kizuna serve``, offline and read-only."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_, _

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is an address of this machine only: ``localhost`` or a loopback IP address
    (127.0.0.0/8, ::1; RFC 1122 §3.2.1.3, RFC 4291 §2.5.3). ``0.0.0.0`` and ``::`` are every address."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_host(host: str, public: bool) -> bool:
    """Whether serving on ``host`` makes the workspace public (True), after refusing a non-loopback
    address without ``public``: the server has no login, so anyone who reaches it reads everything."""
    if is_loopback(host):
        return False
    if not public:
        raise KizunaError(
            "serve.not_loopback",
            N_("serving on {host} lets anyone who can reach this machine read the whole workspace: there is no login"),
            Where(field="--host"),
            hint=N_("serve on 127.0.0.1 (this machine only), or add --public if this data may become public"),
            params={"host": host},
        )
    return True


def serve(
    workspace_path: Path | str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    needs: Path | str | None = None,
    public: bool = False,
) -> None:
    """Serve the dashboard and API over the workspace (read-only) until interrupted.

    Binds to 127.0.0.1 unless told otherwise; on a loopback address it answers only Host headers naming
    loopback (a guard against DNS rebinding). Any other address (``0.0.0.0``, a LAN address) is refused
    (``serve.not_loopback``) unless ``public`` is set: then a warning says that the data becomes public.
    ``needs``: a needs table for the gaps page.
    """
    import uvicorn

    from kizuna.web.app import LOOPBACK_HOSTS, create_app
    from kizuna.workspace import default_path

    opened = check_host(host, public)
    path = Path(workspace_path) if workspace_path is not None else default_path()
    allowed = None if opened else (*LOOPBACK_HOSTS, host.strip().lower())
    app = create_app(path, allowed_hosts=allowed, needs=needs)
    shown = f"[{host}]" if ":" in host else host
    if opened:
        warning = _(
            "WARNING: --public: every page, table and download of {workspace} is readable by anyone "
            "who can reach {host}:{port}, with no login."
        )
        print(warning.format(workspace=path, host=shown, port=port), file=sys.stderr, flush=True)
    banner = _("Kizuna dashboard on {url} (workspace {workspace}; Ctrl+C to stop)")
    print(banner.format(url=f"http://{shown}:{port}/", workspace=path), flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
