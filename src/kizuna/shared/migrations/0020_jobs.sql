-- Shared mode (issue 15, imports and jobs): what a job needs to run without its submitter, and the two
-- functions the server's role uses to find jobs before it knows their organisation.

-- The role and user the job acts as (its submitter's, at submit time) and the loader's options.
ALTER TABLE jobs ADD COLUMN role text CHECK (role IN ('editor', 'admin'));
ALTER TABLE jobs ADD COLUMN created_by bigint REFERENCES users;
ALTER TABLE jobs ADD COLUMN options jsonb NOT NULL DEFAULT '{}';
CREATE INDEX jobs_import ON jobs (import_id);
CREATE INDEX jobs_live ON jobs (status) WHERE status IN ('queued', 'running');

-- Claim a queued job for one worker. Runs as the tables' owner (SECURITY DEFINER) because the worker
-- does not know the job's organisation before it has claimed it, and jobs are under RLS. It only ever
-- moves one job from 'queued' to 'running'; SKIP LOCKED makes two workers claiming at once never wait
-- on each other and never both win (the loser gets no row).
CREATE FUNCTION kizuna_claim_job(p_job bigint, p_worker text)
RETURNS TABLE (job_id bigint, import_id integer, org_id bigint, role text, user_id bigint, options jsonb)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
    WITH claimed AS (
        UPDATE jobs j SET status = 'running', worker = p_worker, started_at = now(), heartbeat_at = now(),
                          progress = 0, message = NULL
        WHERE j.job_id = (SELECT q.job_id FROM jobs q WHERE q.job_id = p_job AND q.status = 'queued'
                          FOR UPDATE SKIP LOCKED)
        RETURNING j.job_id, j.import_id, j.org_id, j.role, j.created_by, j.options
    ), imp AS (
        UPDATE imports i SET status = 'running' FROM claimed c WHERE i.import_id = c.import_id RETURNING i.import_id
    )
    SELECT c.job_id, c.import_id, c.org_id, c.role, c.created_by, c.options FROM claimed c
$$;

-- The running jobs of every organisation, for the server's start-up sweep of jobs whose worker died.
-- Returns no data rows: ids, owner, worker and the heartbeat's age in seconds.
CREATE FUNCTION kizuna_running_jobs()
RETURNS TABLE (job_id bigint, import_id integer, org_id bigint, role text, user_id bigint, worker text,
               heartbeat_age_s double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
    SELECT j.job_id, j.import_id, j.org_id, j.role, j.created_by, j.worker,
           extract(epoch FROM now() - coalesce(j.heartbeat_at, j.started_at, j.created_at))::double precision
    FROM jobs j WHERE j.status = 'running'
$$;

-- The queued jobs of every organisation with their file, oldest first: what a server starting up (or
-- a worker with nothing to do) runs. Ids and the server-side path only, no data rows.
CREATE FUNCTION kizuna_queued_jobs(p_limit integer)
RETURNS TABLE (job_id bigint, import_id integer, org_id bigint, file_path text, created_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
    SELECT j.job_id, j.import_id, j.org_id, i.file_path, j.created_at
    FROM jobs j JOIN imports i ON i.import_id = j.import_id
    WHERE j.status = 'queued' ORDER BY j.job_id LIMIT p_limit
$$;

REVOKE ALL ON FUNCTION kizuna_claim_job(bigint, text), kizuna_running_jobs(), kizuna_queued_jobs(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kizuna_claim_job(bigint, text), kizuna_running_jobs(), kizuna_queued_jobs(integer)
    TO kizuna_app;

-- kizuna.shared.audit.append reads its new row's id with currval (an editor may append audit rows but
-- not read them back, so INSERT ... RETURNING is refused by the read policy).
GRANT SELECT ON SEQUENCE audit_log_audit_id_seq TO kizuna_app;
