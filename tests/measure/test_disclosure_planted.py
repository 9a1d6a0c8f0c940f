"""Planted personal data never leaves `kizuna measure` (issue 13).

Fake names, phone numbers, identity numbers and GPS points are planted in a plain survey CSV, a
KoboToolbox export and an ODK Central export. After `kizuna measure`, none of them is in the
workspace (its file and WAL read as bytes, and every text value of every table), in any output file
(CSV, JSON, HTML, every part of the XLSX), in the CLI's messages, on the /vital-core page (each
subgroup) or in any measure API response — except a column the spec explicitly allows (the control
at the end shows that the same search does find names when they are published on purpose).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from kizuna.cli import main

N = 150
REGIONS = ["North"] * 60 + ["South"] * 60 + ["East"] * 24 + ["West"] * 6  # West: 6 persons (< 10)


def _people() -> dict[str, list]:
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
    pl.DataFrame(_people()).write_csv(p)
    # nothing but the id declared: names, phones, GPS and enumerators stay in the frame (warned about)
    return p, 'id_columns = ["national_id"]', ""


def kobo_export(tmp: Path) -> tuple[Path, str, str]:
    ppl = _people()
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
    ppl = _people()
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


def output_texts(out: Path) -> dict[str, str]:
    texts = {}
    for f in sorted(out.iterdir()):
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                texts[f.name] = "\n".join(z.read(m).decode("utf-8", errors="replace") for m in z.namelist())
        else:
            texts[f.name] = f.read_text(encoding="utf-8")
    return texts


def web_texts(ws: Path) -> dict[str, str]:
    """/vital-core for every subgroup variable (both languages) and every measure API dataset."""
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app
    from kizuna.web.datasets import DATASETS

    out = {}
    with TestClient(create_app(ws, cache_size=0)) as client:
        groups = [r["group_var"] for r in client.get("/api/v1/vital-core-groups").json()["items"]]
        for lang in ("en", "ja"):
            out[f"/vital-core {lang}"] = client.get(f"/vital-core?lang={lang}").text
            for g in groups:
                out[f"/vital-core?group={g} {lang}"] = client.get("/vital-core", params={"group": g, "lang": lang}).text
        for d in DATASETS.values():
            if d.part != "measure":
                continue
            for g in [None, *groups]:
                params = {"group": g} if g and "group" in d.filters else {}
                out[f"api {d.name} {g}"] = client.get(f"/api/v1/{d.name}", params=params).text
                out[f"api {d.name} {g} csv"] = client.get(f"/api/v1/{d.name}", params={**params, "format": "csv"}).text
    return out


def run_cli(tmp: Path, survey: Path, spec_text: str, capsys) -> tuple[int, Path, Path, str]:
    spec = tmp / "spec.toml"
    spec.write_text(spec_text, encoding="utf-8")
    ws, out = tmp / "ws.duckdb", tmp / "out"
    rc = main(["measure", str(survey), "--spec", str(spec), "-w", str(ws), "--out-dir", str(out)])
    captured = capsys.readouterr()
    return rc, ws, out, captured.out + captured.err


@pytest.mark.parametrize("make", [plain_survey, kobo_export, central_export], ids=["csv", "kobo", "odk-central"])
def test_planted_personal_data_appears_nowhere(tmp_path, capsys, make):
    survey, survey_keys, p = make(tmp_path)
    spec_text = SPEC.format(survey=survey_keys, p=p, subgroups=f'"{p}region", "{p}sex"')
    rc, ws, out, said = run_cli(tmp_path, survey, spec_text, capsys)
    assert rc == 0, said
    values = planted(_people())
    assert leaks(said, values) == []
    found = {}
    for part in [ws, Path(str(ws) + ".wal")]:
        if part.exists():
            found[part.name] = leaks(part.read_bytes(), values)
    found["workspace tables"] = leaks(workspace_text(ws), values)
    for name, text in output_texts(out).items():
        found[name] = leaks(text, values)
    for name, text in web_texts(ws).items():
        found[name] = leaks(text, values)
    assert {k: v[:3] for k, v in found.items() if v} == {}
    # the small region is withheld everywhere it is published, with the threshold in the metadata
    meta = json.loads((out / "measure.json").read_text())["run"]["disclosure"]
    assert meta["min_cell"] == 10 and meta["suppressed_areas"] == 2
    sub = pl.read_csv(out / "subgroups.csv").filter(pl.col("group_var") == f"{p}region")
    west = sub.filter(pl.col("group") == "West").row(0, named=True)
    assert west["suppressed"] is True and west["H"] is None and west["pop"] is None


def test_undeclared_identifier_columns_are_warned_about_by_name_only(tmp_path, capsys):
    survey, survey_keys, p = plain_survey(tmp_path)
    spec_text = SPEC.format(survey=survey_keys, p=p, subgroups='"region"')
    rc, _, out, said = run_cli(tmp_path, survey, spec_text, capsys)
    assert rc == 0
    for col in ("respondent_name", "phone", "gps", "enumerator"):
        assert f"column '{col}' looks like" in said, col
    assert "column 'region' looks like" not in said and "column 'd1' looks like" not in said
    notes = json.loads((out / "measure.json").read_text())["run"]["notes"]
    assert any("'respondent_name'" in n for n in notes)


def test_an_identifier_subgroup_is_refused_with_code_field_and_the_allow_option(tmp_path, capsys):
    survey, survey_keys, p = plain_survey(tmp_path)
    spec_text = SPEC.format(survey=survey_keys, p=p, subgroups='"respondent_name"')
    rc, ws, out, said = run_cli(tmp_path, survey, spec_text, capsys)
    assert rc == 2
    assert "error[spec.identifier_group]" in said
    assert "respondent_name" in said and "[disclosure] allow" in said
    assert leaks(said, planted(_people())) == []
    assert not out.exists()


def test_a_column_the_spec_allows_is_published_but_never_the_default_group(tmp_path, capsys):
    """The control: the same searches find the enumerators' names once the spec allows them, so the
    searches above can fail; and /vital-core still opens on a non-identifier group."""
    survey, survey_keys, p = plain_survey(tmp_path)
    spec_text = SPEC.format(survey=survey_keys, p=p, subgroups='"enumerator", "region"')
    spec_text += '[disclosure]\nallow = ["enumerator"]\n'
    rc, ws, out, said = run_cli(tmp_path, survey, spec_text, capsys)
    assert rc == 0, said
    names = ["Enumplanted A", "Enumplanted B", "Enumplanted C"]
    assert leaks(workspace_text(ws), names) == names
    assert leaks(output_texts(out)["subgroups.csv"], names) == names
    pages = web_texts(ws)
    assert leaks(pages["/vital-core?group=enumerator en"], names) == names
    default = pages["/vital-core en"]
    assert leaks(default, names) == []
    assert 'value="region" selected' in default or "by region" in default.lower()
