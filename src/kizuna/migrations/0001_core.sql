-- Provenance of every import, whatever its kind (iati, 3w, survey, events, ...).
CREATE SEQUENCE import_seq START 1;
CREATE TABLE imports (
    import_id   INTEGER PRIMARY KEY,
    kind        VARCHAR NOT NULL,
    file_name   VARCHAR NOT NULL,
    file_path   VARCHAR,
    sha256      VARCHAR NOT NULL,
    publisher   VARCHAR,
    version     VARCHAR,
    counts      JSON,
    warnings    JSON,
    imported_at TIMESTAMP NOT NULL
);
