"""Property tests (hypothesis) for the rule evaluator, the band lookup and instrument scoring."""

from __future__ import annotations

import math
import operator

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.measure.instruments import apply_bands, band_tables, score
from kizuna.measure.run import deprivation
from kizuna.measure.spec import IndicatorSpec, Rule, parse_rule

OPS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=1, max_size=30),
    st.sampled_from(sorted(OPS)),
    st.integers(-5, 5),
)
def test_numeric_rules_match_python_comparisons(values, op, operand):
    rule = parse_rule({op: operand}, "indicators.x.deprived_if", None)
    got = deprivation(pl.Series("x", values, dtype=pl.Int64), IndicatorSpec("x", "x", rule, "x"))
    for v, g in zip(values, got, strict=True):
        if v is None:
            assert math.isnan(g)
        else:
            assert g == float(OPS[op](v, operand))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["poor", "borderline", "acceptable"])), min_size=1, max_size=30),
    st.lists(st.sampled_from(["poor", "borderline", "acceptable"]), min_size=1, max_size=3, unique=True),
    st.booleans(),
)
def test_class_rules_match_membership(values, targets, negate):
    rule = Rule("not_in" if negate else "in", targets)
    got = deprivation(pl.Series("x", values, dtype=pl.String), IndicatorSpec("x", "x", rule, "x"))
    for v, g in zip(values, got, strict=True):
        if v is None:
            assert math.isnan(g)
        else:
            assert g == float((v in targets) != negate)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 112, allow_nan=False), min_size=1, max_size=50))
def test_bands_are_monotone(values):
    bands = band_tables()["fcs"]["bands"]["default"]
    order = {"poor": 0, "borderline": 1, "acceptable": 2}
    vals = sorted(values)
    labels = [order[x] for x in apply_bands(np.array(vals), bands)]
    assert labels == sorted(labels)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 7), min_size=8, max_size=8), min_size=1, max_size=20))
def test_fcs_is_the_weighted_sum_of_days(rows):
    items = ["cereals", "pulses", "vegetables", "fruit", "meat", "dairy", "sugar", "oil"]
    frame = pl.DataFrame({it: [r[j] for r in rows] for j, it in enumerate(items)})
    out = score("fcs", frame, {it: it for it in items})
    w = band_tables()["fcs"]["weights"]
    expected = [sum(r[j] * w[it] for j, it in enumerate(items)) for r in rows]
    assert out["fcs_score"].to_list() == expected
    assert all(0 <= x <= 112 for x in expected)
