"""Synthetic results data for ``kizuna demo`` (fictional, labelled synthetic).

One SYNTHETIC indicator table (``synthetic-indicators.csv``, HXL-tagged, as an ActivityInfo-like
cluster database would export it) of fictional agencies of the fictional Republic of Kaltara (XZ,
the ledger demo's country and areas): quarterly periods 2025Q1-2026Q4 of indicators that share codes
(so the roll-up adds them), one whose agencies count in different units (so the roll-up refuses it), a
percentage, a descending indicator, a qualitative one, a disaggregation by sex and a few periods that
ended without an actual. It is imported like any table (:func:`kizuna.track.results_store.import_tables`).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

from kizuna.workspace import Workspace

AGENCIES = (
    "Synthetic — Allied Development Agency (Ally A)",
    "Synthetic — Ally B Cooperation Agency (Ally B)",
    "Synthetic — United Relief Programme (UN-like agency)",
    "Synthetic — Bridges for Peace Network (NGO)",
)
AREAS = ("XZ01", "XZ02", "XZ03", "XZ04", "XZ05", "XZ06")
QUARTERS = [f"{y}Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)]
# code, name, unit, measure, direction, baseline, target per period (or the final target), agencies (index)
INDICATORS: list[tuple[str, str, str, str, str, float | None, float, tuple[int, ...]]] = [
    ("KZ-PB-01", "People trained in community mediation", "people", "number", "ascending", 0, 120, (0, 1, 3)),
    ("KZ-PB-02", "Reported incidents of intercommunal violence", "incidents", "number", "descending", 40, 20, (2, 3)),
    ("KZ-PB-03", "Residents who feel safe walking at night", "%", "percentage", "ascending", 45, 60, (0, 1)),
    ("KZ-WS-01", "Water points repaired", "water points", "number", "ascending", 0, 10, (2,)),
    ("KZ-WS-01", "Water points repaired", "boreholes", "number", "ascending", 0, 6, (1,)),
]
HEADERS = [
    ("Organisation", "#org"),
    ("Activity ID", "#activity+code"),
    ("Indicator code", "#indicator+code"),
    ("Indicator", "#indicator+name"),
    ("Unit", "#indicator+unit"),
    ("Measure", "#indicator+measure"),
    ("Direction", "#indicator+direction"),
    ("Disaggregation", "#group"),
    ("Admin1 code", "#adm1+code"),
    ("Period", "#date+period"),
    ("Baseline", "#value+baseline"),
    ("Target", "#targeted"),
    ("Actual", "#reached"),
]


def write_table(path: Path, seed: int = 7) -> int:
    """Write the SYNTHETIC indicator table to ``path``; return its number of data rows."""
    rng = random.Random(seed)
    rows: list[list[Any]] = []
    for code, name, unit, measure, direction, base, target, who in INDICATORS:
        for a in who:
            area = AREAS[(a + len(rows)) % len(AREAS)]
            activity = f"XZ-SYN-{a + 1}-{code}"
            pace = rng.uniform(0.55, 1.25)
            for k, period in enumerate(QUARTERS):
                ended = period != "2026Q4"
                late = ended and rng.random() < 0.08  # an actual not reported after the period ended
                tgt: float
                act: float | str
                if measure == "number" and direction == "ascending":
                    tgt = target
                    act = round(target * pace * rng.uniform(0.8, 1.1)) if ended and not late else ""
                    b: Any = base
                else:
                    # a level: the target moves from the baseline to the final target over the quarters
                    assert base is not None
                    tgt = round(base + (target - base) * (k + 1) / len(QUARTERS), 1)
                    level = base + (target - base) * (k + 1) / len(QUARTERS) * pace
                    act = round(level + rng.uniform(-2, 2), 1) if ended and not late else ""
                    b = base
                rows.append(
                    [AGENCIES[a], activity, code, name, unit, measure, direction, "", area, period, b, tgt, act]
                )
                if code == "KZ-PB-01" and act != "":
                    women = round(float(act) * rng.uniform(0.35, 0.6))
                    rows.append(
                        [
                            AGENCIES[a],
                            activity,
                            code,
                            name,
                            unit,
                            measure,
                            direction,
                            "female",
                            area,
                            period,
                            b,
                            round(tgt / 2),
                            women,
                        ]
                    )
    views = ("better", "about the same", "worse")
    for a in (0, 3):
        for period in ("2025", "2026"):
            rows.append(
                [
                    AGENCIES[a],
                    f"XZ-SYN-{a + 1}-KZ-PB-04",
                    "KZ-PB-04",
                    "How communities see the police (focus groups)",
                    "",
                    "qualitative",
                    "",
                    "",
                    AREAS[a],
                    period,
                    "distrust",
                    "trust",
                    rng.choice(views) if period == "2025" else "",
                ]
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([h for h, _t in HEADERS])
        w.writerow([t for _h, t in HEADERS])
        w.writerows(rows)
    return len(rows)


def build_demo(ws: Workspace, folder: Path, seed: int = 7) -> dict[str, Any]:
    """Generate the synthetic results inputs under ``folder``, store them in ``ws``; a summary."""
    from kizuna.track.results_store import import_tables

    path = folder / "synthetic-indicators.csv"
    n = write_table(path, seed)
    done = import_tables(ws, [path])
    return {"indicator_rows": n, "imported": [d.status for d in done]}
