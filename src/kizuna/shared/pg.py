"""Connections to the shared PostgreSQL database, its numbered migrations, and the acting organisation.

Only this module, :mod:`kizuna.shared.accounts`, :mod:`kizuna.shared.audit` and the shared-mode
``store`` modules touch a PostgreSQL connection.

Two database roles matter:

- the *owner* (whoever ``kizuna db init|migrate --database URL`` connects as) creates the tables;
- ``kizuna_app``, created by the first migration, is what the server acts as: it is not the tables'
  owner, has no ``BYPASSRLS``, may only insert into the audit log, and is subject to row-level
  security. The server connects with its own login role and runs ``SET ROLE kizuna_app`` on every
  new connection, so a superuser URL in a test still acts under RLS.

Inside a transaction the server names the acting organisation, user and role with
:func:`acting` (``set_config(..., is_local => true)``: the settings end with the transaction, so a
pooled connection never carries one request's organisation into the next).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg
from psycopg.rows import dict_row

from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_

APP_ROLE = "kizuna_app"
URL_ENV = "KIZUNA_DATABASE_URL"


@dataclass(frozen=True)
class PgMigration:
    version: int
    name: str
    sql: str


def migrations() -> list[PgMigration]:
    """PostgreSQL migrations shipped in ``kizuna/shared/migrations`` as ``NNNN_name.sql``, in order."""
    out = []
    for entry in resources.files("kizuna.shared.migrations").iterdir():
        if entry.name.endswith(".sql") and entry.name[:4].isdigit():
            out.append(PgMigration(int(entry.name[:4]), entry.name[5:-4], entry.read_text(encoding="utf-8")))
    out.sort(key=lambda m: m.version)
    if len({m.version for m in out}) != len(out):
        raise RuntimeError("duplicate migration numbers in kizuna/shared/migrations")
    return out


def unavailable(exc: BaseException | None = None) -> KizunaError:
    """The one error for a database that cannot be reached (HTTP 503: the client may try again)."""
    return KizunaError(
        "db.unavailable",
        N_("the shared database is not reachable"),
        Where(),
        hint=N_("try again in a moment; if it lasts, the server's operator should check PostgreSQL"),
        status=503,
    )


def redact(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def connect(url: str, *, as_app: bool = False, autocommit: bool = False) -> psycopg.Connection[dict[str, Any]]:
    """A connection returning rows as dicts; with ``as_app`` it acts as ``kizuna_app`` (subject to RLS).

    Raises ``db.unavailable`` (503) when the server cannot be reached.
    """
    try:
        con = psycopg.connect(url, row_factory=dict_row, autocommit=autocommit, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise unavailable(exc) from exc
    if as_app:
        set_app_role(con)
    return con


def set_app_role(con: psycopg.Connection[Any]) -> None:
    """Act as ``kizuna_app`` for the rest of this connection's life (used as the pool's configure hook)."""
    was = con.autocommit
    con.autocommit = True
    con.execute(f"SET ROLE {APP_ROLE}")
    con.autocommit = was


async def set_app_role_async(con: psycopg.AsyncConnection[Any]) -> None:
    """:func:`set_app_role` for an autocommit async connection (the server's event-loop pool)."""
    await con.execute(f"SET ROLE {APP_ROLE}")


@contextmanager
def acting(
    con: psycopg.Connection[Any], org_id: int | None, role: str | None = None, user_id: int | None = None
) -> Iterator[psycopg.Connection[Any]]:
    """One transaction acting for ``org_id`` with ``role`` (viewer/editor/admin): RLS reads these.

    Commits on success, rolls back on any exception.
    """
    with con.transaction():
        con.execute(
            "SELECT set_config('kizuna.org', %s, true), set_config('kizuna.role', %s, true),"
            " set_config('kizuna.user', %s, true)",
            ["" if org_id is None else str(org_id), role or "", "" if user_id is None else str(user_id)],
        )
        yield con


def applied(con: psycopg.Connection[Any]) -> set[int]:
    """Versions already applied to this database (empty before ``kizuna db init``)."""
    exists = con.execute("SELECT to_regclass('kizuna_schema_migrations') IS NOT NULL AS e").fetchone()
    if not exists or not exists["e"]:
        return set()
    return {r["version"] for r in con.execute("SELECT version FROM kizuna_schema_migrations").fetchall()}


def migrate(url: str) -> list[int]:
    """Apply the PostgreSQL migrations this database has not seen, each in its own transaction, as the
    owner role of ``url``; return the versions applied. Safe to run again (a no-op when up to date).

    Two servers migrating at once are serialised by an advisory lock.
    """
    done: list[int] = []
    with connect(url, autocommit=True) as con:
        con.execute("SELECT pg_advisory_lock(7152026)")
        try:
            con.execute(
                "CREATE TABLE IF NOT EXISTS kizuna_schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            have = applied(con)
            for m in migrations():
                if m.version in have:
                    continue
                with con.transaction():
                    con.execute(m.sql.encode())  # bytes: run as one multi-statement script
                    con.execute(
                        "INSERT INTO kizuna_schema_migrations (version, name) VALUES (%s, %s)", [m.version, m.name]
                    )
                done.append(m.version)
        finally:
            con.execute("SELECT pg_advisory_unlock(7152026)")
    return done


def schema_version(url: str) -> int:
    """The highest applied migration (0 for a database not initialised)."""
    with connect(url) as con:
        return max(applied(con), default=0)
