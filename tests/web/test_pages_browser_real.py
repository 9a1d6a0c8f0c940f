"""The pages in headless Chromium on the REAL-FILE workspace (the six IATI files of ../shared/data/iati,
with the real Afghanistan HNO stored as the needs table), and on the demo served as `kizuna demo
--no-serve` then `kizuna serve` leave it (issue 12, pages: items 3–6)."""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb
import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.shared]
LINES = 6.5  # a cell of long text stays within about six lines


@pytest.fixture
def page(chromium):
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900})
    p = ctx.new_page()
    yield p
    ctx.close()


def option_values(page, select: str) -> list[str]:
    return [v for v in page.locator(f"{select} option").evaluate_all("os => os.map(o => o.value)") if v]


@pytest.mark.parametrize("path", ["/gaps?country=AF", "/division", "/sources", "/overlaps"])
def test_long_text_cells_wrap_in_a_wide_column_a_few_lines_tall(page, real_pages_server, path):
    page.goto(real_pages_server + path)
    cells = page.locator("td.long").evaluate_all(
        """cs => cs.map(c => ({h: c.getBoundingClientRect().height, w: c.getBoundingClientRect().width,
                              lh: parseFloat(getComputedStyle(c).lineHeight) ||
                                  1.45 * parseFloat(getComputedStyle(c).fontSize)}))"""
    )
    if path.startswith(("/gaps", "/division")):
        assert cells, f"{path} shows no reason column"
    for c in cells:
        assert c["w"] > 300, f"a long-text column is {c['w']:.0f} px wide on {path}"
        assert c["h"] <= LINES * c["lh"] + 16, f"a long-text cell is {c['h']:.0f} px tall on {path}"


def test_hashes_are_short_with_the_full_value_on_hover_and_when_opened(page, real_pages_server):
    page.goto(real_pages_server + "/sources")
    summary = page.locator("td.hash summary").first
    full = summary.get_attribute("title")
    assert len(full) == 64 and summary.inner_text().startswith(full[:12]) and len(summary.inner_text()) < 40
    summary.focus()
    page.keyboard.press("Enter")  # opens by keyboard: the full value is there to select and copy
    assert page.locator("td.hash details[open] code.full").first.inner_text() == full


def test_the_gaps_sector_filter_offers_exactly_the_sectors_of_the_rows(page, real_pages_server):
    page.goto(real_pages_server + "/gaps?country=AF")
    offered = set(option_values(page, "#f-sector"))
    rows = httpx.get(real_pages_server + "/api/v1/gaps", params={"country": "AF", "limit": 1000}).json()["items"]
    assert rows and offered == {r["sector"] for r in rows}
    # choosing one narrows the page, never empties it
    page.select_option("#f-sector", sorted(offered)[0])
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert int(page.locator("#table-gaps").get_attribute("data-total")) > 0


def test_arrow_keys_move_through_a_filter_without_reloading_and_apply_submits(page, real_pages_server):
    page.goto(real_pages_server + "/presence")
    page.evaluate("window.kizunaMarker = 1")
    page.focus("#f-country")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(800)
    assert page.evaluate("window.kizunaMarker") == 1, "ArrowDown reloaded the page"
    assert urlparse(page.url).query == ""
    chosen = page.eval_on_selector("#f-country", "s => s.value")
    assert chosen
    assert page.evaluate("document.activeElement.id") == "f-country"
    # keyboard only: Tab through the other filters to Apply, then Enter
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Apply":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert parse_qs(urlparse(page.url).query)["country"] == [chosen]


def test_every_country_of_the_ledger_is_offered(page, real_pages_server, real_needs_ws):
    con = duckdb.connect(str(real_needs_ws), read_only=True)
    try:
        held = {
            r[0]
            for r in con.execute(
                "SELECT code FROM activity_countries UNION SELECT code FROM transaction_countries"
                " UNION SELECT country FROM locations WHERE country IS NOT NULL"
                " UNION SELECT country FROM flows WHERE country IS NOT NULL"
            ).fetchall()
        }
    finally:
        con.close()
    page.goto(real_pages_server + "/")
    assert set(option_values(page, "#f-country")) == held


def test_allies_counts_the_registry_allies_present(page, real_pages_server, real_needs_ws):
    registry = list(csv.DictReader((ROOT / "src/kizuna/reference/organisations.csv").open(encoding="utf-8")))
    governments = {r["ref"]: r["ally"] for r in registry if r["org_type"] in ("10", "15")}
    con = duckdb.connect(str(real_needs_ws), read_only=True)
    try:
        refs = {r[0] for r in con.execute("SELECT DISTINCT publisher_ref FROM activities").fetchall()}
    finally:
        con.close()
    expected = {governments[r] for r in refs if r in governments} - {"Other governments"}
    assert expected  # the US publishers of the six files
    page.goto(real_pages_server + "/")
    figure = page.locator(".figure", has=page.locator(".label", has_text="Allies")).locator(".value")
    assert figure.inner_text() == str(len(expected))
    # the ally picker offers those allies, not the NGO group
    page.goto(real_pages_server + "/presence")
    assert set(option_values(page, "#f-ally")) <= expected


def test_the_overview_map_says_the_files_have_no_coordinates(page, real_pages_server):
    for url in ("/", "/?country=AF"):
        page.goto(real_pages_server + url)
        text = page.locator("#h-map").inner_text() + page.locator("section.map").inner_text()
        assert "no activity in this workspace has coordinates" in text, url
        assert "nothing matches these filters" not in text, url


def test_money_tables_have_no_zero_rows_of_3w_organisations(page, demo_stored_server):
    page.goto(demo_stored_server + "/")
    refs = page.locator("#table-publishers tbody tr td:first-child").all_inner_texts()
    assert refs and not any(r.startswith("3W:") for r in refs)


def test_the_demo_gaps_page_served_after_demo_no_serve_shows_the_stored_needs(page, demo_stored_server):
    page.goto(demo_stored_server + "/gaps")
    assert "kaltara-needs.csv (stored in the workspace)" in page.locator("section.notes").inner_text()
    assert int(page.locator("#table-gaps").get_attribute("data-total")) > 0
    assert page.locator("#spec-gap-chart").count() == 1  # the chart has data to draw
    page.goto(demo_stored_server + "/gaps?lang=ja")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "ワークスペースに保存済み" in page.locator("section.notes").inner_text()
