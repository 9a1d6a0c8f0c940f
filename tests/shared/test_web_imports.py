"""Writes over the web in shared mode: uploads streamed to disk, idempotent by sha256, jobs in the
server's worker thread, size limits, and the API permission matrix checked against access.allowed."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kizuna.shared import access, pg
from tests.shared.web_support import SHEET, make_alliance, upload, wait_job


@pytest.fixture
def alliance(pg_url):
    return make_alliance(pg_url)


@pytest.fixture
def app(pg_url, tmp_path, alliance):
    from kizuna.web.shared_server import create_shared_app

    shared = create_shared_app(pg_url, data_dir=tmp_path / "data", max_upload_mb=0.01)
    yield shared
    shared.state.close()


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def owner_scalar(url: str, sql: str, params=()):
    with pg.connect(url) as con:
        return next(iter(con.execute(sql, list(params)).fetchone().values()))


def test_an_upload_is_a_job_that_runs_in_the_server_and_the_same_bytes_again_are_the_same_import(client, alliance):
    editor = alliance.bearer("aa", "editor")
    first = upload(client, editor)
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["created"] is True and body["status_url"] == f"/api/v1/jobs/{body['job_id']}"
    job = wait_job(client, editor, body["status_url"])
    assert job["status"] == "done" and job["progress"] == 1 and job["counts"]["activities"] == 2
    again = upload(client, alliance.bearer("aa", "admin"), name="renamed.csv")
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["import_id"] == body["import_id"]
    listed = client.get("/api/v1/imports", headers=alliance.bearer("bb", "viewer")).json()["items"]
    assert [(i["import_id"], i["owner"], i["visibility"], i["can_change"]) for i in listed] == [
        (body["import_id"], "aa", "alliance", False)
    ]
    assert owner_scalar(alliance.url, "SELECT count(*) FROM activities") == 2


def test_a_bad_sheet_fails_its_job_with_the_clis_error_fields(client, alliance):
    editor = alliance.bearer("aa", "editor")
    r = upload(client, editor, body=SHEET.replace("1200", "twelve hundred").encode())
    job = wait_job(client, editor, r.json()["status_url"])
    assert job["status"] == "failed"
    err = job["error"]["error"]
    assert err["code"].startswith("3w.") and set(err) == {"code", "message", "where", "hint"}
    assert owner_scalar(alliance.url, "SELECT count(*) FROM activities") == 0


def test_viewers_cannot_upload_and_bad_fields_are_400(client, alliance, tmp_path):
    r = upload(client, alliance.bearer("aa", "viewer"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.forbidden"
    editor = alliance.bearer("aa", "editor")
    assert upload(client, editor, kind="exe").status_code == 400
    assert upload(client, editor, visibility="public").status_code == 400
    shared = upload(client, editor, visibility="shared", shared_with="nobody")
    assert shared.status_code == 400 and shared.json()["error"]["code"] == "import.shared_with_unknown"
    assert client.post("/api/v1/imports", headers=editor, data={"kind": "3w"}).status_code == 400
    survey = upload(client, editor, kind="survey")  # a survey without its spec file
    assert survey.status_code == 400 and survey.json()["error"]["where"] == {"field": "spec"}
    assert owner_scalar(alliance.url, "SELECT count(*) FROM imports") == 0
    assert [p for p in (tmp_path / "data" / "uploads").iterdir()] == []  # nothing refused is kept


def test_an_upload_beyond_the_limit_is_413_and_nothing_is_kept(client, alliance, tmp_path):
    big = SHEET.encode() + b"Gamma Help,Food,Lakes,Rations,2023-03-01,5,SS\n" * 400  # > 10 KiB
    r = upload(client, alliance.bearer("aa", "editor"), body=big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "upload.too_large"
    assert list((tmp_path / "data" / "uploads").iterdir()) == []
    assert owner_scalar(alliance.url, "SELECT count(*) FROM imports") == 0
    # without a Content-Length the stream is cut off all the same
    def chunks():
        boundary = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
        yield boundary
        for _ in range(50):
            yield b"y" * 1024
        yield b"\r\n--x--\r\n"

    r2 = client.post("/api/v1/imports", headers={**alliance.bearer("aa", "editor"),
                     "Content-Type": "multipart/form-data; boundary=x"}, content=chunks())
    assert r2.status_code == 413
    assert list((tmp_path / "data" / "uploads").iterdir()) == []


def test_two_editors_uploading_the_same_file_at_once_make_one_import(client, alliance, pg_url):
    from kizuna.shared import accounts

    with pg.connect(pg_url) as con:
        accounts.add_user(con, "second@aa.example.org", "aa", "editor", "correct horse battery staple")
        _, second = accounts.create_token(con, "second@aa.example.org", "aa", "editor")
        con.commit()
    barrier = threading.Barrier(2)
    answers = []

    def go(headers):
        barrier.wait()
        answers.append(upload(client, headers))

    threads = [threading.Thread(target=go, args=(h,)) for h in
               (alliance.bearer("aa", "editor"), {"Authorization": "Bearer " + second})]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 202]
    assert len({a.json()["import_id"] for a in answers}) == 1
    assert owner_scalar(pg_url, "SELECT count(*) FROM imports") == 1
    assert owner_scalar(pg_url, "SELECT count(*) FROM jobs") == 1


KINDS = ("iati", "3w", "survey", "proposal")
VISIBILITIES = ("alliance", "shared", "private")
PRINCIPALS = [(org, role) for org in ("aa", "bb", "cc") for role in ("viewer", "editor", "admin")]
RELATION = {"aa": "owner", "bb": "named", "cc": "other"}


def _insert(url: str, tmp: Path, kind: str, visibility: str) -> int:
    """An import of aa shared with bb (named in every visibility), with a file on disk: as the owner role."""
    path = tmp / "data" / "uploads" / f"{kind}-{visibility}-{time.monotonic_ns()}.bin"
    path.write_bytes(b"respondent rows" if kind == "survey" else b"activity rows")
    with pg.connect(url) as con:
        iid = con.execute(
            "INSERT INTO imports (kind, file_name, file_path, sha256, org_id, visibility, shared_with, status)"
            " SELECT %s, %s, %s, md5(random()::text), o.org_id, %s, ARRAY[b.org_id], 'done'"
            " FROM orgs o, orgs b WHERE o.slug = 'aa' AND b.slug = 'bb' RETURNING import_id",
            [kind, path.name, str(path), visibility],
        ).fetchone()["import_id"]
        con.commit()
    return int(iid)


def test_the_api_permission_matrix_follows_access_allowed(client, alliance, tmp_path):
    """role x organisation (owner, named, other) x visibility x action (read, export, write, delete) on
    every kind of import, through the HTTP API; the expected outcome is access.allowed's, the rule the
    RLS matrix test checks PostgreSQL against."""
    checked = 0
    for kind, vis in itertools.product(KINDS, VISIBILITIES):
        iid = _insert(alliance.url, tmp_path, kind, vis)
        personal = kind == "survey"
        for org, role in PRINCIPALS:
            h = alliance.bearer(org, role)
            rel = RELATION[org]
            seen = iid in {i["import_id"] for i in client.get("/api/v1/imports", headers=h).json()["items"]}
            assert seen == access.allowed(role, rel, vis, "read"), (kind, vis, org, role, "read")
            got = client.get(f"/api/v1/imports/{iid}/file", headers=h)
            want = access.allowed(role, rel, vis, "export", personal)
            assert (got.status_code == 200) == want, (kind, vis, org, role, "export", got.status_code)
            assert want or (got.status_code in (403, 404) and b"rows" not in got.content)
            checked += 2
        # writes: the owner's writers last (their change is allowed and keeps the same visibility)
        for org, role in sorted(PRINCIPALS, key=lambda p: access.allowed(p[1], RELATION[p[0]], vis, "write")):
            change = {"visibility": vis, "shared_with": ["bb"] if vis == "shared" else []}
            got = client.patch(f"/api/v1/imports/{iid}", headers=alliance.bearer(org, role), json=change)
            want = access.allowed(role, RELATION[org], vis, "write")
            assert (got.status_code == 200) == want, (kind, vis, org, role, "write", got.status_code)
            assert want or got.status_code in (403, 404)
            checked += 1
        for org, role in PRINCIPALS:
            want = access.allowed(role, RELATION[org], vis, "delete")
            target = _insert(alliance.url, tmp_path, kind, vis) if want else iid
            got = client.delete(f"/api/v1/imports/{target}", headers=alliance.bearer(org, role))
            assert (got.status_code == 200) == want, (kind, vis, org, role, "delete", got.status_code)
            exists = owner_scalar(alliance.url, "SELECT count(*) FROM imports WHERE import_id = %s", [target])
            assert exists == (0 if want else 1)
            checked += 1
    assert checked == len(KINDS) * len(VISIBILITIES) * len(PRINCIPALS) * 4


def test_a_server_killed_mid_upload_leaves_no_partial_file_after_its_next_start(pg_url, tmp_path, alliance):
    from kizuna.web.shared_server import create_shared_app

    uploads = tmp_path / "data" / "uploads"
    uploads.mkdir(parents=True)
    (uploads / ".upload-0123456789abcdef.part").write_bytes(b"half a sheet")  # what SIGKILL leaves
    (uploads / "kept-3w-partners.csv").write_bytes(SHEET.encode())  # a complete upload stays
    copies = tmp_path / "data" / "copies"
    copies.mkdir()
    (copies / ".abc.duckdb.1234.tmp").write_bytes(b"half a copy")
    app = create_shared_app(pg_url, data_dir=tmp_path / "data", start_worker=False)
    app.state.close()
    assert [p.name for p in uploads.iterdir()] == ["kept-3w-partners.csv"]
    assert list(copies.iterdir()) == []
    assert owner_scalar(alliance.url, "SELECT count(*) FROM imports") == 0


def test_a_job_queued_before_a_restart_runs_when_the_server_starts(pg_url, tmp_path):
    """A job submitted while no server ran its worker (the server died before starting it) is run by
    the next server at start, not left queued for ever."""
    import time

    from fastapi.testclient import TestClient

    from kizuna.shared import accounts, imports, pg
    from kizuna.web.shared_server import create_shared_app
    from tests.shared.web_support import SHEET, make_alliance

    alliance = make_alliance(pg_url, orgs=("aa",), roles=("editor",))
    data = tmp_path / "data"
    (data / "uploads").mkdir(parents=True)
    sheet = data / "uploads" / "queued.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    with pg.connect(pg_url, as_app=True) as con:
        who = accounts.token_principal(con, alliance.tokens[("aa", "editor")])
        con.commit()
        ticket = imports.submit(con, who, kind="3w", path=sheet, file_name="queued.csv")
    app = create_shared_app(pg_url, data_dir=data)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            headers = alliance.bearer("aa", "editor")
            deadline = time.monotonic() + 60
            while (job := client.get(f"/api/v1/jobs/{ticket.job_id}", headers=headers).json())["status"] != "done":
                assert job["status"] in ("queued", "running"), job
                assert time.monotonic() < deadline, "the queued job never ran"
                time.sleep(0.2)
    finally:
        app.state.close()
