"""Imports and jobs in shared mode: submit a file, run it as a job, see its progress, delete or re-share it.

The life of an import:

1. :func:`submit` (the web's upload, or a script) records an ``imports`` row (status ``pending``) and a
   ``queued`` job in one transaction acting as the submitter. It is idempotent by (organisation, kind,
   sha256 of the bytes): the same file again — even from two editors at the same instant — gives the
   existing import and no second job. The database decides that race (the UNIQUE constraint and
   ``INSERT ... ON CONFLICT DO NOTHING``), not the server, so two server processes agree too.
2. :func:`run_job` claims the job (``kizuna_claim_job``: one worker wins, ``FOR UPDATE SKIP LOCKED``),
   then loads the file in ONE transaction acting as the import's organisation with the submitter's
   role: the loader's rows, the import's counts, the data version and the audit row commit together
   or not at all. A failure (a bad row, a crash, a lost connection) rolls all of it back; the import and
   the job are then marked ``failed`` in a separate transaction with the error's one JSON shape
   (:meth:`kizuna.errors.KizunaError.to_dict`, what the CLI prints as one line).
3. Progress and a heartbeat go to ``jobs.progress``, ``jobs.message`` and ``jobs.heartbeat_at`` in their
   own short transactions on a second connection, so a page can show a progress bar while the load's
   own transaction is still open.
4. :func:`fail_stale_jobs` (at server start) marks ``failed`` the running jobs whose worker is gone: the
   same host and its process id no longer exists, or no heartbeat for ``older_than_s`` seconds. A
   SIGKILLed server leaves no partial rows (PostgreSQL aborts the open transaction when the client's
   socket closes) and, after the sweep, no job ``running`` forever.

A failed import is tried again by submitting the same bytes again: that queues a new job for the same
import (``created`` is True then).

Every change appends an audit row (:mod:`kizuna.shared.audit`): ``import.submit``, ``import.done``,
``import.failed``, ``import.delete``, ``import.visibility``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_
from kizuna.shared import audit, pg
from kizuna.shared.accounts import Principal

log = logging.getLogger(__name__)

VISIBILITIES = ("alliance", "shared", "private")
HEARTBEAT_S = 10.0  # a running job's heartbeat period (s)
STALE_S = 120.0  # no heartbeat for this long (s): the job's worker is taken for dead
_PROGRESS_EVERY_S = 0.25  # at most four progress writes a second (a loader may report every row)

Progress = Callable[..., None]  # progress(fraction 0..1, message=None)
Loader = Callable[..., Any]  # loader(con, *, import_id, kind, path, options, progress) -> counts


@dataclass(frozen=True)
class Ticket:
    """What :func:`submit` gives back: the import, its job, and whether this call queued that job."""

    import_id: int
    job_id: int
    created: bool


def _forbidden() -> KizunaError:
    return KizunaError(
        "auth.forbidden",
        N_("your role in this organisation does not allow this change"),
        Where(),
        hint=N_("ask your organisation's admin for the editor role"),
        status=403,
    )


def _no_import(import_id: int) -> KizunaError:
    return KizunaError(
        "import.unknown",
        N_("no import {id} that you can see"),
        Where(field="import_id"),
        hint=N_("check the number in the list of imports"),
        status=404,
        params={"id": import_id},
    )


def worker_id() -> str:
    """This process as a job's worker: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def file_sha256(path: Path) -> str:
    """sha256 (hex) of a file's bytes, read 1 MiB at a time."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise KizunaError(
            "import.file_unreadable",
            N_("cannot read the uploaded file"),
            Where(file=Path(path).name),
            hint=N_("upload it again"),
            params={"reason": exc.strerror},
        ) from exc
    return digest.hexdigest()


def _check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", kind):
        raise KizunaError(
            "import.kind_invalid",
            N_("{kind!r} is not a kind of import"),
            Where(field="kind"),
            hint=N_("use the kind the upload form offers, for example iati or 3w"),
            params={"kind": str(kind)[:40]},
        )
    return kind


def resolve_sharing(con: Any, visibility: str, shared_with: Iterable[str | int] = ()) -> list[int]:
    """The organisation ids a record is shared with, checked against ``visibility``.

    ``shared_with`` holds organisation short names or ids, each of which must exist; it is given with
    ``visibility='shared'`` (at least one) and only then. Returns sorted, distinct ids.
    """
    if visibility not in VISIBILITIES:
        raise KizunaError(
            "import.visibility_invalid",
            N_("{visibility!r} is not a visibility"),
            Where(field="visibility"),
            hint=N_("use alliance, shared or private"),
            params={"visibility": str(visibility)[:40]},
        )
    wanted = [w for w in shared_with if str(w).strip()]
    if visibility != "shared":
        if wanted:
            raise KizunaError(
                "import.shared_with_unused",
                N_("named organisations are only for the visibility 'shared'"),
                Where(field="shared_with"),
                hint=N_("choose 'shared', or name no organisation"),
            )
        return []
    if not wanted:
        raise KizunaError(
            "import.shared_with_missing",
            N_("'shared' needs at least one organisation to share with"),
            Where(field="shared_with"),
            hint=N_("name the organisations by their short names, for example usaid"),
        )
    ids: set[int] = set()
    for w in wanted:
        text = str(w).strip()
        if text.isdigit():
            row = con.execute("SELECT org_id FROM orgs WHERE org_id = %s", [int(text)]).fetchone()
        else:
            row = con.execute("SELECT org_id FROM orgs WHERE slug = %s", [text.lower()]).fetchone()
        if row is None:
            raise KizunaError(
                "import.shared_with_unknown",
                N_("no organisation {org!r} to share with"),
                Where(field="shared_with"),
                hint=N_("list them with kizuna org list"),
                params={"org": text[:64]},
            )
        ids.add(int(row["org_id"]))
    return sorted(ids)


def _version(con: Any) -> int:
    return int(con.execute("SELECT version FROM data_version").fetchone()["version"])


def _bump(con: Any, since: int | None = None) -> int:
    """One more data version for this transaction's change, unless a callee counted it already
    (``records.load_import`` and ``records.delete_import`` do): caches need one step, not two."""
    if since is not None and _version(con) != since:
        return _version(con)
    return int(con.execute("UPDATE data_version SET version = version + 1 RETURNING version").fetchone()["version"])


def _import_row(con: Any, import_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    row = con.execute(
        "SELECT import_id, kind, file_name, sha256, org_id, visibility, shared_with, created_by, status, counts,"
        " error FROM imports WHERE import_id = %s" + (" FOR UPDATE" if lock else ""),
        [import_id],
    ).fetchone()
    return dict(row) if row else None


def _public(row: Mapping[str, Any]) -> dict[str, Any]:
    """An import row as the audit hashes it (no server-side path)."""
    return {k: row[k] for k in ("import_id", "kind", "file_name", "sha256", "org_id", "visibility", "shared_with")}


def submit(
    con: Any,
    principal: Principal,
    *,
    kind: str,
    path: Path | str,
    file_name: str,
    visibility: str = "alliance",
    shared_with: Iterable[str | int] = (),
    options: Mapping[str, Any] | None = None,
) -> Ticket:
    """Record an import of ``path`` (uploaded as ``file_name``) for ``principal``'s organisation and
    queue its job, in one transaction acting as ``principal`` (commits unless ``con`` has a transaction open).

    Idempotent by (organisation, ``kind``, sha256 of the file): the same bytes again give the existing
    import and its latest job with ``created=False`` — unless that import failed, when a new job is
    queued for it (``created=True``). Viewers are refused (``auth.forbidden``, 403).
    """
    if not principal.can_write():
        raise _forbidden()
    _check_kind(kind)
    digest = file_sha256(Path(path))
    opts = json.dumps(dict(options or {}), sort_keys=True, default=str)
    with pg.acting(con, principal.org_id, principal.role, principal.user_id):
        ids = resolve_sharing(con, visibility, shared_with)
        row = con.execute(
            "INSERT INTO imports (kind, file_name, file_path, sha256, org_id, visibility, shared_with, created_by,"
            " status) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'pending')"
            " ON CONFLICT (org_id, kind, sha256) DO NOTHING RETURNING import_id",
            [kind, file_name, str(path), digest, principal.org_id, visibility, ids, principal.user_id],
        ).fetchone()
        if row is not None:
            import_id = int(row["import_id"])
            job_id = _queue(con, principal, import_id, opts)
            after = _import_row(con, import_id)
            assert after is not None
            audit.append(
                con, action="import.submit", target_kind="import", target_id=import_id,
                actor_user=principal.user_id, actor_org=principal.org_id, after=_public(after),
                detail={"job_id": job_id, "file_name": file_name, "kind": kind},
            )
            return Ticket(import_id, job_id, True)
        # The same bytes were submitted before (perhaps by a transaction that committed a moment ago:
        # ON CONFLICT waited for it, and this statement's fresh snapshot sees it).
        existing = con.execute(
            "SELECT import_id, status FROM imports WHERE org_id = %s AND kind = %s AND sha256 = %s FOR UPDATE",
            [principal.org_id, kind, digest],
        ).fetchone()
        if existing is None:  # deleted between the two statements
            raise KizunaError(
                "import.conflict",
                N_("the same file was being changed by someone else at this moment"),
                Where(file=file_name),
                hint=N_("submit it again"),
                status=409,
            )
        import_id = int(existing["import_id"])
        if existing["status"] == "failed":
            con.execute(
                "UPDATE imports SET status = 'pending', error = NULL, file_path = %s WHERE import_id = %s",
                [str(path), import_id],
            )
            job_id = _queue(con, principal, import_id, opts)
            audit.append(
                con, action="import.retry", target_kind="import", target_id=import_id,
                actor_user=principal.user_id, actor_org=principal.org_id, detail={"job_id": job_id},
            )
            return Ticket(import_id, job_id, True)
        job = con.execute(
            "SELECT job_id FROM jobs WHERE import_id = %s ORDER BY job_id DESC LIMIT 1", [import_id]
        ).fetchone()
        assert job is not None, "every import has a job"
        return Ticket(import_id, int(job["job_id"]), False)


def _queue(con: Any, principal: Principal, import_id: int, options_json: str) -> int:
    return int(
        con.execute(
            "INSERT INTO jobs (import_id, org_id, status, role, created_by, options)"
            " VALUES (%s, %s, 'queued', %s, %s, %s::jsonb) RETURNING job_id",
            [import_id, principal.org_id, principal.role, principal.user_id, options_json],
        ).fetchone()["job_id"]
    )


class _Reporter:
    """Progress and heartbeat of one running job, on their own connection in short transactions."""

    def __init__(self, url: str, claim: Mapping[str, Any], extra: Progress | None) -> None:
        self.con = pg.connect(url, as_app=True, autocommit=True)
        self.claim = claim
        self.extra = extra
        self.lock = threading.Lock()
        self.last = 0.0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"kizuna-job-{claim['job_id']}", daemon=True)
        self.thread.start()

    def _write(self, sql: str, params: list[Any]) -> None:
        c = self.claim
        with self.lock, pg.acting(self.con, c["org_id"], c["role"], c["user_id"]):
            self.con.execute(sql, params)

    def progress(self, fraction: float, message: str | None = None) -> None:
        """What the loader calls: ``fraction`` of the work done (0..1) and an optional short message."""
        if self.extra is not None:
            self.extra(fraction, message)
        now = time.monotonic()
        if now - self.last < _PROGRESS_EVERY_S and fraction < 1:
            return
        self.last = now
        value = min(1.0, max(0.0, float(fraction)))
        try:
            self._write(
                "UPDATE jobs SET progress = %s, message = coalesce(%s, message), heartbeat_at = now()"
                " WHERE job_id = %s",
                [value, None if message is None else str(message)[:200], self.claim["job_id"]],
            )
        except Exception:  # a progress bar is not worth failing the import for
            log.warning("job %s: progress not recorded", self.claim["job_id"], exc_info=True)

    def _beat(self) -> None:
        while not self.stopped.wait(HEARTBEAT_S):
            with contextlib.suppress(Exception):
                self._write("UPDATE jobs SET heartbeat_at = now() WHERE job_id = %s", [self.claim["job_id"]])

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=HEARTBEAT_S)
        with contextlib.suppress(Exception):
            self.con.close()


def _default_loader() -> Loader:
    # the CLI's importers into a staging DuckDB, copied into PostgreSQL (imports DuckDB: only when a job runs)
    from kizuna.shared.records import load_import

    return load_import


def _as_error(exc: BaseException) -> KizunaError:
    import psycopg

    if isinstance(exc, KizunaError):
        return exc
    if isinstance(exc, psycopg.OperationalError):
        return pg.unavailable(exc)
    log.error("import job failed", exc_info=exc)
    return KizunaError(
        "import.crashed",
        N_("the import stopped on an unexpected error ({name})"),
        Where(),
        hint=N_("nothing of this file was stored; the server's log has the details"),
        status=500,
        params={"name": type(exc).__name__},
    )


def _counts(result: Any) -> dict[str, Any]:
    if result is None:
        return {}
    if isinstance(result, Mapping):
        return dict(result.get("counts", result)) if isinstance(result.get("counts"), Mapping) else dict(result)
    counts = getattr(result, "counts", None)
    if isinstance(counts, Mapping):
        return dict(counts)
    return {"rows": int(result)} if isinstance(result, int) else {}


def run_job(
    url: str,
    job_id: int,
    path: Path | str,
    *,
    loader: Loader | None = None,
    progress: Progress | None = None,
    worker: str | None = None,
) -> dict[str, Any]:
    """Claim job ``job_id`` and load ``path`` with ``loader`` in one transaction; return what happened.

    Returns ``{"job_id", "import_id", "status", "counts", "error"}`` with status ``done`` or ``failed``,
    or ``{"job_id", "status": "not_claimed"}`` when the job is not queued (another worker has it, or it
    ran already). ``loader(con, import_id=, kind=, path=, options=, progress=)`` writes the rows through
    ``con`` (acting as the import's organisation with its submitter's role, under RLS) and returns the
    counts (a mapping, or an object with ``counts``). ``progress(fraction, message)`` is also called on
    each report (for a CLI's bar). The connections act as ``kizuna_app``.
    """
    worker = worker or worker_id()
    with pg.connect(url, as_app=True, autocommit=True) as con:
        claimed = con.execute("SELECT * FROM kizuna_claim_job(%s, %s)", [job_id, worker]).fetchone()
    if claimed is None:
        return {"job_id": job_id, "status": "not_claimed"}
    claim = dict(claimed)
    import_id = int(claim["import_id"])
    reporter = _Reporter(url, claim, progress)
    try:
        try:
            counts = _load(url, claim, Path(path), loader or _default_loader(), reporter)
        except BaseException as exc:  # noqa: BLE001 - every failure is recorded, then re-raised if not an Exception
            err = _as_error(exc) if isinstance(exc, Exception) else None
            if err is None:
                raise
            _mark_failed(reporter.con, claim, err.to_dict(), reason="error")
            return {"job_id": job_id, "import_id": import_id, "status": "failed", "counts": None,
                    "error": err.to_dict()}
        return {"job_id": job_id, "import_id": import_id, "status": "done", "counts": counts, "error": None}
    finally:
        reporter.close()


def _load(url: str, claim: Mapping[str, Any], path: Path, loader: Loader, reporter: _Reporter) -> dict[str, Any]:
    with pg.connect(url, as_app=True) as con:
        with pg.acting(con, claim["org_id"], claim["role"], claim["user_id"]):
            imp = con.execute("SELECT kind FROM imports WHERE import_id = %s", [claim["import_id"]]).fetchone()
            if imp is None:
                raise _no_import(int(claim["import_id"]))
            version_before = _version(con)
            result = loader(
                con, import_id=int(claim["import_id"]), kind=imp["kind"], path=path,
                options=dict(claim["options"] or {}), progress=reporter.progress,
            )
            counts = _counts(result)
            # The loader is done: stop the heartbeat before this transaction locks the job's row.
            reporter.stopped.set()
            # The importer's own counts (records.load_import writes its provenance) win over the loader's
            # return value, which is kept when the import row has none.
            kept = con.execute(
                "UPDATE imports SET status = 'done', counts = coalesce(counts, %s::jsonb), error = NULL"
                " WHERE import_id = %s RETURNING counts",
                [json.dumps(counts, default=str), claim["import_id"]],
            ).fetchone()
            counts = dict((kept or {}).get("counts") or {})
            version = _bump(con, version_before)
            con.execute(
                "UPDATE jobs SET status = 'done', progress = 1, finished_at = now(), heartbeat_at = now(),"
                " error = NULL WHERE job_id = %s",
                [claim["job_id"]],
            )
            audit.append(
                con, action="import.done", target_kind="import", target_id=claim["import_id"],
                actor_user=claim["user_id"], actor_org=claim["org_id"], after=counts,
                detail={"job_id": claim["job_id"], "data_version": version},
            )
        return counts


def _mark_failed(con: Any, claim: Mapping[str, Any], error: dict[str, Any], *, reason: str) -> bool:
    """Mark a job and its import failed with ``error`` (one short transaction); False if that failed too
    (the database is gone: the start-up sweep marks it later)."""
    blob = json.dumps(error, ensure_ascii=False, default=str)
    try:
        with pg.acting(con, claim["org_id"], claim["role"], claim["user_id"]):
            cur = con.execute(
                "UPDATE jobs SET status = 'failed', error = %s::jsonb, finished_at = now()"
                " WHERE job_id = %s AND status IN ('queued', 'running')",
                [blob, claim["job_id"]],
            )
            if not cur.rowcount:
                return True  # another sweep or the worker itself marked it already
            con.execute(
                "UPDATE imports SET status = 'failed', error = %s::jsonb WHERE import_id = %s AND status <> 'done'",
                [blob, claim["import_id"]],
            )
            audit.append(
                con, action="import.failed", target_kind="import", target_id=claim["import_id"],
                actor_user=claim["user_id"], actor_org=claim["org_id"],
                detail={"job_id": claim["job_id"], "reason": reason, "error": error.get("error", {}).get("code")},
            )
        return True
    except Exception:
        log.warning("job %s: could not be marked failed", claim["job_id"], exc_info=True)
        return False


def _pid_gone(worker: str | None) -> bool:
    """True when ``worker`` (host:pid) ran on this host and that process no longer exists."""
    if not worker or ":" not in worker:
        return False
    host, _, pid_text = worker.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    # A process that has exited but was not reaped (a zombie) still answers signal 0. A worker whose
    # server was killed is reparented, and where nothing reaps orphans (PID 1 of many containers) it
    # stays a zombie: it is dead all the same, and its transaction was rolled back.
    try:
        return "\nState:\tZ" in Path(f"/proc/{int(pid_text)}/status").read_text()
    except OSError:  # it ended just now (True), or there is no /proc to tell (not Linux: alive)
        return Path("/proc/self").exists()


def fail_stale_jobs(con: Any, *, older_than_s: float = STALE_S) -> int:
    """Mark ``failed`` every running job whose worker is dead (this host, its pid gone) or silent for
    more than ``older_than_s`` seconds (another host); return how many. Call it at server start.

    ``con`` may be the server's (``kizuna_app``) or the owner's connection.
    """
    lost = KizunaError(
        "import.worker_lost",
        N_("the process running this import stopped before it finished"),
        Where(),
        hint=N_("nothing of this file was stored; submit it again"),
        status=500,
    ).to_dict()
    rows = list(con.execute("SELECT * FROM kizuna_running_jobs()").fetchall())
    if not con.autocommit:
        con.commit()
    n = 0
    for row in rows:
        if _pid_gone(row["worker"]):
            reason = "worker_gone"
        elif float(row["heartbeat_age_s"] or 0) > older_than_s:
            reason = "heartbeat"
        else:
            continue
        if row["role"] is None:  # not submitted through submit(): no role to act with
            continue
        if _mark_failed(con, dict(row), lost, reason=reason):
            n += 1
    return n


def queued_jobs(con: Any, limit: int = 100) -> list[dict[str, Any]]:
    """Queued jobs of every organisation, oldest first: ``job_id``, ``import_id``, ``org_id``, ``file_path``
    (the file :func:`submit` was given), ``created_at``. A server starting up runs them with :func:`run_job`
    (a job queued by a server that died before starting it would otherwise wait for ever)."""
    return [dict(r) for r in con.execute("SELECT * FROM kizuna_queued_jobs(%s)", [int(limit)]).fetchall()]


def job_status(con: Any, principal: Principal, job_id: int) -> dict[str, Any]:
    """A job of ``principal``'s organisation and its import: status, progress (0..1), message, error, times.

    Another organisation's job is ``job.unknown`` (404), as if it did not exist (RLS hides it too).
    """
    with pg.acting(con, principal.org_id, principal.role, principal.user_id):
        row = con.execute(
            "SELECT j.job_id, j.import_id, j.status, j.progress, j.message, j.error, j.created_at, j.started_at,"
            " j.finished_at, j.heartbeat_at, i.kind, i.file_name, i.status AS import_status, i.counts,"
            " i.visibility FROM jobs j JOIN imports i USING (import_id)"
            " WHERE j.job_id = %s AND j.org_id = %s",
            [job_id, principal.org_id],
        ).fetchone()
    if row is None:
        raise KizunaError(
            "job.unknown",
            N_("no job {id} in your organisation"),
            Where(field="job_id"),
            hint=N_("check the number in the list of imports"),
            status=404,
            params={"id": job_id},
        )
    return dict(row)


def _owned(con: Any, principal: Principal, import_id: int) -> dict[str, Any]:
    if not principal.can_write():
        raise _forbidden()
    row = _import_row(con, import_id, lock=True)
    if row is None:
        raise _no_import(import_id)
    if int(row["org_id"]) != principal.org_id:
        raise _forbidden()
    return row


def delete_import(con: Any, principal: Principal, import_id: int) -> None:
    """Delete an import and every row it brought (they cascade), as an editor or admin of its owner.

    A running import is refused (``import.busy``, 409): its job would write into a deleted import.
    """
    with pg.acting(con, principal.org_id, principal.role, principal.user_id):
        row = _owned(con, principal, import_id)
        if row["status"] == "running":
            raise KizunaError(
                "import.busy",
                N_("import {id} is being loaded now"),
                Where(field="import_id"),
                hint=N_("wait until its job has finished, then delete it"),
                status=409,
                params={"id": import_id},
            )
        from kizuna.shared.records import delete_import as delete_rows

        version_before = _version(con)
        delete_rows(con, import_id)  # the record rows go with it (ON DELETE CASCADE)
        version = _bump(con, version_before)
        audit.append(
            con, action="import.delete", target_kind="import", target_id=import_id,
            actor_user=principal.user_id, actor_org=principal.org_id, before=_public(row),
            detail={"data_version": version, "file_name": row["file_name"]},
        )


def set_visibility(
    con: Any, principal: Principal, import_id: int, visibility: str, shared_with: Iterable[str | int] = ()
) -> dict[str, Any]:
    """Change who sees an import and its rows (alliance, shared with named organisations, private), as an
    editor or admin of its owner; returns the import as it is now."""
    with pg.acting(con, principal.org_id, principal.role, principal.user_id):
        before = _owned(con, principal, import_id)
        ids = resolve_sharing(con, visibility, shared_with)
        con.execute(
            "UPDATE imports SET visibility = %s, shared_with = %s WHERE import_id = %s", [visibility, ids, import_id]
        )
        after = _import_row(con, import_id)
        assert after is not None
        version = _bump(con)
        audit.append(
            con, action="import.visibility", target_kind="import", target_id=import_id,
            actor_user=principal.user_id, actor_org=principal.org_id, before=_public(before), after=_public(after),
            detail={"data_version": version, "visibility": visibility, "shared_with": ids},
        )
        return after
