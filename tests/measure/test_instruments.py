"""Each instrument at its cut-off boundaries with hand-scored respondents (sources per test)."""

from __future__ import annotations

import polars as pl
import pytest

from kizuna.errors import InputError, SpecError
from kizuna.measure.instruments import INSTRUMENTS, apply_bands, round_half_up, score

FCS_ITEMS = ["cereals", "pulses", "vegetables", "fruit", "meat", "dairy", "sugar", "oil"]


def _frame(rows: list[list], names: list[str]) -> pl.DataFrame:
    return pl.DataFrame({n: [r[j] for r in rows] for j, n in enumerate(names)}, strict=False)


def _score(kind: str, rows: list[list], items: list[str], **options) -> pl.DataFrame:
    frame = _frame(rows, items)
    return score(kind, frame, {i: i for i in items}, options=options or None)


def test_every_instrument_documents_items_range_and_source():
    for kind, inst in INSTRUMENTS.items():
        doc = inst.scorer.__doc__ or ""
        assert "Source" in doc, kind
        assert inst.items, kind
    assert len(INSTRUMENTS["phq9"].items) == 9 and len(INSTRUMENTS["gad7"].items) == 7
    assert len(INSTRUMENTS["k6"].items) == 6 and len(INSTRUMENTS["k10"].items) == 10
    assert len(INSTRUMENTS["who5"].items) == 5


def test_fcs_default_thresholds_21_and_35():
    # WFP VAM FCS guidance (2008): weights 2,3,1,1,4,4,0.5,0.5; poor <= 21, borderline <= 35
    rows = [
        [7, 0, 7, 0, 0, 0, 0, 0],  # 7·2 + 7·1 = 21 -> poor
        [7, 0, 7, 0, 0, 0, 1, 0],  # 21 + 1·0.5 = 21.5 -> borderline
        [7, 7, 0, 0, 0, 0, 0, 0],  # 7·2 + 7·3 = 35 -> borderline
        [7, 7, 0, 0, 0, 0, 0, 1],  # 35 + 0.5 = 35.5 -> acceptable
        [7, 7, 7, 7, 7, 7, 7, 7],  # maximum 112
    ]
    out = _score("fcs", rows, FCS_ITEMS)
    assert out["fcs_score"].to_list() == [21.0, 21.5, 35.0, 35.5, 112.0]
    assert out["fcs_class"].to_list() == ["poor", "borderline", "borderline", "acceptable", "acceptable"]


def test_fcs_high_sugar_oil_thresholds_28_and_42():
    rows = [
        [7, 0, 7, 7, 0, 0, 0, 0],  # 14 + 7 + 7 = 28 -> poor
        [7, 0, 7, 7, 0, 0, 1, 0],  # 28.5 -> borderline
        [7, 7, 7, 0, 0, 0, 0, 0],  # 14 + 21 + 7 = 42 -> borderline
        [7, 7, 7, 0, 0, 0, 1, 0],  # 42.5 -> acceptable
    ]
    out = _score("fcs", rows, FCS_ITEMS, thresholds="high_sugar_oil")
    assert out["fcs_class"].to_list() == ["poor", "borderline", "borderline", "acceptable"]


def test_fcs_missing_group_gives_missing_score():
    out = _score("fcs", [[7, None, 7, 0, 0, 0, 0, 0]], FCS_ITEMS)
    assert out["fcs_score"].to_list() == [None] and out["fcs_class"].to_list() == [None]


def test_rcsi_classes_3_4_18_19():
    # Maxwell & Caldwell (2008); weights 1,2,1,3,1; 0-3 low, 4-18 medium, >= 19 high
    items = ["less_preferred", "borrow", "limit_portions", "restrict_adults", "reduce_meals"]
    rows = [[3, 0, 0, 0, 0], [4, 0, 0, 0, 0], [0, 0, 0, 6, 0], [1, 0, 0, 6, 0], [7, 7, 7, 7, 7]]
    out = _score("rcsi", rows, items)
    assert out["rcsi_score"].to_list() == [3.0, 4.0, 18.0, 19.0, 56.0]
    assert out["rcsi_class"].to_list() == ["low", "medium", "medium", "high", "high"]


def test_hhs_points_and_classes():
    # Ballard et al. (2011): rarely/sometimes = 1, often = 2; 0-1 little, 2-3 moderate, 4-6 severe
    items = ["no_food", "no_food_freq", "sleep_hungry", "sleep_hungry_freq", "whole_day", "whole_day_freq"]
    rows = [
        [1, 2, 0, None, 0, None],  # 1 -> little_to_none; IPC little
        [1, 3, 0, None, 0, None],  # 2 -> moderate
        [1, 3, 1, 1, 0, None],  # 3 -> moderate
        [1, 3, 1, 3, 0, None],  # 4 -> severe; IPC severe
        [1, 3, 1, 3, 1, 1],  # 5 -> severe; IPC very severe
        [0, None, 0, None, 0, None],  # 0 -> IPC none
        [1, None, 0, None, 0, None],  # yes without frequency -> missing
    ]
    out = _score("hhs", rows, items)
    assert out["hhs_score"].to_list() == [1.0, 2.0, 3.0, 4.0, 5.0, 0.0, None]
    assert out["hhs_class"].to_list() == [
        "little_to_none",
        "moderate",
        "moderate",
        "severe",
        "severe",
        "little_to_none",
        None,
    ]
    assert out["hhs_ipc"].to_list() == [
        "little",
        "moderate",
        "moderate",
        "severe",
        "very_severe",
        "none",
        None,
    ]


def test_hhs_occurrence_must_be_0_or_1():
    with pytest.raises(InputError) as e:
        score(
            "hhs",
            pl.DataFrame({"a": [2], "b": [1], "c": [0], "d": [0]}),
            {"no_food": "a", "no_food_freq": "b", "sleep_hungry": "c", "whole_day": "d"},
        )
    assert e.value.code == "measure.out_of_range"


def test_lcs_max_coping_counts_20_and_30_as_used():
    # WFP LCS-FS (2021): used if 20 (exhausted) or 30 (yes); 10 and 9999 are not
    items = ["stress1", "stress2", "crisis1", "emergency1"]
    rows = [
        [10, 9999, 10, 10],  # none -> 1
        [20, 10, 10, 10],  # stress exhausted -> 2
        [10, 10, 30, 10],  # crisis -> 3
        [30, 10, 30, 20],  # emergency -> 4
        [None, None, None, None],
    ]
    out = _score("lcs", rows, items)
    assert out["lcs_max_coping"].to_list() == [1.0, 2.0, 3.0, 4.0, None]
    assert out["lcs_class"].to_list() == ["none", "stress", "crisis", "emergency", None]
    with pytest.raises(InputError):
        _score("lcs", [[15, 10, 10, 10]], items)


def test_cari_rounds_half_up_and_uses_the_fes_boundaries():
    # WFP CARI (2021); our rule: round half up (2.5 -> 3), as WFP's SPSS RND() and Stata round();
    # FES lower bounds inclusive (0.65 -> 3, 0.75 -> 4) as every current WFP FES script
    items = ["fcs", "rcsi", "lcs", "fes"]
    rows = [
        [40, 4, 3, 0.70],  # acceptable + rCSI 4 -> 2; coping (3 + 3)/2 = 3; (2 + 3)/2 = 2.5 -> 3
        [40, 3, 1, 0.40],  # 1; coping (1 + 1)/2 = 1 -> 1
        [40, 3, 2, 0.65],  # FES 0.65 is class 3: coping 2.5; (1 + 2.5)/2 = 1.75 -> 2
        [40, 3, 2, 0.75],  # FES 0.75 is class 4: coping 3; (1 + 3)/2 = 2 -> 2
        [20, 10, 4, 0.80],  # poor 4; coping 4 -> 4
        [30, 10, 3, 0.60],  # borderline 3; coping (3 + 2)/2 = 2.5; (3 + 2.5)/2 = 2.75 -> 3
        [40, None, 3, 0.6],  # WFP's rule: rCSI missing leaves acceptable at 1; (1 + 2.5)/2 = 1.75 -> 2
    ]
    out = _score("cari", rows, items)
    assert out["cari_current"].to_list() == [2.0, 1.0, 1.0, 1.0, 4.0, 3.0, 1.0]
    assert out["cari_coping"].to_list() == [3.0, 1.0, 2.5, 3.0, 4.0, 2.5, 2.5]
    assert out["cari_unrounded"].to_list() == [2.5, 1.0, 1.75, 2.0, 4.0, 2.75, 1.75]
    assert out["cari_score"].to_list() == [3.0, 1.0, 2.0, 2.0, 4.0, 3.0, 2.0]
    assert out["cari_class"][0] == "moderately_food_insecure"
    assert round_half_up([0.5, 1.5, 2.5, -0.5]).tolist() == [1.0, 2.0, 3.0, 0.0]


def test_cari_with_ecmen():
    out = _score("cari", [[40, 0, 1, 3]], ["fcs", "rcsi", "lcs", "ecmen"])
    # current 1; coping (1 + 3)/2 = 2; (1 + 2)/2 = 1.5 -> 2
    assert out["cari_score"].to_list() == [2.0]
    with pytest.raises(InputError):
        _score("cari", [[40, 0, 1, 2]], ["fcs", "rcsi", "lcs", "ecmen"])


def test_who5_percentage_bands_28_and_50():
    # Topp et al. (2015): raw x 4; <= 28 likely depression; <= 50 (raw < 13) poor well-being
    items = [f"q{i}" for i in range(1, 6)]
    rows = [[2, 1, 2, 1, 1], [2, 2, 2, 1, 1], [3, 3, 2, 2, 2], [3, 3, 3, 2, 2], [5, 5, 5, 5, 5]]
    out = _score("who5", rows, items)
    assert out["who5_raw"].to_list() == [7.0, 8.0, 12.0, 13.0, 25.0]
    assert out["who5_pct"].to_list() == [28.0, 32.0, 48.0, 52.0, 100.0]
    assert out["who5_class"].to_list() == [
        "likely_depression",
        "poor_wellbeing",
        "poor_wellbeing",
        "adequate",
        "adequate",
    ]
    assert out["who5_any_item_low"].to_list() == [1.0, 1.0, 0.0, 0.0, 0.0]


def test_phq9_bands_and_prorating():
    # Kroenke et al. (2001): 5/10/15/20; NHS Data Dictionary: prorate when <= 2 items missing
    items = [f"q{i}" for i in range(1, 10)]

    def total(t):  # spread a total over 9 items of 0..3
        return [min(3, max(0, t - 3 * i)) for i in range(9)]

    rows = [total(t) for t in (4, 5, 9, 10, 14, 15, 19, 20, 27)]
    rows.append([1, 1, 1, 1, 1, 1, 1, 2, None])  # 8 answered, sum 9: 9 x 9/8 = 10.125 -> 10
    rows.append([1, 1, 1, 1, 1, 1, 1, None, None])  # 7 answered, sum 7 -> 9
    rows.append([1, 1, 1, 1, 1, 1, None, None, None])  # 3 missing -> no score
    out = _score("phq9", rows, items)
    assert out["phq9_score"].to_list() == [4, 5, 9, 10, 14, 15, 19, 20, 27, 10, 9, None]
    assert out["phq9_raw"].to_list()[-3:] == [None, None, None]
    assert out["phq9_class"].to_list() == [
        "minimal",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "moderately_severe",
        "moderately_severe",
        "severe",
        "severe",
        "moderate",
        "mild",
        None,
    ]


def test_gad7_bands():
    # Spitzer et al. (2006): 5 / 10 / 15
    items = [f"q{i}" for i in range(1, 8)]
    rows = [[min(3, max(0, t - 3 * i)) for i in range(7)] for t in (4, 5, 9, 10, 14, 15, 21)]
    out = _score("gad7", rows, items)
    assert out["gad7_score"].to_list() == [4, 5, 9, 10, 14, 15, 21]
    assert out["gad7_class"].to_list() == [
        "minimal",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
        "severe",
    ]
    assert _score("gad7", [[1, 1, 1, 1, 1, 1, None]], items)["gad7_score"].to_list() == [None]


def test_k6_bands_and_coding():
    # Prochaska et al. (2012): >= 13 serious, 5-12 moderate (0-4 coding)
    items = [f"q{i}" for i in range(1, 7)]
    rows = [[min(4, max(0, t - 4 * i)) for i in range(6)] for t in (4, 5, 12, 13, 24)]
    out = _score("k6", rows, items)
    assert out["k6_score"].to_list() == [4, 5, 12, 13, 24]
    assert out["k6_class"].to_list() == ["low", "moderate", "moderate", "serious", "serious"]
    # asked 1..5: all 3s -> (3 - 1) x 6 = 12; all 4s -> 18
    out15 = _score("k6", [[3] * 6, [4] * 6], items, coding="1-5")
    assert out15["k6_score"].to_list() == [12, 18]
    assert out15["k6_class"].to_list() == ["moderate", "serious"]
    with pytest.raises(InputError):
        _score("k6", [[5] * 6], items)


def test_k10_bands_both_tables():
    # ABS 4817.0.55.001 (2012): 10-15 low, 16-21 moderate, 22-29 high, 30-50 very high
    items = [f"q{i}" for i in range(1, 11)]

    def total(t):
        extra = t - 10
        return [1 + min(4, max(0, extra - 4 * i)) for i in range(10)]

    rows = [total(t) for t in (10, 15, 16, 21, 22, 29, 30, 50)]
    out = _score("k10", rows, items)
    assert out["k10_score"].to_list() == [10, 15, 16, 21, 22, 29, 30, 50]
    assert out["k10_class"].to_list() == [
        "low",
        "low",
        "moderate",
        "moderate",
        "high",
        "high",
        "very_high",
        "very_high",
    ]
    alt = _score("k10", [total(t) for t in (19, 20, 24, 25, 29, 30)], items, bands="primary_care_bands")
    assert alt["k10_class"].to_list() == ["likely_well", "mild", "mild", "moderate", "moderate", "severe"]
    with pytest.raises(InputError):
        _score("k10", [[0] * 10], items)  # K10 answers are 1..5


def test_cantril_thriving_struggling_suffering():
    # Gallup Life Evaluation Index: thriving now >= 7 & future >= 8; suffering now <= 4 & future <= 4
    rows = [[7, 8], [7, 7], [6, 9], [4, 4], [4, 5], [0, 0], [None, 5]]
    out = _score("cantril", rows, ["now", "future"])
    assert out["cantril_class"].to_list() == [
        "thriving",
        "struggling",
        "struggling",
        "suffering",
        "struggling",
        "suffering",
        None,
    ]


def test_hesper_counts_and_priorities():
    # WHO & KCL (2011): 1 serious, 0 not, 9 no answer; psychosocial items 10, 13-19, 21
    items = ["1", "2", "10", "14", "21", "22", "priority1", "priority2", "priority3"]
    rows = [
        [1, 0, 1, 1, 9, 1, 2, 10, 27],  # serious: 1, 10, 14, 22 -> 4; physical 1; psychosocial 2
        [0, 0, 0, 0, 0, 0, None, None, None],
        [9, 9, 9, 9, 9, 8888, None, None, None],  # nothing answered -> missing
    ]
    out = _score("hesper", rows, items)
    assert out["hesper_serious"].to_list() == [4.0, 0.0, None]
    assert out["hesper_physical"].to_list() == [1.0, 0.0, None]
    assert out["hesper_psychosocial"].to_list() == [2.0, 0.0, None]
    assert out["hesper_answered"].to_list() == [5.0, 6.0, 0.0]
    assert out["hesper_priority1"].to_list() == ["food", None, None]
    assert out["hesper_priority2"][0] == "distress" and out["hesper_priority3"][0] == "other"


def test_out_of_range_answers_list_the_rows():
    items = [f"q{i}" for i in range(1, 6)]
    rows = [[1, 1, 1, 1, 1], [6, 1, 1, 1, 1], [1, 1, 1, 1, 1], [7, 1, 1, 1, 1], [1.5, 1, 1, 1, 1]]
    with pytest.raises(InputError) as e:
        _score("who5", rows, items)
    err = e.value
    assert err.code == "measure.out_of_range"
    assert "rows 2, 4, 5" in err.text() and err.where.row == 2 and err.where.field == "q1"


def test_text_answers_are_an_error_naming_rows():
    frame = pl.DataFrame({"now": ["5", "five", "7"], "future": [5, 5, 5]})
    with pytest.raises(InputError) as e:
        score("cantril", frame, {"now": "now", "future": "future"})
    assert e.value.code == "measure.not_a_number" and "rows 2" in e.value.text()


def test_spec_errors_for_items_and_options():
    frame = pl.DataFrame({"a": [1]})
    with pytest.raises(SpecError) as e:
        score("who5", frame, {"q1": "a"})
    assert e.value.code == "spec.missing_item"
    with pytest.raises(SpecError) as e:
        score("who5", frame, {"q9": "a"})
    assert e.value.code == "spec.unknown_item" and "q1" in (e.value.hint_text() or "")
    with pytest.raises(SpecError) as e:
        score("k6", frame, {f"q{i}": "a" for i in range(1, 7)}, options={"coding": "2-6"})
    assert e.value.code == "spec.bad_option"
    with pytest.raises(SpecError) as e:
        score("who5", frame, {f"q{i}": "nope" for i in range(1, 6)})
    assert e.value.code == "spec.unknown_column"
    with pytest.raises(SpecError):
        score("sdq", frame, {})


def test_band_lookup_bounds():
    bands = [{"below": 0.5, "label": "1"}, {"max": 0.65, "label": "2"}, {"label": "3"}]
    assert apply_bands([0.4999, 0.5, 0.65, 0.6500001, float("nan")], bands) == ["1", "2", "2", "3", None]
