"""Gaps: reading needs tables (and their errors), and a hand-worked ranking."""

from __future__ import annotations

import openpyxl
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.coordinate.gaps import gaps, gaps_from_ledger
from kizuna.coordinate.load import load_ledger, read_needs
from kizuna.errors import InputError

HXL = "area,district,cluster,severity,people in need\n#adm1+code,#adm2+code,#sector+cluster,#severity,#inneed+ind\n"


def test_reads_csv_with_an_hxl_row_and_xlsx_with_plain_headers(tmp_path):
    p = tmp_path / "needs.csv"
    p.write_text(HXL + 'XZ01,XZ01-01,WASH,4,"12,000"\n', encoding="utf-8")
    df = read_needs(p)
    assert df.row(0, named=True) | {} == {
        "country": None,
        "adm1": "XZ01",
        "adm2": "XZ01-01",
        "area_name": None,
        "sector": "WASH",
        "severity": 4.0,
        "pin": 12000.0,
    }
    x = tmp_path / "needs.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["adm1", "sector", "pin"])
    wb.active.append(["XZ02", "Health", 500])
    wb.save(x)
    assert read_needs(x).select("adm1", "sector", "pin").row(0) == ("XZ02", "Health", 500.0)


@pytest.mark.parametrize(
    ("content", "code", "where"),
    [
        (HXL + "XZ01,XZ01-01,WASH,high,10\n", "needs.bad_number", "row 3"),
        (HXL + "XZ01,XZ01-01,WASH,4,-5\n", "needs.bad_number", "field '#inneed+ind'"),
        (HXL + "XZ01,XZ01-01,,4,5\n", "needs.empty_sector", "row 3"),
        ("adm1,severity\nXZ01,3\n", "needs.columns", "needs.csv"),
        ("adm1,sector\nXZ01,WASH\n", "needs.columns", "severity/pin"),
    ],
)
def test_bad_needs_tables_are_named_by_file_row_and_field(tmp_path, content, code, where):
    p = tmp_path / "needs.csv"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_needs(p)
    assert e.value.code == code and where in e.value.one_line() and e.value.hint_text()


def test_unsupported_or_missing_files(tmp_path):
    with pytest.raises(InputError) as e:
        read_needs(tmp_path / "none.csv")
    assert e.value.code == "needs.missing"
    (tmp_path / "n.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_needs(tmp_path / "n.json")
    assert e.value.code == "needs.format"


def test_hand_worked_gap_scores():
    needs = pl.DataFrame(
        {
            "country": ["XZ"] * 3,
            "adm1": ["A", "B", "C"],
            "adm2": [None] * 3,
            "area_name": [None] * 3,
            "sector": ["Health"] * 3,
            "severity": [5.0, 4.0, 4.0],
            "pin": [1000.0, 2000.0, 500.0],
        }
    )
    pres = pl.DataFrame(
        {
            "org_key": ["o1", "o2", "o1"],
            "org_name": ["O1", "O2", "O1"],
            "adm1": ["B", "B", "C"],
            "sector": ["Health"] * 3,
            "n_activities": [1, 1, 1],
            "usd_disbursements": [10_000.0, 10_000.0, 500.0],
        }
    )
    g = {r["adm1"]: r for r in gaps(needs, pres, admin_level="adm1").iter_rows(named=True)}
    # usd per pin: B 20000/2000 = 10, C 500/500 = 1 -> benchmark = median(10, 1) = 5.5
    # A: need = mean(5/5, 1000/2000) = 0.75; coverage = mean(0/5.5, 0/3) = 0 -> gap 0.75
    assert g["A"]["gap_score"] == pytest.approx(0.75) and g["A"]["rank"] == 1
    # B: need = mean(4/5, 2000/2000) = 0.9; coverage = mean(min(1, 10/5.5), 2/3) = 0.8333 -> gap 0.15
    assert g["B"]["gap_score"] == pytest.approx(0.9 * (1 - (1 + 2 / 3) / 2), abs=1e-4)
    # C: need = mean(0.8, 0.25) = 0.525; coverage = mean(1/5.5, 1/3) = 0.2576 -> gap 0.3898
    assert g["C"]["gap_score"] == pytest.approx(0.525 * (1 - (1 / 5.5 + 1 / 3) / 2), abs=1e-4)
    assert [g[k]["rank"] for k in "ACB"] == [1, 2, 3]
    assert "no organisation present" in g["A"]["reason"] and "2 organisation(s) present: O1; O2" in g["B"]["reason"]


def test_gaps_from_the_ledger_match_cluster_names_and_dac_codes(ws, builder):
    builder.activity(
        "A|1",
        "US-GOV-1",
        sectors=[("14031", 100)],
        locations=[("XZ01", "XZ01-01", None, None)],
        flows=[("3", 2021, "14031", 1000.0)],
    )
    needs = pl.DataFrame(
        {
            "country": ["XZ", "XZ"],
            "adm1": ["XZ01", "XZ01"],
            "adm2": ["XZ01-01", "XZ01-02"],
            "area_name": [None, None],
            "sector": ["WASH", "WASH"],
            "severity": [3.0, 3.0],
            "pin": [100.0, 100.0],
        }
    )
    g = gaps_from_ledger(load_ledger(ws), needs)
    rows = {r["adm2"]: r for r in g.iter_rows(named=True)}
    assert rows["XZ01-01"]["n_orgs"] == 1 and rows["XZ01-01"]["usd_per_pin"] == 10.0
    assert rows["XZ01-02"]["n_orgs"] == 0 and rows["XZ01-02"]["rank"] == 1


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(0, 10**7).map(str),
            st.floats(0, 1e7, allow_nan=False).map(repr),
            st.sampled_from(["", "n/a", "-3", "1e3", "12,000", "five"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_needs_numbers_parse_or_fail_at_the_first_bad_row(tmp_path_factory, values):
    p = tmp_path_factory.mktemp("n") / "needs.csv"
    body = "".join(f'XZ01,Health,"{v}"\n' for v in values)
    p.write_text("adm1,sector,pin\n" + body, encoding="utf-8")

    def ok(v: str) -> bool:
        try:
            return float(v.replace(",", "")) >= 0
        except ValueError:
            return False

    bad = [i for i, v in enumerate(values) if v != "" and not ok(v)]
    if bad:
        with pytest.raises(InputError) as e:
            read_needs(p)
        assert e.value.code == "needs.bad_number" and e.value.where.row == bad[0] + 2
    else:
        got = read_needs(p).get_column("pin").to_list()
        assert got == [None if v == "" else float(v.replace(",", "")) for v in values]
