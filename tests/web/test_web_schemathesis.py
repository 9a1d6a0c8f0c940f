"""Property tests against our own OpenAPI document: generated requests never make a server error.

Runs in-process over ASGI, a bounded number of examples per operation (well under a minute).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error


@pytest.fixture(scope="module")
def api_schema(mini_ws):
    from kizuna.web.app import create_app

    app = create_app(mini_ws)
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    app.state.store.close()
    del app.state.store  # schemathesis keeps the app: let the DuckDB connection be freed before exit


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_makes_a_server_error(case):
    response = case.call_and_validate(checks=[not_a_server_error])
    assert response.status_code < 500
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message", "where", "hint"}
