"""Synthetic training data for ``kizuna demo`` (fictional, labelled synthetic).

A community-policing course for the police of the demo's fictional Republic of Kaltara: three sessions
(40, 36 and 8 participants: the last is below the minimum cell and is withheld from per-session tables),
fictional names and ids, a 20-item pre/post test scored 0/1 (ability and item difficulty drawn from a Rasch
model, with a true gain), a 9-item reaction form on three scales, behaviour observations at baseline and about
four months after, and quarterly complaint counts of trained and comparison units. A few people miss the pre
or the post test, and a few follow-ups fall outside 3-6 months, so the demo shows how each is handled.
Deterministic for a seed, key included (derived from the seed: synthetic people need no secret). The key is
written beside the inputs, outside the workspace file.
"""

from __future__ import annotations

import csv
import hashlib
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from kizuna.workspace import Workspace

COURSE = "Kaltara community policing course (synthetic)"
SESSIONS = (
    ("KCP-1", 40, date(2026, 2, 2), "Northmarch police academy", "XZ01"),
    ("KCP-2", 36, date(2026, 3, 9), "Eastvale regional station", "XZ02"),
    ("KCP-3", 8, date(2026, 4, 13), "Riverlands post", "XZ03"),
)
TRAINED_UNITS = (
    "Northmarch district police",
    "Frostford station",
    "Eastvale district police",
    "Ambermere station",
    "Riverlands post",
    "Pinehollow station",
)
COMPARISON_UNITS = (
    "Highcross district police",
    "Stonegate station",
    "Southfen district police",
    "Westmoor station",
    "Windhill station",
)
SCALES = ("relevance", "trainer", "materials")
ITEMS = 20
FIRST = ("Arin", "Bela", "Cato", "Dara", "Emel", "Fenn", "Gala", "Hiro", "Ines", "Joro", "Kesi", "Lumo")
LAST = ("Synthvale", "Mockridge", "Fableton", "Dummerby", "Placewood")


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def generate(folder: Path, seed: int = 7) -> dict[str, Path]:
    """Write the five synthetic input files under ``folder``; their paths by kind."""
    rng = np.random.default_rng(seed + 1400)
    folder.mkdir(parents=True, exist_ok=True)
    people: list[dict[str, Any]] = []
    for session, n, start, place, pcode in SESSIONS:
        for _ in range(n):
            i = len(people)
            people.append(
                {
                    "id": f"KPS-{10000 + i * 7}",
                    "name": f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} (synthetic)",
                    "session": session,
                    "start": start,
                    "end": start + timedelta(days=4),
                    "place": place,
                    "pcode": pcode,
                    "sex": "f" if rng.random() < 0.3 else "m",
                    "unit": TRAINED_UNITS[int(rng.integers(len(TRAINED_UNITS)))],
                    "rank": ("constable", "sergeant", "inspector")[int(rng.choice(3, p=[0.6, 0.3, 0.1]))],
                    "theta": float(rng.normal()),
                    "gain": float(rng.normal(1.1, 0.5)),
                }
            )
    roster = _write(
        folder / "roster.csv",
        [
            "course",
            "session",
            "participant_id",
            "name",
            "sex",
            "unit",
            "agency",
            "rank",
            "start_date",
            "end_date",
            "location",
            "pcode",
        ],
        [
            [
                COURSE,
                p["session"],
                p["id"],
                p["name"],
                p["sex"],
                p["unit"],
                "Kaltara National Police (synthetic)",
                p["rank"],
                p["start"].isoformat(),
                p["end"].isoformat(),
                p["place"],
                p["pcode"],
            ]
            for p in people
        ],
    )
    # level 2: Rasch model, P(correct) = logistic(theta - b), post-test with each person's gain
    b = np.sort(rng.normal(0.0, 1.0, ITEMS))
    test_rows = []
    for k, p in enumerate(people):
        for phase, shift in (("pre", -0.3), ("post", p["gain"] - 0.3)):
            if (phase == "pre" and k % 29 == 5) or (phase == "post" and k % 23 == 7):
                continue  # missed one of the two tests
            prob = 1 / (1 + np.exp(-(p["theta"] + shift - b)))
            test_rows.append([p["id"], phase, *(rng.random(ITEMS) < prob).astype(int).tolist()])
    tests = _write(
        folder / "tests.csv", ["participant_id", "phase", *[f"item_{i}" for i in range(1, ITEMS + 1)]], test_rows
    )
    # level 1: three scales of three Likert items around a person's satisfaction
    react_rows = []
    for p in people:
        mood = rng.normal(0.6, 0.8)
        cells = []
        for s, _scale in enumerate(SCALES):
            for _ in range(3):
                v = int(np.clip(np.rint(3.4 + mood + 0.3 * s - 0.3 + rng.normal(0, 0.6)), 1, 5))
                cells.append("" if rng.random() < 0.03 else v)
        react_rows.append([p["id"], *cells])
    reaction = _write(
        folder / "reaction.csv", ["participant_id", *[f"{s}_{i}" for s in SCALES for i in range(1, 4)]], react_rows
    )
    # level 3: a 20-point observation checklist at baseline and about four months after the session
    follow_rows = []
    for k, p in enumerate(people):
        if k % 4 == 3:
            continue  # not observed
        base = float(np.clip(np.rint(9 + 2 * p["theta"] + rng.normal(0, 1.5)), 0, 20))
        after = float(np.clip(np.rint(base + 0.9 * p["gain"] * 2 + rng.normal(0, 1.5)), 0, 20))
        months = 7 if k % 17 == 0 else 4
        observer = f"Observer {'ABC'[k % 3]} (synthetic)"
        follow_rows.append([p["id"], "baseline", base, observer, (p["start"] - timedelta(days=10)).isoformat()])
        follow_rows.append(
            [p["id"], "followup", after, observer, (p["end"] + timedelta(days=int(months * 30.4))).isoformat()]
        )
    followup = _write(folder / "followup.csv", ["participant_id", "phase", "score", "observer", "date"], follow_rows)
    # level 4: complaints against police per quarter, before and after, trained and comparison units
    unit_rows = []
    for comp, names in ((False, TRAINED_UNITS), (True, COMPARISON_UNITS)):
        for u in names:
            before = float(np.rint(rng.normal(24, 5)))
            trend = rng.normal(-1.0, 1.0)
            effect = 0.0 if comp else rng.normal(-4.0, 1.5)
            unit_rows.append([u, "before", "complaints per quarter", before, "yes" if comp else "no"])
            unit_rows.append(
                [u, "after", "complaints per quarter", float(np.rint(before + trend + effect)), "yes" if comp else "no"]
            )
    units = _write(folder / "units.csv", ["unit", "period", "outcome", "value", "comparison"], unit_rows)
    return {"roster": roster, "tests": tests, "reaction": reaction, "followup": followup, "units": units}


def build_demo(ws: Workspace, folder: Path, seed: int = 7) -> dict[str, Any]:
    """Generate the synthetic training inputs under ``folder``, store them in ``ws``; a summary."""
    from kizuna.track.protect import load_key
    from kizuna.track.training_store import import_course

    files = generate(folder, seed)
    # beside the inputs, never in the workspace file. Derived from the seed, not random: two builds of the
    # demo are the same workspace (the pseudonyms too), as the rest of the demo is. A synthetic key for
    # synthetic people; real data gets `kizuna key new`.
    key_path = folder / "training-demo.key"
    secret = hashlib.sha256(f"kizuna-demo-training-key-{seed}".encode()).hexdigest()
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret + "\n")
    key = load_key(key_path)
    summary = import_course(ws, COURSE, key, synthetic=True, **files)
    return {"course": COURSE, "key": str(key_path), **summary.counts}
