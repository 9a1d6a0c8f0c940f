"""Imports and jobs in shared mode (issue 15): idempotent submit, one transaction per load, failures
recorded with the one error shape, one worker per job, dead workers' jobs failed — on a real PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kizuna.errors import KizunaError
from kizuna.shared import accounts, imports, pg
from kizuna.shared.accounts import Principal

PW = "correct horse battery staple"


@pytest.fixture
def world(pg_url, tmp_path):
    """Two organisations (jica: two editors and a viewer; usaid: an editor) and a table a fake loader fills."""
    with pg.connect(pg_url) as con:
        jica = accounts.add_org(con, "jica", "JICA")
        usaid = accounts.add_org(con, "usaid", "USAID")
        con.execute("INSERT INTO users (email, password_hash) VALUES ('e1@x.org', 'x'), ('e2@x.org', 'x'),"
                    " ('v@x.org', 'x'), ('u@x.org', 'x')")
        ids = {r["email"]: r["user_id"] for r in con.execute("SELECT email, user_id FROM users").fetchall()}
        for email, org, role in (("e1@x.org", jica, "editor"), ("e2@x.org", jica, "editor"),
                                 ("v@x.org", jica, "viewer"), ("u@x.org", usaid, "editor")):
            con.execute("INSERT INTO memberships VALUES (%s, %s, %s)", [ids[email], org, role])
        con.execute("CREATE TABLE fake_rows (import_id integer NOT NULL REFERENCES imports ON DELETE CASCADE,"
                    " n integer NOT NULL)")
        con.execute("GRANT SELECT, INSERT ON fake_rows TO kizuna_app")
        con.commit()
    sheet = tmp_path / "3w.csv"
    sheet.write_text("org,country\nJICA,SS\n", encoding="utf-8")

    class W:
        url = pg_url
        file = sheet
        e1 = Principal(ids["e1@x.org"], "e1@x.org", jica, "jica", "editor")
        e2 = Principal(ids["e2@x.org"], "e2@x.org", jica, "jica", "editor")
        viewer = Principal(ids["v@x.org"], "v@x.org", jica, "jica", "viewer")
        usaid_editor = Principal(ids["u@x.org"], "u@x.org", usaid, "usaid", "editor")

    return W


def owner_rows(url: str, sql: str, params=()):
    with pg.connect(url) as con:
        return con.execute(sql, list(params)).fetchall()


def fake_loader(n: int = 3, fail_after: bool = False):
    def load(con, *, import_id, kind, path, options, progress):
        for i in range(n):
            con.execute("INSERT INTO fake_rows VALUES (%s, %s)", [import_id, i])
        progress(0.5, "rows written")
        if fail_after:
            raise KizunaError("3w.bad_row", "cannot read {value!r} as a number", params={"value": "ten"})
        return {"rows": n, "kind": kind, "option": options.get("sheet")}

    return load


def submit(w, who, **kw):
    with pg.connect(w.url, as_app=True) as con:
        return imports.submit(con, who, kind="3w", path=w.file, file_name="3w.csv", **kw)


def test_the_same_file_twice_is_one_import_and_one_job(world):
    first = submit(world, world.e1)
    again = submit(world, world.e2)
    assert first.created and not again.created
    assert (again.import_id, again.job_id) == (first.import_id, first.job_id)
    assert owner_rows(world.url, "SELECT count(*) AS n FROM jobs")[0]["n"] == 1
    # another organisation's identical file is its own import
    theirs = submit(world, world.usaid_editor)
    assert theirs.created and theirs.import_id != first.import_id
    actions = [r["action"] for r in owner_rows(world.url, "SELECT action FROM audit_log ORDER BY audit_id")]
    assert actions == ["import.submit", "import.submit"]


def test_two_editors_submitting_the_same_file_at_once_make_one_import(world):
    tickets: list[imports.Ticket] = []
    barrier = threading.Barrier(2)

    def go(who):
        with pg.connect(world.url, as_app=True) as con:
            barrier.wait()
            tickets.append(imports.submit(con, who, kind="3w", path=world.file, file_name="3w.csv"))

    threads = [threading.Thread(target=go, args=(p,)) for p in (world.e1, world.e2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(t.created for t in tickets) == [False, True]
    assert len({t.import_id for t in tickets}) == 1 and len({t.job_id for t in tickets}) == 1
    assert owner_rows(world.url, "SELECT count(*) AS n FROM imports")[0]["n"] == 1
    assert owner_rows(world.url, "SELECT count(*) AS n FROM jobs")[0]["n"] == 1


def test_a_viewer_cannot_submit_and_bad_sharing_is_refused(world):
    with pytest.raises(KizunaError) as e:
        submit(world, world.viewer)
    assert (e.value.code, e.value.status) == ("auth.forbidden", 403)
    with pytest.raises(KizunaError) as e:
        submit(world, world.e1, visibility="shared", shared_with=["nobody'; DROP TABLE imports; --"])
    assert e.value.code == "import.shared_with_unknown"
    with pytest.raises(KizunaError) as e:
        submit(world, world.e1, visibility="public")
    assert e.value.code == "import.visibility_invalid"
    assert owner_rows(world.url, "SELECT count(*) AS n FROM imports")[0]["n"] == 0
    t = submit(world, world.e1, visibility="shared", shared_with=["usaid"])
    row = owner_rows(world.url, "SELECT visibility, shared_with FROM imports WHERE import_id = %s", [t.import_id])[0]
    assert (row["visibility"], row["shared_with"]) == ("shared", [world.usaid_editor.org_id])


def test_a_job_loads_in_one_transaction_and_records_counts_version_and_audit(world):
    t = submit(world, world.e1, options={"sheet": "3W"})
    with pg.connect(world.url, as_app=True, autocommit=True) as app:  # no organisation acting: ids and paths only
        assert [(q["job_id"], q["file_path"]) for q in imports.queued_jobs(app)] == [(t.job_id, str(world.file))]
    seen: list[float] = []
    out = imports.run_job(world.url, t.job_id, world.file, loader=fake_loader(3),
                          progress=lambda f, m=None: seen.append(f))
    assert out["status"] == "done" and out["counts"] == {"rows": 3, "kind": "3w", "option": "3W"}
    assert seen == [0.5]
    imp = owner_rows(world.url, "SELECT status, counts FROM imports")[0]
    assert (imp["status"], imp["counts"]["rows"]) == ("done", 3)
    job = owner_rows(world.url, "SELECT status, progress, worker FROM jobs")[0]
    assert (job["status"], job["progress"], job["worker"]) == ("done", 1.0, imports.worker_id())
    assert owner_rows(world.url, "SELECT version FROM data_version")[0]["version"] == 1
    assert owner_rows(world.url, "SELECT count(*) AS n FROM fake_rows")[0]["n"] == 3
    done = owner_rows(world.url, "SELECT * FROM audit_log WHERE action = 'import.done'")
    assert len(done) == 1 and done[0]["actor_user"] == world.e1.user_id
    from kizuna.shared.audit import record_hash

    assert done[0]["after_sha256"] == record_hash(out["counts"])
    # the job has run: running it again claims nothing
    assert imports.run_job(world.url, t.job_id, world.file, loader=fake_loader(3))["status"] == "not_claimed"
    with pg.connect(world.url, as_app=True, autocommit=True) as app:
        assert imports.queued_jobs(app) == []
    with pg.connect(world.url, as_app=True) as con:
        status = imports.job_status(con, world.e1, t.job_id)
        assert (status["status"], status["import_status"], status["file_name"]) == ("done", "done", "3w.csv")
        with pytest.raises(KizunaError) as e:
            imports.job_status(con, world.usaid_editor, t.job_id)
        assert (e.value.code, e.value.status) == ("job.unknown", 404)


def test_a_loader_that_fails_after_writing_rows_leaves_none_and_the_error_on_import_and_job(world):
    t = submit(world, world.e1)
    out = imports.run_job(world.url, t.job_id, world.file, loader=fake_loader(5, fail_after=True))
    assert out["status"] == "failed" and out["error"]["error"]["code"] == "3w.bad_row"
    assert out["error"]["error"]["message"] == "cannot read 'ten' as a number"
    assert owner_rows(world.url, "SELECT count(*) AS n FROM fake_rows")[0]["n"] == 0
    imp = owner_rows(world.url, "SELECT status, error, counts FROM imports")[0]
    job = owner_rows(world.url, "SELECT status, error FROM jobs")[0]
    assert imp["status"] == job["status"] == "failed"
    assert imp["error"] == job["error"] == out["error"] and imp["counts"] is None
    assert owner_rows(world.url, "SELECT version FROM data_version")[0]["version"] == 0
    assert [r["action"] for r in owner_rows(world.url, "SELECT action FROM audit_log ORDER BY audit_id")] == [
        "import.submit", "import.failed"]
    # the same bytes again: the failed import gets a new job
    again = submit(world, world.e2)
    assert again.created and again.import_id == t.import_id and again.job_id != t.job_id
    assert imports.run_job(world.url, again.job_id, world.file, loader=fake_loader(2))["status"] == "done"


def test_an_unexpected_exception_is_recorded_without_its_text(world):
    t = submit(world, world.e1)

    def broken(con, **kw):
        raise RuntimeError("password=hunter2 in some driver message")

    out = imports.run_job(world.url, t.job_id, world.file, loader=broken)
    assert out["error"]["error"]["code"] == "import.crashed"
    assert "hunter2" not in str(owner_rows(world.url, "SELECT error FROM jobs")[0]["error"])


def test_two_workers_racing_for_one_job_run_it_once(world):
    t = submit(world, world.e1)
    calls: list[int] = []
    gate = threading.Barrier(2)

    def slow_loader(con, *, import_id, **kw):
        calls.append(import_id)
        time.sleep(0.3)
        return {"rows": 0}

    results: list[dict] = []

    def work(name):
        gate.wait()
        results.append(imports.run_job(world.url, t.job_id, world.file, loader=slow_loader, worker=name))

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(r["status"] for r in results) == ["done", "not_claimed"]
    assert calls == [t.import_id]


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_fail_stale_jobs_fails_a_job_whose_worker_died_or_went_silent(world):
    a = submit(world, world.e1)
    other = world.file.with_name("other.csv")
    other.write_text("org\nJICA\n", encoding="utf-8")
    with pg.connect(world.url, as_app=True) as con:
        b = imports.submit(con, world.e1, kind="3w", path=other, file_name="other.csv")
    with pg.connect(world.url) as con:
        con.execute("UPDATE jobs SET status = 'running', worker = %s, heartbeat_at = now() WHERE job_id = %s",
                    [f"{imports.socket.gethostname()}:{_dead_pid()}", a.job_id])
        # a live worker on another host that has been silent for ten minutes
        con.execute("UPDATE jobs SET status = 'running', worker = 'elsewhere:1',"
                    " heartbeat_at = now() - interval '10 minutes' WHERE job_id = %s", [b.job_id])
        con.commit()
    with pg.connect(world.url, as_app=True, autocommit=True) as app:
        assert imports.fail_stale_jobs(app, older_than_s=3600) == 1
        assert imports.fail_stale_jobs(app, older_than_s=60) == 1
        assert imports.fail_stale_jobs(app) == 0
    rows = owner_rows(world.url, "SELECT job_id, status, error FROM jobs ORDER BY job_id")
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert rows[0]["error"]["error"]["code"] == "import.worker_lost"
    assert [r["status"] for r in owner_rows(world.url, "SELECT status FROM imports ORDER BY import_id")] == [
        "failed", "failed"]


KILLED_WORKER = """
import sys, time
from kizuna.shared import imports

def load(con, *, import_id, progress, **kw):
    for i in range(50):
        con.execute("INSERT INTO fake_rows VALUES (%s, %s)", [import_id, i])
    progress(0.5, "rows written")
    time.sleep(60)

imports.run_job(sys.argv[1], int(sys.argv[2]), sys.argv[3], loader=load)
"""


def test_a_worker_killed_mid_load_leaves_no_rows_and_its_job_is_failed_by_the_sweep(world):
    t = submit(world, world.e1)
    env = {**os.environ, "PYTHONPATH": str(Path(imports.__file__).parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WORKER, world.url, str(t.job_id), str(world.file)],
                            env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = owner_rows(world.url, "SELECT status, progress FROM jobs")[0]
            if job["progress"] >= 0.5:
                break
            assert proc.poll() is None, "the worker ended before it was killed"
            time.sleep(0.05)
        assert job["status"] == "running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with pg.connect(world.url, as_app=True, autocommit=True) as app:
        assert imports.fail_stale_jobs(app) == 1
    assert owner_rows(world.url, "SELECT count(*) AS n FROM fake_rows")[0]["n"] == 0
    job = owner_rows(world.url, "SELECT status, error FROM jobs")[0]
    assert job["status"] == "failed" and job["error"]["error"]["code"] == "import.worker_lost"
    assert owner_rows(world.url, "SELECT status FROM imports")[0]["status"] == "failed"


def test_only_the_owners_editors_delete_or_reshare_an_import(world):
    t = submit(world, world.e1)
    imports.run_job(world.url, t.job_id, world.file, loader=fake_loader(4))
    with pg.connect(world.url, as_app=True) as con:
        for who in (world.viewer, world.usaid_editor):
            with pytest.raises(KizunaError) as e:
                imports.delete_import(con, who, t.import_id)
            assert e.value.code in ("auth.forbidden", "import.unknown")
            with pytest.raises(KizunaError):
                imports.set_visibility(con, who, t.import_id, "private")
        after = imports.set_visibility(con, world.e2, t.import_id, "shared", ["usaid", "jica"])
        assert after["visibility"] == "shared"
        assert sorted(after["shared_with"]) == sorted([world.usaid_editor.org_id, world.e1.org_id])
        imports.delete_import(con, world.e2, t.import_id)
    assert owner_rows(world.url, "SELECT count(*) AS n FROM fake_rows")[0]["n"] == 0
    assert owner_rows(world.url, "SELECT count(*) AS n FROM imports")[0]["n"] == 0
    assert owner_rows(world.url, "SELECT version FROM data_version")[0]["version"] == 3
    audit_rows = owner_rows(world.url, "SELECT action, before_sha256, after_sha256 FROM audit_log ORDER BY audit_id")
    assert [r["action"] for r in audit_rows] == ["import.submit", "import.done", "import.visibility", "import.delete"]
    assert audit_rows[2]["before_sha256"] and audit_rows[2]["after_sha256"]
    assert audit_rows[3]["before_sha256"] and audit_rows[3]["after_sha256"] is None


SHEET = """#org,#sector,#adm1+name,#activity+name,#date+start,#reached,#country+code
Alpha Relief,WASH,Jonglei,Wells,2023-01-15,1200,SS
Beta Aid,Health,Unity,Clinics,2023-02-01,300,SS
"""


def test_with_the_real_loader_a_3w_sheet_becomes_rows_once_and_a_bad_one_stores_nothing(world, tmp_path):
    sheet = tmp_path / "partners.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    with pg.connect(world.url, as_app=True) as con:
        t = imports.submit(con, world.e1, kind="3w", path=sheet, file_name="partners.csv")
    out = imports.run_job(world.url, t.job_id, sheet)
    assert out["status"] == "done" and out["counts"]["activities"] == 2
    assert owner_rows(world.url, "SELECT count(*) AS n FROM activities WHERE import_id = %s", [t.import_id])[0]["n"] == 2
    assert owner_rows(world.url, "SELECT version FROM data_version")[0]["version"] == 1  # one step per change
    bad = tmp_path / "bad.csv"
    bad.write_text(SHEET.replace("1200", "twelve hundred"), encoding="utf-8")
    with pg.connect(world.url, as_app=True) as con:
        b = imports.submit(con, world.e1, kind="3w", path=bad, file_name="bad.csv")
    failed = imports.run_job(world.url, b.job_id, bad)
    assert failed["status"] == "failed" and failed["error"]["error"]["code"].startswith("3w.")
    assert owner_rows(world.url, "SELECT count(*) AS n FROM activities")[0]["n"] == 2
    with pg.connect(world.url, as_app=True) as con:
        imports.delete_import(con, world.e2, t.import_id)
    assert owner_rows(world.url, "SELECT count(*) AS n FROM activities")[0]["n"] == 0
    assert owner_rows(world.url, "SELECT version FROM data_version")[0]["version"] == 2
