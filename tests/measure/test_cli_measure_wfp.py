"""`kizuna measure` on a small WFP-style survey (tests/measure/wfp_survey.py): the headline is
printed M0, H, A in that order with the design behind the intervals (PSUs, strata, degrees of
freedom), and an estimate at a bound (SE 0, a point "interval") is flagged in the CLI, in every
written table and in the report."""

from __future__ import annotations

import contextlib
import io
import json
import re

import polars as pl
import pytest
from wfp_survey import N_PSU, N_STRATA, write_survey

from kizuna import i18n
from kizuna.cli import main
from kizuna.measure.outputs import BOUND_NOTE


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_survey(tmp_path_factory.mktemp("wfp"))


@pytest.fixture(scope="module")
def table_run(files, tmp_path_factory):
    """The run with the default table output; (stdout, stderr, out folder)."""
    csv, spec = files
    out = tmp_path_factory.mktemp("out")
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        rc = main(["measure", str(csv), "--spec", str(spec), "--no-store", "--out-dir", str(out)])
    assert rc == 0, e.getvalue()
    return o.getvalue(), e.getvalue(), out


def test_the_cli_prints_m0_then_h_then_a_in_each_round(files, tmp_path, capsys):
    csv, spec = files
    rc = main(["measure", str(csv), "--spec", str(spec), "--no-store", "-d", str(tmp_path / "o"), "-f", "csv"])
    assert rc == 0
    printed = pl.read_csv(capsys.readouterr().out.encode())
    for rnd in (1, 2):
        assert printed.filter(pl.col("round") == rnd)["measure"].to_list() == ["M0", "H", "A"]
    # the written summary keeps the same order
    written = pl.read_csv(tmp_path / "o" / "summary.csv")
    assert written["measure"].to_list() == ["M0", "H", "A", "M0", "H", "A"]


def test_the_table_lists_m0_h_a_top_down(table_run):
    stdout, _, _ = table_run
    measures = re.findall(r"│\s*[12]\s*│\s*(M0|H|A)\s*│", stdout)
    assert measures == ["M0", "H", "A", "M0", "H", "A"]


def test_the_cli_shows_psus_strata_and_degrees_of_freedom(table_run):
    _, stderr, out = table_run
    line = next(ln for ln in stderr.splitlines() if ln.startswith("design:"))
    df = N_PSU - N_STRATA
    assert f"{N_PSU} PSUs" in line and f"{N_STRATA} strata" in line and f"{df} degrees of freedom" in line
    design = json.loads((out / "measure.json").read_text())["run"]["design"]
    assert (design["n_psu"], design["n_strata"], design["df"]) == (N_PSU, N_STRATA, df)


def test_an_estimate_at_a_bound_is_marked_in_the_cli_with_its_footnote(table_run):
    stdout, stderr, _ = table_run
    # round 2 is food secure throughout: M0 = H = 0 with SE 0
    marked = re.findall(r"│\s*2\s*│\s*(M0|H|A)\s*│[^\n]*†", stdout)
    assert marked == ["M0", "H"]
    assert not re.findall(r"│\s*1\s*│[^\n]*†", stdout)
    assert "† SE 0: estimate at a bound, interval not informative" in stderr


def test_estimates_at_a_bound_are_flagged_in_the_written_tables(table_run):
    _, _, out = table_run
    summary = pl.read_csv(out / "summary.csv")
    flagged = summary.filter(pl.col("at_bound"))
    assert flagged.select("round", "measure").rows() == [(2, "M0"), (2, "H")]
    assert (flagged["se"] == 0).all() and (flagged["lo"] == flagged["hi"]).all()
    assert not summary.filter(pl.col("round") == 1)["at_bound"].any()
    # the subgroup table has no SE of its own: the flag comes from the group's estimates
    sub = pl.read_csv(out / "subgroups.csv")
    north1 = sub.filter((pl.col("round") == 1) & (pl.col("group") == "north")).row(0, named=True)
    assert north1["M0"] == 0 and north1["at_bound"] is True
    south1 = sub.filter((pl.col("round") == 1) & (pl.col("group") == "south")).row(0, named=True)
    assert 0 < south1["H"] < 1 and south1["at_bound"] is False
    est = pl.read_csv(out / "estimates.csv", infer_schema_length=None)
    at0 = est.filter((pl.col("se") == 0) & pl.col("b").is_in([0.0, 1.0]))
    assert at0.height > 0 and at0["at_bound"].all()
    assert "at_bound" in pl.read_csv(out / "k_sweep.csv").columns


def test_the_report_marks_the_bound_and_names_the_design(table_run):
    _, _, out = table_run
    html = (out / "measure.html").read_text()
    assert "†" in html
    assert "SE 0: estimate at a bound, interval not informative" in html
    assert f"{N_PSU} PSUs in {N_STRATA} strata" in html


def test_the_bound_note_has_a_japanese_translation():
    with i18n.use("ja"):
        ja = i18n.gettext(BOUND_NOTE)
    assert ja != BOUND_NOTE and ja.startswith("†")


WEIGHTED = """
[indicator_weights]
food = 0.3333333
coping = 0.3333333
cari = {last}
"""


def test_weights_within_the_documented_tolerance_are_accepted(files, tmp_path):
    csv, spec = files
    # 3 x 0.3333333 + 0.3333338 = 1.0000004: within 1e-6 of 1
    path = tmp_path / "ok.toml"
    path.write_text(spec.read_text().replace("[af]", WEIGHTED.format(last="0.3333338") + "[af]"))
    assert main(["measure", str(csv), "--spec", str(path), "--no-store", "-d", str(tmp_path / "o")]) == 0


def test_weights_off_by_more_than_the_tolerance_fail_with_the_tolerance_in_the_hint(files, tmp_path, capsys):
    csv, spec = files
    path = tmp_path / "bad.toml"
    # 0.3333333 x 3 + 0.3333320 = 0.9999989: 1.1e-6 short of 1
    path.write_text(spec.read_text().replace("[af]", WEIGHTED.format(last="0.3333320") + "[af]"))
    rc = main(["measure", str(csv), "--spec", str(path), "--no-store", "-d", str(tmp_path / "o")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "error[spec.bad_weights]" in err
    assert "make them sum to 1 (within 1e-06)" in err


def test_the_docs_state_the_weight_tolerance_and_no_longer_ask_for_a_register_line():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "measure.md").read_text(encoding="utf-8")
    assert "within 1e-6" in doc
    assert "register" not in doc
