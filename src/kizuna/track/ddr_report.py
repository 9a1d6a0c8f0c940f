"""The DDR reintegration report: one computation (:func:`compute`), written as HTML (template
``report/templates/ddr.html``, no script, no external resource), XLSX (the shared writer with its Notes
sheet), JSON and CSV. Every breakdown follows the disclosure rule of :mod:`kizuna.track.ddr`; no name, id or
sealed field is read (the report needs no key)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from kizuna import i18n
from kizuna.i18n import N_
from kizuna.output import Sheets, to_csv_text, to_json_records, write_xlsx
from kizuna.track import ddr
from kizuna.workspace import Workspace

SHEET_ABOUT = {
    N_("programmes"): N_("Each DDR programme: persons, follow-up waves, the id of its key (never the key)."),
    N_("groups"): N_("Persons, re-recruited and censored per breakdown group; groups under 10 persons withheld."),
    N_("survival"): N_("Kaplan–Meier estimate of staying out of armed groups, with Greenwood 95% intervals."),
    N_("log-rank"): N_("Log-rank tests between the groups of each breakdown (groups shown only)."),
    N_("waves"): N_("Share re-recruited by each wave, with its denominator (the lost left out, never successes)."),
    N_("dimensions"): N_("IDDRS reintegration dimensions per wave: shares and means with the persons who answered."),
}
NOTES = (
    N_(
        "Re-recruitment is a wave at which the person was seen and reported re-recruited or rearmed; its time is "
        "the first such wave (months since entry)."
    ),
    N_(
        "Lost to follow-up is censored at the last wave the person was seen, never counted as a success; death "
        "is censored at the last wave seen alive (deaths are counted in the security dimension)."
    ),
    N_(
        "Groups of fewer than 10 persons are withheld, and one more group when exactly one is withheld "
        "(measure's disclosure rule)."
    ),
)


@dataclass(frozen=True)
class DdrReport:
    """Everything the report shows, computed once."""

    programme: str | None
    programmes: pl.DataFrame
    survival: ddr.Survival
    waves: pl.DataFrame
    dimensions: pl.DataFrame
    synthetic: bool


def compute(
    ws: Workspace, programme: str | None = None, breakdowns: tuple[str, ...] = (ddr.ALL, *ddr.BREAKDOWNS)
) -> DdrReport:
    """The report of ``programme`` (every programme when None)."""
    from kizuna.track.ddr_store import load, programmes, synthetic

    persons, waves = load(ws, programme)
    progs = programmes(ws)
    if programme is not None:
        progs = progs.filter(pl.col("programme") == programme)
    return DdrReport(
        programme,
        progs.drop("created_at"),
        ddr.survival(persons, waves, breakdowns),
        ddr.wave_shares(persons, waves, breakdowns),
        ddr.named(ddr.indicators(persons, waves, breakdowns)),
        synthetic(ws),
    )


def sheets(rep: DdrReport) -> Sheets:
    return Sheets(
        {
            N_("programmes"): rep.programmes,
            N_("groups"): rep.survival.groups,
            N_("survival"): rep.survival.curves,
            N_("log-rank"): rep.survival.tests,
            N_("waves"): rep.waves,
            N_("dimensions"): rep.dimensions.select(
                "breakdown",
                "group",
                "wave",
                "dimension_name",
                "outcome_name",
                "seen",
                "answered",
                "value",
                "suppressed",
            ),
        },
        SHEET_ABOUT,
    )


def html(rep: DdrReport) -> str:
    """The report as one self-contained page (no script) in the language of the moment."""
    from kizuna.report import CSP_NO_SCRIPT, environment, table

    overall = rep.survival.curves.filter(pl.col("breakdown") == ddr.ALL)
    dims = rep.dimensions.filter(pl.col("breakdown") == ddr.ALL)
    return (
        environment()
        .get_template("ddr.html")
        .render(
            csp=CSP_NO_SCRIPT,
            synthetic=rep.synthetic,
            notes=[i18n.gettext(n) for n in NOTES],
            programmes=table(
                rep.programmes, [("programme", "data"), ("persons", "int"), ("waves", "int"), ("key_id", "data")]
            ),
            overall=table(
                overall,
                [
                    ("months", "number"),
                    ("at_risk", "int"),
                    ("events", "int"),
                    ("censored", "int"),
                    ("survival", "percent"),
                    ("lo", "percent"),
                    ("hi", "percent"),
                ],
            ),
            groups=table(
                rep.survival.groups,
                [
                    ("breakdown", "data"),
                    ("group", "data"),
                    ("persons", "int"),
                    ("re_recruited", "int"),
                    ("censored", "int"),
                    ("suppressed", "yesno"),
                ],
            ),
            tests=table(
                rep.survival.tests,
                [
                    ("breakdown", "data"),
                    ("groups_compared", "int"),
                    ("chi_square", "score"),
                    ("degrees_of_freedom", "int"),
                    ("p_value", "est"),
                ],
            ),
            curves=table(
                rep.survival.curves.filter(pl.col("breakdown") != ddr.ALL),
                [
                    ("breakdown", "data"),
                    ("group", "data"),
                    ("months", "number"),
                    ("at_risk", "int"),
                    ("events", "int"),
                    ("survival", "percent"),
                    ("lo", "percent"),
                    ("hi", "percent"),
                ],
                max_rows=400,
            ),
            waves=table(
                rep.waves.filter(pl.col("breakdown") == ddr.ALL),
                [
                    ("wave", "number"),
                    ("persons", "int"),
                    ("seen", "int"),
                    ("lost", "int"),
                    ("reached", "int"),
                    ("share", "percent"),
                ],
            ),
            dimensions=table(
                dims,
                [
                    ("wave", "number"),
                    ("dimension_name", "data"),
                    ("outcome_name", "data"),
                    ("seen", "int"),
                    ("answered", "int"),
                    ("value", "score"),
                ],
                max_rows=400,
            ),
        )
    )


def write(rep: DdrReport, out_dir: Path, stem: str = "ddr") -> dict[str, Path]:
    """Write ``<stem>.html``, ``.xlsx``, ``.json`` and one CSV per table into ``out_dir``; their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = sheets(rep)
    paths = {"html": out_dir / f"{stem}.html", "xlsx": out_dir / f"{stem}.xlsx", "json": out_dir / f"{stem}.json"}
    paths["html"].write_text(html(rep), encoding="utf-8")
    write_xlsx(tables, paths["xlsx"], notes=[i18n.gettext(n) for n in NOTES], synthetic=rep.synthetic)
    doc: dict[str, Any] = {name: to_json_records(df) for name, df in tables.items()}
    doc["notes"] = [i18n.gettext(n) for n in NOTES]
    paths["json"].write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    for name, df in tables.items():
        p = out_dir / f"{stem}-{name}.csv"
        p.write_text(to_csv_text(df), encoding="utf-8")
        paths[f"csv:{name}"] = p
    return paths
