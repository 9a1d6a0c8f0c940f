"""The dashboard in a real headless Chromium (Debian's), against a real uvicorn server.

Every page loads with no console errors and no request leaving 127.0.0.1; changing a filter
updates both the map and the table; a screenshot of every page lands in test-output/screenshots/.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
PAGES = ["/", "/presence", "/overlaps", "/gaps", "/division", "/vital-core", "/screening", "/sources", "/api"]

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def browser(chromium):
    """The session's one Chromium (conftest.py)."""
    return chromium


class Watch:
    """Console errors, page errors and every request's host, for one browser page."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

        def check(route):
            host = urlparse(route.request.url).hostname
            if host != "127.0.0.1":
                self.foreign.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        page.route("**/*", check)


def open_page(browser, width=1280, height=800):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    return ctx, page, Watch(page)


def wait_for_charts(page):
    # a selector, not wait_for_function: that evaluates a string, which the page's CSP forbids
    page.wait_for_selector("body[data-charts]", state="attached", timeout=20_000)
    return page.evaluate("document.body.dataset.charts")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_offline_without_console_errors(browser, server, path):
    ctx, page, watch = open_page(browser)
    try:
        response = page.goto(server + path)
        assert response is not None and response.status == 200
        assert wait_for_charts(page) == "ready"
        for vega in page.locator(".vega[data-spec]").all():
            assert vega.get_attribute("data-drawn") == "true"
            assert vega.locator("svg").count() == 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = path.strip("/").replace("/", "-") or "overview"
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        # and at phone width: nothing wider than the screen
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(300)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert watch.errors == []
        assert watch.foreign == []
    finally:
        ctx.close()


def test_pages_fit_a_phone_screen(browser, server):
    ctx, page, watch = open_page(browser, 390, 844)
    try:
        page.goto(server + "/presence")
        assert wait_for_charts(page) == "ready"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page scrolls sideways at phone width"
        page.screenshot(path=str(SHOTS / "presence-phone.png"), full_page=True)
        assert watch.errors == []
    finally:
        ctx.close()


def test_synthetic_workspace_shows_a_banner(browser, server):
    ctx, page, _ = open_page(browser)
    try:
        page.goto(server + "/")
        assert "Synthetic data" in page.locator("#synthetic-banner").inner_text()
    finally:
        ctx.close()


def test_changing_a_filter_updates_the_map_and_the_table(browser, server):
    ctx, page, watch = open_page(browser)
    try:
        page.goto(server + "/presence")
        wait_for_charts(page)
        before_rows = int(page.locator("#table-activities").get_attribute("data-total"))
        before_points = int(page.locator("#map").get_attribute("data-marks"))
        before_cells = int(page.locator("#table-presence").get_attribute("data-total"))
        options = [o.get_attribute("value") for o in page.locator("#f-ally option").all()]
        ally = next(v for v in options if v)
        page.select_option("#f-ally", ally)  # choosing does not reload the page: Apply does
        assert "ally=" not in page.url
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")
        wait_for_charts(page)
        assert "ally=" in page.url
        after_rows = int(page.locator("#table-activities").get_attribute("data-total"))
        after_points = int(page.locator("#map").get_attribute("data-marks"))
        after_cells = int(page.locator("#table-presence").get_attribute("data-total"))
        assert 0 < after_rows < before_rows
        assert 0 < after_points < before_points
        assert 0 < after_cells < before_cells
        # the table and the map show exactly what the API gives for that ally
        api = httpx.get(f"{server}/api/v1/activities", params={"ally": ally}).json()
        assert api["total"] == after_rows
        points = httpx.get(f"{server}/api/v1/activity-points", params={"ally": ally, "limit": 1000}).json()
        assert points["total"] == after_points
        assert set(page.locator("#table-presence tbody tr td:nth-child(1)").all_inner_texts()) == {ally}
        assert watch.errors == []
        assert watch.foreign == []
    finally:
        ctx.close()


def test_keyboard_reaches_the_filters_and_the_skip_link(browser, server):
    ctx, page, _ = open_page(browser)
    try:
        page.goto(server + "/presence")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "f-country":
                break
        assert page.evaluate("document.activeElement.id") == "f-country"
        label = page.locator("label[for=f-country]").inner_text()
        assert label == "Country"
    finally:
        ctx.close()


def test_an_overlap_pair_is_mapped_as_two_layers(browser, server):
    ctx, page, watch = open_page(browser)
    try:
        page.goto(server + "/overlaps?pair=2")
        assert wait_for_charts(page) == "ready"
        assert page.locator("#f-pair").input_value() == "2"
        legend = page.locator("#map svg").text_content()
        assert "Activity A" in legend and "Activity B" in legend
        assert int(page.locator("#map").get_attribute("data-marks")) >= 2
        assert watch.errors == [] and watch.foreign == []
    finally:
        ctx.close()


def test_a_screening_register_maps_its_site_communities_and_events(browser, server):
    ctx, page, watch = open_page(browser)
    try:
        page.goto(server + "/screening")
        assert wait_for_charts(page) == "ready"
        legend = page.locator("#map svg").text_content()
        for layer in ("Project site", "Communities", "Events"):
            assert layer in legend
        assert watch.errors == [] and watch.foreign == []
    finally:
        ctx.close()


def test_the_server_logged_no_error(server, own_tmp):
    # runs after the pages above (same session server): nothing they asked for failed on the server
    log = (own_tmp / "server.log").read_text(errors="replace")
    assert "Traceback" not in log and "unhandled error" not in log
