"""The HTML report renders its four charts in a real headless Chromium with the network cut off."""

from __future__ import annotations

from pathlib import Path

import pytest

from kizuna.measure.demo import build_demo


@pytest.mark.browser
def test_report_charts_render_offline(tmp_path, chromium):
    from kizuna.workspace import open_workspace

    with open_workspace(tmp_path / "ws.duckdb") as ws:
        summary = build_demo(ws, tmp_path)
    page_path = Path(summary["report"])
    requests: list[str] = []
    ctx = chromium.new_context(offline=True)
    try:
        page = ctx.new_page()
        page.on("request", lambda r: requests.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.as_uri())
        for chart in ("c_contrib", "c_sub", "c_sweep", "c_time"):
            page.wait_for_selector(f"#{chart} svg", timeout=20_000)
            marks = page.locator(
                f"#{chart} svg .mark-rect path, #{chart} svg .mark-line path, "
                f"#{chart} svg .mark-rule line, #{chart} svg .mark-symbol path"
            ).count()
            assert marks > 0, chart
        assert errors == []
    finally:
        ctx.close()
    assert [u for u in requests if not u.startswith("file:")] == []
