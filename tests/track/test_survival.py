"""Kaplan–Meier, Greenwood intervals and the log-rank test agree with lifelines (the reference implementation,
used only in tests) to 1e-8; wave tables become durations with the lost censored, never counted as successes."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test

from kizuna.errors import InputError
from kizuna.track.survival import from_waves, kaplan_meier, logrank, share_at_waves

WAVES = np.array([3.0, 6.0, 12.0, 24.0])


def _cohort(n: int, seed: int, k: int = 3):
    rng = np.random.default_rng(seed)
    t = rng.choice(WAVES, n)
    e = rng.integers(0, 2, n)
    g = rng.choice([f"area-{i}" for i in range(k)], n)
    return t, e, g


def _assert_matches_lifelines(ours: pl.DataFrame, t, e, alpha=0.05):
    f = KaplanMeierFitter(alpha=alpha).fit(t, e)
    times = ours["time"].to_numpy()
    sf = f.survival_function_.loc[times].iloc[:, 0].to_numpy()
    ci = f.confidence_interval_survival_function_.loc[times].to_numpy()
    table = f.event_table.loc[times]
    np.testing.assert_allclose(ours["survival"].to_numpy(), sf, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours["lo"].to_numpy(), ci[:, 0], rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours["hi"].to_numpy(), ci[:, 1], rtol=0, atol=1e-8)
    np.testing.assert_array_equal(ours["at_risk"].to_numpy(), table["at_risk"].to_numpy())
    np.testing.assert_array_equal(ours["events"].to_numpy(), table["observed"].to_numpy())
    np.testing.assert_array_equal(ours["censored"].to_numpy(), table["censored"].to_numpy())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kaplan_meier_by_group_matches_lifelines_to_1e8_at_waves(seed):
    t, e, g = _cohort(600, seed)
    km = kaplan_meier(t, e, groups=g)
    assert km["group"].unique().sort().to_list() == ["area-0", "area-1", "area-2"]
    for label in ("area-0", "area-1", "area-2"):
        mask = g == label
        _assert_matches_lifelines(km.filter(pl.col("group") == label), t[mask], e[mask])


def test_kaplan_meier_matches_lifelines_on_continuous_times_and_other_alpha():
    rng = np.random.default_rng(7)
    t = np.round(rng.exponential(10, 300), 1)
    e = (rng.random(300) < 0.6).astype(int)
    _assert_matches_lifelines(kaplan_meier(t, e, alpha=0.1), t, e, alpha=0.1)


def test_greenwood_standard_error_by_hand():
    # 5 people: events at 1, 3; censored at 2, 4, 5. S(1) = 4/5, S(3) = 4/5 * 2/3.
    km = kaplan_meier([1, 2, 3, 4, 5], [1, 0, 1, 0, 0])
    s3 = 4 / 5 * 2 / 3
    v3 = 1 / (5 * 4) + 1 / (3 * 2)
    row = km.filter(pl.col("time") == 3).row(0, named=True)
    assert row["survival"] == pytest.approx(s3, abs=1e-12)
    assert row["se"] == pytest.approx(s3 * np.sqrt(v3), abs=1e-12)
    assert row["at_risk"] == 3


def test_curve_reaching_zero_gives_zero_interval_like_lifelines():
    t, e = np.array([1.0, 2, 2, 3]), np.array([1, 1, 0, 1])
    km = kaplan_meier(t, e)
    _assert_matches_lifelines(km, t, e)
    assert km["survival"][-1] == 0.0 and km["lo"][-1] == 0.0 and km["hi"][-1] == 0.0


def test_one_group_reaching_zero_leaves_the_other_groups_intact():
    t = np.array([1.0, 1.0, 2.0, 3.0, 4.0])
    e = np.array([1, 1, 1, 0, 1])
    g = np.array(["a", "a", "b", "b", "b"])
    km = kaplan_meier(t, e, groups=g)
    b = km.filter(pl.col("group") == "b")
    _assert_matches_lifelines(b, t[2:], e[2:])


@pytest.mark.parametrize("k", [2, 3, 4])
def test_logrank_matches_lifelines_to_1e8(k):
    t, e, g = _cohort(500, 10 + k, k)
    ours = logrank(t, e, g)
    ref = multivariate_logrank_test(t, g, e)
    assert ours.df == k - 1
    assert ours.statistic == pytest.approx(ref.test_statistic, abs=1e-8)
    assert ours.p == pytest.approx(ref.p_value, abs=1e-8)


def test_two_group_logrank_matches_lifelines_logrank_test():
    rng = np.random.default_rng(5)
    ta, tb = rng.exponential(10, 80), rng.exponential(14, 90)
    ea, eb = rng.integers(0, 2, 80), rng.integers(0, 2, 90)
    ref = logrank_test(ta, tb, ea, eb)
    ours = logrank(np.r_[ta, tb], np.r_[ea, eb], np.r_[["a"] * 80, ["b"] * 90])
    assert ours.statistic == pytest.approx(ref.test_statistic, abs=1e-8)
    assert ours.p == pytest.approx(ref.p_value, abs=1e-8)
    assert sum(ours.observed) == pytest.approx(sum(ours.expected))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.booleans(), st.sampled_from(["x", "y"])),
        min_size=1,
        max_size=60,
    )
)
def test_survival_is_a_non_increasing_probability_with_bounds_around_it(rows):
    t = np.array([r[0] for r in rows], dtype=float)
    e = np.array([r[1] for r in rows], dtype=int)
    g = np.array([r[2] for r in rows])
    km = kaplan_meier(t, e, groups=g)
    for part in km.partition_by("group"):
        s = part["survival"].to_numpy()
        assert ((s >= 0) & (s <= 1)).all()
        assert (np.diff(s) <= 1e-15).all()
        assert (part["lo"].to_numpy() <= s + 1e-12).all() and (s <= part["hi"].to_numpy() + 1e-12).all()
        # at risk at the first time is the whole group; it falls by those leaving
        assert part["at_risk"][0] == (g == part["group"][0]).sum()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 24), min_size=1, max_size=40))
def test_censored_only_data_keep_survival_at_one(times):
    km = kaplan_meier(times, [0] * len(times))
    assert km["survival"].to_list() == [1.0] * km.height
    assert km["lo"].to_list() == [1.0] * km.height and km["hi"].to_list() == [1.0] * km.height


def _waves():
    return pl.DataFrame(
        {
            "person": ["p1", "p1", "p1", "p2", "p2", "p2", "p3", "p3", "p4", "p4", "p4"],
            "wave_month": [3, 6, 12, 3, 6, 12, 3, 6, 3, 6, 12],
            "status": ["ok", "event", "ok", "ok", "lost", "lost", "lost", "lost", "ok", "ok", "ok"],
            "sex": ["f", "f", "f", "m", "m", "m", "f", "f", "m", "m", "m"],
        }
    )


def test_from_waves_event_at_first_observed_wave_and_lost_censored_at_last_seen():
    out = from_waves(_waves(), by=["sex"]).sort("person")
    assert out.to_dicts() == [
        {"person": "p1", "duration": 6.0, "event": 1, "sex": "f"},  # re-recruited, first seen at 6
        {"person": "p2", "duration": 3.0, "event": 0, "sex": "m"},  # lost after 3: censored at 3
        {"person": "p3", "duration": 0.0, "event": 0, "sex": "f"},  # never reached: censored at entry
        {"person": "p4", "duration": 12.0, "event": 0, "sex": "m"},  # followed to the end
    ]


def test_share_at_waves_never_counts_the_lost_and_gives_the_denominator():
    out = share_at_waves(_waves())
    assert out.select("wave", "persons", "seen", "lost", "reached").rows() == [
        (3.0, 4, 3, 1, 0),
        (6.0, 4, 2, 2, 1),  # p1 event; p4 ok; p2, p3 lost
        (12.0, 4, 2, 2, 1),  # p1 counts as reached from 6 on
    ]
    assert out["share"].to_list() == [0.0, 0.5, 0.5]


def test_share_at_waves_by_group():
    out = share_at_waves(_waves(), by=["sex"])
    f12 = out.filter((pl.col("sex") == "f") & (pl.col("wave") == 12)).row(0, named=True)
    assert (f12["seen"], f12["reached"], f12["share"]) == (1, 1, 1.0)


@pytest.mark.parametrize(
    ("durations", "events", "code", "field"),
    [
        ([1, -2, 3], [1, 0, 1], "track.negative_duration", "durations"),
        ([1, float("nan"), 3], [1, 0, 1], "track.missing_duration", "durations"),
        ([1, 2, 3], [1, 0], "track.length_mismatch", "events"),
        ([1, 2, 3], [1, 2, 0], "track.bad_event", "events"),
        (["a", 2], [1, 0], "track.not_numeric", "durations"),
        ([], [], "track.empty", "durations"),
    ],
)
def test_bad_inputs_raise_input_errors_with_code_field_and_hint(durations, events, code, field):
    with pytest.raises(InputError) as info:
        kaplan_meier(durations, events)
    assert info.value.code == code
    assert info.value.where.field == field
    assert info.value.text()


def test_bad_input_row_is_named_and_hint_given():
    with pytest.raises(InputError) as info:
        kaplan_meier([1, 2, -3], [1, 0, 1])
    assert info.value.where.row == 3 and info.value.hint_text()


def test_logrank_needs_two_groups_and_no_missing_group():
    with pytest.raises(InputError, match="two groups"):
        logrank([1, 2], [1, 1], ["a", "a"])
    with pytest.raises(InputError) as info:
        kaplan_meier([1, 2], [1, 1], groups=["a", None])
    assert info.value.code == "track.missing_group" and info.value.where.row == 2


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("status", "gone", "track.bad_status"),
        ("wave_month", -3, "track.bad_wave"),
        ("wave_month", 6, "track.duplicate_wave"),
    ],
)
def test_bad_wave_tables(column, value, code):
    table = _waves().with_columns(
        pl.when(pl.int_range(pl.len()) == 2).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )
    with pytest.raises(InputError) as info:
        from_waves(table)
    assert info.value.code == code and info.value.where.row == 3


def test_missing_wave_column_is_named():
    with pytest.raises(InputError) as info:
        share_at_waves(_waves().drop("status"))
    assert info.value.code == "track.missing_column" and info.value.where.field == "status"


def test_japanese_message():
    from kizuna import i18n

    with pytest.raises(InputError) as info:
        kaplan_meier([1, -2], [1, 0])
    with i18n.use("ja"):
        assert info.value.text() == "期間が負の値です（2人目）"


def test_sparse_path_for_many_groups_and_times_gives_the_same_table(monkeypatch):
    from kizuna.track import survival

    rng = np.random.default_rng(21)
    t = np.round(rng.exponential(8, 400), 2)
    e = rng.integers(0, 2, 400)
    g = rng.integers(0, 25, 400)
    dense = kaplan_meier(t, e, groups=g)
    monkeypatch.setattr(survival, "_DENSE_CELLS", 0)
    sparse = kaplan_meier(t, e, groups=g)
    assert dense.equals(sparse)
    _assert_matches_lifelines(sparse.filter(pl.col("group") == 7), t[g == 7], e[g == 7])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 3.0, 6.0, 12.0, 24.0, 7.5]), st.booleans(), st.sampled_from(["a", "b", "c"])),
        min_size=2,
        max_size=40,
    )
)
def test_logrank_and_curves_agree_with_lifelines_on_small_tied_samples(rows):
    t = np.array([r[0] for r in rows])
    e = np.array([int(r[1]) for r in rows])
    g = np.array([r[2] for r in rows])
    for label in np.unique(g):
        mask = g == label
        part = kaplan_meier(t, e, groups=g).filter(pl.col("group") == label)
        _assert_matches_lifelines(part, t[mask], e[mask])
    if len(np.unique(g)) < 2 or e.sum() == 0:
        return
    ours = logrank(t, e, g)
    ref = multivariate_logrank_test(t, g, e)
    assert ours.statistic == pytest.approx(ref.test_statistic, abs=1e-8)
    assert ours.p == pytest.approx(ref.p_value, abs=1e-8)
