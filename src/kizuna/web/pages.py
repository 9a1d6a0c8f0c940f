"""Server-rendered pages. Each page is a list of blocks (figures, charts, maps, tables, empty states)
built from datasets (:mod:`kizuna.web.datasets`); a table's downloads are the API's CSV/XLSX.

Filters are a plain GET form, so every view has a URL to share and works without JavaScript;
``static/app.js`` submits the form when a control changes and draws the charts. Maps load their
points from the API with the page's filters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kizuna import i18n
from kizuna.errors import KizunaError, Where
from kizuna.web import charts
from kizuna.web.datasets import DATASETS, FILTERS, Result, fetch, ready, synthetic
from kizuna.web.render import render_page
from kizuna.web.store import ReadOnlyStore

router = APIRouter(include_in_schema=False)

TABLE_ROWS = 100  # rows a page shows; downloads carry all of them
MAX_FILTER_LEN = 200
MAP_POINTS = 1000  # the API's page limit: a map loads one page of points
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
        out[name] = (value.strip() or None) if value is not None else None
    return out


def store_of(request: Request) -> ReadOnlyStore:
    return request.app.state.store


def api_url(name: str, filters: Mapping[str, str | None], **extra: Any) -> str:
    ds = DATASETS[name]
    kept = {k: v for k, v in filters.items() if v and k in ds.filters}
    return f"/api/v1/{name}?{urlencode({**kept, **extra})}"


# --- blocks ------------------------------------------------------------------------------------


def table_block(
    result: Result,
    filters: Mapping[str, str | None],
    title: str | None = None,
    columns: list[str] | None = None,
    rows: int = TABLE_ROWS,
) -> dict[str, Any]:
    data = result.rows
    cols = [c for c in columns if not data or c in data[0]] if columns else (list(data[0]) if data else [])
    return {
        "kind": "table",
        "id": result.dataset.name,
        "title": title or result.dataset.title,
        "description": result.dataset.description,
        "columns": cols,
        "rows": [[r.get(c) for c in cols] for r in data[:rows]],
        "total": result.total,
        "empty": result.empty_reason,
        "downloads": {f: api_url(result.dataset.name, filters, format=f) for f in ("csv", "xlsx")},
        "api": api_url(result.dataset.name, filters),
    }


def chart_block(
    block_id: str, title: str, spec: dict[str, Any] | None, empty: str | None, kind: str = "chart", wide: bool = False
) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": block_id,
        "title": title,
        "spec": spec,
        "empty": empty or "nothing to draw",
        "label": (spec or {}).get("description", title),
        "wide": wide,
    }


def notes_block(block_id: str, title: str, notes: list[dict[str, Any]]) -> dict[str, Any]:
    """Statements ({code, message}) a person should read before the tables: what the data cannot show."""
    return {"kind": "notes", "id": block_id, "title": title, "notes": notes}


def empty_block(title: str, message: str) -> dict[str, Any]:
    return {"kind": "empty", "title": title, "empty": message}


def figures(*items: tuple[str, str]) -> dict[str, Any]:
    return {"kind": "figures", "items": list(items)}


def activity_map(
    store: ReadOnlyStore, filters: dict[str, str | None], empty: str | None, title: str = "Map of activities"
) -> dict[str, Any]:
    """The map of activity locations over the workspace's admin boundaries (:mod:`kizuna.geo`): the
    browser loads the points from the API with these filters; the areas carry their names as tooltips,
    and the admin-1 areas are labelled. With no country chosen only admin-1 areas are drawn (pages
    stay small); with one, its finest level."""
    from kizuna.geo.areas import boundary_shapes

    points = fetch(store, "activity-points", filters)
    country = filters.get("country")
    if store.has_tables("admin_areas"):
        shapes = store.cached(
            ("boundary-shapes", country), lambda ws: boundary_shapes(ws, country, None if country else 1)
        )
        admin1 = store.cached(("boundary-shapes", country, 1), lambda ws: boundary_shapes(ws, country, 1))
    else:
        shapes = admin1 = {"type": "FeatureCollection", "features": []}
    labels = [
        {"name": f["properties"]["name"], "lon": f["properties"]["label_lon"], "lat": f["properties"]["label_lat"]}
        for f in admin1["features"]
        if f["properties"].get("label_lon") is not None
    ]
    spec = charts.map_spec(
        {"Activities": points.rows},
        MAP_TOOLTIP,
        "Map: activity locations as points over admin areas",
        urls={"Activities": api_url("activity-points", filters, limit=MAP_POINTS)},
        shapes=shapes,
        labels=labels,
    )
    if points.total > MAP_POINTS:
        title += f" (the first {MAP_POINTS:,} of {points.total:,} locations: filter to see the rest)"
    elif not points.rows and shapes["features"]:
        title += f" — {empty or points.empty_reason or 'no activity here has coordinates'}; admin areas shown"
    return chart_block("map", title, spec, points.empty_reason or empty, kind="map")


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


def _options(
    rows: list[dict[str, Any]], value: str, label: Callable[[dict[str, Any]], str], all_label: str | None
) -> list[tuple[str, str]]:
    head = [("", all_label)] if all_label else []
    return head + [(str(r[value]), label(r)) for r in rows if r.get(value) is not None]


def _unique(rows: list[dict[str, Any]], *columns: str) -> list[dict[str, Any]]:
    seen = sorted({r[c] for r in rows for c in columns if r.get(c)})
    return [{"v": v} for v in seen]


def filter_form(
    store: ReadOnlyStore, filters: dict[str, str | None], choices: dict[str, list[tuple[str, str]]] | None = None
) -> list[dict[str, Any]]:
    """Form controls for ``filters``: selects listing what the workspace holds (or ``choices``)."""
    country = filters.get("country")
    controls = []
    for name, value in filters.items():
        f = FILTERS[name]
        control: dict[str, Any] = {"name": name, "label": f.label, "value": value or "", "help": f.description}
        if choices and name in choices:
            control["options"] = choices[name]
        elif name == "country":
            control["options"] = _options(
                fetch(store, "countries", {}).rows,
                "country",
                lambda r: f"{country_name(r['country'], r.get('name'))} — {r['activities']:,} activities",
                "All countries",
            )
        elif name == "publisher":
            control["options"] = _options(
                fetch(store, "publishers", {"country": country}).rows,
                "publisher_ref",
                lambda r: r.get("publisher_name") or r["publisher_ref"],
                "All publishers",
            )
        elif name == "ally":
            rows = fetch(store, "presence", {"country": country}).rows
            control["options"] = _options(_unique(rows, "ally"), "v", lambda r: r["v"], "All allies")
        elif name == "sector":
            control["options"] = _options(
                fetch(store, "sectors", {"country": country}).rows,
                "sector",
                lambda r: f"{r['sector']} {r.get('name') or ''}".strip(),
                "All sectors",
            )
        elif name == "adm1":
            control["options"] = _options(
                fetch(store, "areas", {"country": country}).rows, "adm1", lambda r: r["adm1"], "All areas"
            )
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
    choices: dict[str, list[tuple[str, str]]] | None = None,
) -> HTMLResponse:
    store = store_of(request)
    filters = filters or {}
    country = filters.get("country") or request.query_params.get("country") or ""
    ctx = {
        "title": title,
        "intro": intro,
        "blocks": blocks,
        "path": request.url.path,
        "controls": filter_form(store, filters, choices) if filters else [],
        "synthetic": synthetic(store),
        "keep": urlencode({"country": country}) if country else "",
        "workspace": store.path.name,
    }
    return HTMLResponse(render_page("page.html", ctx), headers={"Cache-Control": "no-store"})


def cached_page(handler: Callable[[Request], HTMLResponse]) -> Callable[[Request], HTMLResponse]:
    """Remember each page's HTML by path, query and language: the workspace cannot change while it is served."""

    @functools.wraps(handler)
    def wrapper(request: Request) -> HTMLResponse:
        key = ("page", i18n.current(), request.url.path, tuple(sorted(request.query_params.multi_items())))

        def build() -> tuple[int, bytes]:
            response = handler(request)
            return response.status_code, bytes(response.body)

        status, body = store_of(request).remember(key, build)
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    return wrapper


# --- pages ------------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
@cached_page
def overview(request: Request) -> HTMLResponse:
    store = store_of(request)
    filters = read_filters(request, ("country",))
    publishers = fetch(store, "publishers", filters)
    acts = fetch(store, "activities", filters)
    points = fetch(store, "activity-points", filters)
    presence = fetch(store, "presence", filters)
    allies = sorted({r["ally"] for r in presence.rows if r.get("ally")})
    blocks = [
        figures(
            ("Country", country_name(filters["country"])),
            ("Activities", f"{acts.total:,}"),
            ("Allies", f"{len(allies):,}" if presence.rows else "—"),
            ("Publishers", f"{publishers.total:,}"),
            ("Mapped locations", f"{points.total:,}"),
        ),
        chart_block(
            "allies-chart",
            "Money by publisher (USD)",
            charts.bar_spec(
                publishers.rows,
                "publisher_name",
                {"committed_usd": "Committed", "spent_usd": "Spent"},
                "Bar chart: USD committed and spent by each publisher",
            ),
            publishers.empty_reason or "no money recorded",
        ),
        activity_map(store, filters, acts.empty_reason or "no activity has coordinates"),
        chart_block(
            "ally-chart",
            "Disbursements by ally and sector (USD)",
            charts.heat_spec(
                presence.rows,
                "ally",
                "sector",
                "usd_disbursements",
                "Heat matrix: USD disbursed by each ally in each DAC 3-digit sector",
                "Ally",
                "Sector",
                fmt=".3~s",
            ),
            presence.empty_reason,
            wide=True,
        ),
        table_block(publishers, filters),
        table_block(acts, filters, columns=ACTIVITY_COLUMNS),
    ]
    return page(request, "Overview", "Who works in this country, with how much money, and where.", blocks, filters)


@router.get("/presence", response_class=HTMLResponse)
@cached_page
def who_does_what_where(request: Request) -> HTMLResponse:
    store = store_of(request)
    filters = read_filters(request, ("country", "ally", "sector", "adm1"))
    matrix = fetch(store, "presence", filters)
    acts = fetch(store, "activities", filters)
    where = f" in {filters['adm1']}" if filters["adm1"] else ""
    blocks = [
        chart_block(
            "matrix",
            f"Activities by ally and sector{where}",
            charts.heat_spec(
                matrix.rows,
                "ally",
                "sector",
                "n_activities",
                "Heat matrix: number of activities by ally and DAC 3-digit sector",
                "Ally",
                "Sector",
            ),
            matrix.empty_reason,
        ),
        activity_map(store, filters, acts.empty_reason or "no activity here has coordinates"),
        table_block(matrix, filters),
        table_block(acts, filters, columns=ACTIVITY_COLUMNS),
    ]
    return page(
        request,
        "Who does what where",
        "Presence of each ally by sector and area: activities, organisations and money.",
        blocks,
        filters,
    )


@router.get("/overlaps", response_class=HTMLResponse)
@cached_page
def overlaps(request: Request) -> HTMLResponse:
    store = store_of(request)
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
            f"Map: locations of overlap pair {chosen['rank']}",
            urls={
                "Activity A": api_url("activity-points", {"activity": uids[0]}),
                "Activity B": api_url("activity-points", {"activity": uids[1]}),
            },
        )
        blocks.append(
            {
                "kind": "pair",
                "id": "pair",
                "title": f"Pair {chosen['rank']}: score {chosen['score']:.3f}",
                "row": chosen,
                "choices": [
                    (str(r["rank"]), f"#{r['rank']} {r['ally_a']} × {r['ally_b']} — {(r.get('title_a') or '')[:60]}")
                    for r in result.rows[:200]
                ],
                "filters": {k: v for k, v in filters.items() if v},
            }
        )
        blocks.append(
            chart_block("map", "Map of the pair", spec, "neither activity of this pair has coordinates", kind="map")
        )
        blocks.append(
            chart_block(
                "scores",
                "Scores of the top pairs",
                charts.score_spec(result.rows[:15], "Bar chart: scores of the 15 best overlap candidates"),
                None,
            )
        )
    blocks.append(
        table_block(
            result,
            filters,
            columns=[
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
            ],
        )
    )
    return page(
        request,
        "Overlaps",
        "Pairs of activities that may duplicate each other, best first, each with its reasons.",
        blocks,
        filters,
    )


@router.get("/gaps", response_class=HTMLResponse)
@cached_page
def gaps(request: Request) -> HTMLResponse:
    store = store_of(request)
    filters = read_filters(request, ("country", "sector", "adm1"))
    ranked = fetch(store, "gaps", filters)
    needs = fetch(store, "needs", {"adm1": filters["adm1"]})
    notes = fetch(store, "gap-notes", {"country": filters["country"]})
    blocks = [
        notes_block("gap-notes", "What the data cannot show", notes.rows),
        chart_block(
            "gap-chart",
            "Largest gaps (need × lack of presence)",
            charts.gap_spec(ranked.rows[:25], "Bar chart: gap scores of the 25 largest gaps"),
            ranked.empty_reason,
        ),
        chart_block(
            "needs-chart",
            "Share deprived by area and dimension (vital-core survey)",
            charts.heat_spec(
                needs.rows,
                "dimension",
                "admin1",
                "share_deprived",
                "Heat matrix: share of people deprived by area and dimension",
                "Dimension",
                "Area",
                fmt=".0%",
            ),
            needs.empty_reason,
        ),
        table_block(
            ranked,
            filters,
            columns=[
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
            ],
        ),
        table_block(needs, {"adm1": filters["adm1"]}),
    ]
    return page(
        request,
        "Gaps",
        "Where need is high and presence is low: the needs table against the ledger, "
        "and the needs the vital-core survey measured.",
        blocks,
        filters,
    )


@router.get("/division", response_class=HTMLResponse)
@cached_page
def division(request: Request) -> HTMLResponse:
    store = store_of(request)
    filters = read_filters(request, ("country", "ally", "sector"))
    conc = fetch(store, "division-concentration", filters)
    shares = fetch(store, "division-shares", filters)
    rca = fetch(store, "division-rca", filters)
    sig = fetch(store, "division-significance", filters)
    per = fetch(store, "division-sectors", filters)
    blocks = [
        chart_block(
            "shares-chart",
            "Each ally's share of a sector's disbursements",
            charts.heat_spec(
                shares.rows,
                "donor",
                "sector",
                "share",
                "Heat matrix: share of each sector's disbursements by ally",
                "Ally",
                "Sector",
                fmt=".0%",
            ),
            shares.empty_reason,
        ),
        chart_block(
            "hhi-chart",
            "Concentration by sector (HHI)",
            charts.hhi_spec(conc.rows, "Bar chart: Herfindahl-Hirschman index of donors in each sector"),
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
        ),
        table_block(sig, filters),
        table_block(per, filters),
        table_block(rca, filters),
        table_block(shares, filters),
    ]
    return page(
        request,
        "Division of labour",
        "Shares, concentration (HHI), significant relationships and comparative advantage of allies.",
        blocks,
        filters,
    )


@router.get("/vital-core", response_class=HTMLResponse)
@cached_page
def vital_core(request: Request) -> HTMLResponse:
    store = store_of(request)
    filters = read_filters(request, ("group", "round"))
    groups = fetch(store, "vital-core-groups", {}).rows
    choices = {
        "group": _options(
            groups,
            "group_var",
            lambda r: "whole population" if r["group_var"] == "all" else f"by {r['group_var']}",
            None,
        )
    }
    overall = fetch(store, "vital-core-estimates", {"group": "all"})
    rounds = sorted({r["round"] for r in overall.rows if r.get("round")})
    choices["round"] = [("", "Latest round")] + [(r, f"Round {r}") for r in rounds]
    latest = filters["round"] or (rounds[-1] if rounds else None)
    group = filters["group"] or next((g["group_var"] for g in groups if g["group_var"] != "all"), "all")
    sub = fetch(store, "vital-core-estimates", {"group": group, "round": latest})
    contrib = fetch(store, "vital-core-contributions", {"group": "all", "round": latest})
    changes = fetch(store, "vital-core-changes", {"group": group})
    runs = fetch(store, "vital-core-runs", {})
    if not runs.rows:
        return page(request, "Vital core", INTRO_VC, [empty_block("Vital core", runs.empty_reason or "")])
    run = runs.rows[0]
    h = {r["round"]: r for r in overall.rows if r["measure"] == "H"}
    blocks = [
        figures(
            ("Survey", str(run.get("title") or "")),
            ("Poverty cut-off k", f"{run['k']:g}%"),
            ("People in sample", f"{run['n_used']:,} of {run['n_rows']:,}"),
            *[(f"H, round {k}", f"{v['estimate']:.1%} ({v['lo']:.1%}–{v['hi']:.1%})") for k, v in h.items()],
        ),
        chart_block(
            "trend",
            "Change over time: H, A and M0 with 95% CIs",
            charts.line_spec(
                overall.rows,
                "round",
                "estimate",
                "measure",
                "Line chart: H, A and M0 by survey round with CIs",
                "Round",
                "Estimate",
                low="lo",
                high="hi",
            ),
            overall.empty_reason,
        ),
        chart_block(
            "subgroups",
            f"Headcount H by subgroup, round {latest}",
            charts.interval_spec(
                [r for r in sub.rows if r["measure"] == "H"],
                "group_label",
                "estimate",
                "lo",
                "hi",
                "Dot plot: headcount ratio H with 95% CIs by subgroup",
                "H (share vital-core poor)",
                group if group != "all" else "Population",
            ),
            sub.empty_reason,
        ),
        chart_block(
            "contrib",
            f"Contribution of each indicator to M0, round {latest}",
            charts.contribution_spec(contrib.rows, "Bar chart: percentage contribution of each indicator to M0"),
            contrib.empty_reason,
        ),
        table_block(overall, {"group": "all"}, title="Estimates (whole population)"),
        table_block(sub, {"group": group, "round": latest}, title=f"Estimates by subgroup ({group})"),
        table_block(contrib, {"group": "all", "round": latest}),
        table_block(changes, {"group": group}),
        table_block(runs, {}),
    ]
    return page(request, "Vital core", INTRO_VC, blocks, {**filters, "group": group}, choices)


INTRO_VC = (
    "Human security of the vital core: the Alkire–Foster headcount H, intensity A and adjusted "
    "headcount M0 with design-based 95% confidence intervals, by subgroup and over time."
)


@router.get("/screening", response_class=HTMLResponse)
@cached_page
def screening(request: Request) -> HTMLResponse:
    store = store_of(request)
    filters = read_filters(request, ("register",))
    registers = fetch(store, "screening-registers", {})
    if not registers.rows:
        return page(request, "Screening", INTRO_SCREEN, [empty_block("Screening", registers.empty_reason or "")])
    choices = {
        "register": [
            (str(r["register_id"]), f"#{r['register_id']} {r['proposal_id']} — {r['category']}") for r in registers.rows
        ]
    }
    reg_id = filters["register"] or str(registers.rows[0]["register_id"])
    reg = next((r for r in registers.rows if str(r["register_id"]) == reg_id), None)
    if reg is None:
        raise KizunaError(
            "screen.no_register",
            f"no screening register {reg_id}",
            Where(field="register"),
            hint="choose one from the list",
            status=404,
        )
    chosen = {"register": reg_id}
    risks = fetch(store, "screening-risks", chosen)
    unknown = fetch(store, "screening-gaps", chosen)
    site = fetch(store, "screening-site", chosen)
    communities = fetch(store, "screening-communities", chosen)
    events = fetch(store, "screening-events", chosen)
    missing = "" if site.rows else "the proposal file is not beside the workspace's record of it (moved or changed)"
    spec = charts.map_spec(
        {"Project site": site.rows, "Communities": communities.rows, "Events": events.rows},
        MAP_TOOLTIP,
        "Map: the project site, communities and conflict events near it",
        urls={
            "Project site": api_url("screening-site", chosen, limit=MAP_POINTS),
            "Communities": api_url("screening-communities", chosen, limit=MAP_POINTS),
            "Events": api_url("screening-events", chosen, limit=MAP_POINTS),
        },
    )
    blocks = [
        figures(
            ("Proposal", str(reg["proposal_id"])),
            ("Project type", str(reg["project_type"])),
            ("Category", str(reg["category"])),
            ("Risks", str(reg["n_risks"])),
            ("Unknowns", str(reg["n_gaps"])),
        ),
        chart_block("map", "Map of the site, communities and events", spec, missing, kind="map"),
        chart_block(
            "risk-chart",
            "Risks by impact and likelihood",
            charts.risk_spec(risks.rows, "Scatter: each risk's impact against its likelihood"),
            risks.empty_reason,
        ),
        table_block(
            risks,
            chosen,
            columns=[
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
            ],
        ),
        table_block(unknown, chosen),
        table_block(registers, {}),
        table_block(communities, chosen),
        table_block(events, chosen),
    ]
    return page(request, "Screening", INTRO_SCREEN, blocks, filters, choices)


INTRO_SCREEN = (
    "Do-no-harm risk registers of proposed projects: each rule that fired and why, its impact × "
    "likelihood, the project's category and the mitigations."
)


@router.get("/sources", response_class=HTMLResponse)
@cached_page
def sources(request: Request) -> HTMLResponse:
    result = fetch(store_of(request), "sources", {})
    return page(
        request,
        "Sources",
        "The provenance of every import: file, checksum, publisher, counts, time.",
        [table_block(result, {})],
    )


@router.get("/api", response_class=HTMLResponse)
def api_page(request: Request) -> HTMLResponse:
    store = store_of(request)
    rows = [
        {
            "endpoint": f"/api/v1/{d.name}",
            "title": d.title,
            "filters": ", ".join(d.filters) or "—",
            "ready": ready(store, d),
        }
        for d in DATASETS.values()
    ]
    return page(
        request,
        "API",
        "A read-only JSON API with the data of every page. The OpenAPI document is at "
        "/api/v1/openapi.json; lists take limit and offset and return total; add format=csv or "
        "format=xlsx to download.",
        [{"kind": "endpoints", "title": "Endpoints", "rows": rows}],
    )
