-- Shared mode (issue 15): the records of every organisation, mirroring the DuckDB record tables
-- (src/kizuna/migrations): the same table and column names, equivalent types
-- (tests/shared/test_schema_equivalence.py keeps them so). Every row belongs to one import (`import_id`,
-- added where DuckDB's table has none): the import says whose rows they are and who may see them, and
-- deleting an import deletes its rows. DuckDB's keys (activity_uid, run_id, ...) are not unique here:
-- two organisations may import the same activity; the analytical copy (kizuna.shared.analytic) keeps
-- the latest visible import of each, as the DuckDB ingest keeps the latest.
-- Not mirrored: the reference tables every DuckDB workspace loads from shipped files (codelist_items,
-- fx_rates, org_registry, reference_versions, coordinate_ally_rules), workspace settings
-- (coordinate_org_allies, org_aliases), and the derived tables the copy rebuilds (flows,
-- location_areas); kizuna.shared.records.CLASSES lists every table with its class.

-- Ids DuckDB draws from its own sequences (measure_runs.run_id, screen_registers.register_id,
-- ddr_programmes.programme_id) are drawn again from this one when an import is copied in.
CREATE SEQUENCE record_id_seq;

CREATE TABLE activities (
    activity_uid     text NOT NULL,
    iati_identifier  text NOT NULL,
    source           text NOT NULL,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE,
    line             integer,
    publisher_ref    text,
    publisher_name   text,
    publisher_type   text,
    title            text,
    description      text,
    status_code      text,
    default_currency text,
    humanitarian     boolean,
    hierarchy        integer,
    scope_code       text,
    planned_start    date,
    actual_start     date,
    planned_end      date,
    actual_end       date,
    start_date       date,
    end_date         date,
    last_updated     text,
    reached          bigint,
    default_lang     text
);
CREATE INDEX activities_import ON activities (import_id);
-- the analytical copy keeps the latest visible import of each activity
CREATE INDEX activities_uid ON activities (activity_uid, import_id);

CREATE TABLE activity_countries (
    activity_uid     text NOT NULL,
    code             text NOT NULL,
    percentage       double precision,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX activity_countries_import ON activity_countries (import_id);

CREATE TABLE activity_regions (
    activity_uid     text NOT NULL,
    code             text NOT NULL,
    vocabulary       text,
    percentage       double precision,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX activity_regions_import ON activity_regions (import_id);

CREATE TABLE activity_sectors (
    activity_uid     text NOT NULL,
    vocabulary       text NOT NULL,
    code             text NOT NULL,
    percentage       double precision,
    name             text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX activity_sectors_import ON activity_sectors (import_id);

CREATE TABLE admin_areas (
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE,
    source           text NOT NULL,
    country          text,
    level            integer NOT NULL,
    pcode            text NOT NULL,
    name             text,
    parent_pcode     text,
    valid_from       date,
    feature          integer,
    geometry         bytea,
    shape            text,
    min_lon          double precision,
    min_lat          double precision,
    max_lon          double precision,
    max_lat          double precision,
    label_lon        double precision,
    label_lat        double precision
);
CREATE INDEX admin_areas_import ON admin_areas (import_id);

CREATE TABLE budgets (
    activity_uid     text NOT NULL,
    seq              integer NOT NULL,
    type             text,
    status           text,
    period_start     date,
    period_end       date,
    value            double precision,
    currency         text,
    value_date       date,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX budgets_import ON budgets (import_id);

CREATE TABLE ddr_persons (
    programme_id     integer NOT NULL,
    person           text NOT NULL,
    sex              text NOT NULL,
    age              integer,
    cohort           text NOT NULL,
    entry_date       date,
    area             text NOT NULL,
    former_group     text,
    dob_sealed       bytea,
    phone_sealed     bytea,
    notes_sealed     bytea,
    commander_sealed bytea,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE
);
CREATE INDEX ddr_persons_import ON ddr_persons (import_id);

CREATE TABLE ddr_programmes (
    programme_id     integer NOT NULL,
    name             text NOT NULL,
    key_id           text NOT NULL,
    synthetic        boolean NOT NULL DEFAULT false,
    created_at       timestamp NOT NULL,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX ddr_programmes_import ON ddr_programmes (import_id);

CREATE TABLE ddr_waves (
    programme_id     integer NOT NULL,
    person           text NOT NULL,
    wave_month       double precision NOT NULL,
    wave_date        date,
    status           text NOT NULL,
    employed         boolean,
    income           double precision,
    accepted         boolean,
    housing          boolean,
    participation    boolean,
    rerecruited      boolean,
    rearmed          boolean,
    arrested         boolean,
    died             boolean,
    who5_pct         double precision,
    phq9_score       double precision,
    k6_score         double precision,
    notes_sealed     bytea,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE
);
CREATE INDEX ddr_waves_import ON ddr_waves (import_id);

CREATE TABLE indicator_values (
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE,
    row_no           integer NOT NULL,
    org              text,
    activity_id      text,
    activity_title   text,
    vocabulary       text,
    indicator_code   text,
    indicator_name   text,
    unit             text,
    measure          text NOT NULL,
    ascending        boolean,
    disaggregation   text,
    area             text,
    period_start     date,
    period_end       date,
    baseline_value   text,
    target_value     text,
    actual_value     text
);
CREATE INDEX indicator_values_import ON indicator_values (import_id);

CREATE TABLE ledger_warnings (
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE,
    activity_uid     text,
    line             integer,
    code             text NOT NULL,
    message          text NOT NULL
);
CREATE INDEX ledger_warnings_import ON ledger_warnings (import_id);

CREATE TABLE locations (
    activity_uid     text NOT NULL,
    seq              integer NOT NULL,
    ref              text,
    name             text,
    lat              double precision,
    lon              double precision,
    exactness        text,
    location_class   text,
    precision_code   text,
    adm1             text,
    adm2             text,
    admin_vocabulary text,
    country          text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX locations_import ON locations (import_id);

CREATE TABLE measure_changes (
    run_id           integer NOT NULL,
    k                double precision NOT NULL,
    group_var        text NOT NULL,
    group_label      text NOT NULL,
    measure          text NOT NULL,
    indicator        text,
    from_round       text,
    to_round         text,
    years            double precision,
    change           text NOT NULL,
    b1               double precision,
    b2               double precision,
    value            double precision,
    se               double precision,
    lo               double precision,
    hi               double precision,
    suppressed       boolean DEFAULT false,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX measure_changes_import ON measure_changes (import_id);

CREATE TABLE measure_estimates (
    run_id           integer NOT NULL,
    k                double precision NOT NULL,
    round            text,
    group_var        text NOT NULL,
    group_label      text NOT NULL,
    measure          text NOT NULL,
    indicator        text,
    b                double precision,
    se               double precision,
    lo               double precision,
    hi               double precision,
    n                bigint,
    pop              double precision,
    suppressed       boolean DEFAULT false,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX measure_estimates_import ON measure_estimates (import_id);

CREATE TABLE measure_needs (
    run_id           integer NOT NULL,
    round            text,
    admin1           text NOT NULL,
    dimension        text NOT NULL,
    share_deprived   double precision,
    se               double precision,
    lo               double precision,
    hi               double precision,
    share_deprived_poor double precision,
    population       double precision,
    people_in_need   double precision,
    suppressed       boolean DEFAULT false,
    n                bigint,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX measure_needs_import ON measure_needs (import_id);

CREATE TABLE measure_runs (
    run_id           integer NOT NULL,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE,
    title            text,
    data_sha256      text NOT NULL,
    spec_sha256      text NOT NULL,
    spec_toml        text NOT NULL,
    k                double precision NOT NULL,
    n_rows           integer NOT NULL,
    n_used           integer NOT NULL,
    n_dropped        integer NOT NULL,
    missing          jsonb,
    design           jsonb,
    weights          jsonb,
    dimensions       jsonb,
    notes            jsonb,
    created_at       timestamp NOT NULL,
    disclosure       jsonb
);
CREATE INDEX measure_runs_import ON measure_runs (import_id);

CREATE TABLE measure_sweep (
    run_id           integer NOT NULL,
    k                double precision NOT NULL,
    round            text,
    measure          text NOT NULL,
    b                double precision,
    se               double precision,
    lo               double precision,
    hi               double precision,
    suppressed       boolean DEFAULT false,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX measure_sweep_import ON measure_sweep (import_id);

CREATE TABLE narratives (
    activity_uid     text NOT NULL,
    element          text NOT NULL,
    seq              integer NOT NULL,
    ord              integer NOT NULL,
    lang             text,
    text             text NOT NULL,
    kind             text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX narratives_import ON narratives (import_id);

CREATE TABLE needs_rows (
    needs_id         integer NOT NULL,
    country          text,
    level            integer NOT NULL,
    adm1             text,
    adm2             text,
    area_name        text,
    sector           text NOT NULL,
    cluster          text,
    severity         double precision,
    pin              double precision,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX needs_rows_import ON needs_rows (import_id);

CREATE TABLE needs_tables (
    needs_id         integer NOT NULL,
    kind             text NOT NULL,
    countries        text,
    rows             integer NOT NULL,
    selected_at      timestamp NOT NULL,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX needs_tables_import ON needs_tables (import_id);

CREATE TABLE participating_orgs (
    activity_uid     text NOT NULL,
    seq              integer NOT NULL,
    role             integer,
    ref              text,
    type             text,
    name             text,
    org_activity_id  text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX participating_orgs_import ON participating_orgs (import_id);

CREATE TABLE policy_markers (
    activity_uid     text NOT NULL,
    vocabulary       text,
    code             text,
    significance     text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX policy_markers_import ON policy_markers (import_id);

CREATE TABLE result_baselines (
    activity_uid     text NOT NULL,
    result_seq       integer NOT NULL,
    indicator_seq    integer NOT NULL,
    baseline_seq     integer NOT NULL,
    year             integer,
    iso_date         date,
    value            text,
    value_num        double precision,
    comment          text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX result_baselines_import ON result_baselines (import_id);

CREATE TABLE result_dimensions (
    activity_uid     text NOT NULL,
    result_seq       integer NOT NULL,
    indicator_seq    integer NOT NULL,
    period_seq       integer,
    kind             text NOT NULL,
    value_seq        integer NOT NULL,
    dim_seq          integer NOT NULL,
    name             text,
    value            text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX result_dimensions_import ON result_dimensions (import_id);

CREATE TABLE result_document_links (
    activity_uid     text NOT NULL,
    result_seq       integer NOT NULL,
    indicator_seq    integer,
    period_seq       integer,
    kind             text NOT NULL,
    value_seq        integer,
    link_seq         integer NOT NULL,
    url              text,
    format           text,
    title            text,
    description      text,
    categories       text[],
    languages        text[],
    document_date    date,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX result_document_links_import ON result_document_links (import_id);

CREATE TABLE result_indicator_refs (
    activity_uid     text NOT NULL,
    result_seq       integer NOT NULL,
    indicator_seq    integer NOT NULL,
    ref_seq          integer NOT NULL,
    vocabulary       text,
    code             text,
    indicator_uri    text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX result_indicator_refs_import ON result_indicator_refs (import_id);

CREATE TABLE result_indicators (
    activity_uid     text NOT NULL,
    result_seq       integer NOT NULL,
    indicator_seq    integer NOT NULL,
    measure          text,
    ascending        boolean,
    title            text,
    baseline_year    integer,
    baseline_date    date,
    baseline_value   text,
    aggregation_status boolean,
    description      text,
    baseline_num     double precision,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX result_indicators_import ON result_indicators (import_id);

CREATE TABLE result_location_refs (
    activity_uid     text NOT NULL,
    result_seq       integer NOT NULL,
    indicator_seq    integer NOT NULL,
    period_seq       integer,
    kind             text NOT NULL,
    value_seq        integer NOT NULL,
    loc_seq          integer NOT NULL,
    ref              text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX result_location_refs_import ON result_location_refs (import_id);

CREATE TABLE result_narratives (
    activity_uid     text NOT NULL,
    result_seq       integer NOT NULL,
    indicator_seq    integer,
    period_seq       integer,
    kind             text NOT NULL,
    value_seq        integer,
    element          text NOT NULL,
    ord              integer NOT NULL,
    lang             text,
    text             text NOT NULL,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX result_narratives_import ON result_narratives (import_id);

CREATE TABLE result_period_values (
    activity_uid     text NOT NULL,
    result_seq       integer NOT NULL,
    indicator_seq    integer NOT NULL,
    period_seq       integer NOT NULL,
    kind             text NOT NULL,
    value_seq        integer NOT NULL,
    value            text,
    value_num        double precision,
    comment          text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX result_period_values_import ON result_period_values (import_id);

CREATE TABLE result_periods (
    activity_uid     text NOT NULL,
    result_seq       integer NOT NULL,
    indicator_seq    integer NOT NULL,
    period_seq       integer NOT NULL,
    period_start     date,
    period_end       date,
    target_value     text,
    actual_value     text,
    target_num       double precision,
    actual_num       double precision,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX result_periods_import ON result_periods (import_id);

CREATE TABLE result_refs (
    activity_uid     text NOT NULL,
    result_seq       integer NOT NULL,
    ref_seq          integer NOT NULL,
    vocabulary       text,
    code             text,
    vocabulary_uri   text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX result_refs_import ON result_refs (import_id);

CREATE TABLE results (
    activity_uid     text NOT NULL,
    result_seq       integer NOT NULL,
    type             text,
    aggregation_status boolean,
    title            text,
    description      text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX results_import ON results (import_id);

CREATE TABLE screen_gaps (
    register_id      integer NOT NULL,
    rule_id          text NOT NULL,
    question         text,
    unknown          jsonb,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX screen_gaps_import ON screen_gaps (import_id);

CREATE TABLE screen_registers (
    register_id      integer NOT NULL,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE,
    key              text NOT NULL,
    proposal_id      text NOT NULL,
    title            text,
    project_type     text NOT NULL,
    as_of            date NOT NULL,
    category         text NOT NULL,
    next_steps       text,
    n_risks          integer NOT NULL,
    n_gaps           integer NOT NULL,
    catalogue        text,
    catalogue_version text,
    catalogue_sha256 text NOT NULL,
    layers           jsonb,
    facts            jsonb,
    screened_at      timestamp NOT NULL
);
CREATE INDEX screen_registers_import ON screen_registers (import_id);

CREATE TABLE screen_risks (
    register_id      integer NOT NULL,
    seq              integer NOT NULL,
    rule_id          text NOT NULL,
    family           text,
    question         text,
    impact           integer NOT NULL,
    likelihood       integer NOT NULL,
    score            integer NOT NULL,
    significance     text NOT NULL,
    facts            jsonb,
    adjustments      jsonb,
    source           text,
    mitigation       text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX screen_risks_import ON screen_risks (import_id);

CREATE TABLE tags (
    activity_uid     text NOT NULL,
    vocabulary       text,
    code             text,
    name             text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX tags_import ON tags (import_id);

CREATE TABLE training_courses (
    course           text NOT NULL,
    key_id           text NOT NULL,
    synthetic        boolean DEFAULT false,
    updated_at       timestamp,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX training_courses_import ON training_courses (import_id);

CREATE TABLE training_followups (
    course           text NOT NULL,
    participant      text NOT NULL,
    phase            text NOT NULL,
    score            double precision NOT NULL,
    observer         text,
    observed_on      date,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE
);
CREATE INDEX training_followups_import ON training_followups (import_id);

CREATE TABLE training_participants (
    course           text NOT NULL,
    participant      text NOT NULL,
    session          text NOT NULL,
    sex              text,
    unit             text,
    agency           text,
    rank             text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE
);
CREATE INDEX training_participants_import ON training_participants (import_id);

CREATE TABLE training_reaction (
    course           text NOT NULL,
    participant      text NOT NULL,
    item             text NOT NULL,
    scale            text NOT NULL,
    score            double precision,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE
);
CREATE INDEX training_reaction_import ON training_reaction (import_id);

CREATE TABLE training_sessions (
    course           text NOT NULL,
    session          text NOT NULL,
    start_date       date,
    end_date         date,
    location         text,
    pcode            text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE
);
CREATE INDEX training_sessions_import ON training_sessions (import_id);

CREATE TABLE training_tests (
    course           text NOT NULL,
    participant      text NOT NULL,
    phase            text NOT NULL,
    item             text NOT NULL,
    position         integer NOT NULL,
    score            double precision NOT NULL,
    max_score        double precision NOT NULL,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE
);
CREATE INDEX training_tests_import ON training_tests (import_id);

CREATE TABLE training_units (
    course           text NOT NULL,
    unit             text NOT NULL,
    period           text NOT NULL,
    outcome          text NOT NULL,
    value            double precision NOT NULL,
    comparison       boolean NOT NULL DEFAULT false,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE
);
CREATE INDEX training_units_import ON training_units (import_id);

CREATE TABLE transaction_countries (
    activity_uid     text NOT NULL,
    seq              integer NOT NULL,
    code             text NOT NULL,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX transaction_countries_import ON transaction_countries (import_id);

CREATE TABLE transaction_regions (
    activity_uid     text NOT NULL,
    seq              integer NOT NULL,
    code             text NOT NULL,
    vocabulary       text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX transaction_regions_import ON transaction_regions (import_id);

CREATE TABLE transaction_sectors (
    activity_uid     text NOT NULL,
    seq              integer NOT NULL,
    vocabulary       text NOT NULL,
    code             text NOT NULL,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX transaction_sectors_import ON transaction_sectors (import_id);

CREATE TABLE transactions (
    activity_uid     text NOT NULL,
    seq              integer NOT NULL,
    ref              text,
    type_code        text,
    date             date,
    value            double precision,
    currency         text,
    value_date       date,
    provider_ref     text,
    provider_name    text,
    provider_activity_id text,
    receiver_ref     text,
    receiver_name    text,
    receiver_activity_id text,
    humanitarian     boolean,
    description      text,
    import_id        integer NOT NULL REFERENCES imports ON DELETE CASCADE  -- owner: the import it came with
);
CREATE INDEX transactions_import ON transactions (import_id);
