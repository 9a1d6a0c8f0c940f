-- Issue 14: IATI results read whole (IATI 2.03, iati-activity/result; 1.0x results read the same way).
-- Keys: a result is (activity_uid, result_seq); an indicator adds indicator_seq; a period adds period_seq.
-- A baseline, target or actual ("value element") is named by kind ('baseline' | 'target' | 'actual') and
-- value_seq (its position among the elements of that kind in its indicator (baselines) or period
-- (targets, actuals), 1, 2, ...); period_seq is NULL for baselines. Every seq counts from 1 in document
-- order. Every element is kept, even one with nothing in it, so counts equal the file's.

-- Columns the first reading (0002) did not have. The old columns keep their meaning:
-- results.title / result_indicators.title: the narrative in the activity's language (else English, ...);
-- result_indicators.baseline_year/date/value and result_periods.target_value/actual_value: the
-- indicator's or period's OVERALL value, i.e. the baseline / target / actual that carries no dimension
-- (when several carry none, the one that also names no location); NULL when every one is disaggregated
-- by a dimension, because disaggregated values are not always additive (a percentage, a median, an
-- ordinal): read them from result_baselines / result_period_values with result_dimensions.
-- *_num: the value as a number (xsd:decimal, kizuna.ledger.iati.parse_amount); NULL when it is not one.
ALTER TABLE results ADD COLUMN IF NOT EXISTS description VARCHAR;
ALTER TABLE result_indicators ADD COLUMN IF NOT EXISTS aggregation_status BOOLEAN;
ALTER TABLE result_indicators ADD COLUMN IF NOT EXISTS description VARCHAR;
ALTER TABLE result_indicators ADD COLUMN IF NOT EXISTS baseline_num DOUBLE;
ALTER TABLE result_periods ADD COLUMN IF NOT EXISTS target_num DOUBLE;
ALTER TABLE result_periods ADD COLUMN IF NOT EXISTS actual_num DOUBLE;

-- result/reference (IATI 2.03): the result's code in a vocabulary (ResultVocabulary codelist).
CREATE TABLE IF NOT EXISTS result_refs (
    activity_uid VARCHAR NOT NULL, result_seq INTEGER NOT NULL, ref_seq INTEGER NOT NULL,
    vocabulary VARCHAR, code VARCHAR, vocabulary_uri VARCHAR
);

-- indicator/baseline: 2.03 allows several (e.g. one per dimension).
CREATE TABLE IF NOT EXISTS result_baselines (
    activity_uid VARCHAR NOT NULL, result_seq INTEGER NOT NULL, indicator_seq INTEGER NOT NULL,
    baseline_seq INTEGER NOT NULL,
    year      INTEGER,   -- @year
    iso_date  DATE,      -- @iso-date
    value     VARCHAR,   -- @value as written (trimmed)
    value_num DOUBLE,    -- @value as a number; NULL when it is not one
    comment   VARCHAR    -- comment, the narrative in the activity's language
);

-- period/target and period/actual: several of each are allowed.
CREATE TABLE IF NOT EXISTS result_period_values (
    activity_uid VARCHAR NOT NULL, result_seq INTEGER NOT NULL, indicator_seq INTEGER NOT NULL,
    period_seq INTEGER NOT NULL,
    kind      VARCHAR NOT NULL,  -- 'target' | 'actual'
    value_seq INTEGER NOT NULL,
    value     VARCHAR,
    value_num DOUBLE,
    comment   VARCHAR
);

-- dimension (name, value) of a baseline, target or actual.
CREATE TABLE IF NOT EXISTS result_dimensions (
    activity_uid VARCHAR NOT NULL, result_seq INTEGER NOT NULL, indicator_seq INTEGER NOT NULL,
    period_seq INTEGER,              -- NULL for a baseline
    kind VARCHAR NOT NULL, value_seq INTEGER NOT NULL, dim_seq INTEGER NOT NULL,
    name VARCHAR, value VARCHAR
);

-- location/@ref of a baseline, target or actual: a reference to an activity location/@ref.
CREATE TABLE IF NOT EXISTS result_location_refs (
    activity_uid VARCHAR NOT NULL, result_seq INTEGER NOT NULL, indicator_seq INTEGER NOT NULL,
    period_seq INTEGER,
    kind VARCHAR NOT NULL, value_seq INTEGER NOT NULL, loc_seq INTEGER NOT NULL,
    ref VARCHAR
);

-- document-link of a result, an indicator, a baseline, a target or an actual.
CREATE TABLE IF NOT EXISTS result_document_links (
    activity_uid VARCHAR NOT NULL, result_seq INTEGER NOT NULL,
    indicator_seq INTEGER,           -- NULL: the result's own link
    period_seq INTEGER,              -- set for targets and actuals
    kind VARCHAR NOT NULL,           -- 'result' | 'indicator' | 'baseline' | 'target' | 'actual'
    value_seq INTEGER,               -- the baseline / target / actual; NULL for results and indicators
    link_seq INTEGER NOT NULL,
    url VARCHAR, format VARCHAR,
    title VARCHAR, description VARCHAR,   -- the narrative in the activity's language
    categories VARCHAR[],            -- category/@code (DocumentCategory codelist), in order
    languages VARCHAR[],             -- language/@code (ISO 639-1), in order
    document_date DATE               -- document-date/@iso-date
);

-- Every narrative of a result's, an indicator's title and description and of a baseline's, target's or
-- actual's comment, in every language (the columns above hold the one in the activity's language).
CREATE TABLE IF NOT EXISTS result_narratives (
    activity_uid VARCHAR NOT NULL, result_seq INTEGER NOT NULL,
    indicator_seq INTEGER,           -- NULL for the result's title / description
    period_seq INTEGER,
    kind VARCHAR NOT NULL,           -- 'result' | 'indicator' | 'baseline' | 'target' | 'actual'
    value_seq INTEGER,
    element VARCHAR NOT NULL,        -- 'title' | 'description' | 'comment'
    ord INTEGER NOT NULL,            -- position among the element's narratives
    lang VARCHAR,                    -- narrative/@xml:lang, else the activity's, else the file's (lower case)
    text VARCHAR NOT NULL
);
