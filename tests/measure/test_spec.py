"""The spec: nested equal weights, rules, and errors that name the key and say what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kizuna.errors import SpecError
from kizuna.measure.spec import Rule, load_spec, parse_spec

HERE = Path(__file__).resolve().parent

MINIMAL = """
[indicators.a]
column = "a"
[indicators.b]
column = "b"
deprived_if = { le = 50 }
[indicators.c]
column = "c"
deprived_if = { in = ["poor", "borderline"] }
[dimensions]
one = ["a"]
two = ["b", "c"]
"""


def test_fixture_spec_gives_global_mpi_weights():
    spec = load_spec(HERE / "syn_cdta_mpi.toml")
    assert spec.weights["d_nutr"] == pytest.approx(1 / 6) and spec.weights["d_asst"] == pytest.approx(1 / 18)
    assert sum(spec.weights.values()) == pytest.approx(1.0, abs=1e-12)
    assert spec.k == 33 and 33 in spec.k_sweep
    assert spec.subgroups == ["area", "region"] and spec.time == "t" and spec.year == "year"
    assert (spec.weight, spec.strata, spec.psu) == ("weight", "stratum", "psu")


def test_nested_equal_weights_and_rules():
    spec = parse_spec(MINIMAL)
    assert spec.weights == {"a": 0.5, "b": 0.25, "c": 0.25}
    rules = {i.name: i.rule for i in spec.indicators}
    assert rules == {"a": Rule("eq", 1), "b": Rule("le", 50), "c": Rule("in", ["poor", "borderline"])}
    assert spec.weight is None and spec.strata is None and spec.psu is None  # all optional
    assert spec.k == 33  # the global-MPI default


def test_without_dimensions_each_indicator_is_its_own_dimension():
    spec = parse_spec('[indicators.a]\ncolumn = "a"\n[indicators.b]\ncolumn = "b"\n')
    assert spec.weights == {"a": 0.5, "b": 0.5}


def test_dimension_weights():
    spec = parse_spec(MINIMAL + "[dimension_weights]\none = 0.25\ntwo = 0.75\n")
    assert spec.weights == {"a": 0.25, "b": 0.375, "c": 0.375}


@pytest.mark.parametrize(
    "extra, code, key, allowed",
    [
        ("[desgin]\nweight = 'w'\n", "spec.unknown_key", "desgin", "design"),
        ("[design]\nwieght = 'w'\n", "spec.unknown_key", "design.wieght", "weight"),
        ("[design]\nlonely_psu = 'drop'\n", "spec.bad_value", "design.lonely_psu", "centered"),
        ("[af]\nk = 140\n", "spec.bad_value", "af.k", "[0, 100]"),
        ("[af]\nk = 0\n", "spec.bad_value", "af.k", "(0, 100]"),
        ("[af]\nkk = 3\n", "spec.unknown_key", "af.kk", "k_sweep"),
        ("[af]\nsubgroups = 3\n", "spec.bad_value", "af.subgroups", '["area"'),
        ("[dimension_weights]\none = 0.5\ntwo = 0.6\n", "spec.bad_weights", "dimension_weights", "sum to 1"),
        ("[dimension_weights]\none = 1.0\n", "spec.bad_value", "dimension_weights", "every dimension"),
        (
            "[instruments.x]\ntype = 'sdq'\nitems = {}\n",
            "spec.unknown_instrument",
            "instruments.x.type",
            "who5",
        ),
        (
            "[instruments.w]\ntype = 'who5'\nitems = {q1 = 'a'}\ncolour = 1\n",
            "spec.unknown_key",
            "instruments.w.colour",
            "items",
        ),
    ],
)
def test_spec_errors_name_the_key_and_what_is_allowed(extra, code, key, allowed):
    with pytest.raises(SpecError) as e:
        parse_spec(MINIMAL + extra, file="spec.toml")
    err = e.value
    assert err.code == code
    assert err.where.key == key and err.where.file == "spec.toml"
    assert allowed in (err.hint_text() or ""), err.hint_text()


@pytest.mark.parametrize(
    "rule, key, allowed",
    [
        ("{ below = 3 }", "indicators.x.deprived_if.below", "le"),
        ("{ le = 3, ge = 1 }", "indicators.x.deprived_if", "one operator"),
        ("{ le = 'poor' }", "indicators.x.deprived_if.le", "eq/in"),
        ("{ in = [] }", "indicators.x.deprived_if.in", "non-empty"),
        ("3", "indicators.x.deprived_if", "operators"),
    ],
)
def test_bad_rules(rule, key, allowed):
    with pytest.raises(SpecError) as e:
        parse_spec(f'[indicators.x]\ncolumn = "x"\ndeprived_if = {rule}\n')
    assert e.value.code == "spec.bad_rule" and e.value.where.key == key
    assert allowed in (e.value.hint_text() or "") + e.value.text()


def test_indicator_errors():
    with pytest.raises(SpecError) as e:
        parse_spec('[indicators.x]\nlabel = "x"\n')
    assert e.value.code == "spec.missing_key" and e.value.where.key == "indicators.x"
    with pytest.raises(SpecError) as e:
        parse_spec('[indicators.x]\ninstrument = "fcs"\n')
    assert e.value.code == "spec.unknown_instrument"
    with pytest.raises(SpecError) as e:
        parse_spec('[instruments.fcs]\nitems = {}\n[indicators.x]\ninstrument = "fcs"\noutput = "band"\n')
    assert e.value.where.key == "indicators.x.output" and "class" in (e.value.hint_text() or "")
    with pytest.raises(SpecError) as e:
        parse_spec(MINIMAL.replace('two = ["b", "c"]', 'two = ["b", "z"]'))
    assert e.value.code == "spec.unknown_indicator"
    with pytest.raises(SpecError) as e:
        parse_spec(MINIMAL.replace('two = ["b", "c"]', 'two = ["b"]'))
    assert "in no dimension" in e.value.text()
    with pytest.raises(SpecError) as e:
        parse_spec("")
    assert e.value.code == "spec.no_indicators"


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(SpecError) as e:
        parse_spec("[indicators.a\ncolumn = ", file="bad.toml")
    assert e.value.code == "spec.toml"
    with pytest.raises(SpecError) as e:
        load_spec(tmp_path / "absent.toml")
    assert e.value.code == "spec.missing"
