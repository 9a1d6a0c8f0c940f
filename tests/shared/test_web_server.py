"""The shared server as people run it: `kizuna serve --database URL` in its own process (one real-server
test), and one browser test: log in, upload a 3W sheet, see it on Presence, log in as another
organisation and see it only as its visibility allows."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.shared.web_support import PW, SHEET, make_alliance, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
PRIVATE_SHEET = SHEET.replace("Alpha Relief", "Kestrel Relief Fictional").replace("Beta Aid", "Osprey Aid Fictional")
ALLIANCE_SHEET = SHEET.replace("Alpha Relief", "Heron Care Fictional").replace("Beta Aid", "Plover Help Fictional")


@pytest.fixture(scope="module")
def shared_server(pg_cluster, tmp_path_factory) -> Iterator[tuple[str, object]]:
    """`kizuna serve --database` on 127.0.0.1 and a free port over a new database; (base URL, alliance)."""
    from kizuna.shared import pg

    name = "srv_" + uuid.uuid4().hex[:10]
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name} TEMPLATE kizuna_template")
    url = pg_cluster.url(name)
    alliance = make_alliance(url, orgs=("aa", "bb"), roles=("viewer", "editor"))
    folder = tmp_path_factory.mktemp("shared-server")
    proc, base = start_server(url, folder / "data", folder / "server.log", "--max-upload-mb", "1")
    yield base, alliance
    stop_server(proc)
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_real_server_logs_in_uploads_runs_the_job_and_answers_health(shared_server):
    base, alliance = shared_server
    health = httpx.get(base + "/healthz").json()
    assert health["status"] == "ok" and health["database"] == "ok" and health["schema"] >= 30
    assert httpx.get(base + "/api/v1/sources").status_code == 401
    with httpx.Client(base_url=base) as browser:
        form = browser.get("/login")
        token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
        r = browser.post("/login", data={"email": alliance.email("aa", "editor"), "password": PW,
                                          "login_token": token, "next": "/"})
        assert r.status_code == 303
        raw = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("kizuna_session=")][0]
        assert "HttpOnly" in raw and "SameSite=Strict" in raw
        assert browser.get("/api/v1/me").json()["org"] == "aa"
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/upload").text).group(1)
        up = browser.post("/api/v1/imports", data={"kind": "3w", "visibility": "alliance", "csrf_token": csrf},
                          files={"file": ("server.csv", SHEET.encode(), "text/csv")})
        assert up.status_code == 202, up.text
        deadline = time.monotonic() + 60
        while (job := browser.get(up.json()["status_url"]).json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert job["status"] == "done"
        too_big = browser.post("/api/v1/imports", data={"kind": "3w", "csrf_token": csrf},
                               files={"file": ("big.csv", b"x" * (2 * 1024 * 1024), "text/csv")})
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "upload.too_large"


@pytest.mark.browser
def test_browser_login_upload_presence_and_visibility_across_organisations(shared_server, chromium, tmp_path):
    base, alliance = shared_server
    private = tmp_path / "kestrel-3w.csv"
    private.write_text(PRIVATE_SHEET, encoding="utf-8")
    shared = tmp_path / "heron-3w.csv"
    shared.write_text(ALLIANCE_SHEET, encoding="utf-8")

    def log_in(page, email: str) -> None:
        page.goto(base + "/presence")
        assert page.url.startswith(base + "/login")
        page.fill("#email", email)
        page.fill("#password", PW)
        page.click("form.login button[type=submit]")
        page.wait_for_url(base + "/presence")

    ctx = chromium.new_context()
    page = ctx.new_page()
    log_in(page, alliance.email("aa", "editor"))
    assert "editor@aa.example.org" in page.inner_text(".account")
    for path, visibility in ((private, "private"), (shared, "alliance")):
        page.goto(base + "/upload")
        page.select_option("#kind", "3w")
        page.select_option("#visibility", visibility)
        page.set_input_files("#file", str(path))
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("body[data-job=done]", state="attached", timeout=60_000)
        assert page.eval_on_selector("#upload-progress", "el => el.value") == 1
    page.goto(base + "/presence")
    page.wait_for_selector("body[data-charts]", state="attached", timeout=20_000)
    text = page.inner_text("main")
    assert "Kestrel Relief Fictional" in text and "Heron Care Fictional" in text
    page.click(".account form.logout button")
    page.wait_for_url(re.compile(r".*/login.*"))
    ctx.close()

    ctx = chromium.new_context()
    page = ctx.new_page()
    log_in(page, alliance.email("bb", "viewer"))
    page.wait_for_selector("body[data-charts]", state="attached", timeout=20_000)
    text = page.inner_text("main")
    assert "Heron Care Fictional" in text  # alliance-wide: there
    assert "Kestrel Relief Fictional" not in text  # private to aa: not there
    assert page.query_selector(".account a[href='/upload']") is None  # a viewer gets no upload link
    ctx.close()
