"""The shared server when PostgreSQL goes away: a clear 503, then recovery with no server restart."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.shared.web_support import make_alliance


@pytest.fixture
def client(pg_url, tmp_path):
    from kizuna.web.shared_server import create_shared_app

    alliance = make_alliance(pg_url, orgs=("aa",), roles=("viewer",))
    app = create_shared_app(pg_url, data_dir=tmp_path, start_worker=False, pool_timeout=1.0)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers.update(alliance.bearer("aa", "viewer"))
        yield c
    app.state.close()


def test_postgres_restart_answers_503_then_recovers_by_itself(client, pg_cluster):
    assert client.get("/api/v1/me").status_code == 200
    pg_cluster.stop()
    try:
        api = client.get("/api/v1/me")
        assert api.status_code == 503
        assert api.json()["error"]["code"] == "db.unavailable"
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["error"]["code"] == "db.unavailable"
        page = client.get("/imports", follow_redirects=False)
        assert page.status_code == 503 and "text/html" in page.headers["content-type"]
    finally:
        pg_cluster.start()
    # the same app, no restart: both pools (the event loop's, which authenticates, and the worker
    # threads', which answers health and the pages) replace their dead connections, each at its own pace
    statuses = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        statuses.append((client.get("/api/v1/me").status_code, client.get("/healthz").status_code))
        if statuses[-1] == (200, 200):
            break
        time.sleep(0.25)
    assert statuses[-1] == (200, 200) and {s for pair in statuses for s in pair} <= {200, 503}
    assert client.get("/healthz").json()["database"] == "ok"
