"""Login and logout of the shared server (``/login``, ``/logout``) and ``/api/v1/me``.

- The login form is guarded by a double-submit token (OWASP CSRF Prevention Cheat Sheet, "login
  CSRF"): ``GET /login`` sets a random ``kizuna_login`` cookie and puts the same value in the form;
  ``POST /login`` needs both and equal. That cookie is never a session.
- A successful login always makes a *new* session id (:func:`kizuna.shared.accounts.create_session`)
  and ends any session the browser came with: a cookie planted before login is never promoted
  (session fixation, OWASP Session Management Cheat Sheet).
- Attempts are limited per client address (:func:`kizuna.shared.accounts.login_allowed`, counted in
  the database so every server process shares them, 429) on top of the account lockout
  (:func:`kizuna.shared.accounts.login`, 429 ``auth.locked``). Wrong passwords are counted even though
  the request fails (the counter is committed before the error is answered).
"""

from __future__ import annotations

import secrets
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from kizuna.errors import KizunaError
from kizuna.i18n import N_, gettext
from kizuna.shared import accounts
from kizuna.web import shared_app as sa

router = APIRouter(include_in_schema=False)
LOGIN_TOKEN_AGE = 3600


def _login_page(request: Request, *, error: KizunaError | None = None, email: str = "", org: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    settings: sa.Settings = request.app.state.settings
    ctx: dict[str, Any] = {
        "nav": [],
        "login_token": token,
        "next": sa.safe_next(request.query_params.get("next") or request.headers.get("x-kizuna-next")),
        "email": email,
        "org": org,
        "error": error.to_dict()["error"] if error else None,
    }
    response = sa.page("shared_login.html", ctx, status=error.status if error else 200, title=gettext(N_("Log in")))
    secure = "; Secure" if sa.is_tls(request.scope, settings.behind_tls) else ""
    response.headers.append(
        "set-cookie",
        f"{sa.LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age={LOGIN_TOKEN_AGE}{secure}",
    )
    if error is not None and error.code in ("auth.rate_limited", "auth.locked"):
        response.headers["Retry-After"] = "60"
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    settings: sa.Settings = request.app.state.settings
    db: sa.Database = request.app.state.db
    form = await request.form()
    email = str(form.get("email") or "")[:320]
    password = str(form.get("password") or "")[:1024]
    org = str(form.get("org") or "").strip()[:63]
    sent = str(form.get("login_token") or "")
    cookie = sa.cookie_of(request.scope, sa.LOGIN_COOKIE) or ""
    if not sent or not cookie or not secrets.compare_digest(sent, cookie):
        return _login_page(request, error=sa.CSRF_FAILED, email=email, org=org)
    address = sa.client_address(request.scope, settings.behind_tls)

    def allowed() -> bool:
        with db.connection() as con:  # in the database: every server process counts the same attempts
            return accounts.login_allowed(con, address, settings.login_per_minute)

    if not await anyio.to_thread.run_sync(allowed):
        return _login_page(request, error=sa.RATE_LIMITED, email=email, org=org)
    old = sa.cookie_of(request.scope, sa.SESSION_COOKIE)

    def check() -> tuple[accounts.Principal, str]:
        failed: KizunaError | None = None
        with db.connection() as con:
            try:
                who = accounts.login(con, email, password, org or None)
            except KizunaError as err:
                # commit the failure count (lockout) and the audit row, then answer the error
                failed = err
                sa.audit(con, None, "login.failed", "user", detail={"email": email.strip().lower()[:320]})
            if failed is None:
                if old:
                    accounts.end_session(con, old)  # never promote a cookie set before login
                sid, _csrf = accounts.create_session(con, who)
        if failed is not None:
            raise failed
        with db.acting(who) as con:
            sa.audit(con, who, "login", "session")
        return who, sid

    try:
        _who, sid = await anyio.to_thread.run_sync(check)
    except KizunaError as err:
        if err.code == "db.unavailable":
            raise
        return _login_page(request, error=err, email=email, org=org)
    response = RedirectResponse(sa.safe_next(str(form.get("next") or "")), status_code=303)
    secure = sa.is_tls(request.scope, settings.behind_tls)
    response.headers.append(
        "set-cookie", sa.session_cookie(sid, secure=secure, max_age=int(accounts.SESSION_HOURS * 3600))
    )
    response.headers.append("set-cookie", f"{sa.LOGIN_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    settings: sa.Settings = request.app.state.settings
    db: sa.Database = request.app.state.db
    who = sa.principal(request)
    form = await request.form()
    sa.check_form_csrf(request, str(form.get("csrf_token") or ""))
    sid = sa.cookie_of(request.scope, sa.SESSION_COOKIE)

    def end() -> None:
        with db.connection() as con:
            if sid:
                accounts.end_session(con, sid)
        with db.acting(who) as con:
            sa.audit(con, who, "logout", "session")

    await anyio.to_thread.run_sync(end)
    response = RedirectResponse("/login", status_code=303)
    response.headers.append(
        "set-cookie", sa.session_cookie("", secure=sa.is_tls(request.scope, settings.behind_tls), max_age=0)
    )
    return response


@router.get("/api/v1/me", include_in_schema=True, tags=["shared"], summary="Who this request acts as")
def me(request: Request) -> JSONResponse:
    who = sa.principal(request)
    return JSONResponse(
        {"email": who.email, "org": who.org_slug, "role": who.role, "via": who.via},
        headers={"Cache-Control": "no-store"},
    )
