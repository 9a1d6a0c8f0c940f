"""The per-respondent output (respondents.csv): one row per respondent with each household's FCS,
rCSI, LCS and CARI class, keyed by the hashed respondent id, never a raw identifier or a personal
column; keyed by row number (and said so) when the spec names no id column."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import polars as pl
import pytest
from wfp_survey import PLANTED_ID, PLANTED_NAME, PLANTED_PHONE, SPEC, N, survey_frame, write_survey

from kizuna.measure.api import measure_file
from kizuna.measure.instruments import score
from kizuna.measure.readers import read_survey
from kizuna.measure.respondents import respondent_table
from kizuna.measure.spec import parse_spec


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resp")
    csv, spec = write_survey(folder)
    out = folder / "out"
    measure_file(csv, spec, out_dir=out)
    return csv, out


def test_one_row_per_respondent_keyed_by_the_hashed_id(run):
    csv, out = run
    resp = pl.read_csv(out / "respondents.csv")
    assert resp.height == N
    assert resp["row"].to_list() == list(range(1, N + 1))
    raw_ids = set(pl.read_csv(csv)["hh_id"].to_list())
    keys = resp["hh_id"].to_list()
    assert len(set(keys)) == N  # distinct households stay distinct
    assert not raw_ids & set(keys)
    assert all(len(k) == 16 and all(ch in "0123456789abcdef" for ch in k) for k in keys)
    meta = json.loads((out / "measure.json").read_text())["run"]["respondents"]
    assert meta == {"file": "respondents.csv", "rows": N, "keys": ["hh_id"], "keys_hashed": True}


def test_no_raw_identifier_or_personal_column_reaches_any_output(run):
    _, out = run
    for path in out.iterdir():
        if path.suffix == ".xlsx":  # a zip of XML parts: read every part
            with zipfile.ZipFile(path) as z:
                text = "".join(z.read(n).decode("utf-8", errors="replace") for n in z.namelist())
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
        for planted in (PLANTED_ID, PLANTED_NAME, PLANTED_PHONE):
            assert planted not in text, (planted, path.name)
    resp = pl.read_csv(out / "respondents.csv")
    assert not {"respondent_name", "phone", "weight", "cluster", "stratum", "region"} & set(resp.columns)
    assert not [c for c in resp.columns if c.startswith(("fcs_cereals", "rcsi_borrow", "lcs_stress"))]


def test_each_household_carries_its_scores_and_classes(run):
    csv, out = run
    resp = pl.read_csv(out / "respondents.csv")
    frame = pl.read_csv(csv)
    spec = parse_spec(SPEC)
    fcs = score("fcs", frame, spec.instruments[0].items)
    assert resp["fcs_score"].to_list() == fcs["fcs_score"].to_list()
    assert resp["fcs_class"].to_list() == fcs["fcs_class"].to_list()
    for col in ("rcsi_score", "rcsi_class", "lcs_class", "cari_score", "cari_class"):
        assert resp[col].null_count() == 0, col
    assert set(resp["cari_class"].unique().to_list()) <= {
        "food_secure",
        "marginally_food_secure",
        "moderately_food_insecure",
        "severely_food_insecure",
    }
    # a household of row 2 by hand: its deprivation score is the weighted sum of its deprivations
    w = spec.weights
    r = resp.row(1, named=True)
    c = sum(w[i] * r[f"deprived_{i}"] for i in ("food", "coping", "cari"))
    assert r["deprivation_score"] == pytest.approx(c)
    assert r["poor"] == (c >= 0.33 - 1e-9)


def test_the_poor_in_respondents_give_the_headcount_of_the_run(run):
    _, out = run
    resp = pl.read_csv(out / "respondents.csv")
    frame = survey_frame()
    summary = pl.read_csv(out / "summary.csv")
    for rnd in (1, 2):
        sel = (frame["round"] == rnd).to_numpy()
        w = frame["weight"].to_numpy()[sel]
        poor = resp["poor"].to_numpy()[sel].astype(float)
        h = summary.filter((pl.col("round") == rnd) & (pl.col("measure") == "H"))["b"][0]
        assert np.average(poor, weights=w) == pytest.approx(h, abs=1e-12)


def test_without_an_id_column_the_table_is_keyed_by_row_number_and_says_so(tmp_path):
    csv, _ = write_survey(tmp_path)
    text = SPEC.replace('id_columns = ["hh_id"]', "id_columns = []").replace(
        'drop_columns = ["respondent_name"]', 'drop_columns = ["respondent_name", "hh_id"]'
    )
    spec = parse_spec(text)
    data = read_survey(csv, id_columns=spec.id_columns, drop_columns=spec.drop_columns)
    table = respondent_table(data.frame, spec, hashed=data.hashed)
    assert table.keys == []
    assert table.frame.columns[0] == "row" and "hh_id" not in table.frame.columns
    assert any("keyed by row number" in n for n in table.notes)


def test_an_unhashed_column_is_never_a_key(tmp_path):
    # a column named in id_columns but not hashed (e.g. a caller that skipped the reader) is left out
    spec = parse_spec(SPEC)
    frame = survey_frame()
    table = respondent_table(frame, spec, hashed=[])
    assert "hh_id" not in table.frame.columns
    assert PLANTED_ID not in table.frame.write_csv()
