"""Pages, security headers, empty states, the Vega bundle and the `kizuna serve` command."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient

from kizuna.web.app import LOOPBACK_HOSTS, create_app
from kizuna.workspace import open_workspace

PAGES = ["/", "/presence", "/overlaps", "/gaps", "/division", "/vital-core", "/screening", "/sources", "/api"]


@pytest.fixture(scope="module")
def empty_client(tmp_path_factory):
    """A workspace with every table and no rows, and no synthetic imports."""
    path = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    open_workspace(path).close()
    app = create_app(path)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.store.close()


@pytest.mark.parametrize("path", PAGES + ["/api/v1", "/api/v1/activities", "/static/app.js", "/nope"])
def test_every_response_carries_the_security_headers(client, path):
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_and_no_remote_address(client, path):
    html = client.get(path).text
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    assert " on" + "click=" not in html and "style=" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_pages_carry_chart_specs_without_remote_urls(client):
    html = client.get("/presence").text
    assert 'id="spec-matrix"' in html and 'id="spec-map"' in html
    for spec in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        assert '"$schema"' not in spec
        assert all(u.startswith("/api/v1/") for u in re.findall(r'"url": "([^"]*)"', spec))
    # the map's points come from the API, with the page's filters
    html = client.get("/presence?ally=Ally+A").text
    spec = json.loads(re.search(r'<script type="application/json" id="spec-map">(.*?)</script>', html, re.S)[1])
    urls = [layer["data"]["url"] for layer in spec["layer"] if "url" in layer.get("data", {})]
    assert urls == ["/api/v1/activity-points?ally=Ally+A&limit=1000"]


def test_filters_are_labelled_controls_with_the_choices_the_workspace_holds(client):
    html = client.get("/presence?ally=Ally+B").text
    for name in ("country", "ally", "sector", "adm1"):
        assert f'<label for="f-{name}">' in html
        assert f'id="f-{name}" name="{name}"' in html
    assert '<option value="Ally B" selected translate="no">Ally B</option>' in html
    assert '<option value="Other"' not in html  # the ally picker offers allies, not the "Other" group
    assert '<table id="table-activities" data-total="1">' in html  # Ally B has one activity


def test_synthetic_banner_shows_on_synthetic_workspaces_only(client, empty_client):
    assert 'id="synthetic-banner"' in client.get("/").text
    assert 'id="synthetic-banner"' not in empty_client.get("/").text
    assert empty_client.get("/api/v1").json()["synthetic"] is False


@pytest.mark.parametrize("path", PAGES)
def test_an_empty_workspace_gives_clear_empty_states(empty_client, path):
    r = empty_client.get(path)
    assert r.status_code == 200
    assert "data-empty=" in r.text or path == "/api"


def test_empty_states_name_the_command_to_run(empty_client, client):
    assert "no activities yet — run `kizuna ingest FILE`" in empty_client.get("/").text.replace("&#96;", "`")
    assert "no screening registers yet — run `kizuna screen" in client.get("/screening").text.replace("&#96;", "`")
    body = empty_client.get("/api/v1/activities").json()
    assert body["total"] == 0 and body["items"] == []
    assert body["empty"].startswith("no activities yet")


def test_page_filters_that_are_too_long_get_an_error_page(client):
    r = client.get("/presence?ally=" + "x" * 300)
    assert r.status_code == 422
    assert "the filter is longer than 200 characters" in r.text and "request.invalid" in r.text


def test_an_unknown_page_is_an_html_404(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "http.not_found" in r.text


def test_page_text_is_escaped(client):
    html = client.get("/").text
    assert "=HYPERLINK(&#34;http://x&#34;)" in html or "=HYPERLINK(&quot;http://x&quot;)" in html


def test_the_vega_bundle_is_served_from_the_installed_package(client):
    r = client.get("/static/vega.js", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert "window.vegaEmbed" in r.text  # httpx has already un-gzipped it
    assert r.headers["content-encoding"] == "gzip"
    again = client.get("/static/vega.js", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304
    raw = client.get("/static/vega.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers and len(raw.content) > len(gzip.compress(raw.content))


def test_a_foreign_host_header_is_refused_on_loopback(mini_ws):
    app = create_app(mini_ws, allowed_hosts=LOOPBACK_HOSTS)
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        assert c.get("/api/v1").status_code == 200
        r = c.get("/api/v1", headers={"host": "attacker.example"})
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "http.bad_host"
        assert "content-security-policy" in r.headers
        assert c.get("/", headers={"host": "localhost:8000"}).status_code == 200
    app.state.store.close()


def test_an_older_workspace_is_brought_up_to_date_then_served_read_only(tmp_path: Path):
    import duckdb

    from kizuna.workspace import migrations

    path = tmp_path / "old.duckdb"
    first = migrations()[0]  # a workspace that has had only the first migration
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    con.execute(first.sql)
    con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [first.version, first.name])
    con.close()
    app = create_app(path)
    assert app.state.store._ws.read_only
    with TestClient(app) as c:
        r = c.get("/api/v1/activities")
        assert r.status_code == 200 and r.json()["total"] == 0
    app.state.store.close()


def test_a_missing_workspace_is_a_clear_error(tmp_path: Path):
    from kizuna.errors import KizunaError

    with pytest.raises(KizunaError) as info:
        create_app(tmp_path / "absent.duckdb")
    assert info.value.code == "workspace.missing"


def test_serve_command_binds_to_loopback_by_default(monkeypatch, mini_ws):
    import uvicorn
    from typer.testing import CliRunner

    from kizuna.web.commands import register

    calls = {}

    def fake_run(app, host, port, **kw):
        calls.update(host=host, port=port, app=app)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    cli = typer.Typer()
    register(cli)

    @cli.command("noop")
    def _noop() -> None:  # a second command keeps typer from flattening the group
        pass

    result = CliRunner().invoke(cli, ["serve", "--workspace", str(mini_ws)])
    assert result.exit_code == 0, result.output
    assert (calls["host"], calls["port"]) == ("127.0.0.1", 8000)
    assert "http://127.0.0.1:8000/" in result.output
    calls["app"].state.store.close()
    # another address needs --public (tests/web/test_web_validation.py has the refusal)
    args = ["serve", "-w", str(mini_ws), "--host", "0.0.0.0", "--port", "9001", "--public"]
    result = CliRunner().invoke(cli, args)
    assert (calls["host"], calls["port"]) == ("0.0.0.0", 9001)
    calls["app"].state.store.close()


def _luminance(hex_colour: str) -> float:
    # WCAG 2.x relative luminance (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance)
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_meet_wcag_aa_contrast():
    css = (Path(__file__).resolve().parents[2] / "src/kizuna/web/static/style.css").read_text()
    var = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = [
        ("ink", "paper"),
        ("ink", "wash"),
        ("muted", "paper"),
        ("muted", "wash"),
        ("accent", "paper"),
        ("accent-ink", "accent"),
        ("warn-ink", "warn-bg"),
    ]
    for fg, bg in pairs:
        assert contrast(var[fg], var[bg]) >= 4.5, (fg, bg, round(contrast(var[fg], var[bg]), 2))
    # the WCAG example: black on white is 21:1
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0


def test_screening_events_carry_no_actor_names(client):
    # the mini workspace has no registers: the dataset is empty, and its columns are fixed in code
    import inspect

    from kizuna.web import screen_map

    assert '"date", "category", "sub_category", "fatalities", "lat", "lon"' in inspect.getsource(screen_map)
    assert client.get("/api/v1/screening-events").json()["items"] == []


# --- language ------------------------------------------------------------------------------------


def test_lang_query_sets_html_lang_and_is_remembered_in_a_cookie(client):
    r = client.get("/?lang=ja")
    assert r.status_code == 200 and '<html lang="ja">' in r.text
    assert "概要" in r.text and r.headers["content-language"] == "ja"
    assert "kizuna_lang=ja" in r.headers["set-cookie"]
    again = client.get("/presence", cookies={"kizuna_lang": "ja"})
    assert '<html lang="ja">' in again.text
    client.cookies.clear()


def test_accept_language_is_the_fallback_and_the_query_wins(client):
    client.cookies.clear()
    r = client.get("/", headers={"Accept-Language": "ja-JP,ja;q=0.9"})
    assert '<html lang="ja">' in r.text and "set-cookie" not in r.headers
    en = client.get("/?lang=en", headers={"Accept-Language": "ja"})
    assert '<html lang="en">' in en.text and "Overview" in en.text
    client.cookies.clear()


def test_every_page_has_a_language_switch_that_keeps_the_page(client):
    client.cookies.clear()
    r = client.get("/presence")
    assert 'href="/presence?lang=ja"' in r.text and 'hreflang="ja"' in r.text


def test_api_errors_are_in_the_request_language(client):
    client.cookies.clear()
    r = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "ja"})
    assert r.status_code == 404 and set(r.json()["error"]) == {"code", "message", "where", "hint"}
