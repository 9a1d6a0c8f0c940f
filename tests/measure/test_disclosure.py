"""Statistical disclosure control of the published survey tables: cells of fewer than min_cell
unweighted persons are withheld and marked, one complementary cell is withheld with a lone small cell,
the threshold is in the outputs' metadata and the workspace; identifier-like groupings are refused."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.errors import SpecError
from kizuna.measure.disclosure import Cell, suppress
from kizuna.measure.run import run_measure
from kizuna.measure.spec import parse_spec

SPEC = """
[indicators.d1]
column = "d1"
[indicators.d2]
column = "d2"
[af]
k = 50
subgroups = ["region"]
[needs]
admin1 = "region"
"""


def _frame(sizes: dict[str, int], seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    region = [r for r, n in sizes.items() for _ in range(n)]
    n = len(region)
    return pl.DataFrame({"region": region, "d1": rng.integers(0, 2, n), "d2": rng.integers(0, 2, n)})


def _by_group(res, measure: str = "H") -> dict[str, dict]:
    e = res.estimates.filter((pl.col("group_var") == "region") & (pl.col("measure") == measure))
    return {r["group"]: r for r in e.iter_rows(named=True)}


def test_a_cell_below_ten_is_withheld_and_marked_with_the_threshold_in_the_metadata(tmp_path):
    res = run_measure(_frame({"A": 40, "B": 30, "C": 25, "D": 4}), parse_spec(SPEC))
    h = _by_group(res)
    assert h["D"]["suppressed"] is True
    assert [h["D"][c] for c in ("b", "se", "lo", "hi", "n", "pop")] == [None] * 6
    assert h["A"]["suppressed"] is False and h["A"]["n"] == 40 and h["A"]["b"] is not None
    assert res.disclosure["min_cell"] == 10 and "Hundepool" in res.disclosure["method"]
    # every measure of the small cell is withheld, not only H
    d_rows = res.estimates.filter(pl.col("group") == "D")
    assert d_rows.height > 3 and d_rows["b"].is_null().all() and d_rows["suppressed"].all()
    # outputs' metadata
    from kizuna.measure.outputs import write_outputs

    write_outputs(res, tmp_path, file="s.csv", sha256="0" * 64)
    meta = json.loads((tmp_path / "measure.json").read_text())["run"]["disclosure"]
    assert meta["min_cell"] == 10 and meta["suppressed_subgroup_cells"] == 2


def test_a_lone_small_cell_takes_the_next_smallest_cell_with_it():
    """Total minus the others would give D back: C (the next smallest) is withheld too, A and B not."""
    res = run_measure(_frame({"A": 40, "B": 30, "C": 25, "D": 4}), parse_spec(SPEC))
    h = _by_group(res)
    assert {g for g, r in h.items() if r["suppressed"]} == {"C", "D"}
    assert h["C"]["n"] is None and h["C"]["b"] is None
    # the whole-population total stays published
    total = res.summary.filter(pl.col("measure") == "H").row(0, named=True)
    assert total["n"] == 99 and total["b"] is not None and total["suppressed"] is False
    # the subgroup table and the needs table follow
    sub = {r["group"]: r for r in res.subgroups.iter_rows(named=True)}
    assert sub["C"]["suppressed"] and sub["C"]["pop_share"] is None and sub["A"]["pop_share"] is not None
    needs = res.needs.filter(pl.col("dimension") == "vital_core")
    hidden = set(needs.filter(pl.col("suppressed"))["admin1"].to_list())
    assert hidden == {"C", "D"}
    assert needs.filter(pl.col("admin1") == "D")["population"].to_list() == [None]


def test_two_small_cells_need_no_complementary_cell():
    res = run_measure(_frame({"A": 40, "B": 30, "C": 3, "D": 4}), parse_spec(SPEC))
    assert {g for g, r in _by_group(res).items() if r["suppressed"]} == {"C", "D"}


def test_no_small_cell_no_suppression_and_min_cell_is_configurable():
    frame = _frame({"A": 40, "B": 30, "C": 25, "D": 4})
    res = run_measure(frame, parse_spec(SPEC + "[disclosure]\nmin_cell = 3\n"))
    assert not res.estimates["suppressed"].any() and res.disclosure["min_cell"] == 3
    res = run_measure(frame, parse_spec(SPEC + "[disclosure]\nmin_cell = 26\n"))
    # C (25) and D (4) are small; B (30) and A (40) stay
    assert {g for g, r in _by_group(res).items() if r["suppressed"]} == {"C", "D"}


def test_changes_involving_a_withheld_cell_are_withheld():
    f1 = _frame({"A": 40, "B": 30, "D": 4}, seed=1).with_columns(pl.lit(1).alias("t"))
    f2 = _frame({"A": 40, "B": 30, "D": 20}, seed=2).with_columns(pl.lit(2).alias("t"))
    spec = parse_spec(SPEC.replace('[needs]\nadmin1 = "region"\n', "").replace("[af]", '[af]\ntime = "t"'))
    res = run_measure(pl.concat([f1, f2]), spec)
    ch = res.changes.filter((pl.col("group_var") == "region") & (pl.col("measure") == "H"))
    hidden = set(ch.filter(pl.col("suppressed"))["group"].to_list())
    # round 1: D (4) primary, B (30) complementary -> both groups' changes withheld; A published
    assert hidden == {"D", "B"}
    assert ch.filter(pl.col("group") == "D")["value"].is_null().all()
    assert ch.filter(pl.col("group") == "A")["value"].is_not_null().all()


def test_a_small_round_is_withheld_in_the_summary_and_the_sweep():
    f1 = _frame({"A": 5}, seed=1).with_columns(pl.lit(1).alias("t"))
    f2 = _frame({"A": 40}, seed=2).with_columns(pl.lit(2).alias("t"))
    spec = parse_spec(SPEC.replace('[needs]\nadmin1 = "region"\n', "").replace("[af]", '[af]\ntime = "t"'))
    res = run_measure(pl.concat([f1, f2]), spec)
    s = res.summary.filter(pl.col("measure") == "H")
    assert s.filter(pl.col("round") == "1")["b"].to_list() == [None]
    assert s.filter(pl.col("round") == "2")["b"].is_not_null().all()
    assert res.sweep.filter(pl.col("round") == "1")["b"].is_null().all()
    assert res.disclosure["suppressed_rounds"] == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=8), st.integers(1, 20))
def test_no_withheld_cell_can_be_recovered_from_the_total(sizes, min_cell):
    """Property: after suppression, no table has exactly one withheld non-empty cell while its total
    is published — the total minus the published cells then gives the sum of at least two cells."""
    cells = [Cell(("t",), f"g{i}", n) for i, n in enumerate(sizes)]
    total = sum(sizes)
    decided = suppress(cells, min_cell, {("t",): total})
    for c in cells:
        if 0 < c.n < min_cell:
            assert decided.get(c) == "primary"
        if c.n == 0:
            assert c not in decided
    hidden_nonempty = [c for c in decided if c.n > 0]
    if total >= min_cell and hidden_nonempty:
        assert len(hidden_nonempty) >= 2 or len([c for c in cells if c.n > 0]) == 1


@pytest.mark.parametrize("column", ["respondent_name", "enumerator", "phone", "national_id", "gps", "hh_id"])
def test_identifier_like_subgroups_are_refused_with_code_field_and_hint(column):
    frame = _frame({"A": 20, "B": 20}).with_columns(pl.lit("x").alias(column))
    spec = parse_spec(SPEC.replace('subgroups = ["region"]', f'subgroups = ["{column}"]'))
    with pytest.raises(SpecError) as e:
        run_measure(frame, spec)
    err = e.value
    assert err.code == "spec.identifier_group"
    assert err.where.field == column and err.where.key == "af.subgroups"
    assert "[disclosure] allow" in (err.hint or "")


@pytest.mark.parametrize(
    ("key", "spec_text"),
    [
        ("needs.admin1", SPEC.replace('admin1 = "region"', 'admin1 = "gps"')),
        ("af.time", SPEC.replace("[af]", '[af]\ntime = "gps"')),
    ],
)
def test_identifier_like_areas_and_rounds_are_refused_too(key, spec_text):
    frame = _frame({"A": 20, "B": 20}).with_columns(pl.lit("4.8512345 31.6012345 450.0 5.0").alias("gps"))
    with pytest.raises(SpecError) as e:
        run_measure(frame, parse_spec(spec_text))
    assert e.value.code == "spec.identifier_group" and e.value.where.key == key


def test_a_nearly_unique_column_is_refused_whatever_its_name():
    frame = _frame({"A": 20, "B": 20}).with_columns(pl.Series("hh", [f"h{i}" for i in range(40)]))
    with pytest.raises(SpecError) as e:
        run_measure(frame, parse_spec(SPEC.replace('subgroups = ["region"]', 'subgroups = ["hh"]')))
    assert e.value.code == "spec.identifier_group"


def test_allow_lets_an_identifier_like_column_be_a_subgroup_with_its_cells_still_suppressed():
    frame = _frame({"A": 40, "B": 30}).with_columns(pl.Series("enumerator", ["E1"] * 35 + ["E2"] * 30 + ["E3"] * 5))
    spec = parse_spec(
        SPEC.replace('subgroups = ["region"]', 'subgroups = ["enumerator"]') + '[disclosure]\nallow = ["enumerator"]\n'
    )
    res = run_measure(frame, spec)
    e = res.estimates.filter((pl.col("group_var") == "enumerator") & (pl.col("measure") == "H"))
    assert {r["group"]: r["suppressed"] for r in e.iter_rows(named=True)} == {"E1": False, "E2": True, "E3": True}
    assert res.disclosure["allow"] == ["enumerator"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[disclosure]\nmin_cell = 0\n", "disclosure.min_cell"),
        ("[disclosure]\nmin_cell = 2.5\n", "disclosure.min_cell"),
        ('[disclosure]\nmin_cell = "10"\n', "disclosure.min_cell"),
        ("[disclosure]\nthreshold = 10\n", "disclosure.threshold"),
        ("[disclosure]\nallow = 3\n", "disclosure.allow"),
    ],
)
def test_bad_disclosure_settings_name_the_key(text, key):
    with pytest.raises(SpecError) as e:
        parse_spec(SPEC + text)
    assert e.value.where.key == key


def test_the_workspace_keeps_the_threshold_and_the_marks(tmp_path):
    from kizuna.measure.store import list_runs, store_result
    from kizuna.workspace import open_workspace

    res = run_measure(_frame({"A": 40, "B": 30, "C": 25, "D": 4}), parse_spec(SPEC))
    ws = open_workspace(tmp_path / "ws.duckdb")
    try:
        store_result(ws, res, path=tmp_path / "s.csv", data_sha256="a" * 64)
        assert list_runs(ws)[0]["min_cell"] == 10
        stored = json.loads(ws.query("SELECT disclosure FROM measure_runs")[0]["disclosure"])
        assert stored["min_cell"] == 10 and stored["suppressed_areas"] == 2
        rows = ws.query("SELECT DISTINCT group_label FROM measure_estimates WHERE suppressed AND b IS NULL ORDER BY 1")
        assert [r["group_label"] for r in rows] == ["C", "D"]
        needs = ws.query("SELECT admin1, n FROM measure_needs WHERE suppressed ORDER BY 1")
        assert {r["admin1"] for r in needs} == {"C", "D"}
    finally:
        ws.close()


def test_the_default_vital_core_group_is_never_an_identifier_column():
    from kizuna.web.pages import default_group

    assert default_group(["all", "enumerator", "region"], None) == "region"
    assert default_group(["all", "enumerator", "respondent_name"], None) == "all"
    assert default_group(["all", "admin1", "sex"], None) == "admin1"
    # a column the spec allowed (published on purpose) is still not the default
    assert default_group(["all", "team", "sex"], "team") == "sex"


def test_migration_0031_withholds_small_cells_of_runs_stored_before_it(tmp_path):
    """A workspace made before disclosure control: its one-person cells stop being shown on upgrade."""
    from kizuna.measure.store import store_result
    from kizuna.workspace import open_workspace

    res = run_measure(_frame({"A": 40, "B": 30, "C": 25, "D": 4}), parse_spec(SPEC + "[disclosure]\nmin_cell = 1\n"))
    path = tmp_path / "old.duckdb"
    ws = open_workspace(path)
    try:
        store_result(ws, res, path=tmp_path / "s.csv", data_sha256="b" * 64)
        # back to the schema before 0031, the run's rows as an old version stored them
        ws.con.execute("UPDATE measure_runs SET disclosure = NULL")
        for table in ("measure_estimates", "measure_changes", "measure_sweep", "measure_needs"):
            ws.con.execute(f"ALTER TABLE {table} DROP COLUMN suppressed")
        ws.con.execute("ALTER TABLE measure_needs DROP COLUMN n")
        ws.con.execute("ALTER TABLE measure_runs DROP COLUMN disclosure")
        ws.con.execute("DELETE FROM schema_migrations WHERE version = 31")
        assert ws.query("SELECT b FROM measure_estimates WHERE group_label = 'D' AND measure = 'H'")[0]["b"] is not None
    finally:
        ws.close()
    ws = open_workspace(path)
    try:
        d = ws.query("SELECT b, n, suppressed FROM measure_estimates WHERE group_label = 'D'")
        assert d and all(r["b"] is None and r["n"] is None and r["suppressed"] for r in d)
        a = ws.query("SELECT b, suppressed FROM measure_estimates WHERE group_label = 'A'")
        assert all(r["b"] is not None and not r["suppressed"] for r in a)
        assert json.loads(ws.query("SELECT disclosure FROM measure_runs")[0]["disclosure"])["min_cell"] == 10
    finally:
        ws.close()
