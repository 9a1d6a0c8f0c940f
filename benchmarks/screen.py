"""Benchmark: events within 25 km and the last 12 months of 1,000 sites among 1,000,000 events.

Ours: ``kizuna.screen.geo.PointIndex`` (latitude-sorted prefilter, longitude and time windows, exact
haversine). Baseline: brute-force numpy haversine of every site against every event, then the same
distance and time masks. Both sides run in their own subprocess (peak RSS measured per child with
``os.wait4``) on the same synthetic data (fixed seed) and must return identical counts.

    python3 benchmarks/screen.py            # 1,000 sites x 1,000,000 events
    python3 benchmarks/screen.py --quick    # 100 sites x 100,000 events

Targets (issue 5): query time after the index is built <= 2 s, >= 50x the baseline, peak RSS < 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from child import run_side

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

RADIUS_KM = 25.0
DAYS = 3 * 365  # events spread over three years
WINDOW = (DAYS - 365 + 1, DAYS)  # the last 12 months (365 days) before "as of" = day DAYS


def make_data(n_events: int, n_sites: int):
    """Uniform events over lon 22-38, lat 3-23 (about Sudan/South Sudan, as in reference/screening.md)."""
    rng = np.random.default_rng(20261124)
    lat = rng.uniform(3.0, 23.0, n_events)
    lon = rng.uniform(22.0, 38.0, n_events)
    t = rng.integers(1, DAYS + 1, n_events)
    slat = rng.uniform(3.0, 23.0, n_sites)
    slon = rng.uniform(22.0, 38.0, n_sites)
    return lat, lon, t, slat, slon


def side_index(n_events: int, n_sites: int, repeats: int) -> dict:
    from kizuna.screen.geo import PointIndex

    lat, lon, t, slat, slon = make_data(n_events, n_sites)
    t0 = time.perf_counter()
    ix = PointIndex(lat, lon, t)
    build = time.perf_counter() - t0
    times = []
    counts = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        counts = ix.count_within(slat, slon, RADIUS_KM, WINDOW[0], WINDOW[1])
        times.append(time.perf_counter() - t0)
    return {
        "build_s": build,
        "query_s": times,
        "total": int(counts.sum()),
        "checksum": int((counts * np.arange(1, n_sites + 1)).sum()),
    }


def side_brute(n_events: int, n_sites: int, repeats: int) -> dict:
    from kizuna.screen.geo import haversine_km

    lat, lon, t, slat, slon = make_data(n_events, n_sites)
    in_window = (t >= WINDOW[0]) & (t <= WINDOW[1])
    times = []
    counts = np.empty(n_sites, dtype=np.int64)
    for _ in range(repeats):
        t0 = time.perf_counter()
        for k in range(n_sites):
            d = haversine_km(slat[k], slon[k], lat, lon)
            counts[k] = int(np.count_nonzero((d <= RADIUS_KM) & in_window))
        times.append(time.perf_counter() - t0)
    return {
        "build_s": 0.0,
        "query_s": times,
        "total": int(counts.sum()),
        "checksum": int((counts * np.arange(1, n_sites + 1)).sum()),
    }


def run_child(side: str, n_events: int, n_sites: int, repeats: int) -> dict:
    """Run one side in a fresh interpreter; return its figures plus its own peak RSS (MiB)."""
    return run_side(
        [
            sys.executable,
            __file__,
            "--side",
            side,
            "--events",
            str(n_events),
            "--sites",
            str(n_sites),
            "--repeats",
            str(repeats),
        ],
        side,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--side", choices=["index", "brute"])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--sites", type=int, default=1_000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    if a.side:
        fn = side_index if a.side == "index" else side_brute
        print(json.dumps(fn(a.events, a.sites, a.repeats)))
        return
    n_events, n_sites = (100_000, 100) if a.quick else (a.events, a.sites)
    ours = run_child("index", n_events, n_sites, a.repeats)
    base = run_child("brute", n_events, n_sites, 1)
    if (ours["total"], ours["checksum"]) != (base["total"], base["checksum"]):
        raise SystemExit(f"counts differ: index {ours['total']} vs brute force {base['total']}")
    q = statistics.median(ours["query_s"])
    b = statistics.median(base["query_s"])
    print(
        f"{n_sites:,} sites x {n_events:,} events, {RADIUS_KM:g} km, last 12 months "
        f"(pairs found: {ours['total']:,}, identical on both sides)"
    )
    print(f"  index build           {ours['build_s']:.3f} s")
    print(
        f"  index query (median of {len(ours['query_s'])}) {q:.3f} s   runs: "
        + ", ".join(f"{x:.3f}" for x in ours["query_s"])
    )
    print(f"  brute-force haversine {b:.3f} s")
    print(f"  ratio (brute / index query) {b / q:.0f}x; including the build {b / (q + ours['build_s']):.0f}x")
    print(f"  peak RSS: index side {ours['peak_rss_mib']:.0f} MiB, brute-force side {base['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
