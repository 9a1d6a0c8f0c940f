"""The catalogue as data: coverage of the rule families, the safe condition language, overrides, matrix."""

from __future__ import annotations

import pytest

from kizuna.errors import SpecError
from kizuna.screen.expr import ExprError, parse
from kizuna.screen.rules import load_catalogue

REQUIRED_FAMILIES = {
    "contested_resources",
    "land_displacement",
    "legitimisation",
    "security",
    "exclusion_consultation",
    "gbv",
    "reprisals",
    "partner_impartiality",
    "duplication",
    "market_distortion",
}


def test_catalogue_has_at_least_20_rules_spanning_every_family(catalogue):
    assert len(catalogue.rules) >= 20
    assert {r.family for r in catalogue.rules} >= REQUIRED_FAMILIES
    for r in catalogue.rules:
        assert 1 <= r.impact <= 5 and 1 <= r.likelihood <= 5
        assert r.source and r.mitigation and r.question.endswith("?")
    ids = {r.id for r in catalogue.rules}
    assert {
        "LAND-EVICT",
        "LEGIT-COUNTERPART",
        "RES-SHARED",
        "REPRISAL-DATA",
        "GBV-INFLUX",
        "DUP-SECTOR",
        "MKT-CASH",
        "PART-SINGLE",
        "CONS-NONE",
        "SEC-EVENTS",
    } <= ids
    # every project type the issue names maps to its DAC 3-digit sector
    t = catalogue.project_types
    assert (t["well"]["dac3"], t["road"]["dac3"], t["school"]["dac3"], t["health_post"]["dac3"]) == (
        "140",
        "210",
        "110",
        "120",
    )
    assert (t["police_training"]["dac3"], t["ddr"]["dac3"], t["cash_transfer"]["dac3"]) == (
        "151",
        "152",
        "720",
    )


@pytest.mark.parametrize(
    "impact,likelihood,category",
    [
        (1, 4, "Low"),
        (2, 3, "Moderate"),
        (3, 3, "Moderate"),
        (2, 5, "Substantial"),
        (3, 4, "Substantial"),
        (5, 1, "Substantial"),
        (4, 4, "High"),
        (3, 5, "High"),
        (5, 3, "High"),
    ],
)
def test_matrix_bands_and_overrides(catalogue, impact, likelihood, category):
    # bands: 1-4 Low, 5-9 Moderate, 10-14 Substantial, 15-25 High; I=5 -> >= Substantial; I>=4 & L>=4 -> High
    assert catalogue.matrix.category(impact, likelihood) == category


def test_three_valued_logic():
    e = parse("a >= 2 and b")
    assert e.evaluate({"a": 3, "b": True}) is True
    assert e.evaluate({"a": 1, "b": None}) is False  # false and unknown = false
    assert e.evaluate({"a": 3, "b": None}) is None  # true and unknown = unknown
    assert parse("a or b").evaluate({"a": None, "b": True}) is True
    assert parse("not a").evaluate({"a": None}) is None
    assert parse("x in ['p', 'q']").evaluate({"x": "q"}) is True
    assert parse("1 < x <= 3").evaluate({"x": 3}) is True
    assert parse("x / y > 1").evaluate({"x": 1, "y": 0}) is None


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "x.__class__",
        "x[0]",
        "(lambda: 1)()",
        "[i for i in x]",
        "open('f')",
        "x if y else z",
        "f'{x}'",
    ],
)
def test_the_condition_language_refuses_code(text):
    with pytest.raises(ExprError):
        parse(text)


def test_user_catalogue_overrides_rescores_adds_and_disables(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text(
        """
[buffers_km]
battle = 10.0
[[rules]]
id = "DUP-SECTOR"
impact = 3
[[rules]]
id = "SEC-TREND"
disabled = true
[[rules]]
id = "MY-RULE"
family = "security"
question = "Is the budget large?"
when = "budget_usd > 1000000"
impact = 2
likelihood = 2
source = "our policy"
mitigation = "phase it"
""",
        encoding="utf-8",
    )
    cat = load_catalogue(p)
    rules = {r.id: r for r in cat.rules}
    assert rules["DUP-SECTOR"].impact == 3 and rules["DUP-SECTOR"].likelihood == 3
    assert "SEC-TREND" not in rules and "MY-RULE" in rules
    assert cat.buffers_km["battle"] == 10.0 and cat.buffers_km["riot"] == 2.0
    assert cat.sha256 != load_catalogue().sha256


@pytest.mark.parametrize(
    "body,code,fld",
    [
        ('when = "no_such_fact > 1"', "screen.bad_trigger", "when"),
        ("when = \"__import__('os')\"", "screen.bad_trigger", "when"),
        ('when = "budget_usd > 1"\nimpact = 7', "screen.bad_rule", "impact"),
    ],
)
def test_bad_user_rules_are_spec_errors(tmp_path, body, code, fld):
    base = {"when": 'when = "budget_usd > 1"', "impact": "impact = 2"}
    text = '[[rules]]\nid = "X"\nquestion = "q?"\nfamily = "security"\nlikelihood = 2\nsource = "s"\nmitigation = "m"\n' + body + "\n"
    if "impact" not in body:
        text += base["impact"] + "\n"
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as e:
        load_catalogue(p)
    assert e.value.code == code and e.value.where.field == fld and e.value.where.key == "X"
