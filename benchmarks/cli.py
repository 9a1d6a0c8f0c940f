"""Benchmark: how long ``kizuna`` takes to start, against Python itself and against importing DuckDB + Polars.

Cases, each a fresh process, run round-robin (one of each per round, so a busy spell of the shared
machine hits every case alike), N rounds:

* ``python3 -c pass`` — the floor: an interpreter that does nothing;
* ``python3 -c "import duckdb, polars"`` — the named baseline: what the two heavy libraries cost;
* ``kizuna --version`` and ``kizuna --help`` — need no data library at all;
* ``kizuna sources`` on the SYNTHETIC demo workspace (built first in a temporary folder with
  ``kizuna demo --no-serve``) — a real command: DuckDB, the query and a Rich table.

``kizuna`` runs as ``python3 -m kizuna`` with this checkout's ``src`` first on ``PYTHONPATH`` (what
the console script runs, without a pyenv shim's own start-up). ``--compare SRC`` adds the same three
kizuna cases run from another checkout's ``src`` folder (e.g. the commit before a change, exported with
``git archive``) to the same rounds.

Printed per case, for wall time and again for CPU time (user + system of the child: on a shared,
loaded machine wall time measures the queue as much as the program; CPU time is close to what wall
time is on a quiet one): median and min over the rounds, the median's ratio to the floor and to the
duckdb+polars import, the median above the floor, and the peak RSS of that process alone (``ru_maxrss``
of the child from ``os.wait4``).

    python3 benchmarks/cli.py                 # 15 rounds
    python3 benchmarks/cli.py --runs 7
    python3 benchmarks/cli.py --compare /tmp/before/src

Targets (issue 13): ``--version`` and ``--help`` within 0.2 s median, ``sources`` on the demo
workspace within 1.0 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = "python3 -c pass"
BASELINE = "import duckdb, polars"
TARGETS = {"kizuna --version": 0.2, "kizuna --help": 0.2, "kizuna sources": 1.0}


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:  # run it again to show why
        err = subprocess.run(argv, env=env, capture_output=True, text=True).stderr
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0  # Linux reports KiB


def kizuna_env(src: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KIZUNA_LANG", "KIZUNA_WORKSPACE", "PYTHONPATH")}
    env["PYTHONPATH"] = str(src)
    env["COLUMNS"] = "100"  # --help renders the same width in a pipe as in a terminal
    return env


def build_demo(folder: Path, src: Path) -> Path:
    workspace = folder / "kizuna.duckdb"
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kizuna",
            "demo",
            "--no-serve",
            "--workspace",
            str(workspace),
            "--inputs",
            str(folder / "inputs"),
        ],
        env=kizuna_env(src),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"demo workspace built in {time.perf_counter() - t0:.1f} s: {workspace}")
    return workspace


def cases(src: Path, workspace: Path, tag: str = "") -> list[tuple[str, list[str], dict[str, str]]]:
    k = [sys.executable, "-m", "kizuna"]
    env = kizuna_env(src)
    return [
        (f"kizuna --version{tag}", [*k, "--version"], env),
        (f"kizuna --help{tag}", [*k, "--help"], env),
        (f"kizuna sources{tag}", [*k, "sources", "--workspace", str(workspace)], env),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=15, help="rounds (each case once per round); at least 7")
    ap.add_argument("--compare", type=Path, help="another checkout's src folder, run in the same rounds")
    args = ap.parse_args()
    if args.runs < 7:
        ap.error("--runs must be at least 7 (medians of fewer runs are noise on a shared machine)")
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with tempfile.TemporaryDirectory(prefix="kizuna-cli-bench-") as tmp:
        workspace = build_demo(Path(tmp), ROOT / "src")
        todo = [
            (FLOOR, [sys.executable, "-c", "pass"], clean),
            (BASELINE, [sys.executable, "-c", BASELINE], clean),
            *cases(ROOT / "src", workspace),
        ]
        if args.compare:
            todo += cases(args.compare.resolve(), workspace, tag=" (compare)")
        times: dict[str, list[float]] = {name: [] for name, _, _ in todo}
        cpu: dict[str, list[float]] = {name: [] for name, _, _ in todo}
        rss: dict[str, float] = {name: 0.0 for name, _, _ in todo}
        for _name, argv, env in todo:  # one warm-up each: the page cache and .pyc files, not timed
            run_once(argv, env)
        for _ in range(args.runs):
            for name, argv, env in todo:
                seconds, cpu_seconds, peak = run_once(argv, env)
                times[name].append(seconds)
                cpu[name].append(cpu_seconds)
                rss[name] = max(rss[name], peak)
    load = os.getloadavg()
    print(
        f"\n{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
        f"{args.runs} rounds, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    report("wall time", times, rss, "")
    report("CPU time (user + system; about what wall time is on a quiet machine)", cpu, rss, "estimate ")


def report(what: str, seconds: dict[str, list[float]], rss: dict[str, float], prefix: str) -> None:
    floor = statistics.median(seconds[FLOOR])
    base = statistics.median(seconds[BASELINE])
    print(f"\n{what}")
    print(
        f"{'case':34} {'median s':>9} {'min s':>7} {'x floor':>8} {'x duckdb+polars':>16} "
        f"{'above floor s':>14} {'peak RSS MiB':>13}  target"
    )
    for name, values in seconds.items():
        med = statistics.median(values)
        target = TARGETS.get(name)
        verdict = "" if target is None else f"{prefix}<= {target} s: {'met' if med <= target else 'NOT met'}"
        print(
            f"{name:34} {med:9.3f} {min(values):7.3f} {med / floor:8.2f} {med / base:16.2f} "
            f"{med - floor:14.3f} {rss[name]:13.1f}  {verdict}"
        )


if __name__ == "__main__":
    main()
