"""Write a run's tables to a folder: one CSV per table, one XLSX with a sheet each, one JSON with
every table and the run's metadata, and the self-contained HTML report."""

from __future__ import annotations

import json
from pathlib import Path

from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_
from kizuna.measure.report import render_html
from kizuna.measure.run import MeasureResult
from kizuna.output import to_csv_text, to_json_records, write_xlsx


def write_outputs(result: MeasureResult, out_dir: Path, *, file: str, sha256: str) -> list[Path]:
    """Write CSV, XLSX, JSON and HTML under ``out_dir``; return the paths written."""
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
    tables = result.tables()
    for name, df in tables.items():
        p = out_dir / f"{name}.csv"
        p.write_text(to_csv_text(df), encoding="utf-8")
        written.append(p)
    xlsx = out_dir / "measure.xlsx"
    write_xlsx({name: df for name, df in tables.items()}, xlsx)
    written.append(xlsx)
    meta = {
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
    return written
