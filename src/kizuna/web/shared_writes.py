"""Writes over the web in shared mode: uploads, import jobs, the imports list, and the audit log.

- ``POST /api/v1/imports`` (and the ``/upload`` page's form): multipart with ``file``, ``kind``
  (iati, 3w, survey, proposal, ddr, training), ``visibility`` (alliance, shared, private), ``shared_with``
  (short names of organisations, comma-separated) and the kind's other files and fields, named as
  the CLI's options (:data:`EXTRA_FILES`, :data:`EXTRA_FIELDS`): a survey's ``spec``; DDR's
  ``waves`` and ``programme``; training's ``course`` and ``reaction``, ``tests``, ``followup``,
  ``units``. DDR and training are pseudonymised with the organisation's own track key, which this
  server keeps under ``data_dir/keys`` (:func:`kizuna.shared.records.track_key_file`). The
  body is streamed to disk under ``data_dir/uploads`` in chunks, hashed (sha256) as it comes, and cut
  off beyond the size limit (413, the partial file removed). Then
  :func:`kizuna.shared.imports.submit` records the import and its job: 202 with the job's status URL,
  or 200 with ``created: false`` when the organisation already has these bytes as this kind.
- Jobs run one at a time from a background thread of the server (:func:`kizuna.shared.imports.run_job`),
  under ``kizuna serve`` in a child process (:mod:`kizuna.shared.worker`); jobs left
  running by a dead server are marked failed at start (:func:`kizuna.shared.imports.fail_stale_jobs`).
  ``GET /api/v1/jobs/{id}`` says how far a job is; the upload page polls it (static/shared.js).
- ``GET /api/v1/imports``: the imports this organisation may see; ``DELETE`` and ``PATCH``
  (visibility) ``/api/v1/imports/{id}`` for editors and admins of the owner. The ``/imports`` page
  shows them the same two as forms (``POST /imports/visibility``, ``POST /imports/delete``, with the
  session's ``csrf_token``), through the same functions (:func:`change_visibility`, :func:`withdraw`),
  then redirects (303) back with a message from the catalogue.
- ``GET /api/v1/audit`` and ``/admin/audit``: this organisation's audit rows (admins only).

Every write is checked by :func:`kizuna.shared.access.allowed` here, and again by PostgreSQL's
row-level security underneath (the server acts as ``kizuna_app``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import queue
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import anyio
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_, gettext
from kizuna.shared import queries
from kizuna.shared.accounts import Principal
from kizuna.web import shared_app as sa

log = logging.getLogger("kizuna.web.shared")



class ErrorBody(BaseModel):
    code: str
    message: str
    where: dict[str, Any]
    hint: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"model": ErrorResponse, "description": "the one error shape"} for c in (401, 503, *codes)}


router = APIRouter()
CHUNK = 64 * 1024
MAX_FIELD = 16 * 1024  # a form field that is not a file


class Kind(StrEnum):
    iati = "iati"
    sheet3w = "3w"
    survey = "survey"
    proposal = "proposal"
    ddr = "ddr"
    training = "training"


class Visibility(StrEnum):
    alliance = "alliance"
    shared = "shared"
    private = "private"


class JobState(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


VISIBILITY_LABELS = {
    "alliance": N_("the whole alliance"),
    "shared": N_("named organisations"),
    "private": N_("my organisation only"),
}
KIND_LABELS = {
    "iati": N_("IATI activity file"),
    "3w": N_("3W sheet"),
    "survey": N_("survey (with its specification)"),
    "proposal": N_("proposals"),
    "ddr": N_("DDR person records (with their follow-up waves)"),
    "training": N_("training course (roster, with its forms and tests)"),
}
# The files a kind takes besides ``file`` (the CLI's options of the same names) and whether each is needed.
EXTRA_FILES: dict[str, dict[str, bool]] = {
    "survey": {"spec": True},
    "ddr": {"waves": False},
    "training": {"reaction": False, "tests": False, "followup": False, "units": False},
}
# The text fields a kind takes (the CLI's options of the same names) and whether each is needed.
EXTRA_FIELDS: dict[str, dict[str, bool]] = {"ddr": {"programme": False}, "training": {"course": True}}


def too_large(limit: int) -> KizunaError:
    return KizunaError(
        "upload.too_large",
        N_("the upload is larger than this server accepts ({mb} MiB)"),
        Where(field="file"),
        hint=N_("split the file, or ask the operator to raise --max-upload-mb"),
        status=413,
        params={"mb": round(limit / (1024 * 1024), 1)},
    )


def bad_upload(message: str, field_name: str, hint: str, **params: Any) -> KizunaError:
    return KizunaError("upload.invalid", message, Where(field=field_name), hint=hint, status=400, params=params)


# --- the streamed multipart body -------------------------------------------------------------------


@dataclass
class Received:
    """One uploaded file, on disk under ``data_dir/uploads`` with a temporary name."""

    path: Path
    file_name: str
    sha256: str
    size: int


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Received] = field(default_factory=dict)

    def discard(self) -> None:
        for f in self.files.values():
            f.path.unlink(missing_ok=True)


def safe_name(name: str) -> str:
    """A file name safe to keep on disk: the last path part, letters, digits, dot, dash, underscore."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "upload"
    return cleaned[-120:]


async def receive_upload(request: Request, directory: Path, limit: int) -> Upload:
    """Stream a multipart body to files in ``directory`` (sha256 while writing), refusing more than
    ``limit`` bytes in all (413); on any error every file written is removed."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or not params.get(b"boundary"):
        raise bad_upload(
            N_("send the file as multipart/form-data"), "file", N_("use the upload form, or curl -F file=@FILE")
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    out = Upload()
    part: dict[str, Any] = {}
    header_name = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        part.clear()
        part["headers"] = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        part["headers"][bytes(header_name).lower()] = bytes(header_value)
        header_name.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _disp, opts = parse_options_header(part["headers"].get(b"content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        part["name"] = name
        if b"filename" in opts:
            path = directory / f".upload-{secrets.token_hex(8)}.part"
            fh: BinaryIO = path.open("xb")
            part.update(
                file=fh, path=path, sha=hashlib.sha256(), size=0,
                file_name=opts[b"filename"].decode("utf-8", "replace"),
            )
            out.files[name] = Received(path, "", "", 0)  # registered at once, so an error removes it
        else:
            part["buf"] = bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if "file" in part:
            part["file"].write(chunk)
            part["sha"].update(chunk)
            part["size"] += len(chunk)
        else:
            part["buf"].extend(chunk)
            if len(part["buf"]) > MAX_FIELD:
                raise bad_upload(
                    N_("the form field {name!r} is too long"), part["name"], N_("send a shorter value"),
                    name=part["name"],
                )

    def on_part_end() -> None:
        if "file" in part:
            part["file"].close()
            out.files[part["name"]] = Received(
                part["path"], part["file_name"], part["sha"].hexdigest(), part["size"]
            )
        elif "name" in part:
            out.fields[part["name"]] = part["buf"].decode("utf-8", "replace")

    parser = MultipartParser(
        params[b"boundary"],
        {  # type: ignore[arg-type]
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise too_large(limit)
            parser.write(chunk)
        parser.finalize()
    except BaseException:
        if "file" in part and not part["file"].closed:
            part["file"].close()
        out.discard()
        raise
    return out


# --- the job worker --------------------------------------------------------------------------------


class Worker:
    """Runs import jobs one after another in a background thread of the server process."""

    def __init__(self, url: str, run: Callable[..., Any] | None = None, in_child: bool = False):
        from kizuna.shared.worker import ChildProcess

        self.url = url
        self.queue: queue.Queue[tuple[int, Path] | None] = queue.Queue()
        self._run = run
        # in_child: each job runs in a child process (kizuna.shared.worker), off the server's interpreter
        self.child = ChildProcess("import jobs") if in_child and run is None else None
        self.thread = threading.Thread(target=self._loop, name="kizuna-jobs", daemon=True)
        self.thread.start()

    def submit(self, job_id: int, path: Path) -> None:
        self.queue.put((job_id, path))

    def _loop(self) -> None:
        from kizuna.shared import imports

        run: Callable[..., Any] = self._run or imports.run_job
        if self.child is not None:
            run = functools.partial(self.child.call, imports.run_job)
        while True:
            item = self.queue.get()
            if item is None:
                return
            job_id, path = item
            try:
                run(self.url, job_id, path)
            except Exception:  # noqa: BLE001 — run_job records the failure on the job; the thread goes on
                log.exception("import job %s failed", job_id)
            finally:
                self.queue.task_done()

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=10)  # a running import may finish; then its child is stopped
        if self.child is not None:
            self.child.close()


def install(
    app: FastAPI, settings: sa.Settings, db: sa.Database, *, start_worker: bool, in_child: bool = False
) -> None:
    """Mark jobs of a dead server failed and start this server's worker thread."""
    app.state.worker = None
    if not start_worker:
        return
    from kizuna.shared import imports

    queued: list[dict[str, Any]] = []
    try:
        with db.connection() as con:
            imports.fail_stale_jobs(con)
            queued = imports.queued_jobs(con)  # submitted before a restart, never started: run them now
    except KizunaError:
        log.warning("PostgreSQL is not reachable at start: stale jobs are left for the next start")
    app.state.worker = Worker(settings.database_url, in_child=in_child)
    for job in queued:
        if job.get("file_path"):
            app.state.worker.submit(int(job["job_id"]), Path(job["file_path"]))


def stop(app: FastAPI) -> None:
    worker: Worker | None = getattr(app.state, "worker", None)
    if worker is not None:
        worker.stop()


# --- helpers ---------------------------------------------------------------------------------------


def relation(who: Principal, owner: int, shared_with: list[int] | None) -> str:
    """How the acting organisation stands to a record: owner, named (in its shared_with), or other."""
    from kizuna.shared import access

    return access.relation(who.org_id, int(owner), list(shared_with or []))


def allowed(who: Principal, rel: str, visibility: str, action: str, personal: bool = False) -> bool:
    """The one permission rule (:func:`kizuna.shared.access.allowed`) for ``who``."""
    from kizuna.shared import access

    return access.allowed(who.role, rel, visibility, action, personal)


def _choice(value: str | None, enum: type[StrEnum], field_name: str, default: str | None = None) -> str:
    value = (value or default or "").strip()
    if value not in {e.value for e in enum}:
        raise KizunaError(
            "upload.invalid", N_("{value!r} is not one of {choices}"), Where(field=field_name),
            hint=N_("choose one of the values listed"), status=400,
            params={"value": value[:40], "choices": ", ".join(e.value for e in enum)},
        )
    return value


# --- imports ---------------------------------------------------------------------------------------


class TicketOut(BaseModel):
    import_id: int
    job_id: int | None
    created: bool
    status_url: str | None


def _parts(options: dict[str, Any]) -> dict[str, str]:
    """What an upload's options say about its content: the extra files' stored names (they begin with
    their sha256) and the fields; not the key file (the server's own)."""
    return {k: Path(str(v)).name if k in _EXTRA_FILE_NAMES else str(v) for k, v in options.items() if k != "key_file"}


_EXTRA_FILE_NAMES = frozenset(name for files in EXTRA_FILES.values() for name in files)


def submit_upload(request: Request, who: Principal, upload: Upload) -> tuple[int, dict[str, Any]]:
    """Check and submit an upload: (HTTP status, body). Runs in a worker thread."""
    from kizuna.shared import imports, records

    settings: sa.Settings = request.app.state.settings
    db: sa.Database = request.app.state.db
    kind = _choice(upload.fields.get("kind"), Kind, "kind")
    visibility = _choice(upload.fields.get("visibility"), Visibility, "visibility", "alliance")
    if "file" not in upload.files or upload.files["file"].size == 0:
        raise bad_upload(N_("no file was sent"), "file", N_("choose a file to upload"))
    if not who.can_write() or not allowed(who, "owner", visibility, "write"):
        raise sa.FORBIDDEN
    options: dict[str, Any] = {}
    for name, needed in EXTRA_FIELDS.get(kind, {}).items():
        value = upload.fields.get(name, "").strip()
        if needed and not value:
            raise bad_upload(
                N_("this kind of file needs the field {name!r}"), name, N_("fill it in on the form"), name=name
            )
        if value:
            options[name] = value[:200]
    moved: list[Path] = []  # extra files moved into place now, removed again when the submit is refused
    try:
        for name, needed in EXTRA_FILES.get(kind, {}).items():
            extra = upload.files.get(name)
            if extra is None or extra.size == 0:
                if kind == "survey":
                    raise bad_upload(
                        N_("a survey needs its specification file"),
                        "spec",
                        N_("add the survey's spec (TOML, as kizuna measure --spec takes) as spec"),
                    )
                if needed:
                    raise bad_upload(
                        N_("this kind of file needs the file {name!r}"), name, N_("add it on the form"), name=name
                    )
                continue
            extra_final = settings.data_dir / "uploads" / f"{extra.sha256[:24]}-{name}-{safe_name(extra.file_name)}"
            if not extra_final.exists():
                moved.append(extra_final)
            os.replace(extra.path, extra_final)
            options[name] = str(extra_final)
        if kind in records.TRACK_KINDS:
            # the organisation's own key, kept by this server (made on first use); the job gets its path
            options["key_file"] = str(records.track_key_file(settings.data_dir, who.org_id))
    except BaseException:
        for extra_final in moved:
            extra_final.unlink(missing_ok=True)
        raise
    sent = upload.files["file"]
    final = settings.data_dir / "uploads" / f"{sent.sha256[:24]}-{kind}-{safe_name(sent.file_name)}"
    existed = final.exists()  # the same bytes came before (perhaps for another organisation): keep them
    os.replace(sent.path, final)
    shared_with = [w for w in upload.fields.get("shared_with", "").split(",") if w.strip()]
    try:
        with db.connection() as con:  # submit acts as ``who`` in its own transaction
            ticket = imports.submit(
                con, who, kind=kind, path=final, file_name=sent.file_name[-200:] or "upload",
                visibility=visibility, shared_with=shared_with, options=options,
            )
        if not ticket.created and (EXTRA_FILES.get(kind) or EXTRA_FIELDS.get(kind)):
            with db.acting(who) as con:
                before = records.latest_job_options(con, int(ticket.import_id)) or {}
            if _parts(before) != _parts(options):
                # an import is known by its main file's sha256: the same file with other parts is not it
                raise KizunaError(
                    "import.other_parts",
                    N_("this file was imported before (import {id}) with other accompanying files or fields"),
                    Where(file=sent.file_name[-200:], field="file"),
                    hint=N_("withdraw import {id} on the imports page first, then upload all its files again"),
                    status=409,
                    params={"id": int(ticket.import_id)},
                )
    except BaseException:
        if not existed:  # refused: keep nothing of it
            final.unlink(missing_ok=True)
        for extra_final in moved:
            extra_final.unlink(missing_ok=True)
        raise
    worker: Worker | None = request.app.state.worker
    if ticket.created and ticket.job_id is not None and worker is not None:
        worker.submit(int(ticket.job_id), final)
    body = {
        "import_id": int(ticket.import_id),
        "job_id": None if ticket.job_id is None else int(ticket.job_id),
        "created": bool(ticket.created),
        "status_url": None if ticket.job_id is None else f"/api/v1/jobs/{int(ticket.job_id)}",
    }
    return (202 if ticket.created else 200), body


@router.post(
    "/api/v1/imports",
    tags=["shared"],
    summary="Upload a file to import (multipart: file, kind, visibility, shared_with, spec)",
    status_code=202,
    response_model=TicketOut,
    responses={200: {"model": TicketOut, "description": "these bytes are imported already"},
               **_errors(400, 403, 404, 413, 422)},
)
async def post_import(request: Request) -> Response:
    who = sa.principal(request)
    settings: sa.Settings = request.app.state.settings
    upload = await receive_upload(request, settings.data_dir / "uploads", settings.max_upload_bytes)
    try:
        sa.check_form_csrf(request, upload.fields.get("csrf_token"))
        status, body = await anyio.to_thread.run_sync(submit_upload, request, who, upload)
    finally:
        upload.discard()  # what was not moved into place (a refused upload) goes
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def list_imports(
    db: sa.Database, who: Principal, *, kind: str | None = None, visibility: str | None = None,
    owner: str | None = None, status: str | None = None, limit: int = 100, offset: int = 0,
) -> dict[str, Any]:
    """The imports ``who``'s organisation may see (RLS, then :func:`access.allowed`), newest first."""
    with db.acting(who) as con:
        rows = queries.imports_seen(con, kind=kind, visibility=visibility, owner=owner, status=status)
        slugs = queries.org_slugs(con)
    items = []
    for r in rows:
        rel = relation(who, int(r["org_id"]), r["shared_with"])
        if not allowed(who, rel, r["visibility"], "read"):
            continue
        items.append(
            {
                "import_id": int(r["import_id"]),
                "kind": r["kind"],
                "file_name": r["file_name"],
                "sha256": r["sha256"],
                "owner": r["owner"],
                "visibility": r["visibility"],
                "shared_with": [slugs.get(int(o), str(o)) for o in (r["shared_with"] or [])],
                "status": r["status"],
                "imported_at": r["imported_at"].isoformat() if r["imported_at"] else None,
                "counts": r["counts"],
                "can_change": allowed(who, rel, r["visibility"], "write"),
                "can_delete": allowed(who, rel, r["visibility"], "delete"),
            }
        )
    return {"total": len(items), "limit": limit, "offset": offset, "items": items[offset : offset + limit]}


@router.get("/api/v1/imports", tags=["shared"], summary="Imports this organisation may see", responses=_errors(422))
def get_imports(
    request: Request,
    kind: Kind | None = None,
    visibility: Visibility | None = None,
    owner: Annotated[str | None, Query(max_length=63, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")] = None,
    status: JobState | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JSONResponse:
    who = sa.principal(request)
    body = list_imports(
        request.app.state.db, who, kind=kind.value if kind else None,
        visibility=visibility.value if visibility else None, owner=owner,
        status=status.value if status else None, limit=limit, offset=offset,
    )
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


NOT_FOUND = KizunaError(
    "import.not_found", N_("no such import"), Where(field="import_id"),
    hint=N_("list the imports you may see at /api/v1/imports"), status=404,
)


def _visible_import(con: Any, import_id: int) -> dict[str, Any]:
    row = queries.import_row(con, import_id)
    if row is None:
        raise NOT_FOUND
    return row


class VisibilityIn(BaseModel):
    visibility: Visibility
    shared_with: list[str] = Field(default_factory=list, max_length=200)


def change_visibility(
    db: sa.Database, who: Principal, import_id: int, visibility: str, shared_with: list[str]
) -> None:
    """Change who may see an import, as ``who`` (the API's PATCH and the ``/imports`` page's form):
    :func:`access.allowed` for ``write`` under the old and the new visibility, then
    :func:`kizuna.shared.imports.set_visibility` (RLS again underneath; one audit row)."""
    from kizuna.shared import imports

    with db.acting(who) as con:
        row = _visible_import(con, import_id)
        rel = relation(who, int(row["org_id"]), row["shared_with"])
        if not allowed(who, rel, row["visibility"], "write") or not allowed(who, rel, visibility, "write"):
            raise sa.FORBIDDEN
        imports.set_visibility(con, who, import_id, visibility, shared_with)


def withdraw(db: sa.Database, who: Principal, import_id: int) -> None:
    """Delete an import and its records, as ``who`` (the API's DELETE and the ``/imports`` page's form):
    :func:`access.allowed` for ``delete``, then :func:`kizuna.shared.imports.delete_import` (RLS again
    underneath; one audit row)."""
    from kizuna.shared import imports

    with db.acting(who) as con:
        row = _visible_import(con, import_id)
        rel = relation(who, int(row["org_id"]), row["shared_with"])
        if not allowed(who, rel, row["visibility"], "delete"):
            raise sa.FORBIDDEN
        imports.delete_import(con, who, import_id)


@router.patch(
    "/api/v1/imports/{import_id}", tags=["shared"], summary="Change who may see an import",
    responses=_errors(400, 403, 404, 409, 422),
)
def patch_import(
    request: Request, import_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)], change: VisibilityIn
) -> JSONResponse:
    who = sa.principal(request)
    change_visibility(request.app.state.db, who, import_id, change.visibility.value, change.shared_with)
    return JSONResponse(
        {"import_id": import_id, "visibility": change.visibility.value, "shared_with": change.shared_with},
        headers={"Cache-Control": "no-store"},
    )


@router.delete(
    "/api/v1/imports/{import_id}", tags=["shared"], summary="Delete an import and its records",
    responses=_errors(403, 404, 409, 422),
)
def delete_import(request: Request, import_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]) -> JSONResponse:
    who = sa.principal(request)
    withdraw(request.app.state.db, who, import_id)
    return JSONResponse({"import_id": import_id, "deleted": True}, headers={"Cache-Control": "no-store"})


PERSONAL_KINDS = frozenset({"survey", "ddr", "training"})  # their files hold person-level rows


@router.get(
    "/api/v1/imports/{import_id}/file", tags=["shared"], summary="Download the file an import was made from",
    responses=_errors(403, 404, 422),
)
def download_import(request: Request, import_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]) -> Response:
    """An export of the import's own bytes: its owner always; others as its visibility allows, except
    for kinds whose files hold person-level rows (surveys: respondents), which never leave the owner."""
    from fastapi.responses import FileResponse

    who = sa.principal(request)
    db: sa.Database = request.app.state.db
    with db.acting(who) as con:
        row = _visible_import(con, import_id)
    rel = relation(who, int(row["org_id"]), row["shared_with"])
    if not allowed(who, rel, row["visibility"], "export", personal=row["kind"] in PERSONAL_KINDS):
        raise sa.FORBIDDEN
    stored = Path(row["file_path"] or "")
    uploads = (request.app.state.settings.data_dir / "uploads").resolve()
    if not row["file_path"] or not stored.is_file() or uploads not in stored.resolve().parents:
        raise KizunaError(
            "import.file_gone", N_("the file of this import is not kept on this server"), Where(field="import_id"),
            hint=N_("the import's rows are still there; ask its owner for the file"), status=404,
        )
    return FileResponse(
        stored, filename=safe_name(row["file_name"]), media_type="application/octet-stream",
        headers={"Cache-Control": "no-store"},
    )


@router.get("/api/v1/jobs/{job_id}", tags=["shared"], summary="How far an import job is", responses=_errors(404, 422))
def get_job(request: Request, job_id: Annotated[int, PathParam(ge=1, le=2**62)]) -> JSONResponse:
    from kizuna.shared import imports

    who = sa.principal(request)
    db: sa.Database = request.app.state.db
    with db.connection() as con:
        status = imports.job_status(con, who, job_id)  # another organisation's job: 404
    return JSONResponse(jsonable(status), headers={"Cache-Control": "no-store"})


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# --- pages -----------------------------------------------------------------------------------------


@router.get("/upload", include_in_schema=False)
def upload_page(request: Request) -> Response:
    who = sa.principal(request)
    if not who.can_write():
        raise sa.FORBIDDEN
    with request.app.state.db.acting(who) as con:
        orgs = queries.other_orgs(con, who.org_id)
    return sa.page(
        "shared_upload.html",
        {"kinds": KIND_LABELS, "visibilities": VISIBILITY_LABELS, "orgs": orgs,
         "limit_mb": round(request.app.state.settings.max_upload_bytes / (1024 * 1024), 1),
         "csrf": request.scope["state"].get("csrf") or "", "path": "/upload"},
        title=gettext(N_("Upload")),
    )


@router.post("/upload", include_in_schema=False)
async def upload_form(request: Request) -> Response:
    """The upload form without JavaScript: submit, then show the imports page."""
    response = await post_import(request)
    from fastapi.responses import RedirectResponse

    del response
    return RedirectResponse("/imports", status_code=303)


# What the /imports page says after one of its forms did its work (?done=...&import=N): catalogue
# messages chosen by key, so nothing a link carries is ever shown as text.
FLASH = {
    "visibility": N_("Import {id}: who may see it has changed."),
    "deleted": N_("Import {id} and its records are withdrawn."),
}


@router.get("/imports", include_in_schema=False)
def imports_page(
    request: Request,
    done: Annotated[str | None, Query(max_length=16)] = None,
    import_id: Annotated[int | None, Query(alias="import", ge=1, le=2**31 - 1)] = None,
) -> Response:
    who = sa.principal(request)
    body = list_imports(request.app.state.db, who, limit=1000)
    flash = gettext(FLASH[done]).format(id=import_id) if done in FLASH and import_id is not None else None
    return sa.page(
        "shared_imports.html",
        {"items": body["items"], "visibilities": VISIBILITY_LABELS, "kinds": KIND_LABELS, "path": "/imports",
         "csrf": request.scope["state"].get("csrf") or "", "flash": flash,
         "actions": any(i["can_change"] or i["can_delete"] for i in body["items"])},
        title=gettext(N_("Imports")),
    )


def _form_import_id(value: Any) -> int:
    text = str(value or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 2**31 - 1:
        raise bad_upload(
            N_("{value!r} is not an import number"), "import_id", N_("use the buttons on the imports page"),
            value=text[:20],
        )
    return int(text)


async def _import_form(request: Request) -> tuple[Principal, dict[str, str]]:
    """The principal and the fields of one of the ``/imports`` page's forms, its CSRF token checked."""
    who = sa.principal(request)
    form = await request.form(max_files=0, max_fields=8)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    sa.check_form_csrf(request, fields.get("csrf_token"))
    return who, fields


def _back(done: str, import_id: int) -> Response:
    from fastapi.responses import RedirectResponse

    return RedirectResponse(f"/imports?done={done}&import={import_id}", status_code=303)


@router.post("/imports/visibility", include_in_schema=False)
async def visibility_form(request: Request) -> Response:
    """The ``/imports`` page's visibility form (fields ``import_id``, ``visibility``, ``shared_with``):
    the API's PATCH (:func:`change_visibility`), then back to the page with a message."""
    who, fields = await _import_form(request)
    import_id = _form_import_id(fields.get("import_id"))
    visibility = _choice(fields.get("visibility"), Visibility, "visibility")
    shared_with = [w.strip() for w in fields.get("shared_with", "").split(",") if w.strip()]
    if visibility != "shared":
        shared_with = []  # the form keeps the names typed for 'shared'; other visibilities name nobody
    await anyio.to_thread.run_sync(change_visibility, request.app.state.db, who, import_id, visibility, shared_with)
    return _back("visibility", import_id)


@router.post("/imports/delete", include_in_schema=False)
async def delete_form(request: Request) -> Response:
    """The ``/imports`` page's withdraw form (field ``import_id``): the API's DELETE (:func:`withdraw`),
    then back to the page with a message."""
    who, fields = await _import_form(request)
    import_id = _form_import_id(fields.get("import_id"))
    await anyio.to_thread.run_sync(withdraw, request.app.state.db, who, import_id)
    return _back("deleted", import_id)


# --- audit -----------------------------------------------------------------------------------------


def audit_rows(
    db: sa.Database, who: Principal, *, action: str | None, actor: str | None,
    since: datetime | None, until: datetime | None, limit: int,
) -> list[dict[str, Any]]:
    from kizuna.shared import audit

    if who.role != "admin":
        raise sa.FORBIDDEN
    with db.acting(who) as con:
        user_id = None
        if actor:
            user_id = queries.user_id(con, actor)
            if user_id is None:
                return []
        rows = audit.entries(con, org_id=who.org_id, action=action, user_id=user_id, since=since, until=until,
                             limit=limit)
    return [jsonable(dict(r)) for r in rows]


@router.get(
    "/api/v1/audit", tags=["shared"], summary="This organisation's audit log (admins)", responses=_errors(403, 422)
)
def get_audit(
    request: Request,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=320)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> JSONResponse:
    who = sa.principal(request)
    rows = audit_rows(request.app.state.db, who, action=action, actor=actor, since=since, until=until, limit=limit)
    return JSONResponse({"total": len(rows), "items": rows}, headers={"Cache-Control": "no-store"})


@router.get("/admin/audit", include_in_schema=False)
def audit_page(
    request: Request,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=320)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Response:
    who = sa.principal(request)
    rows = audit_rows(request.app.state.db, who, action=action or None, actor=actor or None, since=since,
                      until=until, limit=500)
    return sa.page(
        "shared_audit.html",
        {"rows": rows, "action": action or "", "actor": actor or "", "path": "/admin/audit"},
        title=gettext(N_("Audit log")),
    )
