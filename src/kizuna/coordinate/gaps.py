"""Gaps: areas and sectors where need is high and presence is low (reference note §5.6, "Gaps").

Inputs: a needs table (area x sector with severity and/or people in need, see
:func:`kizuna.coordinate.needs.read_needs`) and a presence table at the same area and sector level
(:func:`kizuna.coordinate.presence.presence`, by organisation).

Per need row:

* usd = money present in that area x sector (default: disbursements, USD), n_orgs = distinct
  organisations, n_activities;
* usd_per_pin = usd / people in need (funding per person in need, as in HDX HAPI's funding views);
* pin_per_org = people in need / organisations present (none present: no ratio, ranked first);
* need = mean of the available parts severity / severity_max and pin / max pin in the table (0..1);
* coverage = mean of the available parts min(1, usd_per_pin / benchmark) and min(1, n_orgs / target_orgs),
  where benchmark is the median usd_per_pin over the need rows that have any money (or a given value);
* gap = need x (1 - coverage), in 0..1.

Rows are ranked, within each admin level, by ``gap`` (largest first) or by ``pin_per_org`` (areas with
no organisation first, largest need first; then the most people in need per organisation). ``auto``
ranks by pin_per_org when no money reaches any need area (3W presence without money, as in OCHA's
operational-presence sheets) and by gap otherwise.

The gap index is our own transparent heuristic (not a published standard); every part is a column, and
the reason says it in words.

A needs table written at admin-2 *and* admin-1 (OCHA's HNO gives both, and national totals) is
ranked at each level separately (column ``level``): figures are never added across levels, so nobody
is counted twice. Needs sectors and ledger sectors meet on the humanitarian cluster
(:mod:`kizuna.coordinate.sectors`: HNO codes FSC, WSH ... and DAC codes both map to clusters), so one
sector filter selects both.

:func:`gap_analysis` also says what the data cannot show, as notes (``{code, message}``): no needs
table, no subnational locations in the ledger (then an area with no organisation listed is unknown,
not empty, and the reasons say so), the share of money with no location, ledger money in sectors with
no cluster, needs sectors with no cluster, areas without names, and how national totals compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from kizuna.coordinate.model import ACTIVITY_SCHEMA, LedgerFrames
from kizuna.coordinate.model import empty as empty_frame
from kizuna.coordinate.needs import needs_level
from kizuna.coordinate.presence import presence
from kizuna.coordinate.sectors import (
    DAC3,
    INTERSECTORAL,
    cluster_of,
    needs_code_key,
    needs_sector_cluster,
    resolve_sector,
)
from kizuna.i18n import N_, _, note

ALL_SECTORS = "All sectors"  # how the intersectoral need (HNO sector ALL) is written in the output
# Areas of responsibility of the Protection cluster (IASC): 3W sheets often report their partners under
# Protection itself, so their needs are compared with Protection's presence when the ledger names none.
PROTECTION_AORS = ("Child Protection", "Gender Based Violence", "Housing, Land and Property", "Mine Action")
RANKINGS = ("auto", "gap", "pin_per_org")
MEASURE_LABELS = {
    "usd_disbursements": N_("disbursements"),
    "usd_commitments": N_("commitments"),
    "usd_expenditure": N_("expenditure"),
    "usd_incoming": N_("incoming funds"),
}
TYPE_OF_MEASURE: dict[str, tuple[str, ...]] = {
    "usd_commitments": ("2",),
    "usd_disbursements": ("3",),
    "usd_expenditure": ("4",),
    "usd_incoming": ("1", "11"),
}
GAPS_SCHEMA: dict[str, Any] = {
    "rank": pl.UInt32,
    "level": pl.String,
    "country": pl.String,
    "adm1": pl.String,
    "adm1_name": pl.String,
    "adm2": pl.String,
    "area_name": pl.String,
    "sector": pl.String,
    "needs_sector": pl.String,
    "severity": pl.Float64,
    "pin": pl.Float64,
    "n_orgs": pl.UInt32,
    "n_activities": pl.Int64,
    "pin_per_org": pl.Float64,
    "usd": pl.Float64,
    "usd_per_pin": pl.Float64,
    "need_score": pl.Float64,
    "coverage_score": pl.Float64,
    "gap_score": pl.Float64,
    "reason": pl.String,
}


@dataclass
class GapsResult:
    """The ranked gaps, the notes on what the data cannot show, and the national figures of the needs."""

    table: pl.DataFrame
    notes: list[dict[str, str]] = field(default_factory=list)
    national: pl.DataFrame | None = None  # sector, cluster, pin_national (as given), pin_sum, summed_level
    ranked_by: str | None = None


def needs_levels(needs: pl.DataFrame) -> tuple[str, str]:
    """(sector_level, admin_level) the needs table is written at: DAC codes or cluster names; adm2 or adm1."""
    sectors = needs.get_column("sector").drop_nulls().cast(pl.String)
    is_dac = sectors.str.contains(r"^\d{3}(\d{2})?$")
    level = ("dac5" if sectors.str.len_chars().eq(5).all() else "dac3") if is_dac.all() else "cluster"
    admin = "adm2" if needs.get_column("adm2").drop_nulls().len() else "adm1"
    return level, admin


def _needs_cluster(sector: str) -> str | None:
    if needs_code_key(sector) == INTERSECTORAL:
        return ALL_SECTORS
    return needs_sector_cluster(sector)


def normalise_needs(needs: pl.DataFrame, sector_level: str) -> pl.DataFrame:
    """Needs with their sector written as presence writes it (cluster names; the intersectoral ``ALL`` as
    "All sectors"); the sector as the table wrote it is kept in ``needs_sector``."""
    needs = needs.with_columns(pl.col("sector").alias("needs_sector"))
    if sector_level == "cluster":
        names = needs.get_column("sector").unique().to_list()
        m = pl.DataFrame(
            {"sector": names, "_s": [_needs_cluster(n) for n in names]},
            schema={"sector": pl.String, "_s": pl.String},
        )
        return needs.join(m, on="sector", how="left").with_columns(pl.col("_s").alias("sector")).drop("_s")
    return needs


def gaps(
    needs: pl.DataFrame,
    pres: pl.DataFrame,
    *,
    admin_level: str,
    measure: str = "usd_disbursements",
    severity_max: float = 5.0,
    target_orgs: int = 3,
    benchmark_usd_per_pin: float | None = None,
    rank_by: str = "gap",
    unknown_presence: dict[str, str] | None = None,
) -> pl.DataFrame:
    """Rank need rows (see the module docstring). ``pres`` is an org-level presence table.

    ``unknown_presence`` maps a country to why its presence by area is unknown (no subnational
    locations): its rows say that instead of "no organisation present".
    """
    if rank_by not in RANKINGS:
        raise ValueError(f"rank_by must be one of {RANKINGS}")
    area = admin_level
    p = (
        pres.filter(pl.col(area).is_not_null())
        .group_by(area, "sector")
        .agg(
            pl.col("org_key").n_unique().alias("n_orgs"),
            pl.col("n_activities").sum().alias("n_activities"),
            pl.col(measure).sum().alias("usd"),
            pl.col("org_name").unique().sort().str.join("; ").alias("orgs"),
        )
    )
    by = "presence_sector" if "presence_sector" in needs.columns else "sector"
    df = needs.join(p, left_on=[area, by], right_on=[area, "sector"], how="left").with_columns(
        pl.col("n_orgs").fill_null(0),
        pl.col("n_activities").fill_null(0),
        pl.col("usd").fill_null(0.0),
        pl.col("orgs").fill_null(""),
    )
    df = df.with_columns(
        pl.when(pl.col("pin") > 0).then(pl.col("usd") / pl.col("pin")).otherwise(None).alias("usd_per_pin"),
        pl.when(pl.col("n_orgs") > 0).then(pl.col("pin") / pl.col("n_orgs")).otherwise(None).alias("pin_per_org"),
    )
    bench = benchmark_usd_per_pin
    if bench is None:
        funded = df.filter(pl.col("usd_per_pin") > 0).get_column("usd_per_pin")
        bench = float(np.median(funded.to_numpy())) if funded.len() else None
    max_pin = df.get_column("pin").max()
    sev = (pl.col("severity") / severity_max).clip(0, 1)
    pin = (pl.col("pin") / max_pin) if max_pin else pl.lit(None, dtype=pl.Float64)
    df = df.with_columns(pl.mean_horizontal(sev, pin).alias("need_score"))
    money_part = (pl.col("usd_per_pin") / bench).clip(0, 1) if bench else pl.lit(None, dtype=pl.Float64)
    orgs_part = (pl.col("n_orgs") / target_orgs).clip(0, 1)
    df = df.with_columns(pl.mean_horizontal(money_part, orgs_part).alias("coverage_score")).with_columns(
        (pl.col("need_score") * (1 - pl.col("coverage_score"))).alias("gap_score")
    )
    if rank_by == "auto":
        rank_by = "gap" if float(df.get_column("usd").sum() or 0) > 0 else "pin_per_org"
    # ties go to the area code, then the sector, so the order never depends on the input's
    if rank_by == "gap":
        df = df.sort(
            ["gap_score", "need_score", area, "sector"], descending=[True, True, False, False], nulls_last=True
        )
    else:
        df = df.sort(
            [pl.col("n_orgs") == 0, "pin_per_org", "pin", area, "sector"],
            descending=[True, True, True, False, False],
            nulls_last=True,
        )
    df = df.with_row_index("rank", offset=1)
    unknown = unknown_presence or {}
    where = pl.coalesce(pl.col("area_name"), pl.col(area))
    why_unknown = pl.col("country").replace_strict(unknown, default=None, return_dtype=pl.String)
    reason = pl.concat_str(
        [
            pl.lit("need in ") + where + pl.lit(" / ") + pl.col("sector"),
            pl.when(pl.col("severity").is_not_null()).then(
                pl.lit("severity ") + pl.col("severity").cast(pl.String) + pl.lit(f" of {severity_max:g}")
            ),
            pl.when(pl.col("pin").is_not_null()).then(
                pl.col("pin").round(0).cast(pl.Int64).cast(pl.String) + pl.lit(" people in need")
            ),
            pl.when(why_unknown.is_not_null() & (pl.col("n_orgs") == 0))
            .then(pl.lit("presence in this area unknown: ") + why_unknown)
            .when(pl.col("n_orgs") == 0)
            .then(pl.lit("no organisation present"))
            .otherwise(pl.col("n_orgs").cast(pl.String) + pl.lit(" organisation(s) present: ") + pl.col("orgs")),
            pl.when(pl.col("pin_per_org").is_not_null()).then(
                pl.col("pin_per_org").round(0).cast(pl.Int64).cast(pl.String)
                + pl.lit(" people in need per organisation present")
            ),
            pl.when(pl.col("usd_per_pin").is_not_null() & (pl.col("usd") > 0)).then(
                pl.lit("USD ")
                + pl.col("usd_per_pin").round(2).cast(pl.String)
                + pl.lit(" per person in need")
                + (pl.lit(f" (median of funded areas {bench:.2f})") if bench else pl.lit(""))
            ),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    if "needs_sector" not in df.columns:
        df = df.with_columns(pl.col("sector").alias("needs_sector"))
    return df.with_columns(reason.alias("reason")).select(
        "rank",
        "country",
        "adm1",
        "adm2",
        "area_name",
        "sector",
        "needs_sector",
        "severity",
        "pin",
        "n_orgs",
        "n_activities",
        pl.col("pin_per_org").round(1),
        pl.col("usd").round(2),
        pl.col("usd_per_pin").round(4),
        pl.col("need_score").round(4),
        pl.col("coverage_score").round(4),
        pl.col("gap_score").round(4),
        "reason",
    )


# --- what the data cannot show -----------------------------------------------------------------------


def _note(code: str, template: str, **params: Any) -> dict[str, Any]:
    return note(code, template, **params)


def _countries_of(lf: LedgerFrames) -> list[str]:
    return sorted(lf.countries.get_column("country").drop_nulls().unique().to_list())


def _located(lf: LedgerFrames) -> pl.DataFrame:
    return lf.locations.filter(pl.col("adm1").fill_null("").ne("") | pl.col("adm2").fill_null("").ne("")).select(
        "activity_uid", pl.col("country").alias("loc_country")
    )


def _unplaced_countries(lf: LedgerFrames, countries: list[str]) -> tuple[list[str], list[tuple[str, int]]]:
    """Countries with no activity, and countries (with their activity counts) with no subnational location."""
    acts = lf.countries.filter(pl.col("country").is_in(countries)) if countries else lf.countries.clear()
    located = _located(lf)
    absent, unlocated = [], []
    for c in countries:
        in_c = acts.filter(pl.col("country") == c).select("activity_uid").unique()
        if in_c.height == 0:
            absent.append(c)
            continue
        here = located.join(in_c, on="activity_uid", how="semi").filter(
            pl.col("loc_country").is_null() | (pl.col("loc_country") == c)
        )
        if here.height == 0:
            unlocated.append((c, in_c.height))
    return absent, unlocated


def presence_unknown(lf: LedgerFrames, countries: list[str]) -> dict[str, str]:
    """Countries whose presence by area the ledger cannot show, with the reason in words."""
    absent, unlocated = _unplaced_countries(lf, countries)
    out = {c: _("the ledger has no activity in {country}").format(country=c) for c in absent}
    out.update({c: _("the ledger has no subnational locations in {country}").format(country=c) for c, _n in unlocated})
    return out


def ledger_notes(
    lf: LedgerFrames,
    countries: list[str] | None = None,
    *,
    measure: str = "usd_disbursements",
    year_from: int | None = None,
    year_to: int | None = None,
    cluster_level: bool = True,
) -> list[dict[str, str]]:
    """Notes on what the ledger cannot show for gaps in ``countries`` (all the ledger's when None):

    ``no_activities_in_country``, ``no_subnational_locations`` (no activity there has an admin-1/admin-2
    area or coordinates placed in one), ``money_without_location`` (the share of the measure's USD in
    activities with no subnational location) and, when needs are compared by cluster,
    ``ledger_sectors_without_cluster`` (the share of that money in DAC sectors with no cluster).
    """
    countries = countries if countries is not None else _countries_of(lf)
    notes: list[dict[str, str]] = []
    absent, unlocated = _unplaced_countries(lf, countries)
    if absent:
        notes.append(
            _note(
                "no_activities_in_country",
                N_("the ledger has no activity in {countries}: presence there is unknown, not absent"),
                countries=", ".join(absent),
            )
        )
    if unlocated:
        listed = ", ".join(f"{c} ({n})" for c, n in unlocated)
        notes.append(
            _note(
                "no_subnational_locations",
                N_(
                    "no subnational locations: no activity in {countries} has an admin-1/admin-2 area or"
                    " coordinates (activities in brackets), so presence by area cannot be shown — an area listing no"
                    " organisation is unknown, not empty (3W sheets with P-codes, or IATI locations with coordinates"
                    " and `kizuna boundaries add`, fill it)"
                ),
                countries=listed,
            )
        )
    located = _located(lf)
    flows = lf.flows.filter(pl.col("counted") & pl.col("type_code").is_in(list(TYPE_OF_MEASURE.get(measure, ()))))
    if year_from is not None:
        flows = flows.filter(pl.col("year") >= year_from)
    if year_to is not None:
        flows = flows.filter(pl.col("year") <= year_to)
    flows = flows.filter(pl.col("country").is_in(countries)) if countries else flows.clear()
    label = MEASURE_LABELS.get(measure, measure)
    located_uids = located.select("activity_uid").unique().with_columns(pl.lit(True).alias("_located"))
    money = flows.join(located_uids, on="activity_uid", how="left").with_columns(pl.col("_located").fill_null(False))
    for c in countries:
        in_c = money.filter(pl.col("country") == c)
        total = float(in_c.get_column("usd").sum() or 0)
        if total <= 0:
            continue
        unplaced = float(in_c.filter(~pl.col("_located")).get_column("usd").sum() or 0)
        if unplaced > 0:
            notes.append(
                _note(
                    "money_without_location",
                    N_(
                        "{share} of the USD {total} of {measure} in {country} is in activities with"
                        " no subnational location: it is counted in no area"
                    ),
                    share=_share(unplaced / total),
                    total=f"{total:,.0f}",
                    measure=label,
                    country=c,
                    words=("measure",),
                )
            )
        if cluster_level:
            sec = in_c.with_columns(
                pl.col("sector3").fill_null(pl.col("sector").str.slice(0, 3)).alias("_d3"),
            )
            d3 = sec.get_column("_d3").to_list()
            d5 = sec.get_column("sector").to_list()
            no_cluster = sec.with_columns(
                pl.Series("_cl", [cluster_of(a, b) for a, b in zip(d5, d3, strict=True)], dtype=pl.String)
            ).filter(pl.col("_cl").is_null())
            off = float(no_cluster.get_column("usd").sum() or 0)
            if off > 0:
                top = (
                    no_cluster.group_by("_d3")
                    .agg(pl.col("usd").sum())
                    .sort("usd", descending=True)
                    .head(3)
                    .iter_rows(named=True)
                )
                named = ", ".join(_dac3_share(r["_d3"], r["usd"] / off) for r in top)
                notes.append(
                    _note(
                        "ledger_sectors_without_cluster",
                        N_(
                            "{share} of the USD {total} of {measure} in {country} is in DAC sectors with no"
                            " humanitarian cluster ({sectors}): it is not compared with needs by cluster"
                        ),
                        share=_share(off / total),
                        total=f"{total:,.0f}",
                        measure=label,
                        country=c,
                        sectors=named,
                        words=("measure",),
                    )
                )
    return notes


def _share(x: float) -> str:
    """A share as a whole percentage; a share that rounds to 0 or 100 without being it says so."""
    if 0 < x < 0.005:
        return "<1%"
    if 0.995 <= x < 1:
        return ">99%"
    return f"{x:.0%}"


def _dac3_share(code: str | None, share: float) -> str:
    """``152 Conflict, peace and security 64%``, the name in the language of the moment."""
    from kizuna.reference.names import sector_name

    name = sector_name(code, DAC3.get(code or "", ("", None))[0]) if code else ""
    return f"{code or '—'} {name} {_share(share)}".replace("  ", " ")


def _national(needs: pl.DataFrame) -> pl.DataFrame:
    """Per sector: the national people in need as the table gives it, and the sum over its finest level."""
    lv = needs.with_columns(needs_level(needs).alias("_level"))
    finest = lv.filter(pl.col("_level") > 0).group_by("needs_sector").agg(pl.col("_level").max().alias("_max"))
    summed = (
        lv.join(finest, on="needs_sector")
        .filter(pl.col("_level") == pl.col("_max"))
        .group_by("needs_sector", "_max")
        .agg(pl.col("pin").sum().alias("pin_sum"))
    )
    given = lv.filter(pl.col("_level") == 0).group_by("needs_sector").agg(pl.col("pin").sum().alias("pin_national"))
    out = summed.join(given, on="needs_sector", how="full", coalesce=True)
    clusters = out.get_column("needs_sector").to_list()
    return (
        out.with_columns(
            pl.Series("cluster", [_needs_cluster(s) for s in clusters], dtype=pl.String),
            pl.col("_max")
            .replace_strict({1: "adm1", 2: "adm2"}, default=None, return_dtype=pl.String)
            .alias("summed_level"),
        )
        .select(pl.col("needs_sector").alias("sector"), "cluster", "pin_national", "pin_sum", "summed_level")
        .sort("sector")
    )


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def gap_analysis(
    lf: LedgerFrames,
    needs: pl.DataFrame | None,
    *,
    areas: pl.DataFrame | None = None,
    country: str | None = None,
    sector: str | None = None,
    levels: tuple[str, ...] = ("adm2", "adm1"),
    rank_by: str = "auto",
    role: str = "reporting",
    measure: str = "usd_disbursements",
    year_from: int | None = None,
    year_to: int | None = None,
    target_orgs: int = 3,
    benchmark_usd_per_pin: float | None = None,
) -> GapsResult:
    """Gaps of the ledger's presence against a needs table, with notes on what the data cannot show.

    ``areas`` (:func:`kizuna.geo.areas.area_names`) names the areas; ``country`` (ISO alpha-2, any case)
    keeps one country; ``sector`` is one filter for both sides (a cluster name or synonym, an HNO code
    such as ``WSH``, a vocabulary-10 code, or a DAC code: see
    :func:`kizuna.coordinate.sectors.resolve_sector`; ValueError when it is none of these); ``levels``
    the admin levels to rank (each separately). ``needs`` None: an empty table and the notes.
    """
    if rank_by not in RANKINGS:
        raise ValueError(f"rank_by must be one of {RANKINGS}")
    country = country.strip().upper() if country else None
    wanted = resolve_sector(sector) if sector else None
    empty = pl.DataFrame(schema=GAPS_SCHEMA)
    if needs is not None and country:
        needs = needs.filter(pl.col("country").fill_null("").str.to_uppercase() == country)
    if needs is None or needs.height == 0:
        notes_for = [country] if country else None
        empty_notes = [
            _note(
                "no_needs",
                N_(
                    "no needs table for {country}: gaps need one (kizuna gaps --needs FILE stores it; OCHA's HNO"
                    " table or a simple area x sector table)"
                ),
                country=country,
            )
            if country and needs is not None
            else _note(
                "no_needs",
                N_(
                    "no needs table: gaps need one (kizuna gaps --needs FILE stores it; OCHA's HNO table or a"
                    " simple area x sector table)"
                ),
            )
        ]
        empty_notes += ledger_notes(lf, notes_for, measure=measure, year_from=year_from, year_to=year_to)
        return GapsResult(empty, empty_notes)

    area_rows = needs.filter(pl.col("adm1").is_not_null() | pl.col("adm2").is_not_null())
    sector_level, _ = needs_levels(area_rows if area_rows.height else needs)
    needs = normalise_needs(needs, sector_level)
    if wanted is not None:
        kind, value = wanted
        if sector_level == "cluster":
            target = value if kind == "cluster" else cluster_of(value if len(value) == 5 else None, value[:3])
            needs = needs.filter(pl.col("sector") == target)
        else:
            codes = needs.get_column("sector").unique().to_list()
            keep = [
                c
                for c in codes
                if (kind == "dac" and c.startswith(value))
                or (kind == "cluster" and cluster_of(c if len(c) == 5 else None, c[:3]) == value)
            ]
            needs = needs.filter(pl.col("sector").is_in(keep))

    national = _national(needs)
    notes: list[dict[str, str]] = []
    if sector_level == "cluster":
        unmapped = needs.filter(pl.col("sector").is_null())
        if unmapped.height:
            codes = sorted(set(unmapped.get_column("needs_sector").to_list()))
            notes.append(
                _note(
                    "needs_sectors_without_cluster",
                    N_("needs sector(s) {sectors} map to no humanitarian cluster: their {n} row(s) are not ranked"),
                    sectors=", ".join(codes),
                    n=unmapped.height,
                )
            )
            needs = needs.filter(pl.col("sector").is_not_null())
    countries = sorted(needs.get_column("country").drop_nulls().unique().to_list())
    lnotes = ledger_notes(
        lf,
        [country] if country else countries,
        measure=measure,
        year_from=year_from,
        year_to=year_to,
        cluster_level=sector_level == "cluster",
    )
    unknown = presence_unknown(lf, [country] if country else countries)
    notes += lnotes

    names = areas if areas is not None else pl.DataFrame(schema={"pcode": pl.String, "name": pl.String})
    lookup = names.select("pcode", "name").unique("pcode")
    needs = needs.with_columns(needs_level(needs).alias("_level"))
    tables = []
    ranked_by = set()
    aor_folded: set[str] = set()
    for level in levels:
        lv = 2 if level == "adm2" else 1
        rows = needs.filter(pl.col("_level") == lv).drop("_level")
        if rows.height == 0:
            continue
        code = "adm2" if lv == 2 else "adm1"
        rows = (
            rows.join(lookup.rename({"pcode": code, "name": "_n"}), on=code, how="left")
            .with_columns(pl.coalesce("area_name", "_n").alias("area_name"))
            .drop("_n")
        )
        ctry = country or (countries[0] if len(countries) == 1 else None)
        # a country of the needs table the ledger does not hold: nobody is present there (not an error)
        absent = ctry is not None and ctry not in set(lf.countries.get_column("country").drop_nulls().to_list())
        pres = presence(
            LedgerFrames(empty_frame(ACTIVITY_SCHEMA)) if absent else lf,
            by="org",
            role=role,
            sector_level=sector_level,
            admin_level=level,
            year_from=year_from,
            year_to=year_to,
            country=None if absent else ctry,
        )
        rows = rows.with_columns(pl.col("sector").alias("presence_sector"))
        present = set(pres.get_column("sector").drop_nulls().unique().to_list())
        folded = [a for a in PROTECTION_AORS if a not in present and "Protection" in present]
        if folded and sector_level == "cluster":
            rows = rows.with_columns(
                pl.when(pl.col("sector").is_in(folded))
                .then(pl.lit("Protection"))
                .otherwise(pl.col("presence_sector"))
                .alias("presence_sector")
            )
            aor_folded.update(a for a in folded if rows.filter(pl.col("sector") == a).height)
        if rows.filter(pl.col("sector") == ALL_SECTORS).height:
            pres = pl.concat([pres, pres.with_columns(pl.lit(ALL_SECTORS).alias("sector"))], how="vertical_relaxed")
        mode = rank_by
        if mode == "auto":
            funded = pres.filter(pl.col(measure) > 0).select(code, pl.col("sector").alias("presence_sector"))
            joined = rows.select(code, "presence_sector").join(
                funded.unique(), on=[code, "presence_sector"], how="semi"
            )
            mode = "gap" if joined.height else "pin_per_org"
        ranked_by.add(mode)
        t = gaps(
            rows,
            pres,
            admin_level=level,
            measure=measure,
            target_orgs=target_orgs,
            benchmark_usd_per_pin=benchmark_usd_per_pin,
            rank_by=mode,
            unknown_presence=unknown,
        )
        tables.append(t.with_columns(pl.lit(level).alias("level")))
    table = pl.concat(tables, how="vertical_relaxed") if tables else empty.drop("adm1_name")
    table = table.join(lookup.rename({"pcode": "adm1", "name": "adm1_name"}), on="adm1", how="left")
    table = table.select([pl.col(c).cast(t) for c, t in GAPS_SCHEMA.items()])

    if aor_folded:
        notes.append(
            _note(
                "aor_as_protection",
                N_(
                    "the ledger names no organisation under {sectors} (3W sheets report them"
                    " under Protection): those needs are compared with the Protection cluster's presence"
                ),
                sectors=", ".join(sorted(aor_folded)),
            )
        )
    if ranked_by:
        how = {
            "gap": N_("ranked by gap score (need x lack of money and organisations)"),
            "pin_per_org": N_(
                "ranked by people in need per organisation present (no money reaches these areas in"
                " the ledger); areas with no organisation first"
            ),
        }
        for m in sorted(ranked_by):
            notes.append(_note("ranked_by", how[m]))
    if areas is not None:
        area_codes = (
            pl.concat([table.filter(pl.col("level") == "adm2").get_column("adm2"), table.get_column("adm1")])
            .drop_nulls()
            .unique()
        )
        unnamed = area_codes.filter(~area_codes.is_in(lookup.get_column("pcode").implode()))
        if unnamed.len():
            notes.append(
                _note(
                    "needs_areas_unnamed",
                    N_(
                        "{n} of {total} areas of the needs table have no name in this workspace"
                        " (e.g. {examples}): kizuna boundaries add the gazetteer"
                    ),
                    n=unnamed.len(),
                    total=area_codes.len(),
                    examples=", ".join(unnamed.sort().head(3).to_list()),
                )
            )
    for r in national.iter_rows(named=True):
        if r["pin_national"] is not None and r["sector"] and needs_code_key(r["sector"]) == INTERSECTORAL:
            notes.append(
                _note(
                    "needs_national_total",
                    N_(
                        "people in need, national as the table gives it: {national}; the sum over its"
                        " {level}: {total} (the source rounds each area; figures are never added across levels"
                        " or sectors)"
                    ),
                    national=_fmt(r["pin_national"]),
                    level=r["summed_level"] or N_("areas"),
                    total=_fmt(r["pin_sum"]),
                    words=("level",),
                )
            )
    return GapsResult(table, notes, national, "/".join(sorted(ranked_by)) or None)


def gaps_from_ledger(
    lf: LedgerFrames,
    needs: pl.DataFrame,
    *,
    role: str = "reporting",
    measure: str = "usd_disbursements",
    year_from: int | None = None,
    year_to: int | None = None,
    target_orgs: int = 3,
    benchmark_usd_per_pin: float | None = None,
    **kwargs: Any,
) -> pl.DataFrame:
    """The table of :func:`gap_analysis` (kept for callers that need only the ranking)."""
    return gap_analysis(
        lf,
        needs,
        role=role,
        measure=measure,
        year_from=year_from,
        year_to=year_to,
        target_orgs=target_orgs,
        benchmark_usd_per_pin=benchmark_usd_per_pin,
        **kwargs,
    ).table


__all__ = [
    "ALL_SECTORS",
    "GapsResult",
    "gap_analysis",
    "gaps",
    "gaps_from_ledger",
    "ledger_notes",
    "needs_levels",
    "normalise_needs",
    "presence_unknown",
]
