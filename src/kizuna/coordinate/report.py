"""Render the mutual-accountability report as one self-contained HTML file, or as XLSX.

The HTML page carries its own chart library (the Vega/Vega-Lite/vega-embed bundle that
``vl_convert.javascript_bundle()`` returns, inlined) and its data; a Content-Security-Policy forbids
every network request, so it opens offline and leaks nothing.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import polars as pl

from kizuna.coordinate.accountability import AccountabilityReport
from kizuna.coordinate.sectors import DAC3
from kizuna.output import write_xlsx

CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; connect-src 'none'"
)

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#222;max-width:1200px}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}.chart{border:1px solid #eee;padding:.5rem}
.note{color:#555;font-size:.85rem}
</style></head><body>
<h1>{{ title }}</h1>
<p class="note">Generated {{ generated }} by Kizuna from the workspace ledger. Period: {{ period }}.
Amounts in USD (current prices). {{ synthetic }}</p>
{% if limits %}<h2>What this data cannot show</h2>
<ul class="limits">{% for lim in limits %}<li data-code="{{ lim.code }}">{{ lim.message }}</li>{% endfor %}</ul>
{% endif %}
<h2>Summary by ally</h2>
{{ tables.summary }}
<h2>Commitments and disbursements by sector, per ally</h2>
<div class="charts">
{% for c in charts %}<div class="chart"><h3>{{ c.ally }}</h3><div id="{{ c.id }}" class="vega-chart"
 data-ally="{{ c.ally }}"></div></div>
{% endfor %}</div>
{{ tables.by_sector }}
<h2>By area (admin1)</h2>
{{ tables.by_area }}
<h2>Overlaps between allies</h2>
<p class="note">Pairs of activities from different allies that share a sector, overlap in time and are co-located;
score 0-1 with the reasons. Candidates for a conversation, not findings.</p>
{{ tables.overlaps }}
{% if tables.gaps %}<h2>Gaps: need against presence</h2>
{{ tables.gaps }}{% endif %}
<h2>Division of labour</h2>
<h3>Shares and concentration per sector (HHI, effective number of allies)</h3>
{{ tables.concentration }}
<h3>Revealed comparative advantage (Balassa), whole ledger</h3>
{{ tables.rca }}
<h3>Significant aid relationships (OECD categories A-D)</h3>
{{ tables.significance }}
<h3>Sectors per ally (EU Code of Conduct: at most 3)</h3>
{{ tables.sectors_per_ally }}
<h2>Notes</h2><ul>{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>
<script>{{ bundle }}</script>
<script>
const KIZUNA_CHARTS = {{ specs }};
window.kizunaChartsRendered = 0;
for (const c of KIZUNA_CHARTS) {
  vegaEmbed('#' + c.id, c.spec, {actions: false, renderer: 'svg'})
    .then(() => { window.kizunaChartsRendered += 1; })
    .catch((e) => { document.getElementById(c.id).textContent = 'chart error: ' + e; });
}
</script>
</body></html>
"""


@lru_cache(maxsize=1)
def _bundle() -> str:
    import vl_convert

    # a literal "</script" inside the library would end the inline script element early
    return vl_convert.javascript_bundle().replace("</script", "<\\/script")  # type: ignore[call-arg]


def _cell(v: Any) -> tuple[str, bool]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "", False
    if isinstance(v, bool):
        return ("yes" if v else "no"), False
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1 or v == 0 else f"{v:.4f}", True
    if isinstance(v, int):
        return f"{v:,}", True
    if isinstance(v, (date, datetime)):
        return v.isoformat(), False
    return str(v), False


def html_table(df: pl.DataFrame | None, max_rows: int = 200) -> str:
    if df is None:
        return ""
    if df.height == 0:
        return '<p class="note">(nothing)</p>'
    esc = jinja2.utils.markupsafe.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    body = []
    for row in df.head(max_rows).iter_rows():
        cells = []
        for v in row:
            text, num = _cell(v)
            cells.append(f'<td class="num">{esc(text)}</td>' if num else f"<td>{esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<p class="note">{df.height - max_rows} more rows in the XLSX.</p>' if df.height > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def chart_specs(rep: AccountabilityReport) -> list[dict[str, Any]]:
    """One Vega-Lite grouped bar chart per ally: commitments and disbursements by sector (USD)."""
    out = []
    allies = rep.summary.get_column("ally").to_list()
    for i, ally in enumerate(allies):
        d = rep.by_sector.filter(pl.col("ally") == ally)
        values = []
        for r in d.iter_rows(named=True):
            for m, label in (("usd_commitments", "Commitments"), ("usd_disbursements", "Disbursements")):
                code = r["sector"] or "(unspecified)"
                name = DAC3.get(code, (None, None))[0]
                values.append(
                    {
                        "sector": f"{code} {name}" if name else code,
                        "measure": label,
                        "usd": round(float(r[m] or 0.0), 2),
                    }
                )
        spec = {
            "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
            "title": f"{ally}: commitments and disbursements by sector (USD)",
            "data": {"values": values},
            "mark": "bar",
            "encoding": {
                "x": {
                    "field": "sector",
                    "type": "nominal",
                    "title": "sector",
                    "axis": {"labelAngle": -40, "labelLimit": 160},
                },
                "xOffset": {"field": "measure"},
                "y": {"field": "usd", "type": "quantitative", "title": "USD"},
                "color": {"field": "measure", "type": "nominal"},
                "tooltip": [{"field": "sector"}, {"field": "measure"}, {"field": "usd", "format": ",.0f"}],
            },
            "width": 360,
            "height": 220,
        }
        out.append({"id": f"chart-ally-{i}", "ally": ally, "spec": spec})
    return out


def render_html(rep: AccountabilityReport, generated: str | None = None) -> str:
    """The report as one self-contained HTML page (no network, no CDN)."""
    env = jinja2.Environment(autoescape=True)
    tpl = env.from_string(_TEMPLATE)
    charts = chart_specs(rep)
    period = f"{rep.year_from or 'start'}-{rep.year_to or 'latest'}"
    specs = json.dumps([{"id": c["id"], "spec": c["spec"]} for c in charts]).replace("</", "<\\/")
    tables = {
        "summary": html_table(rep.summary),
        "by_sector": html_table(rep.by_sector),
        "by_area": html_table(rep.by_area),
        "overlaps": html_table(rep.overlaps),
        "gaps": html_table(rep.gaps) if rep.gaps is not None else "",
        "concentration": html_table(rep.concentration),
        "rca": html_table(rep.rca),
        "significance": html_table(rep.significance),
        "sectors_per_ally": html_table(rep.sectors_per_ally),
    }
    synthetic = (
        "This country code (XZ) is the fictional Republic of Kaltara: all data are SYNTHETIC."
        if rep.country == "XZ"
        else ""
    )
    return tpl.render(
        title=f"Mutual-accountability report: {rep.country}",
        csp=CSP,
        period=period,
        generated=generated or datetime.now().strftime("%Y-%m-%d %H:%M"),
        synthetic=synthetic,
        tables={k: jinja2.utils.markupsafe.Markup(v) for k, v in tables.items()},
        charts=charts,
        notes=rep.notes,
        limits=rep.limits,
        bundle=jinja2.utils.markupsafe.Markup(_bundle()),
        specs=jinja2.utils.markupsafe.Markup(specs),
    )


def write_report(rep: AccountabilityReport, path: Path) -> Path:
    """Write the report as HTML (``.html``/``.htm``) or XLSX (``.xlsx``), by the file's suffix."""
    path = Path(path)
    if path.suffix.lower() in (".html", ".htm"):
        path.write_text(render_html(rep), encoding="utf-8")
    elif path.suffix.lower() == ".xlsx":
        write_xlsx(rep.sheets(), path)
    else:
        from kizuna.errors import InputError, Where

        raise InputError(
            "report.format",
            f"cannot write a report as {path.suffix!r}",
            Where(file=str(path)),
            hint="use a .html or .xlsx file name",
        )
    return path
