"""The administration CLI of shared mode (issue 15): ``kizuna db|org|user|token|audit`` against a real
PostgreSQL — idempotent init, accounts and tokens with their audit rows, filters that treat hostile
values as data, and passwords never taken from the command line."""

from __future__ import annotations

import json

import pytest

from kizuna.cli import main
from kizuna.shared import accounts, pg

PW = "correct horse battery staple"


def run(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture
def fresh_db(pg_cluster):
    """An empty database (no Kizuna tables): what `kizuna db init` starts from."""
    import uuid

    name = "c_" + uuid.uuid4().hex[:10]
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    yield pg_cluster.url(name)
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_db_init_twice_is_idempotent_and_status_lists_every_migration(fresh_db, capsys, monkeypatch):
    monkeypatch.setenv("KIZUNA_DATABASE_URL", fresh_db)
    rc, out, _ = run(capsys, "org", "list")
    assert rc == 2  # no tables yet: one line that says what to do
    rc, out, err = run(capsys, "db", "init")
    assert rc == 0 and "applied migrations 1" in out
    rc, out, _ = run(capsys, "db", "init")
    assert rc == 0 and "up to date" in out
    rc, out, _ = run(capsys, "db", "status", "--format", "json")
    rows = json.loads(out)
    assert [r["version"] for r in rows] == [m.version for m in pg.migrations()]
    assert all(r["applied_at"] for r in rows)
    rc, out, err = run(capsys, "db", "migrate", "--database", fresh_db)
    assert rc == 0 and "up to date" in out
    with pg.connect(fresh_db) as con:
        migrated = con.execute("SELECT detail FROM audit_log WHERE action = 'db.migrate'").fetchall()
    assert len(migrated) == 1 and migrated[0]["detail"]["os_user"]


def test_an_unreachable_database_is_one_line_without_its_password(capsys):
    rc, out, err = run(capsys, "org", "list", "--database", "postgresql://admin:s3cret-pw@127.0.0.1:1/kizuna")
    assert rc == 2 and err.count("\n") == 1
    assert err.startswith("error[db.unavailable]: postgresql://admin:***@127.0.0.1:1/kizuna: ")
    assert "s3cret-pw" not in err + out


def test_a_not_initialised_database_says_to_run_db_init(fresh_db, capsys):
    rc, out, err = run(capsys, "org", "add", "jica", "--name", "JICA", "--database", fresh_db)
    assert rc == 2 and err.startswith("error[db.not_initialised]:") and "kizuna db init" in err


def test_org_user_and_token_commands_change_accounts_and_leave_audit_rows(pg_url, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("KIZUNA_DATABASE_URL", pg_url)
    assert run(capsys, "org", "add", "jica", "--name", "Japan International Cooperation Agency",
               "--iati-ref", "XM-DAC-701-8")[0] == 0
    rc, _, err = run(capsys, "org", "add", "jica", "--name", "again")
    assert rc == 2 and err.startswith("error[org.exists]")
    pw = tmp_path / "pw.txt"
    pw.write_text(PW + "\n", encoding="utf-8")
    rc, out, err = run(capsys, "user", "add", "Editor@Example.org", "--org", "jica", "--role", "editor",
                       "--password-file", str(pw))
    assert rc == 0 and "editor@example.org" in out
    rc, out, _ = run(capsys, "org", "list", "--format", "json")
    assert json.loads(out)[0]["slug"] == "jica" and json.loads(out)[0]["users"] == 1
    rc, out, err = run(capsys, "token", "create", "--user", "editor@example.org", "--org", "jica",
                       "--role", "editor", "--label", "ci", "--days", "30")
    secret = out.strip()
    assert rc == 0 and secret.startswith(accounts.TOKEN_PREFIX) and "only this once" in err
    with pg.connect(pg_url) as con:
        assert accounts.token_principal(con, secret).role == "editor"
        tid = con.execute("SELECT token_id FROM api_tokens").fetchone()["token_id"]
    rc, out, _ = run(capsys, "token", "list", "--format", "json")
    listed = json.loads(out)
    assert [t["token_id"] for t in listed] == [tid] and secret not in out and listed[0]["revoked_at"] is None
    assert run(capsys, "token", "revoke", str(tid))[0] == 0
    with pg.connect(pg_url) as con:
        assert accounts.token_principal(con, secret) is None
    rc, out, _ = run(capsys, "token", "revoke", str(tid))
    assert rc == 0 and "already" in out
    rc, _, err = run(capsys, "token", "revoke", "999")
    assert rc == 2 and err.startswith("error[token.unknown]")
    rc, out, _ = run(capsys, "audit", "--format", "json")
    rows = json.loads(out)
    assert [r["action"] for r in rows] == ["token.revoke", "token.create", "user.add", "org.add"]
    assert all(json.loads(r["detail"])["os_user"] for r in rows)
    assert all(r["org"] == "jica" for r in rows)
    assert PW not in out and secret not in out


def test_a_password_is_never_accepted_on_the_command_line(pg_url, capsys, monkeypatch):
    monkeypatch.setenv("KIZUNA_DATABASE_URL", pg_url)
    run(capsys, "org", "add", "jica", "--name", "JICA")
    for flag in ("--password", "--pw", "-p"):
        rc, out, err = run(capsys, "user", "add", "a@example.org", "--org", "jica", "--role", "viewer", flag, PW)
        assert rc == 2 and "No such option" in err
    with pg.connect(pg_url) as con:
        assert con.execute("SELECT count(*) AS n FROM users").fetchone()["n"] == 0


def test_without_a_password_file_the_password_is_asked_twice_hidden(pg_url, monkeypatch):
    from typer.testing import CliRunner

    from kizuna.cli import app

    monkeypatch.setenv("KIZUNA_DATABASE_URL", pg_url)
    runner = CliRunner()
    assert runner.invoke(app, ["org", "add", "jica", "--name", "JICA"]).exit_code == 0
    mismatch = runner.invoke(app, ["user", "add", "a@example.org", "--org", "jica", "--role", "viewer"],
                             input=f"{PW}\nsomething else\n{PW}\n{PW}\n")
    assert mismatch.exit_code == 0, mismatch.output
    assert PW not in mismatch.output  # hidden: never echoed
    with pg.connect(pg_url) as con:
        assert accounts.login(con, "a@example.org", PW).role == "viewer"
    # an existing user changing role is not asked again
    again = runner.invoke(app, ["user", "add", "a@example.org", "--org", "jica", "--role", "editor"], input="")
    assert again.exit_code == 0 and "Password" not in again.output


HOSTILE = ("x' OR '1'='1", "'; DROP TABLE audit_log; --", "%s", "\\x00", "1; SELECT pg_sleep(5)")


def test_every_audit_filter_takes_hostile_values_as_data(pg_url, capsys, monkeypatch):
    monkeypatch.setenv("KIZUNA_DATABASE_URL", pg_url)
    run(capsys, "org", "add", "jica", "--name", "JICA")
    for value in HOSTILE:
        for flag in ("--org", "--action", "--user", "--since", "--until"):
            rc, out, err = run(capsys, "audit", flag, value, "--format", "json")
            if rc == 0:
                assert json.loads(out) == [], (flag, value)
            else:  # refused as a value: one line naming the problem
                assert rc == 2 and err.count("\n") == 1, (flag, value, err)
                assert err.split("]")[0] in ("error[org.unknown", "error[audit.bad_date"), err
        rc, out, err = run(capsys, "audit", "--limit", value)
        assert rc == 2 and "Traceback" not in err
    rc, out, _ = run(capsys, "audit", "--format", "json")
    assert [r["action"] for r in json.loads(out)] == ["org.add"]  # the table is intact


def test_audit_filters_select_rows(pg_url, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("KIZUNA_DATABASE_URL", pg_url)
    pw = tmp_path / "pw"
    pw.write_text(PW, encoding="utf-8")
    run(capsys, "org", "add", "jica", "--name", "JICA")
    run(capsys, "org", "add", "usaid", "--name", "USAID")
    run(capsys, "user", "add", "a@example.org", "--org", "usaid", "--role", "admin", "--password-file", str(pw))

    def actions(*args):
        rc, out, err = run(capsys, "audit", "--format", "json", *args)
        assert rc == 0, err
        return [r["action"] for r in json.loads(out)]

    assert actions("--org", "usaid") == ["user.add", "org.add"]
    assert actions("--action", "org.add") == ["org.add", "org.add"]
    assert actions("--limit", "1") == ["user.add"]
    assert actions("--since", "2000-01-01", "--until", "2999-12-31") == ["user.add", "org.add", "org.add"]
    assert actions("--until", "2000-01-01") == []
    assert actions("--user", "nobody@example.org") == []
    rc, out, err = run(capsys, "audit", "--action", "nothing.like.this")
    assert rc == 0 and "no audit rows match" in err
    rc, out, err = run(capsys, "audit", "--since", "yesterday")
    assert rc == 2 and err.startswith("error[audit.bad_date]: field '--since'")
