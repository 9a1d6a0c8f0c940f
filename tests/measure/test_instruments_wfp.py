"""The food-security instruments against WFP's published cut-offs and WFP-VAM's current scripts
(WFP-VAM/RAMResourcesScripts, HEAD d18c07a of 2026-02-27): the FES classes at their exact
boundaries, CARI's rule for a missing input (mean of the domain scores present, then round), and
the complete-case option kept for comparison."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kizuna.errors import SpecError
from kizuna.measure.instruments import apply_bands, band_tables, fcs_4pt, score
from kizuna.measure.spec import parse_spec

CARI_FES = ["fcs", "rcsi", "lcs", "fes"]


def _cari(rows: list[list], items: list[str] = CARI_FES, **options) -> pl.DataFrame:
    frame = pl.DataFrame({n: [r[j] for r in rows] for j, n in enumerate(items)}, strict=False)
    return score("cari", frame, {i: i for i in items}, options=options or None)


def fes_class(values: list[float]) -> list[str | None]:
    return apply_bands(np.array(values, dtype=float), band_tables()["fes"]["bands"])


def test_fes_classes_take_their_lower_bound_as_every_current_wfp_script():
    # FES.R: FES < 0.50 ~ 1; >= 0.50 & < 0.65 ~ 2; >= 0.65 & < 0.75 ~ 3; >= 0.75 ~ 4
    # FES.sps: LOWEST THRU .4999999 = 1, .50 THRU .64999999 = 2, .65 THRU .74999999 = 3, .75 THRU HIGHEST = 4
    assert fes_class([0.4999]) == ["1"]
    assert fes_class([0.50]) == ["2"]
    assert fes_class([0.6499]) == ["2"]
    assert fes_class([0.65]) == ["3"]
    assert fes_class([0.7499]) == ["3"]
    assert fes_class([0.75]) == ["4"]
    assert fes_class([0.0, 1.0, float("nan")]) == ["1", "4", None]


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
@example(0.50)
@example(0.65)
@example(0.75)
def test_fes_class_equals_wfps_r_case_when_for_any_share(fes):
    # FES.R (WFP-VAM/RAMResourcesScripts, 2026): case_when(FES < 0.50 ~ 1, FES >= 0.50 & FES < 0.65 ~ 2,
    # FES >= 0.65 & FES < 0.75 ~ 3, FES >= 0.75 ~ 4)
    expected = 1 if fes < 0.50 else 2 if fes < 0.65 else 3 if fes < 0.75 else 4
    assert fes_class([fes]) == [str(expected)]


def test_fes_boundaries_reach_cari_through_the_coping_domain():
    # acceptable FCS, rCSI 0 -> current 1; LCS stress (2); coping = mean(2, FES class)
    out = _cari([[40, 0, 2, 0.4999], [40, 0, 2, 0.50], [40, 0, 2, 0.65], [40, 0, 2, 0.75]])
    assert out["cari_coping"].to_list() == [1.5, 2.0, 2.5, 3.0]
    # (1 + 1.5)/2 = 1.25 -> 1; (1 + 2)/2 = 1.5 -> 2; (1 + 2.5)/2 = 1.75 -> 2; (1 + 3)/2 = 2
    assert out["cari_score"].to_list() == [1.0, 2.0, 2.0, 2.0]


def test_cari_current_status_follows_the_fcs_and_rcsi_cut_offs():
    # CARI (2021): acceptable FCS (> 35) is 1, or 2 when rCSI >= 4; borderline (21.5-35) 3; poor 4
    fcs = np.array([35.5, 35.5, 35.5, 35.0, 21.5, 21.0, np.nan])
    rcsi = np.array([3.0, 4.0, np.nan, 0.0, 30.0, 0.0, 2.0])
    assert fcs_4pt(fcs, rcsi).tolist()[:6] == [1.0, 2.0, 1.0, 3.0, 3.0, 4.0]
    assert np.isnan(fcs_4pt(fcs, rcsi)[6])


def test_cari_with_a_missing_input_averages_the_domain_scores_present():
    # Worked through the steps of WFP's CARI guidance (2nd ed., 2021) and CARI-FES.sps:
    #   Mean_coping_capacity_FES = MEAN(Max_coping_behaviourFS, Foodexp_4pt)
    #   CARI_unrounded_FES = MEAN(FCS_4pt, Mean_coping_capacity_FES); CARI_FES = RND(...)
    # SPSS MEAN() averages the arguments present. A household with acceptable food consumption and
    # rCSI 6 (current status 2) using crisis coping (LCS 3) whose expenditure was not collected:
    # coping = 3 (LCS alone), CARI = (2 + 3)/2 = 2.5 -> 3, moderately food insecure.
    rows = [
        [40, 6, 3, None],  # the worked example
        [40, 6, None, 0.80],  # LCS missing: coping = FES class 4 alone; (2 + 4)/2 = 3
        [30, 0, None, None],  # both coping inputs missing: CARI = current status 3 alone
        [None, None, 4, 0.30],  # no FCS: CARI = coping (4 + 1)/2 = 2.5 -> 3
        [None, None, None, None],  # nothing: no CARI
    ]
    out = _cari(rows)
    assert out["cari_current"].to_list() == [2.0, 2.0, 3.0, None, None]
    assert out["cari_coping"].to_list() == [3.0, 4.0, None, 2.5, None]
    assert out["cari_unrounded"].to_list() == [2.5, 3.0, 3.0, 2.5, None]
    assert out["cari_score"].to_list() == [3.0, 3.0, 3.0, 3.0, None]
    assert out["cari_class"].to_list() == ["moderately_food_insecure"] * 4 + [None]


def test_the_available_rule_is_the_default_and_matches_naming_it():
    rows = [[40, 6, 3, None], [30, 0, 2, 0.6]]
    assert _cari(rows).equals(_cari(rows, missing="available"))


def test_complete_case_option_leaves_cari_missing_when_any_input_is_missing():
    rows = [
        [40, 6, 3, None],  # FES missing
        [40, None, 3, 0.6],  # rCSI missing
        [None, 2, 3, 0.6],  # FCS missing
        [40, 6, None, 0.6],  # LCS missing
        [40, 6, 3, 0.70],  # complete: current 2, coping (3 + 3)/2 = 3, (2 + 3)/2 = 2.5 -> 3
    ]
    out = _cari(rows, missing="complete_case")
    assert out["cari_score"].to_list() == [None, None, None, None, 3.0]
    assert out["cari_class"].to_list() == [None, None, None, None, "moderately_food_insecure"]
    # the domain outputs stay where their own inputs are present
    assert out["cari_current"].to_list()[:2] == [2.0, 1.0]


def test_complete_case_with_ecmen_too():
    items = ["fcs", "rcsi", "lcs", "ecmen"]
    out = _cari([[40, 0, 1, None], [40, 0, 1, 3]], items, missing="complete_case")
    assert out["cari_score"].to_list() == [None, 2.0]
    out = _cari([[40, 0, 1, None], [40, 0, 1, 3]], items)
    # available: coping = LCS 1 alone, (1 + 1)/2 = 1
    assert out["cari_score"].to_list() == [1.0, 2.0]


def test_an_unknown_missing_rule_is_refused_with_the_allowed_ones():
    with pytest.raises(SpecError) as exc:
        _cari([[40, 0, 1, 0.3]], missing="listwise")
    assert exc.value.code == "spec.bad_option"
    assert "complete_case" in str(exc.value.params["allowed"])


def test_the_spec_accepts_the_missing_option_for_cari():
    spec = parse_spec(
        """
[instruments.cari]
type = "cari"
items = { fcs = "f", rcsi = "r", lcs = "l", fes = "s" }
missing = "complete_case"
[indicators.food]
instrument = "cari"
output = "score"
deprived_if = { ge = 3 }
"""
    )
    assert spec.instruments[0].options == {"missing": "complete_case"}
