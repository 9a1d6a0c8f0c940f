"""The dashboard's pages read well on the demo and on real data, in English and Japanese (issue 12,
pages): strings from the catalogue, human headings, codes by name, readable cells, filters that work
(Apply, no submit-on-change, sectors the rows use, every language link keeps the filters), empty states
that say why, allies counted as allies, and the accessibility of the page frame."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import browser_support
import pytest

from kizuna import i18n
from kizuna.i18n.columns import LABELS
from kizuna.web.datasets import DATASETS, NOT_ALLIES, is_ally
from kizuna.web.pages import cell

ROOT = Path(__file__).resolve().parents[2]
PAGES = [p for p in browser_support.PAGES if p != "/no-such-page"]  # the crawl's pages, one list


def _client(path, **kw):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    return TestClient(create_app(path, **kw), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def demo(demo_ws):
    """The demo served as `kizuna serve` serves it after `kizuna demo --no-serve`: no --needs given."""
    with _client(demo_ws) as c:
        yield c


def options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select id="f-{name}" name="{name}".*?</select>', html, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0))


# --- cells ---------------------------------------------------------------------------------------------


def test_shares_are_percentages_money_whole_and_k_a_percentage_in_both_languages():
    with i18n.use("en"):
        assert cell("contribution_pct", 0.2556312)["text"] == "25.6%"
        assert cell("usd", 196.0)["text"] == "196" and cell("usd", 1234.4)["text"] == "1,234"
        assert cell("committed_usd", 238283122.5)["text"] == "238,283,122"
        assert cell("k", 33.0)["text"] == "33%"
        assert cell("hhi", 0.34999)["text"] == "0.350"
        assert cell("too_many_donors", False) == {**cell("too_many_donors", False), "text": "no", "data": False}
    with i18n.use("ja"):
        assert cell("too_many_donors", True)["text"] == "はい" or cell("too_many_donors", True)["text"] != "yes"


def test_timestamps_lose_their_microseconds_and_dates_read_as_dates():
    with i18n.use("en"):
        assert cell("imported_at", "2026-12-01T17:35:21.958424")["text"] == "2026-12-01 17:35"
        assert cell("start_date", "2023-06-24")["text"] == "Jun 24, 2023"


def test_a_hash_is_shortened_with_its_full_value_kept_for_hover_and_copy():
    sha = "28525c7f78c3f3f7d39820c67e4c40d2c7b0018096431b8c2497ff6283c762f6"
    c = cell("proposal_sha256", sha)
    assert c["cls"] == "hash" and c["text"] == sha[:12] + "…"
    assert c["title"] == sha and c["full"] == sha


def test_json_values_are_lists_not_raw_json():
    c = cell("why", '{"counterpart_abuses": true, "counterpart_flags": ["abuses_documented"]}')
    assert c["cls"] == "list"
    with i18n.use("en"):
        assert cell("why", '{"a": true, "b": ["x", "y"]}')["items"] == ["a: yes", "b: x, y"]
    assert cell("unknown_facts", '["consultations_n"]')["items"] == ["consultations_n"]
    assert cell("counts", "{}")["items"] == []


def test_long_text_wraps_in_a_wide_column_and_very_long_text_opens_in_place():
    reason = "need in Larkspur / WASH; severity 5.0 of 5; 42000 people in need; no organisation present"
    assert cell("reason", reason)["cls"] == "long" and cell("reason", reason)["full"] is None
    very = "word " * 200
    c = cell("reasons", very)
    assert c["cls"] == "long" and c["full"] == very and len(c["text"]) < 200


def test_codes_are_shown_by_name():
    assert cell("sector", "122")["text"] != "122" and cell("sector", "122")["title"] == "122"
    assert cell("country", "XZ")["text"] == "Republic of Kaltara (synthetic)"
    listed = cell("sectors", "152, 151")
    assert listed["cls"] == "list" and len(listed["items"]) == 2 and "152" not in listed["items"]
    assert cell("sectors", "Food Security")["text"] == "Food Security"  # names stay as they are


# --- headings -------------------------------------------------------------------------------------------


def test_every_column_of_every_dataset_has_a_human_heading(demo):
    missing = set()
    for name in DATASETS:
        for row in demo.get(f"/api/v1/{name}?limit=1").json()["items"][:1]:
            missing |= {c for c in row if c not in LABELS}
    assert missing == set()


def test_the_headings_the_issue_names_read_as_words(demo):
    html = demo.get("/gaps").text + demo.get("/division").text + demo.get("/vital-core").text
    heads = set(re.findall(r'<th scope="col">([^<]*)</th>', html))
    for bad in ("Usd", "Pin", "Se", "Lo", "Hi", "Hhi", "Rca", "Group var", "Exceeds eu guidance", "Contribution pct"):
        assert bad not in heads
    assert {"People in need", "Concentration (HHI)", "Contribution (%)", "Standard error"} <= heads


# --- filters --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_nothing_submits_on_change_and_every_filter_form_has_an_apply_button(demo, path):
    html = demo.get(path).text
    assert "data-autosubmit" not in html
    if 'class="filters"' in html:
        assert '<button type="submit">Apply</button>' in html
    js = (ROOT / "src/kizuna/web/static/app.js").read_text()
    assert "requestSubmit" not in js and "autosubmit" not in js


def test_the_language_switch_keeps_every_filter(demo):
    html = demo.get("/presence?country=XZ&ally=Ally+A&sector=122&adm1=XZ01").text
    link = re.search(r'<a href="([^"]*lang=ja)"', html)[1].replace("&amp;", "&")
    assert link.startswith("/presence?")
    for part in ("country=XZ", "ally=Ally+A", "sector=122", "adm1=XZ01", "lang=ja"):
        assert part in link


def test_the_gaps_sector_filter_offers_the_sectors_of_the_gap_rows(demo):
    offered = {v for v, _ in options(demo.get("/gaps").text, "sector") if v}
    rows = demo.get("/api/v1/gaps?limit=1000").json()["items"]
    assert offered == {r["sector"] for r in rows}
    some = sorted(offered)[0]
    assert demo.get("/api/v1/gaps", params={"sector": some, "limit": 1}).json()["total"] > 0


def test_the_ally_picker_offers_allies_only(demo):
    offered = {v for v, _ in options(demo.get("/presence").text, "ally") if v}
    assert offered == {"Ally A", "Ally B"}


# --- allies ------------------------------------------------------------------------------------------------


def test_allies_counts_allies_not_un_or_ngo_groups(demo):
    html = demo.get("/").text
    figure = re.search(r'<span class="label">Allies</span><span class="value"[^>]*>([^<]*)<', html)[1]
    present = {r["ally"] for r in demo.get("/api/v1/presence?limit=1000").json()["items"]}
    assert present == {"Ally A", "Ally B", "UN", "NGOs"}  # the demo's groups, as coordinate assigns them
    assert figure == "2"


def test_the_groups_that_are_not_allies_are_the_registrys_non_government_groups():
    rows = list(csv.DictReader((ROOT / "src/kizuna/reference/organisations.csv").open(encoding="utf-8")))
    by_ally: dict[str, set[str]] = {}
    for r in rows:
        by_ally.setdefault(r["ally"], set()).add(r["org_type"])
    for ally, types in by_ally.items():
        if not is_ally(ally):
            continue
        assert types & {"10", "15"}, f"{ally} counts as an ally but has no government or public member"
    assert {"UN", "NGOs", "Multilaterals"} <= NOT_ALLIES
    assert is_ally("United States") and is_ally("Japan") and not is_ally("Other governments") and not is_ally("")


def test_3w_organisations_without_money_are_not_zero_rows_of_money_tables(demo):
    rows = demo.get("/api/v1/publishers?limit=1000").json()["items"]
    assert rows and all(r["committed_usd"] or r["spent_usd"] for r in rows)
    assert not any(r["publisher_ref"].startswith("3W:") for r in rows)
    # the 3W sheet's activities are still in the ledger's activity table
    assert demo.get("/api/v1/activities?publisher=3W:synthetic-riverlands-relief-volunteers-ngo").json()["total"] > 0


# --- empty states -------------------------------------------------------------------------------------------


def test_the_gaps_page_after_demo_no_serve_finds_the_needs_table_stored_in_the_workspace(demo):
    html = demo.get("/gaps").text
    assert 'data-code="needs_table"' in html
    assert "Needs table: kaltara-needs.csv (stored in the workspace)" in html
    assert '<table id="table-gaps"' in html
    assert demo.get("/api/v1/gaps").json()["total"] > 0


def test_an_empty_map_says_the_files_have_no_coordinates_not_that_the_filters_match_nothing(real_iati_path):
    with _client(real_iati_path) as c:
        for url in ("/", "/?country=SS", "/presence"):
            html = c.get(url).text
            assert "no activity in this workspace has coordinates" in html, url
            assert "nothing matches these filters" not in html, url
        body = c.get("/api/v1/activity-points").json()
        assert body["empty"].startswith("no activity in this workspace has coordinates")


def test_a_filter_that_narrows_to_nothing_says_so(demo):
    # both values are held (Ally A works elsewhere, others in water supply 14030): together they match none
    body = demo.get("/api/v1/activities", params={"ally": "Ally A", "sector": "14030"}).json()
    assert body["total"] == 0 and body["empty"] == "nothing matches these filters"


# --- language --------------------------------------------------------------------------------------------------


def test_the_api_serves_titles_empty_states_and_errors_in_the_readers_language(demo):
    assert demo.get("/api/v1/gaps?lang=ja").json()["title"] == "支援の空白"
    index = {d["name"]: d for d in demo.get("/api/v1?lang=ja").json()["datasets"]}
    assert index["overlaps"]["title"] == "重複候補"
    empty = demo.get("/api/v1/activities?lang=ja&ally=Ally%20A&sector=14030").json()["empty"]
    assert empty == "条件に一致するデータはありません"
    err = demo.get("/api/v1/screening-risks?register=abc&lang=ja").json()["error"]
    assert err["message"] == "'abc' は登録簿の番号ではありません"
    assert err["hint"] == "このワークスペースにある値: 1, 2, 3, 4"
    # the API's cache keeps one answer per language
    assert demo.get("/api/v1/gaps?lang=en").json()["title"] == "Gaps"


class _UiText(HTMLParser):
    """Visible text that is not a data value: outside translate="no", <script>, <code>, <style>, and
    elements in another language (the language switch names each language in itself)."""

    SKIP = {"script", "style", "code", "title"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        a = dict(attrs)
        other_notes = tag == "li" and a.get("data-code") not in (None, "needs_table")
        skip = tag in self.SKIP or a.get("translate") == "no" or "lang" in a and tag != "html" or other_notes
        self.stack.append(skip or bool(self.stack and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.text.append(data)


ALLOWED = {
    "IATI",
    # track (issue 14): acronyms Japanese documents (MOFA, JICA) write in Latin letters
    "ID",
    "DDR",
    "IDDRS",
    "DiD",
    "WASH",  # the water, sanitation and hygiene cluster: Japanese documents write it in Latin letters
    "API",
    "CSV",
    "XLSX",
    "JSON",
    "USD",
    "HHI",
    "RCA",
    "SHA",
    "OpenAPI",
    "Kizuna",
    "DAC",
    "HTTP",
    "ISO",
    "alpha",
    "XZ",
    "XZ01",
    "GET",
    "HEAD",
    "kizuna",
    "serve",
    "coordinate",
    "format",
    "csv",
    "xlsx",
    "limit",
    "offset",
    "total",
    "openapi",
    "json",
    "api",
    "all",
    "admin1",
    "sex",
    "needs",
    "Health",
    "CI",
    "Alkire",
    "Foster",
    "M0",
    "Displacement",
    "Sex",
    "Admin1",
    "US",
    "GOV",
    "Japan",
    "Ally",
    "reporting",
    "org",
    "ref",
    "iati",
    "identifier",
    "demo",
    "ingest",
    "FILE",
    "NEEDS",
    "gaps",
    "kaltara",
    "measure",
    "SURVEY",
    "spec",
    "SPEC",
    "toml",
    "screen",
    "PROPOSAL",
    "MHPSS",
    "Balassa",
    "OECD",
    "EU",
    "SE",
    "km",
    "URL",
    "v1",
}  # acronyms, command lines and API parameter names kept as they are typed


@pytest.mark.parametrize("path", PAGES)
def test_a_japanese_page_has_no_english_ui_text(demo, path):
    html = demo.get(path + "?lang=ja").text
    assert '<html lang="ja">' in html
    parser = _UiText()
    parser.feed(html)
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9]+", " ".join(parser.text))) - ALLOWED
    assert words == set(), f"{path}: English UI words left: {sorted(words)[:30]}"


# --- accessibility of the frame ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_ids_are_unique_and_every_control_has_a_label(demo, path):
    html = demo.get(path).text
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    for control in re.findall(r'<(?:select|input)(?![^>]*type="hidden")[^>]*\sid="([^"]+)"', html):
        assert f'<label for="{control}">' in html, control


def test_the_synthetic_banner_is_inside_the_header_landmark(demo):
    html = demo.get("/").text
    header = re.search(r"<header>.*?</header>", html, re.S)[0]
    assert 'id="synthetic-banner"' in header


def test_headings_descend_one_level_at_a_time(demo):
    for path in PAGES:
        levels = [int(h) for h in re.findall(r"<h([1-6])[\s>]", demo.get(path).text)]
        assert levels[0] == 1 and levels.count(1) == 1, path
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), path


def test_kizunas_own_codes_and_countries_are_shown_by_name_in_the_readers_language(demo):
    from kizuna.reference.names import code_name

    html = demo.get("/screening?lang=ja").text
    assert code_name("screen.project_type", "police_training", lang="ja") in html
    assert ">police_training<" not in html
    html = demo.get("/vital-core?lang=ja").text
    assert code_name("measure.indicator", "hesper_psy", lang="ja") in html and ">hesper_psy<" not in html
    html = demo.get("/?lang=ja").text
    assert "カルタラ共和国" in html
