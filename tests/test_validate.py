"""kizuna.validate, the one home of value checks (issue 13): the rule (400 unknown, 404 absent, held values
in the hint, blanks are no filter) and the CLI agreeing with the API on the same value."""

from __future__ import annotations

import pytest

from kizuna import validate
from kizuna.errors import InputError


@pytest.mark.parametrize("top", [0, -1, -100])
def test_a_top_that_keeps_no_row_is_an_error(top):
    with pytest.raises(InputError) as e:
        validate.check_top(top)
    assert e.value.code == "cli.bad_top" and e.value.where.field == "--top"


@pytest.mark.parametrize("top", [None, 1, 10])
def test_a_top_of_one_or_more_passes(top):
    assert validate.check_top(top) is None


def test_a_period_that_ends_before_it_starts_is_an_error():
    with pytest.raises(InputError) as e:
        validate.check_period(2025, 2020)
    assert e.value.code == "cli.bad_period"
    validate.check_period(2020, 2020)
    validate.check_period(None, 2020)


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_blank_is_no_filter(blank):
    assert validate.check_value("ally", blank, []) is None
    assert validate.check_sector(blank, []) is None
    assert validate.check_register(blank, []) is None


def test_a_held_value_is_returned_trimmed():
    assert validate.check_value("ally", " Japan ", ["Japan", "United States"]) == "Japan"
    assert validate.check_register("2", [1, 2]) == 2


@pytest.mark.parametrize(
    ("value", "code", "status"),
    [("abc", "register.unknown", 400), ("-1", "register.unknown", 400), ("9", "register.absent", 404)],
)
def test_a_register_not_held_is_unknown_or_absent_with_the_held_ones_in_the_hint(value, code, status):
    with pytest.raises(InputError) as e:
        validate.check_register(value, [1, 2, 10])
    assert (e.value.code, e.value.status, e.value.where.field) == (code, status, "register")
    assert e.value.hint_text() == "values this workspace holds: 1, 10, 2"


def test_a_hint_names_the_first_values_and_counts_the_rest():
    held = [f"P{n:02d}" for n in range(30)]
    with pytest.raises(InputError) as e:
        validate.check_value("publisher", "NOBODY", held)
    assert e.value.code == "publisher.absent"
    assert e.value.hint_text() == "values this workspace holds: " + ", ".join(held[:12]) + " and 18 more"


def test_nothing_held_says_what_to_run():
    with pytest.raises(InputError) as e:
        validate.check_value("group", "sex", [])
    assert "kizuna measure" in e.value.hint_text()


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("152", True), ("15220", True), ("1", True), ("15", True), ("15299", False), ("999", False), ("Health", True)],
)
def test_a_sector_is_a_prefix_of_a_held_code_or_a_held_name(value, accepted):
    codes, names = ["15220", "14030"], ["Health"]
    if accepted:
        assert validate.check_sector(value, codes, names) == value
    else:
        with pytest.raises(InputError) as e:
            validate.check_sector(value, codes, names)
        assert e.value.code == "sector.absent" and e.value.status == 404
        assert e.value.hint_text() == "values this workspace holds: Health, 140, 152"


@pytest.mark.parametrize("value", ["abc", "Healthcare", "1522O", "152203"])
def test_a_sector_of_the_wrong_kind_is_unknown(value):
    with pytest.raises(InputError) as e:
        validate.check_sector(value, ["15220"], ["Health"])
    assert e.value.code == "sector.unknown" and e.value.status == 400


def test_an_id_list_names_the_first_missing_id():
    assert validate.check_ids("activity", "a, b", {"a", "b", "c"}, ["a", "b"]) == ["a", "b"]
    with pytest.raises(InputError) as e:
        validate.check_ids("activity", "a,zz", {"a"}, ["a"])
    assert e.value.code == "activity.absent" and e.value.params["value"] == "zz"


def test_the_cli_and_the_api_give_the_same_code_for_a_sector_of_the_wrong_kind(tmp_path, capsys):
    from kizuna.cli import main
    from kizuna.workspace import open_workspace

    ws = tmp_path / "w.duckdb"
    open_workspace(ws).close()
    assert main(["activities", "--sector", "abc", "-w", str(ws)]) == 2
    assert capsys.readouterr().err.startswith("error[sector.unknown]: field 'sector':")
