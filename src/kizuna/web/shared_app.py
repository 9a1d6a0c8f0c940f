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
  organisations that see the same rows share one). A few copies are kept open (least recently used
  first out), each a :class:`kizuna.web.store.ReadOnlyStore`, all answered by one app
  (:func:`kizuna.web.app.create_copies_app`); whole answers are kept per copy, language and account
  bar (pages carry the account bar, which differs per person).
- **Who asks, in bulk.** Requests that arrive together are authenticated by one statement
  (:class:`AuthBatch`), still started after each request arrived.
- **Health.** ``/healthz``: 200 ``{"status": "ok", "database": "ok", "schema": N}``, or 503 in the
  one error shape when PostgreSQL cannot be reached.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout
from starlette.types import Message, Receive, Scope, Send

from kizuna import i18n
from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_, gettext
from kizuna.shared import accounts, pg
from kizuna.shared import audit as audit_log
from kizuna.shared.accounts import Principal
from kizuna.web.app import ResponseCache, create_copies_app, error_response
from kizuna.web.render import render_page
from kizuna.web.shared_context import account_key, set_account
from kizuna.web.store import ReadOnlyStore

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
REFRESH_S = 5.0  # stale reads: an organisation's next copy starts at most this often (s)
CHECK_AFTER_S = 1.0  # a pooled connection idle longer than this is pinged before it is handed out
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
        self.max_size = max_size
        self.timeout = timeout
        # The event loop's own pool, for the one query that authenticates a request (opened at the
        # server's start, see :meth:`aopen`): no trip to a worker thread for it.
        self.apool: AsyncConnectionPool[Any] | None = None
        self.aloop: asyncio.AbstractEventLoop | None = None
        self.pool: ConnectionPool[Any] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            open=False,
            kwargs={"row_factory": dict_row, "connect_timeout": 5},
            configure=pg.set_app_role,
            check=self._check,  # a connection dead since a restart is replaced, not handed out
            reconnect_timeout=24 * 3600,  # keep trying to refill the pool while PostgreSQL is away
            name="kizuna",
        )
        self._used: dict[int, float] = {}  # id(connection) -> when it last answered
        self.pool.open(wait=False)  # the server starts (and answers 503) even while PostgreSQL is down

    def _check(self, con: psycopg.Connection[Any]) -> None:
        """Before handing out a connection: ping it, unless it answered within the last second (a ping on
        every request would double the round trips of a read). A connection that died in that second
        fails its one request with 503 and the pool drops it."""
        if time.monotonic() - self._used.get(id(con), 0.0) > CHECK_AFTER_S:
            ConnectionPool.check_connection(con)

    @contextmanager
    def connection(self, autocommit: bool = False) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection acting as ``kizuna_app``; commits on success, rolls back on error.
        ``autocommit``: each statement on its own (one round trip for a single query, no BEGIN/COMMIT)."""
        try:
            with self.pool.connection() as con:
                if autocommit:
                    con.autocommit = True
                    try:
                        yield con
                    finally:
                        if not con.closed:
                            con.autocommit = False
                else:
                    yield con
                self._used[id(con)] = time.monotonic()
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as exc:
            log.warning("database unavailable: %s", exc)
            raise pg.unavailable(exc) from exc

    @contextmanager
    def acting(self, who: Principal) -> Iterator[psycopg.Connection[Any]]:
        """One transaction acting for ``who``'s organisation and role (RLS reads these)."""
        with self.connection() as con, pg.acting(con, who.org_id, who.role, who.user_id):
            yield con

    async def aopen(self) -> None:
        """Open the event loop's pool (at the server's start: the ASGI lifespan); PostgreSQL may be down."""

        async def check(con: psycopg.AsyncConnection[Any]) -> None:
            if time.monotonic() - self._used.get(id(con), 0.0) > CHECK_AFTER_S:
                await AsyncConnectionPool.check_connection(con)

        self.apool = AsyncConnectionPool(
            self.url,
            min_size=1,
            max_size=self.max_size,
            timeout=self.timeout,
            open=False,
            kwargs={"row_factory": dict_row, "connect_timeout": 5, "autocommit": True},
            configure=pg.set_app_role_async,
            check=check,
            reconnect_timeout=24 * 3600,
            name="kizuna-async",
        )
        await self.apool.open(wait=False)
        self.aloop = asyncio.get_running_loop()

    async def aclose(self) -> None:
        apool, self.apool, self.aloop = self.apool, None, None
        if apool is not None:
            await apool.close()

    def async_ready(self) -> bool:
        """Whether this event loop has its pool (under ``kizuna serve``; a test client without its
        lifespan goes through the worker-thread path)."""
        if self.apool is None:
            return False
        try:
            return asyncio.get_running_loop() is self.aloop
        except RuntimeError:
            return False

    @asynccontextmanager
    async def aconnection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """An autocommit connection of the event loop's pool, acting as ``kizuna_app``."""
        assert self.apool is not None
        try:
            async with self.apool.connection() as con:
                yield con
                self._used[id(con)] = time.monotonic()
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as exc:
            log.warning("database unavailable: %s", exc)
            raise pg.unavailable(exc) from exc

    def close(self) -> None:
        self.pool.close()


# --- analytical copies ---------------------------------------------------------------------------


class Copies:
    """One read-only store per analytical copy, by copy key; a few kept, least recently used first out.
    All of them are answered by one app (:func:`kizuna.web.app.create_copies_app`: a request names its
    store), so a new copy compiles no routes.

    Building a copy takes a while: one build per key at a time (a lock per key), the others wait and
    then share it. A copy is built into a temporary file and renamed, so a crash leaves no half copy.
    With a ``builder`` (a :class:`kizuna.shared.worker.ChildProcess`, what ``kizuna serve`` uses) the
    build runs in that child process, off this process's interpreter.

    The key of what an organisation sees is looked up at most once per data version (the version
    comes with the principal, from the one query that authenticates the request): every change of
    what anyone may see bumps the version in the same transaction.

    With ``stale_reads`` a read does not wait for a new copy when the organisation's newest copy shows
    a subset of what it may see now (imports were only added or finished since: nothing it could read
    then has been withdrawn): that copy — or a newer one another organisation's read brought in that
    holds only imports this one may read, as it reads them (:meth:`_stale_copy`) — answers at once,
    marked stale, while the new one builds in
    the background (and is warmed with the pages read lately before it takes over; one build at a time
    per organisation, and from each copy at most one started every ``refresh_s`` seconds, whichever of
    the organisations reading it asks: new data shows within that and one build's time). When anything was
    withdrawn (an import deleted, made private, no longer shared) the read waits for the new copy, so
    a withdrawn record is never shown again.

    ``cache_size``: query results and pages each copy's store keeps (see :mod:`kizuna.web.store`); a
    copy never changes, and a page's key includes the account bar shown (:func:`account_key`), so one
    person's page is never served to another.
    """

    def __init__(
        self,
        db: Database,
        directory: Path,
        kept: int = COPIES_KEPT,
        stale_reads: bool = False,
        builder: Any = None,
        cache_size: int = 0,
        refresh_s: float = REFRESH_S,
    ):
        self.db = db
        self.directory = directory
        self.kept = kept
        self.stale_reads = stale_reads
        self.builder = builder
        self.cache_size = cache_size
        self.app = create_copies_app()
        self._apps: OrderedDict[str, ReadOnlyStore] = OrderedDict()  # copy key -> its open store
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._latest: dict[int, tuple[str, frozenset[tuple[int, bool]]]] = {}  # org -> its newest copy
        self._seen: dict[str, frozenset[tuple[int, bool]]] = {}  # open copy's key -> the imports it holds
        self._stale_memo: dict[tuple[int, str, frozenset[tuple[int, bool]]], str | None] = {}  # see _stale_copy
        self._states: dict[tuple[int, str], tuple[int, str, frozenset[tuple[int, bool]]]] = {}
        self._building: set[str] = set()  # copy keys building in the background
        self._building_for: set[int] = set()  # organisations whose next copy builds in the background
        self._started: dict[str, float] = {}  # copy key -> when the build of it, or from it, last started
        self.refresh_s = refresh_s
        self._recent: OrderedDict[tuple[str, bytes, str], None] = OrderedDict()  # what to warm a copy with
        self._learning: dict[tuple[int, str, int], asyncio.Future[Any]] = {}  # state_for queries under way

    def store_for(self, who: Principal) -> ReadOnlyStore:
        """The store of the copy answering for ``who`` (a stale one while a newer one builds)."""
        return self.serving(who)[0]

    def state_for(self, who: Principal) -> tuple[str, frozenset[tuple[int, bool]]]:
        """The copy key ``who``'s organisation sees and the imports it holds (at most one query per data version)."""
        from kizuna.shared import analytic

        slot = (who.org_id, who.role)
        version = who.data_version
        known = self._states.get(slot)
        if version is not None and known is not None and known[0] == version:
            return known[1], known[2]
        with self.db.acting(who) as con:
            key, seen = analytic.copy_state(con)
        if version is not None:
            # computed after the version was read: at least as new as it, so safe to keep for it
            self._states[slot] = (version, key, seen)
        return key, seen

    def serving_known(self, who: Principal) -> View | None:
        """:meth:`serving` when that needs no database and no waiting (the organisation's key is known
        for this data version and its copy, or a stale one, is open); else None. Safe on the event loop."""
        known = self._states.get((who.org_id, who.role))
        if who.data_version is None or known is None or known[0] != who.data_version:
            return None
        return self._pick(who, known[1], known[2])

    async def aserving_known(self, who: Principal) -> View | None:
        """:meth:`serving_known` on the event loop, after learning (once per organisation, role and data
        version, however many requests ask at once) what the organisation sees: after each write, the
        first read of every organisation needs that query, and hundreds of readers asking it together
        would each hold a worker thread and a connection."""
        view = self.serving_known(who)
        if view is not None or who.data_version is None:
            return view
        slot = (who.org_id, who.role, who.data_version)
        pending = self._learning.get(slot)
        if pending is None:
            pending = asyncio.ensure_future(anyio.to_thread.run_sync(self.state_for, who))
            self._learning[slot] = pending
            pending.add_done_callback(lambda _f: self._learning.pop(slot, None))
        await asyncio.shield(pending)  # (one client going away does not cancel the others' query)
        return self.serving_known(who)

    def _pick(self, who: Principal, key: str, seen: frozenset[tuple[int, bool]]) -> View | None:
        with self._lock:
            store = self._apps.get(key)
            if store is not None:
                self._apps.move_to_end(key)
                self._latest[who.org_id] = (key, seen)
                return store, False, key
            stale = self._stale_copy(who, seen) if self.stale_reads else None
            if stale is not None:
                # one build at a time per organisation, and at most one started every refresh_s from the
                # copy it reads now: under a stream of uploads each new copy (and its warming here) would
                # otherwise cost more than the reads it serves; the next read after the pause starts the
                # newest one. The pause belongs to the copy, not the organisation: organisations that
                # read the same copy share it (each on its own, they started builds back to back)
                now = time.monotonic()
                if (
                    key not in self._building  # organisations that see the same imports share the build
                    and who.org_id not in self._building_for
                    and now - self._started.get(stale, -1e9) >= self.refresh_s
                ):
                    self._building.add(key)
                    self._building_for.add(who.org_id)
                    self._started[stale] = self._started[key] = now  # the new copy's pause starts now
                    threading.Thread(target=self._refresh, args=(who, key), daemon=True).start()
                self._latest[who.org_id] = (stale, self._seen[stale])
                return self._apps[stale], True, stale
        return None

    def _stale_copy(self, who: Principal, seen: frozenset[tuple[int, bool]]) -> str | None:
        """Under the lock: the open copy a stale read of ``who`` may answer from, or None (then it waits).

        A copy qualifies when it holds nothing but imports the organisation may read now, each as it
        reads it (``(import_id, owned)`` pairs: a copy with another organisation's person-level rows
        never qualifies), and everything the organisation's last copy showed (so nothing it saw
        disappears; after a withdrawal no copy qualifies and the read waits for a fresh one). Of those
        the newest (the most imports), its own last copy on a tie: a copy another organisation's read
        brought in is as good as one of its own, so organisations that see the same imports converge
        on the same copies instead of each building its own."""
        last = self._latest.get(who.org_id)
        if last is None:
            return None
        # remembered until the open copies change: each subset test walks thousands of imports at scale
        memo = (who.org_id, last[0], seen)
        if memo not in self._stale_memo:
            usable = (
                [(len(s), k == last[0], k) for k, s in self._seen.items() if k in self._apps and last[1] <= s <= seen]
                if last[1] <= seen
                else []
            )
            self._stale_memo[memo] = max(usable)[2] if usable else None
        return self._stale_memo[memo]

    def serving(self, who: Principal) -> View:
        """The store answering for ``who``, whether it is a stale copy, and the key of the copy it serves."""
        key, seen = self.state_for(who)
        picked = self._pick(who, key, seen)
        if picked is not None:
            return picked
        with self._lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                store = self._apps.get(key)
            built = key
            if store is None:
                built, seen = self._build(who)
                with self._lock:
                    store = self._apps.get(built)
                if store is None:
                    store = self._register(built, self._open(built), seen)
            with self._lock:
                self._latest[who.org_id] = (built, seen)
        return store, False, built

    def note_read(self, path: str, query: bytes, lang: str) -> None:
        """Remember a page or API read (the last few), to warm new copies with."""
        item = (path, query[:500], lang)
        with self._lock:
            self._recent[item] = None
            self._recent.move_to_end(item)
            while len(self._recent) > WARM_READS:
                self._recent.popitem(last=False)

    def _open(self, key: str) -> ReadOnlyStore:
        return ReadOnlyStore(self.directory / f"{key}.duckdb", cache_size=self.cache_size)

    def _register(self, key: str, store: ReadOnlyStore, seen: frozenset[tuple[int, bool]]) -> ReadOnlyStore:
        """Serve ``key`` from ``store``; beyond ``kept`` copies the least recently used go, but never an
        organisation's newest (its stale reads answer from it while the next one builds; evicting it
        would make every reader wait for a build)."""
        with self._lock:
            self._apps[key] = store
            self._seen[key] = seen
            self._stale_memo.clear()
            self._apps.move_to_end(key)
            newest = {k for k, _seen in self._latest.values()} | {key}
            for old in [k for k in self._apps if k not in newest][: max(0, len(self._apps) - self.kept)]:
                del self._apps[old]
                self._key_locks.pop(old, None)
                self._started.pop(old, None)
                self._seen.pop(old, None)
                # a request still reading it keeps its open file; the name goes now
                (self.directory / f"{old}.duckdb").unlink(missing_ok=True)
        return store

    def _refresh(self, who: Principal, key: str) -> None:
        """Build the copy of ``key`` in the background (stale reads), warm it with the reads seen lately,
        then let it answer; until then the previous copy does."""
        try:
            lock = self._key_locks.setdefault(key, threading.Lock())
            with lock:
                built, seen = self._build(who)
                if built not in self._apps:
                    store = self._open(built)
                    with self._lock:
                        recent = list(self._recent)
                    warm(self.app, store, recent)
                    self._register(built, store, seen)
                with self._lock:
                    self._latest[who.org_id] = (built, seen)
        except (concurrent.futures.CancelledError, concurrent.futures.BrokenExecutor):
            # the child process ended under it: the server is stopping, or the child died (the worker
            # logs that); no traceback for an expected stop. The next read tries again
            log.info("a background copy build ended with its child process")
        except Exception:  # the next read tries again (or waits for a build of its own)
            log.exception("building an analytical copy in the background failed")
        finally:
            with self._lock:
                self._building.discard(key)
                self._building_for.discard(who.org_id)

    def _build(self, who: Principal) -> tuple[str, frozenset[tuple[int, bool]]]:
        """Build the copy ``who`` sees (in the builder's child process when there is one); returns its
        key (the file is ``<key>.duckdb`` in the directory) and the imports it holds."""
        from kizuna.shared import analytic

        args = (self.db.url, who.org_id, who.role, who.user_id, str(self.directory))
        try:
            if self.builder is not None:
                key, seen = self.builder.call(analytic.build_copy_for, *args)
            else:
                key, seen = analytic.build_copy_for(*args)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise pg.unavailable(exc) from exc
        return key, frozenset(seen)


View = tuple[ReadOnlyStore, bool, str]  # the store of a copy, whether it is stale, the copy's key
WARM_READS = 12  # the distinct reads a new copy is warmed with


def warm(app: FastAPI, store: ReadOnlyStore, reads: list[tuple[str, bytes, str]]) -> None:
    """Answer ``reads`` (path, query string, language) once through ``app`` from ``store``, with no
    account, so that the store's data-version precomputations and cached results are ready before it
    serves anyone."""
    import asyncio

    async def one(path: str, query: bytes, lang: str) -> None:
        scope: dict[str, Any] = {
            "type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "root_path": "",
            "query_string": query, "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80),
            "client": ("127.0.0.1", 0), "state": {"store": store},
            "headers": [(b"host", b"127.0.0.1"), (b"accept-language", lang.encode())],
        }

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            return None

        await app(scope, receive, send)

    async def all_of_them() -> None:
        set_account(None)
        for path, query, lang in reads:
            try:
                await one(path, query, lang)
            except Exception:  # noqa: BLE001 — warming is best effort; the real request reports its error
                log.debug("warming %s failed", path, exc_info=True)

    asyncio.run(all_of_them())


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


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    if not extra:
        return send

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending


GC_YOUNG = 7000  # net new container objects before a young collection (CPython's default: 700)


def tune_gc() -> None:
    """Tune Python's cyclic garbage collector for a long-running server, once it is set up (Python
    documentation, ``gc.freeze``; the same is done by large Python web services): everything alive now
    — modules, the app, its templates — moves to the permanent generation, so a full collection no
    longer walks it, and young collections run ten times less often (:data:`GC_YOUNG`), so full ones
    do too. Each full collection stops every request in flight: under ``benchmarks/shared.py`` they
    took ~150 ms every second or two, and read p95 fell from 194 ms to 97 ms without them
    (docs/benchmarks.md). Garbage is still collected, only in fewer, smaller passes."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, 10, 10)


def credentials(scope: Scope) -> tuple[str, bytes, str] | None:
    """What a request presents: ``("token", hash, secret)`` for ``Authorization: Bearer``, ``("session",
    hash, id)`` for the session cookie, or None (nothing, another scheme, or a value that cannot be ours)."""
    auth = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
    if auth:
        scheme, _, secret = auth.partition(" ")
        secret = secret.strip()
        digest = accounts.token_lookup(secret) if scheme.lower() == "bearer" else None
        return None if digest is None else ("token", digest, secret)
    sid = cookie_of(scope, SESSION_COOKIE)
    digest = accounts.session_lookup(sid) if sid else None
    return None if digest is None or sid is None else ("session", digest, sid)


class AuthBatch:
    """Authentication of many concurrent requests in one statement (group commit, applied to reads).

    A request's credential waits in ``pending``; up to ``in_flight`` lookups run at once, each taking
    *everything* pending when it starts (:func:`kizuna.shared.accounts.principals_async`). Every
    credential is still looked up by a statement that starts after its request arrived, so a revoked
    token or ended session is refused at once, exactly as with one statement per request; only the
    round trips and the driver's work are shared. Under 200 clients a statement serves dozens.
    """

    def __init__(self, db: Database, in_flight: int = 2):
        self.db = db
        self.in_flight = in_flight
        self.pending: dict[tuple[str, bytes], list[asyncio.Future[Any]]] = {}
        self.running = 0
        self._tasks: set[asyncio.Task[None]] = set()  # (the loop keeps only weak references to tasks)

    async def lookup(self, kind: str, digest: bytes) -> tuple[Principal, str | None] | None:
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending.setdefault((kind, digest), []).append(fut)
        if self.running < self.in_flight:
            self.running += 1
            task = asyncio.ensure_future(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        result: tuple[Principal, str | None] | None = await fut
        return result

    async def _drain(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending, {}
                try:
                    async with self.db.aconnection() as con:
                        found = await accounts.principals_async(
                            con,
                            [d for k, d in batch if k == "token"],
                            [d for k, d in batch if k == "session"],
                        )
                except BaseException as exc:  # noqa: BLE001 — every waiting request gets the error (db.unavailable)
                    for futs in batch.values():
                        for fut in futs:
                            if not fut.done():
                                fut.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for key, futs in batch.items():
                    for fut in futs:
                        if not fut.done():  # (a request whose client went away)
                            fut.set_result(found.get(key))
        finally:
            self.running -= 1


class SharedServer:
    """The ASGI app: authenticate, check CSRF, then answer from the shared routes or the organisation's copy.

    ``answers``: whole GET answers of the copies, by copy key, path, query, language and account bar
    (:class:`kizuna.web.app.ResponseCache`; 0 entries: none). A copy never changes, so a kept answer
    stays right; a hit skips the copy app's whole stack. Authentication still runs on every request.
    """

    def __init__(
        self,
        settings: Settings,
        db: Database,
        own: FastAPI,
        copies: Copies,
        answers: int = 0,
        gc_tuned: bool = False,
        on_shutdown: Any = None,
    ):
        self.gc_tuned = gc_tuned
        # what to stop when the server shuts down (its job and copy children, its pool): run in the
        # lifespan, because uvicorn ends the process by re-raising SIGTERM/SIGINT once it has shut down,
        # and no code after uvicorn.run() would run
        self.on_shutdown = on_shutdown
        self.settings = settings
        self.db = db
        self.own = own
        self.copies = copies
        self.answers = ResponseCache(answers) if answers else None
        self.batch = AuthBatch(db)

    def authenticate(self, scope: Scope) -> tuple[Principal, str | None] | None:
        """The principal of a request and its session's CSRF token (None for a token), or None."""
        found = credentials(scope)
        if found is None:
            return None
        kind, _digest, secret = found
        with self.db.connection(autocommit=True) as con:  # one statement: one round trip
            if kind == "token":
                who = accounts.token_principal(con, secret)
                return (who, None) if who else None
            return accounts.session_principal(con, secret)

    def resolve(self, scope: Scope, reads_copy: bool) -> tuple[Principal, str | None, View | None] | None:
        """Authenticate (one query, which also reads the data version) and, for a read answered from the
        organisation's analytical copy, find that copy's app — in one trip to a worker thread."""
        found = self.authenticate(scope)
        if found is None:
            return None
        who, csrf = found
        return who, csrf, (self.copies.serving(who) if reads_copy else None)

    async def authenticate_async(self, scope: Scope) -> tuple[Principal, str | None] | None:
        """:meth:`authenticate` on the event loop's own pool, batched with the requests that arrive
        meanwhile (:class:`AuthBatch`)."""
        found = credentials(scope)
        if found is None:
            return None
        kind, digest, _secret = found
        return await self.batch.lookup(kind, digest)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        """Open the event loop's pool at start, close it at the end (the ASGI lifespan protocol)."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.db.aopen()
                except Exception as exc:  # noqa: BLE001 — the server says why it cannot start
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                if self.gc_tuned:
                    tune_gc()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.db.aclose()
                if self.on_shutdown is not None:
                    await anyio.to_thread.run_sync(self.on_shutdown)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            await self.own(scope, receive, send)
            return
        path: str = scope.get("path", "")
        set_account(None)
        if path in PUBLIC or path.startswith("/static/"):
            await self.own(scope, receive, send)
            return
        method = scope.get("method", "GET")
        reads_copy = method in ("GET", "HEAD") and not path.startswith(OWN_PREFIXES) and path != "/api/v1/openapi.json"
        try:
            if self.db.async_ready():
                known = await self.authenticate_async(scope)
                if known is None:
                    found = None
                else:
                    found = (*known, await self.copies.aserving_known(known[0]) if reads_copy else None)
            else:
                found = await anyio.to_thread.run_sync(self.resolve, scope, reads_copy)
        except KizunaError as err:
            await error_response(path, err)(scope, receive, send)
            return
        if found is None:
            await self.refuse(scope, receive, send)
            return
        who, csrf, view = found
        if method in UNSAFE and csrf is not None and (method, path) not in FORM_ROUTES:
            sent = dict(scope.get("headers") or []).get(CSRF_HEADER.encode(), b"").decode("latin-1")
            if not sent or not secrets.compare_digest(sent, csrf):
                await error_response(path, CSRF_FAILED)(scope, receive, send)
                return
        scope = {**scope, "state": {**scope.get("state", {}), "principal": who, "csrf": csrf}}
        set_account(account_view(who, csrf) if csrf is not None else None)
        if path.startswith(OWN_PREFIXES) or path == "/api/v1/openapi.json":
            await self.own(scope, receive, send)  # (the OpenAPI document: the copy's plus the shared routes)
            return
        if view is None:
            try:
                view = await anyio.to_thread.run_sync(self.copies.serving, who)
            except KizunaError as err:
                await error_response(path, err)(scope, receive, send)
                return
        store, stale, served = view
        app = self.copies.app
        scope["state"]["store"] = store
        if stale and csrf is not None:  # a stale copy (stale reads): the page's account bar says so
            set_account({**account_view(who, csrf), "stale": True})
        extra = [(b"x-kizuna-stale", b"1")] if stale else []  # and a header says so to the API
        if method != "GET" or self.answers is None:
            await app(scope, receive, _with_headers(send, extra))
            return
        query = scope.get("query_string", b"")
        lang = i18n.current()
        self.copies.note_read(path, query, lang)
        # A copy never changes: its answer for this path, query, language and account bar stays right.
        key = (path, b"#".join((served.encode(), query, lang.encode(), account_key())))
        hit = self.answers.get(key)
        if hit is not None:
            status, headers, body = hit
            await send({"type": "http.response.start", "status": status, "headers": [*headers, *extra]})
            await send({"type": "http.response.body", "body": body})
            return
        captured: dict[str, Any] = {"chunks": []}

        async def send_and_keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [(k, v) for k, v in message.get("headers", []) if k != b"server-timing"]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif message["type"] == "http.response.body":
                captured["chunks"].append(message.get("body", b""))
                if not message.get("more_body") and captured.get("status") == 200:
                    self.answers.put(key, (200, captured["headers"], b"".join(captured["chunks"])))  # type: ignore[union-attr]
            await send(message)

        await app(scope, receive, send_and_keep)

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
