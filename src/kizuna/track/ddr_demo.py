"""Synthetic DDR data for ``kizuna demo``: a fictional reintegration programme in the fictional country of
Kaltara, labelled synthetic.

About 480 ex-combatants in three cohorts and five areas (one of them with 7 persons, below the disclosure
threshold, so the demo shows a withheld group), followed up at 3, 6, 12 and 24 months. Some are lost to
follow-up, some re-recruited or rearmed, a few die. The person sheet carries made-up names and national
ids the way real registers do, so the demo exercises the pseudonymisation: ids become keyed pseudonyms,
names and national ids are dropped on read. It carries no sealed field (phone, date of birth, notes,
commander): AES-GCM nonces are random, and a demo must build the same workspace every time (the SIGKILL
tests compare two builds); the privacy tests cover sealing. The key is derived from the seed (a demo key
protects nothing real) and written beside the demo's inputs, never into the workspace file.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from kizuna.workspace import Workspace

PROGRAMME = "Kaltara community reintegration programme (synthetic)"
WAVES = (3, 6, 12, 24)
AREAS = {"KL01": 150, "KL02": 130, "KL03": 110, "KL04": 83, "KL05": 7}
COHORTS = {"2024-01": date(2024, 1, 15), "2024-07": date(2024, 7, 10), "2025-01": date(2025, 1, 20)}
GROUPS = ("Northern Front (synthetic)", "River Brigade (synthetic)", "Hill Militia (synthetic)")
GIVEN = ("Aro", "Benet", "Cirel", "Davo", "Elin", "Farek", "Gessa", "Horin", "Ilsa", "Jovan", "Kesti", "Lumo")
FAMILY = ("Tarvane", "Obrell", "Kestrin", "Malvo", "Sendri", "Volcan", "Ardesh", "Pellin", "Quorry", "Rusk")
PERSON_HEADER = (
    "person_id",
    "name",
    "national_id",
    "sex",
    "age",
    "cohort",
    "entry_date",
    "area",
    "former_group",
)
WAVE_HEADER = (
    "person_id",
    "wave_month",
    "wave_date",
    "status",
    "employed",
    "income",
    "accepted",
    "housing",
    "participation",
    "rerecruited",
    "rearmed",
    "arrested",
    "died",
    *[f"who5_{i}" for i in range(1, 6)],
    *[f"phq9_{i}" for i in range(1, 10)],
    *[f"k6_{i}" for i in range(1, 7)],
)


def _yn(b: bool) -> str:
    return "yes" if b else "no"


def write_inputs(folder: Path, seed: int = 7) -> tuple[Path, Path]:
    """Write the synthetic persons and waves sheets (CSV) into ``folder``; their paths."""
    rng = np.random.default_rng(seed + 14)
    folder.mkdir(parents=True, exist_ok=True)
    persons: list[dict[str, Any]] = []
    waves: list[dict[str, Any]] = []
    i = 0
    for area, n in AREAS.items():
        risk_area = {"KL01": 0.05, "KL02": 0.08, "KL03": 0.04, "KL04": 0.10, "KL05": 0.06}[area]
        for _ in range(n):
            i += 1
            cohort = list(COHORTS)[int(rng.integers(0, len(COHORTS)))]
            entry = COHORTS[cohort] + timedelta(days=int(rng.integers(0, 20)))
            sex = "f" if rng.random() < 0.18 else "m"
            age = int(rng.integers(17, 46))
            name = f"{GIVEN[int(rng.integers(0, len(GIVEN)))]} {FAMILY[int(rng.integers(0, len(FAMILY)))]}"
            pid = f"KLT-{i:05d}"
            persons.append(
                {
                    "person_id": pid,
                    "name": name,
                    "national_id": f"KT{int(rng.integers(10**8, 10**9))}",
                    "sex": sex,
                    "age": age,
                    "cohort": cohort,
                    "entry_date": entry.isoformat(),
                    "area": area,
                    "former_group": GROUPS[int(rng.integers(0, len(GROUPS)))],
                }
            )
            lost_for_good = False
            employed_p = 0.25
            for k, month in enumerate(WAVES):
                row: dict[str, Any] = {h: "" for h in WAVE_HEADER}
                row.update(person_id=pid, wave_month=month, wave_date=(entry + timedelta(days=30 * month)).isoformat())
                if lost_for_good or rng.random() < 0.07 + 0.02 * k:
                    lost_for_good = lost_for_good or rng.random() < 0.6
                    row["status"] = "lost"
                    waves.append(row)
                    continue
                row["status"] = "seen"
                died = rng.random() < 0.006
                rerecruited = not died and rng.random() < risk_area * (1.3 if sex == "m" else 0.6)
                rearmed = not died and not rerecruited and rng.random() < 0.01
                employed = rng.random() < employed_p + 0.08 * k
                row.update(
                    employed=_yn(employed),
                    income=str(int(rng.gamma(2.0, 60.0) * (2.2 if employed else 0.6))),
                    accepted=_yn(rng.random() < 0.55 + 0.07 * k),
                    housing=_yn(rng.random() < 0.5 + 0.08 * k),
                    participation=_yn(rng.random() < 0.3 + 0.05 * k),
                    rerecruited=_yn(rerecruited),
                    rearmed=_yn(rearmed),
                    arrested=_yn(rng.random() < 0.03),
                    died=_yn(died),
                )
                mood = min(max(rng.normal(2.4 + 0.25 * k, 1.0), 0), 5)
                for j in range(1, 6):
                    row[f"who5_{j}"] = str(int(np.clip(round(mood + rng.normal(0, 0.8)), 0, 5)))
                for j in range(1, 10):
                    row[f"phq9_{j}"] = str(int(np.clip(round((5 - mood) / 2 + rng.normal(0, 0.6)), 0, 3)))
                for j in range(1, 7):
                    row[f"k6_{j}"] = str(int(np.clip(round((5 - mood) / 1.5 + rng.normal(0, 0.7)), 0, 4)))
                waves.append(row)
                if died or rerecruited or rearmed:
                    break  # nobody follows them up after that
    p_path, w_path = folder / "ddr_persons_synthetic.csv", folder / "ddr_waves_synthetic.csv"
    for path, header, rows in ((p_path, PERSON_HEADER, persons), (w_path, WAVE_HEADER, waves)):
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(header))
            writer.writeheader()
            writer.writerows(rows)
    return p_path, w_path


def build_demo(ws: Workspace, folder: Path, seed: int = 7) -> dict[str, Any]:
    """Generate the synthetic DDR inputs and a key under ``folder``, import them into ``ws``; a summary."""
    from kizuna.track.ddr_store import import_sheets
    from kizuna.track.protect import load_key

    folder.mkdir(parents=True, exist_ok=True)
    persons, waves = write_inputs(folder, seed)
    key_path = folder / "ddr-demo.key"
    # the same key for the same seed: a rebuilt demo holds the same pseudonyms (it protects nothing real)
    key_path.write_text(hashlib.sha256(f"kizuna-ddr-demo-key-{seed}".encode()).hexdigest() + "\n", encoding="ascii")
    key = load_key(key_path)
    summary = import_sheets(ws, persons, waves, key, programme=PROGRAMME, synthetic=True)
    return {"programme": PROGRAMME, "persons": summary.persons, "waves": summary.waves, "key": str(key_path)}
