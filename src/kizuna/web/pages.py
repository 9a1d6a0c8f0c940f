"""Server-rendered pages. Each page is a list of blocks (figures, charts, maps, tables, empty states)
built from datasets (:mod:`kizuna.web.datasets`); a table's downloads are the API's CSV/XLSX.

Filters are a plain GET form with an Apply button, so every view has a URL to share and works
without JavaScript (nothing submits on change: arrow keys move through a list without reloading).
``static/app.js`` draws the charts; maps load their points from the API with the page's filters.

Every string a person reads goes through the catalogue (:mod:`kizuna.i18n`): titles and labels are
message ids marked with ``N_`` and translated when the page is rendered; codes are shown by name
(:mod:`kizuna.reference.names`, :mod:`kizuna.reference.countries`, the workspace's area names) and
table cells are formatted by :func:`cell` in the reader's locale.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from kizuna import i18n
from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_, _
from kizuna.i18n.columns import label as heading
from kizuna.reference.names import ally_name, code_name, sector_name
from kizuna.web import charts
from kizuna.web.datasets import (
    DATASETS,
    FILTERS,
    Records,
    Result,
    check_filters,
    extreme_points,
    fetch,
    gap_sectors,
    is_ally,
    ready,
    synthetic,
)
from kizuna.web.render import render_page, spec_json, table_body
from kizuna.web.shared_context import account_key
from kizuna.web.store import ReadOnlyStore, store_of

router = APIRouter(include_in_schema=False)
T = TypeVar("T")

TABLE_ROWS = 100  # rows a page shows; downloads carry all of them
MAX_FILTER_LEN = 200
MAP_POINTS = 1000  # the API's page limit: a map loads one page of points
# the parts of an error's "where", named on error pages
WHERE_NAMES = (N_("file"), N_("line"), N_("row"), N_("field"), N_("key"))


def country_name(code: str | None, name: str | None = None) -> str:
    """A country by its name in the reader's language (:func:`kizuna.reference.countries.country_name`);
    ``name`` (the ledger's) when the reference has none; "All countries" for no code."""
    if not code:
        return _("All countries")
    from kizuna.reference.countries import country_name as reference_name

    return reference_name(code) or name or code


def read_filters(request: Request, names: tuple[str, ...], dataset: str | None = None) -> dict[str, str | None]:
    """The page's filters from the query string, checked against what the workspace holds: a value it
    does not hold is the error the API gives for it (:func:`kizuna.web.datasets.check_filters`;
    ``dataset``: the page's main dataset, ``gaps`` for the page whose sectors are the needs table's)."""
    out: dict[str, str | None] = {}
    for name in names:
        value = request.query_params.get(name)
        if value is not None and len(value) > MAX_FILTER_LEN:
            raise KizunaError(
                "request.invalid",
                N_("the filter is longer than {n} characters"),
                Where(field=name),
                hint=N_("choose a value from the list"),
                status=422,
                params={"n": MAX_FILTER_LEN},
            )
        out[name] = (value.strip() or None) if value is not None else None
    # the API's rule (kizuna.validate through datasets.check_filters): same status, code and hint
    return check_filters(store_of(request), names, out, dataset)


def api_url(name: str, filters: Mapping[str, str | None], **extra: Any) -> str:
    ds = DATASETS[name]
    kept = {k: v for k, v in filters.items() if v and k in ds.filters}
    return f"/api/v1/{name}?{urlencode({**kept, **extra})}"


def derived(rows: Any, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()`` remembered with ``rows`` when they are a data-version precomputation
    (:class:`kizuna.web.datasets.Records` as :func:`kizuna.web.datasets.fetch` serves them: one object
    per data version, language and filter, shared by every request and never changed), by the language
    of the moment and ``key``; computed afresh for any other rows.

    What a page derives from such rows (a chart's spec and its JSON, a table's cells and HTML) is then
    built once per data version and language instead of once per request: the value lives and dies
    with the rows, which the store drops when the data version changes (:meth:`kizuna.web.store.ReadOnlyStore.refresh`),
    so it can never outlive its data. ``key`` must name everything else the value depends on. Callers
    must not change the value (it is shared): blocks built here are copied before any change.
    """
    if not isinstance(rows, Records):
        return compute()
    memo: dict[tuple[Any, ...], Any] = vars(rows).setdefault("derived", {})
    full = (i18n.current(), *key)
    if full not in memo:
        memo[full] = compute()  # two requests may both build it at first: the same value, kept once
    return memo[full]


# --- cells: values as a person reads them --------------------------------------------------------

MONEY_COLUMNS = re.compile(r"^(usd|usd_.*|.*_usd)$")
PER_PERSON = {"usd_per_pin", "pin_per_org"}
PERCENT_COLUMNS = {
    "share",
    "lead_share",
    "share_deprived",
    "share_deprived_poor",
    "contribution_pct",
    "contribution_lo",
    "contribution_hi",
    "share_of_country",
    "donor_global_share",
    "time_share",
    "censored_headcount",
    "uncensored_headcount",
    "disbursed_per_committed",
}
DATE_COLUMNS = {"start_date", "end_date", "as_of", "date"}
STRUCTURED = {"why", "unknown_facts", "counts", "warnings", "adjustments", "layers", "facts", "next_steps"}
LONG_TEXT = {"reason", "reasons", "why", "question", "mitigation", "source", "description", "adjustments"}
TITLE_TEXT = {"title", "title_a", "title_b", "publisher_name", "org_name", "org_name_a", "org_name_b"}
SECTOR_COLUMNS = {"sector", "sector_code", "needs_sector"}
AREA_COLUMNS = {"adm1", "adm2", "admin1", "place"}
# columns holding Kizuna's own codes, shown by name (kizuna.reference.names: names_en.csv / names_ja.csv)
ALLY_COLUMNS = frozenset({"ally", "ally_a", "ally_b", "lead_donor", "donor"})
CODE_LISTS = {
    "indicator": "measure.indicator",
    "dimension": "measure.dimension",
    "project_type": "screen.project_type",
    "family": "screen.rule_family",
    "significance": "screen.significance",
    "category": "screen.significance",
}
LONG_CHARS = 360  # longer text goes into a details row: a cell stays a few lines tall
HASH_CHARS = 12
LIST_ITEMS = 6


def _structured(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _items(value: Any) -> list[str]:
    """A dict or list as list items ("key: value"), values formatted by locale."""
    if isinstance(value, dict):
        return [f"{k}: {_plain(v)}" for k, v in value.items()]
    return [_plain(v) for v in value]


def _joined(names: list[str]) -> str:
    return ("、" if i18n.current() == "ja" else ", ").join(names)


def _plain(value: Any) -> str:
    if isinstance(value, dict | list):
        return ", ".join(_items(value)) if value else "—"
    return i18n.cell(value)


class Names:
    """Names of the codes a page shows, in the reader's language: areas by the workspace's names."""

    def __init__(self, store: ReadOnlyStore):
        self.store = store

    @functools.cached_property
    def areas(self) -> dict[str, str]:
        if not self.store.has_tables("admin_areas"):
            return {}

        def load(ws: Any) -> dict[str, str]:
            from kizuna.geo.areas import area_names

            df = area_names(ws)
            return dict(zip(df.get_column("pcode").to_list(), df.get_column("name").to_list(), strict=True))

        return self.store.cached(("area-names",), load, keep=True)

    def area(self, code: Any) -> str:
        return self.areas.get(str(code), str(code)) if code not in (None, "") else ""


def cell(column: str, value: Any, names: Names | None = None) -> dict[str, Any]:
    """One table cell as the page shows it: ``text``, a CSS class (``num``, ``long``, ``hash``,
    ``list``), the full value as ``title`` where it is shortened, and ``data`` (a data value, marked
    ``translate="no"``) — numbers in the locale's format, money whole, shares as percentages, dates and
    times without microseconds, codes by name, JSON as a list."""
    out: dict[str, Any] = {"text": "", "cls": "", "title": None, "items": None, "data": True, "full": None}
    if value is None or value == "":
        return out
    if isinstance(value, bool):
        return {**out, "text": _("yes") if value else _("no"), "data": False}
    if isinstance(value, int | float):
        if column in PERCENT_COLUMNS:
            text = i18n.percent(value, 1)
        elif MONEY_COLUMNS.match(column) and column not in PER_PERSON:
            text = i18n.number(round(value))
        elif column in ("k",):
            text = i18n.percent(value / 100)
        else:
            small = isinstance(value, float) and abs(value) < 1000 and not value.is_integer()
            text = i18n.number(value, 3 if small else None)
        return {**out, "text": text, "cls": "num"}
    if column in STRUCTURED:
        parsed = _structured(value)
        if isinstance(parsed, dict | list):
            items = _items(parsed)
            return {**out, "cls": "list", "items": items, "text": str(len(items))}
    text = str(value)
    if "sha256" in column and len(text) > HASH_CHARS:
        return {**out, "text": text[:HASH_CHARS] + "…", "cls": "hash", "title": text, "full": text}
    if column.endswith("_at") or column == "created":
        return {**out, "text": i18n.moment(text)}
    if column in DATE_COLUMNS:
        return {**out, "text": i18n.day(text)}
    if column in SECTOR_COLUMNS:
        return {**out, "text": sector_name(text) or text, "title": text}
    if column == "sectors":
        codes = [c.strip() for c in text.split(",") if c.strip()]
        if all(c.isdigit() for c in codes):  # a list of DAC codes: their names, one a line
            items = [sector_name(c) or c for c in codes]
            return {**out, "cls": "list", "items": items, "text": _joined(items)}
    if column in ALLY_COLUMNS:
        return {**out, "text": ally_name(text) or text}
    if column == "country":
        return {**out, "text": country_name(text), "title": text}
    if column == "countries":
        return {**out, "text": _joined([country_name(c.strip()) for c in text.split(",") if c.strip()])}
    if column in AREA_COLUMNS and names is not None:
        name = names.area(text)
        return {**out, "text": name, "title": text if name != text else None}
    if column in CODE_LISTS:
        return {**out, "text": code_name(CODE_LISTS[column], text) or text, "title": text}
    if column in LONG_TEXT or len(text) > 80:
        if len(text) > LONG_CHARS:
            return {**out, "text": text[: LONG_CHARS // 2].rsplit(" ", 1)[0] + "…", "cls": "long", "full": text}
        return {**out, "text": text, "cls": "long"}
    return {**out, "text": text, "cls": "text" if column in TITLE_TEXT else ""}


@functools.lru_cache(maxsize=1 << 14)
def _formatted(lang: str, column: str, value: Any) -> dict[str, Any]:
    """:func:`cell` of a value that needs no data names, remembered by language, column and value: a
    pure function of the three (its names of codes come from the shipped reference files, not the
    workspace), so it stays right whatever the data; a page's table formats hundreds of such cells
    (dates and numbers through Babel) that are the same from one request to the next. Callers must not
    change the returned cell (copy it: ``{**c, ...}``); it carries its ``<td>`` element, which a copy
    or a change drops (:class:`kizuna.web.render.Cell`)."""
    from kizuna.web.render import Cell

    return Cell(cell(column, value))


def table_cell(column: str, value: Any, names: Names | None) -> dict[str, Any]:
    """:func:`cell`, through :func:`_formatted` where the value is hashable and names no area."""
    if column in AREA_COLUMNS or isinstance(value, dict | list):
        return cell(column, value, names)
    return _formatted(i18n.current(), column, value)


# --- blocks ------------------------------------------------------------------------------------


def table_block(
    result: Result,
    filters: Mapping[str, str | None],
    title: str | None = None,
    columns: list[str] | None = None,
    rows: int = TABLE_ROWS,
    names: Names | None = None,
) -> dict[str, Any]:
    """A table of a dataset: human headings (:func:`kizuna.i18n.columns.label`), cells by :func:`cell`,
    a count in words, and the downloads of the whole filtered table."""
    data = result.rows
    cols = [c for c in columns if not data or c in data[0]] if columns else (list(data[0]) if data else [])
    total = result.total
    shown = min(total, rows)

    def build() -> tuple[tuple[tuple[dict[str, Any], ...], ...], Markup]:
        cell_rows = tuple(tuple(table_cell(c, r.get(c), names) for c in cols) for r in data[:rows])
        return cell_rows, table_body(cell_rows)

    if isinstance(data, Records):  # a precomputation: its cells and their HTML once per data version and language
        cell_rows, body = derived(data, ("table", tuple(cols), rows, names is not None), build)
        table_rows: Any = cell_rows
    else:
        table_rows, body = [[table_cell(c, r.get(c), names) for c in cols] for r in data[:rows]], None
    return {
        "kind": "table",
        "id": result.dataset.name,
        "title": title or _(result.dataset.title),
        "description": _(result.dataset.description),
        "columns": [heading(c) for c in cols],
        "rows": table_rows,  # shared (tuples) when remembered: copy before changing (see _rule_text_table)
        "body": body,  # the rows as HTML (render.tbody), or None: built from "rows" when rendered
        "total": total,
        "count": (
            _("Showing {shown} of {total} rows — download for all.").format(
                shown=i18n.number(shown), total=i18n.number(total)
            )
            if total > shown
            else i18n.ngettext("{n} row.", "{n} rows.", total).format(n=i18n.number(total))
        ),
        "empty": i18n.translate(result.empty_reason),
        "downloads": {f: api_url(result.dataset.name, filters, format=f) for f in ("csv", "xlsx")},
        "api": api_url(result.dataset.name, filters),
    }


def chart_block(
    block_id: str, title: str, spec: dict[str, Any] | None, empty: str | None, kind: str = "chart", wide: bool = False
) -> dict[str, Any]:
    """A chart or map; ``title`` translated already, ``empty`` a message id (translated here)."""
    return {
        "kind": kind,
        "id": block_id,
        "title": title,
        "spec": spec,
        "empty": i18n.translate(empty) or _("nothing to draw"),
        "label": (spec or {}).get("description", title),
        "wide": wide,
    }


def remembered_chart(rows: Any, key: tuple[Any, ...], build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The chart (or map) block ``build()`` makes of ``rows``, with its spec written as JSON once
    (:func:`kizuna.web.render.spec_json`), remembered with ``rows`` by ``key`` and the language
    (:func:`derived`: once per data version when the rows are a precomputation). Do not change it."""

    def frozen() -> dict[str, Any]:
        block = build()
        return {**block, "json": spec_json(block["spec"]) if block["spec"] else None}

    return derived(rows, ("chart", *key), frozen)


def notes_block(block_id: str, title: str, notes: list[dict[str, Any]]) -> dict[str, Any]:
    """Statements ({code, message}) a person should read before the tables: what the data cannot show."""
    return {"kind": "notes", "id": block_id, "title": title, "notes": notes}


def empty_block(title: str, message: str) -> dict[str, Any]:
    return {"kind": "empty", "id": "empty", "title": title, "empty": i18n.translate(message)}


def figures(*items: tuple[str, str]) -> dict[str, Any]:
    """Key figures: (label message id, value already formatted)."""
    return {"kind": "figures", "id": "figures", "items": [(_(k), v) for k, v in items]}


def activity_map(
    store: ReadOnlyStore, filters: dict[str, str | None], empty: str | None, title: str = N_("Map of activities")
) -> dict[str, Any]:
    """The map of activity locations over the workspace's admin boundaries (:mod:`kizuna.geo`): the
    browser loads the points from the API with these filters; the areas carry their names as tooltips,
    and the admin-1 areas are labelled. With no country chosen only admin-1 areas are drawn (pages
    stay small); with one, its finest level. With no points, the title and the empty state say why:
    the filters match none, or the workspace's files give no coordinates at all."""
    points = fetch(store, "activity-points", filters)
    # the map of a precomputation's points: once per data version and language (derived)
    key = ("activity-map", tuple(sorted(filters.items())), empty, title, points.total, points.empty_reason)
    return remembered_chart(points.rows, key, lambda: _activity_map(store, filters, empty, title, points))


def _activity_map(
    store: ReadOnlyStore, filters: dict[str, str | None], empty: str | None, title: str, points: Result
) -> dict[str, Any]:
    from kizuna.geo.areas import boundary_shapes

    country = filters.get("country")
    if store.has_tables("admin_areas"):
        # the boundaries of a country held, per data version (kizuna.web.store: "keep")
        shapes = store.cached(
            ("boundary-shapes", country), lambda ws: boundary_shapes(ws, country, None if country else 1), keep=True
        )
        admin1 = store.cached(("boundary-shapes", country, 1), lambda ws: boundary_shapes(ws, country, 1), keep=True)
    else:
        shapes = admin1 = {"type": "FeatureCollection", "features": []}
    labels = [
        {"name": f["properties"]["name"], "lon": f["properties"]["label_lon"], "lat": f["properties"]["label_lat"]}
        for f in admin1["features"]
        if f["properties"].get("label_lon") is not None
    ]
    # the points load from the API: the map needs only their extent (datasets.extreme_points)
    rows = points.rows
    extent = rows.extremes() if isinstance(rows, Records) else extreme_points(rows)
    spec = charts.map_spec(
        {"Activities": extent},
        MAP_TOOLTIP,
        _("Map: activity locations as points over admin areas"),
        urls={"Activities": api_url("activity-points", filters, limit=MAP_POINTS)},
        shapes=shapes,
        labels=labels,
    )
    why = points.empty_reason or empty
    text = _(title)
    if points.total > MAP_POINTS:
        text = _("{title} (the first {n} of {total} locations: filter to see the rest)").format(
            title=text, n=i18n.number(MAP_POINTS), total=i18n.number(points.total)
        )
    elif not points.rows and shapes["features"]:
        text = _("{title} — {why}; admin areas shown").format(title=text, why=i18n.translate(why))
    return chart_block("map", text, spec, why, kind="map")


MAP_TOOLTIP = {
    "Activities": ["title", "publisher_name", "place", "adm1"],
    "Activity A": ["title", "publisher_name", "place"],
    "Activity B": ["title", "publisher_name", "place"],
    "Project site": ["name", "kind"],
    "Communities": ["name", "group", "population"],
    "Events": ["date", "category", "sub_category", "fatalities"],
}
ACTIVITY_COLUMNS = ["title", "publisher_name", "status", "start_date", "end_date", "countries", "sectors", "spend_usd"]


# --- the page frame --------------------------------------------------------------------------------

Option = tuple[str, str, bool]  # value, label, whether the label is a data value (marked translate="no")


def _options(
    rows: list[dict[str, Any]], value: str, label: Callable[[dict[str, Any]], str], all_label: str | None
) -> list[Option]:
    head: list[Option] = [("", _(all_label), False)] if all_label else []
    return head + [(str(r[value]), label(r), True) for r in rows if r.get(value) is not None]


def _unique(rows: list[dict[str, Any]], *columns: str) -> list[dict[str, Any]]:
    seen = sorted({r[c] for r in rows for c in columns if r.get(c)})
    return [{"v": v} for v in seen]


def _area_option(names: Names, code: str) -> str:
    name = names.area(code)
    return name if name == code else f"{name} ({code})"


def filter_form(
    store: ReadOnlyStore,
    filters: dict[str, str | None],
    choices: dict[str, list[Option]] | None = None,
    sectors: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Form controls for ``filters``: selects listing what the workspace holds (or ``choices``).

    ``sectors``: the sectors to offer (the Gaps page offers the clusters its rows use); by default
    the DAC sectors of the ledger's activities. The ally filter offers allies only."""
    country = filters.get("country")
    names = Names(store)
    controls = []
    for name, value in filters.items():
        f = FILTERS[name]
        control: dict[str, Any] = {"name": name, "label": _(f.label), "value": value or "", "help": _(f.description)}
        if choices and name in choices:
            control["options"] = choices[name]
        elif name == "country":
            control["options"] = _options(
                fetch(store, "countries", {}).rows,
                "country",
                lambda r: _("{country} — {n} activities").format(
                    country=country_name(r["country"], r.get("name")), n=i18n.number(r["activities"])
                ),
                N_("All countries"),
            )
        elif name == "publisher":
            control["options"] = _options(
                fetch(store, "publishers", {"country": country}).rows,
                "publisher_ref",
                lambda r: r.get("publisher_name") or r["publisher_ref"],
                N_("All publishers"),
            )
        elif name == "ally":
            rows = [r for r in fetch(store, "presence", {"country": country}).rows if is_ally(r.get("ally"))]
            control["options"] = _options(_unique(rows, "ally"), "v", lambda r: r["v"], N_("All allies"))
        elif name == "sector" and sectors is not None:
            control["options"] = _options(
                [{"s": s} for s in sectors], "s", lambda r: sector_name(r["s"]) or r["s"], N_("All sectors")
            )
        elif name == "sector":
            control["options"] = _options(
                fetch(store, "sectors", {"country": country}).rows,
                "sector",
                lambda r: f"{r['sector']} {sector_name(r['sector'], r.get('name')) or ''}".strip(),
                N_("All sectors"),
            )
        elif name == "adm1":
            control["options"] = _options(
                fetch(store, "areas", {"country": country}).rows,
                "adm1",
                lambda r: _area_option(names, r["adm1"]),
                N_("All areas"),
            )
        if "options" in control and value and all(o[0] != value for o in control["options"]):
            control["options"].append((value, _("{value} (no data)").format(value=value), True))
        controls.append(control)
    return controls


def _unique_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks with distinct ids (two tables of one dataset on a page would repeat ids in the HTML)."""
    seen: dict[str, int] = {}
    out = []
    for b in blocks:
        base = str(b.get("id") or b["kind"])
        seen[base] = seen.get(base, 0) + 1
        out.append({**b, "id": base if seen[base] == 1 else f"{base}-{seen[base]}"})
    return out


def page(
    request: Request,
    title: str,
    intro: str,
    blocks: list[dict[str, Any]],
    filters: dict[str, str | None] | None = None,
    choices: dict[str, list[Option]] | None = None,
    sectors: list[str] | None = None,
) -> HTMLResponse:
    """A page: ``title`` and ``intro`` are message ids (translated here), ``blocks`` built already.
    The language switch keeps every parameter of the current view; the navigation keeps the country."""
    store = store_of(request)
    filters = filters or {}
    country = filters.get("country") or request.query_params.get("country") or ""
    current = [(k, v) for k, v in request.query_params.multi_items() if k != "lang" and v]
    ctx = {
        "title": _(title),
        "intro": _(intro),
        "blocks": _unique_ids(blocks),
        "path": request.url.path,
        "controls": filter_form(store, filters, choices, sectors) if filters else [],
        "synthetic": synthetic(store),
        "keep": urlencode({"country": country}) if country else "",
        "keep_all": urlencode(current),
        "workspace": store.path.name,
    }
    return HTMLResponse(render_page("page.html", ctx), headers={"Cache-Control": "no-store"})


def cached_page(handler: Callable[[Request], HTMLResponse]) -> Callable[[Request], HTMLResponse]:
    """Remember each page's HTML by path, query, language and the account bar shown (shared mode): the
    workspace cannot change while it is served."""

    @functools.wraps(handler)
    def wrapper(request: Request) -> HTMLResponse:
        key = ("page", i18n.current(), request.url.path, tuple(sorted(request.query_params.multi_items())),
               account_key())

        def build() -> tuple[int, bytes]:
            response = handler(request)
            return response.status_code, bytes(response.body)

        status, body = store_of(request).remember(key, build)
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    return wrapper


# --- pages ------------------------------------------------------------------------------------------


def allies_figure(presence: Result) -> str:
    """The number of allies present (:func:`kizuna.web.datasets.is_ally`: not UN, multilateral or NGO
    groups), or a dash when the ledger has no presence rows."""
    if not presence.rows:
        return "—"
    return i18n.number(len({r["ally"] for r in presence.rows if is_ally(r.get("ally"))}))


@router.get("/", response_class=HTMLResponse)
@cached_page
def overview(request: Request) -> HTMLResponse:
    store = store_of(request)
    names = Names(store)
    filters = read_filters(request, ("country",))
    publishers = fetch(store, "publishers", filters)
    acts = fetch(store, "activities", filters)
    points = fetch(store, "activity-points", filters)
    presence = fetch(store, "presence", filters)
    # what the page derives from the rows (figures, charts, tables) is remembered with them: once per data
    # version, language and country (derived), so a request formats and serialises only what is its own
    blocks = [
        derived(
            acts.rows,
            ("overview-figures", filters["country"], publishers.total, points.total),
            lambda: figures(
                (N_("Country"), country_name(filters["country"])),
                (N_("Activities"), i18n.number(acts.total)),
                (N_("Allies"), allies_figure(presence)),
                (N_("Publishers"), i18n.number(publishers.total)),
                (N_("Mapped locations"), i18n.number(points.total)),
            ),
        ),
        remembered_chart(
            publishers.rows,
            ("allies-chart", publishers.empty_reason),
            lambda: chart_block(
                "allies-chart",
                _("Money by publisher (USD)"),
                charts.bar_spec(
                    publishers.rows,
                    "publisher_name",
                    {"committed_usd": _("Committed"), "spent_usd": _("Spent")},
                    _("Bar chart: USD committed and spent by each publisher"),
                ),
                publishers.empty_reason or N_("no money recorded"),
            ),
        ),
        activity_map(store, filters, acts.empty_reason),
        remembered_chart(
            presence.rows,
            ("ally-chart", presence.empty_reason),
            lambda: chart_block(
                "ally-chart",
                _("Disbursements by ally and sector (USD)"),
                charts.heat_spec(
                    presence.rows,
                    "ally",
                    "sector",
                    "usd_disbursements",
                    _("Heat matrix: USD disbursed by each ally in each DAC 3-digit sector"),
                    _("Ally"),
                    _("Sector"),
                    fmt=".3~s",
                ),
                presence.empty_reason,
                wide=True,
            ),
        ),
        table_block(publishers, filters, names=names),
        table_block(acts, filters, columns=ACTIVITY_COLUMNS, names=names),
    ]
    return page(
        request, N_("Overview"), N_("Who works in this country, with how much money, and where."), blocks, filters
    )


@router.get("/presence", response_class=HTMLResponse)
@cached_page
def who_does_what_where(request: Request) -> HTMLResponse:
    store = store_of(request)
    names = Names(store)
    filters = read_filters(request, ("country", "ally", "sector", "adm1"))
    matrix = fetch(store, "presence", filters)
    acts = fetch(store, "activities", filters)
    title = (
        _("Activities by ally and sector in {area}").format(area=names.area(filters["adm1"]))
        if filters["adm1"]
        else _("Activities by ally and sector")
    )
    blocks = [
        remembered_chart(  # once per data version and language where the rows are a precomputation
            matrix.rows,
            ("presence-matrix", title, matrix.empty_reason),
            lambda: chart_block(
                "matrix",
                title,
                charts.heat_spec(
                    matrix.rows,
                    "ally",
                    "sector",
                    "n_activities",
                    _("Heat matrix: number of activities by ally and DAC 3-digit sector"),
                    _("Ally"),
                    _("Sector"),
                ),
                matrix.empty_reason,
            ),
        ),
        activity_map(store, filters, acts.empty_reason),
        table_block(matrix, filters, names=names),
        table_block(acts, filters, columns=ACTIVITY_COLUMNS, names=names),
    ]
    return page(
        request,
        N_("Who does what where"),
        N_("Presence of each ally by sector and area: activities, organisations and money."),
        blocks,
        filters,
    )


OVERLAP_COLUMNS = [
    "rank",
    "score",
    "ally_a",
    "title_a",
    "ally_b",
    "title_b",
    "sector_code",
    "spatial",
    "place",
    "distance_km",
    "overlap_days",
    "text_similarity",
    "reasons",
    "activity_uid_a",
    "activity_uid_b",
]


@router.get("/overlaps", response_class=HTMLResponse)
@cached_page
def overlaps(request: Request) -> HTMLResponse:
    store = store_of(request)
    names = Names(store)
    filters = read_filters(request, ("country", "ally", "sector"))
    wanted = (request.query_params.get("pair") or "")[:20]
    result = fetch(store, "overlaps", filters)
    blocks: list[dict[str, Any]] = []
    if result.rows:
        chosen = next((r for r in result.rows if str(r["rank"]) == wanted), result.rows[0])
        uids = [chosen["activity_uid_a"], chosen["activity_uid_b"]]
        pts = {uid: fetch(store, "activity-points", {"activity": uid}).rows for uid in uids}
        spec = charts.map_spec(
            {"Activity A": pts[uids[0]], "Activity B": pts[uids[1]]},
            MAP_TOOLTIP,
            _("Map: locations of overlap pair {rank}").format(rank=chosen["rank"]),
            urls={
                "Activity A": api_url("activity-points", {"activity": uids[0]}),
                "Activity B": api_url("activity-points", {"activity": uids[1]}),
            },
        )
        blocks.append(
            {
                "kind": "pair",
                "id": "pair",
                "title": _("Pair {rank}: score {score}").format(
                    rank=chosen["rank"], score=i18n.number(chosen["score"], 3)
                ),
                "row": chosen,
                "reasons": [t.strip() for t in str(chosen.get("reasons") or "").split(";") if t.strip()],
                "choices": [
                    (str(r["rank"]), f"#{r['rank']} {r['ally_a']} × {r['ally_b']} — {(r.get('title_a') or '')[:60]}")
                    for r in result.rows[:200]
                ],
                "filters": {k: v for k, v in filters.items() if v},
            }
        )
        blocks.append(
            chart_block(
                "map", _("Map of the pair"), spec, N_("neither activity of this pair has coordinates"), kind="map"
            )
        )
        blocks.append(
            chart_block(
                "scores",
                _("Scores of the top pairs"),
                charts.score_spec(result.rows[:15], _("Bar chart: scores of the 15 best overlap candidates")),
                None,
            )
        )
    blocks.append(table_block(result, filters, columns=OVERLAP_COLUMNS, names=names))
    return page(
        request,
        N_("Overlaps"),
        N_("Pairs of activities that may duplicate each other, best first, each with its reasons."),
        blocks,
        filters,
    )


GAP_COLUMNS = [
    "rank",
    "area_name",
    "adm1",
    "adm2",
    "sector",
    "severity",
    "pin",
    "n_orgs",
    "n_activities",
    "usd",
    "usd_per_pin",
    "need_score",
    "coverage_score",
    "gap_score",
    "reason",
]


def needs_source_note(store: ReadOnlyStore, country: str | None) -> dict[str, Any] | None:
    """Which needs table the Gaps page compares with the ledger, and where it came from."""
    if store.needs_path is not None:
        return {
            "code": "needs_table",
            "message": _("Needs table: {file} (given to kizuna serve)").format(file=store.needs_path.name),
        }
    if not store.has_tables("needs_tables"):
        return None

    def find(ws: Any) -> str | None:
        from kizuna.coordinate.needs_store import current_needs_id, needs_source

        needs_id = current_needs_id(ws, country)
        return needs_source(ws, needs_id) if needs_id is not None else None

    source = store.cached(("needs-source", country), find)
    if source is None:
        return None
    return {"code": "needs_table", "message": _("Needs table: {file} (stored in the workspace)").format(file=source)}


@router.get("/gaps", response_class=HTMLResponse)
@cached_page
def gaps(request: Request) -> HTMLResponse:
    store = store_of(request)
    names = Names(store)
    filters = read_filters(request, ("country", "sector", "adm1"), "gaps")
    ranked = fetch(store, "gaps", filters)
    needs = fetch(store, "needs", {"adm1": filters["adm1"]})
    notes = fetch(store, "gap-notes", {"country": filters["country"]}).rows
    source = needs_source_note(store, filters["country"])
    blocks = [
        notes_block("gap-notes", _("What the data cannot show"), ([source] if source else []) + notes),
        chart_block(
            "gap-chart",
            _("Largest gaps (need × lack of presence)"),
            charts.gap_spec(ranked.rows[:25], _("Bar chart: gap scores of the 25 largest gaps")),
            ranked.empty_reason,
        ),
        chart_block(
            "needs-chart",
            _("Share deprived by area and dimension (vital-core survey)"),
            charts.heat_spec(
                needs.rows,
                "dimension",
                "admin1",
                "share_deprived",
                _("Heat matrix: share of people deprived by area and dimension"),
                _("Dimension"),
                _("Area"),
                fmt=".0%",
            ),
            needs.empty_reason,
        ),
        table_block(ranked, filters, columns=GAP_COLUMNS, names=names),
        table_block(needs, {"adm1": filters["adm1"]}, names=names),
    ]
    return page(
        request,
        N_("Gaps"),
        N_(
            "Where need is high and presence is low: the needs table against the ledger, "
            "and the needs the vital-core survey measured."
        ),
        blocks,
        filters,
        sectors=gap_sectors(store, filters["country"]),
    )


@router.get("/division", response_class=HTMLResponse)
@cached_page
def division(request: Request) -> HTMLResponse:
    store = store_of(request)
    names = Names(store)
    filters = read_filters(request, ("country", "ally", "sector"))
    conc = fetch(store, "division-concentration", filters)
    shares = fetch(store, "division-shares", filters)
    rca = fetch(store, "division-rca", filters)
    sig = fetch(store, "division-significance", filters)
    per = fetch(store, "division-sectors", filters)
    blocks = [
        chart_block(
            "shares-chart",
            _("Each ally's share of a sector's disbursements"),
            charts.heat_spec(
                shares.rows,
                "donor",
                "sector",
                "share",
                _("Heat matrix: share of each sector's disbursements by ally"),
                _("Ally"),
                _("Sector"),
                fmt=".0%",
            ),
            shares.empty_reason,
        ),
        chart_block(
            "hhi-chart",
            _("Concentration by sector (HHI)"),
            charts.hhi_spec(conc.rows, _("Bar chart: Herfindahl-Hirschman index of donors in each sector")),
            conc.empty_reason,
        ),
        table_block(
            conc,
            filters,
            columns=[
                "country",
                "sector",
                "n_donors",
                "usd",
                "hhi",
                "effective_donors",
                "lead_donor",
                "lead_share",
                "concentration",
                "reason",
            ],
            names=names,
        ),
        table_block(sig, filters, names=names),
        table_block(per, filters, names=names),
        table_block(rca, filters, names=names),
        table_block(shares, filters, names=names),
    ]
    return page(
        request,
        N_("Division of labour"),
        N_("Shares, concentration (HHI), significant relationships and comparative advantage of allies."),
        blocks,
        filters,
    )


INTRO_VC = N_(
    "Human security of the vital core: the Alkire–Foster headcount H, intensity A and adjusted "
    "headcount M0 with design-based 95% confidence intervals, by subgroup and over time."
)


def group_label(group_var: str) -> str:
    """A subgroup variable as the Subgroups filter offers it."""
    if group_var == "all":
        return _("whole population")
    return _("by {variable}").format(variable=heading(group_var))


def default_group(group_vars: list[str], allowed: str | None) -> str:
    """The subgroup variable /vital-core shows first: the first one that is not identifier-like by
    its name (an enumerator, a respondent's name) nor allowed as one by the spec (a spec may publish
    by such a column on purpose, but it is never the page's default); else the whole population."""
    from kizuna.measure.disclosure import kind_by_name

    allowed_set = {a.strip() for a in (allowed or "").split(",")}
    for g in group_vars:
        if g != "all" and g not in allowed_set and kind_by_name(g) is None:
            return g
    return "all"


def suppression_notes(run: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the page withholds: cells of fewer than min_cell persons and their complementary cells."""
    min_cell = run.get("min_cell")
    notes = []
    if min_cell:
        notes.append(
            {
                "code": "measure.disclosure",
                "template": N_(
                    "Groups of fewer than {min_cell} respondents are withheld (blank, marked as suppressed), "
                    "and one more group where needed so that the total minus the others cannot reveal them."
                ),
                "params": {"min_cell": i18n.number(min_cell)},
            }
        )
    hidden = sum(1 for r in rows if r.get("suppressed"))
    if hidden:
        notes.append(
            {
                "code": "measure.suppressed_rows",
                "template": N_("Suppressed rows on this page: {n}."),
                "params": {"n": i18n.number(hidden)},
            }
        )
    return notes_block("disclosure", _("Disclosure control"), notes)


@router.get("/vital-core", response_class=HTMLResponse)
@cached_page
def vital_core(request: Request) -> HTMLResponse:
    store = store_of(request)
    names = Names(store)
    filters = read_filters(request, ("group", "round"))
    groups = fetch(store, "vital-core-groups", {}).rows
    choices: dict[str, list[Option]] = {
        "group": [(str(g["group_var"]), group_label(str(g["group_var"])), False) for g in groups]
    }
    overall = fetch(store, "vital-core-estimates", {"group": "all"})
    rounds = sorted({r["round"] for r in overall.rows if r.get("round")})
    choices["round"] = [("", _("Latest round"), False)] + [
        (r, _("Round {round}").format(round=r), False) for r in rounds
    ]
    latest = filters["round"] or (rounds[-1] if rounds else None)
    runs = fetch(store, "vital-core-runs", {})
    run0 = runs.rows[0] if runs.rows else {}
    group = filters["group"] or default_group([str(g["group_var"]) for g in groups], run0.get("allowed_groupings"))
    sub = fetch(store, "vital-core-estimates", {"group": group, "round": latest})
    contrib = fetch(store, "vital-core-contributions", {"group": "all", "round": latest})
    changes = fetch(store, "vital-core-changes", {"group": group})
    if not runs.rows:
        return page(request, N_("Vital core"), INTRO_VC, [empty_block(_("Vital core"), runs.empty_reason or "")])
    run = runs.rows[0]
    h = {r["round"]: r for r in overall.rows if r["measure"] == "H" and r.get("estimate") is not None}
    blocks = [
        figures(
            (N_("Survey"), str(run.get("title") or "")),
            (N_("Poverty cut-off k"), i18n.percent(run["k"] / 100)),
            (
                N_("People in sample"),
                _("{used} of {rows}").format(used=i18n.number(run["n_used"]), rows=i18n.number(run["n_rows"])),
            ),
            *[
                (
                    _("H, round {round}").format(round=k),
                    f"{i18n.percent(v['estimate'], 1)} ({i18n.percent(v['lo'], 1)}–{i18n.percent(v['hi'], 1)})",
                )
                for k, v in h.items()
            ],
        ),
        suppression_notes(run, [*overall.rows, *sub.rows, *changes.rows]),
        chart_block(
            "trend",
            _("Change over time: H, A and M0 with 95% CIs"),
            charts.line_spec(
                [r for r in overall.rows if not r.get("suppressed")],
                "round",
                "estimate",
                "measure",
                _("Line chart: H, A and M0 by survey round with CIs"),
                _("Round"),
                _("Estimate"),
                low="lo",
                high="hi",
            ),
            overall.empty_reason,
        ),
        chart_block(
            "subgroups",
            _("Headcount H by subgroup, round {round}").format(round=latest),
            charts.interval_spec(
                [r for r in sub.rows if r["measure"] == "H" and not r.get("suppressed")],
                "group_label",
                "estimate",
                "lo",
                "hi",
                _("Dot plot: headcount ratio H with 95% CIs by subgroup"),
                _("H (share vital-core poor)"),
                heading(group) if group != "all" else _("Population"),
            ),
            sub.empty_reason,
        ),
        chart_block(
            "contrib",
            _("Contribution of each indicator to M0, round {round}").format(round=latest),
            charts.contribution_spec(contrib.rows, _("Bar chart: percentage contribution of each indicator to M0")),
            contrib.empty_reason,
        ),
        table_block(overall, {"group": "all"}, title=_("Estimates (whole population)"), names=names),
        table_block(
            sub,
            {"group": group, "round": latest},
            title=_("Estimates by subgroup ({group})").format(group=group_label(group)),
            names=names,
        ),
        table_block(contrib, {"group": "all", "round": latest}, names=names),
        table_block(changes, {"group": group}, names=names),
        table_block(runs, {}, names=names),
    ]
    return page(request, N_("Vital core"), INTRO_VC, blocks, {**filters, "group": group}, choices)


INTRO_SCREEN = N_(
    "Do-no-harm risk registers of proposed projects: each rule that fired and why, its impact × "
    "likelihood, the project's category and the mitigations."
)
RISK_COLUMNS = [
    "rule_id",
    "family",
    "significance",
    "score",
    "impact",
    "likelihood",
    "question",
    "why",
    "mitigation",
    "source",
]


def _screening_category(reg: dict[str, Any]) -> str:
    """A register's category in the reader's language; unanswered questions keep it from a clean result."""
    name = code_name("screen.significance", str(reg["category"])) or ""
    if reg.get("n_gaps"):
        return _("{category} (assessment incomplete)").format(category=name)
    return name


def _rule_text_table(
    result: Result, filters: Mapping[str, str | None], columns: list[str] | None, names: Names
) -> dict[str, Any]:
    """A table of risks or unknowns whose questions and mitigations are in the reader's language where the
    shipped catalogue has them (:func:`kizuna.screen.rules.reader_row`): UI text then, not ``translate="no"``."""
    from kizuna.screen.rules import reader_row

    shown = [reader_row(r) for r in result.rows]
    rows = [r for r, _done in shown]
    block = table_block(dataclasses.replace(result, rows=rows), filters, columns=columns, names=names)
    data = result.rows
    cols = [c for c in columns if not data or c in data[0]] if columns else (list(data[0]) if data else [])
    block["rows"] = [list(r) for r in block["rows"]]  # a copy: rows may be shared (table_block)
    block["body"] = None  # changed below: rendered from the rows
    for cells, (_row, done) in zip(block["rows"], shown, strict=False):
        for k, col in enumerate(cols):
            if col in done:
                cells[k] = {**cells[k], "data": False}  # a copy: cells may be shared (table_cell)
    return block


@router.get("/screening", response_class=HTMLResponse)
@cached_page
def screening(request: Request) -> HTMLResponse:
    store = store_of(request)
    names = Names(store)
    filters = read_filters(request, ("register",))
    registers = fetch(store, "screening-registers", {})
    if not registers.rows:
        return page(request, N_("Screening"), INTRO_SCREEN, [empty_block(_("Screening"), registers.empty_reason or "")])
    choices: dict[str, list[Option]] = {
        "register": [
            (
                str(r["register_id"]),
                f"#{r['register_id']} {r['proposal_id']} — {_screening_category(r)}",
                True,
            )
            for r in registers.rows
        ]
    }
    reg_id = filters["register"] or str(registers.rows[0]["register_id"])
    # read_filters has checked the register against the workspace's (register.absent otherwise)
    reg = next(r for r in registers.rows if str(r["register_id"]) == reg_id)
    chosen = {"register": reg_id}
    risks = fetch(store, "screening-risks", chosen)
    unknown = fetch(store, "screening-gaps", chosen)
    site = fetch(store, "screening-site", chosen)
    communities = fetch(store, "screening-communities", chosen)
    events = fetch(store, "screening-events", chosen)
    missing = (
        None if site.rows else N_("the proposal file is not beside the workspace's record of it (moved or changed)")
    )
    spec = charts.map_spec(
        {"Project site": site.rows, "Communities": communities.rows, "Events": events.rows},
        MAP_TOOLTIP,
        _("Map: the project site, communities and conflict events near it"),
        urls={
            "Project site": api_url("screening-site", chosen, limit=MAP_POINTS),
            "Communities": api_url("screening-communities", chosen, limit=MAP_POINTS),
            "Events": api_url("screening-events", chosen, limit=MAP_POINTS),
        },
    )
    blocks = [
        figures(
            (N_("Proposal"), str(reg["proposal_id"])),
            (N_("Project type"), code_name("screen.project_type", str(reg["project_type"])) or ""),
            (N_("Category"), _screening_category(reg)),
            (N_("Risks"), i18n.number(reg["n_risks"])),
            (N_("Unknowns"), i18n.number(reg["n_gaps"])),
        ),
        chart_block("map", _("Map of the site, communities and events"), spec, missing, kind="map"),
        chart_block(
            "risk-chart",
            _("Risks by impact and likelihood"),
            charts.risk_spec(risks.rows, _("Scatter: each risk's impact against its likelihood")),
            risks.empty_reason,
        ),
        _rule_text_table(risks, chosen, RISK_COLUMNS, names),
        _rule_text_table(unknown, chosen, None, names),
        table_block(registers, {}, names=names),
        table_block(communities, chosen, names=names),
        table_block(events, chosen, names=names),
    ]
    return page(request, N_("Screening"), INTRO_SCREEN, blocks, filters, choices)


@router.get("/sources", response_class=HTMLResponse)
@cached_page
def sources(request: Request) -> HTMLResponse:
    store = store_of(request)
    result = fetch(store, "sources", {})
    return page(
        request,
        N_("Sources"),
        N_("The provenance of every import: file, checksum, publisher, counts, time."),
        [table_block(result, {}, names=Names(store))],
    )


@router.get("/api", response_class=HTMLResponse)
def api_page(request: Request) -> HTMLResponse:
    store = store_of(request)
    rows = [
        {
            "endpoint": f"/api/v1/{d.name}",
            "title": _(d.title),
            "filters": ", ".join(d.filters) or "—",
            "ready": ready(store, d),
        }
        for d in DATASETS.values()
    ]
    return page(
        request,
        N_("API"),
        N_(
            "A read-only JSON API with the data of every page. The OpenAPI document is at "
            "/api/v1/openapi.json; lists take limit and offset and return total; add format=csv or "
            "format=xlsx to download."
        ),
        [{"kind": "endpoints", "id": "endpoints", "title": _("Endpoints"), "rows": rows}],
    )
