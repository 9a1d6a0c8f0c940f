"""Benchmark: progress toward target and the roll-up across agencies of 1,000,000 indicator-period rows.

Ours: ``kizuna.track.progress.progress`` (every period's change, progress and status, missing actuals)
then ``kizuna.track.progress.rollup`` (sums per shared reference code, unit and year, and the list of what
is left out with its reason), on a Polars frame of text values as the store hands them over.
Baseline: a straightforward pandas version of the same computation (``pd.to_numeric``, ``np.select`` for the
status, a ``groupby`` for the mixed-unit check and the sums). Both sides run in their own subprocess (peak RSS
per child with ``os.wait4``) on the same synthetic rows (fixed seed) and must agree: the same status counts,
the same number of missing actuals and the same roll-up sums (to 1e-6).

    python3 benchmarks/track_rollup.py            # 1,000,000 rows
    python3 benchmarks/track_rollup.py --quick    # 100,000 rows

Target (issue 14): roll-up of 1,000,000 indicator-period rows within 5 s; peak memory printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from child import run_side

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

AS_OF = date(2026, 1, 1)
MEASURES = np.array(["unit", "unit", "unit", "percentage", "ratio", "ordinal", "qualitative"])
UNITS = np.array(["people", "people", "people", "households", "km"])


def make_data(n: int) -> dict[str, np.ndarray]:
    """Synthetic indicator periods: 200 organisations, 5,000 reference codes, quarters 2023-2026, text
    values with some blanks and a few non-numeric ones, as the store hands them over."""
    rng = np.random.default_rng(20261201)
    org = rng.integers(0, 200, n)
    code = rng.integers(0, 5000, n)
    measure = MEASURES[rng.integers(0, MEASURES.size, n)]
    unit = np.where(code % 50 == 0, UNITS[rng.integers(0, UNITS.size, n)], "people")
    quarter = rng.integers(0, 16, n)
    year = 2023 + quarter // 4
    month_end = 3 * (quarter % 4 + 1)
    ends = np.array([f"{y}-{m:02d}-28" for y, m in zip(year, month_end, strict=True)], dtype="datetime64[D]")
    asc = code % 5 != 0  # an indicator's direction is its own: a reference code points one way
    base = np.round(rng.uniform(0, 100, n), 1)
    target = np.where(asc, base + rng.uniform(-5, 200, n), base - rng.uniform(-5, 50, n)).round(1)
    actual = np.where(asc, base + rng.uniform(-20, 250, n), base - rng.uniform(-20, 60, n)).round(1)

    def text(values: np.ndarray, blank: float) -> np.ndarray:
        out = values.astype(str).astype(object)
        out[rng.random(n) < blank] = None
        return out

    baseline_t, target_t, actual_t = text(base, 0.1), text(target, 0.05), text(actual, 0.15)
    qual = measure == "qualitative"
    actual_t[qual & (rng.random(n) < 0.5)] = "better"
    vocab = np.where(code % 97 == 0, "99", "1").astype(object)
    vocab[code % 31 == 0] = None
    return {
        "source": np.full(n, "table", dtype=object),
        "org": np.char.add("org-", org.astype(str)).astype(object),
        "activity_id": np.char.add("act-", (org * 100 + code % 100).astype(str)).astype(object),
        "activity_title": np.full(n, None, dtype=object),
        "indicator_key": np.char.add(np.char.add(org.astype(str), ":"), code.astype(str)).astype(object),
        "vocabulary": vocab,
        "indicator_code": np.char.add("C", code.astype(str)).astype(object),
        "indicator_title": np.char.add("Indicator ", code.astype(str)).astype(object),
        "unit": unit.astype(object),
        "measure": measure.astype(object),
        "ascending": asc,
        "aggregable": np.full(n, None, dtype=object),
        "disaggregation": np.where(rng.random(n) < 0.05, "female", None).astype(object),
        "area": np.full(n, None, dtype=object),
        "period_start": ends - 89,
        "period_end": ends,
        "baseline": baseline_t,
        "target": target_t,
        "actual": actual_t,
    }


def _figures(status_counts: dict[str, int], missing: int, rolled: list[tuple]) -> dict:
    return {"status": dict(sorted(status_counts.items())), "missing": missing, "rolled": sorted(rolled)}


def side_ours(n: int, repeats: int) -> dict:
    import polars as pl

    from kizuna.track.progress import PERIOD_SCHEMA, progress, rollup

    data = make_data(n)
    df = pl.DataFrame({k: list(v) if v.dtype == object else v for k, v in data.items()}).cast(PERIOD_SCHEMA)  # type: ignore[arg-type]
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        prog = progress(df, AS_OF)
        res = rollup(df)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    counts = dict(prog.group_by("status").len().iter_rows())
    missing = int(prog.get_column("missing_actual").sum())
    rolled = [
        (
            r["vocabulary"],
            r["indicator_code"],
            r["unit"],
            int(r["year"]),
            round(r["target_sum"], 6),
            round(r["actual_sum"], 6),
        )
        for r in res.rolled.iter_rows(named=True)
    ]
    return {"s": times, "cpu": cpu, **_figures(counts, missing, rolled), "not_rolled": res.not_rolled.height}


def pandas_progress_rollup(df, as_of):  # noqa: ANN001, ANN201 — the named baseline, plain pandas
    import pandas as pd

    b = pd.to_numeric(df["baseline"], errors="coerce")
    t = pd.to_numeric(df["target"], errors="coerce")
    a = pd.to_numeric(df["actual"], errors="coerce")
    asc = df["ascending"].fillna(True).astype(bool)
    numeric = df["measure"].isin(["unit", "percentage", "ratio"])
    ordinal = df["measure"] == "ordinal"
    listed = ~(numeric | ordinal) | (df["actual"].notna() & a.isna())
    bu = b.where(~(b.isna() & asc & numeric), 0.0)
    on_side = np.where(asc, a >= t, a <= t)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (a - bu) / (t - bu)
    status = np.select(
        [listed, t.isna(), a.isna(), ordinal, bu.isna(), t == bu, p >= 1, p > 0, p == 0],
        [
            "listed",
            "no_target",
            "no_actual",
            np.where(on_side, "achieved", "not_achieved"),
            "no_baseline",
            np.where(on_side, "achieved", "not_achieved"),
            "achieved",
            "partial",
            "no_change",
        ],
        "worse",
    )
    missing = df["actual"].isna() & (df["period_end"] < pd.Timestamp(as_of))
    # roll-up
    r = df.assign(_b=b, _t=t, _a=a)
    has_total = r["area"].isna().groupby([r["indicator_key"], r["period_start"], r["period_end"]]).transform("any")
    r = r[r["area"].isna() | ~has_total]
    ok = (
        r["disaggregation"].isna()
        & r["vocabulary"].notna()
        & r["indicator_code"].notna()
        & (r["vocabulary"] != "99")
        & (r["aggregable"].isna() | r["aggregable"].astype("boolean").fillna(True))
        & (r["measure"] == "unit")
    )
    cand = r[ok].copy()
    cand["_unit"] = cand["unit"].fillna("")
    cand["_asc"] = cand["ascending"].fillna(True)
    g = cand.groupby(["vocabulary", "indicator_code"])
    mixed = (g["_unit"].transform("nunique") > 1) | (g["_asc"].transform("nunique") > 1)
    good = cand[~mixed & cand["_t"].notna() & cand["_a"].notna() & ~(cand["_b"].isna() & (cand["ascending"] == False))]  # noqa: E712
    good = good.assign(year=good["period_end"].dt.year, _b=good["_b"].fillna(0.0))
    sums = good.groupby(["vocabulary", "indicator_code", "unit", "year"], as_index=False).agg(
        n_orgs=("org", "nunique"), baseline_sum=("_b", "sum"), target_sum=("_t", "sum"), actual_sum=("_a", "sum")
    )
    sums["progress_pct"] = np.where(
        sums["target_sum"] != sums["baseline_sum"],
        (sums["actual_sum"] - sums["baseline_sum"]) / (sums["target_sum"] - sums["baseline_sum"]) * 100,
        np.nan,
    )
    return pd.Series(status).value_counts().to_dict(), int(missing.sum()), sums


def side_pandas(n: int, repeats: int) -> dict:
    import pandas as pd

    data = make_data(n)
    df = pd.DataFrame(data)
    df["period_end"] = pd.to_datetime(df["period_end"])
    df["period_start"] = pd.to_datetime(df["period_start"])
    times: list[float] = []
    cpu: list[float] = []
    out = None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = pandas_progress_rollup(df, AS_OF)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    assert out is not None
    counts, missing, sums = out
    rolled = [
        (r.vocabulary, r.indicator_code, r.unit, int(r.year), round(r.target_sum, 6), round(r.actual_sum, 6))
        for r in sums.itertuples()
    ]
    return {"s": times, "cpu": cpu, **_figures({str(k): int(v) for k, v in counts.items()}, missing, rolled)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--side", choices=["ours", "pandas"])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    if a.side:
        fn = side_ours if a.side == "ours" else side_pandas
        print(json.dumps(fn(a.rows, a.repeats)))
        return
    n = 100_000 if a.quick else a.rows

    def child(side: str) -> dict:
        return run_side([sys.executable, __file__, "--side", side, "--rows", str(n), "--repeats", str(a.repeats)], side)

    ours, base = child("ours"), child("pandas")
    if ours["status"] != base["status"] or ours["missing"] != base["missing"]:
        raise SystemExit(f"progress differs: {ours['status']} / {base['status']}")
    if len(ours["rolled"]) != len(base["rolled"]) or any(
        x[:4] != y[:4] or abs(x[4] - y[4]) > 1e-6 or abs(x[5] - y[5]) > 1e-6
        for x, y in zip(ours["rolled"], base["rolled"], strict=True)
    ):
        raise SystemExit("roll-up differs between kizuna and pandas")
    q, b = statistics.median(ours["s"]), statistics.median(base["s"])
    print(
        f"Progress + roll-up of {n:,} indicator-period rows ({len(ours['rolled']):,} roll-up rows, "
        f"{ours['not_rolled']:,} indicators left out with a reason; statuses, missing actuals and sums identical)"
    )
    qc, bc = statistics.median(ours["cpu"]), statistics.median(base["cpu"])
    print(f"  kizuna progress + rollup (median of {len(ours['s'])})  {q:.3f} s wall, {qc:.3f} s CPU   target <= 5 s")
    print(f"  pandas groupby baseline (median of {len(base['s'])})    {b:.3f} s wall, {bc:.3f} s CPU")
    print(f"  ratio (pandas / kizuna) {b / q:.1f}x")
    print(f"  peak RSS: kizuna side {ours['peak_rss_mib']:.0f} MiB, pandas side {base['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
