-- The ledger: activities and their parts, as read from IATI XML or 3W/4W sheets.
-- activity_uid = reporting-org ref || '|' || iati-identifier: the same identifier from another
-- publisher is another activity (both kept, flagged in activity_duplicates).
CREATE TABLE activities (
    activity_uid      VARCHAR PRIMARY KEY,
    iati_identifier   VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,      -- 'iati' | '3w'
    import_id         INTEGER NOT NULL,
    line              INTEGER,               -- line in the source file (IATI) or row (3W)
    publisher_ref     VARCHAR,
    publisher_name    VARCHAR,
    publisher_type    VARCHAR,
    title             VARCHAR,
    description       VARCHAR,
    status_code       VARCHAR,
    default_currency  VARCHAR,
    humanitarian      BOOLEAN,
    hierarchy         INTEGER,
    scope_code        VARCHAR,
    planned_start     DATE,
    actual_start      DATE,
    planned_end       DATE,
    actual_end        DATE,
    start_date        DATE,                  -- actual start, else planned start
    end_date          DATE,                  -- actual end, else planned end
    last_updated      VARCHAR,
    reached           BIGINT                 -- 3W '#reached' (people), when given
);
CREATE TABLE participating_orgs (
    activity_uid VARCHAR NOT NULL, seq INTEGER NOT NULL,
    role INTEGER, ref VARCHAR, type VARCHAR, name VARCHAR, org_activity_id VARCHAR
);
CREATE TABLE activity_countries (
    activity_uid VARCHAR NOT NULL, code VARCHAR NOT NULL, percentage DOUBLE
);
CREATE TABLE activity_regions (
    activity_uid VARCHAR NOT NULL, code VARCHAR NOT NULL, vocabulary VARCHAR, percentage DOUBLE
);
CREATE TABLE activity_sectors (
    activity_uid VARCHAR NOT NULL, vocabulary VARCHAR NOT NULL, code VARCHAR NOT NULL,
    percentage DOUBLE, name VARCHAR        -- name: the 3W sector text, when the sheet gave no code
);
CREATE TABLE locations (
    activity_uid VARCHAR NOT NULL, seq INTEGER NOT NULL,
    ref VARCHAR, name VARCHAR, lat DOUBLE, lon DOUBLE,
    exactness VARCHAR, location_class VARCHAR, precision_code VARCHAR,
    adm1 VARCHAR, adm2 VARCHAR,            -- administrative level 1/2 code (IATI) or name (3W)
    admin_vocabulary VARCHAR, country VARCHAR
);
CREATE TABLE policy_markers (
    activity_uid VARCHAR NOT NULL, vocabulary VARCHAR, code VARCHAR, significance VARCHAR
);
CREATE TABLE tags (
    activity_uid VARCHAR NOT NULL, vocabulary VARCHAR, code VARCHAR, name VARCHAR
);
CREATE TABLE budgets (
    activity_uid VARCHAR NOT NULL, seq INTEGER NOT NULL, type VARCHAR, status VARCHAR,
    period_start DATE, period_end DATE, value DOUBLE, currency VARCHAR, value_date DATE
);
CREATE TABLE transactions (
    activity_uid VARCHAR NOT NULL, seq INTEGER NOT NULL,
    ref VARCHAR, type_code VARCHAR, date DATE, value DOUBLE, currency VARCHAR, value_date DATE,
    provider_ref VARCHAR, provider_name VARCHAR, provider_activity_id VARCHAR,
    receiver_ref VARCHAR, receiver_name VARCHAR, receiver_activity_id VARCHAR,
    humanitarian BOOLEAN, description VARCHAR
);
CREATE TABLE transaction_sectors (
    activity_uid VARCHAR NOT NULL, seq INTEGER NOT NULL, vocabulary VARCHAR NOT NULL, code VARCHAR NOT NULL
);
CREATE TABLE transaction_countries (
    activity_uid VARCHAR NOT NULL, seq INTEGER NOT NULL, code VARCHAR NOT NULL
);
CREATE TABLE transaction_regions (
    activity_uid VARCHAR NOT NULL, seq INTEGER NOT NULL, code VARCHAR NOT NULL, vocabulary VARCHAR
);
-- Results: stored now, used by track later.
CREATE TABLE results (
    activity_uid VARCHAR NOT NULL, result_seq INTEGER NOT NULL, type VARCHAR,
    aggregation_status BOOLEAN, title VARCHAR
);
CREATE TABLE result_indicators (
    activity_uid VARCHAR NOT NULL, result_seq INTEGER NOT NULL, indicator_seq INTEGER NOT NULL,
    measure VARCHAR, ascending BOOLEAN, title VARCHAR,
    baseline_year INTEGER, baseline_date DATE, baseline_value VARCHAR
);
CREATE TABLE result_periods (
    activity_uid VARCHAR NOT NULL, result_seq INTEGER NOT NULL, indicator_seq INTEGER NOT NULL,
    period_seq INTEGER NOT NULL, period_start DATE, period_end DATE,
    target_value VARCHAR, actual_value VARCHAR
);
-- Data-quality warnings found on import, by kind.
CREATE TABLE ledger_warnings (
    import_id INTEGER NOT NULL, activity_uid VARCHAR, line INTEGER,
    code VARCHAR NOT NULL, message VARCHAR NOT NULL
);
-- Money, derived from transactions: each transaction split by country x sector share, in USD.
-- Rebuilt for the affected activities on every import (kizuna.ledger.money).
CREATE TABLE flows (
    activity_uid      VARCHAR NOT NULL,
    seq               INTEGER NOT NULL,      -- transaction seq
    publisher_ref     VARCHAR,
    type_code         VARCHAR,
    date              DATE,
    year              INTEGER,
    country           VARCHAR,               -- ISO 3166-1 alpha-2, NULL = unspecified
    country_source    VARCHAR,               -- 'transaction' | 'activity' | 'unspecified'
    sector_vocabulary VARCHAR,               -- '1' | '2' | NULL
    sector            VARCHAR,               -- DAC 5-digit (vocab 1) or 3-digit (vocab 2), NULL = unspecified
    sector3           VARCHAR,               -- DAC 3-digit category
    sector_source     VARCHAR,
    share             DOUBLE NOT NULL,       -- country share x sector share, 0..1
    value             DOUBLE,                -- share of the transaction value, original currency
    currency          VARCHAR,
    usd               DOUBLE,                -- NULL when no rate exists: never a guess
    fx_rate           DOUBLE,                -- USD per unit of currency
    fx_date           DATE,                  -- the ECB date the rate is from
    counted           BOOLEAN NOT NULL,      -- FALSE when the same money is counted at its funder
    funded_by_uid     VARCHAR                -- the funder activity, when counted = FALSE
);
-- The same iati-identifier reported by more than one publisher: both kept, flagged.
CREATE VIEW activity_duplicates AS
    SELECT iati_identifier, list(activity_uid ORDER BY activity_uid) AS activity_uids,
           list(DISTINCT publisher_ref ORDER BY publisher_ref) AS publishers
    FROM activities GROUP BY iati_identifier HAVING count(*) > 1;
-- Organisation name aliases for 3W sheets (and IATI orgs without refs); editable by users.
CREATE TABLE org_aliases (
    alias_norm VARCHAR PRIMARY KEY,   -- normalised alias (lower case, no punctuation)
    alias      VARCHAR NOT NULL,
    org_ref    VARCHAR,
    org_name   VARCHAR NOT NULL
);
