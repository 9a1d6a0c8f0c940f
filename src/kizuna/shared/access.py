"""Who may do what with a record in shared mode: ONE pure rule, used by the server's own check and by the
tests that check PostgreSQL's row-level security (``0001_accounts.sql``, ``0011_records_rls.sql``) gives
the same answers, so a bug in either layer is not a leak.

The rule (issue 15, "Who sees and changes what"):

- An organisation changes only its own records: ``write`` (insert, update) and ``delete`` need the
  acting organisation to own the record's import and the acting role to be ``editor`` or ``admin``.
- ``read`` and ``export`` (reading a whole table out, e.g. ``COPY (SELECT ...) TO STDOUT`` or a CSV
  download) follow the import's visibility: the owner always; everyone for ``alliance``; the
  organisations named in the import's ``shared_with`` for ``shared``; nobody else for ``private``.
  Any role may read (a viewer reads what an admin reads).
- Person-level records (``personal``: DDR persons and waves, training participants and their answers;
  see :data:`kizuna.shared.records.PERSONAL_TABLES`) never leave the owning organisation, whatever the
  visibility. Their aggregates (measure estimates, training units) are not personal.

Tables outside the records: ``imports`` follows the rule as a record; ``jobs`` are the owner's only (as
personal rows); the ``audit_log`` is read by the owning organisation's admins only and never changed
(:func:`allowed_on`).
"""

from __future__ import annotations

from typing import Final, Literal

Role = Literal["viewer", "editor", "admin"]
Relation = Literal["owner", "named", "other"]
Visibility = Literal["alliance", "shared", "private"]
Action = Literal["read", "write", "delete", "export"]

ROLES: Final[tuple[Role, ...]] = ("viewer", "editor", "admin")
RELATIONS: Final[tuple[Relation, ...]] = ("owner", "named", "other")
VISIBILITIES: Final[tuple[Visibility, ...]] = ("alliance", "shared", "private")
ACTIONS: Final[tuple[Action, ...]] = ("read", "write", "delete", "export")
WRITERS: Final[frozenset[str]] = frozenset({"editor", "admin"})


def relation(acting_org: int | None, owner_org: int, shared_with: list[int] | tuple[int, ...] | None) -> Relation:
    """How the acting organisation stands to a record owned by ``owner_org``: ``owner``, ``named`` (in
    the import's ``shared_with``) or ``other``."""
    if acting_org is not None and acting_org == owner_org:
        return "owner"
    if acting_org is not None and acting_org in (shared_with or ()):
        return "named"
    return "other"


def allowed(role: str, relation: str, visibility: str, action: str, personal: bool = False) -> bool:
    """May an organisation standing in ``relation`` to a record (``owner``/``named``/``other``), acting
    with ``role`` (``viewer``/``editor``/``admin``), do ``action`` (``read``/``write``/``delete``/
    ``export``) on a record of this ``visibility`` (``alliance``/``shared``/``private``)?
    ``personal``: the record is person-level (owner only, whatever the visibility).

    Pure and total: unknown values answer False. The rule is the module's docstring.
    """
    if role not in ROLES or relation not in RELATIONS or visibility not in VISIBILITIES or action not in ACTIONS:
        return False
    if action in ("write", "delete"):
        return relation == "owner" and role in WRITERS
    if relation == "owner":
        return True
    if personal:
        return False
    return visibility == "alliance" or (visibility == "shared" and relation == "named")


def allowed_on(table: str, role: str, relation: str, visibility: str, action: str) -> bool:
    """:func:`allowed` for a table by name: the record tables (personal or not, from
    :mod:`kizuna.shared.records`), ``imports`` (a record), ``jobs`` (the owner's only) and ``audit_log``
    (the owner's admins read; nobody updates or deletes; appending is the server's business, in the
    acting organisation's own name)."""
    from kizuna.shared.records import PERSONAL_TABLES

    if table == "audit_log":
        return action in ("read", "export") and relation == "owner" and role == "admin"
    return allowed(role, relation, visibility, action, personal=table in PERSONAL_TABLES or table == "jobs")
