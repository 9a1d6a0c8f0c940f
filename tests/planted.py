"""Builders of planted personal data for the tests that search every output for it (issue 13).

Fake names, phone numbers, identity numbers and GPS points in a plain survey CSV, a KoboToolbox
export and an ODK Central export; `planted` lists every value a leak search looks for."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import polars as pl

N = 150
REGIONS = ["North"] * 60 + ["South"] * 60 + ["East"] * 24 + ["West"] * 6  # West: 6 persons (< 10)


def planted_people() -> dict[str, list]:
    rng = np.random.default_rng(13)
    return {
        "respondent_name": [f"Plantedname Akol{i:03d} Deng" for i in range(N)],
        "phone": [f"+211 912 77{i:04d}" for i in range(N)],
        "national_id": [f"NIDPLANT{i:06d}" for i in range(N)],
        "gps": [f"4.85{i:05d} 31.60{i:05d} 450.0 5.0" for i in range(N)],
        "enumerator": [f"Enumplanted {'ABC'[i % 3]}" for i in range(N)],
        "region": REGIONS,
        "sex": ["f" if i % 2 else "m" for i in range(N)],
        "d1": rng.integers(0, 2, N).tolist(),
        "d2": rng.integers(0, 2, N).tolist(),
        "d3": rng.integers(0, 2, N).tolist(),
    }


def planted(people: dict[str, list]) -> list[str]:
    """Every planted personal value, plus the latitude alone (a GPS part)."""
    out: list[str] = []
    for col in ("respondent_name", "phone", "national_id", "gps", "enumerator"):
        out += [str(v) for v in people[col]]
    out += [g.split()[0] for g in people["gps"]]
    out += ["Plantedname", "Enumplanted", "NIDPLANT", "+211 912 77"]
    return out


SPEC = """
title = "Planted data test"
[survey]
{survey}
[indicators.d1]
column = "{p}d1"
[indicators.d2]
column = "{p}d2"
[indicators.d3]
column = "{p}d3"
[af]
k = 50
subgroups = [{subgroups}]
[needs]
admin1 = "{p}region"
"""


def plain_survey(tmp: Path) -> tuple[Path, str, str]:
    p = tmp / "survey.csv"
    pl.DataFrame(planted_people()).write_csv(p)
    # nothing but the id declared: names, phones, GPS and enumerators stay in the frame (warned about)
    return p, 'id_columns = ["national_id"]', ""


def kobo_export(tmp: Path) -> tuple[Path, str, str]:
    ppl = planted_people()
    lat = [g.split()[0] for g in ppl["gps"]]
    lon = [g.split()[1] for g in ppl["gps"]]
    frame = {
        "start": [f"2026-03-01T09:{i % 60:02d}:00.000+03:00" for i in range(N)],
        "end": [f"2026-03-01T10:{i % 60:02d}:00.000+03:00" for i in range(N)],
        "deviceid": [f"collect:PLANTDEV{i:04d}" for i in range(N)],
        "username": ppl["enumerator"],
        "phonenumber": ppl["phone"],
        "hh/respondent_name": ppl["respondent_name"],
        "hh/phone": ppl["phone"],
        "hh/national_id": ppl["national_id"],
        "hh/region": ppl["region"],
        "hh/sex": ppl["sex"],
        "enumerator": ppl["enumerator"],
        "hh/d1": ppl["d1"],
        "hh/d2": ppl["d2"],
        "hh/d3": ppl["d3"],
        "gps": ppl["gps"],
        "_gps_latitude": lat,
        "_gps_longitude": lon,
        "_gps_altitude": ["450.0"] * N,
        "_gps_precision": ["5.0"] * N,
        "meta/instanceName": [f"Household of {n}" for n in ppl["respondent_name"]],
        "meta/instanceID": [f"uuid:plant-{i:08d}" for i in range(N)],
        "_id": list(range(1000, 1000 + N)),
        "_uuid": [f"plant-{i:08d}" for i in range(N)],
        "_submission_time": ["2026-03-01T11:00:00"] * N,
        "_validation_status": ['{"by_whom": "' + e + '"}' for e in ppl["enumerator"]],
        "_notes": ["[]"] * N,
        "_status": ["submitted_via_web"] * N,
        "_submitted_by": ppl["enumerator"],
        "__version__": ["vPLANT"] * N,
        "_tags": ["[]"] * N,
        "_attachments": [json.dumps([{"filename": f"plant/attachments/{n}.jpg"}]) for n in ppl["respondent_name"]],
        "_geolocation": [f"[{a}, {o}]" for a, o in zip(lat, lon, strict=True)],
        "_index": list(range(1, N + 1)),
    }
    p = tmp / "kobo.csv"
    pl.DataFrame(frame).write_csv(p, separator=";")
    return p, 'id_columns = ["hh/national_id"]\ndrop_columns = ["hh/respondent_name", "hh/phone", "enumerator"]', "hh/"


def central_export(tmp: Path) -> tuple[Path, str, str]:
    ppl = planted_people()
    frame = {
        "SubmissionDate": ["2026-03-01T11:00:00.000Z"] * N,
        "start": [f"2026-03-01T09:{i % 60:02d}:00.000+03:00" for i in range(N)],
        "end": [f"2026-03-01T10:{i % 60:02d}:00.000+03:00" for i in range(N)],
        "grp-respondent_name": ppl["respondent_name"],
        "grp-phone": ppl["phone"],
        "grp-national_id": ppl["national_id"],
        "grp-region": ppl["region"],
        "grp-sex": ppl["sex"],
        "grp-d1": ppl["d1"],
        "grp-d2": ppl["d2"],
        "grp-d3": ppl["d3"],
        "gps-Latitude": [g.split()[0] for g in ppl["gps"]],
        "gps-Longitude": [g.split()[1] for g in ppl["gps"]],
        "gps-Altitude": ["450.0"] * N,
        "gps-Accuracy": ["5.0"] * N,
        "meta-instanceID": [f"uuid:plant-{i:08d}" for i in range(N)],
        "meta-instanceName": [f"Household of {n}" for n in ppl["respondent_name"]],
        "KEY": [f"uuid:plant-{i:08d}" for i in range(N)],
        "SubmitterID": [str(500 + i % 3) for i in range(N)],
        "SubmitterName": ppl["enumerator"],
        "AttachmentsPresent": [0] * N,
        "AttachmentsExpected": [0] * N,
        "Status": [""] * N,
        "ReviewState": [""] * N,
        "DeviceID": [f"collect:PLANTDEV{i:04d}" for i in range(N)],
        "Edits": [0] * N,
        "FormVersion": ["2026030101"] * N,
    }
    p = tmp / "central.csv"
    pl.DataFrame(frame).write_csv(p)
    return p, 'id_columns = ["grp-national_id"]\ndrop_columns = ["grp-respondent_name", "grp-phone"]', "grp-"


def leaks(data: bytes | str, values: list[str]) -> list[str]:
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    return [v for v in values if v in text]


def workspace_text(ws: Path) -> str:
    """Every value of every table of the workspace, as text."""
    import duckdb

    con = duckdb.connect(str(ws), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return "\n".join(repr(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)
    finally:
        con.close()


def file_text(path: Path) -> str:
    """A written file as text to search: every part of an XLSX (a zip), else the file itself."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(m).decode("utf-8", errors="replace") for m in z.namelist())
    return path.read_bytes().decode("utf-8", errors="replace")


def output_texts(out: Path) -> dict[str, str]:
    """Every file of an output folder as text, by name."""
    return {f.name: file_text(f) for f in sorted(out.iterdir())}
