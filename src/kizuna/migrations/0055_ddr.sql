-- track / DDR reintegration cohorts (issue 14). No name and no raw id is ever stored: `person` is the keyed
-- pseudonym (HMAC-SHA-256, kizuna.track.protect) and the sensitive fields that must be kept (exact date of
-- birth, phone, free-text notes, former commander) are AES-256-GCM ciphertext (`*_sealed`). A programme keeps
-- the id of the key its records were made with; every later import is checked against it.
CREATE SEQUENCE ddr_programme_seq START 1;
CREATE TABLE ddr_programmes (
    programme_id  INTEGER PRIMARY KEY,
    name          VARCHAR NOT NULL UNIQUE,
    key_id        VARCHAR NOT NULL,          -- 16 hex digits (HKDF of the key), never the key
    synthetic     BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMP NOT NULL
);
CREATE TABLE ddr_persons (
    programme_id     INTEGER NOT NULL,
    person           VARCHAR NOT NULL,       -- pseudonym (32 hex digits)
    sex              VARCHAR NOT NULL,       -- f, m, other, unknown
    age              INTEGER,                -- years at entry
    cohort           VARCHAR NOT NULL,
    entry_date       DATE,                   -- demobilisation or intake
    area             VARCHAR NOT NULL,       -- P-code, or 'unknown'
    former_group     VARCHAR,
    dob_sealed       BLOB,
    phone_sealed     BLOB,
    notes_sealed     BLOB,
    commander_sealed BLOB,
    import_id        INTEGER NOT NULL,
    PRIMARY KEY (programme_id, person)
);
CREATE TABLE ddr_waves (
    programme_id   INTEGER NOT NULL,
    person         VARCHAR NOT NULL,
    wave_month     DOUBLE NOT NULL,          -- months since entry: 3, 6, 12, 24
    wave_date      DATE,
    status         VARCHAR NOT NULL,         -- seen | lost
    employed       BOOLEAN,                  -- economic
    income         DOUBLE,                   -- economic: monthly, local currency
    accepted       BOOLEAN,                  -- social: accepted by the community
    housing        BOOLEAN,                  -- social: stable housing
    participation  BOOLEAN,                  -- political: took part (voted, meetings)
    rerecruited    BOOLEAN,                  -- security
    rearmed        BOOLEAN,
    arrested       BOOLEAN,
    died           BOOLEAN,
    who5_pct       DOUBLE,                   -- psychosocial, scored by kizuna.measure.instruments
    phq9_score     DOUBLE,
    k6_score       DOUBLE,
    notes_sealed   BLOB,
    import_id      INTEGER NOT NULL,
    PRIMARY KEY (programme_id, person, wave_month)
);
