"""A course's evaluation report (HTML, self-contained, no script; and XLSX), and the levels table the CLI prints.

The page renders from ``report/templates/training.html`` through the reports' one Jinja environment
(:func:`kizuna.report.environment`) in the language of the moment (strings in ``i18n/ja/track_training.po``);
the workbook goes through :func:`kizuna.output.write_xlsx` (formula-safe cells, a Notes sheet). Neither holds a
participant: only pseudonymous aggregates, sessions below the minimum cell withheld.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from kizuna import i18n
from kizuna.i18n import N_
from kizuna.output import write_xlsx
from kizuna.report import CSP_NO_SCRIPT, environment, table
from kizuna.track.training import Evaluation, evaluate, levels_table, note_texts
from kizuna.track.training_store import course_names, load_course
from kizuna.workspace import Workspace

SHEET_ABOUT = {
    N_("levels"): N_("One row per headline statistic of each Kirkpatrick level, with n, confidence interval and p."),
    N_("reaction items"): N_("Level 1: each Likert item's answers, mean, SD, share agreeing and distribution."),
    N_("reaction scales"): N_("Level 1: each scale's mean, share agreeing and Cronbach's alpha."),
    N_("paired change"): N_("Levels 2 and 3: paired tests, effect sizes and normalised gain."),
    N_("test items"): N_("Level 2: item difficulty and discrimination of the pre- and post-test."),
    N_("unit results"): N_("Level 4: unit outcomes before and after, and difference-in-differences."),
    N_("sessions"): N_("Per session (sessions below the minimum cell withheld)."),
}


def _evaluations(ws: Workspace, course: str | None) -> list[Evaluation]:
    names = [course] if course else course_names(ws)
    return [evaluate(load_course(ws, c)) for c in names]


def levels_of(ws: Workspace, course: str | None = None) -> tuple[pl.DataFrame, list[str]]:
    """The levels of ``course`` (every course when None), and their notes, in the reader's language."""
    evs = _evaluations(ws, course)
    if not evs:
        return pl.DataFrame(), [i18n.gettext(EMPTY)]
    notes = []
    for ev in evs:
        notes += [f"{ev.course}: {t}" for t in note_texts(ev)]
    return pl.concat([levels_table(ev) for ev in evs], how="diagonal_relaxed"), notes


EMPTY = N_("no training courses yet — run `kizuna training import --course NAME --roster ROSTER.csv --key KEY`")


def sheets(ev: Evaluation) -> dict[str, pl.DataFrame]:
    """The report's tables by sheet (message ids as keys)."""
    return {
        N_("levels"): levels_table(ev),
        N_("reaction items"): ev.reaction_items,
        N_("reaction scales"): ev.reaction_scales,
        N_("paired change"): ev.paired,
        N_("test items"): ev.test_items,
        N_("unit results"): ev.results,
        N_("sessions"): ev.by_session,
    }


LEVEL_COLUMNS = [
    ("level_name", "text"),
    ("statistic", "text"),
    ("outcome", "data"),
    ("n_obs", "int"),
    ("value", "est"),
    ("lo", "est"),
    ("hi", "est"),
    ("p", "est"),
]
ITEM_COLUMNS = [
    ("scale", "data"),
    ("item", "data"),
    ("n_answers", "int"),
    ("mean", "score"),
    ("sd", "score"),
    ("share_agree", "percent"),
] + [(f"answers_{k}", "int") for k in range(1, 6)]
SCALE_COLUMNS = [
    ("scale", "data"),
    ("items", "int"),
    ("respondents", "int"),
    ("mean", "score"),
    ("sd", "score"),
    ("share_agree", "percent"),
    ("complete", "int"),
    ("alpha", "score"),
]
PAIRED_COLUMNS = [
    ("level", "int"),
    ("pairs", "int"),
    ("only_first", "int"),
    ("only_second", "int"),
    ("mean_first", "score"),
    ("mean_second", "score"),
    ("mean_change", "score"),
    ("lo", "score"),
    ("hi", "score"),
    ("t", "score"),
    ("p", "est"),
    ("wilcoxon_p", "est"),
    ("d_z", "score"),
    ("g", "score"),
    ("gain", "score"),
    ("share_improved", "percent"),
    ("reliability", "score"),
]
TEST_COLUMNS = [
    ("phase", "data"),
    ("item", "data"),
    ("people", "int"),
    ("difficulty", "score"),
    ("discrimination", "score"),
    ("alpha_if_deleted", "score"),
]
RESULT_COLUMNS = [
    ("outcome", "data"),
    ("group", "data"),
    ("units", "int"),
    ("before", "score"),
    ("after", "score"),
    ("mean_change", "score"),
    ("estimate", "score"),
    ("se", "score"),
    ("lo", "score"),
    ("hi", "score"),
    ("p", "est"),
]
SESSION_COLUMNS = [
    ("session", "data"),
    ("participants", "int"),
    ("reaction_mean", "score"),
    ("pairs", "int"),
    ("mean_pre", "score"),
    ("mean_post", "score"),
    ("mean_change", "score"),
    ("suppressed", "yesno"),
]


def report_html(ev: Evaluation) -> str:
    """One self-contained page (inline CSS, no script, nothing fetched), all text escaped."""
    return (
        environment()
        .get_template("training.html")
        .render(
            title=ev.course,
            csp=CSP_NO_SCRIPT,
            synthetic=ev.synthetic,
            participants=ev.participants,
            sessions=ev.sessions,
            notes=note_texts(ev),
            levels=table(levels_table(ev), LEVEL_COLUMNS),
            items=table(ev.reaction_items, ITEM_COLUMNS),
            scales=table(ev.reaction_scales, SCALE_COLUMNS),
            paired=table(ev.paired, PAIRED_COLUMNS),
            tests=table(ev.test_items, TEST_COLUMNS),
            results=table(ev.results, RESULT_COLUMNS),
            by_session=table(ev.by_session, SESSION_COLUMNS),
        )
    )


def _stem(course: str) -> str:
    from kizuna.reference.orgs import name_slug

    return "training-" + (name_slug(course) or "course")


def write_report(ws: Workspace, course: str, out_dir: Path) -> dict[str, Path]:
    """Write ``training-<course>.html`` and ``.xlsx`` into ``out_dir``; their paths."""
    ev = evaluate(load_course(ws, course))
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = _stem(course)
    paths = {"html": out_dir / f"{stem}.html", "xlsx": out_dir / f"{stem}.xlsx"}
    paths["html"].write_text(report_html(ev), encoding="utf-8")
    write_xlsx(
        sheets(ev),
        paths["xlsx"],
        about=SHEET_ABOUT,
        notes=note_texts(ev),
        sources=[
            i18n.gettext(N_("The course's roster, reaction forms, tests, follow-ups and unit results as imported."))
        ],
        synthetic=ev.synthetic,
    )
    return paths


def page_context(ev: Evaluation) -> dict[str, Any]:
    """What the web page needs beyond the datasets (figures and notes)."""
    return {"participants": ev.participants, "sessions": ev.sessions, "notes": note_texts(ev)}
