"""One home for reading a spreadsheet a person exported: CSV (UTF-8) or the first sheet of an XLSX.

3W sheets, indicator tables, DDR person and wave sheets and training sheets all come out of Excel,
KoboToolbox, ActivityInfo or DHIS2 as one of these two; each part then reads its own columns from the
rows given here. What is shared: UTF-8 (with or without BOM) checked, CSV parsed strictly (a quote
left open would swallow every later row into one cell) with the error naming the line and the
spreadsheet column where the bad cell starts, never its text (sheets carry names and phone numbers);
XLSX cells as text (dates ISO, whole floats without ``.0``), workbooks with megabytes of unused named
styles read fast; errors with the part's own code prefix (``3w.encoding``, ``ddr.csv_quote``, ...).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kizuna.errors import InputError, Where
from kizuna.i18n import N_

LEAN_STYLES_BYTES = 1 << 20  # styles.xml above this is cut down (see _lean_styles)
LEAN_MAX_BYTES = 256 << 20  # ... unless the workbook unpacks to more than this (then openpyxl streams it)


def read_rows(path: Path, *, part: str, delimiters: str = ",") -> tuple[list[list[str]], list[int] | None]:
    """The sheet's rows as text cells, and for a CSV the line each row starts on (a quoted cell may
    hold line breaks, so rows and lines differ); an XLSX has rows only (None).

    ``part`` prefixes the error codes (``{part}.missing_file``, ``.encoding``, ``.csv_quote``,
    ``.xlsx``, ``.type``). With several ``delimiters`` (e.g. ``",;\\t"``), the one the first line holds most of is used.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(
            f"{part}.type",
            N_("only .csv and .xlsx sheets can be read here"),
            Where(file=str(path)),
            hint=N_("export the sheet as CSV (UTF-8) or XLSX"),
        )
    if not path.is_file():
        raise InputError(f"{part}.missing_file", N_("no such file"), Where(file=str(path)), hint=N_("check the path"))
    if suffix == ".csv":
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(
                f"{part}.encoding",
                N_("the sheet is not UTF-8 text"),
                Where(file=str(path)),
                hint=N_("save it as 'CSV UTF-8' from your spreadsheet program"),
            ) from None
        first = text.split("\n", 1)[0]
        delimiter = max(delimiters, key=first.count) if len(delimiters) > 1 else delimiters
        return csv_rows(path, text, part=part, delimiter=delimiter)
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on styles and extensions it skips
            wb = openpyxl.load_workbook(_lean_styles(path), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken zip/XML; its text may quote cells
        raise InputError(
            f"{part}.xlsx",
            N_("cannot open the workbook"),
            Where(file=str(path)),
            hint=N_("is it a real .xlsx file (not .xls renamed)?"),
        ) from None
    try:
        return [[cell_text(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)], None
    finally:
        wb.close()


def csv_rows(path: Path, text: str, *, part: str, delimiter: str = ",") -> tuple[list[list[str]], list[int]]:
    """Parse CSV text strictly: a quote left open or a character after a closing quote is an error
    naming the line and column where the quoted cell starts, never the row's text."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for cells in reader:
            rows.append(cells)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error:
        line, column = _quote_problem(text.splitlines(keepends=True)[start - 1 :], delimiter)
        raise InputError(
            f"{part}.csv_quote",
            N_("the quoted cell starting in column {column} is not closed, or text follows its closing quote"),
            Where(file=str(path), line=start + line),
            hint=N_('a cell that holds a comma, a quote or a line break must be quoted as a whole: "a, b"'),
            params={"column": column_name(column)},
        ) from None
    return rows, lines


def _quote_problem(lines: list[str], delimiter: str = ",") -> tuple[int, int]:
    """Where the badly quoted cell of a CSV record starts: (line offset from the record's first line,
    column index). Scans as the ``csv`` module does (delimiter, double quote, doubled quotes inside)."""
    column, in_quote, after_quote = 0, False, False
    opened = (0, 0)
    for k, line in enumerate(lines):
        field_start = True
        i = 0
        while i < len(line):
            ch = line[i]
            if in_quote:
                if ch == '"':
                    if line[i + 1 : i + 2] == '"':
                        i += 1
                    else:
                        in_quote, after_quote = False, True
            elif after_quote and ch not in delimiter + "\r\n":
                return opened
            elif ch == '"' and field_start:
                in_quote, opened = True, (k, column)
            elif ch == delimiter:
                column, field_start, after_quote = column + 1, True, False
                i += 1
                continue
            elif ch in "\r\n" and not in_quote:
                return opened if after_quote else (k, column)
            field_start = False
            i += 1
        if not in_quote:
            column, after_quote = 0, False
    return opened


def column_name(index: int) -> str:
    """A column as a spreadsheet names it: 0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def cell_text(v: Any) -> str:
    """An XLSX cell as text: empty for None, ISO 8601 for dates and datetimes, whole floats without ``.0``."""
    if v is None:
        return ""
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _cut_element(data: bytes, tag: bytes) -> bytes:
    m = re.search(rb"<(\w+:)?" + tag + rb"[\s>/]", data)
    if not m:
        return data
    close = b"</" + (m.group(1) or b"") + tag + b">"
    end = data.find(close, m.end())
    return data if end < 0 else data[: m.start()] + data[end + len(close) :]


def _lean_styles(path: Path) -> Path | io.BytesIO:
    """The workbook, with its named cell styles dropped when there are megabytes of them.

    Spreadsheets copied between workbooks for years pile up tens of thousands of unused named styles
    (the South Sudan 2022 3W carries 40,208 in a 6 MB ``styles.xml``), and openpyxl then spends
    seconds building them. Values and number formats (which tell dates) live in ``cellXfs``, which is
    kept; only ``cellStyleXfs`` and ``cellStyles`` go. Other workbooks are read as they are.
    """
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            styles = next((i for i in infos if i.filename == "xl/styles.xml"), None)
            total = sum(i.file_size for i in infos)
            if styles is None or styles.file_size < LEAN_STYLES_BYTES or total > LEAN_MAX_BYTES:
                return path
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
                for info in infos:
                    data = z.read(info.filename)
                    if info.filename == "xl/styles.xml":
                        data = _cut_element(_cut_element(data, b"cellStyleXfs"), b"cellStyles")
                    out.writestr(info.filename, data)
    except (zipfile.BadZipFile, OSError):
        return path  # openpyxl reports what is wrong with it
    buf.seek(0)
    return buf
