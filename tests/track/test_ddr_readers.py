"""DDR sheets: pseudonymised on read, and each bad input refused with its code and place, quoting no value;
a refused import stores nothing; the key is checked on every import."""

from __future__ import annotations

from pathlib import Path

import pytest

from kizuna.errors import InputError
from kizuna.track.ddr_readers import NAMESPACE, read_persons, read_waves
from kizuna.track.ddr_store import import_sheets, load
from kizuna.track.protect import TrackKey, pseudonym, unseal
from kizuna.workspace import open_workspace

KEY = TrackKey.from_secret(bytes(range(32)))
OTHER = TrackKey.from_secret(bytes(range(1, 33)))
SECRET = "Secretvalue Qwerty"  # a personal value that no error may quote

PERSONS = (
    "person_id,name,national_id,sex,date_of_birth,cohort,entry_date,area,former_group,phone,notes,former_commander\n"
    "KA-001,Secretvalue Qwerty,NID999,F,1990-05-01,,2024-01-15,xa01,Front,+999 700 1234,quiet,Cmdr Zed\n"
    "KA-002,Other Person,NID998,male,,c2,2024-02-01,XA02,Front,,,\n"
)
WAVES = (
    "person_id,wave_month,wave_date,status,employed,income,rerecruited,who5_1,who5_2,who5_3,who5_4,who5_5\n"
    "KA-001,3,2024-04-15,seen,yes,120,no,3,3,3,3,3\n"
    "KA-002,3,,lost,,,,,,,,\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def refused(fn, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        fn(*args, **kwargs)
    err = info.value
    assert SECRET not in err.one_line() and "Secretvalue" not in str(err.to_dict())
    return err


def test_persons_are_pseudonymised_names_dropped_and_sensitive_fields_sealed(tmp_path):
    sheet = read_persons(write(tmp_path, "p.csv", PERSONS), KEY, programme="Prog")
    first = sheet.rows[0]
    assert first["person"] == pseudonym(KEY, "KA-001", NAMESPACE) and "KA-001" not in repr(sheet.rows)
    assert SECRET not in repr(sheet.rows) and "NID999" not in repr(sheet.rows)
    assert (first["sex"], first["area"], first["cohort"], first["age"]) == ("f", "XA01", "2024-01", 33)
    assert unseal(KEY, first["phone_sealed"], f"{first['person']}|phone") == "+999 700 1234"
    assert unseal(KEY, first["dob_sealed"], f"{first['person']}|date_of_birth") == "1990-05-01"
    assert sheet.rows[1]["phone_sealed"] is None and sheet.rows[1]["cohort"] == "c2"


def test_waves_are_scored_with_measures_who5_and_a_lost_row_observes_nothing(tmp_path):
    sheet = read_waves(write(tmp_path, "w.csv", WAVES), KEY, programme="Prog")
    seen, lost = sheet.rows
    assert seen["who5_pct"] == 60.0 and seen["employed"] is True and seen["income"] == 120.0
    assert lost["status"] == "lost" and lost["who5_pct"] is None and lost["employed"] is None


@pytest.mark.parametrize(
    ("text", "code", "row", "field"),
    [
        ("person_id,sexx\nA,f\n", "ddr.unknown_column", 1, "sexx"),
        ("person_id,contact_name\nA,Secretvalue Qwerty\n", "ddr.personal_column", 1, "contact_name"),
        ("person_id,mobile\nA,+999 123 4567\n", "ddr.personal_column", 1, "mobile"),
        ("sex,area\nf,XA01\n", "ddr.missing_column", 1, "person_id"),
        ("person_id,sex\n,f\n", "ddr.missing_id", 2, "person_id"),
        ("person_id,sex\nA,Secretvalue Qwerty\n", "ddr.bad_value", 2, "sex"),
        ("person_id,entry_date\nA,2024-02-31\n", "ddr.bad_date", 2, "entry_date"),
        ("person_id,age\nA,230\n", "ddr.bad_number", 2, "age"),
        ("person_id,sex\nA,f\nB,m\n a ,f\n", "ddr.duplicate_person", 4, "person_id"),
        ("person_id,sex\nA,f,Secretvalue Qwerty\n", "ddr.cell_count", 2, None),
        ("person_id,sex,gender\nA,f,f\n", "ddr.duplicate_column", 1, "gender"),
    ],
)
def test_a_bad_persons_sheet_is_refused_with_its_code_and_place(tmp_path, text, code, row, field):
    path = write(tmp_path, "p.csv", text)
    err = refused(read_persons, path, KEY, programme="Prog")
    assert (err.code, err.where.file, err.where.row, err.where.field) == (code, str(path), row, field)
    assert err.hint


@pytest.mark.parametrize(
    ("text", "code", "row", "field"),
    [
        ("person_id,status\nA,seen\n", "ddr.missing_column", 1, "wave_month"),
        ("person_id,wave_month,status\nA,3,maybe\n", "ddr.bad_status", 2, "status"),
        ("person_id,wave_month,status\nA,-3,seen\n", "ddr.bad_number", 2, "wave_month"),
        ("person_id,wave_month,status\nA,,seen\n", "ddr.bad_wave", 2, "wave_month"),
        ("person_id,wave_month,status\nA,3,seen\nA,3,lost\n", "ddr.duplicate_wave", 3, "wave_month"),
        ("person_id,wave_month,status,employed\nA,3,seen,often\n", "ddr.bad_value", 2, "employed"),
        ("person_id,wave_month,status,who5_1,who5_2\nA,3,seen,1,2\n", "ddr.instrument_items", 1, "who5_3"),
        (
            "person_id,wave_month,status,k6_1,k6_2,k6_3,k6_4,k6_5,k6_6\nA,3,seen,1,1,1,1,1,9\n",
            "ddr.bad_number",
            2,
            "k6_6",
        ),
        ("person_id,wave_month,statsu\nA,3,seen\n", "ddr.unknown_column", 1, "statsu"),
    ],
)
def test_a_bad_waves_sheet_is_refused_with_its_code_and_place(tmp_path, text, code, row, field):
    path = write(tmp_path, "w.csv", text)
    err = refused(read_waves, path, KEY, programme="Prog")
    assert (err.code, err.where.row, err.where.field) == (code, row, field)


def test_files_that_cannot_be_read(tmp_path):
    assert refused(read_persons, write(tmp_path, "p.txt", "x"), KEY).code == "ddr.type"
    latin = tmp_path / "p.csv"
    latin.write_bytes("person_id,sex\nRen\xe9,f\n".encode("latin-1"))
    assert refused(read_persons, latin, KEY).code == "ddr.encoding"
    quote = write(tmp_path, "q.csv", 'person_id,sex\n"A,f\nB,m\n')
    assert refused(read_persons, quote, KEY).code == "ddr.csv_quote"
    assert refused(read_persons, write(tmp_path, "e.csv", "\n\n"), KEY).code == "ddr.empty"
    bad_xlsx = tmp_path / "b.xlsx"
    bad_xlsx.write_bytes(b"not a zip")
    assert refused(read_persons, bad_xlsx, KEY).code == "ddr.xlsx"
    assert refused(read_persons, write(tmp_path, "n.csv", "person_id,sex\nA,f\n"), KEY).code == "ddr.no_programme"


def test_an_xlsx_sheet_reads_like_the_csv(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for line in PERSONS.strip().split("\n"):
        ws.append(line.split(","))
    path = tmp_path / "p.xlsx"
    wb.save(path)
    xlsx = read_persons(path, KEY, programme="Prog")
    csv = read_persons(write(tmp_path, "p.csv", PERSONS), KEY, programme="Prog")
    assert [r["person"] for r in xlsx.rows] == [r["person"] for r in csv.rows]
    assert [r["sex"] for r in xlsx.rows] == ["f", "m"]


def test_an_unknown_harmless_column_is_dropped_with_a_warning_naming_it(tmp_path):
    sheet = read_persons(write(tmp_path, "p.csv", "person_id,shoe_size\nA,42\nB,43\n"), KEY, programme="P")
    assert [str(w) for w in sheet.warnings] == ["column 'shoe_size' is not a documented column and was not read"]


def test_a_refused_import_stores_nothing_and_a_wrong_key_is_refused(tmp_path):
    ws = open_workspace(tmp_path / "w.duckdb")
    try:
        persons = write(tmp_path, "p.csv", PERSONS)
        before = ws.table_counts()
        bad_waves = write(tmp_path, "w.csv", "person_id,wave_month,status\nKA-001,3,seen\nKA-404,3,seen\n")
        err = refused(import_sheets, ws, persons, bad_waves, KEY, programme="Prog")
        assert (err.code, err.where.row, err.where.field) == ("ddr.unknown_person", 3, "person_id")
        assert ws.table_counts() == before  # persons were read and refused with the waves: one transaction
        summary = import_sheets(ws, persons, write(tmp_path, "w2.csv", WAVES), KEY, programme="Prog")
        assert (summary.persons, summary.waves) == (2, 2)
        again = ws.table_counts()
        import_sheets(ws, persons, None, KEY, programme="Prog")
        assert {k: v for k, v in ws.table_counts().items() if k != "imports"} == {
            k: v for k, v in again.items() if k != "imports"
        }
        wrong = refused(import_sheets, ws, persons, None, OTHER, programme="Prog")
        assert wrong.code == "track.key_wrong"
        people, waves = load(ws)
        assert people.height == 2 and waves.height == 2 and "phone_sealed" not in people.columns
    finally:
        ws.close()
