"""The mutual-accountability report reads as a report: a summary in words per ally with the ledger's
figures, the data's limits, named tables with human headings, an XLSX with a Notes sheet, in English and
Japanese; its HTML is pinned by golden files.

Golden files: ``tests/report/golden/accountability-{en,ja}.html`` hold the demo report with the chart
library, the generation time and the version taken out (:func:`normalise`). After an intended change,
rewrite them with ``KIZUNA_UPDATE_GOLDEN=1 python3 -m pytest tests/report -k golden`` and review the diff.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from kizuna import i18n
from kizuna.coordinate.model import activity_orgs
from kizuna.coordinate.report import render_html, write_report

GOLDEN = Path(__file__).parent / "golden"
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


def normalise(html: str) -> str:
    """The page without what changes from run to run or release to release: the inlined chart library,
    the generation time, the version, and the place a pair of activities shares (see below)."""
    html = re.sub(r"<script>.{10000,}?</script>", "<script>BUNDLE</script>", html, count=1, flags=re.S)
    html = re.sub(r'<span class="generated">.*?</span>', '<span class="generated">GENERATED</span>', html, flags=re.S)
    html = re.sub(r'content="Kizuna [^"]+"', 'content="Kizuna VERSION"', html)
    # kizuna.coordinate.overlap picks one of several equally good shared places of a pair arbitrarily
    # (a tie in its best spatial evidence), so the place named in a pair's reason may change between runs
    return re.sub(r"(same district: |同じ郡：|same area: |同じ地域：)[^;、<]+", r"\1PLACE", html)


def _text(html: str) -> str:
    """Visible text of a page: tags dropped, entities unescaped, spaces collapsed."""
    import html as h

    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", h.unescape(re.sub(r"<[^>]+>", "", body)))


def _headings(html: str) -> list[str]:
    import html as h

    return [h.unescape(re.sub(r"<[^>]+>", "", x)).strip() for x in re.findall(r"<th\b[^>]*>(.*?)</th>", html, re.S)]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_golden_html_of_the_demo_report(kaltara, lang):
    with i18n.use(lang):
        got = normalise(render_html(kaltara["rep"], generated="2026-12-01 00:00"))
    path = GOLDEN / f"accountability-{lang}.html"
    if os.environ.get("KIZUNA_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with KIZUNA_UPDATE_GOLDEN=1 once and review it"
    assert got == path.read_text(encoding="utf-8"), f"{path.name} differs (KIZUNA_UPDATE_GOLDEN=1 rewrites it)"


def _ledger_totals(lf, country: str) -> dict[str, tuple[float, float]]:
    """Committed (IATI transaction type 2) and disbursed (3) USD per ally, straight from the ledger's
    counted flows, independent of the report's own aggregation."""
    allies = activity_orgs(lf, "reporting").select("activity_uid", "ally").unique()
    flows = lf.flows.filter(pl.col("counted") & (pl.col("country") == country)).join(allies, on="activity_uid")
    out = {}
    for ally, grp in flows.group_by("ally"):
        c = float(grp.filter(pl.col("type_code") == "2").get_column("usd").fill_null(0).sum())
        d = float(grp.filter(pl.col("type_code") == "3").get_column("usd").fill_null(0).sum())
        out[str(ally[0])] = (c, d)
    return out


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_each_allys_summary_names_its_committed_and_disbursed_money_as_the_ledger_has_it(kaltara, lang):
    rep = kaltara["rep"]
    totals = _ledger_totals(kaltara["lf"], "XZ")
    with i18n.use(lang):
        html = render_html(rep)
        blocks = re.findall(r'<div class="ally-summary" data-ally="([^"]+)">(.*?)</div>', html, re.S)
        assert sorted(a for a, _ in blocks) == sorted(totals) and len(blocks) == 4
        for ally, block in blocks:
            committed, disbursed = totals[ally]
            first = _text(block.split("</p>")[0])
            assert i18n.money(committed, compact=True) in first, (ally, first)
            assert i18n.money(disbursed, compact=True) in first, (ally, first)
            # the report's figures are the ledger's (to the dollar)
            row = rep.summary.filter(pl.col("ally") == ally).row(0, named=True)
            assert abs(row["usd_commitments"] - committed) < 1 and abs(row["usd_disbursements"] - disbursed) < 1


def test_the_summary_says_sectors_areas_overlaps_and_gaps_by_name(kaltara):
    with i18n.use("en"):
        text = _text(render_html(kaltara["rep"]))
    a = text[text.index("Ally A committed") : text.index("Ally B committed")]
    assert "Its largest sectors by disbursement: Conflict, Peace & Security" in a
    assert "Where it disbursed most: Northmarch" in a  # XZ01 by name, never the code
    assert "overlap candidates with Ally B" in a and "In the areas of the largest gaps (Westmoor" in a
    assert "XZ01" not in a and "152" not in a
    # the limits follow the summary, before the tables
    assert text.index("What this data cannot show") < text.index("Summary by ally")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_no_snake_case_heading_and_no_empty_column_in_the_html(kaltara, lang):
    with i18n.use(lang):
        html = render_html(kaltara["rep"])
    heads = _headings(html)
    assert heads and not [h for h in heads if SNAKE.match(h) or "_" in h]
    for tbl in re.findall(r"<table\b.*?</table>", html, re.S):
        n = len(_headings(tbl))
        rows = [re.findall(r"<td\b[^>]*>(.*?)</td>", r, re.S) for r in re.findall(r"<tr>(.*?)</tr>", tbl, re.S)]
        rows = [r for r in rows if r]
        for j in range(n):
            assert any(r[j].strip() for r in rows), (tbl[:200], j)
    if lang == "ja":
        assert "約束額（米ドル）" in heads and "Committed (USD)" not in heads


def test_the_overlap_table_fits_a_page_few_columns_names_and_a_short_reason(kaltara):
    with i18n.use("en"):
        html = render_html(kaltara["rep"])
    section = html[html.index('<section id="overlaps">') : html.index('<section id="gaps">')]
    assert _headings(section) == ["No.", "Score", "Activity of one ally", "Activity of another ally", "Why a candidate"]
    first = re.findall(r"<td\b[^>]*>(.*?)</td>", section, re.S)
    assert "Marshend rural water supply" in first[2] and "Ally A" in first[2]
    assert first[4].startswith("same sector: Basic drinking water supply; same district")
    assert len(first[4]) < 200


def test_the_stylesheet_prints_on_a4_and_names_a_cjk_font(kaltara):
    with i18n.use("ja"):
        html = render_html(kaltara["rep"])
    assert '<html lang="ja">' in html
    assert re.search(r"@page\s*\{size:A4;margin:", html)
    assert "table-layout:fixed" in html and "overflow-wrap:anywhere" in html and "break-after:avoid" in html
    assert '"Noto Sans CJK JP","Hiragino Sans"' in html and '"Yu Gothic","Meiryo"' in html


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_xlsx_has_human_headings_in_the_language_and_a_notes_sheet(kaltara, tmp_path, lang):
    from kizuna.i18n.columns import label

    with i18n.use(lang):
        path = write_report(kaltara["rep"], tmp_path / f"r-{lang}.xlsx")
        notes_name = i18n.gettext("Notes")
        wb = openpyxl.load_workbook(path, read_only=True)
        assert wb.sheetnames[-1] == notes_name
        for ws in wb.worksheets[:-1]:
            head = next(ws.iter_rows(max_row=1, values_only=True))
            assert not [h for h in head if h is None or SNAKE.match(str(h))], (ws.title, head)
        summary = wb.worksheets[0]
        head = next(summary.iter_rows(max_row=1, values_only=True))
        assert label("usd_commitments") in head and label("disbursed_per_committed") in head
        notes = [r for r in wb[notes_name].iter_rows(values_only=True)]
        text = "\n".join(str(c) for r in notes for c in r if c)
        # what each sheet holds, where the data come from, its limits, and that it is synthetic
        assert i18n.gettext("Per ally and DAC sector: committed and disbursed (USD).") in text
        assert i18n.gettext("Source") in text and i18n.gettext("Limits of the data") in text
        assert i18n.gettext("Synthetic data") in text
    if lang == "ja":
        assert "概要" in wb.sheetnames and "約束額（米ドル）" in head


def test_every_xlsx_download_keeps_formulas_out_and_gains_a_notes_sheet():
    from kizuna.output import xlsx_bytes

    data = xlsx_bytes([{"title": '=HYPERLINK("http://x")', "usd_disbursements": 5.0}], sheet="activities")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["activities", "Notes"]
    ws = wb["activities"]
    assert [c.value for c in ws[1]] == ["Title", "Disbursed (USD)"]
    assert ws["A2"].value.startswith("'=") and all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    notes = "\n".join(str(c) for r in wb["Notes"].iter_rows(values_only=True) for c in r if c)
    assert "Synthetic data" not in notes  # nothing marked synthetic, nothing said


def test_csv_keeps_the_machine_headers_that_programs_parse():
    from kizuna.output import to_csv_text

    with i18n.use("ja"):
        assert to_csv_text([{"usd_commitments": 1.0}]).splitlines()[0] == "usd_commitments"


@pytest.mark.shared
def test_the_report_on_real_files_drops_the_empty_area_table_and_says_why(real_iati_path):
    from kizuna.coordinate.accountability import build_accountability
    from kizuna.coordinate.load import load_ledger
    from kizuna.workspace import open_workspace

    with open_workspace(real_iati_path, read_only=True) as ws:
        lf = load_ledger(ws)
    rep = build_accountability(lf, "SS")
    with i18n.use("en"):
        html = render_html(rep)
    area = html[html.index('<section id="areas">') : html.index('<section id="overlaps">')]
    assert "<table" not in area and "No activity in this country has a subnational location" in area
    assert "Its data give no subnational location" in html
    assert not [h for h in _headings(html) if SNAKE.match(h)]
