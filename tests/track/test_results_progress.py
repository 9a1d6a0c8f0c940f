"""Progress toward targets, missing actuals and the roll-up (kizuna.track.progress): hand-worked cases."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from kizuna.track.progress import PERIOD_SCHEMA, progress, rollup

AS_OF = date(2025, 1, 1)


def periods(*rows: dict[str, Any]) -> pl.DataFrame:
    base = {c: None for c in PERIOD_SCHEMA}
    out = []
    for i, r in enumerate(rows):
        row = {
            **base,
            "source": "table",
            "org": "Agency A",
            "indicator_key": f"k{i}",
            "measure": "unit",
            "period_end": date(2024, 12, 31),
            **r,
        }
        out.append(row)
    return pl.DataFrame(out, schema=PERIOD_SCHEMA)


def one(**row: Any) -> dict[str, Any]:
    return progress(periods(row), AS_OF).row(0, named=True)


def test_descending_indicator_half_way():
    # baseline 40, target 20, actual 30: (30 - 40) / (20 - 40) = 50 %
    r = one(baseline="40", target="20", actual="30", ascending=False)
    assert r["progress_pct"] == pytest.approx(50.0)
    assert r["change"] == -10.0
    assert r["status"] == "partial"


def test_ascending_indicator_half_way():
    # baseline 10, target 50, actual 30: (30 - 10) / (50 - 10) = 50 %
    r = one(baseline="10", target="50", actual="30", ascending=True)
    assert r["progress_pct"] == pytest.approx(50.0)
    assert r["status"] == "partial"


def test_over_achievement_is_more_than_100_percent():
    assert one(baseline="10", target="50", actual="60")["progress_pct"] == pytest.approx(125.0)
    assert one(baseline="10", target="50", actual="60")["status"] == "achieved"
    # descending, below the target: (10 - 40) / (20 - 40) = 150 %
    r = one(baseline="40", target="20", actual="10", ascending=False)
    assert r["progress_pct"] == pytest.approx(150.0)
    assert r["status"] == "achieved"


def test_moving_away_from_the_target_is_negative():
    r = one(baseline="40", target="20", actual="50", ascending=False)
    assert r["progress_pct"] == pytest.approx(-50.0)
    assert r["status"] == "worse"


def test_target_equal_to_baseline_is_achieved_or_not_never_divided_by_zero():
    kept = one(baseline="10", target="10", actual="12", ascending=True)
    assert kept["progress_pct"] is None and kept["status"] == "achieved"
    assert "no_change_targeted" in kept["note"]
    slipped = one(baseline="10", target="10", actual="8", ascending=True)
    assert slipped["progress_pct"] is None and slipped["status"] == "not_achieved"
    down = one(baseline="5", target="5", actual="6", ascending=False)
    assert down["status"] == "not_achieved"


def test_no_baseline_ascending_starts_from_zero_and_says_so():
    r = one(target="50", actual="25", ascending=True)
    assert r["progress_pct"] == pytest.approx(50.0)
    assert r["note"] == "baseline_zero"


def test_no_baseline_descending_has_no_progress():
    r = one(target="50", actual="25", ascending=False)
    assert r["progress_pct"] is None
    assert r["status"] == "no_baseline"


def test_percentages_are_compared_in_points_not_rescaled():
    # 45 % -> target 60 %, actual 50 %: 5 points of 15 = 33.3 %; the change is 5 points
    r = one(baseline="45", target="60", actual="50", measure="percentage")
    assert r["change"] == pytest.approx(5.0)
    assert r["progress_pct"] == pytest.approx(100 / 3)


def test_ordinal_is_compared_with_the_target_without_a_percentage():
    r = one(baseline="1", target="3", actual="3", measure="ordinal")
    assert r["status"] == "achieved" and r["progress_pct"] is None
    assert one(target="3", actual="2", measure="ordinal")["status"] == "not_achieved"


def test_qualitative_and_text_values_are_listed_never_computed():
    r = one(baseline="weak", target="strong", actual="fair", measure="qualitative")
    assert r["status"] == "listed" and r["progress_pct"] is None and r["change"] is None
    assert one(target="10", actual="about half", measure="unit")["status"] == "listed"
    assert one(target="3", actual="2", measure="nominal")["status"] == "listed"


def test_missing_actual_after_the_period_ended():
    df = progress(
        periods(
            {"target": "10", "period_end": date(2024, 6, 30)},
            {"target": "10", "period_end": date(2025, 6, 30)},
            {"target": "10", "actual": "4", "period_end": date(2024, 6, 30)},
        ),
        AS_OF,
    )
    assert df.get_column("missing_actual").to_list() == [True, False, False]
    assert df.get_column("status").to_list()[:2] == ["no_actual", "no_actual"]


def test_target_against_the_declared_direction_is_noted():
    r = one(baseline="10", target="5", actual="7", ascending=True)
    assert "against_direction" in (r["note"] or "")
    assert r["progress_pct"] == pytest.approx(60.0)  # the formula still reads the movement toward 5


# --- roll-up -----------------------------------------------------------------------------------------


def ref_row(org: str, **kw: Any) -> dict[str, Any]:
    return {
        "org": org,
        "indicator_key": f"{org}-{kw.get('indicator_code', 'PB-1')}-{kw.get('unit')}",
        "vocabulary": "table",
        "indicator_code": "PB-1",
        "unit": "people",
        "baseline": "0",
        **kw,
    }


def test_rollup_sums_indicators_sharing_code_and_unit_across_agencies():
    res = rollup(
        periods(ref_row("Agency A", target="1200", actual="600"), ref_row("Agency B", target="800", actual="800"))
    )
    assert res.rolled.height == 1
    r = res.rolled.row(0, named=True)
    assert (r["n_orgs"], r["target_sum"], r["actual_sum"]) == (2, 2000.0, 1400.0)
    assert r["progress_pct"] == pytest.approx(70.0)
    assert res.not_rolled.height == 0


def test_rollup_refuses_mixed_units_under_one_code():
    res = rollup(
        periods(
            ref_row("Agency A", target="10", actual="5", unit="people"),
            ref_row("Agency B", target="3", actual="1", unit="households"),
        )
    )
    assert res.rolled.height == 0
    assert set(res.not_rolled.get_column("reason")) == {"mixed_units"}
    assert res.not_rolled.height == 2


def test_rollup_never_matches_different_reference_codes_or_vocabularies():
    res = rollup(
        periods(
            ref_row("Agency A", target="10", actual="5", indicator_code="PB-1"),
            ref_row("Agency B", target="10", actual="5", indicator_code="PB-2"),
            ref_row("Agency C", target="10", actual="5", vocabulary="1"),
        )
    )
    assert res.rolled.height == 3
    assert res.rolled.get_column("n_orgs").to_list() == [1, 1, 1]


def test_rollup_leaves_out_what_cannot_be_added_with_its_reason():
    res = rollup(
        periods(
            ref_row("Agency A", target="60", actual="50", measure="percentage", unit="%"),
            ref_row("Agency B", target="x", actual="y", measure="qualitative", indicator_code="Q"),
            ref_row("Agency C", target="10", actual="5", vocabulary=None, indicator_code=None),
            ref_row("Agency D", target="10", actual="5", vocabulary="99", indicator_code="OWN"),
            ref_row("Agency E", target="10", actual="5", aggregable=False, indicator_code="NA"),
            ref_row("Agency F", target="10", actual="5", disaggregation="female", indicator_code="D"),
            ref_row("Agency G", target="10", indicator_code="NV"),
        )
    )
    reasons = dict(zip(res.not_rolled.get_column("org"), res.not_rolled.get_column("reason"), strict=True))
    assert reasons == {
        "Agency A": "not_summable",
        "Agency B": "not_summable",
        "Agency C": "no_reference_code",
        "Agency D": "own_vocabulary",
        "Agency E": "not_for_aggregation",
        "Agency F": "disaggregated",
        "Agency G": "no_values",
    }
    assert res.rolled.height == 0


def test_rollup_adds_areas_but_uses_a_total_row_when_there_is_one():
    with_total = periods(
        ref_row("Agency A", target="10", actual="4", area="XZ01"),
        ref_row("Agency A", target="20", actual="6", area="XZ02"),
        ref_row("Agency B", target="100", actual="50", area="XZ01", indicator_key="b"),
        ref_row("Agency B", target="100", actual="50", area=None, indicator_key="b"),
    )
    r = rollup(with_total).rolled.row(0, named=True)
    assert (r["target_sum"], r["actual_sum"]) == (130.0, 60.0)
