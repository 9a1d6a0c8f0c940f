"""The coordinate part of ``kizuna demo``: the synthetic Kaltara ledger, a needs table, ally mappings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kizuna.workspace import Workspace

# 3W-only organisations of the synthetic demo (no IATI identifier): counted as NGOs.
DEMO_NAME_ALLIES = {
    "Synthetic — Kaltara Women's Peace Circle (NGO)": "NGOs",
    "Synthetic — Riverlands Relief Volunteers (NGO)": "NGOs",
}


def build_demo(ws: Workspace, out_dir: Path, seed: int = 7) -> dict[str, Any]:
    """Make sure the synthetic Kaltara ledger is in ``ws`` (generate and ingest it if not), write the
    synthetic needs table to ``out_dir`` and store it in the workspace (the needs table in use), and map
    the demo's 3W-only organisations to an ally.

    Returns {"needs": path, "planted_overlaps": n, "activities": n, "ingested": bool}.
    """
    from kizuna.coordinate.store import set_org_ally
    from kizuna.demo.ledger_synth import generate, write_needs

    out_dir = Path(out_dir)
    have = _count_xz(ws)
    synth = generate(out_dir / "ledger", seed=seed)
    ingested = False
    if not have:
        from kizuna.ledger.ingest import ingest_paths

        ingest_paths(ws, [*synth["iati_files"], synth["threew_file"]])
        ingested = True
    for name, ally in DEMO_NAME_ALLIES.items():
        set_org_ally(ws, f"name:{name}", ally, org_name=name)
    needs = write_needs(out_dir, seed=seed)
    from kizuna.coordinate.needs_store import store_needs

    store_needs(ws, needs)  # so `kizuna gaps` with no file, and the dashboard, use it
    n = _count_xz(ws)
    return {
        "needs": needs,
        "planted_overlaps": len(synth["planted_overlaps"]),
        "activities": int(n),
        "ingested": ingested,
    }


def _count_xz(ws: Workspace) -> int:
    from kizuna.coordinate.queries import country_activity_count

    return country_activity_count(ws, "XZ")
