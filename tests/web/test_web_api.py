"""The JSON API: figures from the fixture, pagination, filters, downloads and the one error shape."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from kizuna.i18n.columns import label

ERROR_KEYS = {"code", "message", "where", "hint"}


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == ERROR_KEYS
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["where"], dict)
    return body["error"]


def test_totals_by_publisher_add_up_the_fixture_transactions(client):
    items = client.get("/api/v1/publishers").json()["items"]
    by_ref = {r["publisher_ref"]: r for r in items}
    # SYN-A has two activities: committed 100,000 + 50,000; spent 60,000 + 50,000.
    assert by_ref["SYN-A"]["activities"] == 2
    assert by_ref["SYN-A"]["committed_usd"] == 100_000 + 50_000
    assert by_ref["SYN-A"]["spent_usd"] == 60_000 + 50_000
    assert (by_ref["SYN-B"]["committed_usd"], by_ref["SYN-B"]["spent_usd"]) == (200_000, 20_000)
    assert (by_ref["SYN-C"]["committed_usd"], by_ref["SYN-C"]["spent_usd"]) == (10_000, 0)
    # ranked by spend: 110,000 > 20,000 > 0
    assert [r["publisher_ref"] for r in items] == ["SYN-A", "SYN-B", "SYN-C"]


def test_pagination_reports_the_total_and_slices_the_rows(client):
    everything = client.get("/api/v1/activities").json()
    assert everything["total"] == 4 and len(everything["items"]) == 4
    page = client.get("/api/v1/activities?limit=2&offset=1").json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)
    assert page["items"] == everything["items"][1:3]
    beyond = client.get("/api/v1/activities?limit=2&offset=10").json()
    assert beyond["total"] == 4 and beyond["items"] == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("publisher=SYN-A", {"SYN-A-1", "SYN-A-2"}),
        ("adm1=XZ01", {"SYN-A-1", "SYN-B-1"}),
        ("sector=152", {"SYN-A-1", "SYN-B-1", "SYN-C-1"}),  # DAC prefix: 15220 and 15240
        ("sector=15220&adm1=XZ03", {"SYN-C-1"}),
        ("country=XZ&publisher=SYN-B", {"SYN-B-1"}),
        ("country=xz&publisher=SYN-B", {"SYN-B-1"}),  # codes are case-insensitive
    ],
)
def test_filters_select_the_matching_activities(client, query, expected):
    body = client.get(f"/api/v1/activities?{query}").json()
    assert {r["iati_identifier"] for r in body["items"]} == expected
    assert body["total"] == len(expected)


@pytest.mark.parametrize(("country", "code", "status"), [("FR", "country.absent", 404), ("Q1", "country.unknown", 400)])
def test_a_country_the_workspace_does_not_hold_is_an_error_naming_the_ones_it_does(client, country, code, status):
    r = client.get(f"/api/v1/activities?country={country}")
    assert r.status_code == status
    err = r.json()["error"]
    assert err["code"] == code and err["where"] == {"field": "country"}
    assert "XZ" in err["hint"]


def test_map_points_follow_the_same_filters(client):
    points = client.get("/api/v1/activity-points?publisher=SYN-A").json()["items"]
    # SYN-A-1 has one location, SYN-A-2 two
    assert len(points) == 1 + 2
    assert {(p["lat"], p["lon"]) for p in points} == {(9.6, 29.4), (9.2, 31.4), (9.55, 31.75)}


def test_presence_is_coordinates_who_does_what_where_by_ally(client):
    rows = client.get("/api/v1/presence").json()["items"]
    cells = {(r["ally"], r["sector"]): (r["n_activities"], r["usd_commitments"], r["usd_disbursements"]) for r in rows}
    # SYN-A-1 (15220) and SYN-A-2 (14030) are Ally A's; SYN-B-1 (15240) Ally B's; SYN-C-1 (15220) no ally's
    assert cells == {
        ("Ally A", "152"): (1, 100_000, 60_000),
        ("Ally A", "140"): (1, 50_000, 50_000),
        ("Ally B", "152"): (1, 200_000, 20_000),
        ("Other", "152"): (1, 10_000, 0),
    }
    in_area = client.get("/api/v1/presence?adm1=XZ01").json()["items"]
    assert {(r["ally"], r["sector"], r["adm1"], r["n_activities"]) for r in in_area} == {
        ("Ally A", "152", "XZ01", 1),
        ("Ally B", "152", "XZ01", 1),
    }


def test_the_ally_filter_follows_coordinates_mapping(client):
    body = client.get("/api/v1/activities?ally=Ally+A").json()
    assert {r["iati_identifier"] for r in body["items"]} == {"SYN-A-1", "SYN-A-2"}
    points = client.get("/api/v1/activity-points?ally=Ally+B").json()["items"]
    assert [(p["lat"], p["lon"]) for p in points] == [(9.25, 29.05)]


def test_csv_download_neutralises_formulas(client):
    r = client.get("/api/v1/activities?format=csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="kizuna-activities.csv"' in r.headers["content-disposition"]
    assert "'=HYPERLINK" in r.text
    assert "\n=HYPERLINK" not in r.text and ",=HYPERLINK" not in r.text and ',"=HYPERLINK' not in r.text


def test_xlsx_download_has_every_filtered_row_and_no_formula(client):
    r = client.get("/api/v1/activities?format=xlsx&publisher=SYN-C")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 1
    title = body[0][header.index(label("title"))]  # XLSX headings are for people
    assert title.startswith("'=HYPERLINK")
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_downloads_ignore_limit_and_carry_all_rows(client):
    r = client.get("/api/v1/activities?format=csv&limit=1")
    assert len(r.text.strip().splitlines()) == 1 + 4


def test_unknown_endpoint_is_a_404_in_the_error_shape(client):
    err = assert_error_shape(client.get("/api/v1/nothing-here"), 404, "http.not_found")
    assert err["where"] == {"key": "/api/v1/nothing-here"}


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=1001", "limit=abc", "offset=-1", "format=pdf", "publisher=" + "x" * 201]
)
def test_invalid_parameters_are_a_422_in_the_error_shape(client, query):
    err = assert_error_shape(client.get(f"/api/v1/activities?{query}"), 422, "request.invalid")
    assert err["where"]["field"] == query.split("=")[0]
    assert err["hint"]


def test_a_library_error_keeps_its_code_and_hint(client):
    err = assert_error_shape(client.get("/api/v1/activities?sector=abc"), 400, "sector.unknown")
    assert err["where"] == {"field": "sector"}
    assert err["hint"] == "values this workspace holds: 140, 152"  # the fixture's DAC categories


def test_writes_are_refused_in_the_error_shape(client):
    assert_error_shape(client.post("/api/v1/activities", json={}), 405, "http.method_not_allowed")
    assert_error_shape(client.delete("/api/v1/sources"), 405, "http.method_not_allowed")


def test_a_server_error_is_a_500_in_the_error_shape_without_details(mini_ws):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    app = create_app(mini_ws)

    def explode() -> None:
        raise RuntimeError("secret detail /home/someone/field-notes.csv")

    app.router.add_api_route("/api/v1/explode", explode)
    app.router.add_api_route("/explode", explode)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/explode")
        err = assert_error_shape(r, 500, "server.internal")
        assert "secret" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text
        assert "content-security-policy" in r.headers
        page = c.get("/explode")
        assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
        assert "secret" not in page.text and "Traceback" not in page.text
    assert err["message"] == "the server could not answer this request"
    app.state.store.close()


def test_index_lists_every_dataset_and_says_the_workspace_is_synthetic(client):
    body = client.get("/api/v1").json()
    assert body["synthetic"] is True
    names = {d["name"] for d in body["datasets"]}
    assert {"countries", "publishers", "activities", "activity-points", "presence", "sources"} <= names
    assert all(d["ready"] for d in body["datasets"] if d["part"] == "ledger")


def test_openapi_documents_every_dataset_with_pagination_and_the_error_shape(client):
    doc = client.get("/api/v1/openapi.json").json()
    index = client.get("/api/v1").json()
    for d in index["datasets"]:
        op = doc["paths"][d["url"]]["get"]
        params = {p["name"] for p in op["parameters"]}
        assert {"limit", "offset", "format"} | set(d["filters"]) == params
        assert {"404", "422", "500"} <= set(op["responses"])
    assert set(doc["components"]["schemas"]["ErrorResponse"]["properties"]) == {"error"}
    assert set(doc["components"]["schemas"]["ErrorBody"]["properties"]) == ERROR_KEYS


def test_no_cdn_api_docs_are_served(client):
    # Swagger UI and ReDoc pull their JavaScript from a CDN: they are switched off.
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_sources_show_provenance_but_no_local_paths(client, mini_ws: Path):
    body = client.get("/api/v1/sources").json()
    (row,) = body["items"]
    assert row["file_name"] == "synthetic-kaltara.xml"
    assert row["sha256"] == "0" * 64
    assert "file_path" not in row
    for url in ("/api/v1/sources", "/sources", "/api/v1/activities", "/"):
        assert str(mini_ws.parent) not in client.get(url).text


def test_a_remembered_response_is_the_same_response(client):
    first = client.get("/api/v1/activities?publisher=SYN-B")
    again = client.get("/api/v1/activities?publisher=SYN-B")
    assert again.content == first.content
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    # the query is part of the key
    other = client.get("/api/v1/activities?publisher=SYN-A")
    assert other.json()["total"] == 2 and first.json()["total"] == 1
    # errors are not remembered as successes
    assert client.get("/api/v1/activities?limit=0").status_code == 422
    assert client.get("/api/v1/activities?limit=0").status_code == 422


def test_gaps_rank_the_needs_table_given_at_start(mini_ws, tmp_path):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    needs = tmp_path / "needs.csv"
    needs.write_text(
        "country,adm1,sector,severity,pin\n"
        "XZ,XZ01,152,3,10000\n"  # Ally A and Ally B work here (SYN-A-1, SYN-B-1)
        "XZ,XZ04,152,5,20000\n"  # nobody works here
        "XZ,XZ02,140,2,5000\n",  # SYN-A-2
        encoding="utf-8",
    )
    app = create_app(mini_ws, needs=needs)
    with TestClient(app) as c:
        rows = c.get("/api/v1/gaps").json()["items"]
    app.state.store.close()
    first = rows[0]
    assert (first["adm1"], first["sector"], first["n_orgs"]) == ("XZ04", "152", 0)
    # need = mean(severity / 5, pin / max pin) = mean(5/5, 20000/20000) = 1; no presence: gap = need
    assert first["need_score"] == 1.0 and first["gap_score"] == 1.0
    by_area = {r["adm1"]: r for r in rows}
    assert by_area["XZ01"]["n_orgs"] == 2


def test_a_needs_file_that_is_missing_stops_the_server_at_start(mini_ws, tmp_path):
    from kizuna.errors import KizunaError
    from kizuna.web.app import create_app

    with pytest.raises(KizunaError) as info:
        create_app(mini_ws, needs=tmp_path / "absent.csv")
    assert info.value.code == "needs.missing"
