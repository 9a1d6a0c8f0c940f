"""Vega-Lite specifications for the pages' charts and maps (presentation only: rows in, spec out).

Maps need no tile server: points are drawn on a graticule with a Mercator projection fitted to
the points' extent, and the admin boundaries of the workspace (kizuna.geo, simplified GeoJSON) are
drawn underneath as geoshapes, with the area names as tooltips and labels.
The specs carry no ``$schema`` URL so nothing in a page names a remote host.
"""

from __future__ import annotations

from typing import Any

LAYER_STYLE = {
    "Activities": ("#1f5f99", "circle"),
    "Communities": ("#1b7f3b", "square"),
    "Events": ("#b2182b", "triangle-up"),
    "Project site": ("#6a3d9a", "diamond"),
    "Activity A": ("#1f5f99", "circle"),
    "Activity B": ("#d95f02", "square"),
}
# layers drawn last (on top) and larger
FOREGROUND = {"Project site": 260, "Activity A": 110, "Activity B": 110}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def _base(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "width": "container",
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": {"font": FONT, "view": {"stroke": None}, "axis": {"labelLimit": 220}},
    }


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
    """
    urls = urls or {}
    located = {
        name: [r for r in rows if r.get("lat") is not None and r.get("lon") is not None]
        for name, rows in layers.items()
    }
    extent = [(r["lon"], r["lat"]) for rows in located.values() for r in rows] + _shape_bounds(shapes)
    if not extent:
        return None
    lons, lats = [x for x, _ in extent], [y for _, y in extent]
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
    colours = [LAYER_STYLE.get(n, ("#444444", "circle"))[0] for n in names]
    symbols = [LAYER_STYLE.get(n, ("#444444", "circle"))[1] for n in names]
    layer: list[dict[str, Any]] = [
        {"data": {"values": [frame]}, "mark": {"type": "geoshape", "fill": "#f4f1ea", "stroke": "#b9b2a3"}},
        {
            "data": {"graticule": {"step": [1, 1], "extent": [[west, south], [east, north]]}},
            "mark": {"type": "geoshape", "fill": None, "stroke": "#ddd8cc", "strokeWidth": 0.5},
        },
    ]
    if shapes and shapes.get("features"):
        layer.append(
            {
                "data": {"values": shapes.get("features", [])},
                "mark": {"type": "geoshape", "fill": "#e8e2d4", "stroke": "#8c8370", "strokeWidth": 0.8},
                "encoding": {
                    "tooltip": [
                        {"field": "properties.name", "title": "Area"},
                        {"field": "properties.parent_name", "title": "In"},
                        {"field": "properties.pcode", "title": "P-code"},
                    ]
                },
            }
        )
    if labels:
        layer.append(
            {
                "data": {"values": [{"name": r["name"], "lon": r["lon"], "lat": r["lat"]} for r in labels]},
                "mark": {"type": "text", "fontSize": 10, "color": "#5b5444", "opacity": 0.9},
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
        layer.append(
            {
                "data": data,
                "transform": [{"calculate": repr(name), "as": "layer"}],
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
                        "scale": {"domain": names, "range": colours},
                        "legend": {"orient": "top"} if n == 0 else None,
                    },
                    "shape": {
                        "field": "layer",
                        "type": "nominal",
                        "scale": {"domain": names, "range": symbols},
                        "legend": None,
                    },
                    "tooltip": [{"field": "layer", "title": "Layer"}]
                    + [{"field": f} for f in fields]
                    + [{"field": "lat", "format": ".3f"}, {"field": "lon", "format": ".3f"}],
                },
            }
        )
    spec = _base(description)
    spec.update({"height": height, "projection": {"type": "mercator", "fit": frame}, "layer": layer})
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    return spec


def bar_spec(
    rows: list[dict[str, Any]],
    category: str,
    measures: dict[str, str],
    description: str,
    category_title: str | None = None,
) -> dict[str, Any] | None:
    """Horizontal bars, one row per category; the measures (field -> label) are drawn over each other,
    the first wide and light, the next narrower and darker (committed behind spent, say)."""
    values = [
        {"category": r.get(category), "measure": label, "value": r.get(field) or 0}
        for r in rows
        for field, label in measures.items()
    ]
    if not values:
        return None
    labels = list(measures.values())
    palette = ["#9fc0e3", "#1f5f99", "#0b2f52"]
    spec = _base(description)
    spec.update(
        {
            "height": {"step": 26},
            "data": {"values": values},
            "encoding": {
                "y": {"field": "category", "type": "nominal", "title": category_title, "sort": None},
                "x": {"field": "value", "type": "quantitative", "title": "USD", "axis": {"format": "~s"}},
                "color": {
                    "field": "measure",
                    "type": "nominal",
                    "title": None,
                    "legend": {"orient": "top"},
                    "scale": {"domain": labels, "range": palette[: len(labels)]},
                },
                "tooltip": [
                    {"field": "category", "title": category_title or "category"},
                    {"field": "measure"},
                    {"field": "value", "format": ",.0f"},
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


def heat_spec(
    rows: list[dict[str, Any]],
    x: str,
    y: str,
    value: str,
    description: str,
    x_title: str,
    y_title: str,
    fmt: str = ",d",
) -> dict[str, Any] | None:
    """A heat matrix with the value written in each cell (``fmt``: a d3 number format)."""
    values = [{x: r.get(x), y: r.get(y), value: r.get(value)} for r in rows if r.get(value) is not None]
    if not values:
        return None
    light_text_above = max(float(v[value] or 0) for v in values) * 0.55
    spec = _base(description)
    spec.update(
        {
            "height": {"step": 28},
            "data": {"values": values},
            "encoding": {
                "x": {"field": x, "type": "nominal", "title": x_title, "axis": {"labelAngle": -30, "orient": "top"}},
                "y": {"field": y, "type": "nominal", "title": y_title},
            },
            "layer": [
                {
                    "mark": {"type": "rect", "tooltip": True},
                    "encoding": {
                        "color": {
                            "field": value,
                            "type": "quantitative",
                            "title": None,
                            "scale": {"scheme": "blues"},
                            "legend": {"format": fmt},
                        }
                    },
                },
                {
                    "mark": {"type": "text", "fontSize": 11},
                    "encoding": {
                        "text": {"field": value, "type": "quantitative", "format": fmt},
                        "color": {
                            "condition": {"test": f"datum['{value}'] > {light_text_above}", "value": "white"},
                            "value": "#1b1b1b",
                        },
                    },
                },
            ],
        }
    )
    return spec


def _hbar(
    values: list[dict[str, Any]],
    category: str,
    value: str,
    description: str,
    x_title: str,
    fmt: str,
    colour: dict[str, Any] | None = None,
    domain: list[float] | None = None,
) -> dict[str, Any]:
    spec = _base(description)
    x: dict[str, Any] = {"field": value, "type": "quantitative", "title": x_title, "axis": {"format": fmt}}
    if domain:
        x["scale"] = {"domain": domain}
    spec.update(
        {
            "height": {"step": 18},
            "data": {"values": values},
            "mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "y": {"field": category, "type": "nominal", "title": None, "sort": None, "axis": {"labelLimit": 320}},
                "x": x,
                **({"color": colour} if colour else {"color": {"value": "#1f5f99"}}),
            },
        }
    )
    return spec


def score_spec(rows: list[dict[str, Any]], description: str) -> dict[str, Any] | None:
    """Overlap scores, one bar per pair (labelled by rank and allies)."""
    values = [
        {"pair": f"#{r['rank']} {r.get('ally_a')} × {r.get('ally_b')}", "score": r.get("score")}
        for r in rows
        if r.get("score") is not None
    ]
    return _hbar(values, "pair", "score", description, "Score (0–1)", ".1f", domain=[0, 1]) if values else None


def gap_spec(rows: list[dict[str, Any]], description: str) -> dict[str, Any] | None:
    """Gap scores, one bar per area x sector."""
    values = [
        {
            "need": f"#{r['rank']} {r.get('area_name') or r.get('adm2') or r.get('adm1')} — {r.get('sector')}",
            "gap": r.get("gap_score"),
        }
        for r in rows
        if r.get("gap_score") is not None
    ]
    return _hbar(values, "need", "gap", description, "Gap score (0–1)", ".1f", domain=[0, 1]) if values else None


def hhi_spec(rows: list[dict[str, Any]], description: str) -> dict[str, Any] | None:
    """HHI per sector, coloured by the concentration class."""
    values = [
        {
            "sector": f"{r.get('country')} {r.get('sector')}",
            "hhi": r.get("hhi"),
            "concentration": r.get("concentration"),
        }
        for r in rows
        if r.get("hhi") is not None
    ]
    if not values:
        return None
    return _hbar(
        values,
        "sector",
        "hhi",
        description,
        "HHI (0–1)",
        ".2f",
        {"field": "concentration", "type": "nominal", "title": None, "legend": {"orient": "top"}},
        domain=[0, 1],
    )


def contribution_spec(rows: list[dict[str, Any]], description: str) -> dict[str, Any] | None:
    """Percentage contribution of each indicator to M0."""
    values = [
        {"indicator": r.get("indicator"), "contribution": r.get("contribution_pct")}
        for r in rows
        if r.get("contribution_pct") is not None
    ]
    return _hbar(values, "indicator", "contribution", description, "Share of M0", ".0%") if values else None


def risk_spec(rows: list[dict[str, Any]], description: str) -> dict[str, Any] | None:
    """Risks on the impact x likelihood grid (1–5 each), coloured by significance."""
    values = [{k: r.get(k) for k in ("rule_id", "impact", "likelihood", "score", "significance")} for r in rows]
    if not values:
        return None
    spec = _base(description)
    axis = {"type": "quantitative", "scale": {"domain": [0.5, 5.5]}, "axis": {"values": [1, 2, 3, 4, 5]}}
    spec.update(
        {
            "height": 260,
            "data": {"values": values},
            "mark": {"type": "circle", "opacity": 0.8, "tooltip": True},
            "encoding": {
                "x": {"field": "likelihood", "title": "Likelihood", **axis},
                "y": {"field": "impact", "title": "Impact", **axis},
                "size": {"aggregate": "count", "title": "risks", "legend": None},
                "color": {
                    "field": "significance",
                    "type": "nominal",
                    "title": None,
                    "legend": {"orient": "top"},
                    "scale": {
                        "domain": ["Low", "Moderate", "Substantial", "High"],
                        "range": ["#4d9221", "#e0a100", "#d95f02", "#b2182b"],
                    },
                },
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
) -> dict[str, Any] | None:
    """Point estimates with confidence-interval whiskers, one row per category."""
    values = [r for r in rows if r.get(estimate) is not None]
    if not values:
        return None
    spec = _base(description)
    spec.update(
        {
            "height": {"step": 22},
            "data": {"values": [{k: r.get(k) for k in (category, estimate, low, high)} for r in values]},
            "encoding": {"y": {"field": category, "type": "nominal", "title": category_title, "sort": None}},
            "layer": [
                {
                    "mark": {"type": "rule", "color": "#555"},
                    "encoding": {
                        "x": {"field": low, "type": "quantitative", "title": x_title},
                        "x2": {"field": high},
                    },
                },
                {
                    "mark": {
                        "type": "point",
                        "filled": True,
                        "size": 60,
                        "color": "#1f5f99",
                        "tooltip": True,
                    },
                    "encoding": {"x": {"field": estimate, "type": "quantitative"}},
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
) -> dict[str, Any] | None:
    """Values over time (one line per series), with a CI band when ``low``/``high`` are given."""
    if not rows:
        return None
    enc: dict[str, Any] = {"x": {"field": x, "type": "ordinal", "title": x_title}}
    colour = {"color": {"field": series, "type": "nominal"}} if series else {}
    layers: list[dict[str, Any]] = []
    if low and high:
        layers.append(
            {
                "mark": {"type": "area", "opacity": 0.2},
                "encoding": {
                    "y": {"field": low, "type": "quantitative", "title": y_title},
                    "y2": {"field": high},
                    **colour,
                },
            }
        )
    layers.append(
        {
            "mark": {"type": "line", "point": True, "tooltip": True},
            "encoding": {"y": {"field": y, "type": "quantitative", "title": y_title}, **colour},
        }
    )
    spec = _base(description)
    spec.update({"height": 260, "data": {"values": rows}, "encoding": enc, "layer": layers})
    return spec
