-- track, training evaluation (issue 14): course -> session -> participant, and the four Kirkpatrick levels'
-- inputs. Participants are pseudonyms (HMAC under the track key, namespace "participant"); names are never
-- stored. Each course remembers the id of the key its pseudonyms were made with (a later import with another
-- key is refused). An import of a course replaces that course's rows of the kinds it brings.
CREATE TABLE training_courses (
    course      VARCHAR PRIMARY KEY,
    key_id      VARCHAR NOT NULL,
    synthetic   BOOLEAN DEFAULT false,
    updated_at  TIMESTAMP
);
CREATE TABLE training_sessions (
    course      VARCHAR NOT NULL,
    session     VARCHAR NOT NULL,
    start_date  DATE,
    end_date    DATE,
    location    VARCHAR,
    pcode       VARCHAR,
    import_id   INTEGER,
    PRIMARY KEY (course, session)
);
CREATE TABLE training_participants (
    course      VARCHAR NOT NULL,
    participant VARCHAR NOT NULL,
    session     VARCHAR NOT NULL,
    sex         VARCHAR,
    unit        VARCHAR,
    agency      VARCHAR,
    rank        VARCHAR,
    import_id   INTEGER,
    PRIMARY KEY (course, participant)
);
-- level 1: one Likert answer (1-5) per participant and item; scale from the column name (scale_N)
CREATE TABLE training_reaction (
    course      VARCHAR NOT NULL,
    participant VARCHAR NOT NULL,
    item        VARCHAR NOT NULL,
    scale       VARCHAR NOT NULL,
    score       DOUBLE,
    import_id   INTEGER
);
-- level 2: one item score per participant, phase (pre/post) and item; max_score the item's maximum
CREATE TABLE training_tests (
    course      VARCHAR NOT NULL,
    participant VARCHAR NOT NULL,
    phase       VARCHAR NOT NULL,
    item        VARCHAR NOT NULL,
    position    INTEGER NOT NULL,
    score       DOUBLE NOT NULL,
    max_score   DOUBLE NOT NULL,
    import_id   INTEGER
);
-- level 3: observation checklist scores, baseline and follow-up; the observer is a pseudonym too
CREATE TABLE training_followups (
    course      VARCHAR NOT NULL,
    participant VARCHAR NOT NULL,
    phase       VARCHAR NOT NULL,
    score       DOUBLE NOT NULL,
    observer    VARCHAR,
    observed_on DATE,
    import_id   INTEGER
);
-- level 4: unit-level outcomes before/after; comparison = a unit that was not trained
CREATE TABLE training_units (
    course      VARCHAR NOT NULL,
    unit        VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,
    outcome     VARCHAR NOT NULL,
    value       DOUBLE NOT NULL,
    comparison  BOOLEAN NOT NULL DEFAULT false,
    import_id   INTEGER
);
