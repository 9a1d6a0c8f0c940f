"""The map layers of one stored screening register, read again from its input files.

The workspace keeps each register's provenance (its proposal file's path and sha256, and the name and
sha256 of every context layer) but not the layers' rows. :func:`map_layers` reads them with this part's
own readers from beside the proposal file, and only when each file's sha256 still matches the
register's: a file that moved or changed is named in ``missing``, never drawn as other data. Events
carry no actor names here: date, category and fatalities only. Surfaces get the register's provenance
from the store and call this one function (``kizuna.web.screen_map``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kizuna.errors import KizunaError
from kizuna.files import file_sha256
from kizuna.i18n import gettext as _

EVENT_MARGIN_DEG = 0.5  # events shown within this many degrees of the site (about 55 km)


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
    """{"register", "site", "site_lines", "communities", "events", "missing"} for one register.

    ``detail``: the register's stored row (``register_id``, ``proposal_id``, ``proposal_sha256``,
    ``layers`` JSON); ``proposal``: where its proposal file is now. ``site``: the proposal's site
    vertices (lat, lon, name, kind); ``site_lines``: GeoJSON features for line sites; ``communities``:
    name, group, population, lat, lon; ``events``: date, category, sub_category, fatalities, lat, lon,
    within ``EVENT_MARGIN_DEG`` of the site; ``missing``: the layer files absent or changed since screening.
    """
    from kizuna.screen.context import read_communities
    from kizuna.screen.events import read_events
    from kizuna.screen.proposal import read_proposals
    from kizuna.screen.rules import load_catalogue

    register = detail["register_id"]
    layers = json.loads(detail["layers"] or "{}")
    folder = proposal.parent
    out: dict[str, Any] = {
        "register": register,
        "site": [],
        "site_lines": [],
        "communities": [],
        "events": [],
        "missing": [],
    }
    if proposal.is_file() and file_sha256(proposal) == detail["proposal_sha256"]:
        try:
            found = [
                p for p in read_proposals(proposal, load_catalogue(None).project_types) if p.id == detail["proposal_id"]
            ]
        except KizunaError:
            found = []
        for p in found:
            for s in p.sites:
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
    if not out["site"]:
        out["missing"].append(proposal.name or _("the proposal file"))
    path = _verified(folder, layers.get("communities"))
    if path is not None:
        out["communities"] = read_communities(path).select("name", "group", "population", "lat", "lon").to_dicts()
    elif layers.get("communities"):
        out["missing"].append(layers["communities"]["file"])
    # one events layer per file given (``events``, ``events_2``...); only point-like events are drawn
    for key in sorted(k for k in layers if k == "events" or k.startswith("events_")):
        path = _verified(folder, layers.get(key))
        if path is not None and out["site"]:
            lats = [s["lat"] for s in out["site"]]
            lons = [s["lon"] for s in out["site"]]
            ev = read_events(path).events
            ev = ev.filter(
                ev["lat"].is_between(min(lats) - EVENT_MARGIN_DEG, max(lats) + EVENT_MARGIN_DEG)
                & ev["lon"].is_between(min(lons) - EVENT_MARGIN_DEG, max(lons) + EVENT_MARGIN_DEG)
            )
            out["events"].extend(ev.select("date", "category", "sub_category", "fatalities", "lat", "lon").to_dicts())
        elif layers.get(key):
            out["missing"].append(layers[key]["file"])
    return out
