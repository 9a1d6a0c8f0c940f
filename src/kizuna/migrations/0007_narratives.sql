-- Issue 12, "Multilingual data kept whole": every narrative of an activity's title, descriptions and
-- organisation names, in every language it was published in (docs/languages.md, "Multilingual data").
-- The single-value columns (activities.title, description, publisher_name; participating_orgs.name;
-- transactions.provider_name / receiver_name) stay as they were, for the callers that read them.
CREATE TABLE narratives (
    activity_uid VARCHAR NOT NULL,
    element      VARCHAR NOT NULL,  -- title | description | reporting-org | participating-org | provider-org | receiver-org
    seq          INTEGER NOT NULL,  -- which element: participating_orgs.seq, transactions.seq (provider/receiver-org),
                                    -- else the element's position among those of its kind holding text (1, 2, ...)
    ord          INTEGER NOT NULL,  -- the narrative's position in document order among those of its element (1, 2, ...)
    lang         VARCHAR,           -- narrative/@xml:lang, else the activity's, else the file's (lower case); NULL: unknown
    text         VARCHAR NOT NULL,
    kind         VARCHAR            -- description/@type (1 general, 2 objectives, ...); NULL for other elements
);
-- The activity's default language: iati-activity/@xml:lang, else iati-activities/@xml:lang (lower case).
ALTER TABLE activities ADD COLUMN default_lang VARCHAR;
