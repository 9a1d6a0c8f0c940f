"""Benchmark: ``kizuna fetch`` of a country (download over loopback + ingest) against ingesting the same
files from disk, in the same run.

A local stand-in of the IATI Datastore (``benchmarks/fake_iati_api.py``, in its own process, so its memory
is not counted) serves N generated activities of one country (realistic IATI 2.03 activities of about
5 KB: a description, three participating organisations, two sectors, two budgets, six transactions), paged
1,000 per request as the real API does. Side by side, each in its own child process (so peak RSS is its
own), each into a fresh workspace:

* **fetch**: ``kizuna.ledger.fetch.fetch`` (what ``kizuna fetch`` runs) into an empty cache: every page
  asked for, written as IATI XML, then ingested (provenance recorded). Politeness off
  (``min_interval=0``): the pause between requests is a courtesy to a public service, not work; with
  the default 1 s it adds (pages - 1) s, printed below.
* **disk**: ``kizuna.ledger.ingest.ingest_paths`` of the very page files the fetch wrote (the baseline:
  the same bytes, already on disk). It reads each file to hash it, as ``kizuna ingest`` does; the fetch
  hands the ingest the hashes it took as it wrote the files.

The fetch overhead is (fetch - disk) / disk, in wall time (medians of alternating runs) and in CPU
seconds of each side's process and parse workers (which hardly move when other work shares the
machine; the stand-in server's CPU is given apart). Peak memory is given as the child's RSS, and as the
proportional set size of the child with its parse workers, sampled every 20 ms in one extra run whose
time is not counted (as ``benchmarks/ingest.py`` does).

Usage: ``python3 benchmarks/fetch.py [--activities 20000] [--repeat 5]``. Scratch files go to
benchmarks/_data/ (ignored by git).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ingest import SAMPLER  # benchmarks/ingest.py, beside this script: the PSS sampler of the ingest benchmark

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "_data" / "fetch"

# CPU seconds of the timed work: this process (all its threads) plus the parse workers, which the
# fork server reaps (read from its /proc stat, as benchmarks/ingest_breakdown.py does). Unlike wall time,
# it hardly moves when other work shares the machine.
CPU = """
import os, time
from multiprocessing import forkserver

def tree_cpu(c0):
    time.sleep(0.3)  # let the fork server reap the last workers
    own = time.process_time() - c0
    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if not pid:
        return own
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return own + sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
"""

CHILD = {
    "fetch": SAMPLER
    + CPU
    + """
import resource, sys, time, tempfile, shutil
from pathlib import Path
from kizuna.workspace import open_workspace
from kizuna.ledger import fetch as f

url, keep = sys.argv[1], sys.argv[2]
if sys.argv[3:] == ["--sample"]:
    threading.Thread(target=sample, daemon=True).start()
with tempfile.TemporaryDirectory() as d:
    options = f.FetchOptions(cache_dir=Path(d) / "cache", datastore_url=url, min_interval=0.0)
    ws = open_workspace(Path(d) / "bench.duckdb")
    ws.con.execute("SET threads TO 2")
    last = [0.0]
    c0 = time.process_time()
    t = time.perf_counter()
    def on_progress(*a):
        last[0] = time.perf_counter()
    result = f.fetch(ws, options, f.Selection(country="SS"), on_progress=on_progress)
    dt = time.perf_counter() - t
    t_down = last[0] - t  # the last page written (the ingest runs alongside the download)
    cpu = tree_cpu(c0)
    fetched = result.fetched
    acts = ws.scalar("SELECT count(*) FROM activities")
    ws.close()
    if keep != "-":
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(fetched.folder, keep)
done.set()
print({"seconds": dt, "download": t_down, "cpu": cpu, "activities": acts, "requests": fetched.requests,
       "pages": len(fetched.files), "mb": fetched.bytes / 1e6,  # pages: the files written
       "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "tree_mb": peak[0] / 1024 or None})
""",
    "disk": SAMPLER
    + CPU
    + """
import resource, sys, time, tempfile
from pathlib import Path
from kizuna.workspace import open_workspace
from kizuna.ledger.ingest import ingest_paths

folder = Path(sys.argv[1])
if sys.argv[3:] == ["--sample"]:
    threading.Thread(target=sample, daemon=True).start()
files = sorted(folder.glob("page-*.xml"))
with tempfile.TemporaryDirectory() as d:
    ws = open_workspace(Path(d) / "bench.duckdb")
    ws.con.execute("SET threads TO 2")
    c0 = time.process_time()
    t = time.perf_counter()
    s = ingest_paths(ws, files)
    dt = time.perf_counter() - t
    cpu = tree_cpu(c0)
    acts = ws.scalar("SELECT count(*) FROM activities")
    ws.close()
done.set()
print({"seconds": dt, "cpu": cpu, "activities": acts, "mb": sum(p.stat().st_size for p in files) / 1e6,
       "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "tree_mb": peak[0] / 1024 or None})
""",
}


def run_child(name: str, *args: str, sample: bool = False) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", CHILD[name], *args, *(["--sample"] if sample else [])],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{name} failed: {out.stderr[-3000:]}")
    return eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 - our own child's dict literal


def proc_cpu(pid: int) -> float:
    """CPU seconds a process has used so far (from /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(n: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "fake_iati_api.py"), "--generate", str(n), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "fake IATI Datastore: http://127.0.0.1:PORT/datastore (N activities)"
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"the fake Datastore did not start: {line!r}")
    return proc, line.split()[3]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--activities", type=int, default=20_000, help="activities in the country")
    ap.add_argument("--repeat", type=int, default=5, help="runs per side; medians are reported")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    t = time.perf_counter()
    server, url = start_server(args.activities)
    print(f"fake Datastore: {url}, {args.activities} generated activities (started in {time.perf_counter() - t:.1f} s)")
    pages = DATA / "pages"
    try:
        DATA.mkdir(parents=True, exist_ok=True)
        # A first fetch, not counted, leaves its pages for the disk side and has the stand-in build its
        # answers (a real Datastore's work is not on this machine's cores); then the two sides
        # alternate, so that a busy machine's noise falls on both alike.
        run_child("fetch", url, str(pages))
        fetch_runs, disk_runs, server_cpu = [], [], []
        for _ in range(args.repeat):
            before = proc_cpu(server.pid)
            fetch_runs.append(run_child("fetch", url, "-"))
            server_cpu.append(proc_cpu(server.pid) - before)
            disk_runs.append(run_child("disk", str(pages), "-"))
        fetch_sampled = run_child("fetch", url, "-", sample=True)
        disk_sampled = run_child("disk", str(pages), "-", sample=True)
    finally:
        server.terminate()
        server.wait()
    for r in fetch_runs + disk_runs:
        assert r["activities"] == args.activities, r
    fx = statistics.median(r["seconds"] for r in fetch_runs)
    down = statistics.median(r["download"] for r in fetch_runs)
    dx = statistics.median(r["seconds"] for r in disk_runs)
    f0 = fetch_runs[0]
    print(
        f"\ninput: {args.activities} activities, {f0['requests']} requests of 1,000 (pages), {f0['pages']} files, "
        f"{f0['mb']:.1f} MB of JSON over loopback, {disk_runs[0]['mb']:.1f} MB of IATI XML written"
    )
    runs = ", ".join(f"{r['seconds']:.2f}" for r in fetch_runs)
    print(f"  fetch + ingest  median {fx:6.2f} s (last page in at {down:.2f} s; ingest alongside)  (runs: {runs})")
    runs = ", ".join(f"{r['seconds']:.2f}" for r in disk_runs)
    print(f"  ingest from disk median {dx:6.2f} s  (runs: {runs})")
    print(
        f"  fetch overhead = {(fx - dx) / dx * 100:.1f} % of the ingest time (target < 20 %);"
        f" fetch / disk = {fx / dx:.2f}x"
    )
    rss = max(r["rss_mb"] for r in [*fetch_runs, fetch_sampled])
    print(
        f"  peak memory, fetch: RSS {rss:.0f} MB, with its parse workers (PSS) {fetch_sampled['tree_mb']:.0f} MB; "
        f"ingest from disk: RSS {max(r['rss_mb'] for r in [*disk_runs, disk_sampled]):.0f} MB, "
        f"PSS {disk_sampled['tree_mb']:.0f} MB (target < 500 MB)"
    )
    fc = statistics.median(r["cpu"] for r in fetch_runs)
    dc = statistics.median(r["cpu"] for r in disk_runs)
    print(
        f"  CPU (process and parse workers), medians: fetch + ingest {fc:.2f} s, ingest from disk {dc:.2f} s:"
        f" the fetch adds {(fc - dc) / dc * 100:.1f} %; the stand-in server used {statistics.median(server_cpu):.2f} s"
    )
    print(f"  with the default --min-interval 1 s the run waits {f0['requests'] - 1} s more between requests")
    shutil.rmtree(pages, ignore_errors=True)


if __name__ == "__main__":
    main()
