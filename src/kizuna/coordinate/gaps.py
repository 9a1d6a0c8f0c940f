"""Gaps: areas and sectors where need is high and presence is low (reference note §5.6, "Gaps").

Inputs: a needs table (area x sector with severity and/or people in need, see
:func:`kizuna.coordinate.load.read_needs`) and a presence table at the same area and sector level
(:func:`kizuna.coordinate.presence.presence`, by organisation).

Per need row:

* usd = money present in that area x sector (default: disbursements, USD), n_orgs = distinct
  organisations, n_activities;
* usd_per_pin = usd / people in need (funding per person in need, as in HDX HAPI's funding views);
* need = mean of the available parts severity / severity_max and pin / max pin in the table (0..1);
* coverage = mean of the available parts min(1, usd_per_pin / benchmark) and min(1, n_orgs / target_orgs),
  where benchmark is the median usd_per_pin over the need rows that have any money (or a given value);
* gap = need x (1 - coverage), in 0..1; rows are ranked by gap, largest first.

The gap index is our own transparent heuristic (not a published standard); every part is a column, and
the reason says it in words.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from kizuna.coordinate.model import LedgerFrames
from kizuna.coordinate.presence import presence
from kizuna.coordinate.sectors import normalise_cluster


def needs_levels(needs: pl.DataFrame) -> tuple[str, str]:
    """(sector_level, admin_level) the needs table is written at: DAC codes or cluster names; adm2 or adm1."""
    sectors = needs.get_column("sector").drop_nulls().cast(pl.String)
    is_dac = sectors.str.contains(r"^\d{3}(\d{2})?$")
    level = ("dac5" if sectors.str.len_chars().eq(5).all() else "dac3") if is_dac.all() else "cluster"
    admin = "adm2" if needs.get_column("adm2").drop_nulls().len() else "adm1"
    return level, admin


def normalise_needs(needs: pl.DataFrame, sector_level: str) -> pl.DataFrame:
    """Needs with their sector written as presence writes it (cluster names normalised; DAC3 from DAC5)."""
    if sector_level == "cluster":
        names = needs.get_column("sector").unique().to_list()
        m = pl.DataFrame(
            {"sector": names, "_s": [normalise_cluster(n) or n for n in names]},
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
) -> pl.DataFrame:
    """Rank need rows by gap (see the module docstring). ``pres`` is an org-level presence table."""
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
    df = needs.join(p, on=[area, "sector"], how="left").with_columns(
        pl.col("n_orgs").fill_null(0),
        pl.col("n_activities").fill_null(0),
        pl.col("usd").fill_null(0.0),
        pl.col("orgs").fill_null(""),
    )
    df = df.with_columns(
        pl.when(pl.col("pin") > 0).then(pl.col("usd") / pl.col("pin")).otherwise(None).alias("usd_per_pin")
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
    df = df.sort(["gap_score", "need_score"], descending=True, nulls_last=True).with_row_index("rank", offset=1)
    where = pl.coalesce(pl.col("area_name"), pl.col(area))
    reason = pl.concat_str(
        [
            pl.lit("need in ") + where + pl.lit(" / ") + pl.col("sector"),
            pl.when(pl.col("severity").is_not_null()).then(
                pl.lit("severity ") + pl.col("severity").cast(pl.String) + pl.lit(f" of {severity_max:g}")
            ),
            pl.when(pl.col("pin").is_not_null()).then(
                pl.col("pin").round(0).cast(pl.Int64).cast(pl.String) + pl.lit(" people in need")
            ),
            pl.when(pl.col("n_orgs") == 0)
            .then(pl.lit("no organisation present"))
            .otherwise(pl.col("n_orgs").cast(pl.String) + pl.lit(" organisation(s) present: ") + pl.col("orgs")),
            pl.when(pl.col("usd_per_pin").is_not_null()).then(
                pl.lit("USD ")
                + pl.col("usd_per_pin").round(2).cast(pl.String)
                + pl.lit(" per person in need")
                + (pl.lit(f" (median of funded areas {bench:.2f})") if bench else pl.lit(""))
            ),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    return df.with_columns(reason.alias("reason")).select(
        "rank",
        "country",
        "adm1",
        "adm2",
        "area_name",
        "sector",
        "severity",
        "pin",
        "n_orgs",
        "n_activities",
        pl.col("usd").round(2),
        pl.col("usd_per_pin").round(4),
        pl.col("need_score").round(4),
        pl.col("coverage_score").round(4),
        pl.col("gap_score").round(4),
        "reason",
    )


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
) -> pl.DataFrame:
    """Gaps of the ledger's presence against a needs table, at the level the needs table is written at."""
    level, admin = needs_levels(needs)
    needs = normalise_needs(needs, level)
    countries = needs.get_column("country").drop_nulls().unique().to_list()
    pres = presence(
        lf,
        by="org",
        role=role,
        sector_level=level,
        admin_level=admin,
        year_from=year_from,
        year_to=year_to,
        country=countries[0] if len(countries) == 1 else None,
    )
    return gaps(
        needs,
        pres,
        admin_level=admin,
        measure=measure,
        target_orgs=target_orgs,
        benchmark_usd_per_pin=benchmark_usd_per_pin,
    )
