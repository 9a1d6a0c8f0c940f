"""Page and datasets of track's training evaluation (issue 14): registered by ``web.app``, ``web.datasets`` and
``web.render``.

Every dataset is :func:`kizuna.track.training.evaluate` of a stored course (through
:func:`kizuna.track.training_store.evaluate_stored`): aggregates of pseudonymous participants only, sessions
below the minimum cell withheld. The ``course`` filter takes a course the workspace holds.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kizuna import i18n
from kizuna.i18n import N_, _
from kizuna.web.datasets import Ctx, Dataset, add_datasets
from kizuna.web.nav import TRAINING_NAV

router = APIRouter(include_in_schema=False)  # a page, not an API operation
EMPTY = N_("no training courses yet — run `kizuna training import --course NAME --roster ROSTER.csv --key KEY`")
INTRO = N_(
    "Training evaluated at Kirkpatrick's four levels: reaction, learning (pre/post tests), behaviour (follow-up "
    "observations) and results (unit outcomes). Participants are pseudonyms; sessions of fewer than 10 people "
    "are not shown separately."
)
NEEDS = ("training_courses",)


def _courses(ctx: Ctx) -> Any:
    from kizuna.track.training_store import list_courses

    return list_courses(ctx.ws)


def _evaluations(ctx: Ctx, course: str | None) -> list[Any]:
    from kizuna.track.training_store import course_names, evaluate_stored

    names = [course] if course else course_names(ctx.ws)
    return [evaluate_stored(ctx.ws, c) for c in names]


def _table(part: str) -> Any:
    def run(ctx: Ctx, course: str | None = None) -> Any:
        from kizuna.track.training import levels_table, note_texts

        frames = []
        for ev in _evaluations(ctx, course):
            if part == "levels":
                df = levels_table(ev)
            elif part == "notes":
                df = pl.DataFrame(
                    {
                        "code": [n["code"] for n in ev.notes],
                        "note": note_texts(ev),
                        "outcome": [(n.get("params") or {}).get("outcome") for n in ev.notes],
                    },
                    schema={"code": pl.String, "note": pl.String, "outcome": pl.String},
                )
            else:
                df = getattr(ev, part)
            if df.is_empty():
                continue
            if "course" not in df.columns:
                df = df.insert_column(0, pl.Series("course", [ev.course] * df.height, pl.String))
            frames.append(df)
        return pl.concat(frames, how="diagonal_relaxed") if frames else []

    return run


def _d(name: str, title: str, description: str, fetch: Any, filters: tuple[str, ...] = ("course",)) -> Dataset:
    return Dataset(name, title, description, fetch, filters, NEEDS, EMPTY, "track")


DATASETS: tuple[Dataset, ...] = (
    _d(
        "training-courses",
        N_("Training courses"),
        N_("Courses with their sessions, participants and inputs."),
        _courses,
        (),
    ),
    _d(
        "training-levels",
        N_("Kirkpatrick levels"),
        N_("One row per headline statistic of each level: n, estimate, 95% confidence interval and p."),
        _table("levels"),
    ),
    _d(
        "training-notes",
        N_("Training notes"),
        N_("What the evaluation leaves out or cannot claim (unpaired people, small groups, causality)."),
        _table("notes"),
    ),
    _d(
        "training-reaction",
        N_("Reaction items"),
        N_("Level 1: each Likert item's answers, mean, SD, share agreeing (4 or 5) and distribution."),
        _table("reaction_items"),
    ),
    _d(
        "training-scales",
        N_("Reaction scales"),
        N_("Level 1: each scale's mean, share agreeing and Cronbach's alpha."),
        _table("reaction_scales"),
    ),
    _d(
        "training-paired",
        N_("Learning and behaviour"),
        N_("Levels 2 and 3: paired t-test, Wilcoxon signed-rank test, effect sizes and normalised gain."),
        _table("paired"),
    ),
    _d(
        "training-items",
        N_("Test items"),
        N_("Level 2: difficulty and discrimination of each test item, before and after."),
        _table("test_items"),
    ),
    _d(
        "training-results",
        N_("Unit results"),
        N_("Level 4: unit outcomes before and after; difference-in-differences where there are comparison units."),
        _table("results"),
    ),
    _d(
        "training-sessions",
        N_("Training sessions"),
        N_("Per session: participants, reaction, test means (sessions of fewer than 10 participants withheld)."),
        _table("by_session"),
    ),
)
NAV = TRAINING_NAV  # its entry of the navigation (kizuna.web.nav), shown before Sources


@router.get("/training", response_class=HTMLResponse)
def training_page(request: Request) -> HTMLResponse:
    from kizuna.web.datasets import fetch
    from kizuna.web.pages import Names, cached_page, empty_block, figures, page, read_filters, store_of, table_block

    @cached_page
    def build(request: Request) -> HTMLResponse:
        store = store_of(request)
        filters = read_filters(request, ("course",))
        courses = fetch(store, "training-courses", {})
        if not courses.rows:
            return page(request, N_("Training"), INTRO, [empty_block(_("Training"), courses.empty_reason or "")])
        choices = {"course": [(str(r["course"]), str(r["course"]), True) for r in courses.rows]}
        course = filters["course"] or str(courses.rows[0]["course"])
        row = next(r for r in courses.rows if str(r["course"]) == course)
        chosen = {"course": course}
        names = Names(store)
        notes = fetch(store, "training-notes", chosen)
        blocks = [
            figures(
                (N_("Course"), course),
                (N_("Sessions"), i18n.number(row["sessions"])),
                (N_("Participants"), i18n.number(row["participants"])),
            ),
            # as a table: a note may name an outcome (a data value, in the data's language)
            table_block(notes, chosen, title=_("What these figures cannot show"), columns=["outcome", "note"]),
            table_block(
                fetch(store, "training-levels", chosen),
                chosen,
                columns=["level_name", "statistic", "outcome", "n_obs", "value", "lo", "hi", "p"],
                names=names,
            ),
            table_block(fetch(store, "training-scales", chosen), chosen, names=names),
            table_block(fetch(store, "training-reaction", chosen), chosen, names=names),
            table_block(fetch(store, "training-paired", chosen), chosen, names=names),
            table_block(fetch(store, "training-items", chosen), chosen, names=names),
            table_block(fetch(store, "training-results", chosen), chosen, names=names),
            table_block(fetch(store, "training-sessions", chosen), chosen, names=names),
            table_block(courses, {}, names=names),
        ]
        return page(request, N_("Training"), INTRO, blocks, filters, choices)

    return build(request)


add_datasets(DATASETS)
