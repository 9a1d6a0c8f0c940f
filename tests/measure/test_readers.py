"""Survey readers: CSV, XLSX, SPSS, Stata (with labels), Kobo/ODK with an XLSForm; identifiers
never stay in clear."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from kizuna.errors import InputError
from kizuna.measure.readers import read_survey

ROWS = {
    "hhid": ["A-001", "A-002", "A-003"],
    "region": [1, 2, 1],
    "who5_1": [3, 4, 5],
    "name": ["Ann", "Bo", "Cy"],
}


def _csv(tmp_path: Path, text: str, name: str = "s.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_hashes_ids_and_drops_columns(tmp_path):
    p = tmp_path / "s.csv"
    pl.DataFrame(ROWS).write_csv(p)
    d = read_survey(p, id_columns=["hhid"], drop_columns=["name"])
    assert "name" not in d.frame.columns
    hashed = d.frame["hhid"].to_list()
    assert all(len(h) == 16 for h in hashed) and len(set(hashed)) == 3
    text = " ".join(str(v) for col in d.frame.iter_columns() for v in col.to_list())
    for clear in ROWS["hhid"] + ROWS["name"]:
        assert clear not in text
    assert d.hashed == ["hhid"] and d.dropped == ["name"]
    assert len(d.sha256) == 64 and d.file_format == "csv"
    # the hash key is made per read: tokens cannot be linked across reads
    assert read_survey(p, id_columns=["hhid"]).frame["hhid"].to_list() != hashed


def test_semicolon_csv_and_missing_values(tmp_path):
    p = _csv(tmp_path, "a;b\n1;\n2;NA\n3;4\n")
    d = read_survey(p)
    assert d.frame["b"].to_list() == [None, None, 4]


def test_csv_errors(tmp_path):
    with pytest.raises(InputError) as e:
        read_survey(_csv(tmp_path, ""))
    assert e.value.code == "survey.empty"
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("a,b\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError) as e:
        read_survey(bad)
    assert e.value.code in ("survey.encoding", "survey.csv")
    with pytest.raises(InputError) as e:
        read_survey(tmp_path / "absent.csv")
    assert e.value.code == "survey.missing"
    with pytest.raises(InputError) as e:
        read_survey(_csv(tmp_path, "x", "s.json"))
    assert e.value.code == "survey.format"
    with pytest.raises(InputError) as e:
        read_survey(_csv(tmp_path, "a\n1\n"), id_columns=["hhid"])
    assert e.value.code == "survey.unknown_column"


def test_xlsx(tmp_path):
    import xlsxwriter

    p = tmp_path / "s.xlsx"
    wb = xlsxwriter.Workbook(p)
    ws = wb.add_worksheet("data")
    ws.write_row(0, 0, ["hhid", "region", "score"])
    ws.write_row(1, 0, ["H1", 1, 2.5])
    ws.write_row(2, 0, ["H2", 2, None])
    wb.close()
    d = read_survey(p, id_columns=["hhid"])
    assert d.frame["region"].to_list() == [1, 2] and d.frame["score"].to_list() == [2.5, None]
    assert "H1" not in d.frame["hhid"].to_list()
    with pytest.raises(InputError) as e:
        read_survey(p, sheet="other")
    assert e.value.code == "survey.sheet"
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputError) as e:
        read_survey(tmp_path / "broken.xlsx")
    assert e.value.code == "survey.xlsx"


@pytest.mark.parametrize("ext", ["sav", "dta"])
def test_spss_and_stata_with_labels(tmp_path, ext):
    import pandas as pd
    import pyreadstat

    df = pd.DataFrame({"hhid": ["X1", "X2"], "region": [1.0, 2.0], "sex": [1.0, 2.0]})
    p = tmp_path / f"s.{ext}"
    write = pyreadstat.write_sav if ext == "sav" else pyreadstat.write_dta
    write(
        df,
        str(p),
        column_labels=["Household id", "Region", "Sex"],
        variable_value_labels={"region": {1: "North", 2: "South"}, "sex": {1: "female", 2: "male"}},
    )
    d = read_survey(p, id_columns=["hhid"])
    assert d.variable_labels["region"] == "Region"
    assert d.value_labels["region"] == {1: "North", 2: "South"}
    assert d.label_of("sex", 2.0) == "male"
    assert "X1" not in d.frame["hhid"].to_list()
    (tmp_path / f"bad.{ext}").write_bytes(b"garbage")
    with pytest.raises(InputError):
        read_survey(tmp_path / f"bad.{ext}")


def _xlsform(path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(path)
    s = wb.add_worksheet("survey")
    for i, row in enumerate(
        [
            ["type", "name", "label::English (en)"],
            ["begin_group", "hh", "Household"],
            ["select_one yn", "water_ok", "Enough water?"],
            ["select_one reg", "region", "Region"],
            ["integer", "ladder", "Ladder now"],
            ["end_group", "", ""],
        ]
    ):
        s.write_row(i, 0, row)
    c = wb.add_worksheet("choices")
    for i, row in enumerate(
        [
            ["list_name", "name", "label::English (en)"],
            ["yn", 1, "Yes"],
            ["yn", 0, "No"],
            ["reg", "XZ01", "Northmarch"],
            ["reg", "XZ02", "Eastvale"],
        ]
    ):
        c.write_row(i, 0, row)
    wb.close()


def test_kobo_export_with_xlsform_maps_labels_and_protects_metadata(tmp_path):
    form = tmp_path / "form.xlsx"
    _xlsform(form)
    p = _csv(
        tmp_path,
        "start;hh/water_ok;hh/region;hh/ladder;username;_uuid;_submission_time;_gps_latitude\n"
        "2026-01-01;Yes;Northmarch;5;enum7;u-1;2026-01-01;8.1\n"
        "2026-01-01;0;XZ02;6;enum8;u-2;2026-01-01;8.2\n",
        "kobo.csv",
    )
    d = read_survey(p, xlsform=form)
    f = d.frame
    assert f["water_ok"].to_list() == [1, 0]  # label "Yes" and name "0" both become names
    assert f["region"].to_list() == ["XZ01", "XZ02"]
    assert f["ladder"].to_list() == [5, 6]
    assert d.value_labels["region"] == {"XZ01": "Northmarch", "XZ02": "Eastvale"}
    assert d.variable_labels["water_ok"] == "Enough water?"
    assert "username" not in f.columns and "_gps_latitude" not in f.columns
    assert "u-1" not in f["_uuid"].to_list() and d.file_format == "kobo-csv"


def test_kobo_unknown_choice_is_an_error(tmp_path):
    form = tmp_path / "form.xlsx"
    _xlsform(form)
    p = _csv(tmp_path, "hh/water_ok,_uuid\nMaybe,u-1\n", "kobo.csv")
    with pytest.raises(InputError) as e:
        read_survey(p, xlsform=form)
    assert e.value.code == "survey.unknown_choice" and e.value.where.row == 1 and e.value.where.field == "water_ok"


def test_kobo_without_form_still_drops_personal_metadata(tmp_path):
    p = _csv(tmp_path, "q1,deviceid,phonenumber,_uuid\n1,dev,+000123,u\n", "kobo.csv")
    d = read_survey(p)
    assert d.frame.columns == ["q1", "_uuid"] and d.frame["_uuid"][0] != "u"


def test_csv_with_a_late_type_change_is_read_whole(tmp_path):
    p = tmp_path / "late.csv"
    p.write_text("a\n" + "1\n" * 12_000 + "x\n")
    d = read_survey(p)
    assert d.frame.height == 12_001 and d.frame["a"][-1] == "x"
