-- Where a downloaded file came from (`kizuna fetch`): the URL asked, when the answer arrived (UTC),
-- and the sha256 of the bytes as received (the imports row's own sha256 is that of the file ingested,
-- which for a Datastore page is the XML kizuna wrote from the JSON answer). Empty for local files.
ALTER TABLE imports ADD COLUMN source_url VARCHAR;
ALTER TABLE imports ADD COLUMN retrieved_at TIMESTAMP;
ALTER TABLE imports ADD COLUMN source_sha256 VARCHAR;
