"""The synthetic results demo (kizuna.track.results_demo): labelled synthetic, and it shows each rule."""

from __future__ import annotations

from kizuna.track import results_store as store
from kizuna.track.results_demo import build_demo


def test_demo_table_is_synthetic_and_shows_rollup_and_refusals(ws, tmp_path):
    summary = build_demo(ws, tmp_path / "results", seed=7)
    assert summary["imported"] == ["imported"]
    text = (tmp_path / "results" / "synthetic-indicators.csv").read_text(encoding="utf-8")
    orgs = {line.split(",")[0] for line in text.splitlines()[2:]}
    assert orgs and all(o.startswith("Synthetic — ") for o in orgs)
    roll = store.results_rollup(ws)
    codes = set(roll.rolled.get_column("indicator_code"))
    assert codes == {"KZ-PB-01", "KZ-PB-02"}
    reasons = dict(
        zip(roll.not_rolled.get_column("indicator_code"), roll.not_rolled.get_column("reason"), strict=False)
    )
    assert reasons["KZ-WS-01"] == "mixed_units"
    assert reasons["KZ-PB-03"] == "not_summable" and reasons["KZ-PB-04"] == "not_summable"
    assert store.results_missing(ws).height > 0
    # built twice (the demo re-run on the same workspace) stores nothing new
    assert build_demo(ws, tmp_path / "results", seed=7)["imported"] == ["skipped"]
