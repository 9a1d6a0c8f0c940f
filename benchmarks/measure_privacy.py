"""Benchmark: the cost of the survey privacy checks (issue 13) against the same run without them.

Workload: the synthetic vital-core demo survey repeated 100 times (230,400 persons, 57 columns, two
rounds, subgroups admin1/sex/displacement, needs by admin1). Side "privacy": `run_measure` as shipped
(identifier-like groupings checked, every table suppressed and marked) plus the read-time scans
(`undeclared_identifiers`, `export_metadata`). Side "baseline": the same `run_measure` with the
disclosure functions replaced by pass-throughs, in the same process and run. Median of 3 runs each;
peak RSS of the process.

    python3 benchmarks/measure_privacy.py
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import polars as pl  # noqa: E402

from kizuna.measure import disclosure, readers  # noqa: E402
from kizuna.measure.demo import SPEC_TOML, synthetic_survey  # noqa: E402
from kizuna.measure.run import run_measure  # noqa: E402
from kizuna.measure.spec import parse_spec  # noqa: E402


def timed(fn, runs: int = 3) -> float:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main() -> None:
    big = pl.concat([synthetic_survey()] * 100)
    spec = parse_spec(SPEC_TOML)
    frame = big.drop("respondent_phone")

    def privacy() -> None:
        readers.undeclared_identifiers(big, ["hh_id"])
        readers.export_metadata(big)
        run_measure(frame, spec)

    t_priv = timed(privacy)
    saved = {n: getattr(disclosure, n) for n in ("check_grouping", "suppress_estimates", "suppress_changes")}
    saved |= {n: getattr(disclosure, n) for n in ("suppress_rounds", "suppress_subgroups", "suppress_areas")}
    disclosure.check_grouping = lambda *a, **k: None
    disclosure.suppress_estimates = lambda est, *a, **k: (
        est.with_columns(pl.lit(False).alias("suppressed")),
        pl.DataFrame(schema={"round": pl.String, "group_var": pl.String, "group": pl.String}),
    )
    disclosure.suppress_changes = lambda ch, *a, **k: ch
    disclosure.suppress_rounds = lambda df, *a, **k: df.with_columns(pl.lit(False).alias("suppressed"))
    disclosure.suppress_subgroups = lambda df, *a, **k: df
    disclosure.suppress_areas = lambda df, *a, **k: (df.with_columns(pl.lit(False).alias("suppressed")), {})
    try:
        t_base = timed(lambda: run_measure(frame, spec))
    finally:
        for n, f in saved.items():
            setattr(disclosure, n, f)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows {big.height:,}, columns {big.width}")
    print(f"baseline (no privacy checks) {t_base:.2f} s; privacy {t_priv:.2f} s; ratio {t_priv / t_base:.3f}x")
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
