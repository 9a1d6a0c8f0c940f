"""Workspace writes of the measure part: one run = one transaction, with provenance.

The survey file is recorded through ``ws.record_import(kind="survey")`` (file name, sha256, counts);
the run keeps the spec text, its sha256 and the data's sha256. Running the same spec on the same
file again changes nothing and returns the stored run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from kizuna.measure.run import MeasureResult
from kizuna.workspace import Workspace


def find_run(ws: Workspace, data_sha256: str, spec_sha256: str) -> int | None:
    """The run id of this data + spec, if stored."""
    rows = ws.query(
        "SELECT run_id FROM measure_runs WHERE data_sha256 = ? AND spec_sha256 = ?",
        [data_sha256, spec_sha256],
    )
    return int(rows[0]["run_id"]) if rows else None


def _insert(con, table: str, run_id: int, df: pl.DataFrame, columns: list[str]) -> None:
    if df.is_empty():
        return
    rename = {"group": "group_label"}
    data = df.rename({k: v for k, v in rename.items() if k in df.columns}).select(columns)
    data = data.with_columns(pl.lit(run_id, dtype=pl.Int32).alias("run_id"))
    con.register("__measure_tmp", data.to_arrow())
    try:
        cols = ", ".join(["run_id", *columns])
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM __measure_tmp")
    finally:
        con.unregister("__measure_tmp")


def store_result(
    ws: Workspace,
    result: MeasureResult,
    *,
    path: Path,
    data_sha256: str,
    hashed: list[str] | None = None,
    dropped: list[str] | None = None,
    undeclared: int = 0,
) -> tuple[int, bool]:
    """Store a run (all-or-nothing); return (run_id, created). ``created`` is False when the same
    data + spec was stored before (nothing is written then)."""
    spec = result.spec
    existing = find_run(ws, data_sha256, spec.sha256)
    if existing is not None:
        return existing, False
    with ws.transaction() as con:
        import_id = ws.record_import(
            con,
            kind="survey",
            path=path,
            sha256=data_sha256,
            version=spec.sha256[:12],
            counts={
                "rows": result.n_rows,
                "used": result.n_used,
                "dropped": result.n_dropped,
                "indicators": len(spec.indicators),
            },
            warnings={
                "listwise_dropped": result.n_dropped,
                "identifier_columns_hashed": len(hashed or []),
                "personal_columns_dropped": len(dropped or []),
                "identifier_like_columns_undeclared": undeclared,
            },
        )
        run_id = int(con.execute("SELECT nextval('measure_run_seq')").fetchone()[0])  # type: ignore[index]
        con.execute(
            "INSERT INTO measure_runs (run_id, import_id, title, data_sha256, spec_sha256, spec_toml, k, n_rows,"
            " n_used, n_dropped, missing, design, weights, dimensions, notes, created_at, disclosure)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                import_id,
                spec.title,
                data_sha256,
                spec.sha256,
                spec.stored_text,  # the XLSForm path cut to its file name
                spec.k,
                result.n_rows,
                result.n_used,
                result.n_dropped,
                json.dumps(result.missing),
                json.dumps(result.design),
                json.dumps(spec.weights),
                json.dumps(spec.dimensions),
                json.dumps(result.notes),
                datetime.now(UTC).replace(tzinfo=None),
                json.dumps(result.disclosure),
            ],
        )
        _insert(
            con,
            "measure_estimates",
            run_id,
            result.estimates,
            [
                "k",
                "round",
                "group_var",
                "group_label",
                "measure",
                "indicator",
                "b",
                "se",
                "lo",
                "hi",
                "n",
                "pop",
                "suppressed",
            ],
        )
        _insert(
            con, "measure_sweep", run_id, result.sweep, ["k", "round", "measure", "b", "se", "lo", "hi", "suppressed"]
        )
        _insert(
            con,
            "measure_changes",
            run_id,
            result.changes,
            [
                "k",
                "group_var",
                "group_label",
                "measure",
                "indicator",
                "from_round",
                "to_round",
                "years",
                "change",
                "b1",
                "b2",
                "value",
                "se",
                "lo",
                "hi",
                "suppressed",
            ],
        )
        if result.needs is not None:
            _insert(
                con,
                "measure_needs",
                run_id,
                result.needs,
                [
                    "round",
                    "admin1",
                    "dimension",
                    "share_deprived",
                    "se",
                    "lo",
                    "hi",
                    "share_deprived_poor",
                    "population",
                    "people_in_need",
                    "n",
                    "suppressed",
                ],
            )
    return run_id, True


def list_runs(ws: Workspace) -> list[dict]:
    """Stored runs, newest first (id, title, k, rows used, the disclosure threshold min_cell and the
    identifier-like columns the spec allowed as groupings, data hash, time)."""
    return ws.query(
        "SELECT run_id, title, k, n_rows, n_used, n_dropped,"
        " CAST(json_extract(disclosure, '$.min_cell') AS INTEGER) AS min_cell,"
        " nullif(array_to_string(CAST(json_extract(disclosure, '$.allow') AS VARCHAR[]), ', '), '')"
        " AS allowed_groupings,"
        " data_sha256, created_at FROM measure_runs ORDER BY run_id DESC"
    )
