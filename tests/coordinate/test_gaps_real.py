"""Gaps on the real files: the Afghanistan HNO 2024 against the Afghanistan 3W, and the six IATI files.

Every figure is checked against an independent reading of the CSVs with the csv module: the HNO's total
rows (gender a, age ALL, disabled a, population group ALL), the 3W's organisations per district and
cluster, and the ranking rule written out again here.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import pytest
from tests.conftest import shared_path

from kizuna.cli import main
from kizuna.coordinate.gaps import gap_analysis
from kizuna.coordinate.load import load_ledger
from kizuna.coordinate.needs import read_needs
from kizuna.coordinate.needs_store import stored_needs_table
from kizuna.geo.areas import area_names
from kizuna.geo.store import add_boundaries
from kizuna.ledger.ingest import ingest_paths
from kizuna.workspace import open_workspace

pytestmark = pytest.mark.shared

HNO_CLUSTER = {
    "FSC": "Food Security",
    "PRO": "Protection",
    "PRO_GBV": "Gender Based Violence",
    "PRO_CPM": "Child Protection",
    "PRO_HLP": "Housing, Land and Property",
    "PRO_MIN": "Mine Action",
    "SHL": "Emergency Shelter and NFI",
    "HEA": "Health",
    "WSH": "Water Sanitation Hygiene",
    "NUT": "Nutrition",
    "EDU": "Education",
    "ALL": "All sectors",
}
THREEW_CLUSTER = {
    "Operational Presence: Protection": "Protection",
    "Operational Presence: Health": "Health",
    "Operational Presence: Food Security & Agriculture": "Food Security",
    "Operational Presence: Nutrition": "Nutrition",
    "Operational Presence: Education in Emergencies": "Education",
    "Operational Presence: Emergency Shelter & Non-Food Items": "Emergency Shelter and NFI",
    "Operatioanl Presence: Water, Sanitation & Hygiene": "Water Sanitation Hygiene",
}
# the 3W reports the Protection areas of responsibility under Protection itself
AORS = ("Gender Based Violence", "Child Protection", "Housing, Land and Property", "Mine Action")
PRESENCE_OF = {c: ("Protection" if c in AORS else c) for c in HNO_CLUSTER.values()}


def _hno_totals() -> list[dict[str, str]]:
    text = shared_path("needs", "afg_hno_2024.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))[1:]  # the HXL row
    return [
        r
        for r in rows
        if (r["Gender"], r["Age Range"], r["Disabled"], r["Population Group"]) == ("a", "ALL", "a", "ALL")
    ]


def _orgs_by_area() -> tuple[dict[tuple[str, str], set[str]], dict[tuple[str, str], set[str]]]:
    text = shared_path("3w", "afg_3w_2024q1.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines()))[2:]
    by_dist: dict[tuple[str, str], set[str]] = defaultdict(set)
    by_prov: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        cluster = THREEW_CLUSTER[r[9]]
        for key in ((r[4], cluster), (r[4], "All sectors")):
            by_dist[key].add(r[6])
        for key in ((r[2], cluster), (r[2], "All sectors")):
            by_prov[key].add(r[6])
    return by_dist, by_prov


def _expected_ranking(level: int) -> list[tuple[str, str, float, int]]:
    """(P-code, HNO sector, people in need, organisations) ranked: no organisation first (most in need
    first), then people in need per organisation, largest first; ties by P-code, then cluster name."""
    by_dist, by_prov = _orgs_by_area()
    orgs = by_dist if level == 2 else by_prov
    out = []
    for r in _hno_totals():
        code = r["Admin 2 PCode"] if level == 2 else r["Admin 1 PCode"]
        if not code or (level == 1 and r["Admin 2 PCode"]) or r["Sector"] not in HNO_CLUSTER:
            continue
        cluster = HNO_CLUSTER[r["Sector"]]
        n = len(orgs.get((code, PRESENCE_OF[cluster]), ()))
        out.append((code, r["Sector"], cluster, float(r["In Need"]), n))
    out.sort(key=lambda t: (t[4] != 0, -(t[3] / t[4]) if t[4] else -t[3], -t[3], t[0], t[2]))
    return [(code, sector, pin, n) for code, sector, _cl, pin, n in out]


def test_the_hno_reader_keeps_total_rows_so_national_figures_match_the_source():
    totals = _hno_totals()
    national = {r["Sector"]: float(r["In Need"]) for r in totals if not r["Admin 1 PCode"]}
    assert national["ALL"] == 23_666_389
    df = read_needs(shared_path("needs", "afg_hno_2024.csv"))
    assert df.height == len(totals) == 5137  # one row per area x sector, nobody counted twice
    got = {r["sector"]: r["pin"] for r in df.filter(df["adm1"].is_null()).iter_rows(named=True)}
    assert got == national
    assert set(df.get_column("country").unique()) == {"AF"}
    # per sector, the sum over districts as the source gives them (it rounds each district)
    by_sector: dict[str, float] = defaultdict(float)
    for r in totals:
        if r["Admin 2 PCode"]:
            by_sector[r["Sector"]] += float(r["In Need"])
    res = gap_analysis(load_ledger_empty(), df)
    nat = {r["sector"]: r for r in res.national.iter_rows(named=True)}
    for sector, pin in national.items():
        assert nat[sector]["pin_national"] == pin
        if sector != "MS":  # multi-sector is national only
            assert nat[sector]["pin_sum"] == pytest.approx(by_sector[sector]) and nat[sector]["summed_level"] == "adm2"
    assert by_sector["ALL"] == 23_666_412  # rounding in the source, reported in a note, never "fixed"
    note = next(n for n in res.notes if n["code"] == "needs_national_total")
    assert "23,666,389" in note["message"] and "23,666,412" in note["message"]


def load_ledger_empty():
    from kizuna.coordinate.model import ACTIVITY_SCHEMA, LedgerFrames, empty

    return LedgerFrames(empty(ACTIVITY_SCHEMA))


@pytest.fixture(scope="module")
def af_ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("gaps_af") / "w.duckdb"
    with open_workspace(path) as ws:
        ingest_paths(ws, [shared_path("3w", "afg_3w_2024q1.csv"), shared_path("iati", "dod-afghanistan.xml")])
        add_boundaries(ws, shared_path("boundaries", "global_pcodes_adm1_adm2.csv"))
    return path


def test_gaps_af_rank_districts_and_provinces_by_people_in_need_per_organisation(af_ws, capsys):
    w = ["-w", str(af_ws)]
    rc = main(["gaps", "--needs", str(shared_path("needs", "afg_hno_2024.csv")), "--country", "af", *w, "-f", "json"])
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert rc == 0
    assert "note[ranked_by]: ranked by people in need per organisation present" in captured.err
    for level, n in (("adm2", 2), ("adm1", 1)):
        got = [r for r in rows if r["level"] == level]
        expect = _expected_ranking(n)
        assert len(got) == len(expect)
        top = [(r["adm2"] if n == 2 else r["adm1"], r["needs_sector"], r["pin"], r["n_orgs"]) for r in got[:25]]
        assert top == expect[:25]
        assert [r["rank"] for r in got[:25]] == list(range(1, 26))
    first = rows[0]
    # names from the gazetteer; the reason says it in words
    assert (first["level"], first["adm2"], first["area_name"], first["adm1_name"]) == (
        "adm2",
        "AF0104",
        "Bagrami",
        "Kabul",
    )
    assert "no organisation present" in first["reason"]
    kabul = next(r for r in rows if r["level"] == "adm1" and r["adm1"] == "AF01" and r["sector"] == "All sectors")
    assert kabul["area_name"] == "Kabul" and kabul["n_orgs"] == len(_orgs_by_area()[1][("AF01", "All sectors")])
    # `kizuna gaps` with no file uses the stored table
    rc = main(["gaps", "--country", "AF", "--level", "adm1", "--top", "3", *w, "-f", "json"])
    again = json.loads(capsys.readouterr().out)
    assert rc == 0 and [r["adm1"] for r in again] == [r["adm1"] for r in rows if r["level"] == "adm1"][:3]


def test_one_sector_filter_selects_the_same_sector_in_needs_and_ledger(af_ws):
    with open_workspace(af_ws, read_only=True) as ws:
        lf, names, needs = load_ledger(ws), area_names(ws, "AF"), stored_needs_table(ws, "AF")
    results = [gap_analysis(lf, needs, areas=names, sector=s).table for s in ("HEA", "Health", "health", "7", "12220")]
    for t in results[1:]:
        assert t.equals(results[0])
    assert set(results[0].get_column("sector")) == {"Health"} and set(results[0].get_column("needs_sector")) == {"HEA"}
    assert results[0].height == sum(1 for r in _hno_totals() if r["Sector"] == "HEA" and r["Admin 1 PCode"])
    with pytest.raises(ValueError):
        gap_analysis(lf, needs, sector="basket weaving")


def test_money_with_no_location_and_sectors_with_no_cluster_are_reported(af_ws):
    with open_workspace(af_ws, read_only=True) as ws:
        res = gap_analysis(load_ledger(ws), stored_needs_table(ws, "AF"), country="AF")
    codes = {n["code"]: n["message"] for n in res.notes}
    assert "no_subnational_locations" not in codes  # the 3W places organisations in districts
    assert codes["money_without_location"].startswith("100% of the USD")  # DoD's money: no location
    assert "152 Conflict, peace and security" in codes["ledger_sectors_without_cluster"]
    assert "MS" in codes["needs_sectors_without_cluster"]


@pytest.fixture(scope="module")
def iati_ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("gaps_iati") / "w.duckdb"
    with open_workspace(path) as ws:
        ingest_paths(ws, [shared_path("iati")])
    return path


def test_on_the_six_iati_files_gaps_say_no_subnational_locations_not_no_organisation_present(iati_ws, capsys):
    w = ["-w", str(iati_ws)]
    rc = main(["gaps", *w, "-f", "json"])
    captured = capsys.readouterr()
    assert rc == 0 and json.loads(captured.out) == []
    assert "note[no_needs]" in captured.err
    line = next(x for x in captured.err.splitlines() if x.startswith("note[no_subnational_locations]"))
    for country in ("SS", "AF", "CF"):
        assert f"{country} (" in line
    rc = main(["gaps", str(shared_path("needs", "afg_hno_2024.csv")), *w, "-f", "json"])
    rows = json.loads(capsys.readouterr().out)
    assert rc == 0 and len(rows) == len(_expected_ranking(2)) + len(_expected_ranking(1))
    assert all("no subnational locations in AF" in r["reason"] for r in rows)
    assert not any("no organisation present" in r["reason"] for r in rows)
