"""Division of labour: shares, concentration, specialisation and significance of aid relations.

All functions take a "money" frame with one row per donor x country x sector and a ``usd`` column
(see :func:`donor_money`), and return frames with a plain-words ``reason`` column. Formulas and sources
(reference note §5.2-5.5):

* Share of donor d in a country x sector cell: s_d = A_d / sum_k A_k.
* Herfindahl-Hirschman index H = sum_d s_d^2, in [1/N, 1]; normalised H* = (H - 1/N) / (1 - 1/N)
  (0 when N = 1); effective number of donors 1/H; fragmentation 1 - H (Frot & Santiso, "Crushed Aid:
  Fragmentation in Sectoral Aid", OECD Development Centre WP 284, 2010). Bands on the x10,000 scale:
  < 1500 unconcentrated, 1500-2500 moderate, > 2500 high (US DOJ/FTC Horizontal Merger Guidelines 2010,
  s. 5.3; a heuristic only for aid).
* Revealed comparative advantage RCA(d, s) = (A_ds / A_d) / (A_s / A) (Balassa, "Trade Liberalisation
  and 'Revealed' Comparative Advantage", The Manchester School 33(2), 1965); symmetric
  RSCA = (RCA - 1) / (RCA + 1) in [-1, 1] (Laursen, "Revealed comparative advantage and the
  alternatives as measures of international specialization", Eurasian Business Review 5, 2015).
* Significant aid relationships (OECD, 2009 and 2011 Reports on Division of Labour): a relation (d, c) is
  *concentrated* if A_dc / A_c > A_d / A_world (the donor gives c more than its global share); *important*
  if d is among the largest donors that together give at least 90% of A_c (donors sorted by A_dc,
  descending, taken while the cumulative share of the donors ranked above d is below 90% - our reading,
  the OECD text does not say how the donor crossing 90% is treated). Categories: A concentrated only,
  B both, C important only, D neither (non-significant). Country fragmentation ratio = D / all relations.
* EU Code of Conduct on Complementarity and Division of Labour (Council of the EU, 15 May 2007, doc.
  9558/07): at most 3 sectors per donor per country (plus budget support), and at most 3-5 active donors
  per sector in a country.
"""

from __future__ import annotations

import polars as pl

from kizuna.coordinate.model import LedgerFrames, activity_orgs
from kizuna.coordinate.sectors import sector_key, with_sector_levels

EU_MAX_SECTORS = 3
EU_MAX_DONORS = 5
SMALL_SHARE = 0.10
IMPORTANT_CUMULATIVE = 0.90


def donor_money(
    lf: LedgerFrames,
    *,
    by: str = "org",
    role: str = "funding",
    type_code: str = "3",
    sector_level: str = "dac3",
    counted_only: bool = True,
    year_from: int | None = None,
    year_to: int | None = None,
) -> pl.DataFrame:
    """USD per donor x country x sector from the ledger's flows (default: disbursements, type 3).

    The donor is the activity's funding organisation (role 1; its publisher when none is named), or its
    ally with ``by='ally'``; money is split equally among several funders. Flows with no country or no
    sector are left out (they cannot be placed in a cell). Columns: donor, country, sector, usd.
    """
    flows = lf.flows.filter(pl.col("type_code") == type_code)
    if counted_only:
        flows = flows.filter(pl.col("counted"))
    if year_from is not None:
        flows = flows.filter(pl.col("year") >= year_from)
    if year_to is not None:
        flows = flows.filter(pl.col("year") <= year_to)
    flows = with_sector_levels(flows.rename({"sector": "code"}), "code").with_columns(sector_key(sector_level))
    orgs = activity_orgs(lf, role)
    donor = pl.col("ally") if by == "ally" else pl.col("org_name")
    m = flows.join(orgs, on="activity_uid").with_columns(
        donor.alias("donor"), (pl.col("usd") * pl.col("weight")).alias("usd")
    )
    return (
        m.filter(pl.col("country").is_not_null() & pl.col("sector").is_not_null() & pl.col("usd").is_not_null())
        .group_by("donor", "country", "sector")
        .agg(pl.col("usd").sum())
        .sort("donor", "country", "sector")
    )


def _positive(money: pl.DataFrame) -> pl.DataFrame:
    # refunds and reversals can make a cell negative; shares are defined on positive amounts only
    return money.group_by("donor", "country", "sector").agg(pl.col("usd").sum()).filter(pl.col("usd") > 0)


def shares(money: pl.DataFrame) -> pl.DataFrame:
    """Each donor's share of each country x sector cell: donor, country, sector, usd, cell_usd, share."""
    m = _positive(money)
    return (
        m.with_columns(pl.col("usd").sum().over("country", "sector").alias("cell_usd"))
        .with_columns((pl.col("usd") / pl.col("cell_usd")).alias("share"))
        .sort(["country", "sector", "share"], descending=[False, False, True])
    )


def concentration(money: pl.DataFrame, max_donors: int = EU_MAX_DONORS) -> pl.DataFrame:
    """Per country x sector: donors, HHI, normalised HHI, effective number, fragmentation, EU CoC check."""
    s = shares(money)
    out = s.group_by("country", "sector").agg(
        pl.len().alias("n_donors"),
        pl.col("usd").sum().alias("usd"),
        (pl.col("share") ** 2).sum().alias("hhi"),
        (pl.col("share") < SMALL_SHARE).sum().alias("n_small_donors"),
        pl.col("donor").sort_by("share", descending=True).first().alias("lead_donor"),
        pl.col("share").max().alias("lead_share"),
    )
    n = pl.col("n_donors").cast(pl.Float64)
    out = out.with_columns(
        pl.when(n > 1).then((pl.col("hhi") - 1 / n) / (1 - 1 / n)).otherwise(0.0).alias("hhi_normalised"),
        (1 / pl.col("hhi")).alias("effective_donors"),
        (1 - pl.col("hhi")).alias("fragmentation"),
        (pl.col("hhi") * 10_000).round(0).cast(pl.Int64).alias("hhi_10000"),
    ).with_columns(
        pl.when(pl.col("hhi_10000") < 1500)
        .then(pl.lit("unconcentrated"))
        .when(pl.col("hhi_10000") <= 2500)
        .then(pl.lit("moderately concentrated"))
        .otherwise(pl.lit("highly concentrated"))
        .alias("concentration"),
        (pl.col("n_donors") > max_donors).alias("too_many_donors"),
    )
    reason = (
        pl.lit("sector ")
        + pl.col("sector")
        + pl.lit(" in ")
        + pl.col("country")
        + pl.lit(": ")
        + pl.col("n_donors").cast(pl.String)
        + pl.lit(" donor(s), HHI ")
        + pl.col("hhi").round(3).cast(pl.String)
        + pl.lit(" (")
        + pl.col("concentration")
        + pl.lit("), effective number ")
        + pl.col("effective_donors").round(2).cast(pl.String)
        + pl.lit("; largest ")
        + pl.col("lead_donor")
        + pl.lit(" with ")
        + (pl.col("lead_share") * 100).round(1).cast(pl.String)
        + pl.lit("%")
        + pl.when(pl.col("too_many_donors"))
        .then(pl.lit(f"; more than {max_donors} active donors (EU Code of Conduct: at most 3-5 per sector)"))
        .when(pl.col("n_donors") == 1)
        .then(pl.lit("; a single donor (monopoly)"))
        .otherwise(pl.lit(""))
    )
    return out.with_columns(reason.alias("reason")).sort(["country", "usd"], descending=[False, True])


def rca(money: pl.DataFrame) -> pl.DataFrame:
    """Balassa RCA and RSCA of every donor in every sector across the whole ledger (all countries).

    Columns: donor, sector, usd (A_ds), donor_usd (A_d), sector_usd (A_s), total_usd (A), rca, rsca, reason.
    Donor x sector pairs where the donor gives nothing are not listed (their RCA is 0).
    """
    m = _positive(money).group_by("donor", "sector").agg(pl.col("usd").sum())
    total = m.get_column("usd").sum()
    out = m.with_columns(
        pl.col("usd").sum().over("donor").alias("donor_usd"),
        pl.col("usd").sum().over("sector").alias("sector_usd"),
        pl.lit(total).alias("total_usd"),
    ).with_columns(((pl.col("usd") / pl.col("donor_usd")) / (pl.col("sector_usd") / pl.col("total_usd"))).alias("rca"))
    out = out.with_columns(((pl.col("rca") - 1) / (pl.col("rca") + 1)).alias("rsca"))
    reason = (
        pl.col("donor")
        + pl.lit(" puts ")
        + (pl.col("usd") / pl.col("donor_usd") * 100).round(1).cast(pl.String)
        + pl.lit("% of its aid into ")
        + pl.col("sector")
        + pl.lit(" against ")
        + (pl.col("sector_usd") / pl.col("total_usd") * 100).round(1).cast(pl.String)
        + pl.lit("% for all donors: RCA ")
        + pl.col("rca").round(2).cast(pl.String)
        + pl.when(pl.col("rca") > 1).then(pl.lit(" (specialised)")).otherwise(pl.lit(" (not specialised)"))
    )
    return out.with_columns(reason.alias("reason")).sort(["donor", "rca"], descending=[False, True])


def significance(money: pl.DataFrame, cumulative: float = IMPORTANT_CUMULATIVE) -> pl.DataFrame:
    """OECD significant aid relationships per donor x country (categories A-D, see the module docstring).

    "World" is every donor in ``money`` (pass a subset, e.g. only the alliance, for an alliance view).
    Columns: donor, country, usd, country_usd, donor_usd, world_usd, share_of_country, donor_global_share,
    concentrated, important, category, significant, reason.
    """
    m = _positive(money).group_by("donor", "country").agg(pl.col("usd").sum())
    world = m.get_column("usd").sum()
    out = m.with_columns(
        pl.col("usd").sum().over("country").alias("country_usd"),
        pl.col("usd").sum().over("donor").alias("donor_usd"),
        pl.lit(world).alias("world_usd"),
    ).with_columns(
        (pl.col("usd") / pl.col("country_usd")).alias("share_of_country"),
        (pl.col("donor_usd") / pl.col("world_usd")).alias("donor_global_share"),
    )
    out = out.sort(["country", "usd", "donor"], descending=[False, True, False]).with_columns(
        (pl.col("share_of_country").cum_sum().over("country") - pl.col("share_of_country")).alias("share_above")
    )
    out = (
        out.with_columns(
            # strictly greater, beyond floating-point noise (with one country the two are equal in theory)
            (pl.col("share_of_country") > pl.col("donor_global_share") * (1 + 1e-9)).alias("concentrated"),
            (pl.col("share_above") < cumulative - 1e-12).alias("important"),
        )
        .with_columns(
            pl.when(pl.col("concentrated") & pl.col("important"))
            .then(pl.lit("B"))
            .when(pl.col("concentrated"))
            .then(pl.lit("A"))
            .when(pl.col("important"))
            .then(pl.lit("C"))
            .otherwise(pl.lit("D"))
            .alias("category"),
        )
        .with_columns((pl.col("category") != "D").alias("significant"))
    )
    pct = (pl.col("share_of_country") * 100).round(1).cast(pl.String)
    reason = (
        pl.col("donor")
        + pl.lit(" gives ")
        + pct
        + pl.lit("% of the aid to ")
        + pl.col("country")
        + pl.lit(" (its global share is ")
        + (pl.col("donor_global_share") * 100).round(1).cast(pl.String)
        + pl.lit("%): ")
        + pl.when(pl.col("concentrated")).then(pl.lit("concentrated")).otherwise(pl.lit("not concentrated"))
        + pl.lit("; donors above it give ")
        + (pl.col("share_above") * 100).round(1).cast(pl.String)
        + pl.lit("% of the country's aid: ")
        + pl.when(pl.col("important")).then(pl.lit("important")).otherwise(pl.lit("not important"))
        + pl.lit(" -> category ")
        + pl.col("category")
    )
    return out.with_columns(reason.alias("reason")).drop("share_above")


def fragmentation_ratio(sig: pl.DataFrame) -> pl.DataFrame:
    """Per country: relations, non-significant relations (D) and the fragmentation ratio D / all."""
    return (
        sig.group_by("country")
        .agg(
            pl.len().alias("relations"),
            (pl.col("category") == "D").sum().alias("non_significant"),
        )
        .with_columns((pl.col("non_significant") / pl.col("relations")).alias("fragmentation_ratio"))
        .sort("country")
    )


def sectors_per_donor(money: pl.DataFrame, max_sectors: int = EU_MAX_SECTORS) -> pl.DataFrame:
    """Sectors each donor works in per country, against the EU Code of Conduct's at most ``max_sectors``."""
    m = _positive(money)
    out = (
        m.group_by("donor", "country")
        .agg(
            pl.len().alias("n_sectors"),
            pl.col("usd").sum().alias("usd"),
            pl.col("sector").sort_by("usd", descending=True).str.join(", ").alias("sectors"),
        )
        .with_columns((pl.col("n_sectors") > max_sectors).alias("exceeds_eu_guidance"))
    )
    reason = (
        pl.col("donor")
        + pl.lit(" works in ")
        + pl.col("n_sectors").cast(pl.String)
        + pl.lit(" sector(s) in ")
        + pl.col("country")
        + pl.when(pl.col("exceeds_eu_guidance"))
        .then(pl.lit(f": more than the EU Code of Conduct's {max_sectors} (concentrate or delegate)"))
        .otherwise(pl.lit(f": within the EU Code of Conduct's {max_sectors}"))
    )
    return out.with_columns(reason.alias("reason")).sort(["country", "n_sectors"], descending=[False, True])
