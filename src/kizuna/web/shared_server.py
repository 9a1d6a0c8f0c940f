"""The shared server assembled: ``create_shared_app`` (the ASGI app over a PostgreSQL database) and
``serve_shared`` (``kizuna serve --database URL``).

The pieces live in :mod:`kizuna.web.shared_app` (authentication, copies, the request path),
:mod:`kizuna.web.shared_login` and :mod:`kizuna.web.shared_writes` (their routes); this module only puts
them together, so none of them imports another back.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from kizuna import __version__
from kizuna.errors import KizunaError
from kizuna.shared import pg
from kizuna.web.app import STATIC_DIR, Guard, VegaBundle, _http_error, _validation_error, error_response, openapi_for
from kizuna.web.shared_app import (
    LOGIN_PER_MINUTE,
    Copies,
    Database,
    Settings,
    SharedServer,
    principal,
    sweep_partial,
)


def create_shared_app(
    database_url: str,
    *,
    data_dir: Path | str,
    max_upload_mb: float = 100,
    behind_tls: bool = False,
    allowed_hosts: tuple[str, ...] | None = None,
    pool_max: int = 20,
    pool_timeout: float = 5.0,
    login_per_minute: int = LOGIN_PER_MINUTE,
    start_worker: bool = True,
    stale_reads: bool = False,
    child_processes: bool = False,
    cache_size: int = 256,
    tune_gc: bool = False,
    close_at_shutdown: bool = False,
) -> Any:
    """The shared server's ASGI app over the PostgreSQL database at ``database_url``.

    ``data_dir``: where analytical copies (``copies/``) and uploaded files (``uploads/``) are kept.
    ``max_upload_mb``: the largest upload accepted (MiB; larger → 413, nothing kept). ``behind_tls``: a
    TLS-terminating reverse proxy on this machine fronts the server (cookies Secure, client address
    from ``X-Forwarded-For``). ``start_worker``: run import jobs in a background thread of this process.
    ``stale_reads``: answer from an organisation's previous copy while a newer one builds, when only
    additions happened since (see :class:`Copies`); off by default: every read waits for a fresh copy.
    ``child_processes``: run import jobs and copy builds in two child processes at a lower priority
    (:mod:`kizuna.shared.worker`; ``kizuna serve`` does), not in threads of this one. ``pool_max``:
    PostgreSQL connections at most. ``cache_size``: whole answers kept, over all copies (0: none).
    ``tune_gc``: tune the garbage collector at start (:func:`kizuna.web.shared_app.tune_gc`; ``kizuna
    serve`` does; it changes the whole process, so tests leave it off). ``close_at_shutdown``: stop the
    job worker, the children and the pool when the server shuts down (the ASGI lifespan; ``kizuna serve``
    does); else the caller calls ``app.state.close()``.
    The returned app has ``.state`` with ``db``, ``settings`` and ``close()``.
    """
    data = Path(data_dir)
    (data / "copies").mkdir(parents=True, exist_ok=True)
    (data / "uploads").mkdir(parents=True, exist_ok=True)
    sweep_partial(data)
    settings = Settings(
        database_url, data, int(max_upload_mb * 1024 * 1024), behind_tls, login_per_minute
    )
    db = Database(database_url, max_size=pool_max, timeout=pool_timeout)
    own = FastAPI(
        title="Kizuna shared API",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    own.state.settings = settings
    own.state.db = db
    own.state.vega = VegaBundle()
    builder = None
    if child_processes:
        from kizuna.shared.worker import ChildProcess

        builder = ChildProcess("analytical copies")
    copies = Copies(db, data / "copies", stale_reads=stale_reads, builder=builder, cache_size=cache_size)
    own.state.copies = copies

    @own.exception_handler(KizunaError)
    async def _kizuna_error(request: Request, exc: KizunaError) -> Response:
        response = error_response(request.url.path, exc)
        if exc.code == "auth.rate_limited":
            response.headers["Retry-After"] = "60"
        return response

    @own.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request.url.path, _validation_error(exc))

    @own.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request.url.path, _http_error(exc, request.url.path))

    @own.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        try:
            with db.connection() as con:
                version = max(pg.applied(con), default=0)
        except KizunaError as err:
            return JSONResponse(err.to_dict(), status_code=err.status, headers={"Cache-Control": "no-store"})
        return JSONResponse(
            {"status": "ok", "database": "ok", "schema": version}, headers={"Cache-Control": "no-store"}
        )

    @own.get("/static/vega.js", include_in_schema=False)
    def vega_bundle(request: Request) -> Response:
        body, zipped = own.state.vega.get()
        headers = {"Cache-Control": "public, max-age=86400", "ETag": own.state.vega.etag, "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == own.state.vega.etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(
                zipped, media_type="text/javascript; charset=utf-8", headers={**headers, "Content-Encoding": "gzip"}
            )
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    @own.get("/api/v1/openapi.json", include_in_schema=False)
    def openapi_document(request: Request) -> JSONResponse:
        """The copy's document (its filters' values are what this organisation sees) plus the shared routes."""
        import copy as copying

        from fastapi.openapi.utils import get_openapi

        who = principal(request)
        doc = copying.deepcopy(openapi_for(copies.app, copies.store_for(who)))
        mine = get_openapi(title=own.title, version=own.version, routes=own.routes)
        doc["paths"].update(mine.get("paths", {}))
        components = doc.setdefault("components", {})
        components.setdefault("schemas", {}).update(mine.get("components", {}).get("schemas", {}))
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"bearer": []}]
        doc["info"]["description"] = (
            doc["info"].get("description", "") + " Shared mode: every request needs `Authorization: Bearer <token>`"
            " (kizuna token create) or a session; the data are what your organisation may see."
        )
        return JSONResponse(doc, headers={"Cache-Control": "no-store"})

    own.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    from kizuna.web import shared_login, shared_writes

    own.include_router(shared_login.router)
    own.include_router(shared_writes.router)
    shared_writes.install(own, settings, db, start_worker=start_worker, in_child=child_processes)

    closed = threading.Event()

    def close() -> None:
        """Stop the job worker and its child, the copy builder, the pool (once; safe to call again)."""
        if closed.is_set():
            return
        closed.set()
        shared_writes.stop(own)
        if builder is not None:
            builder.close()
        db.close()

    server = SharedServer(
        settings, db, own, copies, answers=cache_size, gc_tuned=tune_gc,
        on_shutdown=close if close_at_shutdown else None,
    )
    top = Guard(server, allowed_hosts=allowed_hosts, cache_entries=0)  # type: ignore[arg-type]

    own.state.answers = server.answers
    top.state = own.state  # type: ignore[attr-defined]
    own.state.close = close
    return top


def serve_shared(
    database_url: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    data_dir: Path | str = "kizuna-data",
    max_upload_mb: float = 100,
    behind_tls: bool = False,
    stale_reads: bool = False,
    pool_size: int = 20,
) -> None:
    """Run the shared server with uvicorn until interrupted (``kizuna serve --database URL``).

    On a loopback address it answers only Host headers naming loopback (a guard against DNS rebinding;
    a reverse proxy on this machine passes ``Host`` through, so run it with ``--host`` set to the name
    it serves, or keep the proxy's ``proxy_set_header Host 127.0.0.1``). Another address is allowed:
    every page needs a login here, but without ``--behind-tls`` passwords would cross the network in
    clear, so a warning says so.
    """
    import sys

    import uvicorn

    from kizuna.i18n import _
    from kizuna.web import is_loopback
    from kizuna.web.app import LOOPBACK_HOSTS

    loopback = is_loopback(host)
    if not loopback and not behind_tls:
        print(
            _("WARNING: serving on {host} without --behind-tls: passwords and sessions travel unencrypted.").format(
                host=host
            ),
            file=sys.stderr,
            flush=True,
        )
    app = create_shared_app(
        database_url, data_dir=data_dir, max_upload_mb=max_upload_mb, behind_tls=behind_tls,
        stale_reads=stale_reads, child_processes=True, pool_max=pool_size, tune_gc=True, close_at_shutdown=True,
        allowed_hosts=None if (not loopback or behind_tls) else (*LOOPBACK_HOSTS, host.strip().lower()),
    )
    shown = f"[{host}]" if ":" in host else host
    banner = _("Kizuna shared server on {url} (database {database}; Ctrl+C to stop)")
    print(banner.format(url=f"http://{shown}:{port}/", database=pg.redact(database_url)), flush=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False)
    finally:
        app.state.close()
