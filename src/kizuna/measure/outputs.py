"""Write a run's tables to a folder: one CSV per table, one XLSX with a sheet each, one JSON with
every table and the run's metadata, the self-contained HTML report and, when given, the
per-respondent table (``respondents.csv``, :mod:`kizuna.measure.respondents`).

Every table with a standard error carries ``at_bound``: True where the SE is 0, which happens when
the estimate sits at a bound (a share of 0 or 1 in that domain: every linearised value is 0) and the
"interval" is a single point. Such an interval says nothing about sampling error; the flag says so
instead of letting a point pass for precision. The subgroup table has no SE of its own and takes the
flag from its M0, H and A estimates. The headline measures are listed M0, H, A (Alkire & Foster
2011's order, and the docs').
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_
from kizuna.measure.respondents import RespondentTable
from kizuna.measure.run import MeasureResult
from kizuna.measure.shown import (
    BOUND_FLAG,
    BOUND_MARK,
    BOUND_NOTE,
    RESPONDENTS_FILE,
    SE_ZERO,
    bound_flag,
    design_line,
    flag_bounds,
    flag_subgroups,
    flagged_tables,
    in_measure_order,
    mark_bounds,
)
from kizuna.output import to_csv_text, to_json_records, write_xlsx

# the tables as shown live in kizuna.measure.shown (the HTML report uses them too); re-exported here
__all__ = [
    "BOUND_FLAG",
    "BOUND_MARK",
    "BOUND_NOTE",
    "RESPONDENTS_FILE",
    "SE_ZERO",
    "bound_flag",
    "design_line",
    "flag_bounds",
    "flag_subgroups",
    "flagged_tables",
    "in_measure_order",
    "mark_bounds",
    "write_outputs",
]


def write_outputs(
    result: MeasureResult,
    out_dir: Path,
    *,
    file: str,
    sha256: str,
    respondents: RespondentTable | None = None,
) -> list[Path]:
    """Write CSV, XLSX, JSON and HTML under ``out_dir`` (and ``respondents.csv`` when
    ``respondents`` is given); return the paths written."""
    from kizuna.measure.report import render_html  # the report reads this module's flags

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KizunaError(
            "measure.out_dir",
            N_("cannot create the output folder: {strerror}"),
            Where(file=str(out_dir)),
            hint=N_("pass --out-dir to a writable folder"),
            params={"strerror": exc.strerror},
        ) from exc
    written: list[Path] = []
    tables = flagged_tables(result)
    for name, df in tables.items():
        p = out_dir / f"{name}.csv"
        p.write_text(to_csv_text(df), encoding="utf-8")
        written.append(p)
    xlsx = out_dir / "measure.xlsx"
    write_xlsx({name: df for name, df in tables.items()}, xlsx)
    written.append(xlsx)
    meta: dict[str, Any] = {
        "title": result.spec.title,
        "file": file,
        "sha256": sha256,
        "spec_sha256": result.spec.sha256,
        "k": result.spec.k,
        "n_rows": result.n_rows,
        "n_used": result.n_used,
        "n_dropped": result.n_dropped,
        "missing": result.missing,
        "design": result.design,
        "weights": result.spec.weights,
        "dimensions": result.spec.dimensions,
        "notes": result.notes,
        "disclosure": result.disclosure,  # min_cell, method, cells withheld (kizuna.measure.disclosure)
    }
    if respondents is not None:
        meta["respondents"] = {
            "file": RESPONDENTS_FILE,
            "rows": respondents.frame.height,
            "keys": respondents.keys or ["row"],
            "keys_hashed": bool(respondents.keys),
        }
    js = out_dir / "measure.json"
    js.write_text(
        json.dumps(
            {"run": meta, **{n: to_json_records(df) for n, df in tables.items()}},
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    written.append(js)
    html = out_dir / "measure.html"
    html.write_text(render_html(result, file=file, sha256=sha256), encoding="utf-8")
    written.append(html)
    if respondents is not None:
        p = out_dir / RESPONDENTS_FILE
        p.write_text(to_csv_text(respondents.frame), encoding="utf-8")
        written.append(p)
    return written
