"""Amounts are numbers as IATI writes them (xsd:decimal); a flow's date falls back to the value date.

Issue 11 defects (3) a comma read as a thousands separator, (4) NaN and Infinity accepted, (5) no
year without a transaction-date, and (8) a "normalised" warning for vocabularies that never split money.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.ledger.iati import parse_amount
from kizuna.ledger.ingest import ingest_file
from tests.ledger.test_money import activity_xml, tx, write


@pytest.mark.parametrize(
    "raw,value,problem",
    [
        ("1250.50", 1250.5, None),
        ("-3", -3.0, None),
        ("+.5", 0.5, None),
        ("7.", 7.0, None),
        ("1.000", 1.0, None),  # xsd:decimal: one, whatever a European reader might think
        ("1,000.50", 1000.5, "not_decimal"),
        ("12,345,678", 12345678.0, "not_decimal"),
        ("1.5E+07", 15_000_000.0, "not_decimal"),
        ("1250,50", None, "comma"),  # decimal comma or a malformed thousands group: refused
        ("1,000", None, "comma"),  # a thousand, or one with a decimal comma: refused
        ("1.000,50", None, "comma"),
        ("NaN", None, "nan"),
        ("-Infinity", None, "nan"),
        ("inf", None, "nan"),
        ("1e999", None, "too_large"),
        ("1_000", None, "other"),  # Python's float() takes it; IATI does not
        ("1 000", None, "other"),
        ("$100", None, "other"),
        ("0x10", None, "other"),
        ("", None, "other"),
    ],
)
def test_amounts_are_xsd_decimals_or_unambiguous_forms(raw, value, problem):
    assert parse_amount(raw) == (value, problem)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**12), max_value=10**12))
def test_every_xsd_decimal_reads_as_python_reads_it(d):
    text = format(d, "f")
    assert parse_amount(text) == (float(text), None)


def test_a_decimal_comma_is_refused_not_read_as_a_thousands_separator(ws, tmp_path):
    # `1250,50` EUR became 125,050 EUR: a hundred times the amount, silently.
    path = write(tmp_path / "a.xml", activity_xml("XZ-A-1", currency="EUR", transactions=tx(value="1250,50")))
    res = ingest_file(ws, path)
    assert ws.scalar("SELECT value FROM transactions") is None
    assert ws.scalar("SELECT sum(usd) FROM flows") is None
    assert res.warnings == {"value.not_a_number": 1}
    msg = ws.scalar("SELECT message FROM ledger_warnings")
    assert "'1250,50'" in msg and "line 1" in msg and "comma" in msg and "stored as null" in msg


def test_unambiguous_thousands_separators_are_read_with_a_warning(ws, tmp_path):
    path = write(tmp_path / "a.xml", activity_xml("XZ-A-1", transactions=tx(value="1,250,000.50")))
    res = ingest_file(ws, path)
    assert ws.scalar("SELECT value FROM transactions") == 1_250_000.5
    assert res.warnings == {"value.not_decimal": 1}
    assert "read as 1250000.5" in ws.scalar("SELECT message FROM ledger_warnings")


@pytest.mark.parametrize("raw", ["NaN", "nan", "Infinity", "-INF"])
def test_nan_and_infinity_are_not_amounts_and_do_not_poison_totals(ws, tmp_path, raw):
    txs = tx(value=raw) + tx(value="100")
    budget = f'<budget><value currency="USD">{raw}</value></budget>'
    path = write(tmp_path / "a.xml", activity_xml("XZ-A-1", transactions=budget + txs))
    res = ingest_file(ws, path)
    assert res.warnings == {"value.not_a_number": 2}  # the transaction's and the budget's
    total = ws.scalar("SELECT sum(usd) FROM flows")
    assert total == 100.0 and not math.isnan(total)
    assert ws.scalar("SELECT value FROM budgets") is None
    assert ws.scalar("SELECT count(*) FROM transactions WHERE isnan(value) OR isinf(value)") == 0


def test_percentages_that_are_not_numbers_count_as_absent(ws, tmp_path):
    sectors = '<sector code="15220" percentage="NaN"/><sector code="72010" percentage="100"/>'
    path = write(tmp_path / "a.xml", activity_xml("XZ-A-1", sectors=sectors, transactions=tx(value="10")))
    ingest_file(ws, path)
    rows = ws.query("SELECT sector, share FROM flows ORDER BY sector")
    assert rows == [{"sector": "15220", "share": 0.0}, {"sector": "72010", "share": 1.0}]


def test_a_transaction_without_a_transaction_date_takes_its_year_from_the_value_date(ws, tmp_path):
    no_date = '<transaction><transaction-type code="3"/><value value-date="2019-07-01">40</value></transaction>'
    path = write(tmp_path / "a.xml", activity_xml("XZ-A-1", transactions=no_date + tx(date="2021-03-03")))
    ingest_file(ws, path)
    rows = ws.query("SELECT seq, date, year, date_source, usd FROM flows ORDER BY seq")
    assert [(r["seq"], str(r["date"]), r["year"], r["date_source"]) for r in rows] == [
        (1, "2019-07-01", 2019, "value-date"),
        (2, "2021-03-03", 2021, "transaction-date"),
    ]
    assert ws.scalar("SELECT date FROM transactions WHERE seq = 1") is None  # the raw table keeps what was published
    # and a year filter sees it
    assert ws.scalar("SELECT sum(usd) FROM flows WHERE year = 2019") == 40.0


def test_a_transaction_with_neither_date_has_no_year(ws, tmp_path):
    path = write(
        tmp_path / "a.xml",
        activity_xml("XZ-A-1", transactions='<transaction><transaction-type code="3"/><value>5</value></transaction>'),
    )
    ingest_file(ws, path)
    assert ws.query("SELECT date, year, date_source FROM flows") == [{"date": None, "year": None, "date_source": None}]


def test_percentages_of_a_vocabulary_that_never_splits_money_raise_no_normalised_warning(ws, tmp_path):
    # worldbank-sv.xml: World Bank sectors (vocabulary 98) beside DAC codes (vocabulary 1).
    sectors = (
        '<sector vocabulary="1" code="15110" percentage="100"/>'
        '<sector vocabulary="98" code="BC" percentage="57"/><sector vocabulary="99" code="X" percentage="10"/>'
    )
    path = write(tmp_path / "a.xml", activity_xml("XZ-A-1", sectors=sectors, transactions=tx()))
    res = ingest_file(ws, path)
    assert res.warnings == {}
    assert ws.query("SELECT sector, share FROM flows") == [{"sector": "15110", "share": 1.0}]


def test_dac_3_digit_percentages_are_warned_about_only_when_they_split_money(ws, tmp_path):
    both = '<sector vocabulary="1" code="15110" percentage="100"/><sector vocabulary="2" code="151" percentage="50"/>'
    only3 = '<sector vocabulary="2" code="151" percentage="50"/><sector vocabulary="2" code="152" percentage="20"/>'
    res = ingest_file(ws, write(tmp_path / "a.xml", activity_xml("XZ-A-1", sectors=both, transactions=tx())))
    assert res.warnings == {}  # vocabulary 1 splits the money; the 3-digit codes only describe it
    res = ingest_file(ws, write(tmp_path / "b.xml", activity_xml("XZ-A-2", sectors=only3, transactions=tx())))
    assert res.warnings == {"percentages.sector": 1}
    assert "vocabulary 2) sum to 70, not 100; normalised" in ws.scalar(
        "SELECT message FROM ledger_warnings WHERE activity_uid LIKE '%A-2'"
    )


def test_a_transaction_type_that_is_not_a_2_0x_code_is_kept_and_warned_about(ws, tmp_path):
    t = tx(type_code="D", value="10")  # a 1.x letter in a file that declares 2.03: not guessed
    res = ingest_file(ws, write(tmp_path / "a.xml", activity_xml("XZ-A-1", transactions=t)))
    assert ws.scalar("SELECT type_code FROM transactions") == "D"
    assert res.warnings == {"transaction.type_unknown": 1}
