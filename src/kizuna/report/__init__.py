"""What every HTML report shares: one Jinja environment, the print stylesheet, the chart bundle, and
readable tables.

Reports (the mutual-accountability report, the measure run page, the do-no-harm register) render from
templates in ``kizuna/report/templates`` through :func:`kizuna.i18n.jinja.environment`, so every string is
a catalogue message (``i18n/ja/reports.po``) and every number goes through the locale formats. Tables are
built by :func:`table`: human headings (:func:`kizuna.i18n.columns.label`), columns that hold nothing
dropped, numbers right-aligned in the reader's locale, data values marked ``translate="no"``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import polars as pl
from jinja2 import Environment

from kizuna import i18n
from kizuna.i18n.columns import label

# every network request forbidden: the page opens offline and leaks nothing
CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; connect-src 'none'"
)
CSP_NO_SCRIPT = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

# A4 (ISO 216) 210 mm wide; the print stylesheet's page margins (report.css: @page margin 15 mm 14 mm)
A4_WIDTH_MM = 210.0
PAGE_MARGIN_MM = 14.0
PRINTABLE_WIDTH_PX = (A4_WIDTH_MM - 2 * PAGE_MARGIN_MM) * 96 / 25.4  # CSS px are 1/96 inch


def environment() -> Environment:
    """The reports' Jinja environment (the one factory, with the catalogue and locale filters)."""
    from kizuna.i18n.jinja import environment as factory

    return factory("kizuna.report", "templates")


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """The Vega / Vega-Lite / vega-embed bundle (``vl_convert.javascript_bundle()``) as one inline script,
    safe inside ``<script>`` (no CDN)."""
    import vl_convert

    # a literal "</script" inside the library would end the inline script element early
    return vl_convert.javascript_bundle().replace("</script", "<\\/script")  # type: ignore[call-arg]


def _blank(v: Any) -> bool:
    return v is None or v == "" or (isinstance(v, float) and math.isnan(v))


Formatter = Callable[[Any], str]

KINDS: dict[str, Formatter] = {
    "text": lambda v: "" if _blank(v) else str(v),
    "data": lambda v: "" if _blank(v) else i18n.cell(v),
    "money": lambda v: "" if _blank(v) else i18n.money(float(v)),
    "compact": lambda v: "" if _blank(v) else i18n.money(float(v), compact=True),
    "number": lambda v: "" if _blank(v) else i18n.number(v),
    "int": lambda v: "" if _blank(v) else i18n.number(int(v)),
    "percent": lambda v: "" if _blank(v) else i18n.percent(float(v)),
    "score": lambda v: "" if _blank(v) else i18n.number(float(v), 2),
    "est": lambda v: "" if _blank(v) else i18n.number(float(v), 4),
    "day": lambda v: "" if _blank(v) else i18n.day(v if isinstance(v, date | datetime | str) else str(v)),
    "yesno": lambda v: "" if v is None else (i18n.gettext("yes") if v else i18n.gettext("no")),
}
NUMERIC = {"money", "compact", "number", "int", "percent", "score", "est"}
# kinds whose cells hold data values (names, titles, identifiers): never translated by a browser
DATA_KINDS = {"data"}


@dataclass
class Table:
    """A table ready for the ``table`` macro: headings, cell rows and how many rows were left out."""

    headers: list[dict[str, Any]]
    rows: list[list[dict[str, Any]]]
    more: int = 0
    css: str = ""
    caption: str = ""
    widths: list[str] = field(default_factory=list)


def table(
    df: pl.DataFrame | None,
    columns: Sequence[tuple[str, str]] | None = None,
    *,
    max_rows: int = 200,
    css: str = "",
    caption: str = "",
    headings: dict[str, str] | None = None,
    widths: dict[str, str] | None = None,
) -> Table | None:
    """``df`` as a :class:`Table`: ``columns`` are (column, kind) pairs in order (kind: ``text`` for
    our own words, ``data`` for data values, ``money``/``compact``/``number``/``int``/``percent``/
    ``score`` (2 decimals)/``est`` (4 decimals)/``day``/``yesno``); a column the frame lacks, or whose
    every cell is empty, is dropped. ``headings`` replaces :func:`label` for some columns (message ids).
    ``None`` when ``df`` is None."""
    if df is None:
        return None
    if columns is None:
        columns = [(c, "number" if df.schema[c].is_numeric() else "data") for c in df.columns]
    kept = [
        (c, k)
        for c, k in columns
        if c in df.columns and not all(_blank(v) for v in df.get_column(c).head(max_rows).to_list())
    ]
    heads = []
    for c, k in kept:
        text = i18n.gettext(headings[c]) if headings and c in headings else label(c)
        heads.append({"key": c, "text": text, "num": k in NUMERIC})
    rows = []
    for r in df.head(max_rows).select([c for c, _k in kept]).iter_rows():
        cells = []
        for (_c, k), v in zip(kept, r, strict=True):
            cells.append({"text": KINDS[k](v), "num": k in NUMERIC, "data": k in DATA_KINDS})
        rows.append(cells)
    return Table(
        headers=heads,
        rows=rows,
        more=max(df.height - max_rows, 0),
        css=css,
        caption=caption,
        widths=[(widths or {}).get(c, "") for c, _k in kept],
    )


def limit_text(lim: dict[str, Any]) -> str:
    """A statement of :func:`kizuna.coordinate.limits.data_limits` in the reader's language
    (see :func:`kizuna.i18n.note_text`)."""
    return i18n.note_text(lim)
