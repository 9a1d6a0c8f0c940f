"""Benchmark: the AF engine (numpy, sparse PSU sums) vs a straightforward pandas groupby
implementation of the same estimates, in one run.

Workload: 1,000,000 persons × 10 indicators (0/1), 200 strata × 10 PSUs, unequal weights, one
subgroup variable with three groups; at k = 33 every measure with its linearised SE for the whole
population and each group: M0, H, A and hd, hdk, actb, pctb per indicator (4 × 43 = 172 estimates).

Each side runs in its own spawned process (time and peak RSS of that process alone, data
generation included in RSS but not in time); the estimates of both sides are compared.

    python3 benchmarks/af.py            # 1,000,000 rows, median of 3 runs per side
    python3 benchmarks/af.py --quick    # 100,000 rows, 1 run
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

D = 10
N_STRATA = 200
PSU_PER_STRATUM = 10
K = 33.0
SEED = 11


def make_data(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    strata = rng.integers(0, N_STRATA, n)
    psu = strata * PSU_PER_STRATUM + rng.integers(0, PSU_PER_STRATUM, n)
    latent = rng.normal(0, 1, n) + rng.normal(0, 0.5, N_STRATA * PSU_PER_STRATUM)[psu]
    g0 = (rng.random((n, D)) < 1 / (1 + np.exp(-(latent[:, None] - 0.8)))).astype(np.float64)
    return {
        "g0": g0,
        "w": rng.uniform(0.5, 2.0, n),
        "strata": strata,
        "psu": psu,
        "group": rng.integers(0, 3, n),
    }


WEIGHTS = np.array([1 / 6] * 4 + [1 / 18] * 6)


def ours(data: dict[str, np.ndarray]) -> dict[tuple, tuple[float, float]]:
    from kizuna.measure.af import AFData, Grouping, estimate
    from kizuna.measure.design import make_design

    design = make_design(data["w"], data["strata"], data["psu"])
    af = AFData(
        data["g0"],
        [f"i{j}" for j in range(D)],
        WEIGHTS,
        design,
        groupings=[Grouping("group", data["group"], ["0", "1", "2"])],
    )
    t = estimate(af, [K], change_measures=()).table
    return {(r["group"], r["measure"], r["indicator"]): (r["b"], r["se"]) for r in t.iter_rows(named=True)}


def baseline(data: dict[str, np.ndarray]) -> dict[tuple, tuple[float, float]]:
    """The same estimates the way a pandas user would write them: per domain, a frame of the
    linearised values of all 43 ratios, one groupby-sum to PSUs, then per-stratum centring."""
    import pandas as pd

    cols = [f"i{j}" for j in range(D)]
    df = pd.DataFrame(data["g0"], columns=cols)
    df["w"], df["stratum"], df["psu"], df["group"] = data["w"], data["strata"], data["psu"], data["group"]
    df["c"] = (df[cols] * WEIGHTS).sum(axis=1)
    df["poor"] = (df["c"] >= K / 100 - 1e-9).astype(float)
    df["ck"] = df["c"] * df["poor"]
    psu_stratum = df.groupby("psu")["stratum"].first()
    out: dict[tuple, tuple[float, float]] = {}
    domains = {"all": pd.Series(True, index=df.index)} | {str(g): df["group"] == g for g in range(3)}
    for name, mask in domains.items():
        wm = df["w"] * mask
        specs = {
            ("H", None): (df["poor"], 1.0),
            ("M0", None): (df["ck"], 1.0),
            ("A", None): (df["ck"], df["poor"]),
        }
        for j, c in enumerate(cols):
            specs[("hd", c)] = (df[c], 1.0)
            specs[("hdk", c)] = (df[c] * df["poor"], 1.0)
            specs[("actb", c)] = (WEIGHTS[j] * df[c] * df["poor"], 1.0)
            specs[("pctb", c)] = (WEIGHTS[j] * df[c] * df["poor"], df["ck"])
        z = {}
        est = {}
        for key, (y, x) in specs.items():
            den = (wm * x).sum()
            b = (wm * y).sum() / den
            z[key] = wm * (y - b * x) / den
            est[key] = b
        zdf = pd.DataFrame(z)
        zdf.columns = range(len(z))
        zp = zdf.groupby(df["psu"]).sum()
        strat = psu_stratum.loc[zp.index].to_numpy()
        g = zp.groupby(strat)
        nh = g.size()
        dev = zp - g.transform("mean")
        ss = (dev**2).groupby(strat).sum()
        factor = (nh / (nh - 1)).replace(np.inf, 0.0)
        var = ss.mul(factor, axis=0).sum()
        for i, key in enumerate(specs):
            out[(name, key[0], key[1])] = (float(est[key]), float(np.sqrt(var[i])))
    return out


def _child(side: str, n: int, q) -> None:
    data = make_data(n)
    # imports are not part of the timed work
    if side == "ours":
        import kizuna.measure.af  # noqa: F401
    else:
        import pandas  # noqa: F401
    fn = ours if side == "ours" else baseline
    t0 = time.perf_counter()
    res = fn(data)
    elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    q.put((elapsed, rss, res))


def run_side(side: str, n: int) -> tuple[float, float, dict]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(side, n, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100,000 rows, one run per side")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    n = 100_000 if args.quick else 1_000_000
    runs = 1 if args.quick else args.runs
    print(
        f"AF benchmark: {n:,} rows × {D} indicators, {N_STRATA} strata × {PSU_PER_STRATUM} PSUs, "
        f"3 subgroups, k = {K:g}; {platform.processor() or platform.machine()}, "
        f"{mp.cpu_count()} cores, Python {platform.python_version()}"
    )
    times: dict[str, list[float]] = {"ours": [], "pandas": []}
    rss: dict[str, float] = {"ours": 0.0, "pandas": 0.0}
    results: dict[str, dict] = {}
    for _ in range(runs):
        for side in ("ours", "pandas"):
            t, r, res = run_side(side, n)
            times[side].append(t)
            rss[side] = max(rss[side], r)
            results[side] = res
    a, b = results["ours"], results["pandas"]
    keys = [k for k in a if k in b]
    db = max(abs(a[k][0] - b[k][0]) for k in keys)
    dse = max(abs(a[k][1] - b[k][1]) for k in keys)
    med = {s: statistics.median(v) for s, v in times.items()}
    print(f"estimates compared: {len(keys)} (of {len(a)}); max |Δb| = {db:.2e}, max |Δse| = {dse:.2e}")
    for s in ("ours", "pandas"):
        print(
            f"{s:>7}: median {med[s]:.3f} s  runs {', '.join(f'{t:.3f}' for t in times[s])}  peak RSS {rss[s]:.0f} MiB"
        )
    ratio = med["pandas"] / med["ours"]
    paired = [b / a for a, b in zip(times["ours"], times["pandas"], strict=True)]
    print(
        f"speed-up (pandas / ours): {ratio:.1f}× on medians; per run (paired) "
        f"{', '.join(f'{x:.1f}×' for x in paired)}, median {statistics.median(paired):.1f}×"
    )
    if not args.quick:
        ok = med["ours"] <= 5.0 and ratio >= 5.0 and rss["ours"] < 2048
        print("targets (≤ 5 s, ≥ 5× baseline, peak RSS < 2 GB):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
