"""The measure run page and the do-no-harm register render in Japanese: every UI string of the reports'
catalogue (``i18n/ja/reports.po``) that the page uses appears translated, and none appears in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kizuna import i18n

REPORTS_PO = Path(i18n.CATALOGUE_DIR) / "ja" / "reports.po"


def _visible(html: str) -> str:
    import html as h

    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    body = re.sub(r"<[^>]+\btranslate=\"no\"[^>]*>.*?</[a-z0-9]+>", " ", body, flags=re.S)  # data values
    return re.sub(r"\s+", " ", h.unescape(re.sub(r"<[^>]+>", " ", body)))


def _template_messages(template: str) -> list[str]:
    """The message ids of a report template, from the catalogue's own extractor."""
    from kizuna.i18n.catalogue_check import messages

    return [m for m, f, _l in messages() if f == f"report/templates/{template}"]


def _english_left(text: str, ids: list[str]) -> list[str]:
    """Message ids (without placeholders, of two words or more) whose English text is on the page."""
    plain = [m for m in ids if "%(" not in m and "{" not in m and " " in m.strip()]
    return [m for m in plain if m in text]


def test_the_measure_page_in_japanese_has_no_english_ui_string(tmp_path):
    from kizuna.measure.demo import build_demo
    from kizuna.workspace import open_workspace

    with i18n.use("ja"), open_workspace(tmp_path / "ws.duckdb") as ws:
        summary = build_demo(ws, tmp_path)
    html = Path(summary["report"]).read_text(encoding="utf-8")
    assert '<html lang="ja">' in html
    text = _visible(html)
    ids = _template_messages("measure.html")
    assert len(ids) >= 6
    assert _english_left(text, ids) == []
    with i18n.use("ja"):
        for heading in ("Summary", "Contributions by indicator", "Sweep of k", "Estimate", "Standard error"):
            assert i18n.gettext(heading) in text and i18n.gettext(heading) != heading


def test_the_register_in_japanese_has_no_english_ui_string(tmp_path):
    from kizuna.screen.demo import build_demo
    from kizuna.workspace import open_workspace

    with i18n.use("ja"), open_workspace(tmp_path / "ws.duckdb") as ws:
        summary = build_demo(ws, tmp_path)
    html_path = next(Path(p) for p in summary["reports"].values() if str(p).endswith(".html"))
    html = html_path.read_text(encoding="utf-8")
    assert '<html lang="ja">' in html and "<script" not in html
    text = _visible(html)
    ids = _template_messages("register.html")
    assert len(ids) >= 10
    assert _english_left(text, ids) == []
    with i18n.use("ja"):
        for ui in ("Do-no-harm risk register", "Why (facts)", "Mitigation", "High"):
            assert i18n.gettext(ui) in html
    # the category keeps its English key for the style, but the reader sees it in Japanese
    assert re.search(r'<span class="cat High">高</span>', html)


def test_every_report_string_has_a_japanese_translation():
    from kizuna.i18n.catalogue_check import missing

    report_files = (
        "report/",
        "coordinate/report.py",
        "coordinate/accountability.py",
        "measure/report.py",
        "screen/report.py",
        "output.py",
    )
    left = [(m, f) for m, f, _l in missing() if f.startswith(report_files)]
    assert left == []


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_rich_table_has_human_headings_in_the_language(lang, capsys):
    from kizuna.output import Format, render

    with i18n.use(lang):
        render([{"usd_commitments": 1234.5, "n_orgs": 3}], Format.table)
    out = capsys.readouterr().out
    assert "usd_commitments" not in out and "n_orgs" not in out
    expected = {"en": "Committed (USD)", "ja": "約束額（米ドル）"}[lang]
    assert expected in out and "1,234.50" in out
