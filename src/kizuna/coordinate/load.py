"""Thin loaders: the workspace's ledger tables as Polars frames (:class:`LedgerFrames`), and needs tables.

These are the only functions of the coordinate part that read anything; analyses take their output.
"""

from __future__ import annotations

from pathlib import Path
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
from kizuna.coordinate.sectors import VOCAB10, with_sector_levels
from kizuna.errors import InputError, Where
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


NEEDS_COLUMNS = {
    "country": ("country", "#country+code", "country_code", "iso2"),
    "adm1": ("adm1", "admin1", "adm1_code", "#adm1+code", "admin1_code"),
    "adm2": ("adm2", "admin2", "adm2_code", "#adm2+code", "admin2_code"),
    "area_name": ("area_name", "name", "#adm2+name", "#adm1+name", "adm2_name", "adm1_name"),
    "sector": ("sector", "cluster", "#sector", "#sector+cluster"),
    "severity": ("severity", "#severity", "severity_score"),
    "pin": ("pin", "people_in_need", "#inneed", "#inneed+ind", "in_need"),
}


def _read_xlsx(path: Path) -> pl.DataFrame:
    """The first sheet of an XLSX as text columns (openpyxl, read-only: values, never formulas run)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = [["" if v is None else str(v) for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return pl.DataFrame()
    header = [h.strip() or f"column_{i + 1}" for i, h in enumerate(rows[0])]
    width = len(header)
    body = [(r + [""] * width)[:width] for r in rows[1:]]
    return pl.DataFrame(
        {h: [r[i] or None for r in body] for i, h in enumerate(header)}, schema={h: pl.String for h in header}
    )


def read_needs(path: Path) -> pl.DataFrame:
    """A needs table (CSV or XLSX): area (adm1 and/or adm2 code) x sector, with severity and/or people in need.

    Column names are matched case-insensitively against plain names or HXL tags (an HXL hashtag row
    under the header is recognised and used). Severity is a number (e.g. the JIAF 1-5 scale);
    people in need a non-negative number. Returns columns country, adm1, adm2, area_name, sector,
    severity, pin. Raises :class:`InputError` naming the file, row and column of a bad value.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("needs.missing", "file not found", Where(file=str(path)), hint="check the path")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            df = _read_xlsx(path)
        elif suffix in (".csv", ".txt"):
            df = pl.read_csv(path, infer_schema_length=0, encoding="utf8")
        else:
            raise InputError(
                "needs.format",
                f"unsupported file type {suffix!r}",
                Where(file=str(path)),
                hint="give a .csv or .xlsx file",
            )
    except InputError:
        raise
    except Exception as exc:  # polars raises several types for unreadable files
        raise InputError(
            "needs.unreadable",
            f"cannot read the table: {str(exc).splitlines()[0]}",
            Where(file=str(path)),
            hint="is it a UTF-8 CSV or an XLSX file?",
        ) from exc
    first_data_row = 2
    if df.height and all(str(v or "").startswith("#") for v in df.row(0) if v):
        # an HXL hashtag row: use the tags as column names
        df = df.slice(1).rename({c: (str(t).strip() if t else c) for c, t in zip(df.columns, df.row(0), strict=True)})
        first_data_row = 3
    lower = {c.lower().replace(" ", ""): c for c in df.columns}
    picked = {}
    for target, names in NEEDS_COLUMNS.items():
        for n in names:
            if n.replace(" ", "") in lower:
                picked[target] = lower[n.replace(" ", "")]
                break
    if "sector" not in picked or not ({"adm1", "adm2"} & set(picked)):
        raise InputError(
            "needs.columns",
            "the needs table needs a sector column and an adm1 or adm2 column",
            Where(file=str(path)),
            hint="columns: adm1, adm2, sector, severity, pin",
        )
    if not ({"severity", "pin"} & set(picked)):
        raise InputError(
            "needs.columns",
            "the needs table needs a severity or a people-in-need column",
            Where(file=str(path), field="severity/pin"),
            hint="add severity (1-5) or pin",
        )
    out = pl.DataFrame(
        {
            t: (
                df.get_column(picked[t]).cast(pl.String).str.strip_chars()
                if t in picked
                else pl.Series(t, [None] * df.height, dtype=pl.String)
            )
            for t in NEEDS_COLUMNS
        }
    )
    for num in ("severity", "pin"):
        col = out.get_column(num)
        parsed = col.str.replace_all(",", "").cast(pl.Float64, strict=False)
        bad = (col.is_not_null() & (col != "") & (parsed.is_null() | (parsed < 0))).arg_true()
        if len(bad):
            i = int(bad[0])
            raise InputError(
                "needs.bad_number",
                f"{num} {col[i]!r} is not a non-negative number",
                Where(file=str(path), row=i + first_data_row, field=picked[num]),
                hint="use plain numbers, e.g. 4 or 12000",
            )
        out = out.with_columns(parsed.alias(num))
    empty_sector = out.get_column("sector").is_null().arg_true()
    if len(empty_sector):
        raise InputError(
            "needs.empty_sector",
            "a row has no sector",
            Where(file=str(path), row=int(empty_sector[0]) + first_data_row, field=picked["sector"]),
            hint="give a cluster name or DAC code on every row",
        )
    return out
