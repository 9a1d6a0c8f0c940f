"""Jinja2 rendering of the pages (autoescaped, with the catalogue), shared by pages and error responses."""

from __future__ import annotations

from typing import Any

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from kizuna.i18n import N_, gettext
from kizuna.i18n.jinja import environment
from kizuna.web.nav import TRACK_NAV
from kizuna.web.shared_context import account

NAV = [
    ("/", N_("Overview")),
    ("/presence", N_("Who does what where")),
    ("/overlaps", N_("Overlaps")),
    ("/gaps", N_("Gaps")),
    ("/division", N_("Division of labour")),
    ("/vital-core", N_("Vital core")),
    ("/screening", N_("Screening")),
    *TRACK_NAV,  # track's pages (issue 14): results, DDR, training
    ("/sources", N_("Sources")),
    ("/api", N_("API")),
]


def _value(c: dict[str, Any]) -> str:
    """A table cell's content as HTML (the template's ``value`` macro, written out: a page shows hundreds of
    cells, and a macro call per cell was most of the time spent rendering it)."""
    cls = c.get("cls")
    if cls == "hash":
        return (
            f'<details class="hash"><summary title="{escape(c.get("title"))}"><code>{escape(c.get("text"))}</code>'
            f'<span class="sr-only"> {Markup(gettext("show the full value"))}</span></summary>'
            f'<code class="full">{escape(c.get("full"))}</code></details>'
        )
    if cls == "list":
        items = c["items"]
        body = '<ul class="cell-list">' + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"
        if len(items) > 6:
            return f"<details><summary>{Markup(gettext('%(n)s items')) % {'n': len(items)}}</summary>{body}</details>"
        return body
    if c.get("full"):
        return f'<details class="more"><summary>{escape(c.get("text"))}</summary><p>{escape(c["full"])}</p></details>'
    return str(escape(c.get("text")))


def td(c: dict[str, Any]) -> str:
    """A table cell (from :func:`kizuna.web.pages.cell`) as a ``<td>`` element: a class, data values marked
    ``translate="no"``, the full value as a ``title`` where the text is shortened."""
    cls = c.get("cls")
    attrs = f' class="{escape(cls)}"' if cls else ""
    if c.get("data"):
        attrs += ' translate="no"'
    if c.get("title") and cls != "hash":
        attrs += f' title="{escape(c["title"])}"'
    return f"<td{attrs}>{_value(c)}</td>"


class Cell(dict[str, Any]):
    """A cell (:func:`kizuna.web.pages.cell`) that carries its ``<td>`` element, built once: shared by
    the pages that show the same value (:func:`kizuna.web.pages.table_cell`). A copy (``{**c}``) is a
    plain dict and builds its own element; changing one in place drops the element it carried."""

    __slots__ = ("html",)

    def __init__(self, values: dict[str, Any]):
        super().__init__(values)
        self.html: str | None = td(self)

    def __setitem__(self, key: str, value: Any) -> None:
        self.html = None
        super().__setitem__(key, value)


def cells(row: list[dict[str, Any]]) -> Markup:
    """A table row's cells as HTML."""
    return Markup("".join((c.html if isinstance(c, Cell) else None) or td(c) for c in row))


def table_body(rows: Any) -> Markup:
    """A table's rows as the HTML inside its ``<tbody>``, one indented ``<tr>`` a line (what the
    template's row loop wrote, byte for byte)."""
    return Markup("".join(f"        <tr>{cells(r)}</tr>\n" for r in rows))


def tbody(block: dict[str, Any]) -> Markup:
    """A table block's ``<tbody>`` content: the HTML :func:`kizuna.web.pages.table_block` remembered
    with its rows, else built from ``rows`` now (a page that changed the cells after building the block)."""
    body = block.get("body")
    return body if body is not None else table_body(block["rows"])


def spec_json(spec: Any) -> Markup:
    """A chart's spec as the template's ``tojson`` filter writes it (sorted keys, HTML-safe), so that it
    can be written once and remembered (:func:`kizuna.web.pages.derived`)."""
    env = environment("kizuna.web")
    return htmlsafe_json_dumps(spec, dumps=env.policies["json.dumps_function"], **env.policies["json.dumps_kwargs"])


def render_page(name: str, context: dict[str, Any]) -> str:
    """Render template ``name`` in the language of the moment (see :mod:`kizuna.i18n`)."""
    env = environment("kizuna.web")
    env.globals["nav"] = NAV
    env.filters["cells"] = cells
    env.filters["tbody"] = tbody
    env.globals["account"] = account  # shared mode: who is logged in (None otherwise)
    return env.get_template(name).render(**context)
