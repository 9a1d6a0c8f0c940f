"""Presence (who does what where): money splits that keep totals, counts that include 3W rows."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.coordinate.load import load_ledger
from kizuna.coordinate.model import LedgerFrames
from kizuna.coordinate.presence import presence, shared_sectors
from kizuna.reference.orgs import builtin_registry

REGISTRY_NAME = {r["ref"]: r["name"] for r in builtin_registry()}

N1 = ("XZ01", "XZ01-01", 9.95, 29.75)
N2 = ("XZ01", "XZ01-02", 9.95, 29.05)
E1 = ("XZ02", "XZ02-01", 9.55, 31.75)


def _cell(df: pl.DataFrame, **key):
    out = df.filter(pl.all_horizontal([pl.col(k) == v for k, v in key.items()]))
    assert out.height == 1, (key, out)
    return out.row(0, named=True)


def test_money_is_split_equally_across_locations_and_totals_are_kept(ws, builder):
    # 300 disbursed over two admin1 areas: 150 each; 90 committed in one area: 90 there
    builder.activity(
        "A|1", "US-GOV-1", sectors=[("15220", 100)], locations=[N1, E1], flows=[("3", 2021, "15220", 300.0)]
    )
    builder.activity(
        "B|1", "XM-DAC-701-8", sectors=[("15220", 100)], locations=[N2], flows=[("2", 2021, "15220", 90.0)]
    )
    lf = load_ledger(ws)
    p = presence(lf, sector_level="dac3", admin_level="adm1")
    assert _cell(p, org_key="US-GOV-1", adm1="XZ01")["usd_disbursements"] == pytest.approx(150.0)
    assert _cell(p, org_key="US-GOV-1", adm1="XZ02")["usd_disbursements"] == pytest.approx(150.0)
    assert _cell(p, org_key="XM-DAC-701-8", adm1="XZ01")["usd_commitments"] == pytest.approx(90.0)
    assert p.get_column("usd_disbursements").sum() == pytest.approx(300.0)
    by_ally = presence(lf, by="ally", sector_level="dac3", admin_level="adm1")
    # both allies are in XZ01 x 152; the US in XZ02 only
    assert _cell(by_ally, ally="United States", adm1="XZ01")["n_activities"] == 1
    assert _cell(by_ally, ally="Japan", adm1="XZ01")["n_orgs"] == 1


def test_funding_role_splits_between_two_funders_and_falls_back_to_the_publisher(ws, builder):
    builder.activity(
        "I|1",
        "XZ-SYN-NGO-1",
        sectors=[("14031", 100)],
        locations=[N1],
        orgs=[(1, "US-GOV-1", "USAID", "10"), (1, "XM-DAC-701-2", "MOFA", "10"), (4, "XZ-SYN-NGO-1", "NGO", "21")],
        flows=[("4", 2022, "14031", 1000.0)],
    )
    builder.activity(
        "J|1", "XZ-SYN-NGO-2", sectors=[("14031", 100)], locations=[N1], flows=[("4", 2022, "14031", 10.0)]
    )
    p = presence(load_ledger(ws), by="ally", role="funding", sector_level="dac5", admin_level="country")
    # 1000 split 1/2 to the US and 1/2 to Japan; J names no funder, so its publisher (NGOs) counts
    assert _cell(p, ally="United States")["usd_expenditure"] == pytest.approx(500.0)
    assert _cell(p, ally="Japan")["usd_expenditure"] == pytest.approx(500.0)
    assert _cell(p, ally="NGOs")["usd_expenditure"] == pytest.approx(10.0)
    impl = presence(load_ledger(ws), by="ally", role="implementing", sector_level="dac5", admin_level="country")
    assert _cell(impl, ally="NGOs")["usd_expenditure"] == pytest.approx(1010.0)


def test_3w_rows_count_as_presence_in_their_cluster_without_money(ws, builder):
    builder.activity(
        "3W:some-ngo|3W-x",
        "3W:some-ngo",
        publisher_name="Some NGO",
        publisher_type=None,
        source="3w",
        sector_names=["WASH"],
        locations=[("XZ01", "XZ01-01", None, None)],
    )
    builder.activity("A|1", "US-GOV-1", sectors=[("14031", 100)], locations=[N1], flows=[("3", 2021, "14031", 5.0)])
    p = presence(load_ledger(ws), sector_level="cluster", admin_level="adm2")
    wash = p.filter(pl.col("sector") == "Water Sanitation Hygiene")
    assert sorted(wash.get_column("org_name").to_list()) == ["Some NGO", REGISTRY_NAME["US-GOV-1"]]
    assert _cell(wash, org_name="Some NGO")["n_activities"] == 1
    assert _cell(wash, org_name="Some NGO")["usd_disbursements"] == 0.0


def test_money_counted_at_its_funder_is_left_out_by_default(ws, builder):
    builder.activity("F|1", "US-GOV-1", sectors=[("15220", 100)], flows=[("3", 2021, "15220", 100.0)])
    builder.activity(
        "G|1", "XZ-SYN-NGO-1", sectors=[("15220", 100)], flows=[("1", 2021, "15220", 100.0)], counted=False
    )
    lf = load_ledger(ws)
    assert presence(lf, admin_level="country").get_column("usd_incoming").sum() == 0.0
    assert presence(lf, admin_level="country", counted_only=False).get_column("usd_incoming").sum() == 100.0


def test_periods_by_year_put_money_in_its_year_and_activities_in_each_year_they_run(ws, builder):
    builder.activity(
        "A|1",
        "US-GOV-1",
        start="2020-03-01",
        end="2022-02-01",
        sectors=[("15220", 100)],
        flows=[("3", 2020, "15220", 10.0), ("3", 2022, "15220", 30.0)],
    )
    p = presence(load_ledger(ws), admin_level="country", period="year")
    assert p.get_column("year").to_list() == [2020, 2021, 2022]
    assert p.get_column("usd_disbursements").to_list() == [10.0, 0.0, 30.0]
    assert p.get_column("n_activities").to_list() == [1, 1, 1]
    clipped = presence(load_ledger(ws), admin_level="country", period="year", year_from=2021, year_to=2021)
    assert clipped.get_column("year").to_list() == [2021] and clipped.get_column("usd_disbursements").sum() == 0


def test_shared_sectors_lists_cells_with_two_or_more_organisations(ws, builder):
    builder.activity("A|1", "US-GOV-11", sectors=[("43010", 100)], flows=[("3", 2021, "43010", 0.18e6)])
    builder.activity("B|1", "US-GOV-13", sectors=[("43040", 100)], flows=[("3", 2021, "43040", 2.29e6)])
    builder.activity("C|1", "US-GOV-14", sectors=[("13040", 100)], flows=[("3", 2021, "13040", 1.0e6)])
    s = shared_sectors(presence(load_ledger(ws), admin_level="country"))
    assert s.get_column("sector").to_list() == ["430"]
    row = s.row(0, named=True)
    assert row["n_orgs"] == 2 and row["orgs"].startswith(f"{REGISTRY_NAME['US-GOV-13']} (USD 2290000)")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.integers(0, 3),
            st.floats(0, 1e6, allow_nan=False),
            st.sampled_from(["2", "3", "4"]),
            st.integers(0, 2),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_presence_totals_equal_flow_totals_whatever_the_split(spec):
    """Property: for any activities, locations and funders, presence sums to the flows exactly."""
    acts, orgs, locs, flows = [], [], [], []
    for k, (n_locs, n_funders, usd, typ, sec) in enumerate(spec):
        uid = f"P|{k}"
        acts.append(
            {
                "activity_uid": uid,
                "publisher_ref": f"XZ-SYN-NGO-{k % 3}",
                "publisher_name": f"N{k % 3}",
                "publisher_type": "21",
            }
        )
        for f in range(n_funders):
            orgs.append({"activity_uid": uid, "role": 1, "org_ref": f"US-GOV-{f}", "org_name": None, "org_type": "10"})
        for i in range(n_locs):
            locs.append(
                {
                    "activity_uid": uid,
                    "adm1": f"XZ0{i + 1}",
                    "adm2": f"XZ0{i + 1}-01",
                    "lat": None,
                    "lon": None,
                    "country": "XZ",
                }
            )
        flows.append(
            {
                "activity_uid": uid,
                "seq": 1,
                "type_code": typ,
                "year": 2021,
                "country": "XZ",
                "sector": ["15220", "12220", "140"][sec],
                "usd": usd,
                "counted": True,
            }
        )
    lf = LedgerFrames(
        activities=pl.DataFrame(acts).with_columns(
            *[
                pl.lit(None, dtype=t).alias(c)
                for c, t in (
                    ("source", pl.String),
                    ("title", pl.String),
                    ("description", pl.String),
                    ("status_code", pl.String),
                    ("start_date", pl.Date),
                    ("end_date", pl.Date),
                    ("reached", pl.Int64),
                )
            ]
        ),
        orgs=pl.DataFrame(
            orgs,
            schema={
                "activity_uid": pl.String,
                "role": pl.Int64,
                "org_ref": pl.String,
                "org_name": pl.String,
                "org_type": pl.String,
            },
        ),
        locations=pl.DataFrame(
            locs,
            schema={
                "activity_uid": pl.String,
                "adm1": pl.String,
                "adm2": pl.String,
                "lat": pl.Float64,
                "lon": pl.Float64,
                "country": pl.String,
            },
        ),
        flows=pl.DataFrame(flows).with_columns(
            pl.lit(None, dtype=pl.Date).alias("date"), pl.col("sector").str.slice(0, 3).alias("sector3")
        ),
    )
    total = sum(f["usd"] for f in flows)
    for role in ("reporting", "funding"):
        for admin in ("country", "adm1", "adm2"):
            for by in ("org", "ally"):
                p = presence(lf, by=by, role=role, admin_level=admin, sector_level="dac5")
                got = sum(p.get_column(c).sum() for c in ("usd_commitments", "usd_disbursements", "usd_expenditure"))
                assert got == pytest.approx(total, rel=1e-9, abs=1e-6)
