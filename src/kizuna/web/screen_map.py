"""The map of one screening register: its project site, the communities and the conflict events.

A thin adapter over the store: the register's row comes from :func:`kizuna.web.queries.register_detail`,
and its map is the one kept with it when it was screened (:func:`kizuna.screen.map_layers.stored_map`).
A request reads no layer file. Events carry no actor names: only the columns of :data:`EVENT_COLUMNS`
leave the server, whatever is stored.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from kizuna.errors import NotFound, Where
from kizuna.i18n import N_
from kizuna.screen.map_layers import EVENT_MARGIN_DEG, MAP_KEYS, stored_map
from kizuna.web.queries import register_detail
from kizuna.workspace import Workspace

__all__ = ["EVENT_COLUMNS", "EVENT_MARGIN_DEG", "register_layers"]

EVENT_COLUMNS = ("date", "category", "sub_category", "fatalities", "lat", "lon")  # no actor names, ever


def register_layers(ws: Workspace, register: int) -> dict[str, Any]:
    """{"register", "site", "site_lines", "communities", "events", "missing"} for one register
    (see :func:`kizuna.screen.map_layers.build_map`). A register stored before maps were kept with
    registers, and not given one since (``kizuna screen`` does, :func:`kizuna.screen.store.maps_to_backfill`),
    has an empty map naming its proposal file in ``missing``."""
    detail = register_detail(ws, register)
    if detail is None:
        raise NotFound(
            "screen.no_register",
            N_("no screening register {register}"),
            Where(field="register"),
            hint=N_("see /api/v1/screening-registers for the registers in this workspace"),
            params={"register": register},
        )
    out = stored_map({**detail, "register_id": register})
    if out is None:
        out = {"register": register, **{k: [] for k in MAP_KEYS}}
        out["missing"] = [PurePath(str(detail["file_path"] or "")).name]
    out["events"] = [{c: e.get(c) for c in EVENT_COLUMNS} for e in out["events"]]
    return out
