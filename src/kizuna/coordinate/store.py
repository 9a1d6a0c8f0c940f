"""Edits of the coordinate part's tables: ally rules, organisation-to-ally mappings, registry entries.

The analysis that reads them is :func:`kizuna.coordinate.allies.assign_allies` (pure, frames in and out);
the frames come from :mod:`kizuna.coordinate.queries`. Each edit is one unit of work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kizuna.errors import InputError, Where
from kizuna.i18n import N_
from kizuna.reference.orgs import norm_name
from kizuna.workspace import Workspace, kill_point


def _check(value: str, field: str) -> str:
    v = (value or "").strip()
    if not v:
        raise InputError(
            "allies.empty",
            N_("{field} is empty"),
            Where(field=field),
            hint=N_("give a non-empty {field}"),
            params={"field": field},
        )
    return v


def set_rule(ws: Workspace, prefix: str, ally: str, note: str | None = None) -> None:
    """Add or replace an identifier-prefix rule (source 'user')."""
    prefix, ally = _check(prefix, "prefix"), _check(ally, "ally")
    with ws.transaction() as con:
        con.execute("DELETE FROM coordinate_ally_rules WHERE prefix = ?", [prefix])
        kill_point("insert")  # deleted, not yet inserted: the SIGKILL tests stop here
        con.execute("INSERT INTO coordinate_ally_rules VALUES (?, ?, 'user', ?)", [prefix, ally, note])


def remove_rule(ws: Workspace, prefix: str) -> bool:
    with ws.transaction() as con:
        rows = con.execute("SELECT count(*) FROM coordinate_ally_rules WHERE prefix = ?", [prefix]).fetchall()
        n = rows[0][0] if rows else 0
        con.execute("DELETE FROM coordinate_ally_rules WHERE prefix = ?", [prefix])
    return bool(n)


def set_org_ally(ws: Workspace, org: str, ally: str, org_name: str | None = None) -> str:
    """Map one organisation (an IATI ref, or ``name:Some NGO`` for a 3W name) to an ally; returns its key."""
    org, ally = _check(org, "org"), _check(ally, "ally")
    key = "name:" + norm_name(org[5:]) if org.lower().startswith("name:") else org
    with ws.transaction() as con:
        con.execute("DELETE FROM coordinate_org_allies WHERE org_key = ?", [key])
        kill_point("insert")  # deleted, not yet inserted: the SIGKILL tests stop here
        con.execute(
            "INSERT INTO coordinate_org_allies VALUES (?, ?, ?, ?)",
            [key, org_name or org, ally, datetime.now(UTC).replace(tzinfo=None)],
        )
    return key


def register_org(
    ws: Workspace,
    ref: str,
    name: str,
    ally: str,
    *,
    name_ja: str | None = None,
    agency: str | None = None,
    org_type: str | None = None,
    aliases: str | None = None,
    same_as: str | None = None,
    source: str | None = None,
) -> None:
    """Add or replace a registry entry (origin 'user': it outlives updates of the shipped registry)."""
    ref, name, ally = _check(ref, "ref"), _check(name, "name"), _check(ally, "ally")
    from kizuna.reference.orgs import is_org_identifier

    if not is_org_identifier(ref):
        raise InputError(
            "allies.bad_ref",
            N_("{ref!r} is not an IATI organisation identifier"),
            Where(field="ref"),
            hint=N_("identifiers look like US-GOV-1, XM-DAC-701-8 or GB-CHC-202918 (agency prefix, then the number)"),
            params={"ref": ref},
        )
    with ws.transaction() as con:
        con.execute("DELETE FROM org_registry WHERE ref = ?", [ref])
        kill_point("insert")  # deleted, not yet inserted: the SIGKILL tests stop here
        con.execute(
            "INSERT INTO org_registry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'user')",
            [ref, name, name_ja, ally, agency, org_type, aliases, same_as, source or "added by a user"],
        )


def ally_table(ws: Workspace) -> list[dict[str, Any]]:
    """The ally rules (identifier prefixes) and the explicit organisation mappings, as rows of
    ``kind, key, ally, source, note`` (``kizuna allies list``)."""
    return ws.query(
        "SELECT 'rule' AS kind, prefix AS key, ally, source, note FROM coordinate_ally_rules"
        " UNION ALL SELECT 'org', org_key, ally, 'user', org_name FROM coordinate_org_allies"
        " ORDER BY kind, key"
    )


def registry_table(ws: Workspace) -> list[dict[str, Any]]:
    """The organisation registry, by ally and identifier (``kizuna allies registry``)."""
    return ws.query(
        "SELECT ref, name, name_ja, ally, agency, org_type, same_as, origin, source FROM org_registry"
        " ORDER BY ally, ref"
    )
