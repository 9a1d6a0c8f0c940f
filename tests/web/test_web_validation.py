"""One answer per value (issue 13): a filter value the workspace does not hold is the same error on the
API and on the pages, with the held values in the hint; HEAD and 405 follow RFC 9110; the OpenAPI document
declares what the server checks; a server on a non-loopback address needs --public."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def demo(demo_ws: Path) -> Iterator[TestClient]:
    from kizuna.web.app import create_app

    app = create_app(demo_ws)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.store.close()


# (filter, a value the demo does not hold, status, code, a page that takes the filter, an API dataset,
#  a value the demo holds that the hint must name)
UNKNOWN = [
    ("country", "ZZZ", 400, "country.unknown", "/", "activities", "XZ"),
    ("country", "FR", 404, "country.absent", "/", "activities", "XZ"),
    ("ally", "Nobody", 404, "ally.absent", "/presence", "activities", "Ally A"),
    ("sector", "abc", 400, "sector.unknown", "/presence", "activities", "152"),
    ("sector", "99999", 404, "sector.absent", "/presence", "activities", "152"),
    ("adm1", "Nowhere", 404, "adm1.absent", "/presence", "activities", "XZ01"),
    ("register", "abc", 400, "register.unknown", "/screening", "screening-risks", "1"),
    ("register", "999", 404, "register.absent", "/screening", "screening-risks", "4"),
    ("group", "nonsense", 404, "group.absent", "/vital-core", "vital-core-estimates", "admin1"),
    ("round", "x", 404, "round.absent", "/vital-core", "vital-core-estimates", "2"),
]


def _page_error(response) -> tuple[int, str, str]:
    text = html.unescape(response.text)
    code = re.search(r"Error code (\S+) \(HTTP (\d+)\)", text)
    hint = re.search(r"<p>Hint: (.*?)</p>", text)
    assert code and hint, text[:500]
    assert int(code.group(2)) == response.status_code
    return response.status_code, code.group(1), hint.group(1)


@pytest.mark.parametrize(("name", "value", "status", "code", "page", "dataset", "held"), UNKNOWN)
def test_an_unknown_filter_value_is_the_same_error_on_the_api_and_the_page(
    demo, name, value, status, code, page, dataset, held
):
    api = demo.get(f"/api/v1/{dataset}", params={name: value})
    assert api.status_code == status
    err = api.json()["error"]
    assert err["code"] == code and err["where"] == {"field": name}
    assert held in err["hint"]
    assert _page_error(demo.get(page, params={name: value})) == (status, code, err["hint"])


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [("publisher", "NOBODY-1", "publisher.absent"), ("activity", "no|such-activity", "activity.absent")],
)
def test_filters_only_the_api_takes_follow_the_same_rule(demo, name, value, code):
    dataset = "activities" if name == "publisher" else "activity-points"
    err = demo.get(f"/api/v1/{dataset}", params={name: value})
    assert err.status_code == 404 and err.json()["error"]["code"] == code
    assert err.json()["error"]["hint"].startswith("values this workspace holds: ")


def test_held_values_and_blanks_are_accepted_on_both(demo):
    for params in ({"ally": "Ally A", "sector": "152"}, {"country": "xz"}, {"country": "", "sector": " "}):
        assert demo.get("/api/v1/activities", params=params).status_code == 200
        assert demo.get("/presence", params=params).status_code == 200
    assert demo.get("/vital-core", params={"group": "sex", "round": "1"}).status_code == 200
    assert demo.get("/api/v1/screening-risks", params={"register": "2"}).json()["total"] > 0


def test_a_workspace_with_no_registers_says_what_to_run_in_the_hint(client):
    for response in (client.get("/api/v1/screening-risks?register=1"), client.get("/screening?register=1")):
        assert response.status_code == 404
    err = client.get("/api/v1/screening-risks?register=1").json()["error"]
    assert err["code"] == "register.absent"
    assert "kizuna screen" in err["hint"]


# --- HEAD and 405 (RFC 9110 §9.3.2, §15.5.6) ---------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/presence?country=XZ", "/api/v1", "/api/v1/activities?limit=2", "/static/app.js"]
)
def test_head_answers_like_get_without_a_body(demo, path):
    get, head = demo.get(path), demo.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    volatile = {"server-timing", "date"}
    assert {k: v for k, v in head.headers.items() if k not in volatile} == {
        k: v for k, v in get.headers.items() if k not in volatile
    }
    assert int(head.headers["content-length"]) == len(get.content)


def test_head_of_an_error_is_the_error_without_a_body(demo):
    head = demo.head("/api/v1/activities?ally=Nobody")
    assert head.status_code == 404 and head.content == b""
    assert head.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/activities"),
        ("DELETE", "/api/v1/sources"),
        ("PUT", "/"),
        ("OPTIONS", "/presence"),
        ("POST", "/static/app.js"),
    ],
)
def test_a_refused_method_is_a_405_that_lists_the_methods_answered(demo, method, path):
    r = demo.request(method, path)
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"
    if path.startswith("/api"):
        assert r.json()["error"]["code"] == "http.method_not_allowed"


# --- the OpenAPI document declares what the server checks --------------------------------------------


def test_openapi_declares_400_and_the_held_values(demo):
    doc = demo.get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/activities"]["get"]
    assert {"200", "400", "404", "422", "500"} <= set(op["responses"])
    params = {p["name"]: p["schema"] for p in op["parameters"]}
    assert params["country"]["enum"] == ["", "XZ"]
    assert {"", "Ally A", "Ally B"} <= set(params["ally"]["enum"])
    assert re.fullmatch(params["sector"]["pattern"], "15220") and not re.fullmatch(
        params["sector"]["pattern"], "Health"
    )
    gaps = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/gaps"]["get"]["parameters"]}
    assert re.fullmatch(gaps["sector"]["pattern"], "Health")  # the demo's needs table names clusters
    risks = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/screening-risks"]["get"]["parameters"]}
    assert risks["register"]["enum"] == ["", "1", "2", "3", "4"]
    estimates = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/vital-core-estimates"]["get"]["parameters"]}
    assert "sex" in estimates["group"]["enum"] and estimates["round"]["enum"] == ["", "1", "2"]
    # every enum value is accepted: the document and the server agree
    for value in params["ally"]["enum"]:
        assert demo.get("/api/v1/activities", params={"ally": value}).status_code == 200


def test_openapi_without_held_values_declares_the_form_only(client):
    doc = client.get("/api/v1/openapi.json").json()
    risks = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/screening-risks"]["get"]["parameters"]}
    assert "enum" not in risks["register"] and risks["register"]["pattern"] == "^(|[0-9]{1,18})$"


# --- serving beyond this machine needs --public --------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("kizuna.example.org", False),
    ],
)
def test_only_loopback_addresses_are_this_machine(host, loopback):
    from kizuna.web import is_loopback

    assert is_loopback(host) is loopback


def _serve(monkeypatch, mini_ws, *args):
    import typer
    import uvicorn
    from typer.testing import CliRunner

    from kizuna.web.commands import register

    calls: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: calls.update(app=app, host=host))
    cli = typer.Typer()
    register(cli)
    cli.command("noop")(lambda: None)  # a second command keeps typer from flattening the group
    result = CliRunner().invoke(cli, ["serve", "-w", str(mini_ws), *args])
    return result, calls


def test_serving_on_every_address_is_refused_without_public(monkeypatch, mini_ws):
    from kizuna.errors import KizunaError

    result, calls = _serve(monkeypatch, mini_ws, "--host", "0.0.0.0")
    assert isinstance(result.exception, KizunaError) and result.exception.code == "serve.not_loopback"
    assert "--public" in result.exception.hint_text()
    assert calls == {}  # nothing was served


def test_the_cli_refuses_a_public_address_in_one_line(mini_ws, capsys):
    from kizuna.cli import main

    code = main(["serve", "-w", str(mini_ws), "--host", "0.0.0.0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[0].startswith("error[serve.not_loopback]: field '--host': serving on 0.0.0.0 lets anyone")


def test_public_serves_every_address_with_a_warning_and_no_host_check(monkeypatch, mini_ws):
    result, calls = _serve(monkeypatch, mini_ws, "--host", "0.0.0.0", "--public")
    assert result.exit_code == 0, result.output
    assert calls["host"] == "0.0.0.0"
    assert "WARNING: --public" in result.output and "with no login" in result.output
    with TestClient(calls["app"]) as c:
        assert c.get("/api/v1", headers={"host": "192.168.1.10:8000"}).status_code == 200
    calls["app"].state.store.close()


def test_loopback_keeps_its_host_check(monkeypatch, mini_ws):
    result, calls = _serve(monkeypatch, mini_ws, "--host", "127.0.0.2")
    assert result.exit_code == 0 and "WARNING" not in result.output
    with TestClient(calls["app"], raise_server_exceptions=False) as c:
        assert c.get("/api/v1", headers={"host": "127.0.0.2:8000"}).status_code == 200
        refused = c.get("/api/v1", headers={"host": "evil.example:8000"})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "http.bad_host"
    calls["app"].state.store.close()
