"""Reads of the measure part's tables (the writes are in :mod:`kizuna.measure.store`).

Light on purpose: it imports no database module at run time (the workspace comes in as an argument), so
the analyses that re-export a reader (:mod:`kizuna.measure.needs`) stay cheap to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from kizuna.workspace import Workspace

NEEDS_SCHEMA = {
    "run_id": pl.Int64,
    "round": pl.String,
    "admin1": pl.String,
    "dimension": pl.String,
    "share_deprived": pl.Float64,
    "se": pl.Float64,
    "lo": pl.Float64,
    "hi": pl.Float64,
    "share_deprived_poor": pl.Float64,
    "population": pl.Float64,
    "people_in_need": pl.Float64,
}


def stored_needs(ws: Workspace, run_id: int | None = None) -> pl.DataFrame:
    """The needs table of a stored run (the latest run that has one when ``run_id`` is None).

    Columns: admin1, dimension, share_deprived, se, lo, hi, share_deprived_poor, population,
    people_in_need, round, run_id. For ``kizuna.coordinate``'s gap analysis.
    """
    if run_id is None:
        rows = ws.query("SELECT max(run_id) AS r FROM measure_needs")
        run_id = rows[0]["r"] if rows else None
        if run_id is None:
            return pl.DataFrame()
    rows = ws.query(
        "SELECT run_id, round, admin1, dimension, share_deprived, se, lo, hi, share_deprived_poor,"
        " population, people_in_need FROM measure_needs WHERE run_id = ? ORDER BY admin1, dimension",
        [run_id],
    )
    return pl.DataFrame(rows, schema=NEEDS_SCHEMA)
