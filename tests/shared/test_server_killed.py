"""SIGKILL the real shared server while an upload is streaming in and an import job is running: after a
restart nothing partial is stored — no half-written upload, no row of the killed import — and the job is
marked failed, saying what to do."""

from __future__ import annotations

import os
import signal
import socket
import time
import uuid
from pathlib import Path

import httpx
import pytest

from kizuna.shared import pg
from tests.conftest import shared_path
from tests.shared.web_support import SHEET, make_alliance, start_server, stop_server, wait_job

pytestmark = pytest.mark.server


def gone(pid: int) -> bool:
    try:
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True


def owner_one(url: str, sql: str, args: list | None = None):
    with pg.connect(url) as con:
        return con.execute(sql, args or []).fetchone()


def start_streaming_upload(base: str, token: str, total: int, sent: int) -> socket.socket:
    """A multipart upload announcing ``total`` bytes, of which only ``sent`` are sent (then it waits)."""
    host, port = base.split("//", 1)[1].split(":")
    boundary = "kizunaboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n3w\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        (f"POST /api/v1/imports HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
         f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {total}\r\n\r\n").encode()
        + head + b"a,b,c\r\n" * (sent // 7)
    )
    return sock


@pytest.mark.shared
def test_a_server_killed_mid_upload_and_mid_job_stores_nothing_partial_and_fails_the_job(pg_cluster, tmp_path):
    iati = shared_path("iati", "usaid-cf.xml").read_bytes()
    name = "kill_" + uuid.uuid4().hex[:10]
    with pg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name} TEMPLATE kizuna_template")
    url = pg_cluster.url(name)
    alliance = make_alliance(url, orgs=("aa",), roles=("editor",))
    auth = alliance.bearer("aa", "editor")
    data, log = tmp_path / "data", tmp_path / "server.log"
    proc, base = start_server(url, data, log)
    sock = None
    try:
        with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
            ticket = client.post("/api/v1/imports", data={"kind": "iati", "visibility": "alliance"},
                                 files={"file": ("usaid-cf.xml", iati, "application/xml")})
            assert ticket.status_code == 202, ticket.text
            job_url = ticket.json()["status_url"]
            deadline = time.monotonic() + 60
            while (job := client.get(job_url).json())["status"] != "running":
                assert job["status"] == "queued" and time.monotonic() < deadline, job
                time.sleep(0.02)
        sock = start_streaming_upload(base, alliance.tokens[("aa", "editor")], 8_000_000, 1_000_000)
        deadline = time.monotonic() + 30
        while not list((data / "uploads").glob(".upload-*.part")):
            assert time.monotonic() < deadline, "the upload never started streaming to disk"
            time.sleep(0.02)
        worker = owner_one(url, "SELECT worker FROM jobs WHERE job_id = %s", [ticket.json()["job_id"]])["worker"]
        assert owner_one(url, "SELECT status FROM jobs WHERE job_id = %s", [ticket.json()["job_id"]])["status"] == "running"
        os.kill(proc.pid, signal.SIGKILL)  # mid-upload and mid-job
        proc.wait(10)
    finally:
        if sock is not None:
            sock.close()
        if proc.poll() is None:
            proc.kill()
    child = int(worker.rpartition(":")[2])
    deadline = time.monotonic() + 20
    while not gone(child):  # the job's process ends with its server (it watches its parent)
        assert time.monotonic() < deadline, "the job's process outlived its killed server"
        time.sleep(0.1)

    log = tmp_path / "restarted.log"
    proc, base = start_server(url, data, log)  # the restart sweeps what the killed server left
    try:
        job = httpx.get(base + job_url, headers=auth).json()
        assert job["status"] == "failed" and job["error"]["error"]["code"] == "import.worker_lost"
        assert "submit it again" in job["error"]["error"]["hint"]
        import_id = ticket.json()["import_id"]
        assert owner_one(url, "SELECT status FROM imports WHERE import_id = %s", [import_id])["status"] == "failed"
        assert owner_one(url, "SELECT count(*) AS n FROM imports")["n"] == 1  # the cut upload made none
        for table in ("activities", "transactions", "participating_orgs"):
            assert owner_one(url, f"SELECT count(*) AS n FROM {table}")["n"] == 0, table
        assert not list((data / "uploads").glob(".upload-*.part"))
        assert httpx.get(base + "/api/v1/activities", headers=auth).json()["total"] == 0  # (a copy built in a child)
        again = httpx.post(base + "/api/v1/imports", headers=auth, data={"kind": "3w"},
                           files={"file": ("partners.csv", SHEET.encode(), "text/csv")}).json()
        assert wait_job(httpx.Client(base_url=base), auth, again["status_url"])["status"] == "done"  # (a job child)
    finally:
        stop_server(proc)
        with pg.connect(pg_cluster.url(), autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    # A graceful stop (SIGTERM) shuts its children's pools down: nothing reported as leaked. Python's
    # resource tracker (a process of its own) reports leaks just after the server has exited: watch a while.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        assert "leaked semaphore" not in log.read_text(errors="replace")
        time.sleep(0.2)
