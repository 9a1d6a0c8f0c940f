"""Mutual-accountability report for one country and period: each ally side by side.

Sections (all pure frames; rendering is in :mod:`kizuna.coordinate.report`):

* summary per ally: commitments (IATI transaction type 2), disbursements (3), expenditure (4) in USD,
  commitment realisation = disbursements / commitments (reference note §5.7, GPEDC-style), activities,
  organisations;
* each ally's commitments and disbursements by sector and by admin1 area;
* overlap candidates between allies (pairs from different allies only);
* gaps against a needs table, when one is given;
* division of labour among allies: shares/HHI per sector, RCA, significance, sectors per ally.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from kizuna.coordinate import division
from kizuna.coordinate.gaps import gap_analysis
from kizuna.coordinate.limits import data_limits
from kizuna.coordinate.model import LedgerFrames, ledger_country, with_sector_names
from kizuna.coordinate.overlap import find_overlaps
from kizuna.coordinate.presence import presence
from kizuna.i18n import N_
from kizuna.output import Sheets

# what each sheet of the report's XLSX holds (message ids, by sheet key; the Notes sheet shows them)
SHEET_ABOUT: dict[str, str] = {
    "summary": N_(
        "Per ally: activities, organisations, committed, disbursed and spent (USD), disbursed per committed."
    ),
    "by sector": N_("Per ally and DAC sector: committed and disbursed (USD)."),
    "by area": N_(
        "Per ally and first-level area (admin1): committed and disbursed (USD); empty when no activity has a "
        "subnational location."
    ),
    "overlaps": N_(
        "Pairs of activities of different allies in the same sector, place and time, with a score (0-1) and the "
        "reasons: candidates to talk over, not findings."
    ),
    "gaps": N_("Needs against presence by area and sector, ranked by gap score."),
    "division - sectors": N_(
        "Per sector: allies present, the lead ally's share, concentration (HHI) and effective number of allies."
    ),
    "division - RCA": N_(
        "Revealed comparative advantage (Balassa index) of each ally in each sector, across the whole ledger."
    ),
    "division - significance": N_("Significant aid relationships (OECD categories A-D) in this country."),
    "division - sectors per ally": N_("How many sectors each ally works in, against the EU Code of Conduct's three."),
}
# sheet names, marked for the catalogue (write_xlsx translates them)
SHEET_NAMES = (
    N_("summary"),
    N_("by sector"),
    N_("by area"),
    N_("overlaps"),
    N_("gaps"),
    N_("division - sectors"),
    N_("division - RCA"),
    N_("division - significance"),
    N_("division - sectors per ally"),
)


@dataclass
class AccountabilityReport:
    country: str
    year_from: int | None
    year_to: int | None
    summary: pl.DataFrame
    by_sector: pl.DataFrame
    by_area: pl.DataFrame
    overlaps: pl.DataFrame
    gaps: pl.DataFrame | None
    concentration: pl.DataFrame
    rca: pl.DataFrame
    significance: pl.DataFrame
    sectors_per_ally: pl.DataFrame
    notes: list[str] = field(default_factory=list)
    # what the data cannot show (kizuna.coordinate.limits): {code, message}
    limits: list[dict[str, str]] = field(default_factory=list)
    # area names (kizuna.geo.areas.area_names) when the builder was given them, for the rendered report
    areas: pl.DataFrame | None = None

    def sheets(self) -> dict[str, pl.DataFrame]:
        """The report's tables by sheet name (for XLSX and JSON); as :class:`kizuna.output.Sheets`, they carry
        what each sheet holds for the XLSX's Notes sheet."""
        out = {
            "summary": self.summary,
            "by sector": self.by_sector,
            "by area": self.by_area,
            "overlaps": self.overlaps,
            "division - sectors": self.concentration,
            "division - RCA": self.rca,
            "division - significance": self.significance,
            "division - sectors per ally": self.sectors_per_ally,
        }
        if self.gaps is not None:
            out["gaps"] = self.gaps
        from kizuna.i18n import gettext
        from kizuna.report import limit_text

        # the statements in the reader's language (write_xlsx folds this sheet into its Notes sheet)
        out["notes"] = pl.DataFrame(
            {"note": [limit_text(lim) for lim in self.limits] + [gettext(n) for n in self.notes]},
            schema={"note": pl.String},
        )
        return Sheets(out, SHEET_ABOUT)


def _realisation(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        pl.when(pl.col("usd_commitments") > 0)
        .then(pl.col("usd_disbursements") / pl.col("usd_commitments"))
        .otherwise(None)
        .round(4)
        .alias("disbursed_per_committed")
    )


def build_accountability(
    lf: LedgerFrames,
    country: str,
    *,
    year_from: int | None = None,
    year_to: int | None = None,
    needs: pl.DataFrame | None = None,
    sector_level: str = "dac3",
    role: str = "reporting",
    top_overlaps: int = 25,
    areas: pl.DataFrame | None = None,
) -> AccountabilityReport:
    """Assemble the mutual-accountability report for ``country`` over [year_from, year_to] (inclusive).

    ``needs``: a needs table for the gaps section (its notes join the report's statements of what the
    data cannot show); ``areas`` (:func:`kizuna.geo.areas.area_names`) names the gaps' areas."""
    checked = ledger_country(lf, country)
    if checked is None:
        raise ValueError("the accountability report needs a country")
    country = checked
    kw: dict[str, Any] = {"role": role, "year_from": year_from, "year_to": year_to, "country": country}
    by_sector = presence(lf, by="ally", sector_level=sector_level, admin_level="country", **kw)
    by_area = presence(lf, by="ally", sector_level=sector_level, admin_level="adm1", **kw)
    by_sector = _realisation(by_sector.drop("usd_incoming"))
    by_area = _realisation(
        by_area.drop("usd_incoming")
        .group_by("ally", "country", "adm1")
        .agg(
            pl.col("n_activities").sum(),
            pl.col("usd_commitments").sum(),
            pl.col("usd_disbursements").sum(),
            pl.col("usd_expenditure").sum(),
        )
        .sort("ally", "adm1", nulls_last=True)
    )
    org_level = presence(lf, by="org", sector_level=sector_level, admin_level="country", **kw)
    summary = org_level.group_by("ally").agg(
        pl.col("org_key").n_unique().alias("n_orgs"),
        pl.col("usd_commitments").sum(),
        pl.col("usd_disbursements").sum(),
        pl.col("usd_expenditure").sum(),
    )
    # an activity can be in several sectors: count it once per ally from the activity table
    n_acts = _activities_per_ally(lf, role, country, year_from, year_to)
    summary = _realisation(summary.join(n_acts, on="ally", how="left").sort("usd_disbursements", descending=True))

    ov = find_overlaps(
        lf,
        country=country,
        role=role,
        different_allies=True,
        year_from=year_from,
        year_to=year_to,
        top_per_country=top_overlaps,
    )
    gap_res = (
        gap_analysis(lf, needs, areas=areas, country=country, role=role, year_from=year_from, year_to=year_to)
        if needs is not None
        else None
    )
    gap = gap_res.table if gap_res is not None else None
    money = division.donor_money(
        lf, by="ally", role=role, sector_level=sector_level, year_from=year_from, year_to=year_to
    )
    in_country = money.filter(pl.col("country") == country)
    notes = list(ov.notes)
    notes.append(
        N_(
            "Money: USD from the ledger's flows (ECB rates at value date); flows the ledger marks as the "
            "same money counted at its funder are left out."
        )
    )
    notes.append(
        N_(
            "Division of labour uses disbursements (transaction type 3); RCA and significance are computed "
            "across the whole ledger (all countries), shares and HHI within this country."
        )
    )
    return AccountabilityReport(
        country=country,
        year_from=year_from,
        year_to=year_to,
        summary=summary,
        by_sector=with_sector_names(by_sector, lf),
        by_area=by_area,
        overlaps=ov.pairs.drop("org_key_a", "org_key_b"),
        gaps=gap,
        concentration=with_sector_names(division.concentration(in_country), lf),
        rca=with_sector_names(division.rca(money), lf),
        significance=division.significance(money).filter(pl.col("country") == country),
        sectors_per_ally=division.sectors_per_donor(in_country),
        notes=notes,
        limits=_merge_limits(
            data_limits(lf, country, needs_given=needs is not None, year_from=year_from, year_to=year_to),
            gap_res.notes if gap_res is not None else [],
        ),
        areas=areas,
    )


def _merge_limits(*lists: list[dict[str, str]]) -> list[dict[str, str]]:
    """The statements of several sources, each (code, message) once, in order."""
    seen: set[tuple[str, str]] = set()
    out = []
    for lst in lists:
        for lim in lst:
            key = (lim["code"], lim["message"])
            if key not in seen:
                seen.add(key)
                out.append(lim)
    return out


def _activities_per_ally(
    lf: LedgerFrames, role: str, country: str, year_from: int | None, year_to: int | None
) -> pl.DataFrame:
    from kizuna.coordinate.model import activity_orgs

    a = lf.activities.join(lf.countries.filter(pl.col("country") == country), on="activity_uid", how="semi")
    if year_from is not None:
        a = a.filter(pl.coalesce("end_date", "start_date").dt.year().fill_null(year_from) >= year_from)
    if year_to is not None:
        a = a.filter(pl.coalesce("start_date", "end_date").dt.year().fill_null(year_to) <= year_to)
    return (
        activity_orgs(lf, role)
        .join(a.select("activity_uid"), on="activity_uid", how="semi")
        .group_by("ally")
        .agg(pl.col("activity_uid").n_unique().alias("n_activities"))
    )
