-- Issue 11: the built-in code names are IATI's full lists (every DAC 5-digit sector, regions,
-- organisation types...), and a withdrawn code keeps its name, marked.
ALTER TABLE codelist_items ADD COLUMN status VARCHAR;   -- 'withdrawn', or NULL (active)
-- The old compact built-in rows go; kizuna.reference.codelists.ensure_codelists puts the full table
-- back when the workspace is next opened for writing (names a user loaded stay).
DELETE FROM codelist_items WHERE source = 'builtin';
