"""Schemathesis against the shared server's OpenAPI document, with another organisation's token: requests
generated from the document (valid and invalid) get no server error, always the one error shape, and never
a byte of the owner's private import. In-process, derandomized, a few examples per operation."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from tests.shared.web_support import make_alliance, upload, wait_job

SETTINGS = settings(max_examples=3, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))
SECRET = "secret-partners-zq"  # the private import's file name: must never reach bb
TOKEN: dict[str, str] = {}  # bb's bearer header, set by the fixture


@pytest.fixture(scope="module")
def shared_api(pg_cluster, tmp_path_factory) -> Iterator[object]:
    from kizuna.shared import pg
    from kizuna.web.shared_server import create_shared_app

    name = "st_" + uuid.uuid4().hex[:10]
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name} TEMPLATE kizuna_template")
    url = pg_cluster.url(name)
    alliance = make_alliance(url, orgs=("aa", "bb"), roles=("viewer", "editor"))
    app = create_shared_app(url, data_dir=tmp_path_factory.mktemp("shared-st"))
    with TestClient(app) as client:
        editor = alliance.bearer("aa", "editor")
        r = upload(client, editor, name=SECRET + ".csv", visibility="private")
        assert wait_job(client, editor, r.json()["status_url"])["status"] == "done"
        upload(client, editor, name="open.csv", visibility="alliance",
               body=b"#org,#sector,#adm1+name,#activity+name,#date+start,#reached,#country+code\n"
                    b"Open Aid,WASH,Unity,Pumps,2023-01-15,10,SS\n")
    headers = alliance.bearer("bb", "editor")
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, headers=headers)
    TOKEN.update(headers)
    yield schema
    app.state.close()
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def readable(body: bytes) -> bytes:
    """The bytes to search: an XLSX download's unzipped parts, else the body itself."""
    if not body.startswith(b"PK"):
        return body
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return b"".join(z.read(n) for n in z.namelist())


# the shared routes, and the datasets that list imports and records (the single-analyst schemathesis test
# covers every dataset's parameters; here the point is the principal and the private rows)
shared_schema = schemathesis.pytest.from_fixture("shared_api").include(
    path_regex=r"/(imports|jobs|audit|sources|presence|activities|overlaps)"
)


@shared_schema.parametrize()
@SETTINGS
def test_the_shared_api_has_no_server_error_and_leaks_nothing_private(case):
    response = case.call(headers=TOKEN)
    assert response.status_code < 500, (case.method, case.path, response.content[:300])
    assert SECRET.encode() not in readable(response.content)
    if response.status_code >= 400 and case.method != "HEAD":
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "where", "hint"}
