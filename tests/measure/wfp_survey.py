"""A small synthetic WFP-style household survey for the CLI and per-respondent tests: FCS, rCSI,
LCS-FS and FES items, a stratified cluster design (3 strata × 4 PSUs = 12 PSUs, 9 degrees of
freedom), two rounds and a region. Planted identifiers (household ids, a name, a phone number) must
never reach an output. Round 2 and the region "north" are food secure throughout (elsewhere about 40 % are), so their M0 and
H are 0 with SE 0: the estimates at a bound that must be flagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

PLANTED_ID = "HH-SECRET-0042"
PLANTED_NAME = "Planted Respondent Name"
PLANTED_PHONE = "+211-555-0199"
N = 120
N_PSU, N_STRATA = 12, 3

FCS = ["cereals", "pulses", "vegetables", "fruit", "meat", "dairy", "sugar", "oil"]
RCSI = ["less_preferred", "borrow", "limit_portions", "restrict_adults", "reduce_meals"]
LCS = ["stress1", "stress2", "crisis1", "emergency1"]

SPEC = """title = "WFP-style test survey"
[survey]
id_columns = ["hh_id"]
drop_columns = ["respondent_name"]
[design]
weight = "weight"
strata = "stratum"
psu = "cluster"
[instruments.fcs]
type = "fcs"
items = { cereals = "fcs_cereals", pulses = "fcs_pulses", vegetables = "fcs_vegetables", fruit = "fcs_fruit", meat = "fcs_meat", dairy = "fcs_dairy", sugar = "fcs_sugar", oil = "fcs_oil" }
[instruments.rcsi]
type = "rcsi"
items = { less_preferred = "rcsi_less_preferred", borrow = "rcsi_borrow", limit_portions = "rcsi_limit_portions", restrict_adults = "rcsi_restrict_adults", reduce_meals = "rcsi_reduce_meals" }
[instruments.lcs]
type = "lcs"
items = { stress1 = "lcs_stress1", stress2 = "lcs_stress2", crisis1 = "lcs_crisis1", emergency1 = "lcs_emergency1" }
[instruments.cari]
type = "cari"
items = { fcs = "fcs_score", rcsi = "rcsi_score", lcs = "lcs_max_coping", fes = "fes" }
[indicators.food]
instrument = "fcs"
output = "class"
deprived_if = { in = ["poor", "borderline"] }
[indicators.coping]
instrument = "rcsi"
output = "class"
deprived_if = { eq = "high" }
[indicators.cari]
instrument = "cari"
output = "score"
deprived_if = { ge = 3 }
[af]
k = 33
subgroups = ["region"]
time = "round"
"""


def survey_frame(seed: int = 13) -> pl.DataFrame:
    """The survey as a frame (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    rnd = np.repeat([1, 2], N // 2)
    region = np.array(["north", "south", "east"] * (N // 3))
    secure = (rnd == 2) | (region == "north") | (rng.random(N) < 0.4)
    cols: dict[str, object] = {
        "hh_id": [f"HH-SECRET-{i:04d}" for i in range(1, N + 1)],
        "respondent_name": [PLANTED_NAME] * N,
        "phone": [PLANTED_PHONE] * N,
        "round": rnd,
        "region": region,
        "stratum": np.arange(N) % N_STRATA,
        "cluster": (np.arange(N) // N_STRATA) % (N_PSU // N_STRATA),
        "weight": np.round(rng.uniform(0.5, 2.0, N), 3),
    }
    for it in FCS:
        cols[f"fcs_{it}"] = np.where(secure, 7, rng.integers(0, 4, N))
    for it in RCSI:
        cols[f"rcsi_{it}"] = np.where(secure, 0, rng.integers(0, 8, N))
    for it in LCS:
        cols[f"lcs_{it}"] = np.where(secure, 10, rng.choice([10, 20, 30], N))
    cols["fes"] = np.where(secure, 0.3, np.round(rng.uniform(0.4, 0.9, N), 2))
    return pl.DataFrame(cols)


def write_survey(folder: Path) -> tuple[Path, Path]:
    """survey.csv and spec.toml in ``folder``."""
    csv = folder / "survey.csv"
    survey_frame().write_csv(csv)
    spec = folder / "spec.toml"
    spec.write_text(SPEC, encoding="utf-8")
    return csv, spec
