"""Screen proposal files against context files: the one library call behind ``kizuna screen``.

Reads the layers once, builds their indexes once, screens every proposal of every file, and (when a
workspace is given) stores the registers with provenance. Returns the registers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kizuna.screen.context import read_boundaries, read_communities
from kizuna.screen.events import read_events
from kizuna.screen.facts import Context
from kizuna.screen.proposal import read_proposals
from kizuna.screen.register import Register, screen_proposal
from kizuna.screen.rules import load_catalogue
from kizuna.workspace import Workspace, file_sha256


@dataclass
class ScreenRun:
    registers: list[Register]
    register_ids: list[int] = field(default_factory=list)
    layers: dict[str, Any] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)


def screen_files(
    proposals: list[Path],
    *,
    as_of: date,
    communities: Path | None = None,
    boundaries: Path | None = None,
    events: Path | None = None,
    catalogue: Path | None = None,
    ws: Workspace | None = None,
    all_event_precisions: bool = False,
    store: bool = True,
) -> ScreenRun:
    """Screen every proposal in ``proposals`` (TOML/YAML/CSV files) and store the registers in ``ws``."""
    from kizuna.screen.store import load_ledger, store_registers

    cat = load_catalogue(catalogue)
    layers: dict[str, Any] = {}
    warnings: dict[str, int] = {}
    com = read_communities(communities) if communities else None
    if communities and com is not None:
        layers["communities"] = {
            "file": communities.name,
            "sha256": file_sha256(communities),
            "rows": com.height,
        }
    bnd = read_boundaries(boundaries) if boundaries else None
    if boundaries and bnd is not None:
        layers["boundaries"] = {
            "file": boundaries.name,
            "sha256": file_sha256(boundaries),
            "rows": len(bnd.polygons) + len(bnd.lines),
        }
    ev = None
    if events:
        t = read_events(events, point_only=not all_event_precisions)
        ev = t.events
        warnings.update(t.warnings)
        layers["events"] = {
            "file": events.name,
            "sha256": file_sha256(events),
            "rows": ev.height,
            "layout": t.layout,
        }
    ledger = load_ledger(ws) if ws is not None else None
    if ledger is not None:
        layers["ledger"] = {"file": str(ws.path.name) if ws else None, "rows": ledger.height, "sha256": None}
    ctx = Context.build(communities=com, boundaries=bnd, events=ev, ledger=ledger)
    if catalogue:
        layers["catalogue"] = {"file": catalogue.name, "sha256": cat.sha256}
    run = ScreenRun([], layers=layers, warnings=warnings)
    for path in proposals:
        props = read_proposals(path, cat.project_types)
        regs = [screen_proposal(p, ctx, cat, as_of, layers) for p in props]
        run.registers.extend(regs)
        if ws is not None and store:
            run.register_ids.extend(store_registers(ws, regs, path, file_sha256(path)))
    return run
