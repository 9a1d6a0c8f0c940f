"""Reads of the shared database that the web's shared routes need (all under RLS: the caller acts as an
organisation through :func:`kizuna.shared.pg.acting`). SQL lives here, next to the tables it reads."""

from __future__ import annotations

from typing import Any

IMPORT_COLUMNS = (
    "i.import_id, i.kind, i.file_name, i.sha256, o.slug AS owner, i.org_id, i.visibility, i.shared_with,"
    " i.status, i.imported_at, i.counts"
)


def imports_seen(
    con: Any, *, kind: str | None = None, visibility: str | None = None, owner: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """The imports the acting organisation may see (RLS), newest first, filtered (values bound, never spliced)."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("i.kind", kind), ("i.visibility", visibility), ("o.slug", owner), ("i.status", status)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    return list(
        con.execute(
            f"SELECT {IMPORT_COLUMNS} FROM imports i JOIN orgs o ON o.org_id = i.org_id{clause}"
            " ORDER BY i.import_id DESC",
            params,
        ).fetchall()
    )


def org_slugs(con: Any) -> dict[int, str]:
    return {int(r["org_id"]): r["slug"] for r in con.execute("SELECT org_id, slug FROM orgs").fetchall()}


def other_orgs(con: Any, org_id: int) -> list[dict[str, Any]]:
    """Every organisation but ``org_id`` (slug, name), for the upload form's 'shared with' choices."""
    return list(con.execute("SELECT slug, name FROM orgs WHERE org_id <> %s ORDER BY slug", [org_id]).fetchall())


def import_row(con: Any, import_id: int) -> dict[str, Any] | None:
    """One import the acting organisation may see (RLS), or None."""
    row = con.execute(
        "SELECT import_id, org_id, kind, visibility, shared_with, sha256, file_name, file_path FROM imports"
        " WHERE import_id = %s",
        [import_id],
    ).fetchone()
    return None if row is None else dict(row)


def user_id(con: Any, email: str) -> int | None:
    row = con.execute("SELECT user_id FROM users WHERE email = %s", [email.strip().lower()]).fetchone()
    return None if row is None else int(row["user_id"])


# --- the administrator's listings (kizuna.shared.commands, as the database's owner) ---------------------


def applied_migrations(con: Any) -> dict[int, Any]:
    """Each applied migration's version -> when it was applied."""
    rows = con.execute("SELECT version, applied_at FROM kizuna_schema_migrations").fetchall()
    return {r["version"]: r["applied_at"] for r in rows}


def data_version(con: Any) -> int | None:
    """The data version (bumped by every change of records), or None before the first."""
    row = con.execute("SELECT version FROM data_version").fetchone()
    return row["version"] if row else None


def org_listing(con: Any) -> list[dict[str, Any]]:
    """Every organisation with its number of users (memberships) and imports, by short name."""
    rows = con.execute(
        "SELECT o.slug, o.name, o.iati_ref,"
        " (SELECT count(*) FROM memberships m WHERE m.org_id = o.org_id) AS users,"
        " (SELECT count(*) FROM imports i WHERE i.org_id = o.org_id) AS imports, o.created_at"
        " FROM orgs o ORDER BY o.slug"
    ).fetchall()
    return [dict(r) for r in rows]


def token_org(con: Any, token_id: int) -> dict[str, Any] | None:
    """A token's organisation and revocation time (``org_id``, ``revoked_at``), or None for no such token."""
    row = con.execute("SELECT org_id, revoked_at FROM api_tokens WHERE token_id = %s", [token_id]).fetchone()
    return None if row is None else dict(row)


def token_listing(con: Any, org_id: int | None = None) -> list[dict[str, Any]]:
    """API tokens (never their secrets or hashes) with user, organisation and role, oldest first; with
    ``org_id``, that organisation's only."""
    where, params = ("", []) if org_id is None else (" WHERE t.org_id = %s", [org_id])
    rows = con.execute(
        "SELECT t.token_id, t.prefix, u.email, o.slug AS org, t.role, t.label, t.created_at, t.expires_at,"
        " t.revoked_at, t.last_used_at FROM api_tokens t JOIN users u USING (user_id)"
        " JOIN orgs o ON o.org_id = t.org_id" + where + " ORDER BY t.token_id",
        params,
    ).fetchall()
    return [dict(r) for r in rows]
