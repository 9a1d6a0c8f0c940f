"""The shared server's front door: health, login and logout, sessions, CSRF, tokens, rate limit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kizuna.shared import accounts, pg
from tests.shared.web_support import PW, csrf_of, login, make_alliance


@pytest.fixture
def alliance(pg_url):
    return make_alliance(pg_url, orgs=("aa", "bb"), roles=("viewer", "admin"))


@pytest.fixture
def app(pg_url, tmp_path, alliance):
    from kizuna.web.shared_server import create_shared_app

    shared = create_shared_app(pg_url, data_dir=tmp_path, start_worker=False, login_per_minute=1000)
    yield shared
    shared.state.close()


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_health_names_the_schema_version(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "schema": max(m.version for m in pg.migrations())}


def test_without_a_principal_pages_redirect_to_login_and_the_api_answers_401(client):
    page = client.get("/presence?country=KT", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fpresence%3Fcountry%3DKT"
    api = client.get("/api/v1/presence")
    assert api.status_code == 401 and api.json()["error"]["code"] == "auth.required"
    assert set(api.json()["error"]) == {"code", "message", "where", "hint"}
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer kzt_not-a-token"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic eDp5"}).status_code == 401


def test_login_sets_a_strict_httponly_session_cookie_and_shows_the_account(client, alliance):
    r = login(client, alliance.email("aa", "admin"), next_path="/imports")
    assert r.status_code == 303 and r.headers["location"] == "/imports"
    cookie = [c for c in r.headers.get_list("set-cookie") if c.startswith("kizuna_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert f"Max-Age={accounts.SESSION_HOURS * 3600}" in cookie and "Secure" not in cookie  # plain http here
    me = client.get("/api/v1/me").json()
    assert me == {"email": "admin@aa.example.org", "org": "aa", "role": "admin", "via": "session"}
    page = client.get("/imports").text
    assert "admin@aa.example.org" in page and 'action="/logout"' in page


def test_cookies_are_secure_behind_tls(pg_url, tmp_path, alliance):
    from kizuna.web.shared_server import create_shared_app

    app = create_shared_app(pg_url, data_dir=tmp_path, start_worker=False, behind_tls=True)
    try:
        with TestClient(app, base_url="https://testserver") as c:
            r = login(c, alliance.email("aa", "viewer"))
            assert any(h.startswith("kizuna_session=") and "; Secure" in h for h in r.headers.get_list("set-cookie"))
    finally:
        app.state.close()


def test_open_redirects_after_login_are_refused(client, alliance):
    for target in ("//evil.example", "https://evil.example/", "\\\\evil"):
        r = login(client, alliance.email("aa", "viewer"), next_path=target)
        assert r.headers["location"] == "/"


def test_wrong_password_and_a_login_form_without_its_token(client, alliance):
    r = login(client, alliance.email("aa", "viewer"), password="wrong password!!")
    assert r.status_code == 401 and "kizuna_session=" not in r.headers.get("set-cookie", "")
    forged = client.post("/login", data={"email": alliance.email("aa", "viewer"), "password": PW})
    assert forged.status_code == 403 and "kizuna_session" not in client.cookies


def test_session_fixation_a_cookie_planted_before_login_is_never_promoted(client, alliance):
    planted = "attacker-chosen-session-id"
    client.cookies.set("kizuna_session", planted, domain="testserver.local")
    assert client.get("/api/v1/me").status_code == 401
    r = login(client, alliance.email("aa", "viewer"))
    issued = client.cookies.get("kizuna_session")
    assert issued and issued != planted
    assert r.status_code == 303
    fresh = TestClient(client.app)
    fresh.cookies.set("kizuna_session", planted, domain="testserver.local")
    assert fresh.get("/api/v1/me").status_code == 401


def test_a_new_session_id_at_every_login_and_the_old_one_ends(client, alliance):
    login(client, alliance.email("aa", "viewer"))
    first = client.cookies.get("kizuna_session")
    login(client, alliance.email("aa", "viewer"))
    second = client.cookies.get("kizuna_session")
    assert first != second
    stale = TestClient(client.app)
    stale.cookies.set("kizuna_session", first, domain="testserver.local")
    assert stale.get("/api/v1/me").status_code == 401


def test_an_expired_session_goes_back_to_login(client, alliance, pg_url):
    login(client, alliance.email("aa", "viewer"))
    assert client.get("/api/v1/me").status_code == 200
    with pg.connect(pg_url) as con:
        con.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
        con.commit()
    r = client.get("/imports", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert "kizuna_session=;" in r.headers["set-cookie"] and "Max-Age=0" in r.headers["set-cookie"]


def test_csrf_missing_or_wrong_is_403_and_right_passes(client, alliance):
    login(client, alliance.email("aa", "admin"))
    token = csrf_of(client, "/imports")
    for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": ""}):
        r = client.delete("/api/v1/imports/1", headers=headers)
        assert r.status_code == 403 and r.json()["error"]["code"] == "auth.csrf"
        r = client.patch("/api/v1/imports/1", json={"visibility": "private"}, headers=headers)
        assert r.status_code == 403
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/presence", headers={"X-CSRF-Token": "nope"}).status_code == 403
    assert client.get("/api/v1/me").status_code == 200  # still logged in
    # the right token: the request reaches its handler (no import 1 here: 404)
    assert client.delete("/api/v1/imports/1", headers={"X-CSRF-Token": token}).status_code == 404
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and client.get("/api/v1/me").status_code == 401


def test_bearer_token_calls_need_no_csrf_and_revocation_takes_effect_on_the_next_request(client, alliance, pg_url):
    headers = alliance.bearer("aa", "admin")
    assert client.get("/api/v1/me", headers=headers).json()["via"] == "token"
    assert client.delete("/api/v1/imports/1", headers=headers).status_code == 404  # no CSRF asked
    with pg.connect(pg_url) as con:
        accounts.revoke_token(con, alliance.token_ids[("aa", "admin")])
        con.commit()
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.required"


def test_lockout_after_five_wrong_passwords_is_429(client, alliance):
    email = alliance.email("bb", "viewer")
    for _ in range(accounts.MAX_FAILURES):
        assert login(client, email, password="wrong password!!").status_code == 401
    r = login(client, email)
    assert r.status_code == 429 and "kizuna_session" not in client.cookies


def test_login_rate_limit_per_address_is_429(pg_url, tmp_path, alliance):
    from kizuna.web.shared_server import create_shared_app

    app = create_shared_app(pg_url, data_dir=tmp_path, start_worker=False, login_per_minute=3)
    try:
        with TestClient(app) as c:
            codes = [login(c, "nobody@example.org", password="x" * 12).status_code for _ in range(4)]
            assert codes == [401, 401, 401, 429]
            assert login(c, alliance.email("aa", "viewer")).status_code == 429  # even the right password
    finally:
        app.state.close()


def test_the_login_rate_limit_is_shared_by_every_server_process_on_the_database(pg_url, tmp_path, alliance):
    """Two servers on one database (two processes behind one proxy) count the same attempts: the limit is
    kept in PostgreSQL, not in each process's memory."""
    from kizuna.shared import pg
    from kizuna.web.shared_server import create_shared_app

    apps = [create_shared_app(pg_url, data_dir=tmp_path / name, start_worker=False, login_per_minute=3)
            for name in ("one", "two")]
    try:
        with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
            codes = [login(c, "nobody@example.org", password="x" * 12).status_code for c in (one, two, one, two)]
            assert codes == [401, 401, 401, 429]
            with pg.connect(pg_url) as con:  # a minute later the address may try again
                con.execute("UPDATE login_attempts SET at = at - interval '61 seconds'")
                con.commit()
            assert login(two, alliance.email("aa", "viewer")).status_code == 303
    finally:
        for app in apps:
            app.state.close()


def test_audit_is_for_admins_lists_only_its_own_organisation_and_filters(client, alliance):
    login(client, alliance.email("bb", "admin"))  # another organisation's login: never in aa's log
    login(client, alliance.email("aa", "viewer"))
    assert client.get("/api/v1/audit").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    login(client, alliance.email("aa", "admin"))
    rows = client.get("/api/v1/audit", params={"action": "login"}).json()["items"]
    assert {r["actor"] for r in rows} == {"admin@aa.example.org", "viewer@aa.example.org"}
    assert {r["org"] for r in rows} == {"aa"}
    mine = client.get("/api/v1/audit", params={"actor": "viewer@aa.example.org"}).json()["items"]
    assert [r["actor"] for r in mine] == ["viewer@aa.example.org"]
    assert client.get("/api/v1/audit", params={"action": "logout"}).json()["items"] == []
    page = client.get("/admin/audit", params={"actor": "viewer@aa.example.org"})
    assert page.status_code == 200 and "viewer@aa.example.org" in page.text and "admin@aa.example.org</td>" not in page.text


def test_the_upload_form_needs_its_csrf_field_and_keeps_nothing_without_it(pg_url, tmp_path):
    from kizuna.web.shared_server import create_shared_app
    from tests.shared.web_support import SHEET

    alliance = make_alliance(pg_url, orgs=("aa",), roles=("editor",), tokens=False)
    app = create_shared_app(pg_url, data_dir=tmp_path / "data", start_worker=False)
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            login(c, alliance.email("aa", "editor"))
            token = csrf_of(c, "/upload")
            files = {"file": ("partners.csv", SHEET.encode(), "text/csv")}
            for sent in ({}, {"csrf_token": "forged"}):
                r = c.post("/upload", data={"kind": "3w", **sent}, files=files, follow_redirects=False)
                assert r.status_code == 403
            assert list((tmp_path / "data" / "uploads").iterdir()) == []
            ok = c.post("/upload", data={"kind": "3w", "csrf_token": token}, files=files, follow_redirects=False)
            assert ok.status_code == 303 and ok.headers["location"] == "/imports"
            assert "partners.csv" in c.get("/imports").text
    finally:
        app.state.close()
