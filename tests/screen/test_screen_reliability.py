"""Issue 13, screening: a failed run stores nothing, --no-store writes nothing, every field of the
proposal format is read by a rule (or documented as informational), and each gap the issue found has
a small proposal that shows it closed. Geography and names are fictional."""

from __future__ import annotations

import csv
import json
import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from kizuna.cli import main
from kizuna.errors import InputError, SpecError
from kizuna.screen.facts import Context
from kizuna.screen.proposal import KEY_ALIASES, SAFEGUARDS, SUB_KEYS, TOP_KEYS, proposal_from_dict, read_proposals
from kizuna.screen.register import screen_proposal
from kizuna.screen.rules import load_catalogue
from kizuna.screen.run import screen_files
from kizuna.screen.schema import FIELDS, unpublished_fields, unread_fields, unread_values
from kizuna.workspace import open_workspace

AS_OF = date(2026, 11, 1)
ROOT = Path(__file__).resolve().parents[2]

WELL = """id = "{id}"
title = "Borehole (synthetic)"
type = "well"
grievance_mechanism = true
[[sites]]
name = "borehole"
lat = 8.0
lon = {lon}
"""

COMMUNITIES = "name,lat,lon,population,group\nAmber Ford,8.0,30.0,1200,Asari\nBlue Hill,8.0,30.018,900,Belen\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _registers(ws_path: Path) -> int:
    with open_workspace(ws_path, read_only=True) as ws:
        return int(ws.query("SELECT count(*) AS n FROM screen_registers")[0]["n"])


def _dict(catalogue, **d):
    base = {"id": "P-1", "type": "well", "sites": [{"name": "s", "lat": 8.0, "lon": 30.009}]}
    base.update(d)
    return proposal_from_dict(base, catalogue.project_types, "p.toml")


# --- a failed command stores nothing; --no-store creates no file ---------------------------------


def test_screen_a_good_and_a_bad_file_stores_nothing_and_writes_no_report(tmp_path, capsys):
    ws_path = tmp_path / "w.duckdb"
    first = _write(tmp_path / "first.toml", WELL.format(id="P-0", lon=30.0))
    assert (
        main(["screen", str(first), "-w", str(ws_path), "--out-dir", str(tmp_path / "r0"), "--as-of", "2026-11-01"])
        == 0
    )
    before = _registers(ws_path)
    assert before == 1
    a = _write(tmp_path / "a.toml", WELL.format(id="P-A", lon=30.5))
    b = _write(tmp_path / "b.toml", WELL.format(id="P-B", lon=30.5).replace('type = "well"', 'type = "wel"'))
    out = tmp_path / "reports"
    rc = main(["screen", str(a), str(b), "-w", str(ws_path), "--out-dir", str(out), "--as-of", "2026-11-01"])
    assert rc == 2
    assert "screen.unknown_project_type" in capsys.readouterr().err
    assert _registers(ws_path) == before  # a.toml's register is not stored either
    assert not out.exists()


def test_a_run_that_fails_on_a_refused_site_in_a_later_file_stores_nothing(tmp_path):
    """Screening (not only reading) happens before storing: a swap caught against the communities layer
    in the second file leaves the first file's register unstored."""
    com = _write(tmp_path / "c.csv", COMMUNITIES)
    a = _write(tmp_path / "a.toml", WELL.format(id="P-A", lon=30.009))
    b = _write(
        tmp_path / "b.toml",
        WELL.format(id="P-B", lon=30.009).replace("lat = 8.0\nlon = 30.009", "lat = 30.009\nlon = 8.0"),
    )
    with open_workspace(tmp_path / "w.duckdb") as ws:
        with pytest.raises(InputError) as e:
            screen_files([a, b], as_of=AS_OF, communities=com, ws=ws)
        assert e.value.code == "screen.latlon_swapped"
        assert ws.query("SELECT count(*) AS n FROM screen_registers")[0]["n"] == 0
        assert ws.query("SELECT count(*) AS n FROM imports WHERE kind = 'screen'")[0]["n"] == 0


def test_no_store_creates_no_file(tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    p = _write(work / "p.toml", WELL.format(id="P-1", lon=30.0))
    monkeypatch.chdir(work)
    monkeypatch.delenv("KIZUNA_WORKSPACE", raising=False)
    assert main(["screen", "p.toml", "--no-store", "--as-of", "2026-11-01"]) == 0
    assert "P-1" in capsys.readouterr().out
    assert sorted(os.listdir(work)) == ["p.toml"]  # no kizuna.duckdb, no screen-reports/
    assert main(["screen", str(p), "--no-store", "-w", str(tmp_path / "w.duckdb"), "--as-of", "2026-11-01"]) == 0
    assert not (tmp_path / "w.duckdb").exists()
    assert sorted(os.listdir(work)) == ["p.toml"]


def test_no_store_reads_an_existing_workspace_without_writing_it(tmp_path):
    ws_path = tmp_path / "w.duckdb"
    p = _write(tmp_path / "p.toml", WELL.format(id="P-1", lon=30.0))
    assert main(["screen", str(p), "-w", str(ws_path), "--out-dir", str(tmp_path / "r"), "--as-of", "2026-11-01"]) == 0
    q = _write(tmp_path / "q.toml", WELL.format(id="P-2", lon=30.0))
    assert main(["screen", str(q), "--no-store", "-w", str(ws_path), "--as-of", "2026-11-01"]) == 0
    assert _registers(ws_path) == 1


# --- input checks -------------------------------------------------------------------------------


def test_duplicate_proposal_ids_across_files_are_refused(tmp_path):
    a = _write(tmp_path / "a.toml", WELL.format(id="P-1", lon=30.0))
    b = _write(tmp_path / "b.toml", WELL.format(id="P-1", lon=30.5))
    with open_workspace(tmp_path / "w.duckdb") as ws:
        with pytest.raises(InputError) as e:
            screen_files([a, b], as_of=AS_OF, ws=ws)
        assert e.value.code == "screen.duplicate_id"
        assert e.value.where.file == str(b) and "a.toml" in str(e.value)
        assert ws.query("SELECT count(*) AS n FROM screen_registers")[0]["n"] == 0


def test_a_misspelt_csv_column_is_an_error_naming_the_close_match(tmp_path, catalogue):
    p = _write(
        tmp_path / "batch.csv",
        "id,type,lat,lon,grievence_mechanism\nP-1,well,8.0,30.0,no\n",
    )
    with pytest.raises(InputError) as e:
        read_proposals(p, catalogue.project_types)
    assert e.value.code == "screen.unknown_column"
    assert e.value.where.field == "grievence_mechanism" and e.value.where.line == 1
    assert e.value.params["close"] == "grievance_mechanism"


def test_the_csv_batch_reads_the_new_columns(tmp_path, catalogue):
    p = _write(
        tmp_path / "batch.csv",
        "id,type,lat,lon,country,admin1,land_acquisition,households_displaced,resettlement_plan,"
        "data_protection_plan\nP-1,road,8.0,30.0,Kaltara,Riverlands,expropriation,120,no,no\n",
    )
    (prop,) = read_proposals(p, catalogue.project_types)
    assert (prop.country, prop.sites[0].admin1, prop.resettlement_plan) == ("Kaltara", "Riverlands", False)
    assert prop.safeguards["data_protection_plan"] is False


def test_a_rule_with_an_unknown_family_is_refused(tmp_path):
    p = _write(
        tmp_path / "mine.toml",
        '[[rules]]\nid = "X"\nfamily = "securty"\nquestion = "q?"\nwhen = "budget_usd > 1"\n'
        'impact = 2\nlikelihood = 2\nsource = "s"\nmitigation = "m"\n',
    )
    with pytest.raises(SpecError) as e:
        load_catalogue(p)
    assert e.value.code == "screen.bad_rule" and e.value.where.field == "family" and e.value.where.key == "X"


# --- the schema walked against the catalogue ----------------------------------------------------


def test_every_field_of_the_proposal_format_is_read_by_a_rule_or_informational(catalogue):
    assert unread_fields(catalogue) == []
    assert unread_values(catalogue) == []


def test_the_schema_lists_every_key_the_reader_accepts():
    listed = {f.path for f in FIELDS}
    accepted = {KEY_ALIASES.get(k, k) for k in TOP_KEYS if k not in SUB_KEYS and k != "safeguards"}
    for part, keys in SUB_KEYS.items():
        sep = "[]." if part in ("sites", "consultations", "partners") else "."
        accepted |= {f"{part}{sep}{k}" for k in keys}
    accepted |= {f"safeguards.{k}" for k in SAFEGUARDS}
    assert accepted == listed


def test_the_schema_check_fails_on_a_field_nobody_reads(tmp_path):
    """Disabling the rules that read a field makes the walk report it: the test above can fail."""
    mine = _write(
        tmp_path / "mine.toml",
        '[[rules]]\nid = "DATA-PROTECT"\ndisabled = true\n\n[[rules]]\nid = "TGT-AUTHORITY"\ndisabled = true\n',
    )
    cat = load_catalogue(mine)
    assert unread_fields(cat) == ["safeguards.data_protection_plan"]
    assert unread_values(cat) == ["counterpart.role = 'beneficiary_selection'"]


def test_the_proposal_docs_list_every_field_and_what_is_published():
    doc = (ROOT / "docs" / "screening-proposal.md").read_text(encoding="utf-8")
    for f in FIELDS:
        assert f"`{f.path}`" in doc, f.path
    assert unpublished_fields() == ["consultations[].community", "beneficiaries.criteria"]


# --- rules on small proposals -------------------------------------------------------------------


def test_data_shared_with_security_services_without_a_plan_is_high(catalogue):
    ddr = _dict(
        catalogue,
        type="ddr",
        safeguards={
            "participant_data_shared": True,
            "data_protection_plan": False,
            "vetting": True,
            "human_rights_component": True,
        },
    )
    reg = screen_proposal(ddr, Context(), catalogue, AS_OF)
    risk = reg.risk("DATA-PROTECT")
    assert risk is not None and (risk.impact, risk.likelihood, risk.significance) == (5, 4, "High")
    assert "ICRC" in risk.source
    with_plan = _dict(catalogue, type="ddr", safeguards={"participant_data_shared": True, "data_protection_plan": True})
    assert screen_proposal(with_plan, Context(), catalogue, AS_OF).risk("DATA-PROTECT") is None


def test_beneficiary_selection_by_one_authority_is_read(catalogue, two_communities):
    p = _dict(
        catalogue,
        type="food distribution",
        counterpart={"name": "District Commissioner (synthetic)", "role": "beneficiary_selection"},
    )
    reg = screen_proposal(p, Context.build(communities=two_communities), catalogue, AS_OF)
    risk = reg.risk("TGT-AUTHORITY")
    assert risk is not None
    assert risk.likelihood == 4  # two groups live within the service radius
    other = _dict(catalogue, type="food distribution", counterpart={"name": "x", "role": "approval"})
    assert screen_proposal(other, Context(), catalogue, AS_OF).risk("TGT-AUTHORITY") is None


def test_expropriation_displacing_120_households_without_a_plan(catalogue):
    p = _dict(
        catalogue,
        type="road",
        land={"acquisition": "expropriation", "households_displaced": 120, "resettlement_plan": False},
    )
    reg = screen_proposal(p, Context(), catalogue, AS_OF)
    assert reg.facts["people_displaced"] == 600 and reg.facts["people_displaced_estimated"] is True
    no_plan = reg.risk("LAND-NO-PLAN")
    assert no_plan is not None and no_plan.impact == 5 and no_plan.significance == "High"
    assert "JICA" in no_plan.source and "ESS5" in no_plan.source
    # the plan's answer unknown: an information gap, not "no plan"
    unknown = screen_proposal(
        _dict(catalogue, type="road", land={"acquisition": "expropriation", "households_displaced": 120}),
        Context(),
        catalogue,
        AS_OF,
    )
    assert unknown.risk("LAND-NO-PLAN") is None
    assert any(g.rule_id == "LAND-NO-PLAN" and g.unknown == ["resettlement_plan"] for g in unknown.gaps)


def test_the_resettlement_threshold_counts_people_not_households(catalogue):
    def impact(**land):
        reg = screen_proposal(_dict(catalogue, type="road", land=land), Context(), catalogue, AS_OF)
        return reg.risk("LAND-RESETTLE").impact

    # 39 households x 5 = 195 people: below OP 4.12's 200 people; 40 households = 200 people
    assert impact(households_displaced=39, resettlement_plan=True) == 3
    assert impact(households_displaced=40, resettlement_plan=True) == 4
    # a head count given wins over the estimate
    assert impact(households_displaced=40, people_displaced=150, resettlement_plan=True) == 3
    source = load_catalogue().rules[[r.id for r in load_catalogue().rules].index("LAND-RESETTLE")].source
    assert "200 or more people" in source and "replaced by ESS5" in source and "households" not in source


def test_a_communities_layer_that_does_not_cover_the_site_is_a_gap_not_a_risk(catalogue, two_communities):
    # 1.9 degrees of latitude north of the villages: about 211 km from the nearest one
    p = _dict(catalogue, sites=[{"name": "far", "lat": 9.9, "lon": 30.0}])
    reg = screen_proposal(p, Context.build(communities=two_communities), catalogue, AS_OF)
    assert reg.risk("GBV-WATER") is None and reg.risk("RES-SHARED") is None
    assert reg.facts["communities_cover_site"] is False
    assert 200 < reg.facts["nearest_layer_community_km"] < 220
    gaps = {g.rule_id: g.unknown for g in reg.gaps}
    assert gaps["GBV-WATER"] == ["nearest_community_km"]
    assert "n_groups_near" in gaps["RES-SHARED"]
    # the same well 5 km from the villages is covered, and the walk to water is a risk
    near = screen_proposal(
        _dict(catalogue, sites=[{"name": "near", "lat": 8.045, "lon": 30.0}]),
        Context.build(communities=two_communities),
        catalogue,
        AS_OF,
    )
    assert near.facts["communities_cover_site"] is True and near.risk("GBV-WATER") is not None


def test_unanswered_questions_keep_a_proposal_from_a_clean_low(catalogue):
    p = _dict(catalogue, type="school")  # almost nothing answered, no layers
    reg = screen_proposal(p, Context(), catalogue, AS_OF)
    assert reg.category == "Low" and not reg.risks
    n = len(reg.gaps)
    assert n >= 5 and not reg.complete
    assert f"Information gaps: {n} questions unanswered; assessment incomplete" in reg.next_steps
    assert "No further assessment" not in reg.next_steps
    assert reg.status == "Low (assessment incomplete)"
    from kizuna.screen.register import summary_rows

    assert f"{n} questions unanswered" in summary_rows([reg])[0]["why"]
    assert reg.to_dict()["complete"] is False


# --- events: several files, imprecise locations -------------------------------------------------


ACLED_COLS = [
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "country",
    "admin1",
    "admin2",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
    "civilian_targeting",
]
GED_COLS = [
    "id",
    "type_of_violence",
    "latitude",
    "longitude",
    "date_start",
    "date_end",
    "where_prec",
    "best",
    "country",
    "adm_1",
    "adm_2",
]


def _csv(path: Path, cols: list[str], rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})
    return path


def _acled(i, lat, lon, prec, admin1="Riverlands"):
    return {
        "event_id_cnty": f"XZ{i}",
        "event_date": "2026-09-01",
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "country": "Kaltara",
        "admin1": admin1,
        "latitude": lat,
        "longitude": lon,
        "geo_precision": prec,
        "fatalities": 2,
    }


def test_events_from_ucdp_and_acled_in_one_run_are_not_double_counted(tmp_path):
    ged = _csv(
        tmp_path / "ged.csv",
        GED_COLS,
        [
            {
                "id": "1",
                "type_of_violence": "1",
                "latitude": 8.0,
                "longitude": 30.01,
                "date_start": "2026-09-01",
                "date_end": "2026-09-01",
                "where_prec": 1,
                "best": 3,
                "country": "Kaltara",
            },
        ],
    )
    acled = _csv(tmp_path / "acled.csv", ACLED_COLS, [_acled(1, 8.0, 30.01, 1), _acled(2, 8.0, 30.02, 1)])
    p = _write(tmp_path / "p.toml", WELL.format(id="P-1", lon=30.009))
    out = tmp_path / "r"
    rc = main(
        [
            "screen",
            str(p),
            "--events",
            str(ged),
            "--events",
            str(acled),
            "--no-store",
            "--out-dir",
            str(out),
            "--as-of",
            "2026-11-01",
        ]
    )
    assert rc == 0
    (reg,) = json.loads((out / "register.json").read_text(encoding="utf-8"))
    # the GED event is ACLED's first one: 2 events, the larger of the sources' counts (1 and 2), not 3
    assert reg["facts"]["events_buffer_12m"] == 2
    assert reg["layers"]["events"]["layout"] == "ucdp_ged" and reg["layers"]["events_2"]["layout"] == "acled"


def test_an_imprecise_event_counts_in_its_area_never_as_a_distance(tmp_path, catalogue):
    # an ACLED event located only to Riverlands (geo_precision 3), its centroid 0.25 km from the site
    acled = _csv(
        tmp_path / "acled.csv",
        ACLED_COLS,
        [_acled(1, 8.0, 30.0113, 3), _acled(2, 6.0, 28.0, 3, admin1="Southfen"), _acled(3, 8.5, 30.0, 1)],
    )
    base = WELL.format(id="P-1", lon=30.009)
    told = _write(
        tmp_path / "told.toml", base.replace("[[sites]]", 'country = "Kaltara"\n[[sites]]') + 'admin1 = "Riverlands"\n'
    )
    untold = _write(tmp_path / "untold.toml", base.replace('"P-1"', '"P-2"'))
    run = screen_files([told, untold], as_of=AS_OF, events=[acled], catalogue=None)
    a, b = run.registers
    assert a.facts["events_buffer_12m"] == 0 and a.facts["nearest_event_km"] is None  # not "within 2 km"
    assert a.facts["events_admin1_12m"] == 1 and a.facts["events_imprecise_12m"] == 2
    assert a.risk("SEC-ADMIN") is not None
    # the proposal does not say which province it is in: unknown, an information gap
    assert b.facts["events_admin1_12m"] is None
    assert any(g.rule_id == "SEC-ADMIN" for g in b.gaps)
    # the register reports the events by precision
    assert a.layers["events"]["by_precision"] == {"point": 1, "admin2": 0, "admin1": 2, "country": 0, "none": 0}


def test_ged_admin2_and_country_level_events_match_their_own_area(tmp_path, catalogue):
    rows = [
        {
            "id": "1",
            "type_of_violence": "2",
            "latitude": 8.0,
            "longitude": 30.01,
            "date_start": "2026-08-01",
            "where_prec": 3,
            "best": 0,
            "country": "Kaltara",
            "adm_1": "Riverlands",
            "adm_2": "Amber District",
        },
        {
            "id": "2",
            "type_of_violence": "1",
            "latitude": 8.0,
            "longitude": 30.01,
            "date_start": "2026-08-01",
            "where_prec": 6,
            "best": 1,
            "country": "Kaltara",
        },
        {
            "id": "3",
            "type_of_violence": "1",
            "latitude": 8.0,
            "longitude": 30.01,
            "date_start": "2026-08-01",
            "where_prec": 3,
            "best": 1,
            "country": "Kaltara",
            "adm_1": "Riverlands",
            "adm_2": "Other District",
        },
    ]
    for r in rows:
        r["date_end"] = r["date_start"]
    ged = _csv(tmp_path / "ged.csv", GED_COLS, rows)
    p = _dict(
        catalogue,
        country="KALTARA",
        sites=[{"name": "s", "lat": 8.0, "lon": 30.009, "admin1": "Riverlands", "admin2": "amber district"}],
    )
    from kizuna.screen.events import read_events

    reg = screen_proposal(p, Context.build(events=read_events(ged, point_only=False).events), catalogue, AS_OF)
    assert (reg.facts["events_admin2_12m"], reg.facts["events_country_12m"]) == (1, 1)
    assert reg.facts["events_area_12m"] == 0  # none of them is placed at a point


# --- personal data: consultation text is not published ------------------------------------------


FAKE = "Informant Jane Q. Example, phone 555-0142"


def test_an_informant_name_in_a_consultation_is_not_served(tmp_path):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    com = _write(tmp_path / "communities.csv", COMMUNITIES)
    text = WELL.format(id="P-1", lon=30.009) + (
        f'[[consultations]]\ncommunity = "Amber Ford"\nwomen_included = true\n'
        f'[[consultations]]\ncommunity = "{FAKE}"\nwomen_included = true\n'
        '[beneficiaries]\ncriteria = "households listed by Jane Q. Example"\n'
    )
    p = _write(tmp_path / "p.toml", text)
    ws_path = tmp_path / "w.duckdb"
    out = tmp_path / "reports"
    assert (
        main(
            [
                "screen",
                str(p),
                "--communities",
                str(com),
                "-w",
                str(ws_path),
                "--out-dir",
                str(out),
                "--as-of",
                "2026-11-01",
            ]
        )
        == 0
    )
    # not in the stored register either, nor in the reports written
    with open_workspace(ws_path, read_only=True) as ws:
        stored = json.dumps(ws.query("SELECT * FROM screen_registers"), default=str)
        stored += json.dumps(ws.query("SELECT * FROM screen_risks"), default=str)
        stored += json.dumps(ws.query("SELECT * FROM screen_gaps"), default=str)
    assert "Blue Hill" in stored  # the layer's community left out is reported
    for text_out in (stored, *(f.read_text(encoding="utf-8", errors="ignore") for f in out.iterdir())):
        assert "Jane" not in text_out and "555-0142" not in text_out
    app = create_app(ws_path)
    try:
        with TestClient(app) as client:
            bodies = [client.get("/screening").text, client.get("/screening?lang=ja").text]
            for name in (
                "screening-registers",
                "screening-risks",
                "screening-gaps",
                "screening-site",
                "screening-communities",
                "screening-events",
            ):
                r = client.get(f"/api/v1/{name}")
                assert r.status_code == 200, name
                bodies.append(r.text)
            risks = client.get("/api/v1/screening-risks").json()["items"]
    finally:
        app.state.store.close()
    assert any(r["rule_id"] == "CONS-PARTIAL" for r in risks)
    # the register has unanswered questions: the page does not show a clean category
    assert "(assessment incomplete)" in bodies[0] and "評価未完了" in bodies[1]
    for body in bodies:
        assert "Jane" not in body and "555-0142" not in body


def test_a_register_stored_with_consultation_text_is_served_without_it(tmp_path):
    """Registers stored before this change kept consulted communities as typed: the API drops them."""
    from kizuna.web.queries import register_risks

    p = _write(tmp_path / "p.toml", "consultations = []\n" + WELL.format(id="P-1", lon=30.009))
    with open_workspace(tmp_path / "w.duckdb") as ws:
        screen_files([p], as_of=AS_OF, ws=ws)
        ws.con.execute(
            "UPDATE screen_risks SET facts = ? WHERE rule_id = 'CONS-NONE'",
            [json.dumps({"consulted_communities": [FAKE], "communities_near": ["Amber Ford"]})],
        )
        rows = [r for r in register_risks(ws) if r["rule_id"] == "CONS-NONE"]
    assert rows and "Jane" not in rows[0]["why"] and "Amber Ford" in rows[0]["why"]


def test_consulted_communities_hold_only_the_layers_names(catalogue, two_communities):
    p = _dict(
        catalogue,
        consultations=[{"community": "amber ford", "women_included": True}, {"community": FAKE}],
    )
    reg = screen_proposal(p, Context.build(communities=two_communities), catalogue, AS_OF)
    assert reg.facts["consulted_communities"] == ["Amber Ford"]
    assert reg.facts["consultations_unlisted"] == 1
    assert reg.facts["unconsulted_communities"] == ["Blue Hill"]
    assert FAKE not in json.dumps(reg.to_dict(), default=str)


def test_the_precision_level_of_each_source_code(two_communities):
    """Frames built by hand (tests, callers) carry no precision level: it is derived from the source code."""
    from kizuna.screen.events import EVENT_SCHEMA, precision_level

    ev = pl.DataFrame(
        {
            "source": ["ucdp"] * 7 + ["acled", "acled"],
            "loc_precision": [1, 2, 3, 4, 5, 6, 7, 1, 3],
            "point_like": [True, True, False, False, False, False, False, True, False],
        }
    )
    assert precision_level(ev).to_list() == [
        "point",
        "point",
        "admin2",
        "admin1",
        "country",  # GED 5: part of a country larger than a province; only its country is sure
        "country",
        "none",
        "point",
        "admin1",
    ]
    assert "level" not in EVENT_SCHEMA
