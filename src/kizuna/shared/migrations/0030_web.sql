-- Shared web server (issue 15): the health endpoint reports the schema version, read as kizuna_app.
GRANT SELECT ON kizuna_schema_migrations TO kizuna_app;
