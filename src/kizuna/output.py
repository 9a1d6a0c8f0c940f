"""Render result tables for every surface: a Rich table, CSV, XLSX or JSON.

Spreadsheet outputs neutralise formula injection: a text cell that starts with ``= + - @`` (or a
tab/CR) gets a leading apostrophe, as OWASP's CSV-injection guidance recommends, so a hostile
title in someone's IATI file cannot run in an analyst's Excel.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl

from kizuna.errors import KizunaError, Where

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class Format(StrEnum):
    table = "table"
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


def safe_cell(value: Any) -> Any:
    """A spreadsheet-safe cell: text that a spreadsheet would run as a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        # plain negative numbers stay numbers
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def rows_of(data: pl.DataFrame | Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    if isinstance(data, pl.DataFrame):
        return list(data.columns), [list(r) for r in data.iter_rows()]
    rows = list(data)
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    return cols, [[r.get(c) for c in cols] for r in rows]


def _jsonable(v: Any) -> Any:
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def to_json_records(data: pl.DataFrame | Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    cols, rows = rows_of(data)
    return [{c: _jsonable(v) for c, v in zip(cols, r, strict=True)} for r in rows]


def to_csv_text(data: pl.DataFrame | Sequence[dict[str, Any]]) -> str:
    cols, rows = rows_of(data)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([safe_cell(_jsonable(v)) for v in r])
    return buf.getvalue()


def write_xlsx(sheets: Mapping[str, pl.DataFrame | Sequence[dict[str, Any]]], path: Path | io.BytesIO) -> None:
    """Write one or more tables to an XLSX file, one sheet each, cells formula-safe."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True})
    bold = wb.add_format({"bold": True})
    for name, data in sheets.items():
        ws = wb.add_worksheet(name[:31])
        cols, rows = rows_of(data)
        for j, c in enumerate(cols):
            ws.write(0, j, c, bold)
        for i, r in enumerate(rows, start=1):
            for j, v in enumerate(r):
                v = _jsonable(v)
                if v is None:
                    continue
                if isinstance(v, (list, dict)):
                    v = json.dumps(v)
                if isinstance(v, str):
                    ws.write_string(i, j, safe_cell(v))
                else:
                    ws.write(i, j, v)
        ws.freeze_panes(1, 0)
    wb.close()


def xlsx_bytes(data: pl.DataFrame | Sequence[dict[str, Any]], sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    write_xlsx({sheet: data}, buf)
    return buf.getvalue()


def render(
    data: pl.DataFrame | Sequence[dict[str, Any]],
    fmt: Format,
    out: Path | None = None,
    title: str | None = None,
    float_digits: int = 2,
) -> None:
    """Print or write a table in the chosen format. XLSX needs ``out``; others print when ``out`` is None."""
    if fmt is Format.xlsx:
        if out is None:
            raise KizunaError(
                "output.no_path", "XLSX output needs a file", Where(field="--out"), hint="add --out result.xlsx"
            )
        write_xlsx({(title or "data"): data}, out)
        print(f"wrote {out}", file=sys.stderr)
        return
    if fmt is Format.csv:
        text = to_csv_text(data)
    elif fmt is Format.json:
        text = json.dumps(to_json_records(data), indent=2, ensure_ascii=False) + "\n"
    else:
        _print_table(data, title, float_digits, out)
        return
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)


def _fmt(v: Any, digits: int) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def _print_table(
    data: pl.DataFrame | Sequence[dict[str, Any]], title: str | None, digits: int, out: Path | None
) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    cols, rows = rows_of(data)
    table = Table(title=title, show_lines=False)
    for c in cols:
        table.add_column(c, overflow="fold")
    for r in rows:
        # Cell text is data, not Rich markup: "[abuses_documented]" must print as written.
        table.add_row(*[escape(_fmt(v, digits)) for v in r])
    if out is None:
        Console(width=200).print(table)
    else:
        with open(out, "w", encoding="utf-8") as fh:
            Console(file=fh, width=200).print(table)


def batched(it: Iterable[Any], n: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for x in it:
        batch.append(x)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch
