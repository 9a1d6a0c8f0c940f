"""The /imports page's buttons in shared mode: an editor or admin of the owning organisation changes who may
see an import, or withdraws it, through forms carrying the session's CSRF token; the same library calls as
the API (access.allowed, then RLS; one audit row each). Nobody else sees the buttons, and a forged POST is
refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from kizuna.i18n import use
from kizuna.shared import pg
from tests.shared.web_support import csrf_of, login, make_alliance, upload, wait_job


@pytest.fixture
def alliance(pg_url):
    return make_alliance(pg_url, tokens=True)


@pytest.fixture
def app(pg_url, tmp_path, alliance):
    from kizuna.web.shared_server import create_shared_app

    shared = create_shared_app(pg_url, data_dir=tmp_path / "data", login_per_minute=1000)
    yield shared
    shared.state.close()


def session(app, alliance, org: str, role: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    assert login(client, alliance.email(org, role)).status_code == 303
    return client


def loaded(app, alliance, visibility: str = "private", **fields) -> int:
    """A synthetic 3W sheet of aa's, loaded through the API (its job run by the server's worker)."""
    api = TestClient(app, raise_server_exceptions=False)
    editor = alliance.bearer("aa", "editor")
    r = upload(api, editor, visibility=visibility, **fields)
    assert r.status_code == 202, r.text
    assert wait_job(api, editor, r.json()["status_url"])["status"] == "done"
    return int(r.json()["import_id"])


def inserted(url: str, visibility: str = "alliance") -> int:
    """An import row of aa's with no records (as the owner role): enough for the buttons and refusals."""
    with pg.connect(url) as con:
        iid = con.execute(
            "INSERT INTO imports (kind, file_name, sha256, org_id, visibility, status)"
            " SELECT '3w', 'partners.csv', md5(random()::text), org_id, %s, 'done' FROM orgs WHERE slug = 'aa'"
            " RETURNING import_id", [visibility],
        ).fetchone()["import_id"]
        con.commit()
    return int(iid)


def owner_rows(url: str, sql: str, params=()) -> list[dict]:
    with pg.connect(url) as con:
        return list(con.execute(sql, list(params)).fetchall())


def forms(html: str) -> list[tuple[str, str]]:
    """(action, import_id) of every import form on the page."""
    return re.findall(r'action="(/imports/(?:visibility|delete))"[^>]*>\s*<input type="hidden" name="csrf_token"'
                      r' value="[^"]*">\s*<input type="hidden" name="import_id" value="(\d+)"', html)


def test_only_the_owners_editors_and_admins_see_the_buttons(app, alliance):
    iid = inserted(alliance.url)
    for role in ("editor", "admin"):
        page = session(app, alliance, "aa", role).get("/imports").text
        assert forms(page) == [("/imports/visibility", str(iid)), ("/imports/delete", str(iid))], role
    for org, role in (("aa", "viewer"), ("bb", "editor"), ("bb", "admin"), ("cc", "viewer")):
        page = session(app, alliance, org, role).get("/imports")
        assert page.status_code == 200 and "partners.csv" in page.text, (org, role)  # it sees the import ...
        assert forms(page.text) == [] and "/imports/visibility" not in page.text, (org, role)  # ... and no button


def test_a_forged_post_is_refused_and_changes_nothing(app, alliance):
    iid = inserted(alliance.url)
    editor = session(app, alliance, "aa", "editor")
    token = csrf_of(editor, "/imports")
    for action, data in (("/imports/visibility", {"import_id": iid, "visibility": "private"}),
                         ("/imports/delete", {"import_id": iid})):
        missing = editor.post(action, data=data, follow_redirects=False)
        assert missing.status_code == 403 and "csrf_token" in missing.text, action
        wrong = editor.post(action, data={**data, "csrf_token": "x" + token[1:]}, follow_redirects=False)
        assert wrong.status_code == 403, action
        # a valid token of someone who may not change it: the permission rule refuses it
        for org, role in (("aa", "viewer"), ("bb", "admin")):
            other = session(app, alliance, org, role)
            got = other.post(action, data={**data, "csrf_token": csrf_of(other, "/imports")}, follow_redirects=False)
            assert got.status_code == 403, (action, org, role)
    rows = owner_rows(alliance.url, "SELECT visibility FROM imports WHERE import_id = %s", [iid])
    assert rows == [{"visibility": "alliance"}]
    assert owner_rows(alliance.url, "SELECT action FROM audit_log WHERE action IN ('import.visibility',"
                      " 'import.delete')") == []


def test_a_visibility_change_takes_effect_for_others_and_withdrawing_deletes_for_everyone(app, alliance):
    iid = loaded(app, alliance, visibility="private")
    bb, cc = alliance.bearer("bb", "viewer"), alliance.bearer("cc", "viewer")
    api = TestClient(app, raise_server_exceptions=False)
    assert api.get("/api/v1/presence", headers=bb).json()["total"] == 0
    editor = session(app, alliance, "aa", "editor")
    r = editor.post("/imports/visibility", follow_redirects=False, data={
        "csrf_token": csrf_of(editor, "/imports"), "import_id": iid, "visibility": "shared", "shared_with": "bb"})
    assert r.status_code == 303 and r.headers["location"] == f"/imports?done=visibility&import={iid}"
    back = editor.get(r.headers["location"]).text
    assert f"Import {iid}: who may see it has changed." in back
    assert api.get("/api/v1/presence", headers=bb).json()["total"] > 0  # bb, named, sees its rows now
    assert api.get("/api/v1/presence", headers=cc).json()["total"] == 0  # cc, not named, still does not
    assert [i["import_id"] for i in api.get("/api/v1/imports", headers=bb).json()["items"]] == [iid]
    audit = owner_rows(alliance.url, "SELECT a.action, u.email FROM audit_log a JOIN users u ON u.user_id ="
                       " a.actor_user WHERE a.action = 'import.visibility'")
    assert audit == [{"action": "import.visibility", "email": "editor@aa.example.org"}]
    # withdrawn by an admin: gone for the owner and for bb, with its rows
    admin = session(app, alliance, "aa", "admin")
    r = admin.post("/imports/delete", data={"csrf_token": csrf_of(admin, "/imports"), "import_id": iid},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/imports?done=deleted&import={iid}"
    page = admin.get(r.headers["location"]).text
    assert f"Import {iid} and its records are withdrawn." in page and forms(page) == []
    assert owner_rows(alliance.url, "SELECT count(*) AS n FROM activities") == [{"n": 0}]
    assert api.get("/api/v1/presence", headers=bb).json()["total"] == 0
    assert api.get("/api/v1/imports", headers=bb).json()["items"] == []
    audit = owner_rows(alliance.url, "SELECT target_id FROM audit_log WHERE action = 'import.delete'")
    assert [str(a["target_id"]) for a in audit] == [str(iid)]


def test_bad_form_values_are_the_one_error_and_the_message_follows_the_language(app, alliance):
    iid = inserted(alliance.url)
    editor = session(app, alliance, "aa", "editor")
    token = csrf_of(editor, "/imports")
    for data, field in (({"import_id": "1 OR 1=1", "visibility": "private"}, "import_id"),
                        ({"import_id": iid, "visibility": "public"}, "visibility"),
                        ({"import_id": iid, "visibility": "shared", "shared_with": ""}, "shared_with"),
                        ({"import_id": iid, "visibility": "shared", "shared_with": "nobody"}, "shared_with")):
        r = editor.post("/imports/visibility", data={**data, "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 400 and field in r.text, (data, r.status_code)
    assert editor.post("/imports/delete", data={"import_id": 2**30, "csrf_token": token},
                       follow_redirects=False).status_code == 404
    # the flash message comes from the catalogue (a key in the link, never text from it)
    japanese = editor.get(f"/imports?done=deleted&import={iid}&lang=ja").text
    with use("ja"):
        from kizuna.i18n import _

        assert _("Import {id} and its records are withdrawn.").format(id=iid) in japanese
    assert "<script>" not in editor.get("/imports?done=<script>&import=1").text


def footer(html: str) -> str:
    return re.search(r'<footer class="foot">(.*?)</footer>', html, re.S).group(1)  # type: ignore[union-attr]


def test_the_footer_says_shared_server_and_who_is_signed_in_never_read_only(app, alliance):
    from kizuna.web.render import render_page

    anonymous = TestClient(app, raise_server_exceptions=False)
    assert "read-only" not in footer(anonymous.get("/login").text)
    assert "shared alliance server" in footer(anonymous.get("/login").text)
    viewer = session(app, alliance, "bb", "viewer")
    for page in ("/imports", "/presence"):  # the shared layer's own page and a page of the organisation's copy
        text = footer(viewer.get(page).text)
        assert "read-only" not in text and ".duckdb" not in text, page
        assert "Kizuna — shared alliance server" in text and "viewer@bb.example.org" in text, page
    japanese = footer(viewer.get("/imports?lang=ja").text)
    assert "同盟国・同志国の共有サーバー" in japanese and "read-only" not in japanese
    # the single-analyst server (no account, not shared) keeps its own footer
    single = footer(render_page("error.html", {"error": {"code": "x", "message": "m", "where": {}, "hint": None},
                                               "status": 404, "title": "t", "workspace": "ws.duckdb"}))
    assert "read-only" in single and "ws.duckdb" in single
