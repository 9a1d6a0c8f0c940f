"""Pages and datasets of track's results (issue 14): registered by ``web.app``, ``web.datasets`` and ``web.render``.

The datasets are :mod:`kizuna.track.results_store`'s tables as they are (codes such as ``partial`` or
``not_summable`` stay codes in the API, CSV and XLSX); the page shows those codes in the reader's language.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kizuna import i18n
from kizuna.i18n import N_
from kizuna.web.datasets import Ctx, Dataset, add_datasets
from kizuna.web.nav import RESULTS_NAV

router = APIRouter(include_in_schema=False)

EMPTY = N_(
    "no results yet — ingest IATI files with results (`kizuna ingest FILE`) or indicator tables "
    "(`kizuna results import FILE`)"
)


def _progress(ctx: Ctx) -> Any:
    from kizuna.track.results_store import results_progress

    return results_progress(ctx.ws, date.today())


def _missing(ctx: Ctx) -> Any:
    from kizuna.track.results_store import results_missing

    return results_missing(ctx.ws, date.today())


def _rollup(ctx: Ctx) -> Any:
    from kizuna.track.results_store import results_rollup

    return results_rollup(ctx.ws).rolled


def _not_rolled(ctx: Ctx) -> Any:
    from kizuna.track.results_store import results_rollup

    return results_rollup(ctx.ws).not_rolled


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "results-progress",
        N_("Progress toward targets"),
        N_(
            "Each indicator period of IATI results and indicator tables: baseline, target, actual, change and "
            "progress = (actual − baseline) / (target − baseline), with its status (kizuna.track)."
        ),
        _progress,
        (),
        (),
        EMPTY,
        "track",
    ),
    Dataset(
        "results-missing",
        N_("Periods ended without an actual"),
        N_("Indicator periods whose end has passed (as of today) with no actual value reported."),
        _missing,
        (),
        (),
        EMPTY,
        "track",
    ),
    Dataset(
        "results-rollup",
        N_("Roll-up across agencies"),
        N_(
            "Sums per year of indicators that share a reference code (vocabulary and code), a unit and an "
            "additive measure, across organisations; nothing else is added up."
        ),
        _rollup,
        (),
        (),
        EMPTY,
        "track",
    ),
    Dataset(
        "results-not-rolled",
        N_("Not rolled up, and why"),
        N_("Each indicator left out of the roll-up, with the reason (no shared code, mixed units, percentages, ...)."),
        _not_rolled,
        (),
        (),
        EMPTY,
        "track",
    ),
)
NAV = RESULTS_NAV  # its entry of the navigation (kizuna.web.nav), shown before Sources

PROGRESS_COLUMNS = [
    "org",
    "activity_id",
    "indicator_title",
    "indicator_measure",
    "unit",
    "disaggregation",
    "area",
    "period_end",
    "baseline",
    "target",
    "actual",
    "progress_pct",
    "status",
    "note",
]
ROLLUP_COLUMNS = [
    "vocabulary",
    "indicator_code",
    "unit",
    "year",
    "n_orgs",
    "orgs",
    "target_sum",
    "actual_sum",
    "progress_pct",
]
LEFT_COLUMNS = ["org", "indicator_title", "indicator_code", "indicator_measure", "unit", "reason"]


def _words(block: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """Our own codes (status, measure, reason, note) in the reader's language, not marked as data."""
    from kizuna.track.progress import MEASURE_LABELS, NOT_ROLLED_REASONS, NOTES, STATUS_LABELS

    tables = {"status": STATUS_LABELS, "indicator_measure": MEASURE_LABELS, "reason": NOT_ROLLED_REASONS, "note": NOTES}
    for row in block["rows"]:
        for k, column in enumerate(columns[: len(row)]):
            if column in tables and row[k]["text"]:
                codes = str(row[k]["text"]).split(";")
                text = "; ".join(i18n.gettext(tables[column].get(c, c)) for c in codes)
                row[k] = {**row[k], "text": text, "data": False, "title": None}
    return block


@router.get("/results", response_class=HTMLResponse)
def results_page(request: Request) -> HTMLResponse:
    from kizuna.web.datasets import fetch
    from kizuna.web.pages import Names, figures, notes_block, page, store_of, table_block

    store = store_of(request)
    names = Names(store)
    prog = fetch(store, "results-progress", {})
    missing = fetch(store, "results-missing", {})
    roll = fetch(store, "results-rollup", {})
    left = fetch(store, "results-not-rolled", {})
    rows = prog.rows
    no_target = sum(1 for r in rows if r.get("status") == "no_target")
    listed = sum(1 for r in rows if r.get("status") == "listed")
    blocks: list[dict[str, Any]] = [
        figures(
            (N_("Indicator periods"), i18n.number(len(rows))),
            (N_("From IATI results"), i18n.number(sum(1 for r in rows if r.get("source") == "iati"))),
            (N_("From indicator tables"), i18n.number(sum(1 for r in rows if r.get("source") == "table"))),
            (N_("Ended without an actual"), i18n.number(missing.total)),
            (N_("Achieved"), i18n.number(sum(1 for r in rows if r.get("status") == "achieved"))),
            (N_("Codes rolled up"), i18n.number(roll.total)),
        )
    ]
    if rows:
        notes: list[dict[str, Any]] = [
            {
                "code": "results.formula",
                "message": N_(
                    "Progress = (actual − baseline) / (target − baseline): the share of the targeted change "
                    "achieved, for ascending and descending indicators alike. Without a baseline an ascending "
                    "indicator starts from 0; a target equal to its baseline is achieved or not, without a percentage."
                ),
            },
            {
                "code": "results.not_numeric",
                "message": N_(
                    "{no_target} periods have no numeric target and {listed} hold qualitative, nominal or text "
                    "values: they get no percentage and are never averaged."
                ),
                "params": {"no_target": i18n.number(no_target), "listed": i18n.number(listed)},
            },
        ]
        if not roll.rows:
            notes.append(
                {
                    "code": "results.no_rollup",
                    "message": N_(
                        "No indicators of different organisations share a reference code and a unit: nothing is "
                        "rolled up (see the table of what was left out and why)."
                    ),
                }
            )
        blocks.append(notes_block("limits", i18n.gettext(N_("What these data can and cannot show")), notes))
    blocks.append(_words(table_block(prog, {}, columns=PROGRESS_COLUMNS, names=names), PROGRESS_COLUMNS))
    gone = _words(table_block(missing, {}, columns=PROGRESS_COLUMNS[:8], names=names), PROGRESS_COLUMNS[:8])
    if rows and not missing.rows:
        gone["empty"] = i18n.gettext(N_("Every period that has ended has an actual value."))
    blocks.append(gone)
    blocks.append(table_block(roll, {}, columns=ROLLUP_COLUMNS, names=names))
    blocks.append(_words(table_block(left, {}, columns=LEFT_COLUMNS, names=names), LEFT_COLUMNS))
    return page(
        request,
        N_("Results"),
        N_(
            "Progress toward targets from IATI results and indicator tables, periods that ended without an actual, "
            "and a roll-up across agencies only where indicators share a reference code and a unit."
        ),
        blocks,
    )


add_datasets(DATASETS)
