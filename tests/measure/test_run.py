"""From frame + spec to results: rules, listwise deletion, design columns, errors naming the field."""

from __future__ import annotations

import polars as pl
import pytest

from kizuna.errors import InputError, SpecError
from kizuna.measure.run import run_measure
from kizuna.measure.spec import parse_spec

SPEC = """
[design]
weight = "w"
[indicators.food]
column = "fcs"
deprived_if = { in = ["poor", "borderline"] }
[indicators.well]
column = "who5"
deprived_if = { le = 50 }
[af]
k = 50
subgroups = ["sex"]
[disclosure]
min_cell = 1  # arithmetic on five persons: disclosure control off (tests/measure/test_disclosure.py tests it)
"""


def _frame(**over) -> pl.DataFrame:
    base = {
        "fcs": ["poor", "acceptable", "borderline", "acceptable", None],
        "who5": [40, 60, 80, 48, 20],
        "w": [1.0, 2.0, 1.0, 1.0, 1.0],
        "sex": ["f", "m", None, "f", "m"],
    }
    base.update(over)
    return pl.DataFrame(base)


def test_rules_listwise_deletion_and_missing_subgroup():
    res = run_measure(_frame(), parse_spec(SPEC))
    # person 5 misses fcs -> dropped; 4 kept with weights 1, 2, 1, 1 (total 5)
    assert res.n_used == 4 and res.n_dropped == 1 and res.missing == {"food": 1, "well": 0}
    assert "1 of 5 persons dropped" in res.notes[0]
    from kizuna import i18n

    with i18n.use("ja"):
        assert i18n.gettext(res.notes[0]) == "5 人中 1 人を、指標の欠測のため除外しました（リストワイズ）：food 1"
    # deprivations: p1 food+well (c=1), p2 none, p3 food (c=.5), p4 well (c=.5); k=50 -> p1, p3, p4 poor
    s = {r["measure"]: r["b"] for r in res.summary.iter_rows(named=True)}
    assert s["H"] == pytest.approx(3 / 5)
    assert s["M0"] == pytest.approx((1 + 0.5 + 0.5) / 5)
    groups = set(res.subgroups["group"].to_list())
    assert groups == {"f", "m", "(missing)"}


def test_unknown_indicator_column_names_the_key():
    with pytest.raises(SpecError) as e:
        run_measure(_frame().drop("who5"), parse_spec(SPEC))
    assert e.value.code == "spec.unknown_column" and e.value.where.key == "indicators.well.column"


def test_numeric_rule_on_text_is_an_error_naming_row_and_field():
    with pytest.raises(InputError) as e:
        run_measure(_frame(who5=["40", "sixty", "80", "48", "20"]), parse_spec(SPEC))
    assert e.value.code == "measure.not_a_number" and e.value.where.row == 2 and e.value.where.field == "who5"


def test_missing_weight_is_an_error_naming_the_row():
    with pytest.raises(InputError) as e:
        run_measure(_frame(w=[1.0, None, 1.0, 1.0, 1.0]), parse_spec(SPEC))
    assert e.value.code == "measure.design_missing" and e.value.where.row == 2


def test_unknown_subgroup_column():
    with pytest.raises(SpecError) as e:
        run_measure(_frame().drop("sex"), parse_spec(SPEC))
    assert e.value.where.key == "af.subgroups"


def test_nobody_complete_is_an_error():
    with pytest.raises(InputError) as e:
        run_measure(_frame(fcs=[None] * 5), parse_spec(SPEC))
    assert e.value.code == "measure.no_complete_rows"


def test_instrument_outputs_feed_indicators():
    spec = parse_spec("""
[instruments.ladder]
type = "cantril"
items = { now = "now", future = "fut" }
[indicators.suffering]
instrument = "ladder"
output = "class"
deprived_if = { eq = "suffering" }
[indicators.low_now]
column = "now"
deprived_if = { lt = 5 }
[disclosure]
min_cell = 1
""")
    res = run_measure(pl.DataFrame({"now": [2, 8, 4], "fut": [3, 9, 6]}), spec)
    hd = {r["indicator"]: r["b"] for r in res.indicators.filter(pl.col("measure") == "hd").iter_rows(named=True)}
    assert hd == {"suffering": pytest.approx(1 / 3), "low_now": pytest.approx(2 / 3)}
    with pytest.raises(SpecError) as e:
        run_measure(pl.DataFrame({"now": [2], "fut": [3], "ladder_class": ["x"]}), spec)
    assert e.value.code == "spec.column_clash"


def test_stata_value_labels_name_the_subgroups(tmp_path):
    import pandas as pd
    import pyreadstat

    from kizuna.measure.api import measure_file

    df = pd.DataFrame({"d1": [1.0, 0.0, 1.0, 0.0], "d2": [1.0, 1.0, 0.0, 0.0], "region": [1.0, 1.0, 2.0, 2.0]})
    survey = tmp_path / "s.dta"
    pyreadstat.write_dta(df, str(survey), variable_value_labels={"region": {1: "North", 2: "South"}})
    spec = tmp_path / "spec.toml"
    spec.write_text(
        '[indicators.d1]\ncolumn = "d1"\n[indicators.d2]\ncolumn = "d2"\n[af]\nk = 100\nsubgroups = ["region"]\n[disclosure]\nmin_cell = 1\n'
    )
    run = measure_file(survey, spec)
    sub = run.result.subgroups
    assert sub["group"].to_list() == ["North", "South"]
    # k = 100: only person 1 (deprived in both) is poor -> H_North = 1/2, H_South = 0
    assert sub["H"].to_list() == pytest.approx([0.5, 0.0])
