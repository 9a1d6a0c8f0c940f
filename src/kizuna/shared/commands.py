"""CLI of shared mode (issue 15): ``kizuna db``, ``org``, ``user``, ``token`` and ``audit``.

The administrator's commands. They connect to ``--database URL`` (default ``$KIZUNA_DATABASE_URL``) as
the database's owner — not as the server's ``kizuna_app`` role — and each change commits with its audit
row, which names the operating-system user who ran the command (``detail.os_user``). Passwords are never
taken from the command line (a process list and a shell history would show them): from
``--password-file`` or typed twice at a hidden prompt. Errors are the usual one line; a URL in a
message has its password replaced by ``***`` (:func:`kizuna.shared.pg.redact`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_, _

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="KIZUNA_DATABASE_URL",
        help="PostgreSQL URL, e.g. postgresql://owner@localhost/kizuna (default $KIZUNA_DATABASE_URL).",
        show_default=False,
    ),
]
RoleOpt = Annotated[str, typer.Option("--role", help="viewer, editor or admin.")]


class AuditFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


db_app = typer.Typer(help="The shared PostgreSQL database: create its tables, upgrade them, show their version.")
org_app = typer.Typer(help="Organisations of the shared workspace (each owns its records).")
user_app = typer.Typer(help="People who log in to the shared server, with a role per organisation.")
token_app = typer.Typer(help="API tokens: one organisation, one role, stored hashed, revocable at once.")


def _url(url: str | None) -> str:
    if not url:
        raise KizunaError(
            "db.url_missing",
            N_("no database given"),
            Where(field="--database"),
            hint=N_("give --database postgresql://USER@HOST/DB or set KIZUNA_DATABASE_URL"),
        )
    return url


def _db_error(exc: Exception, url: str) -> KizunaError:
    """One line for a database problem, naming the database without its password."""
    import psycopg

    from kizuna.shared import pg

    where = Where(file=pg.redact(url))
    if isinstance(exc, KizunaError):
        return KizunaError(exc.code, exc.message, where, exc.hint, exc.status, params=exc.params)
    if isinstance(exc, (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction)):
        return KizunaError(
            "db.not_initialised",
            N_("this database has no Kizuna tables yet"),
            where,
            hint=N_("run kizuna db init --database URL first"),
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return KizunaError(
            "db.not_owner",
            N_("this database role may not make that change"),
            where,
            hint=N_("connect as the role that owns Kizuna's tables (the one that ran kizuna db init)"),
            status=403,
        )
    if isinstance(exc, psycopg.OperationalError):
        down = pg.unavailable(exc)
        return KizunaError(down.code, down.message, where, down.hint, 503, params=down.params)
    return KizunaError(
        "db.error",
        N_("the database refused the command (SQLSTATE {state})"),
        where,
        hint=N_("the PostgreSQL log has the details"),
        params={"state": getattr(exc, "sqlstate", None) or "?"},
    )


@contextmanager
def _owner(url: str | None) -> Iterator[Any]:
    """An owner connection for one command: commits at the end, rolls back on any error."""
    import psycopg

    from kizuna.shared import pg

    target = _url(url)
    try:
        with pg.connect(target) as con:
            yield con
    except KizunaError as exc:
        if exc.code.startswith("db."):
            raise _db_error(exc, target) from None
        raise
    except psycopg.Error as exc:
        raise _db_error(exc, target) from None


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (a container without a passwd entry)
        return "unknown"


def _detail(**extra: Any) -> dict[str, Any]:
    return {"via": "cli", "os_user": _os_user(), **extra}


def _say(text: str) -> None:
    typer.echo(text)


def _table(rows: list[dict[str, Any]], fmt: AuditFormat, title: str, empty: str) -> None:
    from kizuna.output import Format, render

    if not rows and fmt is AuditFormat.table:
        print(empty, file=sys.stderr)
        return
    render(rows, Format(fmt.value), None, title=title)


# --- db ------------------------------------------------------------------------------------------------


def _migrate(database: str | None) -> None:
    import psycopg

    from kizuna.shared import audit, pg

    url = _url(database)
    try:
        done = pg.migrate(url)
    except KizunaError as exc:
        raise _db_error(exc, url) from None
    except psycopg.Error as exc:
        raise _db_error(exc, url) from None
    if done:
        with _owner(url) as con:
            audit.append(con, action="db.migrate", target_kind="database", target_id=max(done),
                         detail=_detail(versions=done))
        _say(_("applied migrations {versions}; the database is at version {version}").format(
            versions=", ".join(str(v) for v in done), version=max(done)))
    else:
        _say(_("the database is up to date (version {version})").format(version=pg.schema_version(url)))


@db_app.command("init")
def db_init(database: DatabaseOpt = None) -> None:
    """Create Kizuna's tables, row-level security policies and the kizuna_app role, as the database's owner.

    Running it again changes nothing.
    """
    _migrate(database)


@db_app.command("migrate")
def db_migrate(database: DatabaseOpt = None) -> None:
    """Apply the migrations this database has not seen (after upgrading Kizuna); safe to run again."""
    _migrate(database)


@db_app.command("status")
def db_status(
    database: DatabaseOpt = None,
    fmt: Annotated[AuditFormat, typer.Option("--format", "-f", help="table, csv or json.")] = AuditFormat.table,
) -> None:
    """List the migrations: applied (with when) and still to apply; and the data version."""
    from kizuna.shared import pg, queries

    with _owner(database) as con:
        have = queries.applied_migrations(con) if pg.applied(con) else {}
        rows = [{"version": m.version, "name": m.name, "applied_at": have.get(m.version)} for m in pg.migrations()]
        data_version = queries.data_version(con) if have else None
    _table(rows, fmt, _("Migrations"), "")
    if fmt is AuditFormat.table:
        pending = sum(1 for r in rows if r["applied_at"] is None)
        print(_("{pending} migration(s) to apply; data version {version}").format(
            pending=pending, version="-" if data_version is None else data_version), file=sys.stderr)


# --- org -----------------------------------------------------------------------------------------------


@org_app.command("add")
def org_add(
    slug: Annotated[str, typer.Argument(help="Short name: lower-case letters, digits and hyphens (e.g. jica).")],
    name: Annotated[str, typer.Option("--name", help="Full name of the organisation.")],
    iati_ref: Annotated[str | None, typer.Option("--iati-ref", help="Its IATI organisation identifier.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Add an organisation."""
    from kizuna.shared import accounts, audit

    with _owner(database) as con:
        oid = accounts.add_org(con, slug, name, iati_ref)
        audit.append(con, action="org.add", target_kind="org", target_id=oid, actor_org=oid,
                     after={"slug": slug, "name": name, "iati_ref": iati_ref}, detail=_detail())
    _say(_("organisation {slug} added (id {id})").format(slug=slug, id=oid))


@org_app.command("list")
def org_list(
    database: DatabaseOpt = None,
    fmt: Annotated[AuditFormat, typer.Option("--format", "-f", help="table, csv or json.")] = AuditFormat.table,
) -> None:
    """List the organisations with their number of users and imports."""
    from kizuna.shared import queries

    with _owner(database) as con:
        rows = queries.org_listing(con)
    _table(rows, fmt, _("Organisations"), _("no organisations yet: add one with kizuna org add"))


# --- user ----------------------------------------------------------------------------------------------


def _password_from(file: Path | None) -> str:
    if file is None:
        return str(typer.prompt(_("Password"), hide_input=True, confirmation_prompt=_("Repeat the password")))
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise KizunaError(
            "auth.password_file",
            N_("cannot read the password file"),
            Where(file=str(file), field="--password-file"),
            hint=N_("give a readable UTF-8 file holding the password on its first line"),
        ) from None
    return text.splitlines()[0] if text.strip() else ""


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="The person's e-mail address (their login).")],
    org: Annotated[str, typer.Option("--org", help="Organisation short name.")],
    role: RoleOpt,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help="File whose first line is the password (else you are asked twice)."),
    ] = None,
    display_name: Annotated[str | None, typer.Option("--name", help="Name shown on pages.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Add a user to an organisation with a role, or change their role there.

    A new user needs a password: from --password-file, or typed twice; never on the command line.
    """
    from kizuna.shared import accounts, audit, queries

    accounts.check_role(role)
    with _owner(database) as con:
        org_id = accounts.org_id(con, org)
        known = queries.user_id(con, email) is not None
        password = _password_from(password_file) if (password_file is not None or not known) else None
        uid = accounts.add_user(con, email, org, role, password, display_name)
        audit.append(con, action="user.add", target_kind="user", target_id=uid, actor_org=org_id,
                     after={"email": email.strip().lower(), "org": org, "role": role},
                     detail=_detail(new_user=not known, password_set=bool(password)))
    _say(_("{email} is {role} in {org}").format(email=email.strip().lower(), role=role, org=org))


# --- token ---------------------------------------------------------------------------------------------


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="E-mail address of the token's user.")],
    org: Annotated[str, typer.Option("--org", help="Organisation short name.")],
    role: RoleOpt,
    label: Annotated[str | None, typer.Option("--label", help="What the token is for (shown in lists).")] = None,
    days: Annotated[int, typer.Option("--days", min=0, max=3650, help="Days until it expires (0: never).")] = 90,
    database: DatabaseOpt = None,
) -> None:
    """Create an API token and print its secret once (only its SHA-256 is stored)."""
    from kizuna.shared import accounts, audit

    with _owner(database) as con:
        tid, secret = accounts.create_token(con, user, org, role, label, days or None)
        audit.append(con, action="token.create", target_kind="token", target_id=tid,
                     actor_org=accounts.org_id(con, org),
                     after={"token_id": tid, "prefix": secret[:10], "user": user.strip().lower(), "org": org,
                            "role": role, "label": label, "days": days},
                     detail=_detail())
    typer.echo(secret)
    print(_("token {id} for {email} in {org} as {role}; the secret above is shown only this once").format(
        id=tid, email=user.strip().lower(), org=org, role=role), file=sys.stderr)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's number (see kizuna token list).")],
    database: DatabaseOpt = None,
) -> None:
    """Revoke a token; requests with it are refused at once."""
    from kizuna.shared import accounts, audit, queries

    with _owner(database) as con:
        row = queries.token_org(con, token_id)
        if row is None:
            raise KizunaError(
                "token.unknown",
                N_("no token {id}"),
                Where(field="token_id"),
                hint=N_("list them with kizuna token list"),
                status=404,
                params={"id": token_id},
            )
        if accounts.revoke_token(con, token_id):
            audit.append(con, action="token.revoke", target_kind="token", target_id=token_id,
                         actor_org=row["org_id"], detail=_detail())
            _say(_("token {id} revoked").format(id=token_id))
        else:
            _say(_("token {id} was revoked already").format(id=token_id))


@token_app.command("list")
def token_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's tokens.")] = None,
    database: DatabaseOpt = None,
    fmt: Annotated[AuditFormat, typer.Option("--format", "-f", help="table, csv or json.")] = AuditFormat.table,
) -> None:
    """List API tokens (never their secrets): who, which organisation and role, expiry, revocation, last use."""
    from kizuna.shared import accounts, queries

    with _owner(database) as con:
        rows = queries.token_listing(con, accounts.org_id(con, org) if org is not None else None)
    _table(rows, fmt, _("API tokens"), _("no tokens"))


# --- audit ---------------------------------------------------------------------------------------------


def _moment(text: str | None, field: str, *, end: bool = False) -> datetime | None:
    """A --since/--until value: YYYY-MM-DD (a whole day; --until includes it) or an ISO date and time (UTC
    unless it names its zone)."""
    if text is None:
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1 if end else 0), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise KizunaError(
            "audit.bad_date",
            N_("cannot read the date {text!r}"),
            Where(field=field),
            hint=N_("write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM"),
            params={"text": text[:40]},
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def audit_cmd(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's rows (short name).")] = None,
    action: Annotated[str | None, typer.Option("--action", help="Only this action, e.g. import.submit.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's rows (e-mail address).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this date (YYYY-MM-DD) or time, UTC.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this date (included) or time, UTC.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="At most this many rows.")] = 200,
    fmt: Annotated[AuditFormat, typer.Option("--format", "-f", help="table, csv or json.")] = AuditFormat.table,
    database: DatabaseOpt = None,
) -> None:
    """List the audit log, newest first: who changed what, for which organisation, and when.

    Each row has the SHA-256 of the record before and after the change.
    """
    from kizuna.shared import accounts, audit, queries

    start, end = _moment(since, "--since"), _moment(until, "--until", end=True)
    with _owner(database) as con:
        org_id = accounts.org_id(con, org) if org is not None else None
        user_id: int | None = None
        rows: list[dict[str, Any]] = []
        known = True
        if user is not None:
            user_id = queries.user_id(con, user)
            known = user_id is not None
        if known:
            rows = [dict(r) for r in audit.entries(con, org_id=org_id, action=action, user_id=user_id, since=start,
                                                    until=end, limit=limit)]
    for r in rows:
        r["detail"] = json.dumps(r["detail"], ensure_ascii=False, sort_keys=True)
        if fmt is AuditFormat.table:  # the first 12 hex digits tell records apart on a screen
            for k in ("before_sha256", "after_sha256"):
                r[k] = r[k][:12] if r[k] else r[k]
    _table(rows, fmt, _("Audit log"), _("no audit rows match"))


def register(app: typer.Typer) -> None:
    """Add the shared-mode administration commands to ``app``."""
    app.add_typer(db_app, name="db")
    app.add_typer(org_app, name="org")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.command("audit")(audit_cmd)
