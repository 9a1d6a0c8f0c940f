-- Shared web server (issue 15): the health endpoint reports the schema version, read as kizuna_app.
GRANT SELECT ON kizuna_schema_migrations TO kizuna_app;
-- audit.append reads the new row's id with currval(): INSERT ... RETURNING would need the row to pass
-- the SELECT policy (admins only), so a viewer's login or a failed login could not be recorded.
GRANT USAGE ON SEQUENCE audit_log_audit_id_seq TO kizuna_app;
