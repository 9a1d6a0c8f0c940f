-- Screen: do-no-harm risk registers, one per proposal screened, with provenance.
-- key = sha256 over the proposal file, the proposal id, the layers' sha256, --as-of and the catalogue:
-- screening the same inputs twice stores one register.
CREATE SEQUENCE screen_register_seq START 1;
CREATE TABLE screen_registers (
    register_id       INTEGER PRIMARY KEY,
    import_id         INTEGER NOT NULL,       -- imports row of the proposal file (kind 'screen')
    key               VARCHAR NOT NULL UNIQUE,
    proposal_id       VARCHAR NOT NULL,
    title             VARCHAR,
    project_type      VARCHAR NOT NULL,
    as_of             DATE NOT NULL,
    category          VARCHAR NOT NULL,       -- Low | Moderate | Substantial | High
    next_steps        VARCHAR,
    n_risks           INTEGER NOT NULL,
    n_gaps            INTEGER NOT NULL,
    catalogue         VARCHAR,
    catalogue_version VARCHAR,
    catalogue_sha256  VARCHAR NOT NULL,
    layers            JSON,                   -- {communities|boundaries|events: {file, sha256, rows}, ledger: ...}
    facts             JSON,
    screened_at       TIMESTAMP NOT NULL
);
CREATE TABLE screen_risks (
    register_id  INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    rule_id      VARCHAR NOT NULL,
    family       VARCHAR,
    question     VARCHAR,
    impact       INTEGER NOT NULL,
    likelihood   INTEGER NOT NULL,
    score        INTEGER NOT NULL,
    significance VARCHAR NOT NULL,
    facts        JSON,                        -- the facts and values that fired the rule
    adjustments  JSON,
    source       VARCHAR,
    mitigation   VARCHAR
);
CREATE TABLE screen_gaps (
    register_id INTEGER NOT NULL,
    rule_id     VARCHAR NOT NULL,
    question    VARCHAR,
    unknown     JSON                          -- the facts that were not known
);
