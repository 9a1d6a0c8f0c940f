"""A self-contained HTML page of a run: summary, notes, tables and four charts (contributions by
indicator, subgroups, the k sweep, change over time). It renders offline: the Vega / Vega-Lite /
vega-embed bundle from ``vl_convert.javascript_bundle()`` is embedded inline, nothing is fetched.

The page is in the language of the moment (template ``report/templates/measure.html``, strings in
``i18n/ja/reports.po``) and prints on A4 with the reports' shared stylesheet.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from markupsafe import Markup

from kizuna import i18n, report
from kizuna.i18n import _
from kizuna.measure.run import MeasureResult
from kizuna.output import to_json_records


def vega_bundle() -> str:
    """The Vega/Vega-Lite/vega-embed bundle as one script (no CDN), safe inside <script> (one home:
    :func:`kizuna.report.vega_bundle`)."""
    return report.vega_bundle()


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
            "y": {"field": "round", "type": "nominal", "title": _("Round")},
            "x": {
                "field": "b",
                "type": "quantitative",
                "stack": "normalize",
                "title": _("Percentage contribution to M0"),
                "axis": {"format": "%"},
            },
            "color": {"field": "indicator", "type": "nominal"},
            "tooltip": [
                {"field": "indicator"},
                {"field": "dimension"},
                {"field": "b", "format": ".1%", "title": _("Contribution")},
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
            "x": {"field": "k", "type": "quantitative", "title": _("k (% of weighted deprivations)")},
            "y": {"field": "b", "type": "quantitative", "title": _("Estimate")},
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
                            "y": {"field": "b", "type": "quantitative", "title": _("Estimate")},
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


# float columns that hold counts of people or plain quantities, not estimates of a share
COUNTS = {"pop", "population", "people_in_need", "years", "k", "weight"}


def _table(df: pl.DataFrame | None) -> report.Table | None:
    """A measure table: estimates to four decimals, counts whole, names as data."""
    if df is None:
        return None
    cols = []
    for c in df.columns:
        dt = df.schema[c]
        if dt.is_integer():
            cols.append((c, "int"))
        elif dt.is_float():
            cols.append((c, "number" if c in COUNTS else "est"))
        elif c == "note":
            cols.append((c, "text"))  # the † mark of an estimate at a bound: ours, not data
        else:
            cols.append((c, "data"))
    return report.table(df, cols)


def render_html(result: MeasureResult, *, file: str, sha256: str) -> str:
    """The report page as one self-contained HTML string, in the language of the moment."""
    from kizuna.measure.shown import (
        BOUND_NOTE,
        design_line,
        flag_bounds,
        flag_subgroups,
        in_measure_order,
        mark_bounds,
    )

    k = result.spec.k
    summary, flagged = mark_bounds(
        flag_bounds(in_measure_order(result.summary.select("round", "measure", "b", "se", "lo", "hi", "n", "pop")))
    )
    subgroups, flagged_sub = mark_bounds(flag_subgroups(result.subgroups, result.estimates, k))
    ind = result.indicators.filter(pl.col("k") == k).pivot(
        on="measure", index=["round", "dimension", "indicator", "weight"], values="b"
    )
    ch = result.changes.filter(pl.col("group_var") == "all") if not result.changes.is_empty() else result.changes
    ch, flagged_ch = mark_bounds(flag_bounds(ch))
    needs, flagged_needs = mark_bounds(flag_bounds(result.needs)) if result.needs is not None else (None, False)
    notes = [design_line(result.design)] + [i18n.translate(n) or "" for n in result.notes]
    if flagged or flagged_sub or flagged_ch or flagged_needs:
        notes.append(_(BOUND_NOTE))
    specs = json.dumps(chart_specs(result), allow_nan=False, default=str, ensure_ascii=False).replace("</", "<\\/")
    return (
        report.environment()
        .get_template("measure.html")
        .render(
            title=result.spec.title,
            k=i18n.number(float(k)),
            level=i18n.number(100 * result.spec.level),
            df=result.design["df"],
            file=file,
            sha=sha256,
            spec_sha=result.spec.sha256,
            notes=notes,
            summary=_table(summary.with_columns(pl.col("pop").round(0))),
            indicators=_table(ind),
            subgroups=_table(subgroups) if not subgroups.is_empty() else None,
            changes=_table(ch) if not ch.is_empty() else None,
            needs=_table(needs),
            bundle=Markup(vega_bundle()),
            specs=Markup(specs),
        )
    )
