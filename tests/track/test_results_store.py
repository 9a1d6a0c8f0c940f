"""Indicator tables in the workspace, IATI results read alongside them, the CLI and the report."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from kizuna.cli import main
from kizuna.errors import InputError
from kizuna.track import results_store as store
from tests.conftest import shared_path

TABLE = (
    "Organisation,Activity ID,Indicator code,Indicator,Unit,Measure,Direction,Admin1 code,Period,Baseline,Target,Actual\n"
    'Agency A,A-1,PB-1,People trained,people,number,ascending,XZ01,2024Q1,0,"1,200",600\n'
    "Agency A,A-1,PB-2,Incidents,incidents,number,descending,XZ01,2024,40,20,30\n"
    "Agency A,A-1,PB-3,Community view,,qualitative,,XZ01,2024,,better,\n"
)


def write(tmp_path: Path, text: str, name: str = "ind.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_import_stores_rows_with_provenance_and_twice_changes_nothing(ws, tmp_path):
    p = write(tmp_path, TABLE)
    first = store.import_tables(ws, [p])
    assert [(d.status, d.rows) for d in first] == [("imported", 3)]
    imp = ws.query("SELECT kind, file_name, sha256, counts FROM imports")
    assert imp[0]["kind"] == "indicators" and imp[0]["file_name"] == "ind.csv" and len(imp[0]["sha256"]) == 64
    again = store.import_tables(ws, [p])
    assert [d.status for d in again] == ["skipped"]
    assert ws.scalar("SELECT count(*) FROM indicator_values") == 3
    assert ws.scalar("SELECT count(*) FROM imports") == 1


def test_a_bad_file_among_good_ones_stores_nothing(ws, tmp_path):
    good = write(tmp_path, TABLE, "good.csv")
    bad = write(tmp_path, "Organisation,Indicator code,Period,Target\nA,X,2024,ten\n", "bad.csv")
    with pytest.raises(InputError):
        store.import_tables(ws, [good, bad])
    assert ws.scalar("SELECT count(*) FROM indicator_values") == 0
    assert ws.scalar("SELECT count(*) FROM imports") == 0


def test_progress_from_a_table(ws, tmp_path):
    store.import_tables(ws, [write(tmp_path, TABLE)])
    df = store.results_progress(ws, date(2025, 6, 1))
    got = {r["indicator_code"]: r for r in df.iter_rows(named=True)}
    assert got["PB-1"]["progress_pct"] == pytest.approx(50.0)
    assert got["PB-2"]["progress_pct"] == pytest.approx(50.0)  # descending, 40 -> 20, actual 30
    assert got["PB-3"]["status"] == "listed" and got["PB-3"]["missing_actual"] is True
    assert store.results_missing(ws, date(2025, 6, 1)).get_column("indicator_code").to_list() == ["PB-3"]


def add_iati(ws, uid: str, org: str, code: str | None, target: str, actual: str, measure: str = "1") -> None:
    """An IATI activity with one result, indicator and period, inserted as the ledger stores them."""
    ws.con.execute(
        "INSERT INTO activities (activity_uid, iati_identifier, source, import_id, publisher_ref, publisher_name)"
        " VALUES (?, ?, 'iati', 0, ?, ?)",
        [uid, uid.split("|")[1], uid.split("|")[0], org],
    )
    ws.con.execute("INSERT INTO results (activity_uid, result_seq, type, aggregation_status, title) VALUES (?, 1, '1', true, 'Result')", [uid])
    ws.con.execute(
        "INSERT INTO result_indicators (activity_uid, result_seq, indicator_seq, measure, ascending, title,"
        " baseline_year, baseline_date, baseline_value) VALUES (?, 1, 1, ?, true, 'People trained', 2023, NULL, '0')", [uid, measure]
    )
    ws.con.execute(
        "INSERT INTO result_periods (activity_uid, result_seq, indicator_seq, period_seq, period_start, period_end,"
        " target_value, actual_value) VALUES (?, 1, 1, 1, DATE '2024-01-01', DATE '2024-12-31', ?, ?)",
        [uid, target, actual],
    )
    if code:
        ws.con.execute("INSERT INTO result_indicator_refs (activity_uid, result_seq, indicator_seq, ref_seq, vocabulary, code,"
            " indicator_uri) VALUES (?, 1, 1, 1, '1', ?, NULL)", [uid, code])


def test_iati_results_and_tables_roll_up_only_on_shared_reference_codes(ws, tmp_path):
    add_iati(ws, "US-GOV-1|US-1-X", "USAID", "PB-1", "1000", "250")
    add_iati(ws, "XM-DAC-701-8|JP-8-Y", "JICA", "PB-1", "1000", "750")
    add_iati(ws, "XM-DAC-701-8|JP-8-Z", "JICA", None, "10", "5")
    add_iati(ws, "GB-GOV-1|GB-1-Q", "FCDO", "PB-1", "60", "50", measure="2")
    roll = store.results_rollup(ws)
    assert roll.rolled.height == 1
    r = roll.rolled.row(0, named=True)
    assert (r["vocabulary"], r["indicator_code"], r["n_orgs"], r["target_sum"], r["actual_sum"]) == (
        "1",
        "PB-1",
        2,
        2000.0,
        1000.0,
    )
    assert r["progress_pct"] == pytest.approx(50.0)
    reasons = dict(zip(roll.not_rolled.get_column("org"), roll.not_rolled.get_column("reason"), strict=True))
    assert reasons == {"JICA": "no_reference_code", "FCDO": "not_summable"}


def test_cli_json_and_error_line(ws_path, tmp_path, capsys):
    p = write(tmp_path, TABLE)
    assert main(["results", "import", str(p), "-w", str(ws_path), "-f", "json"]) == 0
    capsys.readouterr()
    assert main(["results", "progress", "-w", str(ws_path), "--as-of", "2025-01-01", "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["indicator_code"]: r["status"] for r in rows} == {"PB-1": "partial", "PB-2": "partial", "PB-3": "listed"}
    bad = write(tmp_path, "Organisation,Indicator code,Period,Targte\nA,X,2024,1\n", "bad.csv")
    assert main(["results", "import", str(bad), "-w", str(ws_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error[results.unknown_column]: ") and "bad.csv, row 1, field 'Targte'" in err
    assert len(err.splitlines()) == 1
    assert main(["results", "missing", "-w", str(ws_path), "--as-of", "2025-02-30"]) == 2
    assert capsys.readouterr().err.startswith("error[results.bad_date]: field '--as-of'")


def test_report_html_and_xlsx_in_japanese(ws, tmp_path):
    import openpyxl

    from kizuna import i18n
    from kizuna.track.results_report import write_report

    store.import_tables(ws, [write(tmp_path, TABLE)])
    with i18n.use("ja"):
        paths = write_report(ws, tmp_path / "out", date(2025, 1, 1))
    html = paths["html"].read_text(encoding="utf-8")
    assert '<html lang="ja">' in html and "<script" not in html
    assert re.search(r'translate="no">People trained<', html)
    wb = openpyxl.load_workbook(paths["xlsx"])
    assert len(wb.sheetnames) == 5  # progress, missing, rollup, not rolled up, notes


@pytest.fixture(scope="module")
def real_results(tmp_path_factory):
    from kizuna.ledger.ingest import ingest_paths
    from kizuna.workspace import open_workspace

    files = [shared_path("iati-more", "worldbank-sv.xml"), shared_path("iati-more", "CAF-ActivityFile-2025-10-10.xml")]
    path = tmp_path_factory.mktemp("results-real") / "real.duckdb"
    with open_workspace(path) as w:
        ingest_paths(w, files)
    return path, files


def _lxml_periods(files: list[Path]) -> tuple[int, int, int]:
    """Independent count: (periods, periods whose target is no number, indicators with periods and no reference code)."""
    from lxml import etree

    periods = no_target = no_ref = 0
    for f in files:
        tree = etree.parse(str(f), etree.XMLParser(resolve_entities=False, no_network=True))
        for ind in tree.iterfind(".//iati-activity/result/indicator"):
            ps = ind.findall("period")
            periods += len(ps)
            if ps and not any((r.get("code") or "").strip() for r in ind.findall("reference")):
                no_ref += 1
            for p in ps:
                t = p.find("target")
                try:
                    float((t.get("value") or "").strip() if t is not None else "")
                except ValueError:
                    no_target += 1
    return periods, no_target, no_ref


@pytest.mark.shared
def test_real_iati_results_what_the_data_can_and_cannot_show(real_results):
    """The World Bank El Salvador and CAF files: every period is read, and the numbers say what the
    data cannot show — many periods have no numeric target or no actual, and indicators without a
    reference code cannot be rolled up with anyone's."""
    from kizuna.workspace import open_workspace

    path, files = real_results
    periods, no_target, no_ref = _lxml_periods(files)
    with open_workspace(path, read_only=True) as w:
        df = store.results_progress(w, date(2026, 1, 1))
        roll = store.results_rollup(w)
    assert df.height == periods == 744
    # a period without a numeric target is never given a progress percentage
    no_numeric = df.filter(df["target"].cast(float, strict=False).is_null())
    assert no_numeric.height == no_target
    assert no_numeric.get_column("progress_pct").null_count() == no_numeric.height
    assert set(df.get_column("status")) <= {
        "achieved",
        "partial",
        "no_change",
        "worse",
        "not_achieved",
        "no_actual",
        "no_target",
        "no_baseline",
        "listed",
    }
    # qualitative (IATI measure 5) periods are listed, never given a number
    qual = df.filter(df["indicator_measure"] == "qualitative")
    assert qual.height > 0 and set(qual.get_column("status")) == {"listed"}
    left = roll.not_rolled.filter(roll.not_rolled["reason"] == "no_reference_code")
    assert left.height == no_ref


def test_a_missing_file_is_an_error_naming_it(ws, tmp_path):
    with pytest.raises(InputError) as e:
        store.import_tables(ws, [tmp_path / "nope.csv"])
    assert e.value.code == "results.not_found" and e.value.where.file.endswith("nope.csv")
