"""Render result tables for every surface: a Rich table, CSV, XLSX or JSON.

Spreadsheet outputs neutralise formula injection: a text cell that starts with ``= + - @`` (or a
tab/CR) gets a leading apostrophe, as OWASP's CSV-injection guidance recommends, so a hostile
title in someone's IATI file cannot run in an analyst's Excel.

Headers: XLSX workbooks and Rich tables are read by people, so their column headings are human labels
in the language of the moment (:func:`kizuna.i18n.columns.label`), sheet names are translated, and every
workbook ends with a "Notes" sheet (what each sheet holds, the source, the data's limits, and whether the
data are synthetic). CSV and JSON keep the stable machine column names (``usd_commitments``): programs
and API clients parse them, and a header that changed with the reader's language would break them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from kizuna import i18n
from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_, _
from kizuna.i18n.columns import label

if TYPE_CHECKING:  # polars is imported by whoever built a DataFrame; `kizuna --help` must not pay for it
    import polars as pl

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
    if "polars" in sys.modules:  # a DataFrame exists only once polars is loaded; lists of dicts need none
        import polars as pl

        if isinstance(data, pl.DataFrame):
            return list(data.columns), [list(r) for r in data.iter_rows()]
    rows = list(cast("Sequence[dict[str, Any]]", data))
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


class Sheets(dict[str, Any]):
    """Tables by sheet name that also say what each sheet holds (``about``: sheet -> message id), so a
    caller that only passes the tables on to :func:`write_xlsx` still gets the descriptions on the Notes sheet."""

    def __init__(self, tables: Mapping[str, Any], about: Mapping[str, str] | None = None) -> None:
        super().__init__(tables)
        self.about: dict[str, str] = dict(about or {})


NOTES_SHEET = N_("Notes")
# a sheet with this key and a single ``note`` column is merged into the Notes sheet (reports pass their notes so)
NOTES_KEY = "notes"
SYNTHETIC_MARK = "synthetic"


def _sheet_name(name: str, taken: set[str]) -> str:
    """A legal, unique Excel sheet name: no []:*?/\\, at most 31 characters, unique ignoring case."""
    base = re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "data"
    out, i = base, 2
    while out.lower() in taken:
        tail = f" ({i})"
        out, i = base[: 31 - len(tail)] + tail, i + 1
    taken.add(out.lower())
    return out


def _notes_rows(
    written: list[tuple[str, str, int]],
    notes: Sequence[str],
    sources: Sequence[str],
    synthetic: bool,
) -> list[tuple[str, str]]:
    """The Notes sheet as (heading, text) rows, in the language of the moment."""
    from kizuna import __version__

    rows: list[tuple[str, str]] = [(_("Sheet"), _("What it holds"))]
    for sheet, about, n in written:
        count = i18n.ngettext("{n} row", "{n} rows", n).format(n=i18n.number(n))
        rows.append((sheet, _("{about} ({count})").format(about=about, count=count) if about else count))
    rows.append(("", ""))
    rows.append((_("Source"), _("Made by Kizuna {version} from the workspace.").format(version=__version__)))
    rows.extend((_("Source"), s) for s in sources)
    rows.append(
        (_("Headers"), _("Column headings are for people; CSV and JSON downloads keep the machine column names."))
    )
    for note in notes:
        rows.append((_("Limits of the data"), note))
    if synthetic:
        rows.append(
            (
                _("Synthetic data"),
                _("Some of these data are SYNTHETIC (made up for the demo): they describe no real place or project."),
            )
        )
    return rows


def write_xlsx(
    sheets: Mapping[str, pl.DataFrame | Sequence[dict[str, Any]]],
    path: Path | io.BytesIO,
    *,
    about: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    sources: Sequence[str] = (),
    synthetic: bool | None = None,
) -> None:
    """Write tables to an XLSX file, one sheet each, then a "Notes" sheet; cells formula-safe.

    Sheet names are message ids translated into the language of the moment; headings are
    :func:`~kizuna.i18n.columns.label` of each column. ``about``: what each sheet holds (message ids, by
    sheet key); ``notes``: the data's limits; ``sources``: where the data came from. A sheet keyed
    ``notes`` with one ``note`` column joins the notes instead of being a sheet of its own.
    ``synthetic``: None looks for the word "synthetic" in the text cells (the demo marks its data so).
    """
    import xlsxwriter

    if about is None:
        about = getattr(sheets, "about", None)
    wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True})
    bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    all_notes = list(notes)
    found_synthetic = False
    taken: set[str] = set()
    written: list[tuple[str, str, int]] = []
    for name, data in sheets.items():
        cols, rows = rows_of(data)
        if name == NOTES_KEY and cols == ["note"]:
            all_notes.extend(str(r[0]) for r in rows if r[0] and r[0] != "(none)")
            continue
        sheet = _sheet_name(i18n.gettext(name), taken)
        ws = wb.add_worksheet(sheet)
        widths = []
        for j, c in enumerate(cols):
            head = label(c)
            ws.write_string(0, j, safe_cell(head), bold)
            widths.append(min(max(len(head) * (2 if i18n.current() == "ja" else 1), 8) + 2, 60))
        for i, r in enumerate(rows, start=1):
            for j, v in enumerate(r):
                v = _jsonable(v)
                if v is None:
                    continue
                if isinstance(v, (list, dict)):
                    v = json.dumps(v, ensure_ascii=False)
                if isinstance(v, str):
                    if not found_synthetic and SYNTHETIC_MARK in v.lower():
                        found_synthetic = True
                    ws.write_string(i, j, safe_cell(v))
                    if i <= 50:
                        widths[j] = min(max(widths[j], len(v) + 2), 60)
                else:
                    ws.write(i, j, v)
        for j, w in enumerate(widths):
            ws.set_column(j, j, w)
        ws.freeze_panes(1, 0)
        written.append((sheet, i18n.gettext(about[name]) if about and name in about else "", len(rows)))
    ns = wb.add_worksheet(_sheet_name(_(NOTES_SHEET), taken))
    ns.set_column(0, 0, 24)
    ns.set_column(1, 1, 110, wrap)
    is_synthetic = found_synthetic if synthetic is None else synthetic
    for i, (head, text) in enumerate(_notes_rows(written, all_notes, sources, is_synthetic)):
        ns.write_string(i, 0, safe_cell(head), bold)
        ns.write_string(i, 1, safe_cell(text), bold if i == 0 else wrap)
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
                "output.no_path", N_("XLSX output needs a file"), Where(field="--out"), hint=N_("add --out result.xlsx")
            )
        write_xlsx({(title or "data"): data}, out)
        print(_("wrote {path}").format(path=out), file=sys.stderr)
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
        print(_("wrote {path}").format(path=out), file=sys.stderr)


def _fmt(v: Any, digits: int) -> str:
    """A Rich-table cell in the current locale (Babel): floats to ``digits`` decimals; integers as
    written (a year or an identifier must not gain a grouping comma)."""
    if v is None:
        return ""
    if isinstance(v, float):
        return i18n.number(v, digits)
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return i18n.cell(v)


def _print_table(
    data: pl.DataFrame | Sequence[dict[str, Any]], title: str | None, digits: int, out: Path | None
) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    cols, rows = rows_of(data)
    table = Table(title=title, show_lines=False)
    for c in cols:
        table.add_column(escape(label(c)), overflow="fold")
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
