"""The shared server: ``kizuna serve --database URL`` — many organisations, one PostgreSQL database.

``create_shared_app(database_url, data_dir=...)`` wraps the single-analyst app:

- **Connections.** One ``psycopg_pool.ConnectionPool``; every new connection runs ``SET ROLE
  kizuna_app`` (:func:`kizuna.shared.pg.set_app_role`), so every query is subject to row-level
  security, and each request names its organisation per transaction (:func:`kizuna.shared.pg.acting`).
  A pooled connection is checked before it is handed out (``ConnectionPool.check_connection``), so
  after PostgreSQL restarts the pool replaces its dead connections by itself. Any
  ``OperationalError`` or pool timeout is the one error ``db.unavailable`` (HTTP 503).
- **Who asks.** Every request except ``/login``, ``/healthz`` and ``/static`` needs a principal: a
  bearer token (``Authorization: Bearer kzt_…``) or the ``kizuna_session`` cookie, looked up in the
  database on *every* request (nothing cached: a revoked token or ended session is refused at once).
  Pages without one redirect to ``/login``; the API answers 401 in the one error shape.
- **CSRF.** A request with a session cookie that changes something (POST, PUT, PATCH, DELETE) must
  carry the session's CSRF token (OWASP CSRF Prevention Cheat Sheet, synchronizer token): in the
  form field ``csrf_token`` for the forms, or the ``X-CSRF-Token`` header; otherwise 403
  ``auth.csrf``. Bearer-token calls carry no cookie and need none. The login form itself is guarded
  by a double-submit token (a pre-login cookie that is never promoted to a session).
- **Cookies.** ``kizuna_session``: HttpOnly, SameSite=Strict, Path=/, an absolute expiry
  (:data:`kizuna.shared.accounts.SESSION_HOURS`), a new random id at every login; ``Secure`` when the
  request came over TLS: the server's own scheme is ``https``, or it runs with ``behind_tls`` (a
  reverse proxy on this machine terminates TLS: every cookie is then Secure, and the proxy's
  ``X-Forwarded-For`` — trusted only from a loopback peer — names the client for the login rate limit).
- **Pages and the read API.** Served for the principal's organisation from an *analytical copy*: a
  DuckDB workspace holding exactly what that organisation may see, read through RLS
  (:func:`kizuna.shared.records.build_analytical_copy`), kept on disk under ``data_dir/copies`` by
  :func:`kizuna.shared.records.copy_key` (a write bumps the data version: a new key, a fresh copy; two
  organisations that see the same rows share one). Each copy is served by the unchanged
  :func:`kizuna.web.app.create_app` (a few kept, least recently used first out), with its response
  caches off: pages carry the account bar, which differs per person.
- **Health.** ``/healthz``: 200 ``{"status": "ok", "database": "ok", "schema": N}``, or 503 in the
  one error shape when PostgreSQL cannot be reached.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.types import Message, Receive, Scope, Send

from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_, gettext
from kizuna.shared import accounts, pg
from kizuna.shared import audit as audit_log
from kizuna.shared.accounts import Principal
from kizuna.web.app import create_app, error_response
from kizuna.web.render import render_page
from kizuna.web.shared_context import set_account

log = logging.getLogger("kizuna.web.shared")

SESSION_COOKIE = "kizuna_session"
LOGIN_COOKIE = "kizuna_login"  # the login form's double-submit token (not a session)
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Routes whose handlers read the CSRF token from their form body (the dispatcher cannot, without
# consuming the body); every other unsafe request with a session needs the X-CSRF-Token header.
FORM_ROUTES = frozenset({("POST", "/logout"), ("POST", "/upload"), ("POST", "/api/v1/imports"),
                         ("POST", "/imports/visibility"), ("POST", "/imports/delete")})
PUBLIC = ("/login", "/healthz")
# Paths the shared layer answers itself; everything else goes to the organisation's analytical copy.
OWN_PREFIXES = ("/logout", "/upload", "/imports", "/admin/", "/api/v1/imports", "/api/v1/jobs", "/api/v1/audit",
                "/api/v1/me")
LOGIN_PER_MINUTE = 10
COPIES_KEPT = 4
ROLE_LABELS = {"viewer": N_("viewer"), "editor": N_("editor"), "admin": N_("admin")}


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


AUTH_REQUIRED = KizunaError(
    "auth.required",
    N_("log in first: this server needs an account"),
    Where(),
    hint=N_("send Authorization: Bearer <token> (kizuna token create), or log in at /login"),
    status=401,
)
CSRF_FAILED = KizunaError(
    "auth.csrf",
    N_("the form's security token is missing or wrong"),
    Where(field="csrf_token"),
    hint=N_("reload the page and send the form again"),
    status=403,
)
FORBIDDEN = KizunaError(
    "auth.forbidden",
    N_("your role in this organisation does not allow this"),
    Where(),
    hint=N_("ask your organisation's admin for a higher role"),
    status=403,
)
RATE_LIMITED = KizunaError(
    "auth.rate_limited",
    N_("too many login attempts from this address"),
    Where(field="email"),
    hint=N_("wait a minute and try again"),
    status=429,
)


# --- the database --------------------------------------------------------------------------------


class Database:
    """The pool of ``kizuna_app`` connections; every failure to reach PostgreSQL becomes ``db.unavailable``."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10, timeout: float = 5.0):
        self.url = url
        self.pool: ConnectionPool[Any] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            open=False,
            kwargs={"row_factory": dict_row, "connect_timeout": 5},
            configure=pg.set_app_role,
            check=ConnectionPool.check_connection,  # a connection dead since a restart is replaced, not handed out
            reconnect_timeout=24 * 3600,  # keep trying to refill the pool while PostgreSQL is away
            name="kizuna",
        )
        self.pool.open(wait=False)  # the server starts (and answers 503) even while PostgreSQL is down

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection acting as ``kizuna_app``; commits on success, rolls back on error."""
        try:
            with self.pool.connection() as con:
                yield con
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as exc:
            log.warning("database unavailable: %s", exc)
            raise pg.unavailable(exc) from exc

    @contextmanager
    def acting(self, who: Principal) -> Iterator[psycopg.Connection[Any]]:
        """One transaction acting for ``who``'s organisation and role (RLS reads these)."""
        with self.connection() as con, pg.acting(con, who.org_id, who.role, who.user_id):
            yield con

    def close(self) -> None:
        self.pool.close()


# --- login rate limit ----------------------------------------------------------------------------


class RateLimit:
    """At most ``per_minute`` attempts per client address in any 60 s window (a sliding window)."""

    def __init__(self, per_minute: int = LOGIN_PER_MINUTE):
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(address, deque())
            while hits and now - hits[0] > 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle addresses
                for addr in [a for a, h in self._hits.items() if not h or now - h[-1] > 60]:
                    del self._hits[addr]
            return True


# --- analytical copies ---------------------------------------------------------------------------


class Copies:
    """One read-only app per analytical copy, by copy key; a few kept, least recently used first out.

    Building a copy takes a while: one build per key at a time (a lock per key), the others wait and
    then share it. A copy is built into a temporary file and renamed, so a crash leaves no half copy.

    With ``stale_reads`` a read does not wait for a new copy when the organisation's newest copy shows
    a subset of what it may see now (imports were only added or finished since: nothing it could read
    then has been withdrawn): that copy answers at once, marked stale, while the new one builds in
    the background. When anything was withdrawn (an import deleted, made private, no longer shared)
    the read waits for the new copy, so a withdrawn record is never shown again.
    """

    def __init__(self, db: Database, directory: Path, kept: int = COPIES_KEPT, stale_reads: bool = False):
        self.db = db
        self.directory = directory
        self.kept = kept
        self.stale_reads = stale_reads
        self._apps: OrderedDict[str, FastAPI] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._latest: dict[int, tuple[str, frozenset[tuple[int, bool]]]] = {}  # org -> its newest copy
        self._building: set[str] = set()

    def app_for(self, who: Principal) -> FastAPI:
        return self.view_for(who)[0]

    def view_for(self, who: Principal) -> tuple[FastAPI, bool]:
        """The app answering for ``who`` and whether it is a stale copy (a newer one is being built)."""
        from kizuna.shared import analytic

        with self.db.acting(who) as con:
            key, seen = analytic.copy_state(con)
        with self._lock:
            app = self._apps.get(key)
            if app is not None:
                self._apps.move_to_end(key)
                self._latest[who.org_id] = (key, seen)
                return app, False
            last = self._latest.get(who.org_id)
            if self.stale_reads and last is not None and last[0] in self._apps and last[1] <= seen:
                if key not in self._building:
                    self._building.add(key)
                    threading.Thread(target=self._refresh, args=(who, key), daemon=True).start()
                return self._apps[last[0]], True
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                app = self._apps.get(key)
            built = key
            if app is None:
                path, seen = self._build(who)
                built = path.stem
                app = self._register(path, create_app(path, cache_size=0))
            with self._lock:
                self._latest[who.org_id] = (built, seen)
        return app, False

    def _register(self, path: Path, app: FastAPI) -> FastAPI:
        with self._lock:
            self._apps[path.stem] = app
            self._apps.move_to_end(path.stem)
            while len(self._apps) > self.kept:
                old, _ = self._apps.popitem(last=False)
                self._key_locks.pop(old, None)
                # a request still reading it keeps its open file; the name goes now
                (self.directory / f"{old}.duckdb").unlink(missing_ok=True)
        return app

    def _refresh(self, who: Principal, key: str) -> None:
        """Build the copy of ``key`` in the background (stale reads); the next read finds it."""
        try:
            lock = self._key_locks.setdefault(key, threading.Lock())
            with lock:
                path, seen = self._build(who)
                if path.stem not in self._apps:
                    self._register(path, create_app(path, cache_size=0))
                with self._lock:
                    self._latest[who.org_id] = (path.stem, seen)
        except Exception:  # the next read tries again (or waits for a build of its own)
            log.exception("building an analytical copy in the background failed")
        finally:
            with self._lock:
                self._building.discard(key)

    def _build(self, who: Principal) -> tuple[Path, frozenset[tuple[int, bool]]]:
        """Build the copy ``who`` sees, named by the key of the same snapshot (REPEATABLE READ: the key
        and the rows are read at one instant, so a write in between cannot give a copy the wrong name);
        returns its path and the imports it holds."""
        from kizuna.shared import analytic

        with self.db.connection() as con:
            con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            try:
                with pg.acting(con, who.org_id, who.role, who.user_id):
                    key, seen = analytic.copy_state(con)
                    path = self.directory / f"{key}.duckdb"
                    if not path.exists():
                        analytic.build_analytical_copy(con, path)  # written aside and renamed: all or nothing
            finally:
                con.isolation_level = None
        return path, seen


# --- the server ----------------------------------------------------------------------------------


@dataclass
class Settings:
    database_url: str
    data_dir: Path
    max_upload_bytes: int = 100 * 1024 * 1024
    behind_tls: bool = False
    login_per_minute: int = LOGIN_PER_MINUTE
    extras: dict[str, Any] = field(default_factory=dict)


def client_address(scope: Scope, behind_tls: bool) -> str:
    """The client's address: the peer, or — behind a TLS proxy on this machine — the last hop the
    proxy appended to ``X-Forwarded-For`` (a header from anyone else is ignored: it can be forged)."""
    peer = (scope.get("client") or ("?", 0))[0]
    if behind_tls and peer in ("127.0.0.1", "::1"):
        forwarded = dict(scope.get("headers") or []).get(b"x-forwarded-for", b"").decode("latin-1")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()[:64]
    return str(peer)


def is_tls(scope: Scope, behind_tls: bool) -> bool:
    return behind_tls or scope.get("scheme") == "https"


def cookie_of(scope: Scope, name: str) -> str | None:
    raw = dict(scope.get("headers") or []).get(b"cookie", b"").decode("latin-1")
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def session_cookie(value: str, *, secure: bool, max_age: int) -> str:
    attrs = f"{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    return attrs + ("; Secure" if secure else "")


def account_view(who: Principal, csrf: str | None) -> dict[str, Any]:
    """What the account bar shows (see templates/shared_account.html)."""
    return {
        "email": who.email,
        "org": who.org_slug,
        "role": who.role,
        "role_label": ROLE_LABELS.get(who.role, who.role),
        "csrf": csrf or "",
        "can_write": who.can_write(),
        "is_admin": who.role == "admin",
    }


class SharedServer:
    """The ASGI app: authenticate, check CSRF, then answer from the shared routes or the organisation's copy."""

    def __init__(self, settings: Settings, db: Database, own: FastAPI, copies: Copies):
        self.settings = settings
        self.db = db
        self.own = own
        self.copies = copies

    def authenticate(self, scope: Scope) -> tuple[Principal, str | None] | None:
        """The principal of a request and its session's CSRF token (None for a token), or None."""
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth:
            scheme, _, secret = auth.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                return None
            with self.db.connection() as con:
                who = accounts.token_principal(con, secret.strip())
            return (who, None) if who else None
        sid = cookie_of(scope, SESSION_COOKIE)
        if not sid:
            return None
        with self.db.connection() as con:
            return accounts.session_principal(con, sid)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.own(scope, receive, send)
            return
        path: str = scope.get("path", "")
        set_account(None)
        if path in PUBLIC or path.startswith("/static/"):
            await self.own(scope, receive, send)
            return
        try:
            found = await anyio.to_thread.run_sync(self.authenticate, scope)
        except KizunaError as err:
            await error_response(path, err)(scope, receive, send)
            return
        if found is None:
            await self.refuse(scope, receive, send)
            return
        who, csrf = found
        method = scope.get("method", "GET")
        if method in UNSAFE and csrf is not None and (method, path) not in FORM_ROUTES:
            sent = dict(scope.get("headers") or []).get(CSRF_HEADER.encode(), b"").decode("latin-1")
            if not sent or not secrets.compare_digest(sent, csrf):
                await error_response(path, CSRF_FAILED)(scope, receive, send)
                return
        scope = {**scope, "state": {**scope.get("state", {}), "principal": who, "csrf": csrf}}
        set_account(account_view(who, csrf) if csrf is not None else None)
        if path.startswith(OWN_PREFIXES):
            await self.own(scope, receive, send)
            return
        if path == "/api/v1/openapi.json":
            await self.own(scope, receive, send)  # the copy's document plus the shared routes
            return
        try:
            app, stale = await anyio.to_thread.run_sync(self.copies.view_for, who)
        except KizunaError as err:
            await error_response(path, err)(scope, receive, send)
            return
        if not stale:
            await app(scope, receive, send)
            return
        # a stale copy (stale reads): say so, in a header for the API and on the page's account bar
        if csrf is not None:
            set_account({**account_view(who, csrf), "stale": True})

        async def send_stale(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-kizuna-stale", b"1")]}
            await send(message)

        await app(scope, receive, send_stale)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        stale = cookie_of(scope, SESSION_COOKIE) is not None
        if is_api(path):
            response: Response = error_response(path, AUTH_REQUIRED)
            response.headers["WWW-Authenticate"] = 'Bearer realm="kizuna"'
        else:
            query = scope.get("query_string", b"").decode("latin-1")
            target = path + ("?" + query if query else "")
            response = RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
        if stale:  # an ended or expired session: forget the cookie
            response.headers.append(
                "set-cookie", session_cookie("", secure=is_tls(scope, self.settings.behind_tls), max_age=0)
            )
        await response(scope, receive, send)


def principal(request: Request) -> Principal:
    who = request.scope.get("state", {}).get("principal")
    if who is None:
        raise AUTH_REQUIRED
    return who


def check_form_csrf(request: Request, sent: str | None) -> None:
    """The form field ``csrf_token`` against the session's (bearer-token calls have none and need none)."""
    expected = request.scope.get("state", {}).get("csrf")
    if expected is None:
        return
    header = request.headers.get(CSRF_HEADER)
    value = sent or header
    if not value or not secrets.compare_digest(str(value), expected):
        raise CSRF_FAILED


def safe_next(target: str | None) -> str:
    """Where to go after login: a path on this server only (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def sweep_partial(data: Path) -> int:
    """Remove what a killed server left half-written: uploads still streaming (``.upload-*.part``) and
    copies still building (hidden temporary files in ``copies/``). Their imports were never submitted,
    so the database holds nothing of them. The finished copies go too: they are a cache, and a data
    folder pointed at another (say, restored) database must not serve copies of the old one.
    Returns how many files went."""
    gone = 0
    for leftover in [*(data / "uploads").glob(".upload-*.part"), *(data / "copies").iterdir()]:
        if leftover.is_file():
            leftover.unlink(missing_ok=True)
            gone += 1
    return gone


def page(name: str, context: dict[str, Any], status: int = 200, title: str = "") -> HTMLResponse:
    """A shared-mode page (the base template without the single-analyst footer's workspace path)."""
    ctx = {"title": title, "path": "", "workspace": gettext(N_("shared database")), "shared": True, **context}
    return HTMLResponse(render_page(name, ctx), status_code=status, headers={"Cache-Control": "no-store"})


def audit(con: Any, who: Principal | None, action: str, target_kind: str, target_id: Any = None, **kw: Any) -> None:
    """Append one audit row in ``who``'s name (inside the caller's transaction)."""
    audit_log.append(
        con,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        actor_user=who.user_id if who else None,
        actor_org=who.org_id if who else None,
        **kw,
    )
