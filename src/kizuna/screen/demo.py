"""Demo for the screen part: SYNTHETIC communities, territories, events and proposals in the fictional
Republic of Kaltara (ISO code XZ), screened and stored. Deterministic (fixed seed, fixed as-of date).

Nothing here describes a real place, organisation or event: community names, the two group labels
("Asari", "Belen"), the militias and the agencies are invented, and every file says it is synthetic.
"""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from kizuna.workspace import Workspace

AS_OF = date(2026, 11, 1)
SEED = 20261124
ADMIN1 = {
    "XZ01": ("Northmarch", 9.6, 29.4),
    "XZ02": ("Eastvale", 9.2, 31.4),
    "XZ03": ("Riverlands", 8.0, 30.0),
    "XZ04": ("Highcross", 7.9, 28.3),
    "XZ05": ("Southfen", 6.4, 30.6),
    "XZ06": ("Westmoor", 6.9, 28.0),
}
_FIRST = [
    "Amber",
    "Blue",
    "Cedar",
    "Dune",
    "Elm",
    "Fern",
    "Granite",
    "Hollow",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lark",
    "Maple",
    "Nettle",
    "Opal",
    "Pine",
    "Quill",
    "Reed",
]
_SECOND = ["Ford", "Hill", "Well", "Gate", "Crossing", "Valley", "Ridge", "Creek", "Bend", "Flats"]

PROPOSALS = {
    "demo_well_boundary.toml": """# SYNTHETIC demo proposal (fictional country, fictional agencies)
id = "XZ-DEMO-WELL-1"
title = "Borehole at the Riverlands grazing line (synthetic)"
type = "well"
country = "Republic of Kaltara (synthetic)"
budget_usd = 38000
partners = [{ name = "Kaltara Water Trust (synthetic)", ref = "XZ-SYN-WATER" }]
consultations = []
grievance_mechanism = false
security = "none"
[counterpart]
name = "Riverlands District Water Office (synthetic)"
role = "approval"
[land]
acquisition = "none"
[[sites]]
name = "Borehole on the grazing line"
lat = 8.0
lon = 30.009
admin1 = "Riverlands"
""",
    "demo_well_moved.toml": """# SYNTHETIC demo proposal (fictional country, fictional agencies)
id = "XZ-DEMO-WELL-2"
title = "Borehole moved west and consulted (synthetic)"
type = "well"
country = "Republic of Kaltara (synthetic)"
budget_usd = 38000
partners = [{ name = "Kaltara Water Trust (synthetic)", ref = "XZ-SYN-WATER" }]
grievance_mechanism = true
security = "none"
[counterpart]
name = "Riverlands District Water Office (synthetic)"
role = "approval"
[land]
acquisition = "none"
[[sites]]
name = "Borehole west of Amber Ford"
lat = 8.0
lon = 29.99
admin1 = "Riverlands"
[[consultations]]
community = "Amber Ford"
date = 2026-06-02
women_included = true
[[consultations]]
community = "Blue Hill"
date = 2026-06-03
women_included = true
""",
    "demo_road.toml": """# SYNTHETIC demo proposal (fictional country, fictional agencies)
id = "XZ-DEMO-ROAD-1"
title = "Eastvale feeder road (synthetic)"
type = "road"
country = "Republic of Kaltara (synthetic)"
budget_usd = 2400000
partners = [{ name = "Eastvale Roads Consortium (synthetic)" }]
grievance_mechanism = false
security = "police"
[counterpart]
name = "Ministry of Public Works of Kaltara (synthetic)"
role = "owner"
[land]
acquisition = "expropriation"
households_displaced = 300
resettlement_plan = false
compensation_before_possession = false
informal_users = true
[[sites]]
name = "Eastvale feeder road"
line = [[9.05, 31.2], [9.2, 31.4], [9.35, 31.55]]
admin1 = "Eastvale"
[[consultations]]
community = "Granite Ridge"
date = 2026-03-10
women_included = false
[safeguards]
gbv_code_of_conduct = false
""",
    "demo_police.toml": """# SYNTHETIC demo proposal (fictional country, fictional agencies)
id = "XZ-DEMO-POLICE-1"
title = "Highcross community policing course (synthetic)"
type = "police training"
country = "Republic of Kaltara (synthetic)"
budget_usd = 650000
partners = [{ name = "Institute for Public Safety Training (synthetic)" }]
grievance_mechanism = true
security = "police"
start_date = 2026-12-01
election_date = 2027-02-15
[counterpart]
name = "Highcross Rapid Response Unit (synthetic)"
role = "co_implementer"
flags = ["abuses_documented"]
[[sites]]
name = "Highcross training centre"
lat = 7.9
lon = 28.3
admin1 = "Highcross"
[safeguards]
vetting = false
human_rights_component = true
participant_data_shared = true
data_protection_plan = false
""",
}


def _communities(rng: np.random.Generator) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        # the two villages of the contested-well scenario, 2 km apart across the grazing line
        {
            "name": "Amber Ford",
            "lat": 8.0,
            "lon": 30.0,
            "population": 1200,
            "group": "Asari",
            "admin1": "XZ03",
        },
        {
            "name": "Blue Hill",
            "lat": 8.0,
            "lon": 30.018,
            "population": 900,
            "group": "Belen",
            "admin1": "XZ03",
        },
    ]
    k = 0
    for code, (_, lat0, lon0) in ADMIN1.items():
        for _ in range(5):
            name = f"{_FIRST[(k + 2) % len(_FIRST)]} {_SECOND[(k * 3 + 1) % len(_SECOND)]}"
            k += 1
            if any(r["name"] == name for r in rows):
                name += f" {k}"
            lat = round(float(lat0 + rng.uniform(-0.45, 0.45)), 4)
            lon = round(float(lon0 + rng.uniform(-0.45, 0.45)), 4)
            group = "Asari" if lon < 30.0 else "Belen"
            rows.append(
                {
                    "name": name,
                    "lat": lat,
                    "lon": lon,
                    "population": int(rng.integers(300, 5000)),
                    "group": group,
                    "admin1": code,
                }
            )
    return rows


def _territories() -> dict[str, Any]:
    def box(x0: float, x1: float, y0: float, y1: float) -> list[list[list[float]]]:
        return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]

    return {
        "type": "FeatureCollection",
        "name": "SYNTHETIC territories of fictional groups in Riverlands, Republic of Kaltara",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Asari grazing lands (synthetic)", "group": "Asari"},
                "geometry": {"type": "Polygon", "coordinates": box(29.6, 30.009, 7.6, 8.4)},
            },
            {
                "type": "Feature",
                "properties": {"name": "Belen grazing lands (synthetic)", "group": "Belen"},
                "geometry": {"type": "Polygon", "coordinates": box(30.009, 30.4, 7.6, 8.4)},
            },
        ],
    }


ACLED_COLUMNS = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
]
_TYPES = [
    ("Battles", "Armed clash", "Synthetic Highcross militia", "Synthetic state forces"),
    ("Violence against civilians", "Attack", "Synthetic Highcross militia", "Civilians (synthetic)"),
    ("Riots", "Mob violence", "Synthetic rioters", ""),
    ("Strategic developments", "Arrests", "Synthetic Rapid Response Unit", "Civilians (synthetic)"),
    (
        "Explosions/Remote violence",
        "Remote explosive/landmine/IED",
        "Unidentified armed group (synthetic)",
        "",
    ),
]


def _events(rng: np.random.Generator) -> list[dict[str, Any]]:
    """ACLED-layout rows, all SYNTHETIC: a hot spot round Highcross, a few clashes near the grazing line."""
    rows = []
    hot = [
        ("XZ04", 7.9, 28.3, 160, 0.25),
        ("XZ03", 8.02, 30.01, 12, 0.08),
        ("XZ02", 9.2, 31.4, 30, 0.3),
        ("XZ01", 9.6, 29.4, 40, 0.5),
        ("XZ05", 6.4, 30.6, 20, 0.5),
        ("XZ06", 6.9, 28.0, 25, 0.5),
    ]
    n = 0
    for code, lat0, lon0, count, spread in hot:
        for _ in range(count):
            n += 1
            et, sub, a1, a2 = _TYPES[int(rng.integers(0, len(_TYPES)))] if code != "XZ03" else _TYPES[0]
            if code == "XZ03":
                a1, a2 = "Synthetic Asari herders militia", "Synthetic Belen herders militia"
            d = AS_OF - timedelta(days=int(rng.integers(0, 720)))
            fat = int(rng.choice([0, 0, 0, 1, 2, 3, 5, 10]))
            rows.append(
                {
                    "event_id_cnty": f"XZ{n:05d}",
                    "event_date": d.isoformat() if n % 2 else d.strftime("%d %B %Y"),
                    "year": d.year,
                    "time_precision": 1,
                    "disorder_type": "Strategic developments" if et.startswith("Strategic") else "Political violence",
                    "event_type": et,
                    "sub_event_type": sub,
                    "actor1": a1,
                    "actor2": a2,
                    "civilian_targeting": "Civilians targeted" if et == "Violence against civilians" else "",
                    "iso": 0,
                    "region": "Synthetic",
                    "country": "Republic of Kaltara (synthetic)",
                    "admin1": ADMIN1[code][0],
                    "location": f"synthetic place {n}",
                    "latitude": round(float(lat0 + rng.normal(0, spread)), 4),
                    "longitude": round(float(lon0 + rng.normal(0, spread)), 4),
                    "geo_precision": int(rng.choice([1, 1, 1, 2, 3])),
                    "source": "SYNTHETIC (Kizuna demo)",
                    "source_scale": "Synthetic",
                    "notes": "SYNTHETIC event generated for the Kizuna demo; fictional",
                    "fatalities": fat,
                    "tags": "synthetic",
                    "timestamp": 0,
                }
            )
    return rows


def write_demo_inputs(out_dir: Path) -> dict[str, Any]:
    """Write the synthetic inputs under ``out_dir/screen``; return their paths."""
    rng = np.random.default_rng(SEED)
    d = out_dir / "screen"
    d.mkdir(parents=True, exist_ok=True)
    com = _communities(rng)
    com_path = d / "communities_synthetic.csv"
    with open(com_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["name", "lat", "lon", "population", "group", "admin1"])
        w.writeheader()
        w.writerows(com)
    bnd_path = d / "territories_synthetic.geojson"
    bnd_path.write_text(json.dumps(_territories(), indent=1), encoding="utf-8")
    ev_path = d / "events_synthetic_acled_layout.csv"
    with open(ev_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=ACLED_COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(_events(rng))
    props = []
    for name, text in PROPOSALS.items():
        p = d / name
        p.write_text(text, encoding="utf-8")
        props.append(p)
    return {"communities": com_path, "boundaries": bnd_path, "events": ev_path, "proposals": props, "dir": d}


def build_demo(ws: Workspace, out_dir: Path) -> dict[str, Any]:
    """Generate the synthetic inputs, screen the four demo proposals and store their registers.

    Returns ``{"proposals": n, "categories": {id: category}, "register_ids": [...], "reports": {...}}``.
    """
    from kizuna.screen.report import write_reports
    from kizuna.screen.run import screen_files

    files = write_demo_inputs(Path(out_dir))
    run = screen_files(
        files["proposals"],
        as_of=AS_OF,
        communities=files["communities"],
        boundaries=files["boundaries"],
        events=files["events"],
        ws=ws,
    )
    reports = write_reports(run.registers, files["dir"] / "reports", stem="demo_register")
    return {
        "proposals": len(run.registers),
        "categories": {r.proposal_id: r.category for r in run.registers},
        "register_ids": run.register_ids,
        "reports": {k: str(v) for k, v in reports.items()},
        "inputs": str(files["dir"]),
        "synthetic": True,
    }
