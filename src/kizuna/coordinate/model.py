"""The ledger as the coordinate analyses see it: a few Polars frames, and pure helpers over them.

:class:`LedgerFrames` is filled by :mod:`kizuna.coordinate.load` (the only place that reads the
workspace) or built directly in tests and benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from kizuna.coordinate.allies import assign_allies, org_key_expr

ROLES = {"reporting": None, "funding": 1, "accountable": 2, "extending": 3, "implementing": 4}

ACTIVITY_SCHEMA = {
    "activity_uid": pl.String,
    "source": pl.String,
    "publisher_ref": pl.String,
    "publisher_name": pl.String,
    "publisher_type": pl.String,
    "title": pl.String,
    "description": pl.String,
    "status_code": pl.String,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "reached": pl.Int64,
}
ORG_SCHEMA = {
    "activity_uid": pl.String,
    "role": pl.Int64,
    "org_ref": pl.String,
    "org_name": pl.String,
    "org_type": pl.String,
}
SECTOR_SCHEMA = {
    "activity_uid": pl.String,
    "code": pl.String,
    "name": pl.String,
    "percentage": pl.Float64,
    "dac5": pl.String,
    "dac3": pl.String,
    "cluster": pl.String,
}
LOCATION_SCHEMA = {
    "activity_uid": pl.String,
    "adm1": pl.String,
    "adm2": pl.String,
    "lat": pl.Float64,
    "lon": pl.Float64,
    "country": pl.String,
}
FLOW_SCHEMA = {
    "activity_uid": pl.String,
    "seq": pl.Int64,
    "type_code": pl.String,
    "date": pl.Date,
    "year": pl.Int64,
    "country": pl.String,
    "sector": pl.String,
    "sector3": pl.String,
    "usd": pl.Float64,
    "counted": pl.Boolean,
}
COUNTRY_SCHEMA = {"activity_uid": pl.String, "country": pl.String}
LINK_SCHEMA = {"uid_a": pl.String, "uid_b": pl.String}
RULE_SCHEMA = {"prefix": pl.String, "ally": pl.String}
OVERRIDE_SCHEMA = {"org_key": pl.String, "ally": pl.String}


def empty(schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


@dataclass
class LedgerFrames:
    """The ledger tables the analyses need (see the schema constants above for the columns)."""

    activities: pl.DataFrame
    orgs: pl.DataFrame = field(default_factory=lambda: empty(ORG_SCHEMA))
    sectors: pl.DataFrame = field(default_factory=lambda: empty(SECTOR_SCHEMA))
    locations: pl.DataFrame = field(default_factory=lambda: empty(LOCATION_SCHEMA))
    flows: pl.DataFrame = field(default_factory=lambda: empty(FLOW_SCHEMA))
    countries: pl.DataFrame = field(default_factory=lambda: empty(COUNTRY_SCHEMA))
    links: pl.DataFrame = field(default_factory=lambda: empty(LINK_SCHEMA))
    rules: pl.DataFrame = field(default_factory=lambda: empty(RULE_SCHEMA))
    overrides: pl.DataFrame = field(default_factory=lambda: empty(OVERRIDE_SCHEMA))


def activity_orgs(lf: LedgerFrames, role: str = "reporting") -> pl.DataFrame:
    """Each activity's organisation(s) in a role, with allies and equal weights summing to 1 per activity.

    ``role`` is 'reporting' (the publisher; a 3W row's organisation), or an IATI OrganisationRole
    name: 'funding' (1), 'accountable' (2), 'extending' (3), 'implementing' (4). An activity with no
    organisation in that role falls back to its publisher, so no money drops out of the totals.
    Columns: activity_uid, org_key, org_name, org_type, weight, ally, ally_source.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {sorted(ROLES)}")
    pub = lf.activities.select(
        "activity_uid",
        pl.col("publisher_ref").alias("org_ref"),
        pl.col("publisher_name").alias("org_name"),
        pl.col("publisher_type").alias("org_type"),
    )
    code = ROLES[role]
    if code is None:
        chosen = pub
    else:
        in_role = (
            lf.orgs.filter(pl.col("role") == code)
            .filter(
                pl.col("org_ref").fill_null("").str.strip_chars().ne("")
                | pl.col("org_name").fill_null("").str.strip_chars().ne("")
            )
            .select("activity_uid", "org_ref", "org_name", "org_type")
        )
        missing = pub.join(in_role.select("activity_uid").unique(), on="activity_uid", how="anti")
        chosen = pl.concat([in_role, missing], how="vertical_relaxed")
    chosen = _unify_by_name(chosen.with_columns(org_key_expr()), lf).unique(
        ["activity_uid", "org_key"], keep="first", maintain_order=True
    )
    chosen = chosen.with_columns(
        pl.coalesce(pl.col("org_name"), pl.col("org_ref")).alias("org_name"),
        (1.0 / pl.len().over("activity_uid")).alias("weight"),
    )
    return assign_allies(
        chosen.select("activity_uid", "org_key", "org_name", "org_type", "weight"), lf.rules, lf.overrides
    )


def _is_pseudo(key: pl.Expr) -> pl.Expr:
    # organisations known only by name: no ref ('name:...'), or the ledger's 3W pseudo-ref ('3W:...')
    return key.str.starts_with("name:") | key.str.starts_with("3W:")


def _unify_by_name(chosen: pl.DataFrame, lf: LedgerFrames) -> pl.DataFrame:
    """Give an organisation known only by name the identifier of the one identified organisation of that name.

    A 3W sheet names "Some Agency"; if exactly one organisation with an IATI ref carries that
    (normalised) name anywhere in the ledger, it is the same organisation, so pairs and counts treat it so.
    """
    pub = lf.activities.select(pl.col("publisher_ref").alias("org_ref"), pl.col("publisher_name").alias("org_name"))
    both = pl.concat([pub, lf.orgs.select("org_ref", "org_name")], how="vertical_relaxed").with_columns(org_key_expr())
    known = (
        both.filter(~_is_pseudo(pl.col("org_key")) & pl.col("org_name").is_not_null())
        .select(pl.col("org_name").map_batches(_norm_series).alias("_n"), pl.col("org_key").alias("_ref"))
        .unique()
        .filter(pl.len().over("_n") == 1)
    )
    out = chosen.with_columns(pl.col("org_name").map_batches(_norm_series).alias("_n")).join(known, on="_n", how="left")
    return out.with_columns(
        pl.when(_is_pseudo(pl.col("org_key")) & pl.col("_ref").is_not_null())
        .then(pl.col("_ref"))
        .otherwise(pl.col("org_key"))
        .alias("org_key")
    ).drop("_n", "_ref")


def _norm_series(s: pl.Series) -> pl.Series:
    return (
        s.cast(pl.String)
        .fill_null("")
        .str.to_lowercase()
        .str.replace_all(r"[^\w]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def org_names(lf: LedgerFrames) -> pl.DataFrame:
    """One display name per org_key (the most frequent one)."""
    pub = lf.activities.select(pl.col("publisher_ref").alias("org_ref"), pl.col("publisher_name").alias("org_name"))
    part = lf.orgs.select("org_ref", "org_name")
    both = pl.concat([pub, part], how="vertical_relaxed").filter(pl.col("org_name").is_not_null())
    return (
        both.with_columns(org_key_expr())
        .group_by("org_key", "org_name")
        .len()
        .sort(["org_key", "len", "org_name"], descending=[False, True, False])
        .unique("org_key", keep="first", maintain_order=True)
        .select("org_key", "org_name")
    )
