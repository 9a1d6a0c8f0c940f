"""The accountability report prints on A4 in both languages, on the demo and on the real files: Chromium
prints it to PDF at A4, and in print media emulation at the printable width of an A4 page no table, chart
or figure is wider than that width (nothing runs off the page). One Chromium for the module."""

from __future__ import annotations

from pathlib import Path

import pytest

from kizuna import i18n
from kizuna.report import PRINTABLE_WIDTH_PX

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


WIDER = """(w) => [...document.querySelectorAll('table, .chart, figure, svg, ul, p, h1, h2, h3')]
  .map(e => ({tag: e.tagName, section: e.closest('section')?.id || '', right: e.getBoundingClientRect().right,
              scroll: e.tagName === 'TABLE' ? e.scrollWidth : 0}))
  .filter(e => e.right > w + 1 || e.scroll > w + 1)"""


def _check_print(browser, html: str, tmp_path: Path, name: str, charts: int) -> None:
    page_path = tmp_path / f"{name}.html"
    page_path.write_text(html, encoding="utf-8")
    width = int(PRINTABLE_WIDTH_PX)
    page = browser.new_page(viewport={"width": width, "height": 1100})
    try:
        page.goto(page_path.as_uri())
        page.wait_for_function(f"window.kizunaChartsRendered >= {charts}", timeout=30_000)
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
        too_wide = page.evaluate(WIDER, width)
        assert too_wide == [], (name, too_wide)
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        assert page.locator("table").count() >= 3
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_demo_report_prints_on_a4_with_no_table_off_the_page(browser, kaltara, tmp_path, lang):
    from kizuna.coordinate.report import render_html

    with i18n.use(lang):
        html = render_html(kaltara["rep"])
    _check_print(browser, html, tmp_path, f"demo-{lang}", kaltara["rep"].summary.height)


@pytest.mark.shared
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_real_file_report_prints_on_a4_with_no_table_off_the_page(browser, real_iati_path, tmp_path, lang):
    from kizuna.coordinate.accountability import build_accountability
    from kizuna.coordinate.load import load_ledger
    from kizuna.coordinate.report import render_html
    from kizuna.workspace import open_workspace

    with open_workspace(real_iati_path, read_only=True) as ws:
        lf = load_ledger(ws)
    rep = build_accountability(lf, "SS")
    with i18n.use(lang):
        html = render_html(rep)
    _check_print(browser, html, tmp_path, f"real-{lang}", rep.summary.height)
