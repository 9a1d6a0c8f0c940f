-- Issue 14 (track, results): indicator tables as ActivityInfo- or DHIS2-like systems export them
-- (one row per indicator x disaggregation x area x period), read by kizuna.track.indicators and stored
-- whole per import (imports.kind = 'indicators'). Values are kept as text as written, normalised
-- (thousands separators and a trailing % removed), like the ledger's result_periods: queries TRY_CAST them.
CREATE TABLE IF NOT EXISTS indicator_values (
    import_id INTEGER NOT NULL, row_no INTEGER NOT NULL,
    org VARCHAR, activity_id VARCHAR, activity_title VARCHAR,
    vocabulary VARCHAR, indicator_code VARCHAR, indicator_name VARCHAR,
    unit VARCHAR, measure VARCHAR NOT NULL, ascending BOOLEAN,
    disaggregation VARCHAR, area VARCHAR,
    period_start DATE, period_end DATE,
    baseline_value VARCHAR, target_value VARCHAR, actual_value VARCHAR
);
