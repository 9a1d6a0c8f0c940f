"""Every page speaks the language it was asked for (issue 12): rendered in headless Chromium with
``?lang=ja`` no English UI string is left, and with ``?lang=en`` no Japanese one, on the demo and
on the real-file workspace; ``<html lang>`` matches.

What counts as UI text: every text node of the page once its charts are drawn (hidden ones too: a
closed <details> or an <option> is read as soon as it is opened), the document title, and the
attributes a person or a screen reader reads (aria-label, title, alt, placeholder, the value of
buttons), including the ``aria-label`` of chart SVGs (axis and chart descriptions).

What is exempt, because it is not the interface's language:
- data values: an element inside ``translate="no"`` (table cells of data, organisation names, titles,
  identifiers), and in Vega's SVG the groups of data — axis labels (``role-axis-label``), legend
  labels (``role-legend-label``) and marks (``role-mark``, e.g. the numbers in heat cells); axis
  titles, legend titles and chart titles are UI and are checked;
- text in another language on purpose: an element whose ``lang`` differs from the page's (the
  language switch shows "日本語" on an English page);
- machine text: ``<code>``, ``<kbd>``, ``<samp>``, ``<pre>`` (paths, commands, JSON);
- on a Japanese page, Latin tokens in ``ALLOWED`` (acronyms and proper names used as they are in
  Japanese documents) and numbers, dates, amounts and units.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_support import LANGS, PAGES, load, workspaces

pytestmark = [pytest.mark.browser, pytest.mark.server]

WORKSPACES = ["demo", pytest.param("real", marks=pytest.mark.shared)]

# Acronyms and proper names a Japanese page writes in Latin letters (JICA/MOFA usage).
ALLOWED = {
    *("IATI", "API", "CSV", "XLSX", "JSON", "USD", "HHI", "RCA", "SHA-256", "OpenAPI", "Kizuna", "DAC", "3W"),
    *("HXL", "P-code", "OCHA", "HNO", "UCDP", "ACLED", "Kobo", "ODK", "FCS", "rCSI", "MPI", "WHO-5", "PHQ-9"),
    *("K6", "M0", "H", "A", "CI", "SE"),
    *("ID", "DDR", "IDDRS", "DiD"),  # track (issue 14): written in Latin letters in Japanese documents too
}
# Numbers, amounts, percentages, dates and times, with their units: 1,234 · $41.8B · 93% · 2026-01-02 ·
# 03:04:05 · 25 km · 2025-03-01T10:00 · 12.5 ms
NUMBER = re.compile(
    r"^[-+−]?[$€£¥]?[-+−]?\d[\d,.:/\-]*(?:T\d[\d:.]*)?(?:%|[KMBT]|bn|km|m|ms|s|x|×)?$"
    r"|^(?:km|ms|px)$"
)
TOKEN = re.compile(r"/?[A-Za-z0-9$€£¥−][A-Za-z0-9_$€£¥%.,:/+'’\-−]*")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")

COLLECT = """
() => {
  const pageLang = document.documentElement.getAttribute("lang");
  const items = [{path: "head > title", text: document.title}];
  const machine = "code, kbd, samp, pre, script, style, noscript, template";
  const data = '[translate="no"], g.role-axis-label, g.role-legend-label, g.role-mark';
  function elementPath(el) {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && e !== document.documentElement; e = e.parentElement) {
      let s = e.tagName.toLowerCase();
      if (e.id) { parts.unshift(s + "#" + e.id); break; }
      const cls = (e.getAttribute("class") || "").trim().split(/\\s+/).filter(Boolean);
      if (cls.length) s += "." + cls.slice(0, 2).join(".");
      const same = e.parentElement ? Array.from(e.parentElement.children).filter(c => c.tagName === e.tagName) : [];
      if (same.length > 1) s += ":nth-of-type(" + (same.indexOf(e) + 1) + ")";
      parts.unshift(s);
    }
    return parts.join(" > ");
  }
  function exempt(el) {
    if (el.closest(machine) || el.closest(data)) return true;
    const marked = el.closest("[lang]");
    return marked !== null && marked !== document.documentElement && marked.getAttribute("lang") !== pageLang;
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue.replace(/\\s+/g, " ").trim();
    if (text && !exempt(node.parentElement)) items.push({path: elementPath(node.parentElement), text: text});
  }
  const attributes = ["aria-label", "title", "alt", "placeholder", "aria-roledescription"];
  for (const el of document.body.querySelectorAll("*")) {
    if (exempt(el)) continue;
    for (const name of attributes) {
      const value = el.getAttribute(name);
      if (value && value.trim()) items.push({path: elementPath(el) + "[" + name + "]", text: value.trim()});
    }
    if (el.matches('input[type="submit"], input[type="button"], input[type="reset"]') && el.value) {
      items.push({path: elementPath(el) + "[value]", text: el.value});
    }
  }
  return {lang: pageLang, items: items};
}
"""


# Machine text inside a sentence: `commands`, codes and acronyms in capitals (XZ01, EU, OECD, URL),
# identifiers, file names and paths (kizuna.coordinate, afg_hno_2024.csv, /api/v1), --flags, one-letter
# symbols (k, A). A Japanese document writes these as they are; English words are what the test looks for.
BACKTICKS = re.compile(r"`[^`]*`")
MACHINE = re.compile(r"^(?:[A-Z0-9][A-Z0-9\-]*|[A-Za-z]|--?[a-z][\w\-]*|.*\d.*|[\w\-]*[._][\w\-./]*|/[\w\-./]+)$")


def english_words(text: str) -> list[str]:
    """The Latin-letter words of ``text`` that a Japanese page may not show (not allowed, not numbers,
    not machine text)."""
    bad = []
    for match in TOKEN.finditer(BACKTICKS.sub(" ", text)):
        token = match.group().rstrip(".,:;'’-")
        if not re.search(r"[A-Za-z]", token) or NUMBER.match(token) or token in ALLOWED or MACHINE.match(token):
            continue
        parts = [p for p in re.split(r"[/,]", token) if p]
        if all(p in ALLOWED or NUMBER.match(p) or not re.search(r"[A-Za-z]", p) for p in parts):
            continue
        bad.append(token)
    return bad


def offending(items: list[dict[str, str]], lang: str) -> list[str]:
    """One line per distinct offending text: the text, the other-language words, how many elements
    show it and the path of the first."""
    seen: dict[str, list[Any]] = {}
    for item in items:
        text = item["text"]
        if lang == "ja":
            words = english_words(text)
            if not words:
                continue
            note = f" (English: {', '.join(dict.fromkeys(words[:8]))})"
        elif JAPANESE.search(text):
            note = ""
        else:
            continue
        if text in seen:
            seen[text][2] += 1
        else:
            seen[text] = [item["path"], note, 1]
    return [f"  {text[:160]!r}{note}{f' ×{n}' if n > 1 else ''} at {path}" for text, (path, note, n) in seen.items()]


def page_text(browser: Any, url: str) -> dict[str, Any]:
    ctx, page, status = load(browser, url)
    try:
        assert page.locator("body").get_attribute("data-charts") == "ready", f"{url}: charts not drawn"
        found = page.evaluate(COLLECT)
        found["status"] = status
        return found
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("which", WORKSPACES)
def test_every_ui_string_is_in_the_language_of_the_page(request, chromium, which, path, lang):  # noqa: F811
    base = workspaces(request, which)
    found = page_text(chromium, f"{base}{path}?lang={lang}")
    assert found["status"] == (404 if path == "/no-such-page" else 200)
    assert found["lang"] == lang, f"{path}?lang={lang}: <html lang={found['lang']!r}>"
    bad = offending(found["items"], lang)
    if bad:
        other = "English" if lang == "ja" else "Japanese"
        pytest.fail(
            f"{path}?lang={lang} ({which} workspace): {len(bad)} distinct UI text(s) in {other}"
            ' (mark data values translate="no"; pass UI text through the catalogue):\n' + "\n".join(bad),
            pytrace=False,
        )


# The checker itself, on fixed strings: it must be able to fail.
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("約束額（USD）", []),
        ("IATI の案件 1,234 件、$41.8B、93%", []),
        ("2026-01-02 03:04:05 に取り込み", []),
        ("SHA-256 と CSV/XLSX", []),
        ("Download CSV", ["Download"]),
        ("国別 Group var", ["Group", "var"]),
        ("Se/Lo/Hi", ["Se/Lo/Hi"]),
        ("半径 25 km", []),
        ("`kizuna measure SURVEY --spec SPEC.toml` を実行", []),
        ("kizuna.coordinate が割り当て、/api/v1 に一覧、afg_hno_2024.csv", []),
        ("XZ01 と EU と OECD、閾値 k", []),
        ("Sex別", ["Sex"]),
    ],
)
def test_the_english_word_finder(text, words):
    assert english_words(text) == words


def test_japanese_is_found_on_an_english_page():
    items = [{"path": "p", "text": "Committed 約束額"}, {"path": "q", "text": "Committed (USD)"}]
    assert offending(items, "en") == ["  'Committed 約束額' at p"]


def test_a_text_shown_many_times_is_listed_once():
    items = [{"path": f"td:nth-of-type({n})", "text": "Download CSV"} for n in (1, 2, 3)]
    assert offending(items, "ja") == ["  'Download CSV' (English: Download) ×3 at td:nth-of-type(1)"]
