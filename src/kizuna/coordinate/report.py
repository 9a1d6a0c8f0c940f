"""Render the mutual-accountability report as one self-contained HTML file (A4-printable), or as XLSX.

The report is one ally's account to another: it opens with a short summary in words per ally (what it
committed and disbursed, where, its largest sectors, its overlaps with other allies, the money near the
largest gaps) and what the data cannot show (:func:`kizuna.coordinate.limits.data_limits`), then readable
tables and charts with names (sectors, areas, organisations) and human headings in the reader's language.

The HTML page carries its own chart library (the Vega/Vega-Lite/vega-embed bundle that
``vl_convert.javascript_bundle()`` returns, inlined) and its data; a Content-Security-Policy forbids
every network request, so it opens offline and leaks nothing. Its stylesheet
(``report/templates/report.css``) prints on A4 with fixed-layout, wrapping tables.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from markupsafe import Markup

from kizuna import i18n
from kizuna.coordinate.accountability import SHEET_ABOUT, AccountabilityReport
from kizuna.i18n import N_, _
from kizuna.output import write_xlsx
from kizuna.reference.names import ally_name, sector_name
from kizuna.report import CSP, Table, environment, limit_text, table, vega_bundle

TOP_SECTORS = 3
TOP_AREAS = 3
TOP_GAPS = 3
GAP_ROWS = 15

# computed labels of kizuna.coordinate.division, shown in the reader's language
CONCENTRATION = {
    "unconcentrated": N_("unconcentrated"),
    "moderately concentrated": N_("moderately concentrated"),
    "highly concentrated": N_("highly concentrated"),
}


def country_label(code: str) -> str:
    """The country's name in the language of the moment (the code when it has none)."""
    from kizuna.reference import countries

    fn: Any = countries.country_name
    try:
        name = fn(code, i18n.current())
    except TypeError:  # country_name without a language (before the Japanese names)
        name = fn(code)
    return str(name or code)


def _join(items: Sequence[str]) -> str:
    """A list in running text: ``a, b and c`` / 「a、b、c」 (HTML-safe when the items are)."""
    from babel.lists import format_list

    if not items:
        return ""
    if all(isinstance(x, Markup) for x in items):
        # format_list sees plain text: join escaped items, then trust the result
        return Markup(format_list([str(x) for x in items], locale=i18n.current()))
    return format_list(list(items), locale=i18n.current())


def _data(value: Any) -> Markup:
    """A data value (a name, an amount) inside a sentence: marked ``translate="no"``, escaped."""
    return Markup('<span translate="no">{}</span>').format(value)


def _say(message: str, **values: Any) -> Markup:
    """``message`` (a message id) in the reader's language with ``values`` filled in, HTML-safe."""
    return Markup.escape(i18n.gettext(message)).format(**values)


def _sector(code: str | None, english: str | None = None) -> str:
    if code is None or code == "":
        return _("no sector")
    return sector_name(code, english) or str(code)


def _area_lookup(areas: pl.DataFrame | None) -> dict[str, str]:
    if areas is None or areas.is_empty():
        return {}
    return {str(p): str(n) for p, n in areas.select("pcode", "name").iter_rows() if p and n}


def _named_sectors(df: pl.DataFrame, code: str = "sector", english: str = "sector_name") -> pl.DataFrame:
    """``df`` with ``sector_name`` in the reader's language (DAC names via :func:`sector_name`)."""
    if code not in df.columns:
        return df
    en = df.get_column(english).to_list() if english in df.columns else [None] * df.height
    names = [_sector(c, e) for c, e in zip(df.get_column(code).to_list(), en, strict=True)]
    return df.with_columns(pl.Series("sector_name", names, dtype=pl.String))


def _named_areas(df: pl.DataFrame, lookup: dict[str, str], col: str = "adm1") -> pl.DataFrame:
    if col not in df.columns:
        return df
    names = [(lookup.get(c) or c) if c else _("no subnational location") for c in df.get_column(col).to_list()]
    return df.with_columns(pl.Series(f"{col}_name", names, dtype=pl.String))


def _short_reason(r: dict[str, Any], lookup: dict[str, str]) -> str:
    """Why a pair is an overlap candidate, in a few words of the reader's language, from the pair's facts."""
    sep = "、" if i18n.current() == "ja" else "; "
    parts = [_("same sector: {sector}").format(sector=_sector(r.get("sector_code"), r.get("sector_name")))]
    place = lookup.get(r.get("place") or "") or r.get("place") or ""
    spatial = r.get("spatial")
    if spatial == "admin2":
        parts.append(_("same district: {place}").format(place=place))
    elif spatial == "admin1":
        parts.append(_("same area: {place}").format(place=place))
    elif spatial == "point":
        parts.append(_("sites {km} km apart").format(km=i18n.number(float(r.get("distance_km") or 0.0), 1)))
    else:
        parts.append(_("same country only (no subnational location)"))
    if r.get("overlap_days"):
        parts.append(_("{days} days at the same time").format(days=i18n.number(int(r["overlap_days"]))))
    sim = r.get("text_similarity")
    if sim is not None and sim == sim and sim >= 0.3:
        parts.append(_("similar titles ({similarity})").format(similarity=i18n.percent(float(sim))))
    if r.get("same_partner"):
        parts.append(_("same partner: {name}").format(name=r["same_partner"]))
    if r.get("shared_funding"):
        parts.append(_("same funder: {name}").format(name=r["shared_funding"]))
    return sep.join(parts)


def _activity(org: str | None, title: str | None) -> str:
    return f"{title or ''} — {org or ''}".strip(" —")


def ally_summaries(rep: AccountabilityReport, areas: pl.DataFrame | None = None) -> list[dict[str, Any]]:
    """One short summary in words per ally (message ids formatted in the reader's language): what it
    committed and disbursed, its largest sectors, where, its overlaps with other allies, and what it
    disbursed in the areas of the largest gaps. Figures are the report's own (the ledger's) numbers."""
    lookup = _area_lookup(areas)
    country = country_label(rep.country)
    gap_areas: list[str] = []
    if rep.gaps is not None and rep.gaps.height and "adm1" in rep.gaps.columns:
        for a in rep.gaps.sort("rank").get_column("adm1").to_list():
            if a and a not in gap_areas:
                gap_areas.append(a)
            if len(gap_areas) >= TOP_GAPS:
                break
    out = []
    for r in rep.summary.iter_rows(named=True):
        ally = r["ally"]
        paras: list[str] = []
        values = {
            "ally": _data(ally_name(ally) or ally),
            "country": country,
            "committed": _data(i18n.money(r["usd_commitments"] or 0.0, compact=True)),
            "disbursed": _data(i18n.money(r["usd_disbursements"] or 0.0, compact=True)),
        }
        n_acts = int(r["n_activities"] or 0)
        if r["disbursed_per_committed"] is not None:
            first = _say(
                N_("{ally} committed {committed} and disbursed {disbursed} in {country} ({share} of its commitments)."),
                share=_data(i18n.percent(r["disbursed_per_committed"])),
                **values,
            )
        else:
            first = _say(N_("{ally} committed {committed} and disbursed {disbursed} in {country}."), **values)
        count = Markup.escape(
            i18n.ngettext(
                "It reports {n} activity here, by {orgs} of its organisations.",
                "It reports {n} activities here, by {orgs} of its organisations.",
                n_acts,
            )
        ).format(n=_data(i18n.number(n_acts)), orgs=_data(i18n.number(int(r["n_orgs"] or 0))))
        # Japanese runs sentences together; English puts a space between them
        paras.append(Markup("{}{}{}").format(first, "" if i18n.current() == "ja" else " ", count))
        sec = (
            rep.by_sector.filter((pl.col("ally") == ally) & (pl.col("usd_disbursements") > 0))
            .sort("usd_disbursements", descending=True)
            .head(TOP_SECTORS)
        )
        if sec.height:
            items = [
                _say(
                    N_("{sector} ({amount})"),
                    sector=_data(_sector(s["sector"], s.get("sector_name"))),
                    amount=_data(i18n.money(s["usd_disbursements"], compact=True)),
                )
                for s in sec.iter_rows(named=True)
            ]
            paras.append(_say(N_("Its largest sectors by disbursement: {sectors}."), sectors=_join(items)))
        located = rep.by_area.filter(
            (pl.col("ally") == ally) & pl.col("adm1").is_not_null() & (pl.col("usd_disbursements") > 0)
        ).sort("usd_disbursements", descending=True)
        if located.height:
            items = [
                _say(
                    N_("{area} ({amount})"),
                    area=_data(lookup.get(a["adm1"]) or a["adm1"]),
                    amount=_data(i18n.money(a["usd_disbursements"], compact=True)),
                )
                for a in located.head(TOP_AREAS).iter_rows(named=True)
            ]
            paras.append(_say(N_("Where it disbursed most: {areas}."), areas=_join(items)))
        else:
            paras.append(
                _say(
                    N_("Its data give no subnational location, so this report cannot say where in {country} it works."),
                    country=country,
                )
            )
        mine = rep.overlaps.filter((pl.col("ally_a") == ally) | (pl.col("ally_b") == ally))
        if mine.height:
            others = sorted({b for a, b in mine.select("ally_a", "ally_b").iter_rows() for b in (a, b) if b != ally})
            paras.append(
                Markup.escape(
                    i18n.ngettext(
                        "{n} overlap candidate with {allies}: activities of the same sector, place and time to "
                        "talk over, not findings.",
                        "{n} overlap candidates with {allies}: activities of the same sector, place and time to "
                        "talk over, not findings.",
                        mine.height,
                    )
                ).format(n=_data(i18n.number(mine.height)), allies=_join([_data(o) for o in others]))
            )
        else:
            paras.append(_say(N_("No overlap candidate with another ally.")))
        if gap_areas:
            near = rep.by_area.filter((pl.col("ally") == ally) & pl.col("adm1").is_in(gap_areas))
            amount = float(near.get_column("usd_disbursements").sum() or 0.0)
            names = _join([_data(lookup.get(a) or a) for a in gap_areas])
            if amount > 0:
                paras.append(
                    _say(
                        N_("In the areas of the largest gaps ({areas}) it disbursed {amount}."),
                        areas=names,
                        amount=_data(i18n.money(amount, compact=True)),
                    )
                )
            else:
                paras.append(_say(N_("It disbursed nothing in the areas of the largest gaps ({areas})."), areas=names))
        out.append({"ally": ally, "label": ally_name(ally) or ally, "paragraphs": paras})
    return out


def gap_sentence(rep: AccountabilityReport, areas: pl.DataFrame | None = None) -> Markup | None:
    """One sentence on the largest gaps (need with least presence), or None without a needs table."""
    if rep.gaps is None:
        return None
    if rep.gaps.is_empty():
        return _say(N_("The needs table shows no gap: every need has someone present."))
    lookup = _area_lookup(areas)
    items = []
    for g in rep.gaps.sort("rank").head(TOP_GAPS).iter_rows(named=True):
        area = (
            g.get("area_name")
            or g.get("adm1_name")
            or lookup.get(g.get("adm2") or "")
            or g.get("adm2")
            or g.get("adm1")
        )
        items.append(
            _say(
                N_("{area} – {sector} ({pin} people in need)"),
                area=_data(area),
                sector=_data(_sector(g.get("sector"))),
                pin=_data(i18n.number(g.get("pin") or 0)),
            )
        )
    return _say(N_("The largest gaps between need and presence: {gaps}."), gaps=_join(items))


def chart_specs(rep: AccountabilityReport) -> list[dict[str, Any]]:
    """One Vega-Lite grouped bar chart per ally: commitments and disbursements by sector (USD), with
    sector names and titles in the reader's language."""
    out = []
    committed, disbursed = _("Committed"), _("Disbursed")
    for i, ally in enumerate(rep.summary.get_column("ally").to_list()):
        d = rep.by_sector.filter(pl.col("ally") == ally)
        values = []
        for r in d.iter_rows(named=True):
            for m, measure in (("usd_commitments", committed), ("usd_disbursements", disbursed)):
                values.append(
                    {
                        "sector": _sector(r["sector"], r.get("sector_name")),
                        "measure": measure,
                        "usd": round(float(r[m] or 0.0), 2),
                    }
                )
        spec = {
            "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
            "title": _("{ally}: committed and disbursed by sector (USD)").format(ally=ally),
            "data": {"values": values},
            "mark": "bar",
            "encoding": {
                "y": {
                    "field": "sector",
                    "type": "nominal",
                    "title": _("Sector"),
                    "axis": {"labelLimit": 200},
                    "sort": "-x",
                },
                "yOffset": {"field": "measure"},
                "x": {"field": "usd", "type": "quantitative", "title": _("USD"), "axis": {"format": "~s"}},
                "color": {"field": "measure", "type": "nominal", "title": None, "legend": {"orient": "bottom"}},
                "tooltip": [
                    {"field": "sector", "title": _("Sector")},
                    {"field": "measure", "title": _("Measure")},
                    {"field": "usd", "format": ",.0f", "title": _("USD")},
                ],
            },
            "width": 380,
        }
        out.append({"id": f"chart-ally-{i}", "ally": ally, "spec": spec})
    return out


def _tables(rep: AccountabilityReport, areas: pl.DataFrame | None) -> dict[str, Table | None]:
    lookup = _area_lookup(areas)
    money = [("usd_commitments", "compact"), ("usd_disbursements", "compact"), ("usd_expenditure", "compact")]
    share = [("disbursed_per_committed", "percent")]
    summary = table(
        rep.summary.sort(["usd_disbursements", "ally"], descending=[True, False]).with_columns(
            pl.col("usd_expenditure").replace(0.0, None)
        ),
        [("ally", "data"), ("n_activities", "int"), ("n_orgs", "int"), *money, *share],
    )
    by_sector = table(
        _named_sectors(rep.by_sector.sort("ally", "sector", nulls_last=True)).with_columns(
            pl.col("usd_expenditure").replace(0.0, None)
        ),
        [("ally", "data"), ("sector_name", "data"), ("n_activities", "int"), *money, *share],
        widths={"ally": "14%", "sector_name": "30%"},
    )
    located = rep.by_area.filter(pl.col("adm1").is_not_null())
    by_area = (
        table(
            _named_areas(located, lookup).with_columns(pl.col("usd_expenditure").replace(0.0, None)),
            [("ally", "data"), ("adm1_name", "data"), ("n_activities", "int"), *money, *share],
            headings={"adm1_name": N_("Area")},
        )
        if located.height
        else None
    )
    # pairs of equal score come in any order from the analysis: order them by score, then by their ids,
    # and number them here, so the page is the same on every run
    ov = rep.overlaps.sort(["score", "activity_uid_a", "activity_uid_b"], descending=[True, False, False])
    ov = ov.with_columns(pl.int_range(1, ov.height + 1, dtype=pl.Int64).alias("rank"))
    overlaps = None
    if ov.height:
        rows = ov.select(
            "rank",
            "score",
            pl.struct("org_name_a", "title_a")
            .map_elements(lambda s: _activity(s["org_name_a"], s["title_a"]), return_dtype=pl.String)
            .alias("activity_a"),
            pl.col("ally_a"),
            pl.struct("org_name_b", "title_b")
            .map_elements(lambda s: _activity(s["org_name_b"], s["title_b"]), return_dtype=pl.String)
            .alias("activity_b"),
            pl.col("ally_b"),
        ).with_columns(
            pl.Series("why", [_short_reason(r, lookup) for r in ov.iter_rows(named=True)], dtype=pl.String),
            (pl.col("ally_a") + pl.lit(": ") + pl.col("activity_a")).alias("activity_a"),
            (pl.col("ally_b") + pl.lit(": ") + pl.col("activity_b")).alias("activity_b"),
        )
        overlaps = table(
            rows,
            [("rank", "int"), ("score", "score"), ("activity_a", "data"), ("activity_b", "data"), ("why", "text")],
            headings={
                "rank": N_("No."),
                "score": N_("Score"),
                "activity_a": N_("Activity of one ally"),
                "activity_b": N_("Activity of another ally"),
                "why": N_("Why a candidate"),
            },
            widths={"rank": "6%", "score": "8%", "activity_a": "28%", "activity_b": "28%", "why": "30%"},
        )
    gaps = None
    if rep.gaps is not None:
        g = rep.gaps.sort("rank").head(GAP_ROWS)
        area = pl.coalesce([c for c in ("area_name", "adm1_name", "adm2", "adm1") if c in g.columns]).alias("area")
        g = g.with_columns(area, pl.col("sector").map_elements(_sector, return_dtype=pl.String).alias("sector_name"))
        gaps = table(
            g,
            [
                ("rank", "int"),
                ("area", "data"),
                ("sector_name", "data"),
                ("pin", "int"),
                ("n_orgs", "int"),
                ("usd", "compact"),
                ("gap_score", "score"),
            ],
            headings={"rank": N_("No."), "area": N_("Area"), "gap_score": N_("Gap score")},
        )
    conc = _named_sectors(rep.concentration.sort(["usd", "sector"], descending=[True, False])).with_columns(
        pl.col("concentration").map_elements(lambda v: _(CONCENTRATION.get(v, v)), return_dtype=pl.String)
    )
    concentration = table(
        conc,
        [
            ("sector_name", "data"),
            ("n_donors", "int"),
            ("usd", "compact"),
            ("lead_donor", "data"),
            ("lead_share", "percent"),
            ("hhi", "score"),
            ("effective_donors", "score"),
            ("concentration", "text"),
        ],
        widths={"sector_name": "24%"},
    )
    rca = table(
        _named_sectors(rep.rca).sort("donor", "rca", "sector", descending=[False, True, False]),
        [("donor", "data"), ("sector_name", "data"), ("usd", "compact"), ("rca", "score")],
        css="auto",
    )
    significance = table(
        rep.significance.sort("donor"),
        [
            ("donor", "data"),
            ("usd", "compact"),
            ("share_of_country", "percent"),
            ("donor_global_share", "percent"),
            ("category", "data"),
            ("significant", "yesno"),
        ],
        css="auto",
    )
    # ties in the analysis come in any order: sort so the page is the same on every run
    spa = rep.sectors_per_ally.sort(["n_sectors", "donor"], descending=[True, False])
    if "sectors" in spa.columns:
        spa = spa.with_columns(
            pl.col("sectors").map_elements(
                lambda s: _join([_sector(c.strip()) for c in (s or "").split(",") if c.strip()]),
                return_dtype=pl.String,
            )
        )
    sectors_per_ally = table(
        spa,
        [
            ("donor", "data"),
            ("n_sectors", "int"),
            ("usd", "compact"),
            ("sectors", "data"),
            ("exceeds_eu_guidance", "yesno"),
        ],
        widths={"donor": "14%", "sectors": "46%"},
    )
    return {
        "summary": summary,
        "by_sector": by_sector,
        "by_area": by_area,
        "overlaps": overlaps,
        "gaps": gaps,
        "concentration": concentration,
        "rca": rca,
        "significance": significance,
        "sectors_per_ally": sectors_per_ally,
    }


def render_html(rep: AccountabilityReport, generated: str | None = None, areas: pl.DataFrame | None = None) -> str:
    """The report as one self-contained HTML page (no network, no CDN) in the language of the moment.

    ``areas`` (:func:`kizuna.geo.areas.area_names`) names the areas; without it the report's own
    ``areas`` (when the builder was given them) are used."""
    from kizuna import __version__

    areas = areas if areas is not None else rep.areas
    charts = chart_specs(rep)
    specs = json.dumps([{"id": c["id"], "spec": c["spec"]} for c in charts], ensure_ascii=False).replace("</", "<\\/")
    if rep.year_from and rep.year_to:
        period = _("{start} to {end}").format(start=rep.year_from, end=rep.year_to)
    elif rep.year_from:
        period = _("from {start}").format(start=rep.year_from)
    elif rep.year_to:
        period = _("up to {end}").format(end=rep.year_to)
    else:
        period = _("all years in the ledger")
    return (
        environment()
        .get_template("accountability.html")
        .render(
            country=country_label(rep.country),
            country_code=rep.country,
            csp=CSP,
            period=period,
            generated=generated or i18n.moment(datetime.now()),
            version=__version__,
            synthetic=rep.country == "XZ",
            allies=ally_summaries(rep, areas),
            gap_sentence=gap_sentence(rep, areas),
            needs_given=rep.gaps is not None,
            limits=[{"code": lim.get("code", ""), "text": limit_text(lim)} for lim in rep.limits],
            tables=_tables(rep, areas),
            charts=charts,
            notes=[i18n.translate(n) for n in rep.notes],
            bundle=Markup(vega_bundle()),
            specs=Markup(specs),
        )
    )


def write_xlsx_report(rep: AccountabilityReport, path: Path) -> Path:
    """The report's tables as XLSX: human headings, translated sheet names and a Notes sheet (what each
    sheet holds, sources, the data's limits, whether the data are synthetic)."""
    write_xlsx(
        rep.sheets(),
        path,
        about=SHEET_ABOUT,
        sources=[_("IATI activity files and 3W sheets imported into the workspace (see kizuna imports).")],
        synthetic=True if rep.country == "XZ" else None,
    )
    return path


def write_report(rep: AccountabilityReport, path: Path) -> Path:
    """Write the report as HTML (``.html``/``.htm``) or XLSX (``.xlsx``), by the file's suffix."""
    path = Path(path)
    if path.suffix.lower() in (".html", ".htm"):
        path.write_text(render_html(rep), encoding="utf-8")
    elif path.suffix.lower() == ".xlsx":
        write_xlsx_report(rep, path)
    else:
        from kizuna.errors import InputError, Where

        raise InputError(
            "report.format",
            N_("cannot write a report as {suffix!r}"),
            Where(file=str(path)),
            hint=N_("use a .html or .xlsx file name"),
            params={"suffix": path.suffix},
        )
    return path
