"""Property tests against our own OpenAPI document (issue 13): requests generated from it — valid ones
and, from the negative and coverage phases, invalid ones and undeclared methods — meet every check
schemathesis has (no server error; statuses, content types, headers and bodies as declared; valid data
accepted, invalid data rejected; 405 with ``Allow``), on the demo and on the real-file workspace.

In-process over ASGI (no network), derandomized (a fixed seed: the same requests every run) and bounded
(``MAX_EXAMPLES`` per operation and phase), so the whole run stays around a minute. The same run from the
command line: ``st run http://127.0.0.1:8000/api/v1/openapi.json`` against ``kizuna serve``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

MAX_EXAMPLES = 8
SETTINGS = settings(
    max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def _schema(path: Path) -> Iterator[object]:
    from kizuna.web.app import create_app

    app = create_app(path)
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    app.state.store.close()
    del app.state.store  # schemathesis keeps the app: let the DuckDB connection be freed before exit


@pytest.fixture(scope="module")
def demo_api(demo_ws: Path) -> Iterator[object]:
    yield from _schema(demo_ws)


@pytest.fixture(scope="module")
def real_api(real_needs_ws: Path) -> Iterator[object]:
    yield from _schema(real_needs_ws)


def _check(case) -> None:
    response = case.call_and_validate()  # every check schemathesis registers, conformance included
    if response.status_code >= 400 and response.request.method != "HEAD":
        body = response.json()  # the one error shape, whatever went wrong
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message", "where", "hint"}


demo_schema = schemathesis.pytest.from_fixture("demo_api")
real_schema = schemathesis.pytest.from_fixture("real_api")


@demo_schema.parametrize()
@SETTINGS
def test_the_demo_api_meets_its_openapi_document(case):
    _check(case)


@pytest.mark.shared
@real_schema.parametrize()
@SETTINGS
def test_the_real_file_api_meets_its_openapi_document(case):
    _check(case)
