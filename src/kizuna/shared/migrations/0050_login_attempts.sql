-- Shared mode (issue 15): the login rate limit kept in the database, so that every server process on one
-- database counts the same attempts (it was in each process's memory). One row per attempt allowed, by
-- client address; rows older than a minute are deleted as new attempts come (accounts.login_allowed).
-- No organisation data: no row-level security; the server's role reads, adds and deletes rows.
CREATE TABLE login_attempts (
    address text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX login_attempts_address_at ON login_attempts (address, at);
CREATE INDEX login_attempts_at ON login_attempts (at);
GRANT SELECT, INSERT, DELETE ON login_attempts TO kizuna_app;
