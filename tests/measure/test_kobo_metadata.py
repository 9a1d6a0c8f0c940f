"""The Kobo/ODK and ODK Central metadata drop is complete: after reading an export, no column of the
frame that goes on to the analysis holds a planted name, phone, device id, GPS point, user name or
attachment name, and the submission ids are hashed; errors name row and column but never echo values."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from tests.planted import central_export, kobo_export, planted
from tests.planted import planted_people as _people

from kizuna.errors import InputError
from kizuna.measure.readers import read_survey


def _frame_text(frame: pl.DataFrame) -> str:
    return "\n".join("\n".join(str(v) for v in frame.get_column(c).cast(pl.String).to_list()) for c in frame.columns)


KOBO_DROPPED = {
    "start",
    "end",
    "deviceid",
    "username",
    "phonenumber",
    "gps",
    "_gps_latitude",
    "_gps_longitude",
    "_gps_altitude",
    "_gps_precision",
    "meta/instanceName",
    "_validation_status",
    "_notes",
    "_submitted_by",
    "_tags",
    "_attachments",
    "_geolocation",
}
CENTRAL_DROPPED = {
    "start",
    "end",
    "gps-Latitude",
    "gps-Longitude",
    "gps-Altitude",
    "gps-Accuracy",
    "meta-instanceName",
    "SubmitterID",
    "SubmitterName",
    "DeviceID",
}


def test_a_kobo_export_keeps_no_personal_metadata(tmp_path):
    path, _, _ = kobo_export(tmp_path)
    d = read_survey(path, id_columns=["hh/national_id"], drop_columns=["hh/respondent_name", "hh/phone", "enumerator"])
    assert d.file_format == "kobo-csv"
    assert set(d.dropped) >= KOBO_DROPPED
    assert not (KOBO_DROPPED & set(d.frame.columns))
    assert {"_uuid", "_id", "_index", "meta/instanceID", "hh/national_id"} <= set(d.hashed)
    assert [v for v in planted(_people()) if v in _frame_text(d.frame)] == []
    # the answers stay
    assert {"hh/region", "hh/sex", "hh/d1"} <= set(d.frame.columns)


def test_an_odk_central_export_is_recognised_and_stripped(tmp_path):
    path, _, _ = central_export(tmp_path)
    d = read_survey(path, id_columns=["grp-national_id"], drop_columns=["grp-respondent_name", "grp-phone"])
    assert d.file_format == "odk-central-csv"
    assert set(d.dropped) >= CENTRAL_DROPPED
    assert {"KEY", "meta-instanceID", "grp-national_id"} <= set(d.hashed)
    assert [v for v in planted(_people()) if v in _frame_text(d.frame)] == []
    assert {"grp-region", "SubmissionDate", "FormVersion"} <= set(d.frame.columns)


def test_the_geopoint_column_itself_is_dropped_by_its_values_whatever_its_name(tmp_path):
    p = tmp_path / "k.csv"
    pl.DataFrame(
        {
            "_uuid": ["a", "b", "c"],
            "where_now": ["4.8512345 31.6012345 450.0 5.0", "4.8512399 31.6012300 451.0 4.0", None],
            "score": ["1.5 2.5", "3", "4"],  # numbers with a space, but not points
        }
    ).write_csv(p)
    d = read_survey(p)
    assert "where_now" in d.dropped and "score" in d.frame.columns


def test_xlsform_types_drop_metadata_and_geopoints(tmp_path):
    import openpyxl

    form = tmp_path / "form.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in [
        ("type", "name", "label"),
        ("start", "started", None),
        ("geopoint", "home", "Home location"),
        ("text", "respondent", "Name of the respondent"),
        ("integer", "age", "Age"),
    ]:
        ws.append(row)
    wb.create_sheet("choices").append(("list_name", "name", "label"))
    wb.save(form)
    p = tmp_path / "k.csv"
    pl.DataFrame(
        {
            "started": ["2026-03-01T09:00"],
            "home": ["4.85 31.60 450 5"],
            "respondent": ["Plantedname X"],
            "age": [40],
        }
    ).write_csv(p)
    d = read_survey(p, xlsform=form)
    assert {"started", "home"} <= set(d.dropped)
    # a text question is warned about (it may be analysed on purpose), not dropped
    assert ("respondent", "free text") in d.undeclared


def test_an_undeclared_identifier_column_is_reported_and_a_declared_one_is_not(tmp_path):
    p = tmp_path / "s.csv"
    pl.DataFrame(_people()).write_csv(p)
    d = read_survey(p, id_columns=["national_id"], drop_columns=["phone"])
    cols = {c for c, _ in d.undeclared}
    assert {"respondent_name", "gps", "enumerator"} <= cols
    assert not cols & {"national_id", "phone", "region", "sex", "d1", "d2", "d3"}


def test_an_unbalanced_quote_names_the_line_but_echoes_no_value(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(
        'name,phone,d1\nPlantedname A,+211912770001,1\n"Plantedname B,+211912770002,0\nPlantedname C,1,1\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as e:
        read_survey(p, drop_columns=["name", "phone"])
    err = e.value
    assert err.code == "survey.csv" and err.where.line == 3 and err.where.row == 2
    shown = f"{err.message} {err.params} {err.hint} {err}"
    assert "Plantedname" not in shown and "+211" not in shown


def test_a_ragged_row_names_the_row_but_echoes_no_value(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("name,d1\nPlantedname A,1\nPlantedname B,0,+211912770002,extra\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_survey(p)
    shown = f"{e.value.message} {e.value.params} {e.value}"
    assert e.value.where.row == 2 and "Plantedname" not in shown and "+211" not in shown


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_bytes("name,d1\nA,1\nPlantedn\xe9me,0\n".encode("latin-1"))
    with pytest.raises(InputError) as e:
        read_survey(p)
    assert e.value.code == "survey.encoding" and e.value.where.line == 3
    assert "Plantedn" not in str(e.value)


def test_a_mistyped_choice_names_row_and_column_but_not_the_value(tmp_path):
    import openpyxl

    form = tmp_path / "form.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(("type", "name", "label"))
    ws.append(("select_one yn", "consent", "Consent"))
    ch = wb.create_sheet("choices")
    ch.append(("list_name", "name", "label"))
    ch.append(("yn", "1", "Yes"))
    ch.append(("yn", "0", "No"))
    wb.save(form)
    p = tmp_path / "k.csv"
    pl.DataFrame({"consent": ["Yes", "Plantedname Akol"]}).write_csv(p)
    with pytest.raises(InputError) as e:
        read_survey(p, xlsform=form)
    err = e.value
    assert err.code == "survey.unknown_choice" and err.where.row == 2 and err.where.field == "consent"
    assert "Plantedname" not in f"{err.message} {err.params} {err}"


def test_the_workspace_keeps_the_xlsform_name_and_sha256_not_its_path(tmp_path):
    from kizuna.measure.spec import load_spec

    folder = tmp_path / "Users" / "amina.planted" / "forms"
    folder.mkdir(parents=True)
    form = folder / "hh_form.xlsx"
    form.write_bytes(b"not really a workbook")
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(f'[survey]\nxlsform = "{form.as_posix()}"\n[indicators.d1]\ncolumn = "d1"\n')
    spec = load_spec(spec_path)
    assert "amina.planted" not in spec.stored_text
    assert 'xlsform = "hh_form.xlsx"' in spec.stored_text
    from kizuna.workspace import file_sha256

    assert f"# xlsform sha256 = {file_sha256(form)}" in spec.stored_text
    # a Windows path in a literal string too
    spec_path.write_text(
        "[survey]\nxlsform = 'C:\\Users\\amina.planted\\hh_form.xlsx'\n[indicators.d1]\ncolumn = \"d1\"\n"
    )
    assert "amina" not in load_spec(spec_path).stored_text
    assert Path(spec.xlsform or "").name == "hh_form.xlsx"
