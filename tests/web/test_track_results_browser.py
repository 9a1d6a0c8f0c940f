"""The /results page in a real browser, both languages, on the demo workspace: every UI text in the
page's language and no serious or critical axe-core violation. (The shared crawl's page list,
tests/web/browser_support.py, does not list track's pages yet; this reuses its checks for /results.)"""

from __future__ import annotations

import pytest
from browser_support import LANGS, load, workspaces
from test_a11y import BLOCKING, axe_violations, describe
from test_languages_browser import offending, page_text

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_results_page_reads_in_its_language_and_passes_axe(request, chromium):  # noqa: F811
    base = workspaces(request, "demo")
    problems = []
    for lang in LANGS:
        found = page_text(chromium, f"{base}/results?lang={lang}")
        assert found["status"] == 200 and found["lang"] == lang
        bad = offending(found["items"], lang)
        if bad:
            problems.append(f"/results?lang={lang}: UI text in the other language:\n" + "\n".join(bad))
        ctx, page, status = load(chromium, f"{base}/results?lang={lang}")
        try:
            assert status == 200
            violations = axe_violations(page)
        finally:
            ctx.close()
        if any(v["impact"] in BLOCKING for v in violations):
            problems.append(f"axe-core on /results?lang={lang}:\n" + describe(violations))
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
