"""Accounts of the shared server: organisations, users, argon2id passwords, tokens, sessions, lockout,
and the append-only audit log — against a real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from kizuna.errors import KizunaError
from kizuna.shared import accounts, audit, pg
from tests.conftest import run_async

PW = "correct horse battery staple"


@pytest.fixture
def owner(pg_url):
    with pg.connect(pg_url) as con:
        yield con


def test_migrations_apply_once_and_record_their_versions(pg_url):
    assert pg.migrate(pg_url) == []  # the template was migrated: nothing left to apply
    assert pg.schema_version(pg_url) == max(m.version for m in pg.migrations())


def test_passwords_are_argon2id_and_never_stored_plain(owner):
    accounts.add_org(owner, "jica", "Japan International Cooperation Agency")
    uid = accounts.add_user(owner, "Analyst@Example.org", "jica", "editor", PW)
    stored = owner.execute("SELECT email, password_hash FROM users WHERE user_id = %s", [uid]).fetchone()
    assert stored["email"] == "analyst@example.org"
    assert stored["password_hash"].startswith("$argon2id$")
    assert PW not in stored["password_hash"]
    with pytest.raises(KizunaError) as short:
        accounts.add_user(owner, "b@example.org", "jica", "viewer", "short")
    assert short.value.code == "auth.password_short"


def test_login_locks_after_five_wrong_passwords_and_a_right_one_does_not_unlock(owner):
    accounts.add_org(owner, "usaid", "USAID")
    accounts.add_user(owner, "a@example.org", "usaid", "viewer", PW)
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(KizunaError) as wrong:
            accounts.login(owner, "a@example.org", "not the password")
        assert wrong.value.code == "auth.failed" and wrong.value.status == 401
    with pytest.raises(KizunaError) as locked:
        accounts.login(owner, "a@example.org", PW)
    assert locked.value.code == "auth.locked" and locked.value.status == 429
    owner.execute("UPDATE users SET locked_until = now() - interval '1 second'")
    who = accounts.login(owner, "A@example.org", PW)
    assert (who.org_slug, who.role) == ("usaid", "viewer")


def test_unknown_email_and_wrong_password_give_the_same_error(owner):
    accounts.add_org(owner, "usaid", "USAID")
    accounts.add_user(owner, "a@example.org", "usaid", "viewer", PW)
    errors = []
    for email, password in (("nobody@example.org", PW), ("a@example.org", "wrong password!!")):
        with pytest.raises(KizunaError) as e:
            accounts.login(owner, email, password)
        errors.append(e.value.to_dict())
    assert errors[0] == errors[1]


def test_tokens_are_stored_hashed_scoped_and_revoked_at_once(owner):
    accounts.add_org(owner, "jica", "JICA")
    accounts.add_user(owner, "e@example.org", "jica", "editor", PW)
    with pytest.raises(KizunaError) as above:
        accounts.create_token(owner, "e@example.org", "jica", "admin")
    assert above.value.code == "auth.role_above_user"
    tid, secret = accounts.create_token(owner, "e@example.org", "jica", "editor", label="ci")
    assert secret.startswith(accounts.TOKEN_PREFIX) and len(secret) > 40
    stored = owner.execute("SELECT token_hash, prefix FROM api_tokens").fetchone()
    assert bytes(stored["token_hash"]) == accounts.sha256(secret) and secret not in stored["prefix"] + "x"
    who = accounts.token_principal(owner, secret)
    assert who is not None and (who.org_slug, who.role, who.via) == ("jica", "editor", "token")
    # the user is demoted: the token acts with the lower role at once
    accounts.add_user(owner, "e@example.org", "jica", "viewer")
    assert accounts.token_principal(owner, secret).role == "viewer"
    assert accounts.revoke_token(owner, tid) is True
    assert accounts.token_principal(owner, secret) is None
    assert accounts.token_principal(owner, secret[:-1] + "x") is None


def test_sessions_end_on_logout_and_expire(owner):
    accounts.add_org(owner, "jica", "JICA")
    accounts.add_user(owner, "e@example.org", "jica", "admin", PW)
    who = accounts.login(owner, "e@example.org", PW)
    sid, csrf = accounts.create_session(owner, who)
    sid2, _ = accounts.create_session(owner, who)
    assert sid != sid2  # a new id at every login
    found = accounts.session_principal(owner, sid)
    assert found is not None and found[1] == csrf and found[0].role == "admin"
    accounts.end_session(owner, sid)
    assert accounts.session_principal(owner, sid) is None
    owner.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    assert accounts.session_principal(owner, sid2) is None


def test_the_server_role_cannot_change_or_delete_audit_rows(pg_url):
    with pg.connect(pg_url) as con:
        oid = accounts.add_org(con, "jica", "JICA")
        con.commit()
    with pg.connect(pg_url, as_app=True) as app:
        with pg.acting(app, oid, "admin", None):
            aid = audit.append(app, action="import.create", target_kind="import", target_id=1, actor_org=oid,
                               after={"a": 1})
        for sql in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), pg.acting(app, oid, "admin"):
                app.execute(sql)
        with pg.acting(app, oid, "admin"):
            rows = audit.entries(app, org_id=oid)
        assert [r["audit_id"] for r in rows] == [aid]
        assert rows[0]["after_sha256"] == audit.record_hash({"a": 1})
        # another organisation's admin does not see them, and nobody may append in another's name
        with pg.acting(app, oid + 1, "admin"):
            assert audit.entries(app) == []
        with pytest.raises(psycopg.errors.InsufficientPrivilege), pg.acting(app, oid + 1, "admin"):
            audit.append(app, action="x", target_kind="import", actor_org=oid)
    # even the owner is refused by the trigger
    with pg.connect(pg_url) as con, pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute("DELETE FROM audit_log")


def test_the_batched_lookup_answers_as_the_one_at_a_time_lookups_do(owner, pg_url):
    """The server authenticates concurrent requests in one statement (accounts.principals_async, as the
    server's role): live, demoted, revoked, unknown, ended and expired credentials, side by side."""

    from psycopg.rows import dict_row

    accounts.add_org(owner, "jica", "JICA")
    accounts.add_user(owner, "e@example.org", "jica", "editor", PW)
    accounts.add_user(owner, "v@example.org", "jica", "viewer", PW)
    _tid, live = accounts.create_token(owner, "e@example.org", "jica", "editor")
    gone_id, gone = accounts.create_token(owner, "e@example.org", "jica", "viewer")
    accounts.revoke_token(owner, gone_id)
    _tid, viewer_token = accounts.create_token(owner, "v@example.org", "jica", "viewer")
    sid, csrf = accounts.create_session(owner, accounts.login(owner, "v@example.org", PW))
    ended, _ = accounts.create_session(owner, accounts.login(owner, "e@example.org", PW))
    accounts.end_session(owner, ended)
    accounts.add_user(owner, "e@example.org", "jica", "viewer")  # demoted: its live token acts as viewer
    owner.commit()
    tokens = [live, gone, viewer_token, accounts.TOKEN_PREFIX + "unknown"]
    sessions = [sid, ended, "no-such-session"]

    async def batched():
        async with await psycopg.AsyncConnection.connect(pg_url, row_factory=dict_row, autocommit=True) as con:
            await pg.set_app_role_async(con)
            return await accounts.principals_async(
                con, [accounts.sha256(t) for t in tokens], [accounts.sha256(s) for s in sessions]
            )

    found = run_async(batched())
    for secret in tokens:
        one = accounts.token_principal(owner, secret)
        got = found.get(("token", accounts.sha256(secret)))
        assert (got[0] if got else None) == one
    for session in sessions:
        assert found.get(("session", accounts.sha256(session))) == accounts.session_principal(owner, session)
    assert len(found) == 3
    assert found[("token", accounts.sha256(live))][0].role == "viewer"
    assert found[("session", accounts.sha256(sid))][1] == csrf
