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
-- ONE narrative in the activity's default language is not repeated in `narratives` when it is a column
-- stored anyway: the activity's only title (activities.title), only description, if general
-- (description), only reporting-org name (publisher_name); a participating-org's name (name); a
-- transaction's provider-org / receiver-org name (provider_name / receiver_name). Most published
-- text is of this kind, so the table holds what the columns cannot: other languages. This view gives
-- every narrative.
CREATE VIEW all_narratives AS
SELECT activity_uid, element, seq, ord, lang, text, kind FROM narratives
UNION ALL
SELECT a.activity_uid, 'title', 1, 1, a.default_lang, a.title, NULL FROM activities a
WHERE a.source = 'iati' AND a.title IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM narratives n WHERE n.activity_uid = a.activity_uid AND n.element = 'title')
UNION ALL
SELECT a.activity_uid, 'description', 1, 1, a.default_lang, a.description, NULL FROM activities a
WHERE a.source = 'iati' AND a.description IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM narratives n WHERE n.activity_uid = a.activity_uid AND n.element = 'description')
UNION ALL
SELECT a.activity_uid, 'reporting-org', 1, 1, a.default_lang, a.publisher_name, NULL FROM activities a
WHERE a.source = 'iati' AND a.publisher_name IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM narratives n WHERE n.activity_uid = a.activity_uid AND n.element = 'reporting-org')
UNION ALL
SELECT p.activity_uid, 'participating-org', p.seq, 1, a.default_lang, p.name, NULL
FROM participating_orgs p JOIN activities a USING (activity_uid)
WHERE a.source = 'iati' AND p.name IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM narratives n WHERE n.activity_uid = p.activity_uid AND n.element = 'participating-org' AND n.seq = p.seq)
UNION ALL
SELECT t.activity_uid, 'provider-org', t.seq, 1, a.default_lang, t.provider_name, NULL
FROM transactions t JOIN activities a USING (activity_uid)
WHERE a.source = 'iati' AND t.provider_name IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM narratives n WHERE n.activity_uid = t.activity_uid AND n.element = 'provider-org' AND n.seq = t.seq)
UNION ALL
SELECT t.activity_uid, 'receiver-org', t.seq, 1, a.default_lang, t.receiver_name, NULL
FROM transactions t JOIN activities a USING (activity_uid)
WHERE a.source = 'iati' AND t.receiver_name IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM narratives n WHERE n.activity_uid = t.activity_uid AND n.element = 'receiver-org' AND n.seq = t.seq);
