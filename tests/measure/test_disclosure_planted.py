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
from pathlib import Path

import polars as pl
import pytest
from tests.planted import (
    SPEC,
    central_export,
    kobo_export,
    leaks,
    output_texts,
    plain_survey,
    planted,
    planted_people,
    workspace_text,
)

from kizuna.cli import main


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
    values = planted(planted_people())
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
    assert leaks(said, planted(planted_people())) == []
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
