"""The map layers of a screening register: what the map draws, built when the register is screened.

:func:`build_map` makes them from what ``kizuna screen`` has already read (the proposal's sites, the
communities layer, the event layers); :mod:`kizuna.screen.store` keeps them with the register (key
``map`` of its ``layers`` JSON), so a surface draws the map from the workspace alone and never reads a
layer file when a page is asked for (:func:`stored_map`). Events keep no actor names: only
:data:`EVENT_COLUMNS`, and only point-like events within :data:`EVENT_MARGIN_DEG` of the site.

Registers stored before the map was kept with them have none: :func:`map_layers` reads it again from
the files beside the proposal, each checked against the sha256 the register recorded (a file that moved
or changed is named in ``missing``, never drawn as other data); :func:`kizuna.screen.store.backfill_maps`
runs it once for them, when registers are stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kizuna.errors import KizunaError
from kizuna.files import file_sha256
from kizuna.i18n import gettext as _

if TYPE_CHECKING:
    import polars as pl

    from kizuna.screen.proposal import Proposal

EVENT_MARGIN_DEG = 0.5  # events shown within this many degrees of the site (about 55 km)
EVENT_COLUMNS = ("date", "category", "sub_category", "fatalities", "lat", "lon")  # no actor names, ever
COMMUNITY_COLUMNS = ("name", "group", "population", "lat", "lon")
MAP_KEYS = ("site", "site_lines", "communities", "events", "missing")


def build_map(
    proposal: Proposal | None, communities: pl.DataFrame | None, events: list[pl.DataFrame] | None
) -> dict[str, Any]:
    """{"site", "site_lines", "communities", "events", "missing"} for one proposal (no I/O).

    ``site``: the proposal's site vertices (name, kind, lat, lon); ``site_lines``: GeoJSON features for
    line sites; ``communities``: :data:`COMMUNITY_COLUMNS` of every community; ``events``:
    :data:`EVENT_COLUMNS` of the point-like events (``point_like``, when the frame has it) within
    :data:`EVENT_MARGIN_DEG` of the site's bounding box; ``missing``: [] (files are named there only when
    read again from disk, :func:`map_layers`)."""
    out: dict[str, Any] = {k: [] for k in MAP_KEYS}
    for s in proposal.sites if proposal is not None else []:
        for lat, lon in zip(s.lats, s.lons, strict=True):
            out["site"].append({"name": s.name, "kind": s.kind, "lat": lat, "lon": lon})
        if s.kind == "line" and len(s.lats) > 1:
            out["site_lines"].append(
                {
                    "type": "Feature",
                    "properties": {"name": s.name},
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [[lon, lat] for lat, lon in zip(s.lats, s.lons, strict=True)],
                    },
                }
            )
    if communities is not None:
        out["communities"] = communities.select(*COMMUNITY_COLUMNS).to_dicts()
    if out["site"]:
        lats = [s["lat"] for s in out["site"]]
        lons = [s["lon"] for s in out["site"]]
        for ev in events or []:
            if "point_like" in ev.columns:
                ev = ev.filter(ev["point_like"])
            ev = ev.filter(
                ev["lat"].is_between(min(lats) - EVENT_MARGIN_DEG, max(lats) + EVENT_MARGIN_DEG)
                & ev["lon"].is_between(min(lons) - EVENT_MARGIN_DEG, max(lons) + EVENT_MARGIN_DEG)
            )
            out["events"].extend(ev.select(*EVENT_COLUMNS).to_dicts())
    return out


def stored_map(detail: dict[str, Any]) -> dict[str, Any] | None:
    """The map kept with a stored register (its ``layers`` JSON's ``map``), or None for a register stored
    before maps were kept. Reads no file."""
    layers = json.loads(detail.get("layers") or "{}")
    kept = layers.get("map")
    if not isinstance(kept, dict):
        return None
    return {"register": detail.get("register_id"), **{k: list(kept.get(k) or []) for k in MAP_KEYS}}


def _verified(folder: Path, layer: dict[str, Any] | None) -> Path | None:
    if not layer or not layer.get("file"):
        return None
    name = str(layer["file"])
    if Path(name).name != name:  # a bare file name, never a path
        return None
    path = folder / name
    if not path.is_file() or (layer.get("sha256") and file_sha256(path) != layer["sha256"]):
        return None
    return path


def map_layers(detail: dict[str, Any], proposal: Path) -> dict[str, Any]:
    """{"register", "site", "site_lines", "communities", "events", "missing"} for one register stored
    without its map, read again from its files (:func:`build_map` over them).

    ``detail``: the register's stored row (``register_id``, ``proposal_id``, ``proposal_sha256``,
    ``layers`` JSON); ``proposal``: where its proposal file is now. A file absent or changed since
    screening is named in ``missing`` and not drawn."""
    from kizuna.screen.context import read_communities
    from kizuna.screen.events import read_events
    from kizuna.screen.proposal import read_proposals
    from kizuna.screen.rules import load_catalogue

    layers = json.loads(detail["layers"] or "{}")
    folder = proposal.parent
    found: Proposal | None = None
    if proposal.is_file() and file_sha256(proposal) == detail["proposal_sha256"]:
        try:
            props = read_proposals(proposal, load_catalogue(None).project_types)
            found = next((p for p in props if p.id == detail["proposal_id"]), None)
        except KizunaError:
            found = None
    missing: list[str] = []
    path = _verified(folder, layers.get("communities"))
    communities = read_communities(path) if path is not None else None
    if path is None and layers.get("communities"):
        missing.append(layers["communities"]["file"])
    # one events layer per file given (``events``, ``events_2``...)
    events = []
    for key in sorted(k for k in layers if k == "events" or k.startswith("events_")):
        path = _verified(folder, layers.get(key))
        if path is not None:
            events.append(read_events(path).events)
        elif layers.get(key):
            missing.append(layers[key]["file"])
    out = {"register": detail["register_id"], **build_map(found, communities, events)}
    if not out["site"]:
        missing.insert(0, proposal.name or _("the proposal file"))
        out["events"] = []
    out["missing"] = missing
    return out
