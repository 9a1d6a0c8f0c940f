"""The organisation registry and the one organisation resolution every view uses (issue 11, item 2)."""

from __future__ import annotations

import csv
import io
from importlib import resources

import polars as pl
import pytest
from tests.conftest import shared_path

from kizuna.coordinate.load import load_ledger, org_ref_warnings
from kizuna.coordinate.model import activity_orgs, replaced_refs
from kizuna.reference.orgs import builtin_registry, ensure_registry, is_org_identifier, name_slug, norm_name
from kizuna.workspace import open_workspace

ALLIES = {
    "United States",
    "Japan",
    "UN",
    "European Union",
    "United Kingdom",
    "Multilaterals",
    "NGOs",
    "Other governments",
}


# --------------------------------------------------------------------------- the shipped registry


def test_every_registry_entry_has_an_ally_a_name_and_a_source_and_refs_are_unique():
    rows = builtin_registry()
    assert len(rows) >= 100
    refs = [r["ref"] for r in rows]
    assert len(refs) == len(set(refs))
    for r in rows:
        assert r["name"] and r["source"], r
        assert r["ally"] in ALLIES, r
    by_ref = {r["ref"]: r for r in rows}
    for r in rows:
        if r["same_as"]:  # a legacy ref points at a current entry, never at another legacy ref
            assert r["same_as"] in by_ref and not by_ref[r["same_as"]]["same_as"], r


@pytest.mark.parametrize(
    ("ref", "ally", "agency"),
    [
        ("US-GOV-1", "United States", "USAID"),
        ("US-GOV-11", "United States", "State"),
        ("US-GOV-7", "United States", "DoD"),
        ("US-GOV-13", "United States", "USADF"),
        ("US-GOV-14", "United States", "HHS"),
        ("XM-DAC-701-8", "Japan", "JICA"),
        ("XM-DAC-701-2", "Japan", "MOFA"),
        ("XM-DAC-41114", "UN", "UNDP"),
        ("XM-DAC-41140", "UN", "WFP"),
        ("GB-GOV-1", "United Kingdom", "FCDO"),
    ],
)
def test_the_alliance_publishers_are_in_the_registry(ref, ally, agency):
    row = {r["ref"]: r for r in builtin_registry()}[ref]
    assert (row["ally"], row["agency"]) == (ally, agency)


@pytest.mark.parametrize(
    ("ref", "ok"),
    [
        ("US-GOV-7", True),
        ("XM-DAC-701-8", True),
        ("GB-CHC-202918", True),
        ("XI-IATI-EC_ECHO", True),
        ("7", False),
        ("2", False),
        ("", False),
        (None, False),
        ("US-7", False),
        ("Department of Defense", False),
    ],
)
def test_organisation_identifiers_have_an_agency_prefix_and_a_number(ref, ok):
    assert is_org_identifier(ref) is ok


def test_a_legacy_ref_the_registry_lists_is_an_identifier():
    assert not is_org_identifier("44000")
    assert is_org_identifier("44000", {"44000"})


def test_names_match_across_width_case_and_punctuation_and_keep_japanese_letters():
    assert norm_name("ＪＩＣＡ (Japan)") == norm_name("jica japan")
    assert norm_name("独立行政法人国際協力機構") == "独立行政法人国際協力機構"
    # two organisations whose names are only Japanese stay two
    assert norm_name("日本国際ボランティアセンター") != norm_name("難民を助ける会")
    assert name_slug("日本国際ボランティアセンター") != name_slug("難民を助ける会")
    assert name_slug("日本国際ボランティアセンター")


def test_a_user_entry_wins_and_survives_a_new_shipped_registry(tmp_path):
    from kizuna.coordinate.allies import register_org

    with open_workspace(tmp_path / "w.duckdb") as ws:
        register_org(ws, "US-GOV-7", "Pentagon (local name)", "United States", agency="DoD")
        with ws.transaction() as con:  # as if the shipped file had changed
            con.execute("UPDATE reference_versions SET sha256 = 'old' WHERE name = 'organisations'")
            ensure_registry(con)
        rows = ws.query("SELECT name, origin FROM org_registry WHERE ref = 'US-GOV-7'")
        assert rows == [{"name": "Pentagon (local name)", "origin": "user"}]
        assert ws.scalar("SELECT count(*) FROM org_registry WHERE origin = 'builtin'") == len(builtin_registry()) - 1


def test_register_refuses_a_ref_that_is_not_an_identifier(tmp_path):
    from kizuna.coordinate.allies import register_org
    from kizuna.errors import InputError

    with open_workspace(tmp_path / "w.duckdb") as ws, pytest.raises(InputError) as e:
        register_org(ws, "7", "Department of Defense", "United States")
    assert e.value.code == "allies.bad_ref"


# --------------------------------------------------------------------------- resolution, hand-worked


def test_funder_refs_that_are_not_identifiers_resolve_by_registry_name_else_to_the_publisher(ws, builder):
    builder.activity("US-GOV-7|A", "US-GOV-7", orgs=[(1, "7", "Department of Defense", "10")])
    builder.activity("US-GOV-1|B", "US-GOV-1", orgs=[(1, "", "Some Office Nobody Registered", "10")])
    builder.activity("XM-DAC-701-2|C", "XM-DAC-701-2", orgs=[(1, "JP-8", "Japan International Cooperation Agency", "10")])
    builder.activity("US-GOV-1|D", "US-GOV-1", orgs=[(4, "", "Some Local NGO", "22")])
    lf = load_ledger(ws)
    funders = {r["activity_uid"]: r for r in activity_orgs(lf, "funding").to_dicts()}
    assert (funders["US-GOV-7|A"]["org_key"], funders["US-GOV-7|A"]["resolution"]) == ("US-GOV-7", "registry-name")
    assert funders["US-GOV-7|A"]["ally"] == "United States"
    assert (funders["US-GOV-1|B"]["org_key"], funders["US-GOV-1|B"]["resolution"]) == ("US-GOV-1", "publisher")
    # a legacy ref the registry knows is the organisation's current identifier
    assert (funders["XM-DAC-701-2|C"]["org_key"], funders["XM-DAC-701-2|C"]["ally"]) == ("XM-DAC-701-8", "Japan")
    implementers = {r["activity_uid"]: r for r in activity_orgs(lf, "implementing").to_dicts()}
    # an implementer known only by name stays itself: it is not its funder
    assert implementers["US-GOV-1|D"]["org_key"] == "name:some local ngo"


def test_one_name_per_identifier_whatever_the_activity_says(ws, builder):
    builder.activity("US-GOV-7|A", "US-GOV-7", publisher_name="Department of the Army")
    builder.activity("US-GOV-7|B", "US-GOV-7", publisher_name="Department of Defense")
    builder.activity("GB-CHC-1|C", "GB-CHC-1", publisher_name="Small Charity")
    builder.activity("GB-CHC-1|D", "GB-CHC-1", publisher_name="Small Charity")
    builder.activity("GB-CHC-1|E", "GB-CHC-1", publisher_name="Small charity (typo)")
    names = {r["activity_uid"]: r["org_name"] for r in activity_orgs(load_ledger(ws)).to_dicts()}
    registry_name = {r["ref"]: r["name"] for r in builtin_registry()}["US-GOV-7"]
    assert names["US-GOV-7|A"] == names["US-GOV-7|B"] == registry_name
    assert names["GB-CHC-1|C"] == names["GB-CHC-1|E"] == "Small Charity"  # the most frequent self-name
    view = {r["ref"]: r["name"] for r in ws.query("SELECT ref, name FROM org_names")}
    assert view["US-GOV-7"] == registry_name and view["GB-CHC-1"] == "Small Charity"


# --------------------------------------------------------------------------- the real files

@pytest.fixture(scope="module")
def real(real_iati_path):
    return real_iati_path


@pytest.mark.shared
def test_the_dod_money_is_the_united_states_in_overview_presence_division_and_the_report(real):
    from fastapi.testclient import TestClient

    from kizuna.coordinate.accountability import build_accountability
    from kizuna.coordinate.division import donor_money
    from kizuna.coordinate.presence import presence
    from kizuna.web.app import create_app

    with open_workspace(real, read_only=True) as ws:
        lf = load_ledger(ws)
        disbursed = ws.scalar("SELECT sum(usd) FROM flows WHERE counted AND type_code = '3' AND country = 'AF'")
    assert disbursed > 40e9  # the Department of Defense in Afghanistan

    def by_ally(df: pl.DataFrame, col: str) -> dict[str, float]:
        g = df.group_by("ally").agg(pl.col(col).sum())
        return {a: v for a, v in g.iter_rows() if v}

    pres = by_ally(presence(lf, by="ally", country="AF", admin_level="country"), "usd_disbursements")
    div = donor_money(lf, by="ally", role="funding").filter(pl.col("country") == "AF")
    div_allies = by_ally(div.rename({"donor": "ally"}), "usd")
    rep = build_accountability(lf, "AF")
    rep_allies = by_ally(rep.summary, "usd_disbursements")
    with TestClient(create_app(real), raise_server_exceptions=False) as c:
        web = c.get("/api/v1/presence?country=AF&limit=1000").json()["items"]
        shares = c.get("/api/v1/division-shares?country=AF&limit=1000").json()["items"]
    web_allies: dict[str, float] = {}
    for r in web:
        web_allies[r["ally"]] = web_allies.get(r["ally"], 0.0) + (r["usd_disbursements"] or 0.0)
    assert set(pres) == set(div_allies) == set(rep_allies) == {"United States"}
    assert {a for a, v in web_allies.items() if v} == {"United States"}
    assert {r["donor"] for r in shares} == {"United States"}
    assert pres["United States"] == pytest.approx(disbursed)
    assert rep_allies["United States"] == pytest.approx(disbursed)
    assert web_allies["United States"] == pytest.approx(disbursed)
    assert div_allies["United States"] == pytest.approx(disbursed)  # every DoD flow has a sector


@pytest.mark.shared
def test_every_us_agency_file_counts_under_the_united_states_in_every_role(real):
    with open_workspace(real, read_only=True) as ws:
        lf = load_ledger(ws)
    for role in ("reporting", "funding", "accountable", "extending"):
        o = activity_orgs(lf, role).filter(pl.col("activity_uid").str.starts_with("US-GOV-"))
        assert set(o.get_column("ally").unique()) == {"United States"}, role


@pytest.mark.shared
def test_funder_refs_that_are_not_identifiers_are_warned_with_their_money_share(real):
    with open_workspace(real, read_only=True) as ws:
        rep = replaced_refs(load_ledger(ws))
        lines = org_ref_warnings(ws)
    army = rep.filter((pl.col("publisher_ref") == "US-GOV-7") & (pl.col("ref") == "8")).row(0, named=True)
    assert army["org_key"] == "US-GOV-7" and army["activities"] == 36 and army["share"] > 0.9
    usda = rep.filter((pl.col("publisher_ref") == "US-GOV-1") & pl.col("ref").is_null()).row(0, named=True)
    assert usda["name"] == "U.S. Department of Agriculture" and usda["org_key"] == "US-GOV-2"
    assert usda["resolution"] == "registry-name"
    assert {w["code"] for w in lines} == {"org.ref_not_identifier"}
    assert any(w["file_name"] == "dod-afghanistan.xml" and "'8' (Department of the Army)" in w["message"] for w in lines)
    assert sum(rep.get_column("share").to_list()) <= 1.0


@pytest.mark.shared
def test_the_ministry_of_foreign_affairs_activity_counts_under_japan(tmp_path):
    from kizuna.ledger.ingest import ingest_paths

    with open_workspace(tmp_path / "covid.duckdb") as ws:
        ingest_paths(ws, [shared_path("iati-more", "dportal-covid-extract.xml")])
        lf = load_ledger(ws)
    mofa = "XM-DAC-701-2|XM-DAC-701-2-2020003078"
    reporting = activity_orgs(lf).filter(pl.col("activity_uid") == mofa).row(0, named=True)
    assert (reporting["org_key"], reporting["ally"]) == ("XM-DAC-701-2", "Japan")
    funding = activity_orgs(lf, "funding").filter(pl.col("activity_uid") == mofa).row(0, named=True)
    # its funder is written JP-8, JICA's legacy identifier
    assert (funding["org_key"], funding["ally"]) == ("XM-DAC-701-8", "Japan")


def test_registry_csv_is_valid_utf8_with_the_documented_columns():
    text = resources.files("kizuna.reference").joinpath("organisations.csv").read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    assert header == ["ref", "name", "name_ja", "ally", "agency", "org_type", "aliases", "same_as", "source"]
