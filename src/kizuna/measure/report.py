"""A self-contained HTML page of a run: summary, notes, tables and four charts (contributions by
indicator, subgroups, the k sweep, change over time). It renders offline: the Vega / Vega-Lite /
vega-embed bundle from ``vl_convert.javascript_bundle()`` is embedded inline, nothing is fetched.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jinja2
import polars as pl

from kizuna.measure.run import MeasureResult
from kizuna.output import to_json_records

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;
color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:right}
th{background:#f4f4f4}td.t,th.t{text-align:left}.note{color:#555;font-size:.9rem}.chart{margin:1rem 0}
</style></head><body>
<h1>{{ title }}</h1>
<p class="note">Alkire–Foster vital-core index, k = {{ k }}%. Standard errors by Taylor linearisation
(PSUs with replacement within strata), {{ level }}% CIs on the logit scale with t on {{ df }} df.
Source file {{ file }} (sha256 {{ sha[:16] }}…), spec sha256 {{ spec_sha[:16] }}….</p>
{% for n in notes %}<p class="note">{{ n }}</p>{% endfor %}
<h2>Summary</h2>{{ summary|safe }}
<h2>Contributions by indicator</h2><div class="chart" id="c_contrib"></div>
{{ indicators|safe }}
{% if has_subgroups %}<h2>Subgroups</h2><div class="chart" id="c_sub"></div>
{{ subgroups|safe }}{% endif %}
<h2>Sweep of k</h2><div class="chart" id="c_sweep"></div>
{% if has_changes %}<h2>Change over time</h2><div class="chart" id="c_time"></div>
{{ changes|safe }}{% endif %}
{% if needs %}<h2>Needs by admin1 area (latest round)</h2>{{ needs|safe }}{% endif %}
<script>{{ bundle|safe }}</script>
<script>
const specs = {{ specs|safe }};
for (const [id, spec] of Object.entries(specs)) {
  const el = document.getElementById(id);
  if (el) {
    vegaEmbed(el, spec, {actions: false, renderer: "svg"}).catch(e => { el.textContent = String(e); });
  }
}
</script>
</body></html>
"""


@cache
def vega_bundle() -> str:
    """The Vega/Vega-Lite/vega-embed bundle as one script (no CDN), safe inside <script>."""
    import vl_convert

    return vl_convert.javascript_bundle().replace(  # type: ignore[call-arg]
        "</script", "<\\/script"
    )


def _html_table(df: pl.DataFrame, digits: int = 4) -> str:
    if df is None or df.is_empty():
        return "<p class='note'>(none)</p>"
    esc = jinja2.utils.markupsafe.escape  # type: ignore[attr-defined]
    head = "".join(f"<th class='t'>{esc(c)}</th>" for c in df.columns)
    body = []
    for row in df.iter_rows():
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append(f"<td>{v:.{digits}f}</td>")
            elif isinstance(v, int):
                cells.append(f"<td>{v:,}</td>")
            else:
                cells.append(f"<td class='t'>{esc('' if v is None else v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _values(df: pl.DataFrame) -> list[dict[str, Any]]:
    return to_json_records(df)


def chart_specs(result: MeasureResult) -> dict[str, dict[str, Any]]:
    """Vega-Lite specs of the four charts, data inline."""
    k = result.spec.k
    specs: dict[str, dict[str, Any]] = {}
    contrib = result.indicators.filter((pl.col("measure") == "pctb") & (pl.col("k") == k)).with_columns(
        pl.col("round").fill_null("all")
    )
    specs["c_contrib"] = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 600,
        "data": {"values": _values(contrib.select("round", "indicator", "dimension", "b"))},
        "mark": "bar",
        "encoding": {
            "y": {"field": "round", "type": "nominal", "title": "round"},
            "x": {
                "field": "b",
                "type": "quantitative",
                "stack": "normalize",
                "title": "percentage contribution to M0",
                "axis": {"format": "%"},
            },
            "color": {"field": "indicator", "type": "nominal"},
            "tooltip": [
                {"field": "indicator"},
                {"field": "dimension"},
                {"field": "b", "format": ".1%", "title": "contribution"},
            ],
        },
    }
    if not result.subgroups.is_empty():
        sub = result.estimates.filter(
            (pl.col("measure") == "M0") & (pl.col("group_var") != "all") & (pl.col("k") == k)
        ).with_columns(pl.col("round").fill_null("all"))
        specs["c_sub"] = {
            "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "data": {"values": _values(sub.select("round", "group_var", "group", "b", "lo", "hi"))},
            "facet": {"row": {"field": "group_var", "type": "nominal", "title": None}},
            "resolve": {"scale": {"y": "independent"}},
            "spec": {
                "width": 560,
                "layer": [
                    {
                        "mark": "bar",
                        "encoding": {
                            "y": {"field": "group", "type": "nominal", "title": None, "sort": None},
                            "yOffset": {"field": "round"},
                            "x": {"field": "b", "type": "quantitative", "title": "M0"},
                            "color": {"field": "round", "type": "nominal"},
                            "tooltip": [
                                {"field": "group"},
                                {"field": "round"},
                                {"field": "b", "format": ".4f"},
                                {"field": "lo", "format": ".4f"},
                                {"field": "hi", "format": ".4f"},
                            ],
                        },
                    },
                    {
                        "mark": {"type": "rule", "color": "#333"},
                        "encoding": {
                            "y": {"field": "group", "type": "nominal", "sort": None},
                            "yOffset": {"field": "round"},
                            "x": {"field": "lo", "type": "quantitative"},
                            "x2": {"field": "hi"},
                        },
                    },
                ],
            },
        }
    sweep = result.sweep.filter(pl.col("measure").is_in(["H", "M0"])).with_columns(pl.col("round").fill_null("all"))
    specs["c_sweep"] = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 600,
        "height": 260,
        "data": {"values": _values(sweep)},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "k", "type": "quantitative", "title": "k (% of weighted deprivations)"},
            "y": {"field": "b", "type": "quantitative", "title": "estimate"},
            "color": {"field": "measure", "type": "nominal"},
            "strokeDash": {"field": "round", "type": "nominal"},
            "tooltip": [
                {"field": "k"},
                {"field": "round"},
                {"field": "measure"},
                {"field": "b", "format": ".4f"},
            ],
        },
    }
    if not result.changes.is_empty():
        over = result.summary.filter(pl.col("k") == k)
        specs["c_time"] = {
            "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "data": {"values": _values(over.select("round", "measure", "b", "lo", "hi"))},
            "facet": {"column": {"field": "measure", "type": "nominal", "title": None}},
            "resolve": {"scale": {"y": "independent"}},
            "spec": {
                "width": 220,
                "height": 220,
                "layer": [
                    {
                        "mark": {"type": "line", "point": True},
                        "encoding": {
                            "x": {"field": "round", "type": "ordinal"},
                            "y": {"field": "b", "type": "quantitative", "title": "estimate"},
                        },
                    },
                    {
                        "mark": "errorbar",
                        "encoding": {
                            "x": {"field": "round", "type": "ordinal"},
                            "y": {"field": "lo", "type": "quantitative"},
                            "y2": {"field": "hi"},
                        },
                    },
                ],
            },
        }
    return specs


def render_html(result: MeasureResult, *, file: str, sha256: str) -> str:
    """The report page as one self-contained HTML string."""
    k = result.spec.k
    summary = result.summary.select("round", "measure", "b", "se", "lo", "hi", "n", "pop")
    ind = result.indicators.filter(pl.col("k") == k).pivot(
        on="measure", index=["round", "dimension", "indicator", "weight"], values="b"
    )
    ch = result.changes.filter(pl.col("group_var") == "all") if not result.changes.is_empty() else result.changes
    specs = json.dumps(chart_specs(result), allow_nan=False, default=str).replace("</", "<\\/")
    env = jinja2.Environment(autoescape=True)
    return env.from_string(TEMPLATE).render(
        title=result.spec.title,
        k=f"{k:g}",
        level=f"{100 * result.spec.level:g}",
        df=result.design["df"],
        file=file,
        sha=sha256,
        spec_sha=result.spec.sha256,
        notes=result.notes,
        summary=_html_table(summary),
        indicators=_html_table(ind),
        has_subgroups=not result.subgroups.is_empty(),
        subgroups=_html_table(result.subgroups),
        has_changes=not result.changes.is_empty(),
        changes=_html_table(ch),
        needs=_html_table(result.needs) if result.needs is not None else "",
        bundle=vega_bundle(),
        specs=specs,
    )
