"""Thin loaders: the workspace's ledger tables as Polars frames (:class:`LedgerFrames`).

These are the only functions of the coordinate part that read the ledger; analyses take their output.
Needs tables are read by :mod:`kizuna.coordinate.needs` (``read_needs`` is re-exported here for the
callers of its old home) and stored by :mod:`kizuna.coordinate.needs_store`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from kizuna.coordinate.model import (
    ACTIVITY_SCHEMA,
    COUNTRY_SCHEMA,
    FLOW_SCHEMA,
    LINK_SCHEMA,
    LOCATION_SCHEMA,
    ORG_SCHEMA,
    OVERRIDE_SCHEMA,
    RULE_SCHEMA,
    SECTOR_SCHEMA,
    LedgerFrames,
)
from kizuna.coordinate.needs import NEEDS_COLUMNS, read_needs
from kizuna.coordinate.sectors import VOCAB10, with_sector_levels
from kizuna.geo.areas import with_point_areas
from kizuna.workspace import Workspace


def _frame(ws: Workspace, sql: str, schema: dict[str, Any], params: list | None = None) -> pl.DataFrame:
    table = ws.con.sql(sql, params=params).to_arrow_table() if params else ws.con.sql(sql).to_arrow_table()
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    if df.height == 0:
        return pl.DataFrame(schema=schema)
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])


def load_ledger(ws: Workspace) -> LedgerFrames:
    """Read activities, organisations, sectors, locations, flows, countries, funding links and ally rules."""
    acts = _frame(
        ws,
        "SELECT activity_uid, source, publisher_ref, publisher_name, publisher_type, title,"
        " description, status_code, start_date, end_date, reached FROM activities",
        ACTIVITY_SCHEMA,
    )
    orgs = _frame(
        ws,
        "SELECT activity_uid, role, ref AS org_ref, name AS org_name, type AS org_type"
        " FROM participating_orgs ORDER BY activity_uid, seq",
        ORG_SCHEMA,
    )
    raw_sectors = _frame(
        ws,
        """
        SELECT activity_uid, vocabulary, code, name, percentage FROM activity_sectors
        UNION ALL
        SELECT DISTINCT activity_uid, vocabulary, code, NULL AS name, NULL AS percentage FROM transaction_sectors
        """,
        {
            "activity_uid": pl.String,
            "vocabulary": pl.String,
            "code": pl.String,
            "name": pl.String,
            "percentage": pl.Float64,
        },
    )
    sectors = _sectors(raw_sectors)
    # coordinates placed in the workspace's admin boundaries (kizuna.geo), P-codes filled in
    locs = with_point_areas(
        ws,
        _frame(
            ws,
            "SELECT activity_uid, seq, adm1, adm2, lat, lon, country, admin_vocabulary FROM locations",
            {**LOCATION_SCHEMA, "seq": pl.Int64, "admin_vocabulary": pl.String},
        ),
    ).select(list(LOCATION_SCHEMA))
    flows = _frame(
        ws,
        "SELECT activity_uid, seq, type_code, date, year, country, sector, sector3, usd, counted FROM flows",
        FLOW_SCHEMA,
    )
    countries = _frame(
        ws,
        """
        SELECT activity_uid, code AS country FROM activity_countries
        UNION SELECT activity_uid, code FROM transaction_countries
        UNION SELECT activity_uid, country FROM locations WHERE country IS NOT NULL
        UNION SELECT activity_uid, country FROM flows WHERE country IS NOT NULL
        """,
        COUNTRY_SCHEMA,
    )
    links = _frame(
        ws,
        """
        WITH ids AS (SELECT activity_uid, iati_identifier FROM activities),
        raw AS (
            SELECT activity_uid AS a, provider_activity_id AS other FROM transactions
             WHERE coalesce(provider_activity_id, '') <> ''
            UNION SELECT activity_uid, receiver_activity_id FROM transactions
             WHERE coalesce(receiver_activity_id, '') <> ''
            UNION SELECT activity_uid, org_activity_id FROM participating_orgs
             WHERE coalesce(org_activity_id, '') <> '')
        SELECT DISTINCT least(raw.a, ids.activity_uid) AS uid_a, greatest(raw.a, ids.activity_uid) AS uid_b
        FROM raw JOIN ids ON ids.iati_identifier = raw.other WHERE raw.a <> ids.activity_uid
        """,
        LINK_SCHEMA,
    )
    rules = _frame(ws, "SELECT prefix, ally FROM coordinate_ally_rules", RULE_SCHEMA)
    overrides = _frame(ws, "SELECT org_key, ally FROM coordinate_org_allies", OVERRIDE_SCHEMA)
    return LedgerFrames(acts, orgs, sectors, locs, flows, countries, links, rules, overrides)


def _sectors(raw: pl.DataFrame) -> pl.DataFrame:
    """DAC codes (vocabularies 1 and 2) keep their code; clusters (vocabulary 10) and 3W names become names."""
    vocab = pl.col("vocabulary").fill_null("")
    dac = vocab.is_in(["1", "2"]) & pl.col("code").fill_null("").str.contains(r"^\d{3}(\d{2})?$")
    df = raw.with_columns(
        pl.when(dac).then(pl.col("code")).otherwise(None).alias("code"),
        pl.when(vocab == "10")
        .then(pl.col("code").replace_strict(VOCAB10, default=None))
        .when(dac)
        .then(pl.col("name"))
        .otherwise(pl.coalesce(pl.col("name"), pl.col("code")))
        .alias("name"),
    ).filter(pl.col("code").is_not_null() | pl.col("name").is_not_null())
    df = with_sector_levels(df.drop("vocabulary"), "code", "name")
    # other vocabularies (e.g. 99, the publisher's own) count only when their name is a known cluster
    df = df.filter(pl.col("dac3").is_not_null() | pl.col("cluster").is_not_null())
    return df.select(list(SECTOR_SCHEMA)).unique(maintain_order=True)


__all__ = ["NEEDS_COLUMNS", "load_ledger", "read_needs"]
