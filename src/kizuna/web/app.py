"""The Kizuna web app: pages and the JSON API over one workspace, read-only and offline.

``create_app(workspace_path)`` opens the workspace read-only and wires the parts together:

- a guard (pure ASGI middleware) that adds security headers to every response, refuses
  unexpected Host headers when the server listens on loopback (DNS rebinding), answers HEAD as GET
  without the body (RFC 9110 §9.3.2), and turns any unexpected exception into the one error shape
  (status 500) with no stack trace for the client;
- error handlers that render every error — ours, 404/405 and FastAPI's 422 validation errors —
  as exactly :meth:`kizuna.errors.KizunaError.to_dict` under ``/api`` and as an error page elsewhere
  (a 405 with ``Allow: GET, HEAD``, RFC 9110 §15.5.6);
- the OpenAPI document with each filter's values as this workspace holds them (:func:`kizuna.web.api.declare_filters`);
- static files (``/static``), including the Vega bundle from ``vl_convert.javascript_bundle()``
  served from memory so charts and maps need no CDN.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kizuna import __version__, i18n
from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_, gettext
from kizuna.web.render import render_page
from kizuna.web.store import ReadOnlyStore

log = logging.getLogger("kizuna.web")

STATIC_DIR = Path(__file__).parent / "static"

# Vega compiles expressions with the interpreter (embed option ``ast: true``), so no 'unsafe-eval';
# charts are SVG built through the DOM, so no inline styles either.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
LANG_COOKIE = "kizuna_lang"
LANG_COOKIE_AGE = 365 * 24 * 3600


def request_language(scope: Scope) -> tuple[str, bool]:
    """The language of a request, and whether it was chosen with ``?lang=`` (then it is remembered in
    a cookie). Order: ``?lang=``, the ``kizuna_lang`` cookie, ``Accept-Language``, English."""
    from urllib.parse import parse_qs

    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    chosen = i18n.normalise((query.get("lang") or [None])[-1])
    if chosen:
        return chosen, True
    headers = dict(scope.get("headers") or [])
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == LANG_COOKIE and i18n.normalise(value):
            return i18n.normalise(value) or i18n.DEFAULT, False
    return i18n.negotiate(headers.get(b"accept-language", b"").decode("latin-1")) or i18n.DEFAULT, False


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def error_response(path: str, err: KizunaError) -> Response:
    """The one error shape for the API; an error page (same content) for pages."""
    if is_api(path):
        return JSONResponse(err.to_dict(), status_code=err.status)
    return HTMLResponse(
        render_page(
            "error.html", {"error": err.to_dict()["error"], "status": err.status, "title": gettext(N_("Error"))}
        ),
        status_code=err.status,
    )


INTERNAL = KizunaError(
    "server.internal",
    N_("the server could not answer this request"),
    Where(),
    hint=N_("the server log has the details; try again or report it"),
    status=500,
)


def _timing(started_at: float) -> tuple[bytes, bytes]:
    """A Server-Timing header (W3C Server Timing): the server's own time for this response, in ms."""
    return b"server-timing", f"app;dur={(time.perf_counter() - started_at) * 1000:.3f}".encode()


class ResponseCache:
    """Whole successful GET responses (pages and API bodies) by path and query string.

    The workspace cannot change while it is served, so an answer stays right; serving it from here
    skips routing, validation and the thread hop. Bounded by entries; bodies over ``max_bytes`` are
    not kept. Static files (which vary with Accept-Encoding) are left to their own route.
    """

    def __init__(self, entries: int, max_bytes: int = 1 << 20):
        self.entries = entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, bytes], tuple[int, list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, bytes]) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def clear(self) -> None:
        """Forget every response (the data version changed: :meth:`kizuna.web.store.ReadOnlyStore.refresh`)."""
        with self._lock:
            self._items.clear()

    def put(self, key: tuple[str, bytes], value: tuple[int, list[tuple[bytes, bytes]], bytes]) -> None:
        if len(value[2]) > self.max_bytes:
            return
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.entries:
                self._items.popitem(last=False)


class Guard:
    """Security headers on every response, a Host check, 500s without stack traces, and the
    response cache."""

    def __init__(
        self,
        app: ASGIApp,
        allowed_hosts: tuple[str, ...] | None = None,
        cache_entries: int = 0,
        store: ReadOnlyStore | None = None,
        watch: bool = False,
    ):
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.cache = ResponseCache(cache_entries) if cache_entries else None
        # the store drops its precomputations when the data version changes; the responses go with them
        self.store = store if watch else None
        if store is not None and self.cache is not None:
            store.on_change(self.cache.clear)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("method") == "HEAD":
            # RFC 9110 §9.3.2: HEAD is GET without the content; the same status and headers (its
            # Content-Length is the GET body's). The server's own scope keeps HEAD, so it sends nothing.
            scope, send = {**scope, "method": "GET"}, _without_body(send)
        path = scope.get("path", "")
        if self.allowed_hosts is not None:
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in self.allowed_hosts:
                err = KizunaError(
                    "http.bad_host",
                    N_("this server answers only on its own address"),
                    Where(field="Host"),
                    hint=N_("open http://127.0.0.1 (got host {host!r})"),
                    params={"host": host[:60]},
                )
                await self._send_headers_too(error_response(path, err), scope, receive, send)
                return
        started_at = time.perf_counter()
        if self.store is not None and not path.startswith("/static/"):
            self.store.refresh()  # data that can change under the server: check its version first
        lang, chosen = request_language(scope)
        i18n.set_language(lang)
        lang_headers = [(b"content-language", lang.encode()), (b"vary", b"Accept-Language, Cookie")]
        if chosen:
            lang_headers.append(
                (b"set-cookie", f"{LANG_COOKIE}={lang}; Path=/; Max-Age={LANG_COOKIE_AGE}; SameSite=Lax".encode())
            )
        key = (path, scope.get("query_string", b"") + b"#" + lang.encode())
        cacheable = self.cache is not None and scope.get("method") == "GET" and not path.startswith("/static/")
        if cacheable:
            hit = self.cache.get(key)  # type: ignore[union-attr]
            if hit is not None:
                status, headers, body = hit
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [*headers, *lang_headers, _timing(started_at)],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        started = False
        captured: dict[str, Any] = {"chunks": []}

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in {h for h, _ in SECURITY_HEADERS}
                ]
                captured["status"], captured["headers"] = message["status"], headers + SECURITY_HEADERS
                if not path.startswith("/static/"):
                    headers = [(k, v) for k, v in headers if k.lower() not in (b"content-language", b"vary")]
                    message = {**message, "headers": [*headers, *SECURITY_HEADERS, *lang_headers, _timing(started_at)]}
                else:
                    message = {**message, "headers": [*headers, *SECURITY_HEADERS, _timing(started_at)]}
            elif message["type"] == "http.response.body" and cacheable:
                captured["chunks"].append(message.get("body", b""))
                if not message.get("more_body") and captured.get("status") == 200:
                    self.cache.put(key, (200, captured["headers"], b"".join(captured["chunks"])))  # type: ignore[union-attr]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:  # noqa: BLE001 — the client gets the error shape, the log gets the trace
            log.exception("unhandled error on %s", path)
            if started:
                raise
            await error_response(path, INTERNAL)(scope, receive, send_with_headers)

    async def _send_headers_too(self, response: Response, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", [])) + SECURITY_HEADERS}
            await send(message)

        await response(scope, receive, send_with_headers)


def _without_body(send: Send) -> Send:
    """``send`` that drops the bytes of the response body (for HEAD), keeping its framing."""

    async def send_headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_headers_only


ALLOW = "GET, HEAD"  # every page, API endpoint and static file: the server is read-only


class VegaBundle:
    """The Vega + Vega-Lite + vega-embed bundle from vl-convert, built once and kept in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._body: bytes | None = None
        self._gzip: bytes | None = None
        self.etag = ""

    def get(self) -> tuple[bytes, bytes]:
        with self._lock:
            if self._body is None:
                import vl_convert

                self._body = vl_convert.javascript_bundle().encode("utf-8")  # type: ignore[call-arg]
                self._gzip = gzip.compress(self._body, 6)
                self.etag = '"' + hashlib.sha256(self._body).hexdigest()[:32] + '"'
            assert self._gzip is not None
            return self._body, self._gzip


def _validation_error(exc: RequestValidationError) -> KizunaError:
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(x) for x in first.get("loc", ()) if x not in ("query", "path", "body")]
    field = ".".join(loc) or None
    msg = str(first.get("msg", "invalid request"))
    return KizunaError(
        "request.invalid",
        N_("invalid parameter: {detail} (and {more} more)") if len(errors) > 1 else N_("invalid parameter: {detail}"),
        Where(field=field),
        hint=N_("see /api/v1/openapi.json for the parameters this endpoint takes"),
        status=422,
        params={"detail": msg, "more": len(errors) - 1},
    )


def _http_error(exc: StarletteHTTPException, path: str) -> KizunaError:
    if exc.status_code == 404:
        return KizunaError(
            "http.not_found",
            N_("no such page or endpoint"),
            Where(key=path[:200]),
            hint=N_("the API's endpoints are listed at /api/v1"),
            status=404,
        )
    if exc.status_code == 405:
        return KizunaError(
            "http.method_not_allowed",
            N_("this server is read-only: use GET"),
            Where(key=path[:200]),
            hint=N_("only GET (and HEAD) requests are answered"),
            status=405,
        )
    reason = "{detail}"  # Starlette's own reason phrase (e.g. "Request Entity Too Large"): not ours to translate
    return KizunaError(
        f"http.{exc.status_code}",
        reason,
        Where(key=path[:200]),
        status=exc.status_code,
        params={"detail": str(exc.detail)},
    )


def create_app(
    workspace_path: Path | str,
    allowed_hosts: tuple[str, ...] | None = None,
    cache_size: int = 512,
    needs: Path | str | None = None,
    watch: bool = False,
) -> FastAPI:
    """The app over the workspace at ``workspace_path``, opened read-only.

    ``allowed_hosts``: Host header names to answer (``None`` = any); :func:`kizuna.web.serve`
    passes the loopback names when it binds to 127.0.0.1. ``cache_size``: responses, pages and query
    results kept in memory (0 = every per-request cache off: each request queries and renders; the
    data-version precomputations stay, see :mod:`kizuna.web.store`). ``watch``: re-read the data
    version before each request and drop everything derived from older data (for data that can change
    while served; a DuckDB file served read-only cannot, so ``kizuna serve`` leaves it off).
    ``needs``: a needs table (CSV/XLSX, see :func:`kizuna.coordinate.load.read_needs`) for the gaps page.
    """
    store = ReadOnlyStore(workspace_path, cache_size=cache_size, needs=needs)
    if needs is not None:
        store.needs_table()  # a bad needs file is an error at start, not on the gaps page
    return _build_app(store, allowed_hosts=allowed_hosts, cache_size=cache_size, watch=watch)


def create_copies_app(allowed_hosts: tuple[str, ...] | None = None) -> FastAPI:
    """One app for many workspaces: each request names the store it reads in ``scope["state"]["store"]``
    (:func:`kizuna.web.store.store_of`). The shared server answers every organisation's analytical copy
    through it, so a new copy costs a :class:`ReadOnlyStore`, not a new app whose routes compile on
    first use. No response cache here: the caller keeps whole answers per copy
    (:class:`kizuna.web.shared_app.SharedServer`); each store keeps its own query results and pages."""
    return _build_app(None, allowed_hosts=allowed_hosts, cache_size=0, watch=False)


def openapi_for(app: FastAPI, store: ReadOnlyStore) -> dict[str, Any]:
    """The OpenAPI document of ``app`` with each filter's values as ``store`` holds them (kept with the
    store's data version)."""
    import copy as copying

    from kizuna.web import api

    base = FastAPI.openapi(app)  # (the routes' document, built once per app)
    return store.remember(("openapi",), lambda: api.declare_filters(copying.deepcopy(base), store), keep=True)


def _build_app(
    store: ReadOnlyStore | None, *, allowed_hosts: tuple[str, ...] | None, cache_size: int, watch: bool
) -> FastAPI:
    from kizuna.web import api, pages

    app = FastAPI(
        title="Kizuna API",
        version=__version__,
        description=(
            "Read-only JSON API over a Kizuna workspace: the data of every dashboard page. "
            "Lists take `limit`/`offset` and return `total`; add `format=csv` or `format=xlsx` to "
            'download. Every error has one shape: `{"error": {code, message, where, hint}}`.'
        ),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN: not offline
        redoc_url=None,
    )
    app.state.store = store
    app.state.vega = VegaBundle()

    @app.exception_handler(KizunaError)
    async def _kizuna_error(request: Request, exc: KizunaError) -> Response:
        return error_response(request.url.path, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request.url.path, _validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        response = error_response(request.url.path, _http_error(exc, request.url.path))
        if exc.status_code == 405:
            response.headers["Allow"] = ALLOW  # RFC 9110 §15.5.6: a 405 lists the methods answered
        return response

    def openapi() -> dict[str, Any]:
        # the filters' values (enums, patterns) are this workspace's: kept until the data version changes
        if store is None:
            return FastAPI.openapi(app)
        return openapi_for(app, store)

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/static/vega.js", include_in_schema=False)
    def vega_bundle(request: Request) -> Response:
        body, zipped = app.state.vega.get()
        headers = {
            "Cache-Control": "public, max-age=86400",
            "ETag": app.state.vega.etag,
            "Vary": "Accept-Encoding",
        }
        if request.headers.get("if-none-match") == app.state.vega.etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(
                zipped,
                media_type="text/javascript; charset=utf-8",
                headers={**headers, "Content-Encoding": "gzip"},
            )
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    from kizuna.web import track_ddr, track_results, track_training

    for part in (track_results, track_ddr, track_training):
        app.include_router(part.router)
    app.add_middleware(
        Guard,  # type: ignore[arg-type]
        allowed_hosts=allowed_hosts,
        cache_entries=cache_size,
        store=store,
        watch=watch,
    )
    return app


def describe(app: FastAPI) -> dict[str, Any]:
    """Small facts about a running app (for logs and the CLI banner)."""
    store: ReadOnlyStore = app.state.store
    return {"workspace": str(store.path), "tables": len(store.tables)}
