-- Where a downloaded file came from (`kizuna fetch`): the URL asked and when the answer arrived (UTC).
-- With the row's own sha256 (of the file ingested, as downloaded or as written from a Datastore page)
-- that is the file's provenance. Empty for files ingested from disk.
ALTER TABLE imports ADD COLUMN source_url VARCHAR;
ALTER TABLE imports ADD COLUMN retrieved_at TIMESTAMP;
