"""The editable organisation alias table that 3W imports match names through."""

from __future__ import annotations

from kizuna.errors import InputError, Where
from kizuna.i18n import N_
from kizuna.ledger.store import save_alias
from kizuna.reference.orgs import norm_name
from kizuna.workspace import Workspace


def add_alias(ws: Workspace, alias: str, org_name: str, org_ref: str | None = None) -> None:
    """Map ``alias`` (matched on :func:`kizuna.reference.orgs.norm_name`: case, width and punctuation
    do not matter; letters of any script do) to an organisation."""
    norm = norm_name(alias)
    if not norm:
        raise InputError(
            "alias.empty",
            N_("the alias has no letters or digits"),
            Where(field="alias"),
            hint=N_("give the name as it is written in the sheets"),
        )
    if not org_name.strip():
        raise InputError("alias.no_name", N_("the organisation name is empty"), Where(field="--name"))
    save_alias(ws, norm, alias, org_ref or None, org_name.strip())
