"""Load benchmark of shared mode: readers and writers against `kizuna serve --database URL` on 127.0.0.1,
then the same read load against single-analyst DuckDB mode (`kizuna serve` over a workspace) in the same run.

    python3 benchmarks/shared.py [--readers 200] [--writers 10] [--seconds 60] [--orgs 10] [--think-ms 0]
                                 [--strict-reads] [--timeline 10]

Set-up (not timed): a throwaway PostgreSQL cluster (``kizuna.shared.devcluster``, Debian's package),
``kizuna db init``, ``--orgs`` fictional organisations with one editor and one API token each, and each
organisation's first import: one of the SYNTHETIC demo's IATI files (``kizuna demo``'s inputs), uploaded
through the API and run as a job. The server runs with ``--stale-reads`` (a read after others' uploads
answers from the previous view while the new one builds) unless ``--strict-reads``. Then, for ``--seconds``:

- ``--readers`` asyncio clients, each on its own kept-alive HTTP/1.1 connection with an organisation's
  bearer token, alternating the Overview page (``/``) and a filtered API dataset
  (``/api/v1/activities?limit=50``), ``--think-ms`` between requests (0: back to back, the harshest);
- ``--writers`` clients, each uploading a new SYNTHETIC 3W sheet (the demo's sheet with one more row,
  so every upload has new bytes) to ``POST /api/v1/imports`` for its organisation, then polling its job
  until it ends, then the next;
- one observer, as the last organisation, listing the sources its pages show (``/api/v1/sources``)
  every 0.5 s, until 30 s after the run: when each upload first appears there.

After the run every accepted upload must be an import in state ``done`` holding its rows (0 lost
writes). Printed: throughput, p50/p95/p99 latency and errors of reads and writes, the server's CPU
per read (its children's, which run the jobs and build the copies, apart) and peak RSS (VmHWM), with
``--timeline N`` the read p95 of every N seconds (where slow reads cluster), how long after its job
ended each upload was shown to the observing organisation (freshness, p50/p95/max);
then the DuckDB-mode run of the same readers. Targets (issue 15): read
p95 < 200 ms, 0 errors, 0 lost writes. Not part of pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).parent))

from serve import cpu_seconds, free_port, load, pct, peak_rss_mib  # noqa: E402  (one home for the load helpers)

PW = "benchmark password one"


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (the server's job and copy-building children)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def child_cpu(pid: int, pids: set[int]) -> dict[int, float]:
    """CPU seconds of each live child of ``pid`` (remembered in ``pids`` so a child seen once is counted)."""
    pids.update(children(pid))
    out = {}
    for child in pids:
        with contextlib.suppress(OSError):  # ended since
            out[child] = cpu_seconds(child)
    return out


def wait_up(base: str, proc: subprocess.Popen, path: str = "/healthz") -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server ended with {proc.returncode}")
        try:
            if httpx.get(base + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def serve(args: list[str], port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "KIZUNA_LANG": "en"}
    cmd = [sys.executable, "-m", "kizuna", "serve", *args, "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)


def setup_accounts(url: str, orgs: int) -> list[str]:
    """``orgs`` fictional organisations with one editor each; returns one API token per organisation."""
    from kizuna.shared import accounts, pg

    pg.migrate(url)
    tokens = []
    with pg.connect(url) as con:
        for k in range(orgs):
            slug = f"synthetic-agency-{k + 1}"
            accounts.add_org(con, slug, f"Synthetic Agency {k + 1}")
            accounts.add_user(con, f"editor{k + 1}@agency{k + 1}.example", slug, "editor", PW)
            tokens.append(accounts.create_token(con, f"editor{k + 1}@agency{k + 1}.example", slug, "editor")[1])
        con.commit()
    return tokens


def upload(client: httpx.Client, token: str, path: Path, kind: str, name: str | None = None) -> dict[str, Any]:
    with open(path, "rb") as fh:
        r = client.post(
            "/api/v1/imports",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": (name or path.name, fh)},
            data={"kind": kind, "visibility": "alliance"},
        )
    r.raise_for_status()
    return dict(r.json())


def wait_job(client: httpx.Client, token: str, job_id: int, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/api/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        job = dict(r.json())
        if job.get("status") in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise SystemExit(f"job {job_id} did not end in {timeout} s")


def writers(base: str, tokens: list[str], sheet: Path, n: int, seconds: float, folder: Path) -> dict[str, Any]:
    """``n`` threads uploading new 3W sheets and waiting for their jobs until the time is up."""
    import threading

    out: dict[str, Any] = {"latency": [], "errors": [], "accepted": [], "done_at": {}}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    base_text = sheet.read_text(encoding="utf-8")
    last = base_text.rstrip("\n").splitlines()[-1]

    def one(k: int) -> None:
        token = tokens[k % len(tokens)]
        i = 0
        with httpx.Client(base_url=base, timeout=120) as client:
            while time.perf_counter() < deadline:
                i += 1
                path = folder / f"w{k}-{i}.csv"
                extra = last.replace("[SYNTHETIC] ", f"[SYNTHETIC] writer {k} upload {i} ")
                path.write_text(base_text.rstrip("\n") + "\n" + extra + "\n", encoding="utf-8")
                t0 = time.perf_counter()
                try:
                    ticket = upload(client, token, path, "3w")
                    job = wait_job(client, token, int(ticket["job_id"]))
                    with lock:
                        out["accepted"].append((token, int(ticket["import_id"])))
                        if job["status"] != "done":
                            out["errors"].append(job.get("error"))
                        else:
                            out["done_at"][path.name] = time.monotonic()
                except httpx.HTTPError as exc:
                    with lock:
                        out["errors"].append(str(exc))
                with lock:
                    out["latency"].append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def observe(base: str, token: str, seconds: float, grace: float, every: float = 0.5) -> dict[str, float]:
    """As one organisation, list the sources its pages show (its analytical copy) every ``every`` seconds
    for ``seconds`` plus ``grace``; returns when each uploaded sheet (``w*.csv``) was first listed."""
    first: dict[str, float] = {}
    deadline = time.monotonic() + seconds + grace
    with httpx.Client(base_url=base, timeout=60) as client:
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            with contextlib.suppress(httpx.HTTPError, ValueError):
                r = client.get("/api/v1/sources?limit=1000", headers={"Authorization": f"Bearer {token}"})
                now = time.monotonic()
                for row in r.json().get("items", []):
                    name = str(row.get("file_name") or "")
                    if name.startswith("w") and name not in first:
                        first[name] = now
            time.sleep(max(0.0, every - (time.monotonic() - t0)))
    return first


def freshness(done_at: dict[str, float], seen_at: dict[str, float]) -> str:
    """How long after its job ended an upload appeared on another organisation's pages."""
    delays = [(seen_at[f] - t) * 1000 for f, t in done_at.items() if f in seen_at]
    unseen = len(done_at) - len(delays)
    if not delays:
        return f"    shown to another organisation: none of {len(done_at)} uploads seen"
    return (
        f"    shown to another organisation after its job ended (stale reads; polled every 0.5 s):"
        f" p50 {pct(delays, 50) / 1000:.1f} s, p95 {pct(delays, 95) / 1000:.1f} s, max {max(delays) / 1000:.1f} s"
        f" ({len(delays)} uploads; {unseen} not seen within the grace period)"
    )


def lost_writes(url: str, accepted: list[tuple[str, int]]) -> int:
    """Accepted uploads that are not a finished import with rows in PostgreSQL."""
    from kizuna.shared import pg

    ids = [i for _t, i in accepted]
    if not ids:
        return 0
    with pg.connect(url) as con:
        done = {
            r["import_id"]
            for r in con.execute(
                "SELECT import_id FROM imports WHERE import_id = ANY(%s) AND status = 'done'", [ids]
            ).fetchall()
        }
    return len(set(ids) - done)


def line(name: str, res: dict[str, Any], seconds: float) -> None:
    lat = res["latency"]
    print(
        f"{name:<44} {len(lat):>7,} req {len(lat) / seconds:>7.1f}/s  p50 {pct(lat, 50):>7.1f} ms"
        f"  p95 {pct(lat, 95):>7.1f} ms  p99 {pct(lat, 99):>7.1f} ms  errors {len(res['errors'])}"
    )


def timeline(res: dict[str, Any], step: float) -> None:
    """p95 of the reads that started in each ``step`` seconds (where the slow ones cluster)."""
    slots: dict[int, list[float]] = {}
    for at, ms in zip(res["at"], res["latency"], strict=True):
        slots.setdefault(int(at // step), []).append(ms)
    print("    p95 by " + f"{step:.0f} s: " + " ".join(f"{pct(v, 95):.0f}" for _k, v in sorted(slots.items())))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--readers", type=int, default=200)
    ap.add_argument("--writers", type=int, default=10)
    ap.add_argument("--orgs", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--think-ms", type=float, default=0.0, help="pause of each reader between requests")
    ap.add_argument("--timeline", type=float, default=0.0, help="also print the read p95 of every N seconds")
    ap.add_argument("--strict-reads", action="store_true",
                    help="serve without --stale-reads: every read after a write waits for a fresh copy")
    args = ap.parse_args()

    from kizuna.demo.build import build_demo
    from kizuna.shared import devcluster, pg

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        build_demo(tmpdir / "demo.duckdb", tmpdir / "inputs")
        ledger = tmpdir / "inputs" / "coordinate" / "ledger"
        iati = sorted(ledger.glob("iati-*.xml"))
        sheet = ledger / "kaltara-3w.csv"
        cluster = devcluster.start_cluster()
        try:
            with pg.connect(cluster.url(), autocommit=True) as con:
                con.execute("CREATE DATABASE kizuna_bench")
            url = cluster.url("kizuna_bench")
            tokens = setup_accounts(url, args.orgs)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            options = ["--database", url, "--data-dir", str(tmpdir / "server")]
            proc = serve(options + ([] if args.strict_reads else ["--stale-reads"]), port)
            try:
                wait_up(base, proc)
                t0 = time.perf_counter()
                with httpx.Client(base_url=base, timeout=300) as client:
                    for k, token in enumerate(tokens):
                        first = iati[k % len(iati)]
                        ticket = upload(client, token, first, "iati", f"org{k}-{first.name}")
                        job = wait_job(client, token, int(ticket["job_id"]))
                        assert job["status"] == "done", job
                    for token in tokens:  # each organisation's first view (its analytical copy) built once
                        client.get("/", headers={"Authorization": f"Bearer {token}"})
                print(f"set-up: {args.orgs} organisations, one SYNTHETIC demo IATI file each, "
                      f"in {time.perf_counter() - t0:.1f} s")
                print(f"machine: {os.cpu_count()} cores; {args.readers} readers (think {args.think_ms:.0f} ms),"
                      f" {args.writers} writers, {args.seconds:.0f} s\n")
                urls = ["/", "/api/v1/activities?limit=50"]
                c0 = cpu_seconds(proc.pid)
                seen: set[int] = set()
                k0 = child_cpu(proc.pid, seen)
                folder = tmpdir / "uploads"
                folder.mkdir()
                import concurrent.futures

                with concurrent.futures.ThreadPoolExecutor(2) as pool:
                    wfut = pool.submit(writers, base, tokens, sheet, args.writers, args.seconds, folder)
                    # the last organisation's view: every writer but one uploads for another organisation
                    ofut = pool.submit(observe, base, tokens[-1], args.seconds, 30.0)
                    auth = [f"Authorization: Bearer {token}\r\n" for token in tokens]
                    rres = asyncio.run(load(base, urls, args.readers, args.seconds, auth, args.think_ms / 1000))
                    wres = wfut.result()
                    cpu = cpu_seconds(proc.pid) - c0  # before the observer's grace period
                    k1 = child_cpu(proc.pid, seen)
                    seen_at = ofut.result()
                kids = sum(v - k0.get(p, 0.0) for p, v in k1.items())
                line("PostgreSQL mode: reads", rres, args.seconds)
                if args.timeline:
                    timeline(rres, args.timeline)
                line("PostgreSQL mode: writes (upload + job)", wres, args.seconds)
                lost = lost_writes(url, wres["accepted"])
                per_read = cpu * 1000 / max(1, len(rres["latency"]))
                print(f"    accepted uploads {len(wres['accepted'])}, lost writes {lost};"
                      f" server process CPU {per_read:.2f} ms per read; its children (jobs, copy builds)"
                      f" {kids:.1f} s CPU in all; peak RSS {peak_rss_mib(proc.pid):.0f} MiB")
                print(freshness(wres["done_at"], seen_at))
            finally:
                proc.terminate()
                proc.wait(30)
        finally:
            cluster.remove()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = serve(["--workspace", str(tmpdir / "demo.duckdb")], port)
        try:
            wait_up(base, proc, "/api/v1")
            c0 = cpu_seconds(proc.pid)
            dres = asyncio.run(load(base, ["/", "/api/v1/activities?limit=50"], args.readers, args.seconds,
                                    None, args.think_ms / 1000))
            line("DuckDB mode (one analyst): reads", dres, args.seconds)
            print(f"    server CPU {(cpu_seconds(proc.pid) - c0) * 1000 / max(1, len(dres['latency'])):.2f} ms"
                  f" per read; peak RSS {peak_rss_mib(proc.pid):.0f} MiB")
        finally:
            proc.terminate()
            proc.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
