"""Pages and the read API in shared mode: each organisation sees its analytical copy, built through RLS;
a write gives a fresh copy; two organisations that see the same rows share one; filters are safe."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.shared.web_support import make_alliance, upload, wait_job

INJECTIONS = ["' OR '1'='1", "x'; DROP TABLE imports; --", "1) UNION SELECT file_name FROM imports --", "%' --"]


@pytest.fixture(scope="module")
def world(pg_cluster, tmp_path_factory):
    """aa's private 3W sheet, loaded through the web; one app for the module (fast)."""
    import uuid

    from kizuna.shared import pg
    from kizuna.web.shared_server import create_shared_app

    name = "w_" + uuid.uuid4().hex[:10]
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name} TEMPLATE kizuna_template")
    url = pg_cluster.url(name)
    alliance = make_alliance(url, roles=("viewer", "editor"))
    app = create_shared_app(url, data_dir=tmp_path_factory.mktemp("shared-pages"))
    with TestClient(app, raise_server_exceptions=False) as client:
        editor = alliance.bearer("aa", "editor")
        r = upload(client, editor, name="secret-partners.csv", visibility="private")
        assert wait_job(client, editor, r.json()["status_url"])["status"] == "done"
        yield client, alliance, app, r.json()["import_id"]
    app.state.close()
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def sources(client, headers) -> set[str]:
    return {row["file_name"] for row in client.get("/api/v1/sources", headers=headers).json()["items"]}


def test_the_owner_sees_its_private_sheet_and_other_organisations_do_not(world):
    client, alliance, _app, _iid = world
    aa, bb = alliance.bearer("aa", "viewer"), alliance.bearer("bb", "viewer")
    assert sources(client, aa) == {"secret-partners.csv"}
    rows = client.get("/api/v1/presence", headers=aa).json()["items"]
    assert rows
    page = client.get("/presence", headers=aa)
    assert page.status_code == 200 and rows[0]["ally"] in page.text
    assert sources(client, bb) == set()
    assert client.get("/api/v1/presence", headers=bb).json()["total"] == 0
    assert "secret-partners" not in client.get("/sources", headers=bb).text


def test_organisations_that_see_the_same_rows_share_one_copy(world):
    client, alliance, app, _iid = world
    client.get("/api/v1/sources", headers=alliance.bearer("bb", "viewer"))
    before = set(app.state.copies._apps)
    client.get("/api/v1/sources", headers=alliance.bearer("cc", "viewer"))
    assert set(app.state.copies._apps) == before  # cc's key is bb's: no new copy


def test_kept_answers_never_show_one_persons_account_bar_to_another(world):
    """Answers are kept per copy; two people of one organisation read the same copy, each page with
    their own account bar, also the second time (from the kept answers). Clients without the server's
    lifespan authenticate in a worker thread, the module's client on the event loop: both paths."""
    from tests.shared.web_support import login

    client, alliance, app, _iid = world
    viewer, editor = TestClient(app), TestClient(app)
    assert login(viewer, alliance.email("aa", "viewer")).status_code == 303
    assert login(editor, alliance.email("aa", "editor")).status_code == 303
    emails = {"viewer": alliance.email("aa", "viewer"), "editor": alliance.email("aa", "editor")}
    for _ in range(2):
        for who, mine, theirs in ((viewer, "viewer", "editor"), (editor, "editor", "viewer")):
            page = who.get("/")
            assert page.status_code == 200 and emails[mine] in page.text and emails[theirs] not in page.text
        token_page = client.get("/", headers=alliance.bearer("aa", "viewer"))
        assert token_page.status_code == 200 and not any(e in token_page.text for e in emails.values())
    assert app.state.answers is not None and len(app.state.answers._items) >= 3  # the answers were kept


@pytest.mark.parametrize("target", ["bb", "cc"])
def test_sql_injection_in_every_dataset_filter_is_never_5xx_and_never_leaks(world, target):
    from kizuna.web.datasets import DATASETS

    client, alliance, _app, _iid = world
    headers = alliance.bearer(target, "viewer")
    for ds in DATASETS.values():
        for name in ds.filters:
            for payload in INJECTIONS:
                r = client.get(f"/api/v1/{ds.name}", params={name: payload}, headers=headers)
                assert r.status_code < 500, (ds.name, name, payload, r.text[:300])
                assert "secret-partners" not in r.text
    for params in ({"kind": INJECTIONS[0]}, {"visibility": INJECTIONS[1]}, {"owner": INJECTIONS[2]},
                   {"status": INJECTIONS[3]}, {"limit": "1; DROP TABLE imports"}):
        r = client.get("/api/v1/imports", params=params, headers=headers)
        assert r.status_code == 422 and "secret-partners" not in r.text


def test_sql_injection_in_the_audit_filters(world):
    client, alliance, _app, _iid = world
    from kizuna.shared import accounts, pg

    with pg.connect(alliance.url) as con:
        accounts.add_user(con, "admin@bb.example.org", "bb", "admin", "correct horse battery staple")
        _, secret = accounts.create_token(con, "admin@bb.example.org", "bb", "admin")
        con.commit()
    headers = {"Authorization": "Bearer " + secret}
    for payload in INJECTIONS:
        for params in ({"action": payload}, {"actor": payload}, {"since": payload}, {"until": payload}):
            r = client.get("/api/v1/audit", params=params, headers=headers)
            assert r.status_code in (200, 422), (params, r.text[:200])
            assert "secret-partners" not in r.text and "aa.example.org" not in r.text
    assert client.get("/api/v1/audit", params={"action": "import.submit"}, headers=headers).json()["items"] == []


def test_a_write_gives_a_fresh_copy_and_visibility_follows_at_once(world):
    client, alliance, _app, iid = world
    bb = alliance.bearer("bb", "viewer")
    assert sources(client, bb) == set()
    r = client.patch(f"/api/v1/imports/{iid}", headers=alliance.bearer("aa", "editor"),
                     json={"visibility": "shared", "shared_with": ["bb"]})
    assert r.status_code == 200
    assert sources(client, bb) == {"secret-partners.csv"}
    assert sources(client, alliance.bearer("cc", "viewer")) == set()
    client.patch(f"/api/v1/imports/{iid}", headers=alliance.bearer("aa", "editor"),
                 json={"visibility": "private", "shared_with": []})
    assert sources(client, bb) == set()


def test_stale_reads_answer_at_once_after_additions_but_never_after_a_withdrawal(pg_cluster, tmp_path):
    """--stale-reads: another organisation's new alliance-wide sheet is shown once its copy is built,
    the read in between answering from the previous copy (marked stale); a withdrawal (made private)
    waits for the fresh copy, so a withdrawn record is never shown again."""
    import time
    import uuid

    from kizuna.shared import pg
    from kizuna.web.shared_server import create_shared_app

    name = "s_" + uuid.uuid4().hex[:10]
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name} TEMPLATE kizuna_template")
    alliance = make_alliance(pg_cluster.url(name), roles=("viewer", "editor"))
    app = create_shared_app(pg_cluster.url(name), data_dir=tmp_path / "data", stale_reads=True)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            bb, editor = alliance.bearer("bb", "viewer"), alliance.bearer("aa", "editor")
            assert sources(client, bb) == set()  # bb's first copy (built: nothing to be stale against)
            r = upload(client, editor, name="shared-partners.csv", visibility="alliance")
            assert wait_job(client, editor, r.json()["status_url"])["status"] == "done"
            first = client.get("/api/v1/sources", headers=bb)
            assert first.headers.get("x-kizuna-stale") == "1" and first.json()["items"] == []
            page = client.get("/sources", headers=bb)
            assert page.status_code == 200
            deadline = time.monotonic() + 60
            while sources(client, bb) != {"shared-partners.csv"}:
                assert time.monotonic() < deadline, "the background copy never arrived"
                time.sleep(0.2)
            fresh = client.get("/api/v1/sources", headers=bb)
            assert "x-kizuna-stale" not in fresh.headers
            r = client.patch(f"/api/v1/imports/{r.json()['import_id']}", headers=editor,
                             json={"visibility": "private", "shared_with": []})
            assert r.status_code == 200
            after = client.get("/api/v1/sources", headers=bb)  # a withdrawal: waits, never the old copy
            assert after.json()["items"] == [] and "x-kizuna-stale" not in after.headers
    finally:
        app.state.close()
        with pg.connect(pg_cluster.url(), autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
