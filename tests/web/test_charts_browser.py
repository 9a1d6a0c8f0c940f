"""Charts in a real headless Chromium (issue 12): on the workspace of the six real IATI files the heat
matrices write no text over other text, at desktop and at phone width, in readable contrast; every chart
kind shows a tooltip with human titles and the value of the mark under the pointer, in the page's
language."""

from __future__ import annotations

import json
from itertools import combinations

import pytest

from kizuna.web.charts import contrast

pytestmark = [pytest.mark.browser, pytest.mark.server]

# every visible text of one chart, with its box on screen; and each cell's value text with the fill of
# the cell under it
BOXES = """(id) => {
  const svg = document.querySelector('#' + id + ' svg');
  const visible = (t) => t.textContent.trim() && getComputedStyle(t).opacity !== '0' && t.getAttribute('opacity') !== '0';
  const texts = Array.from(svg.querySelectorAll('text')).filter(visible).map((t) => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, box: [r.left, r.top, r.right, r.bottom]};
  });
  const rects = Array.from(svg.querySelectorAll('g.mark-rect.role-mark path')).map((p) => {
    const r = p.getBoundingClientRect();
    return {label: p.getAttribute('aria-label'), fill: p.getAttribute('fill'), box: [r.left, r.top, r.right, r.bottom]};
  });
  const values = Array.from(svg.querySelectorAll('g.mark-text.role-mark text')).filter(visible).map((t) => {
    const r = t.getBoundingClientRect();
    const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
    const under = rects.find((c) => c.box[0] <= x && x <= c.box[2] && c.box[1] <= y && y <= c.box[3]);
    return {text: t.textContent, ink: t.getAttribute('fill'), fill: under ? under.fill : null};
  });
  return {texts, rects, values};
}"""

MATRICES = [("/", "ally-chart"), ("/presence", "matrix"), ("/division", "shares-chart")]


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


def drawn(page, url):
    page.goto(url, timeout=120_000)  # a page's first build on a busy machine can take a while
    # a selector, not wait_for_function: that evaluates a string, which the page's CSP forbids
    page.wait_for_selector("body[data-charts]", state="attached", timeout=60_000)
    assert page.evaluate("document.body.dataset.charts") == "ready"


def intersect(a, b, tolerance=0.5):
    return a[0] < b[2] - tolerance and b[0] < a[2] - tolerance and a[1] < b[3] - tolerance and b[1] < a[3] - tolerance


@pytest.mark.shared
@pytest.mark.parametrize("width", [1280, 390])
def test_no_two_texts_of_a_heat_matrix_overlap_on_the_real_files(browser, real_server, width):
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    page = ctx.new_page()
    try:
        for path, block in MATRICES:
            drawn(page, f"{real_server}{path}?lang=en")
            got = page.evaluate(BOXES, block)
            assert got["rects"], (path, "no cell drawn")
            overlapping = [
                (a["text"], b["text"]) for a, b in combinations(got["texts"], 2) if intersect(a["box"], b["box"])
            ]
            assert overlapping == [], (path, width)
            # one cell per (column, row): the cells' names ("ally, sector: value") are all different keys
            keys = [r["label"].rsplit(":", 1)[0] for r in got["rects"]]
            assert len(keys) == len(set(keys)), path
            assert got["values"], (path, "no value written")
            for v in got["values"]:
                assert v["fill"] is not None, v  # every written value sits on its own cell
                assert contrast(v["fill"], v["ink"]) >= 4.5, v
            if path == "/":
                # the largest value of the ledger (the Department of Defense in Afghanistan) is written
                assert "$41.9B" in {v["text"] for v in got["values"]}
    finally:
        ctx.close()


def tooltip_titles(spec) -> list[list[str]]:
    """The tooltip titles of each mark of a spec (layers inherit their parent's encoding)."""
    out = []

    def walk(s, inherited):
        enc = {**inherited, **s.get("encoding", {})}
        if "mark" in s and enc.get("tooltip"):
            out.append([t["title"] for t in enc["tooltip"]])
        for sub in s.get("layer", []):
            walk(sub, enc)

    walk(spec, {})
    return out


def hover_tooltip(page, block, selector):
    """Hover the last mark of ``block`` matching ``selector`` that one can point at (drawn last: nothing
    covers it); (its
    aria-label, the tooltip's rows)."""
    css = f"#{block} svg {selector}"
    index = page.evaluate(
        """(css) => { const all = Array.from(document.querySelectorAll(css)).map((m) => m.getBoundingClientRect());
        for (let i = all.length - 1; i >= 0; i--) if (all[i].width >= 3 && all[i].height >= 3) return i;
        return -1; }""",
        css,
    )
    assert index >= 0, (block, "no mark large enough to point at")
    mark = page.locator(css).nth(index)
    label = mark.get_attribute("aria-label")
    mark.hover(force=True)
    page.wait_for_selector("#vg-tooltip-element.visible", timeout=5_000)
    rows = {}
    for tr in page.locator("#vg-tooltip-element tr").all():
        cells = tr.locator("td").all_inner_texts()
        rows[cells[0]] = cells[1]
    page.mouse.move(0, 0)
    return label, rows


def check_tooltip(page, block, selector):
    spec = json.loads(page.locator(f"#spec-{block}").text_content())
    label, rows = hover_tooltip(page, block, selector)
    assert any(set(titles) <= set(rows) for titles in tooltip_titles(spec)), (block, rows)
    assert label and label in rows.values(), (block, label, rows)  # the mark's own value, as people read it
    return rows


@pytest.mark.shared
def test_the_heat_matrix_tooltip_names_the_cell_and_its_value_in_either_language(browser, real_server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    try:
        drawn(page, f"{real_server}/?lang=en")
        # the largest cell: the United States in Conflict, Peace & Security
        cell = page.locator('#ally-chart svg g.mark-rect path[aria-label^="United States, Conflict"]')
        cell.hover(force=True)
        page.wait_for_selector("#vg-tooltip-element.visible", timeout=5_000)
        text = page.inner_text("#vg-tooltip-element")
        assert "Ally\tUnited States" in text and "Sector\tConflict, Peace & Security" in text
        assert "Disbursed (USD)\t$41.9B" in text
        rows = check_tooltip(page, "allies-chart", "g.mark-rect.role-mark path")
        assert set(rows) == {"Publisher", "Measure", "Amount"}
        drawn(page, f"{real_server}/?lang=ja")
        cell = page.locator('#ally-chart svg g.mark-rect path[aria-label*="$419.3億"]')
        cell.hover(force=True)
        page.wait_for_selector("#vg-tooltip-element.visible", timeout=5_000)
        text = page.inner_text("#vg-tooltip-element")
        assert "同盟国・同志国\tアメリカ合衆国" in text and "$419.3億" in text  # the ally by its Japanese name
        # the tooltip is styled by the page's own style sheet: no <style> injected (the CSP forbids it)
        assert page.evaluate("document.querySelectorAll('style').length") == 0
        assert page.evaluate("getComputedStyle(document.getElementById('vg-tooltip-element')).position") == "fixed"
    finally:
        ctx.close()


# (page, chart, a mark of it) for each chart kind on the demo
KINDS = [
    ("/", "map", "g.mark-symbol.role-mark path"),
    ("/overlaps", "scores", "g.mark-rect.role-mark path"),
    ("/gaps", "gap-chart", "g.mark-rect.role-mark path"),
    ("/division", "hhi-chart", "g.mark-rect.role-mark path"),
    ("/vital-core", "trend", "g.mark-symbol.role-mark path"),
    ("/vital-core", "subgroups", "g.mark-symbol.role-mark path"),
    ("/vital-core", "contrib", "g.mark-rect.role-mark path"),
    ("/screening", "risk-chart", "g.mark-symbol.role-mark path"),
    ("/screening", "map", "g.mark-symbol.role-mark path"),
]


def test_every_chart_kind_shows_a_tooltip_with_titles_and_the_marks_value(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        last = None
        for path, block, selector in KINDS:
            if path != last:
                drawn(page, f"{server}{path}?lang=en")
                last = path
            check_tooltip(page, block, selector)
        assert errors == []
    finally:
        ctx.close()
