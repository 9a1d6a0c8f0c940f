"""Training evaluation at Kirkpatrick's four levels (kizuna.track.training*): hand-worked cases per level, the
wiring of pairs by pseudonym, small-group refusals, the level-4 caveat and DiD, bad inputs with their codes.

The statistics themselves are checked against scipy in test_learning.py; here scipy (or arithmetic in the test)
checks that the right numbers reach them: the right people paired, the unpaired left out and counted, partial
credit summed with its maxima.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from kizuna.errors import InputError
from kizuna.track.protect import TrackKey, pseudonym
from kizuna.track.training import MIN_PAIRS, evaluate, levels_table
from kizuna.track.training_store import import_course, load_course
from kizuna.workspace import open_workspace

KEY = TrackKey.from_secret(bytes(range(32)))
OTHER = TrackKey.from_secret(bytes(range(1, 33)))
COURSE = "Community policing"
NAMES = [
    "Plantedname Ayen Kuol",
    "Plantedname Bol Garang",
    "Plantedname Chol Deng",
    "Plantedname Dut Majok",
    "Plantedname Elia Lado",
    "Plantedname Fatna Ali",
    "Plantedname Gai Riak",
]
IDS = ["PLANTID-001", "PLANTID-002", "PLANTID-003", "PLANTID-004", "PLANTID-005", "PLANTID-006", "PLANTID-007"]

ROSTER = "course,session,participant_id,name,sex,unit,rank,start_date,end_date,location,pcode\n" + "".join(
    f"{COURSE},{'S1' if i < 4 else 'S2'},{pid},{name},{'f' if i % 2 else 'm'},Unit {'AB'[i % 2]},constable,"
    f"{'2026-01-10' if i < 4 else '2026-02-10'},{'2026-01-14' if i < 4 else '2026-02-14'},"
    f"{'Northmarch' if i < 4 else 'Eastvale'},{'XZ01' if i < 4 else 'XZ02'}\n"
    for i, (pid, name) in enumerate(zip(IDS, NAMES, strict=True))
)
# items 1, 2, 4 score 0/1, item 3 up to 2 points (partial credit): the test's maximum is 5
PRE = {0: [0, 1, 1, 0], 1: [0, 0, 0, 0], 2: [1, 0, 1, 0], 3: [0, 1, 0, 1], 4: [1, 1, 0, 0], 5: [0, 0, 1, 0]}
POST = {0: [1, 1, 2, 1], 1: [1, 0, 1, 1], 2: [1, 1, 1, 0], 3: [1, 1, 2, 1], 4: [1, 1, 2, 0], 6: [1, 1, 1, 1]}


def make_tests(pre=PRE, post=POST, ids=IDS, post_id=lambda s: f"  {s.lower()} ") -> str:
    """Post rows carry the id in another case and with spaces: the pseudonym still pairs them."""
    rows = ["participant_id,phase,item_1,item_2,item_3,item_4", ",max,1,1,2,1"]
    rows += [f"{ids[i]},pre,{','.join(map(str, v))}" for i, v in pre.items()]
    rows += [f"{post_id(ids[i])},post,{','.join(map(str, v))}" for i, v in post.items()]
    return "\n".join(rows) + "\n"


REACTION = (
    "participant_id,relevance_1,relevance_2,trainer_1,trainer_2,comments\n"
    f"{IDS[0]},5,4,3,4,Plantedname said hello\n"
    f"{IDS[1]},4,4,4,5,\n"
    f"{IDS[2]},3,,5,5,\n"
    f"{IDS[3]},5,5,4,4,\n"
    f"{IDS[4]},2,3,4,3,\n"
    f"{IDS[5]},4,5,5,4,\n"
)
FOLLOWUP = "participant_id,phase,score,observer,date\n" + "".join(
    f"{IDS[i]},baseline,{b},Observer Plantedname,2026-01-05\n{IDS[i]},followup,{a},Observer Plantedname,{d}\n"
    for i, (b, a, d) in enumerate(
        [
            (10, 14, "2026-05-14"),
            (8, 9, "2026-05-14"),
            (12, 11, "2026-05-14"),
            (9, 13, "2026-09-30"),
            (11, 15, "2026-06-14"),
            (7, 10, "2026-06-14"),
        ]
    )
)
UNITS_NO_COMPARISON = (
    "unit,period,outcome,value\nUnit A,before,complaints,10\nUnit A,after,complaints,6\n"
    "Unit B,before,complaints,8\nUnit B,after,complaints,7\n"
)
UNITS_COMPARISON = UNITS_NO_COMPARISON.replace("unit,period,outcome,value", "unit,period,outcome,value,comparison")
UNITS_COMPARISON = "\n".join(line + ",no" if i else line for i, line in enumerate(UNITS_COMPARISON.strip().split("\n")))
UNITS_COMPARISON += "\nUnit X,before,complaints,9,yes\nUnit X,after,complaints,9,yes\n"
UNITS_COMPARISON += "Unit Y,before,complaints,7,yes\nUnit Y,after,complaints,8,yes\n"


def write(folder: Path, **files: str) -> dict[str, Path]:
    out = {}
    for kind, text in files.items():
        p = folder / f"{kind}.csv"
        p.write_text(text, encoding="utf-8")
        out[kind] = p
    return out


@pytest.fixture
def ws(tmp_path):
    with open_workspace(tmp_path / "ws.duckdb") as w:
        yield w


def imported(ws, tmp_path, **files: str):
    paths = write(tmp_path, roster=ROSTER, **files)
    import_course(ws, COURSE, KEY, **paths)
    return evaluate(load_course(ws, COURSE))


def _level(ev, measure: str) -> dict:
    rows = ev.levels.filter(pl.col("measure") == measure).to_dicts()
    assert len(rows) <= 1
    return rows[0] if rows else {}


# --- level 2: learning ---------------------------------------------------------------------------------


def test_pre_and_post_are_paired_by_pseudonym_and_the_unpaired_are_left_out_and_counted(ws, tmp_path):
    ev = imported(ws, tmp_path, tests=make_tests())
    row = ev.paired.filter(pl.col("level") == 2).to_dicts()[0]
    both = [0, 1, 2, 3, 4]  # person 5 has only a pre-test, person 6 only a post-test
    pre = np.array([sum(PRE[i]) for i in both], float)
    post = np.array([sum(POST[i]) for i in both], float)
    assert (row["pairs"], row["only_first"], row["only_second"]) == (5, 1, 1)
    assert row["mean_first"] == pytest.approx(pre.mean()) and row["mean_second"] == pytest.approx(post.mean())
    ref = stats.ttest_rel(post, pre)
    assert row["t"] == pytest.approx(ref.statistic, abs=1e-10) and row["p"] == pytest.approx(ref.pvalue, abs=1e-10)
    assert row["wilcoxon_p"] == pytest.approx(stats.wilcoxon(post, pre).pvalue, abs=1e-10)
    d = post - pre
    assert row["d_z"] == pytest.approx(d.mean() / d.std(ddof=1))
    # Hake's gain with the test's maximum 5 (item 3 is worth 2 points)
    assert row["max_score"] == 5
    assert row["gain"] == pytest.approx((post.mean() - pre.mean()) / (5 - pre.mean()))
    assert row["share_improved"] == pytest.approx(np.mean(post > pre))
    note = next(n for n in ev.notes if n["code"] == "training.unpaired")
    assert note["params"]["n_first"] == 1 and note["params"]["n_second"] == 1
    # the stored rows hold pseudonyms of the ids, never the ids
    held = set(load_course(ws, COURSE).tests.get_column("participant").to_list())
    assert pseudonym(KEY, IDS[0], "participant") in held and not held & set(IDS)


def test_partial_credit_items_get_cronbachs_alpha_and_01_tests_get_kr20(ws, tmp_path):
    ev = imported(ws, tmp_path, tests=make_tests())
    assert ev.paired.get_column("reliability_method").to_list() == ["alpha"]
    post = np.array([POST[i] for i in sorted(POST)], float)
    k = post.shape[1]
    alpha = k / (k - 1) * (1 - post.var(axis=0, ddof=1).sum() / post.sum(axis=1).var(ddof=1))
    assert _level(ev, "learning_reliability")["value"] == pytest.approx(alpha)
    items = ev.test_items.filter(pl.col("phase") == "post").sort("item")
    # difficulty = mean score / item maximum: item 3 (max 2) on its own scale
    assert items.get_column("difficulty").to_list() == pytest.approx(list(post.mean(axis=0) / [1, 1, 2, 1]))

    binary = {i: [min(v, 1) for v in row] for i, row in POST.items()}
    text = make_tests(post=binary).replace(",max,1,1,2,1\n", "")
    (tmp_path / "b").mkdir()
    ev01 = imported(ws, tmp_path / "b", tests=text.replace(",2,", ",1,"))
    assert ev01.paired.get_column("reliability_method").to_list() == ["KR-20"]
    x = np.array([binary[i] for i in sorted(binary)], float)
    p = x.mean(axis=0)
    kr20 = 4 / 3 * (1 - (p * (1 - p)).sum() / x.sum(axis=1).var())
    assert _level(ev01, "learning_reliability")["value"] == pytest.approx(kr20)


def test_fewer_than_five_pairs_give_means_but_no_test_and_say_why(ws, tmp_path):
    few = {i: v for i, v in PRE.items() if i < MIN_PAIRS - 1}
    ev = imported(ws, tmp_path, tests=make_tests(pre=few))
    row = ev.paired.to_dicts()[0]
    assert row["pairs"] == MIN_PAIRS - 1
    assert row["mean_change"] is not None and row.get("t") is None and row.get("d_z") is None
    assert not _level(ev, "learning_dz") and not _level(ev, "learning_wilcoxon")
    note = next(n for n in ev.notes if n["code"] == "training.too_few")
    assert note["params"]["n"] == MIN_PAIRS - 1 and note["params"]["minimum"] == MIN_PAIRS


# --- level 1: reaction --------------------------------------------------------------------------------


def test_reaction_per_item_and_scale_with_alpha_on_complete_answers(ws, tmp_path):
    ev = imported(ws, tmp_path, reaction=REACTION)
    r1 = ev.reaction_items.filter(pl.col("item") == "relevance_1").to_dicts()[0]
    answers = np.array([5, 4, 3, 5, 2, 4], float)
    assert r1["n_answers"] == 6 and r1["mean"] == pytest.approx(answers.mean())
    assert r1["sd"] == pytest.approx(answers.std(ddof=1))
    assert r1["share_agree"] == pytest.approx(4 / 6)
    assert [r1[f"answers_{k}"] for k in range(1, 6)] == [0, 1, 1, 2, 2]
    r2 = ev.reaction_items.filter(pl.col("item") == "relevance_2").to_dicts()[0]
    assert r2["n_answers"] == 5  # a blank is not answered, not a 0
    trainer = ev.reaction_scales.filter(pl.col("scale") == "trainer").to_dicts()[0]
    x = np.array([[3, 4], [4, 5], [5, 5], [4, 4], [4, 3], [5, 4]], float)
    alpha = 2 * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert trainer["complete"] == 6 and trainer["alpha"] == pytest.approx(alpha)
    relevance = ev.reaction_scales.filter(pl.col("scale") == "relevance").to_dicts()[0]
    assert relevance["complete"] == 5 and relevance["respondents"] == 6
    assert "comments" not in ev.reaction_items.get_column("item").to_list()


# --- level 3: behaviour --------------------------------------------------------------------------------


def test_behaviour_follow_up_against_baseline_and_the_3_to_6_month_window(ws, tmp_path):
    ev = imported(ws, tmp_path, followup=FOLLOWUP)
    row = ev.paired.filter(pl.col("level") == 3).to_dicts()[0]
    base = np.array([10, 8, 12, 9, 11, 7], float)
    after = np.array([14, 9, 11, 13, 15, 10], float)
    assert row["pairs"] == 6 and row["mean_change"] == pytest.approx((after - base).mean())
    assert row["p"] == pytest.approx(stats.ttest_rel(after, base).pvalue, abs=1e-10)
    assert _level(ev, "behaviour_improved")["value"] == pytest.approx(5 / 6)
    # S1 ended 2026-01-14: 2026-05-14 is 4 months after; 2026-09-30 is 8.5 months after (outside 3-6)
    # S2 ended 2026-02-14: 2026-06-14 is 4 months after
    window = next(n for n in ev.notes if n["code"] == "training.window")
    assert window["params"]["n"] == 1
    observers = set(load_course(ws, COURSE).followups.get_column("observer").to_list())
    assert observers == {pseudonym(KEY, "Observer Plantedname", "observer")}


# --- level 4: results ----------------------------------------------------------------------------------


def test_without_a_comparison_group_the_change_comes_with_the_not_causal_caveat(ws, tmp_path):
    ev = imported(ws, tmp_path, units=UNITS_NO_COMPARISON)
    assert _level(ev, "results_change")["value"] == pytest.approx(((6 - 10) + (7 - 8)) / 2)
    assert not _level(ev, "results_did")
    caveat = [n for n in ev.notes if n["code"] == "training.not_causal"]
    assert len(caveat) == 1 and "NOT a causal effect" in caveat[0]["message"]
    assert "complaints" in caveat[0]["message"]


def test_with_a_comparison_group_difference_in_differences_with_a_cluster_robust_se(ws, tmp_path):
    ev = imported(ws, tmp_path, units=UNITS_COMPARISON)
    did = _level(ev, "results_did")
    # (trained after - before) - (comparison after - before) in cell means: -2.5 - 0.5
    assert did["value"] == pytest.approx(-3.0)
    row = ev.results.filter(pl.col("group") == "did").to_dicts()[0]
    assert row["se_type"] == "CR1" and row["df"] == 3  # 4 units (clusters) - 1
    assert not [n for n in ev.notes if n["code"] == "training.not_causal"]
    assert [n["code"] for n in ev.notes if n["code"] == "training.did"] == ["training.did"]


# --- per session: the minimum cell --------------------------------------------------------------------


def test_sessions_below_the_minimum_cell_are_withheld(ws, tmp_path):
    ev = imported(ws, tmp_path, tests=make_tests())
    rows = {r["session"]: r for r in ev.by_session.to_dicts()}
    assert rows["S1"]["suppressed"] and rows["S1"]["participants"] is None and rows["S1"]["mean_change"] is None
    assert rows["S2"]["suppressed"] and rows["S2"]["mean_pre"] is None
    ev10 = evaluate(load_course(ws, COURSE), min_cell=4)
    rows = {r["session"]: r for r in ev10.by_session.to_dicts()}
    # S1 has 4 people (shown); S2 has 3 (primary) and S1 is then the complementary cell
    assert rows["S2"]["suppressed"] and rows["S1"]["suppressed"]
    ev3 = evaluate(load_course(ws, COURSE), min_cell=3)
    assert not any(r["suppressed"] for r in ev3.by_session.to_dicts())
    assert ev3.by_session.filter(pl.col("session") == "S1").get_column("participants").to_list() == [4]


# --- the import: idempotent, one transaction, one key -------------------------------------------------


def test_importing_the_same_files_twice_changes_nothing(ws, tmp_path):
    paths = write(tmp_path, roster=ROSTER, tests=make_tests(), reaction=REACTION)
    import_course(ws, COURSE, KEY, **paths)
    before = ws.table_counts()
    import_course(ws, COURSE, KEY, **paths)
    assert ws.table_counts() == before


def test_a_later_import_with_another_key_is_refused(ws, tmp_path):
    paths = write(tmp_path, roster=ROSTER)
    import_course(ws, COURSE, KEY, **paths)
    with pytest.raises(InputError) as e:
        import_course(ws, COURSE, OTHER, **paths)
    assert e.value.code == "track.key_wrong"


def test_the_levels_table_names_levels_and_statistics_in_japanese(ws, tmp_path):
    from kizuna import i18n

    ev = imported(ws, tmp_path, tests=make_tests(), units=UNITS_NO_COMPARISON)
    with i18n.use("ja"):
        table = levels_table(ev)
        notes = [i18n.note_text(n) for n in ev.notes]
    assert set(table.get_column("level_name").to_list()) == {"学習", "成果"}
    assert any("因果" in n for n in notes)


BAD = [
    # (kind, text, code, line, row, field)
    (
        "roster",
        ROSTER.replace("participant_id", "participant_di"),
        "training.unknown_column",
        1,
        None,
        "participant_di",
    ),
    (
        "roster",
        ROSTER.replace("session,participant_id", "sesion,participant_id"),
        "training.unknown_column",
        1,
        None,
        "sesion",
    ),
    ("roster", ROSTER.replace(",session,", ",group,"), "training.missing_column", 1, None, "session"),
    ("roster", ROSTER.replace("2026-01-10", "10 Jan"), "training.bad_date", 2, 1, "start_date"),
    ("roster", ROSTER + ROSTER.split("\n")[1] + "\n", "training.duplicate_participant", 9, 8, "participant_id"),
    ("roster", ROSTER.replace(f"{COURSE},S2", "Other course,S2", 1), "training.other_course", 6, 5, "course"),
    ("roster", ROSTER.replace(IDS[2], ""), "training.missing_value", 4, 3, "participant_id"),
    ("reaction", REACTION.replace(f"{IDS[3]},5,5", f"{IDS[3]},6,5"), "training.bad_likert", 5, 4, "relevance_1"),
    ("reaction", REACTION.replace(f"{IDS[3]},5,5", f"{IDS[3]},x,5"), "training.not_number", 5, 4, "relevance_1"),
    (
        "tests",
        make_tests().replace(f"{IDS[0]},pre,0,1,1,0", f"{IDS[0]},pre,0,1,3,0"),
        "training.score_out_of_range",
        3,
        2,
        "item_3",
    ),
    (
        "tests",
        make_tests().replace(f"{IDS[0]},pre,0,1,1,0", f"{IDS[0]},pre,0,1,,0"),
        "training.missing_score",
        3,
        2,
        "item_3",
    ),
    ("tests", make_tests().replace(f"{IDS[1]},pre", f"{IDS[1]},before"), "training.bad_phase", 4, 3, "phase"),
    (
        "tests",
        make_tests().replace(f"{IDS[1]},pre", "PLANTID-999,pre"),
        "training.not_on_roster",
        None,
        None,
        "participant_id",
    ),
    ("followup", FOLLOWUP.replace("2026-05-14", "14/05/2026", 1), "training.bad_date", 3, 2, "date"),
    ("units", UNITS_NO_COMPARISON.replace("Unit B,before", "Unit B,during"), "training.bad_period", 4, 3, "period"),
    (
        "units",
        UNITS_COMPARISON.replace("Unit X,after,complaints,9,yes", "Unit X,after,complaints,9,no"),
        "training.bad_flag",
        None,
        None,
        "comparison",
    ),
]


@pytest.mark.parametrize(("kind", "text", "code", "line", "row", "field"), BAD, ids=[b[2] + "-" + b[0] for b in BAD])
def test_bad_inputs_are_refused_with_their_code_and_place_and_store_nothing(
    ws, tmp_path, kind, text, code, line, row, field
):
    paths = write(
        tmp_path, roster=ROSTER, tests=make_tests(), reaction=REACTION, followup=FOLLOWUP, units=UNITS_COMPARISON
    )
    paths[kind].write_text(text, encoding="utf-8")
    before = ws.table_counts()
    with pytest.raises(InputError) as e:
        import_course(ws, COURSE, KEY, **paths)
    err = e.value
    assert (err.code, err.where.line, err.where.row, err.where.field) == (code, line, row, field)
    assert err.where.file == str(paths[kind])
    assert ws.table_counts() == before  # nothing stored, not even the roster that was fine
    said = err.one_line()
    assert not [v for v in [*NAMES, *IDS, "PLANTID-999", "Plantedname"] if v in said]


def test_a_misspelt_column_names_its_close_match(ws, tmp_path):
    paths = write(tmp_path, roster=ROSTER.replace("participant_id", "participant_di"))
    with pytest.raises(InputError) as e:
        import_course(ws, COURSE, KEY, **paths)
    assert "participant_id" in (e.value.hint_text() or "")


def test_a_file_that_is_not_utf8_is_refused(ws, tmp_path):
    paths = write(tmp_path, roster=ROSTER)
    paths["roster"].write_bytes(ROSTER.replace("Plantedname", "Plantédname").encode("latin-1"))
    with pytest.raises(InputError) as e:
        import_course(ws, COURSE, KEY, **paths)
    assert e.value.code == "training.encoding"


def test_the_first_import_of_a_course_needs_its_roster(ws, tmp_path):
    paths = write(tmp_path, tests=make_tests())
    with pytest.raises(InputError) as e:
        import_course(ws, COURSE, KEY, **paths)
    assert e.value.code == "training.no_roster"


def test_when_the_d_z_interval_fails_numerically_the_normal_approximation_stands_in_and_a_note_says_so(
    ws, tmp_path, monkeypatch
):
    from kizuna.track import learning

    def nan_root(*args, **kwargs):
        raise ValueError("The function value at x=-9.99 is NaN; solver cannot continue.")

    monkeypatch.setattr(learning, "cohen_dz", nan_root)
    ev = imported(ws, tmp_path, tests=make_tests())
    row = ev.paired.to_dicts()[0]
    d = np.array([sum(POST[i]) - sum(PRE[i]) for i in range(5)], float)
    dz, n = d.mean() / d.std(ddof=1), d.size
    assert row["d_z"] == pytest.approx(dz)
    half = stats.norm.ppf(0.975) * np.sqrt(1 / n + dz**2 / (2 * n))
    assert (row["d_z_lo"], row["d_z_hi"]) == pytest.approx((dz - half, dz + half))
    assert "training.dz_ci" in [n["code"] for n in ev.notes]
    assert row["t"] is not None  # the t-test before it still stands


@pytest.mark.parametrize(
    ("units", "present", "absent"),
    [
        (UNITS_NO_COMPARISON, "NOT a causal effect", "difference-in-differences against"),
        (UNITS_COMPARISON, "difference-in-differences against", "NOT a causal effect"),
    ],
    ids=["no-comparison-group", "comparison-group"],
)
def test_the_report_and_the_cli_say_the_caveat_or_the_did(ws, tmp_path, capsys, units, present, absent):
    import zipfile

    from kizuna.cli import main
    from kizuna.track.training_report import write_report

    paths = write(tmp_path, roster=ROSTER, tests=make_tests(), units=units)
    import_course(ws, COURSE, KEY, **paths)
    out = write_report(ws, COURSE, tmp_path / "report")
    html = out["html"].read_text(encoding="utf-8")
    with zipfile.ZipFile(out["xlsx"]) as z:
        xlsx = "\n".join(z.read(m).decode("utf-8", errors="replace") for m in z.namelist())
    ws.con.execute("CHECKPOINT")
    ws.close()
    assert main(["training", "evaluate", "-w", str(tmp_path / "ws.duckdb")]) == 0
    said = capsys.readouterr().err
    for text in (html, xlsx, said):
        assert present in text and absent not in text
    assert "<script" not in html and "Content-Security-Policy" in html


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cell=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30))
def test_no_error_ever_quotes_the_cell_it_refuses(tmp_path, cell):
    """Whatever a person typed into a cell (a name, a phone), the error names its place, never its content."""
    planted = "ZQXplant" + cell.replace(",", "").replace('"', "").replace("\n", "")
    for kind, text in (
        ("reaction", REACTION.replace(f"{IDS[3]},5,5", f"{IDS[3]},{planted},5")),
        ("tests", make_tests().replace(f"{IDS[1]},pre,0", f"{IDS[1]},pre,{planted}")),
        ("roster", ROSTER.replace("2026-02-10,2026-02-14", f"{planted},2026-02-14", 1)),
    ):
        paths = write(tmp_path, **{"roster": ROSTER, kind: text})
        with open_workspace(tmp_path / "h.duckdb") as w, pytest.raises(InputError) as e:
            import_course(w, COURSE, KEY, **paths)
        assert "ZQXplant" not in e.value.one_line() and e.value.where.row is not None
