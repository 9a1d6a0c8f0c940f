"""Vega-Lite specifications for the pages' charts and maps (presentation only: rows in, spec out).

Every text a person reads in a chart is in the language of the moment (:mod:`kizuna.i18n`): titles
through the catalogue, numbers and money preformatted by Babel (``kizuna.i18n.number/money/percent``)
into label fields, so the browser never formats a number itself; codes are shown by name
(:mod:`kizuna.reference.names`). Every data mark has a tooltip with human titles and a
``description`` for assistive technology; decoration (map frame, graticule, duplicated labels) is
hidden from the accessibility tree (``aria: false``).

Heat matrices aggregate their rows to one cell per (x, y) key before drawing (a dataset over several
countries has one row per country), keep the largest keys and fold the rest into "Other", colour each
cell themselves (a linear blue ramp) and write its value in black or white, whichever contrasts more
with that cell (always at least 4.58:1, WCAG 2.x relative luminance). A cell's value is written only
when it fits the cell's width, so values never overlap, however narrow the screen.

Maps need no tile server: points are drawn on a graticule with a Mercator projection fitted to
the points' extent, and the admin boundaries of the workspace (kizuna.geo, simplified GeoJSON) are
drawn underneath as geoshapes, with the area names as tooltips and labels.
The specs carry no ``$schema`` URL so nothing in a page names a remote host.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

from kizuna import i18n
from kizuna.i18n import N_, columns
from kizuna.i18n import gettext as _
from kizuna.reference.names import ally_name, code_name, sector_name

LAYER_STYLE = {
    "Activities": ("#1f5f99", "circle"),
    "Communities": ("#1b7f3b", "square"),
    "Events": ("#b2182b", "triangle-up"),
    "Project site": ("#6a3d9a", "diamond"),
    "Activity A": ("#1f5f99", "circle"),
    "Activity B": ("#d95f02", "square"),
}
# the layers' names as people read them (the keys above stay English: pages name layers by them)
LAYER_NAMES = {
    "Activities": N_("Activities"),
    "Communities": N_("Communities"),
    "Events": N_("Events"),
    "Project site": N_("Project site"),
    "Activity A": N_("Activity A"),
    "Activity B": N_("Activity B"),
}
# layers drawn last (on top) and larger
FOREGROUND = {"Project site": 260, "Activity A": 110, "Activity B": 110}
FONT = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans CJK JP', 'Hiragino Sans', 'Yu Gothic', Meiryo, sans-serif"
)
TOP_X = 8  # heat matrix: the largest columns kept; the rest fold into "Other"
TOP_Y = 15  # heat matrix: the largest rows kept
OTHER = N_("Other")
# classes the analyses return as fixed English words, read in the page language
CLASSES = {
    "Low": N_("Low"),
    "Moderate": N_("Moderate"),
    "Substantial": N_("Substantial"),
    "High": N_("High"),
    "unconcentrated": N_("unconcentrated"),
    "moderately concentrated": N_("moderately concentrated"),
    "highly concentrated": N_("highly concentrated"),
}
# tooltip titles of fields the column labels (kizuna.i18n.columns) do not name
FIELD_TITLES = {
    "share": N_("Share of the sector"),
    "share_deprived": N_("Share deprived"),
    "place": N_("Place"),
    "name": N_("Name"),
    "kind": N_("Kind"),
    "group": N_("Group"),
    "population": N_("Population"),
    "date": N_("Date"),
    "category": N_("Category"),
    "sub_category": N_("Sub-category"),
    "fatalities": N_("Fatalities"),
    "lat": N_("Latitude"),
    "lon": N_("Longitude"),
}
BLUES = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
BLACK, WHITE = "#000000", "#ffffff"


def title(message: str | None) -> str | None:
    """A title in the current language: message ids are translated; text already translated (or data)
    passes through unchanged."""
    return i18n.translate(message)


def field_title(field: str) -> str:
    """The human title of a data field in the current language."""
    known = FIELD_TITLES.get(field)
    return _(known) if known else columns.label(field)


def _base(description: str) -> dict[str, Any]:
    return {
        "description": title(description),
        "width": "container",
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": {
            "font": FONT,
            "view": {"stroke": None},
            # labels give way on narrow screens: at most 30 % of the chart's width, 60-220 px
            # aria off for axes and legends: Vega would describe them in English words ("X-axis titled ...");
            # the chart's container carries a description in the page's language, and the data are in tables
            "axis": {
                "labelLimit": {"expr": "clamp(containerSize()[0] * 0.3, 60, 220)"},
                "labelOverlap": "greedy",
                "aria": False,
            },
            "legend": {"labelLimit": 200, "aria": False},
        },
    }


# --- values as people read them -----------------------------------------------------------------


def value_kind(fmt: str) -> str:
    """``share`` (d3 format ending in %), ``money`` (an SI format, e.g. ``.3~s``) or ``count``."""
    if fmt.endswith("%"):
        return "share"
    if fmt.endswith("s"):
        return "money"
    return "count"


def formatted(value: float | int | None, kind: str) -> str:
    """``value`` as text in the current locale (Babel): a percentage, compact money or a number."""
    if value is None:
        return ""
    return _formatted(i18n.current(), value, kind)


@functools.lru_cache(maxsize=1 << 13, typed=True)
def _formatted(lang: str, value: float | int, kind: str) -> str:
    """:func:`formatted`, remembered by language, value and kind (a pure function of the three: a chart
    labels the same amounts on every request). ``lang`` is the current language, passed for the key."""
    if kind == "share":
        return i18n.percent(value)
    if kind == "money":
        return i18n.money(value, compact=True)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return i18n.number(value)


def money_axis_expr() -> str:
    """A Vega expression writing an axis tick (``datum.value``, USD) compactly in the current locale,
    as :func:`kizuna.i18n.money` does: ``$41.8B`` / ``$418億``."""
    if i18n.current() == "ja":
        return (
            "datum.value >= 1e8 ? '$' + format(datum.value / 1e8, ',.3~r') + '億' : "
            "datum.value >= 1e4 ? '$' + format(datum.value / 1e4, ',.3~r') + '万' : "
            "'$' + format(datum.value, ',~r')"
        )
    return "'$' + replace(replace(format(datum.value, '.3~s'), 'G', 'B'), 'k', 'K')"


def axis_format(kind: str) -> dict[str, Any]:
    """Axis label options for values of ``kind`` (see :func:`value_kind`)."""
    if kind == "money":
        return {"labelExpr": money_axis_expr()}
    if kind == "share":
        return {"format": ".0%"}
    return {"format": ",~r"}


def text_width(text: str, size: float = 11) -> float:
    """A generous estimate of ``text``'s width in px at font ``size``: Latin glyphs about 0.62 em,
    CJK glyphs 1 em (the browser test measures the real boxes)."""
    return sum(size if ord(c) > 0x2E7F else 0.64 * size for c in text) + 8


def display_name(field: str, row: Mapping[str, Any], names: Mapping[str, Mapping[Any, str]] | None = None) -> str:
    """The name people read for ``row[field]``: ``names[field][code]`` when given, else the row's own
    ``<field>_name``, else the code's name by :mod:`kizuna.reference.names` (sectors, indicators,
    dimensions, project types), else the value itself."""
    code = row.get(field)
    if code is None:
        return ""
    if names and field in names and code in names[field]:
        return names[field][code]
    own = row.get(f"{field}_name")
    if field in ("sector", "sector_code", "needs_sector"):
        return sector_name(str(code), own) or str(code)
    if own:
        return str(own)
    if field in ("ally", "donor"):
        return ally_name(str(code)) or str(code)
    if field == "indicator":
        return code_name("measure.indicator", str(code)) or str(code)
    if field == "dimension":
        return code_name("measure.dimension", str(code)) or str(code)
    if field == "project_type":
        return code_name("screen.project_type", str(code)) or str(code)
    return str(code)


# --- colours --------------------------------------------------------------------------------------


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def ramp(t: float, stops: list[str] = BLUES) -> str:
    """The colour at ``t`` (0-1, clamped) on a piecewise-linear sRGB ramp through ``stops``."""
    t = min(1.0, max(0.0, t if t == t else 0.0))
    pos = t * (len(stops) - 1)
    i = min(int(pos), len(stops) - 2)
    f = pos - i
    a, b = _rgb(stops[i]), _rgb(stops[i + 1])
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b, strict=True))


def luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio of two colours (1-21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill``: at least 4.58:1 on any colour."""
    return BLACK if contrast(fill, BLACK) >= contrast(fill, WHITE) else WHITE


# --- maps -----------------------------------------------------------------------------------------


def _shape_bounds(shapes: dict[str, Any] | None) -> list[tuple[float, float]]:
    """The corner points (lon, lat) of each shape's bounding box."""
    corners: list[tuple[float, float]] = []

    def walk(coords: Any, box: list[float]) -> None:
        if coords and isinstance(coords[0], int | float):
            box[0], box[1] = min(box[0], coords[0]), min(box[1], coords[1])
            box[2], box[3] = max(box[2], coords[0]), max(box[3], coords[1])
        else:
            for c in coords or []:
                walk(c, box)

    for f in (shapes or {}).get("features", []):
        box = [180.0, 90.0, -180.0, -90.0]
        walk((f.get("geometry") or {}).get("coordinates"), box)
        if box[0] <= box[2]:
            corners += [(box[0], box[1]), (box[2], box[3])]
    return corners


LABEL_MIN_WIDTH = 560  # px: a map narrower than this shows its areas' names in tooltips only


def _mercator_y(lat: float) -> float:
    """Mercator y of ``lat`` in degree units (so it compares with longitudes)."""
    rad = math.radians(max(-85.0, min(85.0, lat)))
    return math.degrees(math.log(math.tan(math.pi / 4 + rad / 2)))


def readable_labels(
    labels: list[dict[str, Any]], box: tuple[float, float, float, float], height: int, width: int = LABEL_MIN_WIDTH
) -> list[dict[str, Any]]:
    """The labels (``{name, lon, lat}``) that can be written without overlapping, first come first
    kept, on a Mercator map of ``box`` (west, south, east, north) fitted to ``width`` x ``height`` px
    (the narrowest map that shows labels: wider maps spread them further apart)."""
    west, south, east, north = box
    y0, y1 = _mercator_y(south), _mercator_y(north)
    scale = min(width / max(east - west, 1e-9), height / max(y1 - y0, 1e-9))  # px per degree
    kept: list[dict[str, Any]] = []
    boxes: list[tuple[float, float, float, float]] = []
    for r in labels:
        if r.get("lon") is None or r.get("lat") is None or not r.get("name"):
            continue
        x, y = (r["lon"] - west) * scale, (y1 - _mercator_y(r["lat"])) * scale
        half = text_width(str(r["name"]), 10) / 2
        b = (x - half, y - 8, x + half, y + 8)
        if all(b[2] <= o[0] or o[2] <= b[0] or b[3] <= o[1] or o[3] <= b[1] for o in boxes):
            boxes.append(b)
            kept.append({"name": r["name"], "lon": r["lon"], "lat": r["lat"]})
    return kept


def map_spec(
    layers: dict[str, list[dict[str, Any]]],
    tooltip: dict[str, list[str]],
    description: str,
    urls: dict[str, str] | None = None,
    shapes: dict[str, Any] | None = None,
    height: int = 380,
    labels: list[dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """A point map of named layers (rows with ``lat``/``lon``) over admin boundaries; None when there is
    neither a point nor a shape.

    A layer named in ``urls`` is not inlined: the browser loads it from that API URL (its
    ``items``), so a page stays small however many points there are; its rows here only fit the
    projection to their extent. ``shapes`` is a GeoJSON FeatureCollection of areas (properties
    ``name``, ``parent_name``, ``pcode``: the tooltip shows them); ``labels`` are ``{name, lon, lat}``
    written on the map (e.g. the admin-1 areas). Without points the map fits the shapes.
    Layer names are the English keys of ``LAYER_STYLE``; the legend and tooltips show them translated.
    """
    urls = urls or {}
    located = {
        name: [r for r in rows if r.get("lat") is not None and r.get("lon") is not None]
        for name, rows in layers.items()
    }
    extent = [(r["lon"], r["lat"]) for rows in located.values() for r in rows] + _shape_bounds(shapes)
    if not extent:
        return None
    lons, lats = [x for x, _y in extent], [y for _x, y in extent]
    span = max(max(lons) - min(lons), max(lats) - min(lats))
    pad = max(0.1, 0.12 * span) if any(located.values()) else max(0.05, 0.03 * span)
    west, east = min(lons) - pad, max(lons) + pad
    south, north = min(lats) - pad, max(lats) + pad
    # d3-geo reads rings on the sphere: an exterior ring runs clockwise, or it means the whole globe
    # minus the box.
    frame = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[west, south], [west, north], [east, north], [east, south], [west, south]]],
        },
    }
    names = sorted((n for n, rows in located.items() if rows), key=lambda n: n in FOREGROUND)
    shown = [_(LAYER_NAMES[n]) if n in LAYER_NAMES else n for n in names]
    colours = [LAYER_STYLE.get(n, ("#444444", "circle"))[0] for n in names]
    symbols = [LAYER_STYLE.get(n, ("#444444", "circle"))[1] for n in names]
    layer: list[dict[str, Any]] = [
        {
            "data": {"values": [frame]},
            "mark": {"type": "geoshape", "fill": "#f4f1ea", "stroke": "#b9b2a3", "aria": False, "tooltip": None},
        },
        {
            "data": {"graticule": {"step": [1, 1], "extent": [[west, south], [east, north]]}},
            "mark": {
                "type": "geoshape",
                "fill": None,
                "stroke": "#ddd8cc",
                "strokeWidth": 0.5,
                "aria": False,
                "tooltip": None,
            },
        },
    ]
    if shapes and shapes.get("features"):
        layer.append(
            {
                "data": {"values": shapes.get("features", [])},
                "mark": {"type": "geoshape", "fill": "#e8e2d4", "stroke": "#8c8370", "strokeWidth": 0.8},
                "encoding": {
                    "description": {"field": "properties.name"},
                    "tooltip": [
                        {"field": "properties.name", "title": _("Area")},
                        {"field": "properties.parent_name", "title": _("In")},
                        {"field": "properties.pcode", "title": "P-code"},
                    ],
                },
            }
        )
    readable = readable_labels(labels or [], (west, south, east, north), height)
    if readable:
        layer.append(
            {
                "data": {"values": readable},
                # the shapes underneath carry the same names for assistive technology; below
                # LABEL_MIN_WIDTH px the map is too small for names that do not overlap
                "mark": {
                    "type": "text",
                    "fontSize": 10,
                    "color": "#4a4436",
                    "aria": False,
                    "tooltip": None,
                    "opacity": {"expr": f"containerSize()[0] < {LABEL_MIN_WIDTH} ? 0 : 1"},
                },
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "text": {"field": "name", "type": "nominal"},
                },
            }
        )
    for n, name in enumerate(names):
        fields = tooltip.get(name, [])
        if name in urls:
            data: dict[str, Any] = {"url": urls[name], "format": {"type": "json", "property": "items"}}
        else:
            data = {
                "values": [{**{k: r.get(k) for k in fields}, "lat": r["lat"], "lon": r["lon"]} for r in located[name]]
            }
        first = fields[0] if fields else "layer"
        layer.append(
            {
                "data": data,
                "transform": [{"calculate": _js_string(shown[n]), "as": "layer"}],
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": FOREGROUND.get(name, 60),
                    "opacity": 0.85,
                    "stroke": "white",
                    "strokeWidth": 0.6,
                },
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "color": {
                        "field": "layer",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": shown, "range": colours},
                        "legend": {"orient": "top"} if n == 0 else None,
                    },
                    "shape": {
                        "field": "layer",
                        "type": "nominal",
                        "scale": {"domain": shown, "range": symbols},
                        "legend": None,
                    },
                    "description": {"field": first},
                    "tooltip": [{"field": "layer", "title": _("Layer")}]
                    + [{"field": f, "title": field_title(f)} for f in fields]
                    + [
                        {"field": "lat", "title": field_title("lat"), "format": ".3f"},
                        {"field": "lon", "title": field_title("lon"), "format": ".3f"},
                    ],
                },
            }
        )
    spec = _base(description)
    spec.update({"height": height, "projection": {"type": "mercator", "fit": frame}, "layer": layer})
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    return spec


def _js_string(text: str) -> str:
    """``text`` as a string literal of a Vega expression."""
    import json

    return json.dumps(text, ensure_ascii=False)


# --- bars -----------------------------------------------------------------------------------------


def bar_spec(
    rows: list[dict[str, Any]],
    category: str,
    measures: dict[str, str],
    description: str,
    category_title: str | None = None,
) -> dict[str, Any] | None:
    """Horizontal bars of money (USD), one row per category; the measures (field -> label) are drawn
    over each other, the first wide and light, the next narrower and darker (committed behind spent,
    say). Categories without money in any measure (a 3W organisation, say) are left out: a money chart
    shows who has money."""
    with_money = [r for r in rows if any(r.get(f) for f in measures)]
    labels = [title(label) or label for label in measures.values()]
    values = [
        {
            "category": display_name(category, r),
            "measure": label,
            "value": r.get(field) or 0,
            "value_text": formatted(r.get(field) or 0, "money"),
        }
        for r in with_money
        for field, label in zip(measures, labels, strict=True)
    ]
    if not values:
        return None
    palette = ["#9fc0e3", "#1f5f99", "#0b2f52"]
    cat_title = title(category_title) or field_title(category)
    spec = _base(description)
    spec.update(
        {
            "height": {"step": 26},
            "data": {"values": values},
            "encoding": {
                "y": {"field": "category", "type": "nominal", "title": title(category_title), "sort": None},
                "x": {
                    "field": "value",
                    "type": "quantitative",
                    "title": _("US dollars"),
                    "axis": {**axis_format("money"), "tickCount": 4},
                },
                "color": {
                    "field": "measure",
                    "type": "nominal",
                    "title": None,
                    "legend": {"orient": "top"},
                    "scale": {"domain": labels, "range": palette[: len(labels)]},
                },
                "description": {"field": "value_text"},
                "tooltip": [
                    {"field": "category", "title": cat_title},
                    {"field": "measure", "title": _("Measure")},
                    {"field": "value_text", "title": _("Amount")},
                ],
            },
            "layer": [
                {
                    "transform": [{"filter": {"field": "measure", "equal": label}}],
                    "mark": {"type": "bar", "height": {"band": 0.8 - 0.35 * i}},
                }
                for i, label in enumerate(labels)
            ],
        }
    )
    return spec


# --- heat matrices --------------------------------------------------------------------------------


def aggregate_cells(
    rows: list[dict[str, Any]],
    x: str,
    y: str,
    value: str,
    aggregate: str = "sum",
    share_of: str | None = None,
    top_x: int = TOP_X,
    top_y: int = TOP_Y,
    names: Mapping[str, Mapping[Any, str]] | None = None,
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """One cell per (x, y) name: ``(cells, x_order, y_order)``; each cell ``{"x", "y", "value"}``.

    Rows sharing a key (one per country, say) are combined: ``sum`` adds the values, ``mean``
    averages them, and ``share_of`` (a field such as ``usd``) recomputes a share as
    Σ share_of(x, y) / Σ share_of(·, y) — a share of the row's total, so shares of one row add up
    to 1 (averaging or adding shares would not). Columns and rows are sorted by their totals
    (largest first); beyond ``top_x`` columns / ``top_y`` rows the rest are folded into one
    "Other" column / row, which comes last.
    """
    Key = tuple[str, str]
    num: dict[Key, float] = {}
    den: dict[Key, float] = {}
    x_total: dict[str, float] = {}
    y_total: dict[str, float] = {}
    for r in rows:
        v = r.get(share_of) if share_of else r.get(value)
        if v is None or v != v:
            continue
        xk, yk = display_name(x, r, names), display_name(y, r, names)
        key = (xk, yk)
        num[key] = num.get(key, 0.0) + float(v)
        den[key] = den.get(key, 0.0) + 1.0
        x_total[xk] = x_total.get(xk, 0.0) + abs(float(v))
        y_total[yk] = y_total.get(yk, 0.0) + abs(float(v))
    other = _(OTHER)

    def order(totals: dict[str, float], top: int) -> tuple[list[str], dict[str, str]]:
        ranked = sorted(totals, key=lambda k: (-totals[k], k))
        if len(ranked) <= top + 1:  # one "Other" for a single key would hide it for nothing
            return ranked, {k: k for k in ranked}
        kept = ranked[:top]
        return kept + [other], {k: (k if k in kept else other) for k in ranked}

    x_order, x_of = order(x_total, top_x)
    y_order, y_of = order(y_total, top_y)
    b_num: dict[Key, float] = {}
    b_den: dict[Key, float] = {}
    for (xk, yk), v in num.items():
        key = (x_of[xk], y_of[yk])
        b_num[key] = b_num.get(key, 0.0) + v
        b_den[key] = b_den.get(key, 0.0) + den[(xk, yk)]
    if share_of:
        row_total: dict[str, float] = {}
        for (_xk, yk), v in b_num.items():
            row_total[yk] = row_total.get(yk, 0.0) + v
        out = {k: (v / row_total[k[1]] if row_total[k[1]] else 0.0) for k, v in b_num.items()}
    elif aggregate == "mean":
        out = {k: v / b_den[k] for k, v in b_num.items()}
    else:
        out = dict(b_num)
    cells = [{"x": k[0], "y": k[1], "value": v} for k, v in out.items()]
    return cells, x_order, y_order


def heat_spec(
    rows: list[dict[str, Any]],
    x: str,
    y: str,
    value: str,
    description: str,
    x_title: str,
    y_title: str,
    fmt: str = ",d",
    value_title: str | None = None,
    aggregate: str | None = None,
    share_of: str | None = None,
    names: Mapping[str, Mapping[Any, str]] | None = None,
    top_x: int = TOP_X,
    top_y: int = TOP_Y,
) -> dict[str, Any] | None:
    """A heat matrix with the value written in each cell: one cell per (x, y), see
    :func:`aggregate_cells`. ``fmt`` (a d3 format, kept for callers) says what the values are:
    ending in ``%`` shares, ``s`` money (USD), else counts; they are written by Babel in the current
    locale. ``aggregate``: ``sum`` (default) or ``mean`` (default for shares without ``share_of``).
    A ``share`` value over rows that carry ``usd`` is recomputed from it unless ``share_of`` says
    otherwise. ``value_title`` names the value in the tooltip (default: the column's label).
    """
    kind = value_kind(fmt)
    if share_of is None and value == "share" and any("usd" in r for r in rows):
        share_of = "usd"
    agg = aggregate or ("mean" if kind == "share" else "sum")
    cells, x_order, y_order = aggregate_cells(rows, x, y, value, agg, share_of, top_x, top_y, names)
    if not cells:
        return None
    high = max((abs(c["value"]) for c in cells), default=0.0) or 1.0
    xt, yt = title(x_title) or field_title(x), title(y_title) or field_title(y)
    vt = title(value_title) or field_title(value)
    for c in cells:
        # shares on a linear ramp; counts and money spread over orders of magnitude: a square-root ramp
        # keeps the smaller cells distinguishable beside one large one
        t = abs(c["value"]) / high
        c["fill"] = ramp(t if kind == "share" else t**0.5)
        c["ink"] = text_colour(c["fill"])
        c["label"] = formatted(c["value"], kind)
        c["label_px"] = round(text_width(c["label"]), 1)
        c["about"] = _("{x}, {y}: {value}").format(x=c["x"], y=c["y"], value=c["label"])
    spec = _base(description)
    narrow = "bandwidth('x') < 64"
    spec.update(
        {
            "height": {"step": 28},
            "data": {"values": cells},
            "encoding": {
                "x": {
                    "field": "x",
                    "type": "nominal",
                    "title": xt,
                    "sort": x_order,
                    "axis": {
                        "orient": "top",
                        # across when the columns are wide enough, else upright (never overlapping)
                        "labelAngle": {"expr": f"{narrow} ? -90 : 0"},
                        "labelAlign": {"expr": f"{narrow} ? 'left' : 'center'"},
                        "labelBaseline": {"expr": f"{narrow} ? 'middle' : 'bottom'"},
                        "labelLimit": {"expr": f"{narrow} ? 110 : bandwidth('x') - 6"},
                    },
                },
                "y": {"field": "y", "type": "nominal", "title": yt, "sort": y_order},
                "description": {"field": "about"},
                "tooltip": [
                    {"field": "x", "title": xt},
                    {"field": "y", "title": yt},
                    {"field": "label", "title": vt},
                ],
            },
            "layer": [
                {
                    "mark": {"type": "rect", "stroke": WHITE, "strokeWidth": 1},
                    "encoding": {"color": {"field": "fill", "type": "nominal", "scale": None, "legend": None}},
                },
                {
                    # the cell's rect carries its description; the written value is decoration to AT
                    "mark": {"type": "text", "fontSize": 11, "aria": False},
                    "encoding": {
                        "text": {
                            "condition": {"test": "bandwidth('x') < datum.label_px", "value": ""},
                            "field": "label",
                        },
                        "color": {"field": "ink", "type": "nominal", "scale": None, "legend": None},
                    },
                },
            ],
        }
    )
    return spec


# --- bars of scores and shares --------------------------------------------------------------------


def _hbar(
    values: list[dict[str, Any]],
    category: str,
    value: str,
    description: str,
    x_title: str,
    fmt: str,
    colour: dict[str, Any] | None = None,
    domain: list[float] | None = None,
    tooltip: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Horizontal bars; each value carries ``value_text`` (its value as people read it) for the tooltip."""
    spec = _base(description)
    x: dict[str, Any] = {"field": value, "type": "quantitative", "title": title(x_title), "axis": {"format": fmt}}
    if domain:
        x["scale"] = {"domain": domain}
    spec.update(
        {
            "height": {"step": 18},
            "data": {"values": values},
            "mark": {"type": "bar"},
            "encoding": {
                "y": {"field": category, "type": "nominal", "title": None, "sort": None},
                "x": x,
                **({"color": colour} if colour else {"color": {"value": "#1f5f99"}}),
                "description": {"field": "value_text"},
                "tooltip": tooltip
                or [
                    {"field": category, "title": field_title(category)},
                    {"field": "value_text", "title": title(x_title)},
                ],
            },
        }
    )
    return spec


def score_spec(rows: list[dict[str, Any]], description: str) -> dict[str, Any] | None:
    """Overlap scores, one bar per pair (labelled by rank and allies)."""
    values = [
        {
            "pair": f"#{r['rank']} {r.get('ally_a')} × {r.get('ally_b')}",
            "score": r.get("score"),
            "value_text": i18n.number(r.get("score"), 3),
        }
        for r in rows
        if r.get("score") is not None
    ]
    if not values:
        return None
    tip = [{"field": "pair", "title": _("Pair")}, {"field": "value_text", "title": _("Score (0–1)")}]
    return _hbar(values, "pair", "score", description, N_("Score (0–1)"), ".1f", domain=[0, 1], tooltip=tip)


def gap_spec(rows: list[dict[str, Any]], description: str) -> dict[str, Any] | None:
    """Gap scores, one bar per area x sector (the area's name, the sector's name)."""
    values = [
        {
            "need": "#{rank} {area} — {sector}".format(
                rank=r["rank"],
                area=r.get("area_name") or r.get("adm1_name") or r.get("adm2") or r.get("adm1"),
                sector=display_name("sector", r),
            ),
            "gap": r.get("gap_score"),
            "value_text": i18n.number(r.get("gap_score"), 2),
        }
        for r in rows
        if r.get("gap_score") is not None
    ]
    if not values:
        return None
    tip = [{"field": "need", "title": _("Area and sector")}, {"field": "value_text", "title": _("Gap score (0–1)")}]
    return _hbar(values, "need", "gap", description, N_("Gap score (0–1)"), ".1f", domain=[0, 1], tooltip=tip)


def hhi_spec(rows: list[dict[str, Any]], description: str) -> dict[str, Any] | None:
    """HHI per sector (by name; the country's code first when there are several), coloured by the
    concentration class."""
    several = len({r.get("country") for r in rows}) > 1
    values = [
        {
            "sector": (f"{r.get('country')} " if several else "") + display_name("sector", r),
            "hhi": r.get("hhi"),
            "value_text": i18n.number(r.get("hhi"), 2),
            "concentration": title(CLASSES.get(str(r.get("concentration")))) or r.get("concentration"),
        }
        for r in rows
        if r.get("hhi") is not None
    ]
    if not values:
        return None
    tip = [
        {"field": "sector", "title": _("Sector")},
        {"field": "value_text", "title": _("HHI (0–1)")},
        {"field": "concentration", "title": _("Concentration")},
    ]
    return _hbar(
        values,
        "sector",
        "hhi",
        description,
        N_("HHI (0–1)"),
        ".2f",
        {"field": "concentration", "type": "nominal", "title": None, "legend": {"orient": "top"}},
        domain=[0, 1],
        tooltip=tip,
    )


def contribution_spec(rows: list[dict[str, Any]], description: str) -> dict[str, Any] | None:
    """Percentage contribution of each indicator (by name) to M0; the data hold fractions (0.26 = 26 %)."""
    values = [
        {
            "indicator": display_name("indicator", r),
            "contribution": r.get("contribution_pct"),
            "value_text": i18n.percent(r.get("contribution_pct"), 1),
        }
        for r in rows
        if r.get("contribution_pct") is not None
    ]
    if not values:
        return None
    tip = [{"field": "indicator", "title": _("Indicator")}, {"field": "value_text", "title": _("Share of M0")}]
    return _hbar(values, "indicator", "contribution", description, N_("Share of M0"), ".0%", tooltip=tip)


# --- other charts ---------------------------------------------------------------------------------

SIGNIFICANCE = ["Low", "Moderate", "Substantial", "High"]


def risk_spec(rows: list[dict[str, Any]], description: str) -> dict[str, Any] | None:
    """Risks on the impact x likelihood grid (1–5 each): one circle per grid cell, sized by the number
    of risks there and coloured by the highest significance among them."""
    cells: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("impact") is not None and r.get("likelihood") is not None:
            cells.setdefault((r["impact"], r["likelihood"]), []).append(r)
    if not cells:
        return None
    rank = {s: i for i, s in enumerate(SIGNIFICANCE)}
    values = []
    for (impact, likelihood), risks in sorted(cells.items()):
        top = max((str(r.get("significance")) for r in risks), key=lambda s: rank.get(s, -1))
        values.append(
            {
                "impact": impact,
                "likelihood": likelihood,
                "n": len(risks),
                "rules": ", ".join(str(r.get("rule_id")) for r in risks),
                "significance": title(CLASSES.get(top)) or top,
                "n_text": i18n.number(len(risks)),
            }
        )
    spec = _base(description)
    axis = {"type": "quantitative", "scale": {"domain": [0.5, 5.5]}, "axis": {"values": [1, 2, 3, 4, 5]}}
    spec.update(
        {
            "height": 260,
            "data": {"values": values},
            "mark": {"type": "circle", "opacity": 0.8},
            "encoding": {
                "x": {"field": "likelihood", "title": _("Likelihood"), **axis},
                "y": {"field": "impact", "title": _("Impact"), **axis},
                "size": {"field": "n", "type": "quantitative", "legend": None, "scale": {"range": [80, 900]}},
                "color": {
                    "field": "significance",
                    "type": "nominal",
                    "title": None,
                    "legend": {"orient": "top"},
                    "scale": {
                        "domain": [_(CLASSES[s]) for s in SIGNIFICANCE],
                        "range": ["#4d9221", "#e0a100", "#d95f02", "#b2182b"],
                    },
                },
                "description": {"field": "rules"},
                "tooltip": [
                    {"field": "rules", "title": _("Rules")},
                    {"field": "n_text", "title": _("Risks")},
                    {"field": "impact", "title": _("Impact")},
                    {"field": "likelihood", "title": _("Likelihood")},
                    {"field": "significance", "title": _("Significance")},
                ],
            },
        }
    )
    return spec


def interval_spec(
    rows: list[dict[str, Any]],
    category: str,
    estimate: str,
    low: str,
    high: str,
    description: str,
    x_title: str,
    category_title: str | None = None,
    percent: bool = True,
    names: Mapping[str, Mapping[Any, str]] | None = None,
) -> dict[str, Any] | None:
    """Point estimates with confidence-interval whiskers, one row per category; ``percent``: the
    estimates are fractions, written as percentages; ``names``: {field: {code: name}} for categories
    that are codes (admin-1 P-codes, say)."""
    kept = [r for r in rows if r.get(estimate) is not None]
    if not kept:
        return None

    def text(v: Any) -> str:
        return i18n.percent(v, 1) if percent else i18n.number(v)

    values = [
        {
            "category": display_name(category, r, names),
            "estimate": r.get(estimate),
            "low": r.get(low),
            "high": r.get(high),
            "value_text": text(r.get(estimate)),
            "ci_text": _("{low} to {high}").format(low=text(r.get(low)), high=text(r.get(high))),
        }
        for r in kept
    ]
    xt = title(x_title)
    spec = _base(description)
    x_axis = {"axis": axis_format("share" if percent else "count")}
    spec.update(
        {
            "height": {"step": 22},
            "data": {"values": values},
            "encoding": {
                "y": {"field": "category", "type": "nominal", "title": title(category_title), "sort": None},
                "description": {"field": "value_text"},
                "tooltip": [
                    {"field": "category", "title": title(category_title) or _("Group")},
                    {"field": "value_text", "title": xt},
                    {"field": "ci_text", "title": _("95% confidence interval")},
                ],
            },
            "layer": [
                {
                    "mark": {"type": "rule", "color": "#555"},
                    "encoding": {
                        "x": {"field": "low", "type": "quantitative", "title": xt, **x_axis},
                        "x2": {"field": "high"},
                    },
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 60, "color": "#1f5f99"},
                    "encoding": {"x": {"field": "estimate", "type": "quantitative"}},
                },
            ],
        }
    )
    return spec


def line_spec(
    rows: list[dict[str, Any]],
    x: str,
    y: str,
    series: str | None,
    description: str,
    x_title: str,
    y_title: str,
    low: str | None = None,
    high: str | None = None,
    percent: bool = True,
) -> dict[str, Any] | None:
    """Values over time (one line per series), with a CI band when ``low``/``high`` are given;
    ``percent``: the values are fractions, written as percentages."""
    if not rows:
        return None

    def text(v: Any) -> str:
        return i18n.percent(v, 1) if percent else i18n.number(v)

    values = []
    for r in rows:
        v = {"x": r.get(x), "y": r.get(y), "value_text": text(r.get(y))}
        if series:
            v["series"] = r.get(series)
        if low and high:
            v.update({"low": r.get(low), "high": r.get(high)})
            v["ci_text"] = _("{low} to {high}").format(low=text(r.get(low)), high=text(r.get(high)))
        values.append(v)
    yt = title(y_title)
    xt = title(x_title)
    colour = {"color": {"field": "series", "type": "nominal", "title": None}} if series else {}
    tip = [{"field": "x", "title": xt}]
    if series:
        tip.append({"field": "series", "title": _("Measure")})
    tip.append({"field": "value_text", "title": yt})
    if low and high:
        tip.append({"field": "ci_text", "title": _("95% confidence interval")})
    y_axis = {"axis": axis_format("share" if percent else "count")}
    layers: list[dict[str, Any]] = []
    if low and high:
        layers.append(
            {
                "mark": {"type": "area", "opacity": 0.2, "aria": False, "tooltip": None},
                "encoding": {
                    "y": {"field": "low", "type": "quantitative", "title": yt, **y_axis},
                    "y2": {"field": "high"},
                    **colour,
                },
            }
        )
    layers.append(
        {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "y": {"field": "y", "type": "quantitative", "title": yt, **y_axis},
                **colour,
                "description": {"field": "value_text"},
                "tooltip": tip,
            },
        }
    )
    spec = _base(description)
    spec.update(
        {
            "height": 260,
            "data": {"values": values},
            "encoding": {"x": {"field": "x", "type": "ordinal", "title": xt, "axis": {"labelAngle": 0}}},
            "layer": layers,
        }
    )
    return spec
