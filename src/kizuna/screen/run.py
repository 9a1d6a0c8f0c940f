"""Screen proposal files against context files: the one library call behind ``kizuna screen``.

Reads the layers once, builds their indexes once, reads and screens every proposal of every file, and
only then (when a workspace is given) stores all the registers in one transaction: a bad file, a
duplicate proposal id or a refused site anywhere leaves the workspace as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kizuna.errors import InputError, Where
from kizuna.i18n import N_
from kizuna.screen.context import read_boundaries, read_communities
from kizuna.screen.events import PRECISION_LEVELS, precision_level, read_events
from kizuna.screen.facts import Context
from kizuna.screen.map_layers import build_map
from kizuna.screen.proposal import Proposal, read_proposals
from kizuna.screen.register import Register, screen_proposal
from kizuna.screen.rules import load_catalogue
from kizuna.workspace import Workspace, file_sha256


@dataclass
class ScreenRun:
    registers: list[Register]
    register_ids: list[int] = field(default_factory=list)
    layers: dict[str, Any] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    # (proposal file, its sha256, its registers): what store_run stores
    files: list[tuple[Path, str, list[Register]]] = field(default_factory=list)


def _as_list(events: Path | list[Path] | None) -> list[Path]:
    if events is None:
        return []
    return list(events) if isinstance(events, (list, tuple)) else [events]


def screen_files(
    proposals: list[Path],
    *,
    as_of: date,
    communities: Path | None = None,
    boundaries: Path | None = None,
    events: Path | list[Path] | None = None,
    catalogue: Path | None = None,
    ws: Workspace | None = None,
    store: bool = True,
) -> ScreenRun:
    """Screen every proposal in ``proposals`` (TOML/YAML/CSV files); store the registers in ``ws``.

    ``events`` is one file or several (UCDP GED and ACLED in one run): each count is taken per file
    and the larger kept, since the same event is often in both. Events located only to an area are
    counted in that area, never by distance; the register's ``layers.events*`` say how many events
    of each precision the file holds. Nothing is stored unless every file reads and screens cleanly.
    """
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
    ev_frames = []
    for k, path in enumerate(_as_list(events)):
        t = read_events(path, point_only=False)
        ev_frames.append(t.events)
        for w, n in t.warnings.items():
            warnings[w] = warnings.get(w, 0) + n
        levels = precision_level(t.events).value_counts()
        by_precision = {lv: 0 for lv in PRECISION_LEVELS}
        by_precision.update({str(lv): int(n) for lv, n in levels.iter_rows()})
        imprecise = t.events.height - by_precision["point"]
        warnings["events_counted_by_area"] = warnings.get("events_counted_by_area", 0) + imprecise
        layers["events" if k == 0 else f"events_{k + 1}"] = {
            "file": path.name,
            "sha256": file_sha256(path),
            "rows": t.events.height,
            "layout": t.layout,
            "by_precision": by_precision,
            **{w: n for w, n in t.warnings.items()},
        }
    ledger = None
    if ws is not None:
        from kizuna.screen.store import load_ledger

        ledger = load_ledger(ws)
    if ledger is not None:
        layers["ledger"] = {"file": str(ws.path.name) if ws else None, "rows": ledger.height, "sha256": None}
    ctx = Context.build(communities=com, boundaries=bnd, events=ev_frames or None, ledger=ledger)
    if catalogue:
        layers["catalogue"] = {"file": catalogue.name, "sha256": cat.sha256}
    run = ScreenRun([], layers=layers, warnings=warnings)
    seen: dict[str, Proposal] = {}
    read: list[tuple[Path, list[Proposal]]] = []
    for path in proposals:
        props = read_proposals(path, cat.project_types)
        for p in props:
            first = seen.get(p.id)
            if first is not None:
                raise InputError(
                    "screen.duplicate_id",
                    N_("proposal id {id!r} is also in {other}"),
                    Where(file=str(path), row=p.source_row, field="id"),
                    hint=N_("each proposal needs its own id across all the files of one run"),
                    params={"id": p.id, "other": Path(first.source or "").name},
                )
            seen[p.id] = p
        read.append((path, props))
    for path, props in read:
        regs = [screen_proposal(p, ctx, cat, as_of, layers) for p in props]
        # the map is made now, from the layers read once above, so that no page reads a layer file
        for p, reg in zip(props, regs, strict=True):
            reg.map_layers = build_map(p, com, ev_frames)
        run.registers.extend(regs)
        run.files.append((path, file_sha256(path), regs))
    if ws is not None and store:
        store_run(ws, run)
    return run


def store_run(ws: Workspace, run: ScreenRun) -> list[int]:
    """Store every register of ``run`` in one transaction (all files or none); return their ids."""
    from kizuna.screen.store import store_registers_many

    run.register_ids = store_registers_many(ws, run.files)
    return run.register_ids
