"""Server-rendered pages. Each page is a list of blocks (figures, charts, maps, tables, empty states)
built from datasets (:mod:`kizuna.web.datasets`); a table's downloads are the API's CSV/XLSX.

Filters are a plain GET form, so every view has a URL to share and works without JavaScript;
``static/app.js`` submits the form when a control changes and draws the charts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kizuna.errors import KizunaError, Where
from kizuna.web import charts
from kizuna.web.datasets import DATASETS, FILTERS, Result, fetch, ready, synthetic
from kizuna.web.render import render_page
from kizuna.web.store import ReadOnlyStore

router = APIRouter(include_in_schema=False)

TABLE_ROWS = 100  # rows a page shows; downloads carry all of them
MAX_FILTER_LEN = 200
SYNTHETIC_COUNTRIES = {"XZ": "Republic of Kaltara (synthetic)"}


def country_name(code: str | None, name: str | None = None) -> str:
    if not code:
        return "All countries"
    if code in SYNTHETIC_COUNTRIES:
        return SYNTHETIC_COUNTRIES[code]
    if name:
        return f"{name} ({code})"
    try:
        import pycountry

        c = pycountry.countries.get(alpha_2=code)
        return f"{c.name} ({code})" if c else code
    except (ImportError, LookupError):
        return code


def read_filters(request: Request, names: tuple[str, ...]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in names:
        value = request.query_params.get(name)
        if value is not None and len(value) > MAX_FILTER_LEN:
            raise KizunaError(
                "request.invalid",
                f"the filter is longer than {MAX_FILTER_LEN} characters",
                Where(field=name),
                hint="choose a value from the list",
                status=422,
            )
        out[name] = value.strip() or None if value is not None else None
    return out


def _download_urls(name: str, filters: dict[str, str | None]) -> dict[str, str]:
    ds = DATASETS[name]
    kept = {k: v for k, v in filters.items() if v and k in ds.filters}
    return {fmt: f"/api/v1/{name}?{urlencode({**kept, 'format': fmt})}" for fmt in ("csv", "xlsx")}


def table_block(
    result: Result,
    filters: dict[str, str | None],
    title: str | None = None,
    columns: list[str] | None = None,
    rows: int = TABLE_ROWS,
) -> dict[str, Any]:
    data = result.rows
    cols = columns or (list(data[0].keys()) if data else [])
    return {
        "kind": "table",
        "id": result.dataset.name,
        "title": title or result.dataset.title,
        "description": result.dataset.description,
        "columns": cols,
        "rows": [[r.get(c) for c in cols] for r in data[:rows]],
        "total": result.total,
        "empty": result.empty_reason,
        "downloads": _download_urls(result.dataset.name, filters),
        "api": f"/api/v1/{result.dataset.name}",
    }


def chart_block(
    block_id: str, title: str, spec: dict[str, Any] | None, empty: str, kind: str = "chart"
) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": block_id,
        "title": title,
        "spec": spec,
        "empty": empty,
        "label": (spec or {}).get("description", title),
    }


def empty_block(title: str, message: str) -> dict[str, Any]:
    return {"kind": "empty", "title": title, "empty": message}


def _options(rows: list[dict[str, Any]], value: str, label: Any, all_label: str) -> list[tuple[str, str]]:
    return [("", all_label)] + [(str(r[value]), label(r)) for r in rows if r.get(value) is not None]


def filter_form(store: ReadOnlyStore, filters: dict[str, str | None]) -> list[dict[str, Any]]:
    """The form controls for ``filters`` (selects listing what the workspace holds; a text box for q)."""
    country = filters.get("country")
    controls = []
    for name, value in filters.items():
        f = FILTERS[name]
        control: dict[str, Any] = {
            "name": name,
            "label": f.label,
            "value": value or "",
            "help": f.description,
        }
        if name == "country":
            rows = fetch(store, "countries", {}).rows
            control["options"] = _options(
                rows,
                "country",
                lambda r: f"{country_name(r['country'], r.get('name'))} — {r['activities']:,} activities",
                "All countries",
            )
        elif name == "publisher":
            rows = fetch(store, "allies", {"country": country}).rows
            control["options"] = _options(
                rows, "publisher_ref", lambda r: r.get("publisher_name") or r["publisher_ref"], "All allies"
            )
        elif name == "sector":
            rows = fetch(store, "sectors", {"country": country}).rows
            control["options"] = _options(
                rows, "sector", lambda r: f"{r['sector']} {r.get('name') or ''}".strip(), "All sectors"
            )
        elif name == "adm1":
            rows = fetch(store, "areas", {"country": country}).rows
            control["options"] = _options(rows, "adm1", lambda r: r["adm1"], "All areas")
        if "options" in control and value and all(v != value for v, _ in control["options"]):
            control["options"].append((value, f"{value} (no data)"))
        controls.append(control)
    return controls


def page(
    request: Request,
    title: str,
    intro: str,
    blocks: list[dict[str, Any]],
    filters: dict[str, str | None] | None = None,
    status: int = 200,
) -> HTMLResponse:
    store: ReadOnlyStore = request.app.state.store
    filters = filters or {}
    keep = {"country": filters.get("country") or request.query_params.get("country") or ""}
    ctx = {
        "title": title,
        "intro": intro,
        "blocks": blocks,
        "path": request.url.path,
        "controls": filter_form(store, filters) if filters else [],
        "synthetic": synthetic(store),
        "keep": urlencode(keep) if keep["country"] else "",
        "workspace": store.path.name,
    }
    return HTMLResponse(render_page("page.html", ctx), status_code=status, headers={"Cache-Control": "no-store"})


MAP_POINTS = 1000  # the API's page limit: a map loads one page of points


def activity_map(store: ReadOnlyStore, filters: dict[str, str | None], empty: str) -> dict[str, Any]:
    """The map of activity locations; the browser loads the points from the API with these filters."""
    points = fetch(store, "activity-points", filters)
    kept = {k: v for k, v in filters.items() if v}
    url = f"/api/v1/activity-points?{urlencode({**kept, 'limit': MAP_POINTS})}"
    spec = charts.map_spec(
        {"Activities": points.rows}, MAP_TOOLTIP, "Map: activity locations as points", urls={"Activities": url}
    )
    title = "Map of activities"
    if points.total > MAP_POINTS:
        title += f" (the first {MAP_POINTS:,} of {points.total:,} locations: filter to see the rest)"
    return chart_block("map", title, spec, points.empty_reason or empty, kind="map")


def cached_page(handler: Callable[[Request], HTMLResponse]) -> Callable[[Request], HTMLResponse]:
    """Remember each page's HTML by path and query: the workspace cannot change while it is served."""

    @functools.wraps(handler)
    def wrapper(request: Request) -> HTMLResponse:
        store: ReadOnlyStore = request.app.state.store
        key = ("page", request.url.path, tuple(sorted(request.query_params.multi_items())))

        def build() -> tuple[int, bytes]:
            response = handler(request)
            return response.status_code, bytes(response.body)

        status, body = store.remember(key, build)
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    return wrapper


MAP_TOOLTIP = {"Activities": ["title", "publisher_name", "place", "adm1"]}
ACTIVITY_COLUMNS = ["title", "publisher_name", "status", "start_date", "end_date", "countries", "sectors", "spend_usd"]


@router.get("/", response_class=HTMLResponse)
@cached_page
def overview(request: Request) -> HTMLResponse:
    store: ReadOnlyStore = request.app.state.store
    filters = read_filters(request, ("country",))
    allies = fetch(store, "allies", filters)
    acts = fetch(store, "activities", filters)
    blocks = [
        {
            "kind": "figures",
            "items": [
                ("Country", country_name(filters["country"])),
                ("Activities", f"{acts.total:,}"),
                ("Allies", f"{allies.total:,}"),
                ("Mapped locations", f"{fetch(store, 'activity-points', filters).total:,}"),
            ],
        },
        chart_block(
            "allies-chart",
            "Money by ally (USD)",
            charts.bar_spec(
                allies.rows,
                "publisher_name",
                {"committed_usd": "Committed", "spent_usd": "Spent"},
                "Bar chart: USD committed and spent by each ally",
                "Ally",
            ),
            allies.empty_reason or "no money recorded",
        ),
        activity_map(store, filters, acts.empty_reason or "no activity has coordinates"),
        table_block(allies, filters),
        table_block(
            acts,
            filters,
            columns=ACTIVITY_COLUMNS,
        ),
    ]
    return page(request, "Overview", "Who works in this country, with how much money, and where.", blocks, filters)


@router.get("/presence", response_class=HTMLResponse)
@cached_page
def presence(request: Request) -> HTMLResponse:
    store: ReadOnlyStore = request.app.state.store
    filters = read_filters(request, ("country", "publisher", "sector", "adm1"))
    matrix = fetch(store, "presence", filters)
    acts = fetch(store, "activities", filters)
    blocks = [
        chart_block(
            "matrix",
            "Activities by area and ally",
            charts.heat_spec(
                matrix.rows,
                "publisher_name",
                "adm1",
                "activities",
                "Heat matrix: number of activities by area and ally",
                "Ally",
                "Area",
            ),
            matrix.empty_reason or "nothing matches these filters",
        ),
        activity_map(store, filters, acts.empty_reason or "no activity here has coordinates"),
        table_block(matrix, filters),
        table_block(
            acts,
            filters,
            columns=ACTIVITY_COLUMNS,
        ),
    ]
    return page(request, "Who does what where", "Presence of each ally by area, sector and time.", blocks, filters)


def _not_yet(request: Request, title: str, intro: str, message: str) -> HTMLResponse:
    return page(request, title, intro, [empty_block(title, message)])


@router.get("/overlaps", response_class=HTMLResponse)
def overlaps(request: Request) -> HTMLResponse:
    return _not_yet(
        request,
        "Overlaps",
        "Pairs of activities that may duplicate each other, with reasons.",
        "no overlap analysis yet — run `kizuna coordinate` (needs the coordinate part)",
    )


@router.get("/gaps", response_class=HTMLResponse)
def gaps(request: Request) -> HTMLResponse:
    return _not_yet(
        request,
        "Gaps",
        "Where need is high and presence is low.",
        "no gap analysis yet — run `kizuna coordinate` with a needs table",
    )


@router.get("/division", response_class=HTMLResponse)
def division(request: Request) -> HTMLResponse:
    return _not_yet(
        request,
        "Division of labour",
        "Shares, concentration (HHI) and comparative advantage.",
        "no division-of-labour figures yet — run `kizuna coordinate`",
    )


@router.get("/vital-core", response_class=HTMLResponse)
def vital_core(request: Request) -> HTMLResponse:
    return _not_yet(
        request,
        "Vital core",
        "Human security of the vital core: Alkire–Foster estimates with CIs.",
        "no vital-core results yet — run `kizuna measure`",
    )


@router.get("/screening", response_class=HTMLResponse)
def screening(request: Request) -> HTMLResponse:
    return _not_yet(
        request,
        "Screening",
        "Do-no-harm risk registers of proposed projects.",
        "no screening registers yet — run `kizuna screen`",
    )


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request) -> HTMLResponse:
    store: ReadOnlyStore = request.app.state.store
    result = fetch(store, "sources", {})
    return page(
        request,
        "Sources",
        "The provenance of every import: file, checksum, publisher, counts, time.",
        [table_block(result, {})],
    )


@router.get("/api", response_class=HTMLResponse)
def api_page(request: Request) -> HTMLResponse:
    store: ReadOnlyStore = request.app.state.store
    rows = [
        {
            "endpoint": f"/api/v1/{d.name}",
            "title": d.title,
            "filters": ", ".join(d.filters) or "—",
            "ready": ready(store, d),
        }
        for d in DATASETS.values()
    ]
    block = {"kind": "endpoints", "title": "Endpoints", "rows": rows}
    return page(
        request,
        "API",
        "A read-only JSON API with the data of every page. The OpenAPI document is at "
        "/api/v1/openapi.json; lists take limit and offset and return total; add format=csv or "
        "format=xlsx to download.",
        [block],
    )
