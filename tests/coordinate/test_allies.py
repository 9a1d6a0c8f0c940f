"""Allies: prefix rules (longest wins), explicit mappings, name and type fallbacks, editing in the workspace."""

from __future__ import annotations

import polars as pl
import pytest

from kizuna.coordinate.allies import assign_allies, remove_rule, set_org_ally, set_rule
from kizuna.coordinate.load import load_ledger
from kizuna.coordinate.model import activity_orgs
from kizuna.errors import InputError

RULES = pl.DataFrame(
    {
        "prefix": ["XM-DAC-", "XM-DAC-701-", "US-GOV-", "XM-DAC-41"],
        "ally": ["Multilateral (generic)", "Japan", "United States", "UN"],
    }
)
NONE = pl.DataFrame(schema={"org_key": pl.String, "ally": pl.String})


def _ally(orgs: pl.DataFrame, overrides: pl.DataFrame = NONE) -> dict[str, tuple[str, str]]:
    out = assign_allies(orgs, RULES, overrides)
    return {r["org_key"]: (r["ally"], r["ally_source"]) for r in out.iter_rows(named=True)}


def test_longest_prefix_wins_and_type_then_other_are_fallbacks():
    orgs = pl.DataFrame(
        {
            "org_key": ["XM-DAC-701-8", "XM-DAC-41114", "XM-DAC-5", "US-GOV-1", "GB-CHC-1", "ZZ-1"],
            "org_type": ["10", "40", "40", "10", "21", None],
        }
    )
    got = _ally(orgs)
    assert got["XM-DAC-701-8"] == ("Japan", "rule:XM-DAC-701-")
    assert got["XM-DAC-41114"] == ("UN", "rule:XM-DAC-41")
    assert got["XM-DAC-5"] == ("Multilateral (generic)", "rule:XM-DAC-")
    assert got["US-GOV-1"] == ("United States", "rule:US-GOV-")
    assert got["GB-CHC-1"] == ("NGOs", "type")
    assert got["ZZ-1"] == ("Other", "none")


def test_explicit_mapping_overrides_rules_by_ref_or_by_name():
    orgs = pl.DataFrame({"org_key": ["US-GOV-7", "3W:kaltara-ngo"], "org_name": ["DoD", "Kaltara NGO"]})
    ov = pl.DataFrame({"org_key": ["US-GOV-7", "name:kaltara ngo"], "ally": ["US (defence)", "NGOs"]})
    got = _ally(orgs, ov)
    assert got["US-GOV-7"] == ("US (defence)", "org")
    assert got["3W:kaltara-ngo"] == ("NGOs", "org")


def test_the_default_rules_ship_in_the_migration_and_can_be_edited(ws, builder):
    builder.activity("A|1", "US-GOV-11", publisher_name="Department of State")
    builder.activity("B|1", "XM-DAC-701-8", publisher_name="JICA")
    builder.activity("C|1", "GB-GOV-1", publisher_name="FCDO")
    builder.activity("D|1", "3W:jica", publisher_name="JICA", publisher_type=None, source="3w")
    orgs = activity_orgs(load_ledger(ws))
    got = {r["activity_uid"]: (r["org_key"], r["ally"]) for r in orgs.iter_rows(named=True)}
    assert got["A|1"] == ("US-GOV-11", "United States") and got["B|1"] == ("XM-DAC-701-8", "Japan")
    assert got["C|1"] == ("GB-GOV-1", "United Kingdom")
    # a 3W row naming an identified organisation is that organisation
    assert got["D|1"] == ("XM-DAC-701-8", "Japan")
    set_rule(ws, "GB-GOV-", "Partners")
    set_org_ally(ws, "US-GOV-11", "State Department")
    got = {r["activity_uid"]: r["ally"] for r in activity_orgs(load_ledger(ws)).iter_rows(named=True)}
    assert got["C|1"] == "Partners" and got["A|1"] == "State Department"
    assert remove_rule(ws, "GB-GOV-") and not remove_rule(ws, "GB-GOV-")
    with pytest.raises(InputError) as e:
        set_rule(ws, "  ", "X")
    assert e.value.code == "allies.empty"


def test_cli_allies_set_list_and_unknown_rule(ws_path, capsys, cli_registered):
    from kizuna.cli import main
    from kizuna.workspace import open_workspace

    open_workspace(ws_path).close()
    assert main(["allies", "set", "name:Some NGO", "NGOs", "-w", str(ws_path)]) == 0
    assert main(["allies", "rule", "DE-1-", "Germany", "-w", str(ws_path)]) == 0
    capsys.readouterr()
    assert main(["allies", "list", "-w", str(ws_path), "-f", "csv"]) == 0
    out = capsys.readouterr().out
    assert "name:some ngo,NGOs" in out and "DE-1-,Germany,user" in out and "US-GOV-,United States,default" in out
    assert main(["allies", "unrule", "NOPE-", "-w", str(ws_path)]) == 2
    assert "allies.no_rule" in capsys.readouterr().err
