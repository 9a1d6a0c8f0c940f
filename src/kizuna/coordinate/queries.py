"""The coordinate part's queries: the workspace's ledger tables as Polars frames (:class:`LedgerFrames`).

These are the only functions of the coordinate part that read the ledger; analyses take their output.
(The old module name, :mod:`kizuna.coordinate.load`, re-exports them.)
Needs tables are read by :mod:`kizuna.coordinate.needs` (``read_needs`` is re-exported here for the
callers of its old home) and stored by :mod:`kizuna.coordinate.needs_store`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from kizuna.coordinate.model import (
    ACTIVITY_SCHEMA,
    CODE_SCHEMA,
    COUNTRY_SCHEMA,
    FLOW_SCHEMA,
    LINK_SCHEMA,
    LOCATION_SCHEMA,
    ORG_LANG_SCHEMA,
    ORG_SCHEMA,
    OVERRIDE_SCHEMA,
    RECEIVER_SCHEMA,
    REGISTRY_SCHEMA,
    RULE_SCHEMA,
    SECTOR_SCHEMA,
    TITLE_SCHEMA,
    UPSTREAM_SCHEMA,
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
        "SELECT activity_uid, iati_identifier, source, publisher_ref, publisher_name, publisher_type, title,"
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
    rules = _frame(ws, "SELECT prefix, ally, source FROM coordinate_ally_rules", RULE_SCHEMA)
    overrides = _frame(ws, "SELECT org_key, ally FROM coordinate_org_allies", OVERRIDE_SCHEMA)
    registry = _frame(
        ws, "SELECT ref, name, name_ja, ally, agency, org_type, aliases, same_as FROM org_registry", REGISTRY_SCHEMA
    )
    org_langs = _frame(
        ws,
        """
        SELECT org_ref, org_name, lang, min(other) AS other, count(*) AS n FROM (
            SELECT a.publisher_ref AS org_ref, n.text AS org_name, split_part(n.lang, '-', 1) AS lang, 0 AS other
            FROM all_narratives n JOIN activities a USING (activity_uid)
            WHERE n.element = 'reporting-org' AND n.lang IS NOT NULL
            UNION ALL
            SELECT p.ref, n.text, split_part(n.lang, '-', 1), 1 FROM all_narratives n
            JOIN participating_orgs p ON p.activity_uid = n.activity_uid AND p.seq = n.seq
            WHERE n.element = 'participating-org' AND n.lang IS NOT NULL)
        GROUP BY ALL
        """,
        ORG_LANG_SCHEMA,
    )
    # titles of the activities published with several (one title is activities.title already)
    titles = _frame(
        ws,
        """
        SELECT n.activity_uid, n.seq, n.ord, n.lang, a.default_lang, n.text AS title
        FROM narratives n JOIN activities a USING (activity_uid)
        WHERE n.element = 'title' AND n.activity_uid IN (
            SELECT activity_uid FROM narratives WHERE element = 'title' GROUP BY 1 HAVING count(*) > 1)
        """,
        TITLE_SCHEMA,
    )
    receivers = _frame(
        ws,
        """
        SELECT DISTINCT activity_uid, nullif(trim(receiver_ref), '') AS org_ref, receiver_name AS org_name
        FROM transactions
        WHERE type_code IN ('2', '3') AND (coalesce(trim(receiver_ref), '') <> '' OR receiver_name IS NOT NULL)
        """,
        RECEIVER_SCHEMA,
    )
    upstream = _frame(
        ws,
        """
        SELECT activity_uid, provider_activity_id AS upstream_id FROM transactions
         WHERE type_code IN ('1', '11') AND coalesce(provider_activity_id, '') <> ''
        UNION SELECT activity_uid, org_activity_id FROM participating_orgs
         WHERE role = 1 AND coalesce(org_activity_id, '') <> ''
        """,
        UPSTREAM_SCHEMA,
    )
    codes = _frame(
        ws,
        "SELECT codelist, code, name FROM codelist_items WHERE codelist IN ('Sector', 'SectorCategory')",
        CODE_SCHEMA,
    )
    return LedgerFrames(
        acts,
        orgs,
        sectors,
        locs,
        flows,
        countries,
        links,
        rules,
        overrides,
        registry,
        receivers,
        upstream,
        codes,
        org_langs=org_langs,
        titles=titles,
    )


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


def org_ref_warnings(ws: Workspace, import_id: int | None = None) -> list[dict[str, Any]]:
    """Warnings, in the shape of ``kizuna warnings``, for organisation refs that are not identifiers
    (:func:`kizuna.coordinate.model.replaced_refs`): one per publisher x role x ref x name, on the line
    of its first activity, saying what the organisation counts as and the money involved."""
    from kizuna.coordinate.model import replaced_refs

    rows = replaced_refs(load_ledger(ws))
    if rows.height == 0:
        return []
    uids = rows.get_column("example_uid").to_list()
    prov = {
        r["activity_uid"]: r
        for r in ws.query(
            "SELECT a.activity_uid, a.import_id, a.line, i.file_name FROM activities a JOIN imports i USING (import_id)"
            " WHERE list_contains(?, a.activity_uid)",
            [uids],
        )
    }
    role_names = {1: "funding", 2: "accountable", 3: "extending"}
    out = []
    for r in rows.iter_rows(named=True):
        p = prov.get(r["example_uid"])
        if p is None or (import_id is not None and p["import_id"] != import_id):
            continue
        how = "by its name in the organisation registry" if r["resolution"] == "registry-name" else "its publisher"
        shown = f"'{r['ref']}'" if r["ref"] else "empty"
        share = f", {r['share']:.1%} of the ledger's" if r["share"] is not None else ""
        out.append(
            {
                "import_id": p["import_id"],
                "file_name": p["file_name"],
                "line": p["line"],
                "activity_uid": r["example_uid"],
                "code": "org.ref_not_identifier",
                "message": (
                    f"{role_names.get(r['role'], 'participating')} organisation ref {shown}"
                    f" ({r['name'] or 'no name'}) is not an organisation identifier: counted as"
                    f" {r['org_key']} ({r['org_name']}), {how}, in {r['activities']} activities;"
                    f" USD {r['usd']:,.0f} spent{share}"
                ),
            }
        )
    return out


def country_activity_count(ws: Workspace, code: str) -> int:
    """How many activities name recipient country ``code`` (``activity_countries``)."""
    # ws.scalar fetches the whole result: DuckDB 2.0 refuses new work while a result is unfinished
    return int(ws.scalar("SELECT count(*) FROM activity_countries WHERE code = ?", [code]) or 0)


__all__ = ["NEEDS_COLUMNS", "country_activity_count", "load_ledger", "org_ref_warnings", "read_needs"]
