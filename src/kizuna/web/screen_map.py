"""The map of one screening register: its project site, the communities and the conflict events.

A thin adapter: the register's provenance comes from the store (:func:`kizuna.web.queries.register_detail`),
the layers' rows from :func:`kizuna.screen.map_layers.map_layers` (the screen part's readers, each file
checked against the sha256 the register recorded). Read-only. Events carry no actor names: only the
columns of :data:`EVENT_COLUMNS` leave the server, whatever the reader gives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kizuna.errors import NotFound, Where
from kizuna.i18n import N_
from kizuna.screen.map_layers import EVENT_MARGIN_DEG, map_layers
from kizuna.web.queries import register_detail
from kizuna.workspace import Workspace

__all__ = ["EVENT_COLUMNS", "EVENT_MARGIN_DEG", "register_layers"]

EVENT_COLUMNS = ("date", "category", "sub_category", "fatalities", "lat", "lon")  # no actor names, ever


def register_layers(ws: Workspace, register: int) -> dict[str, Any]:
    """{"register", "site", "site_lines", "communities", "events", "missing"} for one register
    (see :func:`kizuna.screen.map_layers.map_layers`)."""
    detail = register_detail(ws, register)
    if detail is None:
        raise NotFound(
            "screen.no_register",
            N_("no screening register {register}"),
            Where(field="register"),
            hint=N_("see /api/v1/screening-registers for the registers in this workspace"),
            params={"register": register},
        )
    proposal = ws.source_path(detail["file_path"]) or Path()  # stored relative to the workspace's folder
    out = map_layers({**detail, "register_id": register}, proposal)
    out["events"] = [{c: e.get(c) for c in EVENT_COLUMNS} for e in out["events"]]
    return out
