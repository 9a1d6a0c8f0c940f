"""The vital-core demo: a SYNTHETIC household survey of the fictional Republic of Kaltara (XZ).

Two rounds (2024 and 2026), strata = admin1 × urban/rural, clusters (PSUs) within strata, expansion
weights, the six admin1 areas, the respondent's sex and displacement status. Answers come from a
latent vulnerability per household (area, displacement and round effects plus noise) through each
instrument's items, so the scored instruments and the index behave plausibly. Every number is
invented by this generator (seed fixed); nothing describes a real place or population.

The spec combines physical dimensions (food: FCS, rCSI, HHS; water; shelter; health access;
safety) with psychological ones (distress: WHO-5 and K6; hope: Cantril ladder; dignity: HESPER
psychosocial items), half of the weight each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from kizuna.workspace import Workspace

SEED = 20261124
ADMIN1 = {
    "XZ01": "Northmarch",
    "XZ02": "Eastvale",
    "XZ03": "Riverlands",
    "XZ04": "Highcross",
    "XZ05": "Southfen",
    "XZ06": "Westmoor",
}
# how hard-pressed each area is (latent shift) and its population (synthetic)
AREA_SHIFT = {"XZ01": 0.6, "XZ02": 0.1, "XZ03": -0.3, "XZ04": 0.4, "XZ05": 0.8, "XZ06": -0.1}
AREA_POP = {
    "XZ01": 820_000,
    "XZ02": 640_000,
    "XZ03": 1_150_000,
    "XZ04": 560_000,
    "XZ05": 710_000,
    "XZ06": 480_000,
}
ROUNDS = {1: 2024.0, 2: 2026.0}
PSU_PER_STRATUM = 8
HH_PER_PSU = 12

SPEC_TOML = """\
# Vital-core index of human security, Republic of Kaltara (SYNTHETIC demo data).
title = "Vital-core index, Republic of Kaltara (synthetic)"

[survey]
id_columns = ["hh_id"]
drop_columns = ["respondent_phone"]

[design]
weight = "weight"
strata = "stratum"
psu = "cluster"

[instruments.fcs]
type = "fcs"
items = { cereals = "fcs_cereals", pulses = "fcs_pulses", vegetables = "fcs_veg", fruit = "fcs_fruit", \
meat = "fcs_meat", dairy = "fcs_dairy", sugar = "fcs_sugar", oil = "fcs_oil" }
[instruments.rcsi]
type = "rcsi"
items = { less_preferred = "rcsi_lessqlty", borrow = "rcsi_borrow", limit_portions = "rcsi_mealsize", \
restrict_adults = "rcsi_mealadult", reduce_meals = "rcsi_mealnb" }
[instruments.hhs]
type = "hhs"
items = { no_food = "hhs_nofood", no_food_freq = "hhs_nofood_fr", sleep_hungry = "hhs_sleep", \
sleep_hungry_freq = "hhs_sleep_fr", whole_day = "hhs_wholeday", whole_day_freq = "hhs_wholeday_fr" }
[instruments.who5]
type = "who5"
items = { q1 = "who5_1", q2 = "who5_2", q3 = "who5_3", q4 = "who5_4", q5 = "who5_5" }
[instruments.k6]
type = "k6"
items = { q1 = "k6_1", q2 = "k6_2", q3 = "k6_3", q4 = "k6_4", q5 = "k6_5", q6 = "k6_6" }
[instruments.cantril]
type = "cantril"
items = { now = "ladder_now", future = "ladder_future" }
[instruments.hesper]
type = "hesper"
items = { 10 = "hesper_10", 14 = "hesper_14", 15 = "hesper_15", 16 = "hesper_16", 19 = "hesper_19", \
21 = "hesper_21", priority1 = "hesper_prio1", priority2 = "hesper_prio2", priority3 = "hesper_prio3" }

[indicators.fcs]
instrument = "fcs"
output = "class"
deprived_if = { in = ["poor", "borderline"] }
label = "Food consumption poor or borderline (FCS)"
[indicators.rcsi]
instrument = "rcsi"
output = "score"
deprived_if = { ge = 19 }
label = "High food-based coping (rCSI >= 19)"
[indicators.hhs]
instrument = "hhs"
output = "score"
deprived_if = { ge = 2 }
label = "Moderate or severe hunger (HHS >= 2)"
[indicators.water]
column = "water_improved"
deprived_if = { eq = 0 }
label = "No improved drinking water source"
[indicators.shelter]
column = "shelter"
deprived_if = { in = ["none", "inadequate"] }
label = "No or inadequate shelter"
[indicators.health]
column = "health_unmet"
deprived_if = { eq = 1 }
label = "Unmet health-care need"
[indicators.safety]
column = "felt_unsafe"
deprived_if = { eq = 1 }
label = "Felt unsafe in the last 30 days"
[indicators.who5]
instrument = "who5"
output = "pct"
deprived_if = { le = 50 }
label = "Poor well-being (WHO-5 <= 50%)"
[indicators.k6]
instrument = "k6"
output = "score"
deprived_if = { ge = 13 }
label = "Serious psychological distress (K6 >= 13)"
[indicators.cantril]
instrument = "cantril"
output = "class"
deprived_if = { eq = "suffering" }
label = "Suffering (Cantril ladder)"
[indicators.hesper_psy]
instrument = "hesper"
output = "psychosocial"
deprived_if = { ge = 2 }
label = "Two or more serious psychosocial problems (HESPER)"

[dimensions]
food = ["fcs", "rcsi", "hhs"]
water = ["water"]
shelter = ["shelter"]
health = ["health"]
safety = ["safety"]
distress = ["who5", "k6"]
hope = ["cantril"]
dignity = ["hesper_psy"]

[dimension_weights]
food = 0.1
water = 0.1
shelter = 0.1
health = 0.1
safety = 0.1
distress = 0.16666666666666666
hope = 0.16666666666666666
dignity = 0.16666666666666667

[af]
k = 33
k_sweep = [10, 20, 30, 33, 40, 50, 60, 70, 80, 90, 100]
subgroups = ["admin1", "sex", "displacement"]
time = "round"
year = "year"

[needs]
admin1 = "admin1"
"""


def _clip_int(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.rint(x), lo, hi).astype(np.int64)


def synthetic_survey(seed: int = SEED) -> pl.DataFrame:
    """The synthetic two-round survey as a frame (one row per household respondent)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, list[Any]] = {}
    parts: list[pl.DataFrame] = []
    hh = 0
    for rnd, year in ROUNDS.items():
        for a1, shift in AREA_SHIFT.items():
            for urban in (0, 1):
                stratum = f"{a1}-{'U' if urban else 'R'}"
                share = 0.35 if urban else 0.65
                n = PSU_PER_STRATUM * HH_PER_PSU
                cluster = np.repeat(np.arange(PSU_PER_STRATUM), HH_PER_PSU)
                cluster_effect = rng.normal(0, 0.35, PSU_PER_STRATUM)[cluster]
                disp = rng.choice(["host", "idp", "returnee"], n, p=[0.7, 0.2, 0.1])
                sex = rng.choice(["female", "male"], n, p=[0.52, 0.48])
                latent = (
                    shift
                    - 0.9
                    + cluster_effect
                    - 0.35 * urban
                    + np.where(disp == "idp", 0.8, 0.0)
                    + np.where(disp == "returnee", 0.3, 0.0)
                    + np.where(sex == "female", 0.1, 0.0)
                    - 0.35 * (rnd - 1)
                    + rng.normal(0, 0.8, n)
                )
                # design weight: households represented (expansion weight, varying by cluster)
                base = AREA_POP[a1] * share / n
                weight = base * rng.uniform(0.7, 1.3, PSU_PER_STRATUM)[cluster]
                df = {
                    "hh_id": [f"HH{rnd}{hh + i:06d}" for i in range(n)],
                    "respondent_phone": [f"+000{rng.integers(10**6, 10**7)}" for _ in range(n)],
                    "round": np.full(n, rnd),
                    "year": np.full(n, year),
                    "admin1": np.full(n, a1),
                    "admin1_name": np.full(n, ADMIN1[a1]),
                    "urban": np.full(n, urban),
                    "stratum": np.full(n, stratum),
                    "cluster": [f"{stratum}-{c:02d}" for c in cluster],
                    "weight": weight,
                    "sex": sex,
                    "displacement": disp,
                }
                hh += n

                def days(mean: np.ndarray, n: int = n) -> np.ndarray:
                    return _clip_int(mean + rng.normal(0, 1.2, n), 0, 7)

                good = -latent
                df.update(
                    {
                        "fcs_cereals": days(6.5 + 0.3 * good),
                        "fcs_pulses": days(2.5 + 1.2 * good),
                        "fcs_veg": days(3.5 + 1.0 * good),
                        "fcs_fruit": days(1.5 + 0.8 * good),
                        "fcs_meat": days(1.5 + 1.2 * good),
                        "fcs_dairy": days(1.2 + 1.0 * good),
                        "fcs_sugar": days(4 + 0.5 * good),
                        "fcs_oil": days(5 + 0.5 * good),
                    }
                )
                for name in (
                    "rcsi_lessqlty",
                    "rcsi_borrow",
                    "rcsi_mealsize",
                    "rcsi_mealadult",
                    "rcsi_mealnb",
                ):
                    df[name] = days(1.5 + 1.6 * latent)
                for name in ("hhs_nofood", "hhs_sleep", "hhs_wholeday"):
                    p = 1 / (1 + np.exp(-(latent - {"hhs_nofood": 0.3, "hhs_sleep": 0.8, "hhs_wholeday": 1.5}[name])))
                    occ = (rng.random(n) < p).astype(np.int64)
                    fr = _clip_int(1.5 + 0.6 * latent + rng.normal(0, 0.7, n), 1, 3)
                    df[name] = occ
                    df[name + "_fr"] = np.where(occ == 1, fr, -1)  # -1: not asked (made null below)
                df["water_improved"] = (rng.random(n) > 1 / (1 + np.exp(-(latent - 0.2)))).astype(np.int64)
                shelter_p = 1 / (1 + np.exp(-(latent - 0.9)))
                u = rng.random(n)
                df["shelter"] = np.where(
                    u < shelter_p * 0.25, "none", np.where(u < shelter_p, "inadequate", "adequate")
                )
                df["health_unmet"] = (rng.random(n) < 1 / (1 + np.exp(-(latent - 0.5)))).astype(np.int64)
                df["felt_unsafe"] = (rng.random(n) < 1 / (1 + np.exp(-(latent - 0.7)))).astype(np.int64)
                for i in range(1, 6):
                    df[f"who5_{i}"] = _clip_int(3.0 - 0.9 * latent + rng.normal(0, 1.0, n), 0, 5)
                for i in range(1, 7):
                    df[f"k6_{i}"] = _clip_int(1.2 + 0.8 * latent + rng.normal(0, 0.9, n), 0, 4)
                now = _clip_int(5.5 - 1.5 * latent + rng.normal(0, 1.3, n), 0, 10)
                df["ladder_now"] = now
                df["ladder_future"] = _clip_int(now + 1 + rng.normal(0, 1.5, n), 0, 10)
                for item in (10, 14, 15, 16, 19, 21):
                    p = 1 / (
                        1
                        + np.exp(
                            -(
                                latent
                                - 1.0
                                + (0.6 if item == 16 else 0.0)
                                - (1.5 if item == 16 else 0.0) * (disp != "host")
                            )
                        )
                    )
                    ans = (rng.random(n) < p).astype(np.int64)
                    ans[rng.random(n) < 0.03] = 9  # declined / don't know
                    df[f"hesper_{item}"] = ans
                prio = np.array([rng.choice([1, 2, 3, 7, 9, 10, 11, 16], 3, replace=False) for _ in range(n)])
                df["hesper_prio1"], df["hesper_prio2"], df["hesper_prio3"] = (
                    prio[:, 0],
                    prio[:, 1],
                    prio[:, 2],
                )
                parts.append(pl.DataFrame(df))
    del cols
    out = pl.concat(parts, how="vertical")
    # a few item non-responses, as real surveys have (dropped listwise by the index)
    miss = np.random.default_rng(seed + 1).random(out.height) < 0.01
    out = out.with_columns(
        pl.when(pl.Series(miss)).then(None).otherwise(pl.col("who5_3")).alias("who5_3"),
        *[
            pl.when(pl.col(c) < 0).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("hhs_nofood_fr", "hhs_sleep_fr", "hhs_wholeday_fr")
        ],
    )
    return out


def write_demo_inputs(out_dir: Path) -> tuple[Path, Path]:
    """Write the synthetic survey (CSV) and its spec (TOML) under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    survey = out_dir / "vital_core_survey_synthetic.csv"
    synthetic_survey().write_csv(survey)
    spec = out_dir / "vital_core_spec.toml"
    spec.write_text(SPEC_TOML, encoding="utf-8")
    return survey, spec


def build_demo(ws: Workspace, out_dir: Path) -> dict:
    """Generate the synthetic survey and spec, run the index, store it in ``ws``, write the report.

    Returns a summary: run id, rows, M0/H/A per round, the report path and the needs rows.
    """
    from kizuna.measure.api import measure_file

    survey, spec = write_demo_inputs(Path(out_dir))
    run = measure_file(survey, spec, ws=ws, out_dir=Path(out_dir) / "measure")
    res = run.result
    headline = {f"{r['measure']}_round{r['round']}": round(r["b"], 4) for r in res.summary.iter_rows(named=True)}
    return {
        "part": "measure",
        "synthetic": True,
        "run_id": run.run_id,
        "rows": res.n_rows,
        "used": res.n_used,
        "report": str(Path(out_dir) / "measure" / "measure.html"),
        "needs_rows": 0 if res.needs is None else res.needs.height,
        **headline,
    }
