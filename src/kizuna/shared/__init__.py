"""The shared alliance workspace: PostgreSQL as the system of record for many organisations.

The embedded DuckDB workspace (``kizuna.workspace``) stays the default for one analyst on a laptop.
In shared mode (``kizuna serve --database URL``) PostgreSQL holds organisations, accounts, tokens,
imports with their rows and provenance, jobs and the append-only audit log. Permissions are checked
twice: by the server (:mod:`kizuna.shared.access`) and, underneath, by PostgreSQL row-level security
with the acting organisation set per transaction (:func:`kizuna.shared.pg.acting`).

Modules: ``pg`` (connections, migrations, the acting organisation), ``devcluster`` (a throwaway
PostgreSQL cluster for tests, benchmarks and trying shared mode), ``accounts`` (organisations, users,
roles, passwords, tokens, sessions), ``audit`` (the append-only change log).
"""
