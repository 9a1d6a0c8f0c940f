"""Where an ingest's time goes: phases on the clock, and CPU by process (main, fork server, workers).

Companion to ``benchmarks/ingest.py`` for the "faster than iatikit" target of issue 2. It ingests the
same generated input (built by that benchmark) into a fresh workspace and prints, per run:

* wall-clock marks: hash done, first and last chunk back from the workers, the inserts, the flows,
  double counting, the commit;
* CPU seconds of the main process (all its threads, DuckDB's included), of the workers' fork server,
  and of the workers (read from the fork server's ``cutime``/``cstime`` once it has reaped them);
* the lower bound that CPU puts on the wall time: total CPU / cores.

``--without-flows`` skips deriving the USD flows (a diagnostic, not a product mode: the flows are
part of an ingest) to show what parsing and loading alone cost.

The workers' fork server starts with the first run and serves the later ones (in
``benchmarks/ingest.py`` every run is a new process and pays for it): compare "first chunk back".

Usage: ``python3 benchmarks/ingest_breakdown.py [--size 200] [--layout file|folder] [--runs 3] [--without-flows]``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import kizuna.ledger.chunks as chunks  # noqa: E402
import kizuna.ledger.ingest as ingest  # noqa: E402
import kizuna.workspace as workspace  # noqa: E402
from kizuna.ledger import money  # noqa: E402

_bench = importlib.import_module("ingest")  # benchmarks/ingest.py: the same inputs
build_input, build_folder = _bench.build_input, _bench.build_folder

MARKS: list[tuple[str, float]] = []
T0 = [0.0]


def mark(name: str) -> None:
    MARKS.append((name, time.perf_counter() - T0[0]))


def timed(module: Any, name: str, label: str) -> None:
    """Wrap ``module.name`` to mark its start and end."""
    f: Callable[..., Any] = getattr(module, name)

    def wrapper(*a: Any, **k: Any) -> Any:
        mark(f"{label} starts")
        try:
            return f(*a, **k)
        finally:
            mark(f"{label} ends")

    setattr(module, name, wrapper)


def instrument(without_flows: bool) -> None:
    timed(ingest, "file_sha256", "sha256")
    timed(ingest, "flush_files", "insert")
    timed(money, "mark_double_counting", "double counting")
    if without_flows:
        money.build_flows = lambda *a, **k: []
    else:
        timed(money, "build_flows", "flows")
    parse_iter = chunks.ParallelParse.__iter__

    def results(self: Any) -> Any:
        n = 0
        for r in parse_iter(self):
            n += 1
            if n == 1:
                mark("first chunk back")
            yield r
        mark(f"last chunk back ({n} chunks)")

    chunks.ParallelParse.__iter__ = results  # type: ignore[method-assign]
    transaction = workspace.Workspace.transaction

    @contextmanager
    def tx(self: Any) -> Any:
        with transaction(self) as con:
            yield con
            mark("commit starts")
        mark("commit ends")

    workspace.Workspace.transaction = tx  # type: ignore[method-assign]


def proc_cpu(pid: int) -> tuple[float, float]:
    """(own, reaped children's) CPU seconds of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tck, (int(fields[13]) + int(fields[14])) / tck


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=200, help="input size in MB (as in benchmarks/ingest.py)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--layout", choices=["file", "folder"], default="file", help="as in benchmarks/ingest.py")
    ap.add_argument("--without-flows", action="store_true", help="skip the USD flows (diagnostic only)")
    args = ap.parse_args()
    path, _, _ = build_input(args.size) if args.layout == "file" else build_folder(args.size)
    instrument(args.without_flows)
    from multiprocessing import forkserver

    walls, cpus = [], []
    fs_before = (0.0, 0.0)
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as d:
            ws = workspace.open_workspace(Path(d) / "b.duckdb")
            ws.con.execute("SET threads TO 2")  # as benchmarks/ingest.py
            MARKS.clear()
            c0 = time.process_time()
            T0[0] = time.perf_counter()
            ingest.ingest_paths(ws, [path])
            wall = time.perf_counter() - T0[0]
            main_cpu = time.process_time() - c0
            ws.close()
        time.sleep(0.3)  # let the fork server reap the workers
        fs = proc_cpu(forkserver._forkserver._forkserver_pid)  # type: ignore[attr-defined]
        server, workers = fs[0] - fs_before[0], fs[1] - fs_before[1]
        fs_before = fs
        total = main_cpu + server + workers
        walls.append(wall)
        cpus.append(total)
        print(f"\nrun {run + 1}: {wall:.2f} s wall")
        for name, t in MARKS:
            print(f"  {t:6.3f} s  {name}")
        print(
            f"  CPU: main {main_cpu:.2f} s, fork server {server:.2f} s, workers {workers:.2f} s; "
            f"total {total:.2f} s -> at least {total / (os.cpu_count() or 1):.2f} s of wall on "
            f"{os.cpu_count()} cores"
        )
    print(
        f"\nmedian wall {statistics.median(walls):.2f} s; median CPU {statistics.median(cpus):.2f} core-seconds"
        + (" (flows skipped)" if args.without_flows else "")
    )


if __name__ == "__main__":
    main()
