"""Personal data planted in every kind of input never leaves the workspace (issue 13, acceptance).

One workspace receives, through the real CLI: a 3W sheet with contact names and phones, a plain survey,
a KoboToolbox export and an ODK Central export (names, phones, national ids, GPS, enumerators), and a
screening proposal whose consultation names an informant. After every command the workspace file
(and its WAL) is read as bytes and searched; at the end every output file, every page reachable from
`/` by its links (English and Japanese) and every GET operation of the OpenAPI document, with each
declared enum value, are searched too. None may hold a planted value.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from kizuna.cli import main
from tests.planted import SPEC, central_export, file_text, kobo_export, leaks, plain_survey, planted, planted_people

INFORMANT = ["Informant Plantedname Wol", "+211 955 000 142"]
CONTACTS = ["Plantedcontact Achieng", "+211 977 123 456", "plantedcontact@example.org"]

SHEET = (
    "Organisation,Sector,Region,Region code,District,Activity,Status,Start,End,Reached,Country,"
    "Contact name,Contact phone,Contact email\n"
    "#org+name,#sector+name,#adm1+name,#adm1+code,#adm2+name,#activity+name,#status,#date+start,#date+end,"
    "#reached,#country+code,#contact+name,#contact+phone,#contact+email\n"
    "Synthetic Relief Org,WASH,Northmarch,XZ01,Stonebridge,[SYNTHETIC] Borehole repair,Ongoing,2023-01-15,"
    "2024-06-30,1200,XZ,{},{},{}\n"
).format(*CONTACTS)

PROPOSAL = f"""id = "P-PLANT"
title = "Borehole (synthetic)"
type = "well"
grievance_mechanism = true
[[sites]]
name = "borehole"
lat = 8.0
lon = 30.009
[[consultations]]
community = "Amber Ford"
women_included = true
[[consultations]]
community = "{INFORMANT[0]}, phone {INFORMANT[1]}"
women_included = true
[beneficiaries]
criteria = "households listed by {INFORMANT[0]}"
"""
COMMUNITIES = "name,lat,lon,population,group\nAmber Ford,8.0,30.0,1200,Asari\nBlue Hill,8.0,30.018,900,Belen\n"


def _values() -> list[str]:
    return planted(planted_people()) + INFORMANT + CONTACTS


def _workspace_bytes(ws: Path) -> str:
    parts = [ws, Path(str(ws) + ".wal")]
    return "\n".join(p.read_bytes().decode("utf-8", errors="replace") for p in parts if p.exists())


HREF = re.compile(r'(?:href|src|action)="([^"#]+)')


def _crawl(client, start: list[str], limit: int = 600) -> dict[str, str]:
    """Every same-site page reachable from ``start`` by links (static assets left out)."""
    seen: dict[str, str] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        r = client.get(url)
        seen[url] = r.text
        if "html" not in r.headers.get("content-type", ""):
            continue
        for link in HREF.findall(r.text):
            link = link.replace("&amp;", "&")
            full = urljoin(url, link)
            parts = urlsplit(full)
            if parts.netloc and parts.netloc != "testserver":
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path.startswith("/static/") or path in seen:
                continue
            queue.append(path)
    return seen


def _api(client) -> dict[str, str]:
    """Every GET operation of the OpenAPI document without path parameters, bare and with each enum value
    of each query parameter, as JSON and (where offered) CSV."""
    doc = client.get("/api/v1/openapi.json").json()
    out: dict[str, str] = {}
    for path, ops in doc["paths"].items():
        op = ops.get("get")
        if op is None or "{" in path:
            continue
        calls: list[dict[str, str]] = [{}]
        for prm in op.get("parameters", []):
            schema = prm.get("schema", {})
            enum = schema.get("enum") or next((s.get("enum") for s in schema.get("anyOf", []) if s.get("enum")), None)
            for value in (enum or [])[:40]:
                if value not in ("", None):
                    calls.append({prm["name"]: str(value)})
        for params in calls:
            for fmt in ({}, {"format": "csv"}):
                r = client.get(path, params={**params, **fmt})
                out[f"{path} {params} {fmt}"] = r.text
    return out


@pytest.fixture(scope="module")
def planted_workspace(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("planted")
    ws = tmp / "ws.duckdb"
    values = _values()
    after: dict[str, list[str]] = {}
    said: list[str] = []

    def run(name: str, args: list[str], capsys=None) -> None:
        rc = main([*args, "-w", str(ws)])
        assert rc == 0, name
        after[name] = leaks(_workspace_bytes(ws), values)

    sheet = tmp / "sheet.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    run("ingest 3W", ["ingest", str(sheet)])
    outputs = [tmp / "out-csv", tmp / "out-kobo", tmp / "out-central"]
    for make, out in zip([plain_survey, kobo_export, central_export], outputs, strict=True):
        folder = tmp / out.name.removeprefix("out-")
        folder.mkdir()
        survey, keys, p = make(folder)
        spec = folder / "spec.toml"
        spec.write_text(SPEC.format(survey=keys, p=p, subgroups=f'"{p}region", "{p}sex"'), encoding="utf-8")
        run(f"measure {out.name}", ["measure", str(survey), "--spec", str(spec), "--out-dir", str(out)])
    prop = tmp / "p.toml"
    prop.write_text(PROPOSAL, encoding="utf-8")
    com = tmp / "communities.csv"
    com.write_text(COMMUNITIES, encoding="utf-8")
    reports = tmp / "reports"
    run("screen", ["screen", str(prop), "--communities", str(com), "--out-dir", str(reports), "--as-of", "2026-11-01"])
    listing = tmp / "activities.csv"
    run("activities", ["activities", "--format", "csv", "--out", str(listing)])
    written = [f for d in [*outputs, reports] for f in d.rglob("*") if f.is_file()] + [listing]
    return ws, after, written, said


def test_the_workspace_holds_no_planted_value_after_any_command(planted_workspace):
    _, after, _, _ = planted_workspace
    assert list(after) == ["ingest 3W", "measure out-csv", "measure out-kobo", "measure out-central", "screen", "activities"]
    assert {k: v[:3] for k, v in after.items() if v} == {}


def test_no_output_file_holds_a_planted_value(planted_workspace):
    _, _, written, _ = planted_workspace
    assert len(written) >= 10  # three measure folders, the screening reports and the listing
    found = {f.name: leaks(file_text(f), _values()) for f in written}
    assert {k: v[:3] for k, v in found.items() if v} == {}


def test_no_page_or_api_response_holds_a_planted_value(planted_workspace):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    ws, _, _, _ = planted_workspace
    app = create_app(ws, cache_size=0)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            pages = _crawl(client, ["/", "/?lang=ja"])
            api = _api(client)
    finally:
        app.state.store.close()
    # the crawl reached every part that holds the planted inputs
    for part in ("/presence", "/vital-core", "/screening"):
        assert any(u.startswith(part) for u in pages), part
    assert any("vital-core" in k for k in api) and any("screening" in k for k in api)
    assert len(pages) >= 40 and len(api) >= 100
    found = {u: leaks(t, _values()) for u, t in {**pages, **api}.items()}
    assert {k: v[:3] for k, v in found.items() if v} == {}


def test_the_search_finds_a_value_where_it_is_really_there(planted_workspace, tmp_path):
    """The control: the same search over the raw inputs finds the planted values, so it can fail."""
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    assert set(CONTACTS) <= set(leaks(file_text(sheet), _values()))
    assert set(INFORMANT) <= set(leaks(PROPOSAL, _values()))
