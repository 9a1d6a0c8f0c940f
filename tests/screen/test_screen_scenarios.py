"""Scenario tests drawn from real do-no-harm cases (geography fictional).

(a) a well 1 km from two villages of different groups, nobody consulted -> High, contested resource;
(b) a road that expropriates land and displaces 300 households -> at least Substantial, land rules;
(c) the well moved away from the boundary and both villages consulted -> the category drops;
(d) a counterpart flagged for abuses -> the legitimisation rule fires.
Plus duplication read from ledger rows in a workspace.
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import shapely

from kizuna.screen.context import Boundaries
from kizuna.screen.facts import Context
from kizuna.screen.proposal import proposal_from_dict
from kizuna.screen.register import screen_proposal
from kizuna.screen.rules import CATEGORIES
from kizuna.screen.store import load_ledger

AS_OF = date(2026, 11, 1)


def boundary_between() -> Boundaries:
    """A grazing line agreed between the two groups, running north-south half-way between the villages."""
    line = shapely.LineString([(30.009, 7.9), (30.009, 8.1)])
    return Boundaries(lines=[{"name": "grazing line", "geom": line}], divider=line)


def well(catalogue, lon: float, consultations=None, **extra):
    d = {
        "id": "W-1",
        "type": "well",
        "sites": [{"name": "borehole", "lat": 8.0, "lon": lon}],
        "budget_usd": 40000,
    }
    if consultations is not None:
        d["consultations"] = consultations
    d.update(extra)
    return proposal_from_dict(d, catalogue.project_types, "well.toml")


def test_a_well_between_two_groups_without_consultation_is_high(catalogue, two_communities):
    ctx = Context.build(communities=two_communities, boundaries=boundary_between())
    reg = screen_proposal(well(catalogue, 30.009, consultations=[]), ctx, catalogue, AS_OF)
    assert reg.category == "High"
    shared = reg.risk("RES-SHARED")
    assert shared is not None and shared.significance == "High"
    names = " ".join(shared.facts["communities_near"])
    assert "Amber Ford" in names and "Blue Hill" in names
    assert shared.facts["groups_near"] == ["Asari", "Belen"]
    # both villages are 0.009 deg * 111.195 km * cos(8 deg) = 0.991 km away
    assert reg.facts["nearest_community_km"] == round(0.009 * 111.19508 * 0.990268, 3)
    assert reg.risk("CONS-NONE") is not None
    assert reg.risk("RES-BOUNDARY") is not None and reg.facts["group_boundary_km"] < 0.01


def test_c_moving_the_well_and_consulting_both_lowers_the_category(catalogue, two_communities):
    ctx = Context.build(communities=two_communities, boundaries=boundary_between())
    before = screen_proposal(well(catalogue, 30.009, consultations=[]), ctx, catalogue, AS_OF)
    consulted = [
        {"community": "Amber Ford", "date": "2026-06-02", "women_included": True},
        {"community": "Blue Hill", "date": "2026-06-03", "women_included": True},
    ]
    after = screen_proposal(well(catalogue, 29.99, consultations=consulted), ctx, catalogue, AS_OF)
    assert CATEGORIES.index(after.category) < CATEGORIES.index(before.category)
    assert after.facts["consulted_share"] == 1.0
    # 0.019 deg of longitude at 8 N = 2.09 km from the line: beyond RES-BOUNDARY's 2 km
    assert after.facts["group_boundary_km"] > 2.0
    assert after.risk("RES-BOUNDARY") is None
    assert after.risk("CONS-NONE") is None and after.risk("CONS-PARTIAL") is None
    shared = after.risk("RES-SHARED")
    assert shared is not None and shared.likelihood < before.risk("RES-SHARED").likelihood


def test_b_road_expropriating_and_displacing_300_households(catalogue, two_communities):
    p = proposal_from_dict(
        {
            "id": "R-1",
            "type": "road",
            "sites": [{"name": "feeder road", "line": [[8.05, 30.0], [8.2, 30.15]]}],
            "land": {
                "acquisition": "expropriation",
                "households_displaced": 300,
                "compensation_before_possession": False,
            },
            "grievance_mechanism": False,
        },
        catalogue.project_types,
        "road.toml",
    )
    reg = screen_proposal(p, Context.build(communities=two_communities), catalogue, AS_OF)
    assert CATEGORIES.index(reg.category) >= CATEGORIES.index("Substantial")
    for rid in ("LAND-EXPROP", "LAND-RESETTLE", "LAND-EVICT"):
        assert reg.risk(rid) is not None, rid
    assert reg.risk("LAND-RESETTLE").facts["households_displaced"] == 300
    assert reg.risk("LAND-RESETTLE").impact == 5  # 300 households >= 200: impact raised to 5
    assert reg.facts["site_kind"] == "line" and reg.facts["line_km"] > 20


def test_d_counterpart_flagged_for_abuses_fires_legitimisation(catalogue):
    base = {
        "id": "PT-1",
        "type": "police training",
        "sites": [{"lat": 7.9, "lon": 28.3}],
        "safeguards": {"vetting": True, "human_rights_component": True},
    }
    clean = proposal_from_dict(
        {**base, "counterpart": {"name": "Synthetic Police Directorate", "role": "co_implementer"}},
        catalogue.project_types,
        "pt.toml",
    )
    flagged = proposal_from_dict(
        {
            **base,
            "counterpart": {
                "name": "Synthetic Police Directorate",
                "role": "co_implementer",
                "flags": ["abuses_documented"],
            },
        },
        catalogue.project_types,
        "pt.toml",
    )
    assert screen_proposal(clean, Context(), catalogue, AS_OF).risk("LEGIT-COUNTERPART") is None
    reg = screen_proposal(flagged, Context(), catalogue, AS_OF)
    risk = reg.risk("LEGIT-COUNTERPART")
    assert risk is not None and risk.facts["counterpart_abuses"] is True
    assert risk.impact == 5 and reg.category == "High"  # co-implementer: impact raised to 5


def test_events_near_the_site_fire_security_rules(catalogue, two_communities):
    ev = pl.DataFrame(
        {
            "source": ["acled"] * 4,
            "source_id": ["S1", "S2", "S3", "S4"],
            "date": [date(2026, 9, 1), date(2026, 8, 1), date(2024, 1, 1), date(2026, 10, 1)],
            "date_end": [None] * 4,
            "lat": [8.0, 8.1, 8.0, 8.0],
            "lon": [30.01, 30.1, 30.01, 30.3],
            "loc_precision": [1] * 4,
            "point_like": [True] * 4,
            "country": [None] * 4,
            "admin1": [None] * 4,
            "admin2": [None] * 4,
            "category": ["battle", "violence_against_civilians", "battle", "battle"],
            "sub_category": [None] * 4,
            "actor1": [None] * 4,
            "actor2": [None] * 4,
            "civilians_targeted": [False, True, False, False],
            "fatalities": [12, 3, 50, 1],
            "violence_type": [None] * 4,
        },
        schema_overrides={"date_end": pl.Date},
    )
    from kizuna.screen.events import EVENT_SCHEMA

    ev = ev.cast(EVENT_SCHEMA)  # type: ignore[arg-type]
    ctx = Context.build(communities=two_communities, events=ev)
    reg = screen_proposal(well(catalogue, 30.009, consultations=[]), ctx, catalogue, AS_OF)
    f = reg.facts
    # S1 0.1 km away (in the 5 km battle buffer); S2 15.6 km (in area only); S3 too old; S4 32 km (outside)
    assert (f["events_buffer_12m"], f["fatalities_buffer_12m"]) == (1, 12)
    assert (f["events_area_12m"], f["fatalities_area_12m"], f["civilian_events_area_12m"]) == (2, 15, 1)
    assert reg.risk("SEC-EVENTS").impact == 4  # 12 fatalities >= 10
    assert reg.risk("SEC-CIV") is not None


def test_duplication_reads_other_actors_in_the_same_sector_from_the_ledger(catalogue, ws, two_communities):
    con = ws.con
    acts = [
        ("A1", "Synthetic Water Org: boreholes", "XZ-SYN-1", "Synthetic Water Org", 8.02, 30.03, "14030"),
        ("A2", "Our partner's earlier well", "XZ-SYN-2", "Kaltara Water Trust", 8.0, 30.02, "14030"),
        ("A3", "Synthetic school", "XZ-SYN-3", "Synthetic Education Org", 8.0, 30.02, "11220"),
        ("A4", "Far water project", "XZ-SYN-4", "Synthetic Far Org", 8.5, 30.5, "14030"),
    ]
    for uid, title, ref, name, lat, lon, sector in acts:
        con.execute(
            "INSERT INTO activities (activity_uid, iati_identifier, source, import_id, title, publisher_ref,"
            " publisher_name) VALUES (?, ?, 'iati', 1, ?, ?, ?)",
            [uid, uid, title, ref, name],
        )
        con.execute("INSERT INTO locations (activity_uid, seq, lat, lon) VALUES (?, 1, ?, ?)", [uid, lat, lon])
        con.execute("INSERT INTO activity_sectors VALUES (?, '1', ?, 100, NULL)", [uid, sector])
        con.execute("INSERT INTO participating_orgs VALUES (?, 1, 4, ?, NULL, ?, NULL)", [uid, ref, name])
    ledger = load_ledger(ws)
    assert ledger is not None and set(ledger["sector3"]) == {"140", "112"}
    ctx = Context.build(communities=two_communities, ledger=ledger)
    p = well(catalogue, 30.009, consultations=[], partners=[{"name": "Kaltara Water Trust", "ref": "XZ-SYN-2"}])
    reg = screen_proposal(p, ctx, catalogue, AS_OF)
    # A1: water, 3.6 km away, another org -> counted; A2 is our partner; A3 education; A4 is 75 km away
    assert reg.facts["other_activities_near"] == 1
    dup = reg.risk("DUP-SECTOR")
    assert dup is not None and dup.facts["other_activities"][0].startswith("A1: Synthetic Water Org")
    assert dup.facts["other_orgs"] == ["Synthetic Water Org"]
    json.dumps(reg.to_dict(), default=str)  # the register is serialisable as stored


def test_unknown_answers_are_gaps_not_no(catalogue, two_communities):
    # consultations not given at all: CONS-NONE cannot be decided and is listed as a gap
    reg = screen_proposal(well(catalogue, 30.009), Context.build(communities=two_communities), catalogue, AS_OF)
    assert reg.risk("CONS-NONE") is None
    gap = next(g for g in reg.gaps if g.rule_id == "CONS-NONE")
    assert gap.unknown == ["consultations_n"]
