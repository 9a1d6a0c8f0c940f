-- Needs tables stored in the workspace (`kizuna gaps --needs FILE`, `kizuna demo`), so that `kizuna gaps`
-- with no file, the dashboard and the accountability report use the same one.
CREATE TABLE needs_tables (
    needs_id     INTEGER PRIMARY KEY,   -- = imports.import_id (kind 'needs')
    kind         VARCHAR NOT NULL,      -- 'hno' (OCHA HNO, totals kept) | 'simple'
    countries    VARCHAR,               -- the countries it covers, comma-separated ISO alpha-2 codes
    rows         INTEGER NOT NULL,
    selected_at  TIMESTAMP NOT NULL     -- when it was last given: the latest given is the one used
);
CREATE TABLE needs_rows (
    needs_id   INTEGER NOT NULL,
    country    VARCHAR,
    level      INTEGER NOT NULL,        -- 0 national, 1 admin-1, 2 admin-2
    adm1       VARCHAR,
    adm2       VARCHAR,
    area_name  VARCHAR,
    sector     VARCHAR NOT NULL,        -- as the table writes it (cluster name, DAC code, HNO code)
    cluster    VARCHAR,                 -- its humanitarian cluster (kizuna.coordinate.sectors), NULL if none
    severity   DOUBLE,
    pin        DOUBLE
);
