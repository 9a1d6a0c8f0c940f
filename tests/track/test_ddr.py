"""DDR analyses (kizuna.track.ddr): censoring of the lost and the dead, worked by hand; the disclosure rule;
the IDDRS dimensions per wave."""

from __future__ import annotations

import math

import polars as pl
import pytest

from kizuna.track import ddr
from kizuna.track.survival import kaplan_meier

WAVE_COLUMNS = {
    "programme": pl.String,
    "person": pl.String,
    "wave_month": pl.Float64,
    "status": pl.String,
    "employed": pl.Boolean,
    "income": pl.Float64,
    "accepted": pl.Boolean,
    "housing": pl.Boolean,
    "participation": pl.Boolean,
    "rerecruited": pl.Boolean,
    "rearmed": pl.Boolean,
    "arrested": pl.Boolean,
    "died": pl.Boolean,
    "who5_pct": pl.Float64,
    "phq9_score": pl.Float64,
    "k6_score": pl.Float64,
}


def persons_frame(ids: list[str], **cols: list[str]) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame(
        {
            "programme": ["P"] * n,
            "person": ids,
            "sex": cols.get("sex", ["m"] * n),
            "area": cols.get("area", ["XA01"] * n),
            "cohort": cols.get("cohort", ["2024-01"] * n),
            "age": [30] * n,
        }
    )


def waves_frame(rows: list[tuple[str, float, str, dict]]) -> pl.DataFrame:
    out = []
    for person, month, status, extra in rows:
        out.append({"programme": "P", "person": person, "wave_month": month, "status": status, **extra})
    return pl.DataFrame(out, schema=WAVE_COLUMNS)


# The hand-worked cohort: five ex-combatants followed up at 3 and 6 months.
#   A: seen at 3, re-recruited at 6      -> event at 6
#   B: re-recruited at 3                 -> event at 3
#   C: seen at 3, lost at 6              -> censored at 3 (never a success)
#   D: seen at 3 and 6                   -> censored at 6
#   E: seen at 3, reported dead at 6     -> censored at 3 (last seen alive)
HAND = waves_frame(
    [
        ("A", 3, "seen", {"rerecruited": False}),
        ("A", 6, "seen", {"rerecruited": True}),
        ("B", 3, "seen", {"rerecruited": True}),
        ("C", 3, "seen", {"rerecruited": False}),
        ("C", 6, "lost", {}),
        ("D", 3, "seen", {"rerecruited": False}),
        ("D", 6, "seen", {"rerecruited": False}),
        ("E", 3, "seen", {"rerecruited": False}),
        ("E", 6, "seen", {"died": True}),
    ]
)
PEOPLE = persons_frame(["A", "B", "C", "D", "E"])


def test_the_lost_and_the_dead_are_censored_and_the_curve_is_the_one_worked_by_hand():
    # t = 3: at risk A, B, C, D, E (5), one event (B): S = 4/5 = 0.8
    # t = 6: at risk A, D (2) — C and E were censored at 3 — one event (A): S = 0.8 * 1/2 = 0.4
    # Greenwood: V(6) = 1/(5*4) + 1/(2*1) = 0.55, SE = 0.4 * sqrt(0.55)
    res = ddr.survival(PEOPLE, HAND, min_cell=1)
    curve = res.curves.filter(pl.col("months") > 0).sort("months")
    assert curve["months"].to_list() == [3.0, 6.0]
    assert curve["at_risk"].to_list() == [5, 2]
    assert curve["events"].to_list() == [1, 1]
    assert curve["censored"].to_list() == [2, 1]
    assert curve["survival"].to_list() == pytest.approx([0.8, 0.4], abs=1e-12)
    assert curve["se"][1] == pytest.approx(0.4 * math.sqrt(0.55), abs=1e-12)
    groups = res.groups.row(0, named=True)
    assert (groups["persons"], groups["re_recruited"], groups["censored"]) == (5, 2, 3)


def test_counting_the_lost_and_the_dead_as_successes_would_give_a_rosier_curve():
    # had C and E been taken as "still out of armed groups" at 6: at risk at 6 = A, C, D, E (4), S = 0.8 * 3/4
    naive = kaplan_meier([6, 3, 6, 6, 6], [1, 1, 0, 0, 0])
    assert naive.filter(pl.col("time") == 6)["survival"][0] == pytest.approx(0.6)
    honest = ddr.survival(PEOPLE, HAND, min_cell=1).curves.filter(pl.col("months") == 6)["survival"][0]
    assert honest == pytest.approx(0.4) and honest < 0.6


def test_the_share_at_each_wave_leaves_the_lost_and_the_dead_out_of_the_denominator():
    shares = ddr.wave_shares(PEOPLE, HAND, min_cell=1).sort("wave")
    # wave 6: reached A and B; seen = B (event earlier), A, D; C is lost and E dead -> 2 / 3, not 2 / 5
    w6 = shares.filter(pl.col("wave") == 6).row(0, named=True)
    assert (w6["persons"], w6["seen"], w6["lost"], w6["reached"]) == (5, 3, 2, 2)
    assert w6["share"] == pytest.approx(2 / 3)


def test_a_person_without_any_wave_is_lost_from_the_start():
    people = persons_frame(["A", "B", "C", "D", "E", "F"])
    res = ddr.survival(people, HAND, min_cell=1)
    first = res.curves.filter(pl.col("months") == 0).row(0, named=True)
    assert first["censored"] == 1 and first["at_risk"] == 6
    assert res.curves.filter(pl.col("months") == 6)["survival"][0] == pytest.approx(0.4)


def test_rearming_counts_as_the_event_like_re_recruitment():
    waves = waves_frame([("A", 3, "seen", {"rearmed": True}), ("B", 3, "seen", {})])
    res = ddr.survival(persons_frame(["A", "B"]), waves, min_cell=1)
    assert res.curves.filter(pl.col("months") == 3)["events"][0] == 1


def _cohort(sizes: dict[str, int]) -> tuple[pl.DataFrame, pl.DataFrame]:
    ids, areas, rows = [], [], []
    for area, n in sizes.items():
        for i in range(n):
            pid = f"{area}-{i}"
            ids.append(pid)
            areas.append(area)
            rows.append((pid, 3, "seen", {"rerecruited": i % 4 == 0, "employed": i % 2 == 0, "who5_pct": 40.0 + i}))
    return persons_frame(ids, area=areas), waves_frame(rows)


def test_a_group_under_ten_persons_is_withheld_and_one_more_so_it_cannot_be_subtracted_back():
    people, waves = _cohort({"XA01": 30, "XA02": 12, "XA03": 6})
    res = ddr.survival(people, waves, ("all", "area"))
    groups = {r["group"]: r for r in res.groups.iter_rows(named=True)}
    assert groups["XA03"]["suppressed"] and groups["XA03"]["persons"] is None
    # complementary: the next-smallest group goes too, or all - XA01 - XA02 would give XA03 back
    assert groups["XA02"]["suppressed"] and not groups["XA01"]["suppressed"]
    assert groups["all"]["persons"] == 48
    shown = set(res.curves.filter(pl.col("breakdown") == "area")["group"].to_list())
    assert shown == {"XA01"}
    assert res.tests.height == 0  # one group left: nothing to compare
    shares = ddr.wave_shares(people, waves, ("area",))
    assert shares.filter(pl.col("group") == "XA03")["seen"].to_list() == [None]
    dims = ddr.indicators(people, waves, ("area",))
    hidden = dims.filter(pl.col("group").is_in(["XA02", "XA03"]))
    assert hidden["value"].null_count() == hidden.height and hidden["suppressed"].all()


def test_every_group_at_or_above_ten_is_shown_with_a_log_rank_test():
    people, waves = _cohort({"XA01": 30, "XA02": 12, "XA03": 10})
    res = ddr.survival(people, waves, ("area",))
    assert not res.groups["suppressed"].any()
    assert res.tests.row(0, named=True)["groups_compared"] == 3


def test_dimensions_are_shares_and_means_of_those_who_answered():
    people, waves = _cohort({"XA01": 20})
    dims = ddr.indicators(people, waves).filter(pl.col("wave") == 3)
    by = {r["outcome_code"]: r for r in dims.iter_rows(named=True)}
    assert by["employed"]["value"] == pytest.approx(0.5) and by["employed"]["answered"] == 20
    assert by["who5_pct"]["value"] == pytest.approx(40 + 9.5)
    assert by["rerecruited_or_rearmed"]["value"] == pytest.approx(5 / 20)
    assert by["income"]["answered"] is None and by["income"]["suppressed"]  # nobody answered: withheld
    assert {r["dimension_code"] for r in dims.iter_rows(named=True)} == set(ddr.DIMENSIONS)
