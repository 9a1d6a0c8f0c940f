"""Reader of indicator tables (kizuna.track.indicators): columns, HXL, periods, values and bad inputs."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizuna.errors import InputError
from kizuna.track.indicators import period_bounds, read_indicator_table

HEAD = "Organisation,Activity ID,Indicator code,Indicator,Unit,Measure,Direction,Disaggregation,Admin1 code,Period,Baseline,Target,Actual"


def write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_plain_headers_are_read_with_numbers_normalised(tmp_path):
    p = write(
        tmp_path,
        HEAD + "\n"
        'Agency A,A-1,PB-1,People trained,people,number,ascending,female,XZ01,2024Q1,0,"1,200",600\n'
        "Agency B,B-1,PB-2,Share satisfied,%,percentage,descending,,XZ02,2024,40%,20%,30\n",
    )
    t = read_indicator_table(p)
    assert not t.hxl and len(t.rows) == 2
    a, b = t.rows
    assert (a.org, a.activity_id, a.indicator_code, a.unit, a.measure, a.ascending) == (
        "Agency A",
        "A-1",
        "PB-1",
        "people",
        "unit",
        True,
    )
    assert (a.disaggregation, a.area, a.period_start, a.period_end) == (
        "female",
        "XZ01",
        date(2024, 1, 1),
        date(2024, 3, 31),
    )
    assert (a.baseline_value, a.target_value, a.actual_value) == ("0", "1200", "600")
    assert (b.measure, b.ascending, b.baseline_value, b.target_value) == ("percentage", False, "40", "20")
    assert b.row_no == 3


def test_hxl_tags_are_read(tmp_path):
    p = write(
        tmp_path,
        "Org,Project,Code,Name,Start,End,Base,Target,Reached\n"
        "#org,#activity+code,#indicator+code,#indicator+name,#date+start,#date+end,#value+baseline,#targeted,#reached\n"
        "Agency A,A-1,PB-1,People trained,2024-01-01,2024-06-30,5,50,20\n",
    )
    t = read_indicator_table(p)
    assert t.hxl
    r = t.rows[0]
    assert (r.indicator_code, r.indicator_name, r.period_end, r.target_value, r.actual_value) == (
        "PB-1",
        "People trained",
        date(2024, 6, 30),
        "50",
        "20",
    )


def test_xlsx_is_read_like_csv(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Organisation", "Indicator code", "Period", "Target", "Actual"])
    ws.append(["Agency A", "PB-1", "2024-03", 10, 7.5])
    p = tmp_path / "t.xlsx"
    wb.save(p)
    r = read_indicator_table(p).rows[0]
    assert (r.period_start, r.period_end, r.target_value, r.actual_value) == (
        date(2024, 3, 1),
        date(2024, 3, 31),
        "10",
        "7.5",
    )


def test_qualitative_values_are_kept_as_text(tmp_path):
    p = write(
        tmp_path, "Organisation,Indicator,Measure,Period,Target,Actual\nA,View of police,qualitative,2024,better,same\n"
    )
    r = read_indicator_table(p).rows[0]
    assert (r.measure, r.target_value, r.actual_value) == ("qualitative", "better", "same")


def test_personal_columns_are_skipped_and_named(tmp_path):
    p = write(tmp_path, "Organisation,Indicator code,Period,Target,Contact email\nA,X,2024,10,someone@example.org\n")
    t = read_indicator_table(p)
    assert t.warnings and "Contact email" in t.warnings[0][2]
    assert "someone@example.org" not in repr(t.rows)


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("2024", (date(2024, 1, 1), date(2024, 12, 31))),
        ("2024Q4", (date(2024, 10, 1), date(2024, 12, 31))),
        ("2024-Q2", (date(2024, 4, 1), date(2024, 6, 30))),
        ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
        ("202412", (date(2024, 12, 1), date(2024, 12, 31))),
        ("2024S2", (date(2024, 7, 1), date(2024, 12, 31))),
        ("2024-13", None),
        ("Q1 2024", None),
    ],
)
def test_period_bounds(text, bounds):
    assert period_bounds(text) == bounds


# --- bad inputs: each with its code and where ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "row", "field"),
    [
        ("Organisation,Indicator code,Period,Actual\n,X,2024,5\n", "results.no_org", 2, "Organisation"),
        ("Organisation,Indicator code,Period\nA,X,2024\n", "results.missing_column", 1, "#targeted"),
        ("Organisation,Indicator code,Target\nA,X,5\n", "results.missing_column", 1, "#date+end"),
        ("Organisation,Indicator code,Period,Targte,Actual\nA,X,2024,10,5\n", "results.unknown_column", 1, "Targte"),
        ("Organisation,Indicator code,Period,Target\nA,X,2024,ten\n", "results.bad_number", 2, "Target"),
        (
            "Organisation,Indicator code,Period start,Period end,Target\nA,X,2024-05-01,2024-01-01,10\n",
            "results.dates_reversed",
            2,
            "Period end",
        ),
        ("Organisation,Indicator code,Measure,Period,Target\nA,X,weird,2024,10\n", "results.bad_measure", 2, "Measure"),
        (
            "Organisation,Indicator code,Direction,Period,Target\nA,X,sideways,2024,10\n",
            "results.bad_direction",
            2,
            "Direction",
        ),
        ("Organisation,Indicator code,Period,Target\nA,X,2024Q5,10\n", "results.bad_period", 2, "Period"),
        ("Organisation,Indicator code,Period end,Target\nA,X,31/31/2024,10\n", "results.bad_date", 2, "Period end"),
        ("Organisation,Indicator code,Period,Target\nA,X,2024,10,extra\n", "results.cell_count", None, None),
        (
            "Organisation,Target,Target value,Period,Indicator\nA,1,2,2024,X\n",
            "results.duplicate_column",
            1,
            "Target value",
        ),
        ("Name,Phone\nJane,123\n", "results.no_header", 1, None),
        ("#org,#indicatr+code,#date,#targeted\nA,X,2024,1\n", "results.unknown_column", 1, "#indicatr+code"),
    ],
)
def test_bad_inputs_are_refused_with_code_and_place(tmp_path, text, code, row, field):
    with pytest.raises(InputError) as e:
        read_indicator_table(write(tmp_path, text))
    err = e.value
    assert err.code == code
    assert err.where.file and err.where.file.endswith("t.csv")
    if row is not None:
        assert err.where.row == row
    if field is not None:
        assert err.where.field == field
    assert err.hint


def test_misspelt_column_hint_names_the_close_match(tmp_path):
    with pytest.raises(InputError) as e:
        read_indicator_table(write(tmp_path, "Organisation,Indicator code,Period,Targett,Actual\nA,X,2024,10,5\n"))
    assert "target" in (e.value.hint_text() or "").lower()


def test_not_utf8_and_wrong_type(tmp_path):
    p = tmp_path / "t.csv"
    p.write_bytes("Organisation,Indicator,Period,Target\nAgência,X,2024,1\n".encode("latin-1"))
    with pytest.raises(InputError) as e:
        read_indicator_table(p)
    assert e.value.code == "results.encoding"
    with pytest.raises(InputError) as e:
        read_indicator_table(write(tmp_path, "x", "t.txt"))
    assert e.value.code == "results.type"


# --- random tables round-trip -----------------------------------------------------------------------

text = (
    st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=0x30FF, exclude_characters=',"\n\r'),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)
number = st.one_of(
    st.integers(-(10**6), 10**6).map(str), st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: f"{f:.3f}")
)
row = st.fixed_dictionaries(
    {
        "org": text,
        "code": text,
        "measure": st.sampled_from(["number", "percentage", "ratio", "ordinal"]),
        "period": st.tuples(st.integers(1990, 2040), st.integers(1, 4)).map(lambda t: f"{t[0]}Q{t[1]}"),
        "baseline": st.one_of(st.just(""), number),
        "target": number,
        "actual": st.one_of(st.just(""), number),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(row, min_size=1, max_size=8))
def test_random_tables_round_trip(tmp_path, rows):
    p = tmp_path / "random.csv"
    with p.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Organisation", "Indicator code", "Measure", "Period", "Baseline", "Target", "Actual"])
        for r in rows:
            w.writerow([r["org"], r["code"], r["measure"], r["period"], r["baseline"], r["target"], r["actual"]])
    got = read_indicator_table(p).rows
    assert len(got) == len(rows)
    for g, r in zip(got, rows, strict=True):
        assert (g.org, g.indicator_code) == (r["org"], r["code"])
        assert float(g.target_value or "nan") == float(r["target"])
        assert (g.baseline_value is None) == (r["baseline"] == "")
        if r["actual"]:
            assert float(g.actual_value or "nan") == float(r["actual"])
        year, q = int(r["period"][:4]), int(r["period"][-1])
        assert g.period_start == date(year, 3 * q - 2, 1)
        assert g.period_end is not None and g.period_end.year == year
