-- Issue 13: a full local path (imports.file_path) names the user's home and folders, often a person's
-- name. New imports keep only the file's name, or its path relative to the workspace's folder when it
-- lies inside it (see Workspace.stored_path); rows stored before keep their base name only.
UPDATE imports
SET file_path = regexp_extract(rtrim(file_path, '/\'), '[^/\\]+$')
WHERE file_path IS NOT NULL AND regexp_matches(file_path, '[/\\]');
