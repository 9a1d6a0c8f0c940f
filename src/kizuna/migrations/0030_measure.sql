-- measure: vital-core (Alkire-Foster) runs on household surveys, with their spec and data hash.
CREATE SEQUENCE measure_run_seq START 1;
CREATE TABLE measure_runs (
    run_id        INTEGER PRIMARY KEY,
    import_id     INTEGER NOT NULL,          -- imports row (kind = 'survey'): file, sha256, time
    title         VARCHAR,
    data_sha256   VARCHAR NOT NULL,
    spec_sha256   VARCHAR NOT NULL,
    spec_toml     VARCHAR NOT NULL,          -- the spec exactly as given
    k             DOUBLE NOT NULL,           -- percent
    n_rows        INTEGER NOT NULL,
    n_used        INTEGER NOT NULL,          -- after listwise deletion
    n_dropped     INTEGER NOT NULL,
    missing       JSON,                      -- persons missing each indicator
    design        JSON,                      -- weight/strata/psu columns, #strata, #PSU, df
    weights       JSON,                      -- indicator -> weight
    dimensions    JSON,                      -- dimension -> [indicator]
    notes         JSON,
    created_at    TIMESTAMP NOT NULL
);
-- Every estimate of a run, long: M0, H, A, hd, hdk, actb, pctb by k, round and subgroup (domain).
CREATE TABLE measure_estimates (
    run_id INTEGER NOT NULL, k DOUBLE NOT NULL, round VARCHAR, group_var VARCHAR NOT NULL,
    group_label VARCHAR NOT NULL, measure VARCHAR NOT NULL, indicator VARCHAR,
    b DOUBLE, se DOUBLE, lo DOUBLE, hi DOUBLE, n BIGINT, pop DOUBLE
);
-- The k sweep: M0, H, A for each k, per round.
CREATE TABLE measure_sweep (
    run_id INTEGER NOT NULL, k DOUBLE NOT NULL, round VARCHAR, measure VARCHAR NOT NULL,
    b DOUBLE, se DOUBLE, lo DOUBLE, hi DOUBLE
);
-- Changes between consecutive rounds (abs, abs_ann, rel, rel_ann) with delta-method SEs.
CREATE TABLE measure_changes (
    run_id INTEGER NOT NULL, k DOUBLE NOT NULL, group_var VARCHAR NOT NULL, group_label VARCHAR NOT NULL,
    measure VARCHAR NOT NULL, indicator VARCHAR, from_round VARCHAR, to_round VARCHAR, years DOUBLE,
    change VARCHAR NOT NULL, b1 DOUBLE, b2 DOUBLE, value DOUBLE, se DOUBLE, lo DOUBLE, hi DOUBLE
);
-- Needs for coordinate's gap analysis: admin1 x dimension, share deprived and people.
CREATE TABLE measure_needs (
    run_id INTEGER NOT NULL, round VARCHAR, admin1 VARCHAR NOT NULL, dimension VARCHAR NOT NULL,
    share_deprived DOUBLE, se DOUBLE, lo DOUBLE, hi DOUBLE, share_deprived_poor DOUBLE,
    population DOUBLE, people_in_need DOUBLE
);
