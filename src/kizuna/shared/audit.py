"""The append-only audit log: every change in shared mode leaves one row.

A row says who (user, organisation), when (the database's clock), what (action, kind and id of the
target) and the sha256 of the record before and after, over a canonical JSON form (sorted keys,
UTF-8), so a later reader can tell whether a record was changed since. The table refuses UPDATE,
DELETE and TRUNCATE (a trigger, and no grant to the server's role): rows can only be appended.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any


def record_hash(record: Any) -> str | None:
    """sha256 (hex) of a record's canonical JSON, or None for no record (created or deleted)."""
    if record is None:
        return None
    blob = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def append(
    con: Any,
    *,
    action: str,
    target_kind: str,
    target_id: str | int | None = None,
    actor_user: int | None = None,
    actor_org: int | None = None,
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one audit row inside the caller's transaction; returns its id."""
    # No RETURNING: it would need the read policy (admins only), and an editor's change must still be
    # logged. currval is this session's own last id (SELECT on the sequence: migration 0020).
    con.execute(
        "INSERT INTO audit_log (actor_user, actor_org, action, target_kind, target_id, before_sha256,"
        " after_sha256, detail) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb)",
        [
            actor_user,
            actor_org,
            action,
            target_kind,
            None if target_id is None else str(target_id),
            record_hash(before),
            record_hash(after),
            json.dumps(detail or {}, ensure_ascii=False, default=str),
        ],
    )
    row = con.execute("SELECT currval(pg_get_serial_sequence('audit_log', 'audit_id')) AS audit_id").fetchone()
    return int(row["audit_id"] if isinstance(row, dict) else row[0])


def entries(
    con: Any,
    *,
    org_id: int | None = None,
    action: str | None = None,
    user_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Audit rows, newest first, filtered by organisation, action, user and time (all parameters bound)."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("actor_org", org_id), ("action", action), ("actor_user", user_id)):
        if value is not None:
            where.append(f"a.{column} = %s")
            params.append(value)
    if since is not None:
        where.append("a.at >= %s")
        params.append(since)
    if until is not None:
        where.append("a.at < %s")
        params.append(until)
    sql = (
        "SELECT a.audit_id, a.at, u.email AS actor, o.slug AS org, a.action, a.target_kind, a.target_id,"
        " a.before_sha256, a.after_sha256, a.detail FROM audit_log a"
        " LEFT JOIN users u ON u.user_id = a.actor_user LEFT JOIN orgs o ON o.org_id = a.actor_org"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY a.audit_id DESC LIMIT %s"
    )
    return list(con.execute(sql, [*params, max(1, min(int(limit), 10_000))]).fetchall())
