"""Presence, "who does what where": organisation or ally x sector x area x period, with USD and counts.

Money comes from the ledger's ``flows`` (each transaction already split by country x sector and
converted to USD by ``kizuna.ledger.money``). Two further equal splits put it on the grid:

* across the activity's organisations in the chosen role (1/n each, so an activity with two funders
  gives each half), and
* across the activity's distinct locations at the chosen admin level (1/m each); an activity without
  a location at that level keeps its money on a blank area (country-wide or unspecified).

Both splits sum to 1 per activity, so the presence table's USD total equals the flows total for the
same filter exactly (up to floating-point rounding): no money appears or disappears.

Activity counts include 3W rows and activities without money: an activity counts in every cell of
its declared sectors x locations x years active (start to end date), and in every cell its flows reach.
"""

from __future__ import annotations

import polars as pl

from kizuna.coordinate.model import LedgerFrames, activity_orgs, ledger_country
from kizuna.coordinate.sectors import sector_key, with_sector_levels

MEASURES = {
    "1": "usd_incoming",
    "11": "usd_incoming",
    "2": "usd_commitments",
    "3": "usd_disbursements",
    "4": "usd_expenditure",
}
ADMIN_LEVELS = ("country", "adm1", "adm2")


def _area_cols(admin_level: str) -> list[str]:
    if admin_level not in ADMIN_LEVELS:
        raise ValueError(f"admin_level must be one of {ADMIN_LEVELS}")
    return {"country": [], "adm1": ["adm1"], "adm2": ["adm1", "adm2"]}[admin_level]


def location_weights(lf: LedgerFrames, admin_level: str) -> pl.DataFrame:
    """Per activity, its distinct areas at ``admin_level`` with weight 1/m (activity_uid, adm1[, adm2], w_loc)."""
    cols = _area_cols(admin_level)
    if not cols:
        return pl.DataFrame(schema={"activity_uid": pl.String, "w_loc": pl.Float64})
    key = cols[-1]
    locs = lf.locations.filter(pl.col(key).is_not_null() & (pl.col(key) != "")).select("activity_uid", *cols).unique()
    return locs.with_columns((1.0 / pl.len().over("activity_uid")).alias("w_loc"))


def presence(
    lf: LedgerFrames,
    *,
    by: str = "org",
    role: str = "reporting",
    sector_level: str = "dac3",
    admin_level: str = "adm1",
    period: str = "all",
    year_from: int | None = None,
    year_to: int | None = None,
    country: str | None = None,
    counted_only: bool = True,
    areas: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The who-does-what-where table.

    ``by`` 'org' or 'ally'; ``role`` 'reporting' | 'funding' | 'implementing' | ...; ``sector_level``
    'dac5' | 'dac3' | 'cluster'; ``admin_level`` 'country' | 'adm1' | 'adm2'; ``period`` 'all' or 'year'
    (flows by their transaction year, activities by each year they run). ``counted_only`` drops flows the
    ledger marks as the same money counted at its funder (``flows.counted = FALSE``).
    Columns: [org_key, org_name,] ally, country, sector, [adm1, adm2,] [year,] n_activities,
    [n_orgs,] usd_commitments, usd_disbursements, usd_expenditure, usd_incoming (USD, current prices).
    ``areas`` (:func:`kizuna.geo.areas.area_names`): adds ``adm1_name``/``adm2_name`` after the codes.
    """
    if by not in ("org", "ally"):
        raise ValueError("by must be 'org' or 'ally'")
    country = ledger_country(lf, country)
    area = _area_cols(admin_level)
    orgs = activity_orgs(lf, role)
    lw = location_weights(lf, admin_level)

    flows = lf.flows
    if counted_only:
        flows = flows.filter(pl.col("counted"))
    if year_from is not None:
        flows = flows.filter(pl.col("year") >= year_from)
    if year_to is not None:
        flows = flows.filter(pl.col("year") <= year_to)
    if country:
        flows = flows.filter(pl.col("country") == country)
    flows = with_sector_levels(flows.rename({"sector": "code"}), "code").with_columns(sector_key(sector_level))
    money = flows.join(orgs, on="activity_uid", how="inner")
    if area:
        money = money.join(lw, on="activity_uid", how="left").with_columns(pl.col("w_loc").fill_null(1.0))
    else:
        money = money.with_columns(pl.lit(1.0).alias("w_loc"))
    money = money.with_columns(
        (pl.col("usd") * pl.col("weight") * pl.col("w_loc")).alias("usd_alloc"),
        pl.col("type_code").replace_strict(MEASURES, default="usd_other").alias("measure"),
    )
    cell = ["org_key", "org_name", "ally", "country", "sector", *area]
    if period == "year":
        cell.append("year")
    elif period != "all":
        raise ValueError("period must be 'all' or 'year'")

    # activity presence: cells reached by flows, plus declared sectors x locations x active years
    from_flows = money.select("activity_uid", *cell)
    declared = _declared_cells(lf, orgs, sector_level, area, period, year_from, year_to, country)
    acts = pl.concat([from_flows, declared.select("activity_uid", *cell)], how="vertical_relaxed").unique()
    counts = acts.group_by(cell).agg(pl.col("activity_uid").n_unique().alias("n_activities"))

    measure_names = ["usd_commitments", "usd_disbursements", "usd_expenditure", "usd_incoming"]
    sums = money.group_by(cell).agg(
        [pl.col("usd_alloc").filter(pl.col("measure") == m).sum().alias(m) for m in measure_names]
    )
    out = counts.join(sums, on=cell, how="full", coalesce=True, nulls_equal=True).with_columns(
        pl.col("n_activities").fill_null(0), *[pl.col(m).fill_null(0.0) for m in measure_names]
    )
    if by == "ally":
        acell = [c for c in cell if c not in ("org_key", "org_name")]
        ally_counts = acts.group_by(acell).agg(
            pl.col("activity_uid").n_unique().alias("n_activities"), pl.col("org_key").n_unique().alias("n_orgs")
        )
        ally_sums = out.group_by(acell).agg([pl.col(m).sum() for m in measure_names])
        out = ally_counts.join(ally_sums, on=acell, how="full", coalesce=True, nulls_equal=True)
        cell = acell
        out = out.select(*cell, "n_activities", "n_orgs", *measure_names)
    else:
        out = out.select(*cell, "n_activities", *measure_names)
    out = out.sort([c for c in cell if c != "org_name"], nulls_last=True)
    if areas is not None and area:
        from kizuna.geo.areas import with_area_names

        out = with_area_names(out, areas)
    return out


def _declared_cells(
    lf: LedgerFrames,
    orgs: pl.DataFrame,
    sector_level: str,
    area: list[str],
    period: str,
    year_from: int | None,
    year_to: int | None,
    country: str | None,
) -> pl.DataFrame:
    acts = lf.activities.select("activity_uid", "start_date", "end_date")
    sec = lf.sectors.with_columns(sector_key(sector_level)).select("activity_uid", "sector").unique()
    ctry = lf.countries.unique()
    base = (
        acts.join(sec, on="activity_uid", how="inner")
        .join(ctry, on="activity_uid", how="left")
        .join(orgs.select("activity_uid", "org_key", "org_name", "ally"), on="activity_uid", how="inner")
    )
    if country:
        base = base.filter(pl.col("country") == country)
    if area:
        locs = lf.locations.select("activity_uid", *area).unique()
        base = base.join(locs, on="activity_uid", how="left")
    lo = pl.col("start_date").dt.year()
    hi = pl.coalesce(pl.col("end_date"), pl.col("start_date")).dt.year()
    if year_from is not None:
        base = base.filter(hi.is_null() | (hi >= year_from))
    if year_to is not None:
        base = base.filter(lo.is_null() | (lo <= year_to))
    if period == "year":
        lo_c = pl.max_horizontal(lo, pl.lit(year_from)) if year_from is not None else lo
        hi_c = pl.min_horizontal(hi, pl.lit(year_to)) if year_to is not None else hi
        base = (
            base.filter(lo.is_not_null())
            .with_columns(pl.int_ranges(lo_c, hi_c + 1).alias("year"))
            .explode("year")
            .filter(pl.col("year").is_not_null())
            .with_columns(pl.col("year").cast(pl.Int64))
        )
    return base


def shared_sectors(pres: pl.DataFrame, min_orgs: int = 2, measure: str = "usd_disbursements") -> pl.DataFrame:
    """Country x sector cells where at least ``min_orgs`` organisations are present (from an org-level table).

    Columns: country, sector, n_orgs, orgs (names, largest first, with USD), usd_total, reason.
    """
    per_org = (
        pres.filter(pl.col("sector").is_not_null())
        .group_by("country", "sector", "org_key", "org_name")
        .agg(pl.col(measure).sum().alias("usd"), pl.col("n_activities").sum().alias("n_activities"))
    )
    agg = (
        per_org.sort("usd", descending=True)
        .group_by("country", "sector", maintain_order=True)
        .agg(
            pl.len().alias("n_orgs"),
            pl.col("usd").sum().alias("usd_total"),
            (
                pl.col("org_name")
                + pl.lit(" (USD ")
                + pl.col("usd").round(0).cast(pl.Int64).cast(pl.String)
                + pl.lit(")")
            )
            .str.join("; ")
            .alias("orgs"),
        )
        .filter(pl.col("n_orgs") >= min_orgs)
    )
    return agg.with_columns(
        (
            pl.lit("sector ")
            + pl.col("sector")
            + pl.lit(" in ")
            + pl.col("country").fill_null("?")
            + pl.lit(" has ")
            + pl.col("n_orgs").cast(pl.String)
            + pl.lit(" organisations: ")
            + pl.col("orgs")
        ).alias("reason")
    ).sort(["country", "n_orgs", "usd_total"], descending=[False, True, True])
