"""Issue 13 (personal data): a 3W row with a cell too many or too few, or a CSV quote left open, is refused with
the file, the line (CSV) or row (XLSX), the counts or the column - never with the row's values. Before, an
unquoted comma shifted every cell right (a phone number became a sector and was shown on pages, the API and
``kizuna activities``), and an open quote swallowed the rest of the file into one cell."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.cli import main
from kizuna.errors import InputError
from kizuna.ledger.threew import read_threew
from kizuna.workspace import open_workspace

HEADER = "Organisation,Sector,Admin1\n"
PHONE = "+211 555 0202"


def _refused(path: Path) -> InputError:
    with pytest.raises(InputError) as exc:
        read_threew(path)
    return exc.value


def _echoes_nothing(err: InputError, *values: str) -> None:
    text = err.one_line().replace(str(err.where.file), "") + str(err.params)  # the path is the test's own
    for v in values:
        assert v not in text


def test_an_unquoted_comma_is_a_row_with_one_cell_too_many(tmp_path):
    sheet = tmp_path / "3w.csv"
    sheet.write_text(HEADER + "Alpha Org,Health,North\n" + f"Beta Org,{PHONE},Education,South\n")
    err = _refused(sheet)
    assert err.code == "3w.cell_count"
    assert (err.where.file, err.where.line) == (str(sheet), 3)
    assert err.params == {"cells": 4, "columns": 3}
    assert "4" in err.one_line() and "3" in err.one_line()
    _echoes_nothing(err, PHONE, "Beta Org", "Education", "South")


def test_a_row_with_a_cell_missing_is_refused(tmp_path):
    sheet = tmp_path / "3w.csv"
    sheet.write_text(HEADER + "Alpha Org,Health\n")
    err = _refused(sheet)
    assert (err.code, err.where.line, err.params) == ("3w.cell_count", 2, {"cells": 2, "columns": 3})
    _echoes_nothing(err, "Alpha Org", "Health")


def test_empty_cells_past_the_header_are_padding_not_values(tmp_path):
    sheet = tmp_path / "3w.csv"
    sheet.write_text(HEADER + "Alpha Org,Health,North,,\n" + "Beta Org,Education,South\n")
    assert [a.publisher_name for a in read_threew(sheet).activities] == ["Alpha Org", "Beta Org"]


def test_line_numbers_count_the_line_breaks_inside_quoted_cells(tmp_path):
    # the bad row is the 3rd row but starts on line 5: a quoted cell above holds two line breaks
    sheet = tmp_path / "3w.csv"
    sheet.write_text(HEADER + '"Alpha\nOrg\nEast",Health,North\n' + f"Beta Org,{PHONE},Education,South\n")
    err = _refused(sheet)
    assert (err.where.line, err.where.row) == (5, None)


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


def test_xlsx_a_value_beyond_the_header_is_refused_by_row(tmp_path):
    sheet = _xlsx(
        tmp_path / "3w.xlsx",
        [["Organisation", "Sector", "Admin1"], ["Alpha Org", "Health", "North"], ["Beta Org", PHONE, "Education", "South"]],
    )
    err = _refused(sheet)
    assert (err.code, err.where.row, err.where.line, err.params) == ("3w.cell_count", 3, None, {"cells": 4, "columns": 3})
    _echoes_nothing(err, PHONE, "Beta Org")


def test_xlsx_rows_shorter_than_the_header_are_empty_cells(tmp_path):
    # a spreadsheet has no separators to lose: a short row is a row whose last cells are empty
    sheet = _xlsx(tmp_path / "3w.xlsx", [["Organisation", "Sector", "Admin1"], ["Alpha Org", "Health"]])
    assert [a.publisher_name for a in read_threew(sheet).activities] == ["Alpha Org"]


def test_an_open_quote_names_line_and_column_not_the_row(tmp_path):
    sheet = tmp_path / "3w.csv"
    sheet.write_text(HEADER.replace("\n", ",Phone\n") + f'Alpha Org,Health,North,"{PHONE}\nBeta Org,Education,South,+211 555 0303\n')
    err = _refused(sheet)
    assert (err.code, err.where.line, err.params) == ("3w.csv_quote", 2, {"column": "D"})
    _echoes_nothing(err, PHONE, "+211 555 0303", "Alpha Org", "Beta Org")


def test_text_after_a_closing_quote_names_line_and_column(tmp_path):
    sheet = tmp_path / "3w.csv"
    sheet.write_text(HEADER + "Alpha Org,Health,North\n" + 'Beta Org,"Health"care,South\n')
    err = _refused(sheet)
    assert (err.code, err.where.line, err.params) == ("3w.csv_quote", 3, {"column": "B"})
    _echoes_nothing(err, "Beta Org", "care")


def test_the_cli_refuses_the_sheet_and_stores_nothing(tmp_path, capsys):
    sheet = tmp_path / "3w.csv"
    sheet.write_text(HEADER + "Alpha Org,Health,North\n" + f"Beta Org,{PHONE},Education,South\n")
    ws = tmp_path / "w.duckdb"
    assert main(["ingest", str(sheet), "-w", str(ws)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error[3w.cell_count]: {sheet}, line 3:") and PHONE not in err
    with open_workspace(ws, read_only=True) as w:
        assert w.scalar("SELECT count(*) FROM activities") == 0


cell = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 +-", min_size=8, max_size=20).filter(str.strip)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(cell, min_size=4, max_size=7))
def test_a_row_of_any_length_but_the_headers_is_refused_without_its_values(tmp_path_factory, values):
    sheet = tmp_path_factory.mktemp("h") / "3w.csv"
    sheet.write_text(HEADER + "Alpha Org,Health,North\n" + ",".join(values) + "\n")
    err = _refused(sheet)
    assert err.code == "3w.cell_count" and err.params == {"cells": len(values), "columns": 3}
    _echoes_nothing(err, *(v.strip() for v in values))
