"""Store risk registers in the workspace (migration 0040_screen.sql) and read the ledger for duplication.

Each stored register records its provenance: the proposal file (an ``imports`` row of kind
``screen``, with sha256), the layers' files and sha256, the catalogue's sha256 and the as-of date.
Screening the same inputs again stores nothing new (the register key is a hash of all of them).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from kizuna.screen.facts import LEDGER_SCHEMA
from kizuna.screen.register import Register
from kizuna.workspace import Workspace

LEDGER_SQL = """
WITH sec AS (
    SELECT DISTINCT activity_uid, sector3 FROM flows WHERE sector3 IS NOT NULL
    UNION
    SELECT DISTINCT activity_uid,
           CASE WHEN vocabulary = '2' THEN code ELSE substr(code, 1, 3) END AS sector3
    FROM activity_sectors WHERE vocabulary IN ('1', '2') AND code IS NOT NULL
),
orgs AS (
    SELECT activity_uid, string_agg(coalesce(ref, '') || '|' || coalesce(name, ''), ';' ORDER BY seq) AS orgs
    FROM participating_orgs GROUP BY activity_uid
)
SELECT l.activity_uid, a.title, a.publisher_ref, a.publisher_name, l.lat, l.lon, s.sector3, o.orgs,
       a.end_date
FROM locations l
JOIN activities a USING (activity_uid)
JOIN sec s USING (activity_uid)
LEFT JOIN orgs o USING (activity_uid)
WHERE l.lat IS NOT NULL AND l.lon IS NOT NULL
"""


def load_ledger(ws: Workspace) -> pl.DataFrame | None:
    """Activity locations with their DAC 3-digit sectors and organisations; None when the ledger is empty."""
    if not ws.has_table("locations"):
        return None
    cur = ws.con.execute(LEDGER_SQL)
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if not rows:
        return None
    df = pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], schema=LEDGER_SCHEMA)
    return df


def register_key(reg: Register, proposal_sha256: str) -> str:
    h = hashlib.sha256()
    layer_shas = {k: (v or {}).get("sha256") for k, v in sorted(reg.layers.items())}
    for part in (
        proposal_sha256,
        reg.proposal_id,
        json.dumps(layer_shas, sort_keys=True),
        reg.as_of.isoformat(),
        reg.catalogue_sha256,
    ):
        h.update(str(part).encode())
        h.update(b"\0")
    return h.hexdigest()


def _dump(v: Any) -> str:
    return json.dumps(v, default=str, ensure_ascii=False)


def store_registers(ws: Workspace, registers: list[Register], proposal_file: Path, proposal_sha256: str) -> list[int]:
    """Store registers screened from one proposal file in one transaction; return their ids.

    A register whose inputs were stored before keeps its id and is not stored again.
    """
    return store_registers_many(ws, [(proposal_file, proposal_sha256, registers)])


def store_registers_many(ws: Workspace, files: list[tuple[Path, str, list[Register]]]) -> list[int]:
    """Store the registers of several proposal files in ONE transaction: all of them or none.

    Registers stored before maps were kept with them get theirs in the same transaction
    (:func:`maps_to_backfill`)."""
    ids: list[int] = []
    older = maps_to_backfill(ws)
    with ws.transaction() as con:
        for proposal_file, proposal_sha256, registers in files:
            ids.extend(_store_file(ws, con, registers, proposal_file, proposal_sha256))
        for register_id, layers in older.items():
            con.execute("UPDATE screen_registers SET layers = ? WHERE register_id = ?", [_dump(layers), register_id])
    return ids


def maps_to_backfill(ws: Workspace) -> dict[int, dict[str, Any]]:
    """register id -> its ``layers`` with the ``map`` added, for each stored register without one (stored
    before maps were kept with registers): read again from the files beside its proposal
    (:func:`kizuna.screen.map_layers.map_layers`; files moved or changed are named in ``missing``)."""
    from kizuna.screen.map_layers import MAP_KEYS, map_layers

    if not ws.has_table("screen_registers"):
        return {}
    rows = ws.query(
        "SELECT r.register_id, r.proposal_id, r.layers, i.file_path, i.sha256 AS proposal_sha256"
        " FROM screen_registers r JOIN imports i USING (import_id)"
        " WHERE json_extract(r.layers, '$.map') IS NULL ORDER BY r.register_id"
    )
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        drawn = map_layers(row, ws.source_path(row["file_path"]) or Path())
        layers = json.loads(row["layers"] or "{}")
        out[int(row["register_id"])] = {**layers, "map": {k: drawn[k] for k in MAP_KEYS}}
    return out


def _store_file(
    ws: Workspace, con: Any, registers: list[Register], proposal_file: Path, proposal_sha256: str
) -> list[int]:
    ids: list[int] = []
    import_id: int | None = None
    for reg in registers:
        key = register_key(reg, proposal_sha256)
        row = con.execute("SELECT register_id FROM screen_registers WHERE key = ?", [key]).fetchone()
        if row:
            ids.append(int(row[0]))
            continue
        if import_id is None:
            import_id = ws.record_import(
                con,
                kind="screen",
                path=proposal_file,
                sha256=proposal_sha256,
                version=registers[0].catalogue_version,
                counts={"proposals": len(registers), "risks": sum(len(r.risks) for r in registers)},
            )
        rid = int(con.execute("SELECT nextval('screen_register_seq')").fetchone()[0])  # type: ignore[index]
        con.execute(
            "INSERT INTO screen_registers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                rid,
                import_id,
                key,
                reg.proposal_id,
                reg.title,
                reg.project_type,
                reg.as_of,
                reg.category,
                str(reg.next_steps),
                len(reg.risks),
                len(reg.gaps),
                reg.catalogue,
                reg.catalogue_version,
                reg.catalogue_sha256,
                _dump({**reg.layers, "map": reg.map_layers} if reg.map_layers else reg.layers),
                _dump(reg.facts),
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
        for seq, r in enumerate(reg.risks, start=1):
            con.execute(
                "INSERT INTO screen_risks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    rid,
                    seq,
                    r.rule_id,
                    r.family,
                    r.question,
                    r.impact,
                    r.likelihood,
                    r.score,
                    r.significance,
                    _dump(r.facts),
                    _dump(r.adjustments),
                    r.source,
                    r.mitigation,
                ],
            )
        for g in reg.gaps:
            con.execute(
                "INSERT INTO screen_gaps VALUES (?, ?, ?, ?)",
                [rid, g.rule_id, g.question, _dump(g.unknown)],
            )
        ids.append(rid)
    return ids


def list_registers(ws: Workspace) -> list[dict[str, Any]]:
    """Stored registers, newest first, with their provenance."""
    return ws.query(
        "SELECT r.register_id, r.proposal_id, r.project_type, r.as_of, r.category, r.n_risks, r.n_gaps,"
        " i.file_name AS proposal_file, i.sha256 AS proposal_sha256, r.catalogue_version, r.screened_at"
        " FROM screen_registers r JOIN imports i USING (import_id) ORDER BY r.register_id DESC"
    )
