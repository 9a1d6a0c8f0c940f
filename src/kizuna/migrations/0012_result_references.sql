-- Issue 14: an indicator's reference codes (IATI result/indicator/reference: vocabulary, code,
-- indicator-uri), what track's roll-up matches indicators of different publishers on. The rest of
-- the result detail (dimensions, several targets and actuals, location refs, comments, document links)
-- comes in 0013.
CREATE TABLE IF NOT EXISTS result_indicator_refs (
    activity_uid VARCHAR NOT NULL, result_seq INTEGER NOT NULL, indicator_seq INTEGER NOT NULL,
    ref_seq INTEGER NOT NULL, vocabulary VARCHAR, code VARCHAR, indicator_uri VARCHAR
);
