"""Pages and datasets of track's DDR cohorts (issue 14): registered by ``web.app``, ``web.datasets`` and
``web.render``.

The datasets are the tables of :func:`kizuna.track.ddr_report.compute` (every breakdown at once, with a
``breakdown`` column, so no new filter is needed): they hold pseudonyms' aggregates only, with groups of
fewer than 10 persons withheld. No key is read by the web server.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kizuna import i18n
from kizuna.i18n import N_, _
from kizuna.web.datasets import Ctx, Dataset, add_datasets, fetch
from kizuna.web.nav import DDR_NAV

router = APIRouter(include_in_schema=False)  # pages; the data are in the API as datasets

DDR_EMPTY = N_(
    "no DDR programme yet — run `kizuna ddr import PERSONS.csv --waves WAVES.csv --programme NAME --key PATH`"
)
NEEDS = ("ddr_programmes",)


def _report(ctx: Ctx) -> Any:
    from kizuna.track.ddr_report import compute

    return ctx.store.cached(("ddr-report", i18n.current()), compute)


def _programmes(ctx: Ctx) -> Any:
    return _report(ctx).programmes


def _groups(ctx: Ctx) -> Any:
    return _report(ctx).survival.groups


def _survival(ctx: Ctx) -> Any:
    return _report(ctx).survival.curves


def _logrank(ctx: Ctx) -> Any:
    return _report(ctx).survival.tests


def _waves(ctx: Ctx) -> Any:
    return _report(ctx).waves


def _dimensions(ctx: Ctx) -> Any:
    return _report(ctx).dimensions


def _d(name: str, title: str, description: str, fn: Any) -> Dataset:
    return Dataset(name, title, description, fn, (), NEEDS, DDR_EMPTY, "track")


DATASETS: tuple[Dataset, ...] = (
    _d(
        "ddr-programmes",
        N_("DDR programmes"),
        N_("Each DDR programme: persons, follow-up waves and the id of the key its records were stored with."),
        _programmes,
    ),
    _d(
        "ddr-groups",
        N_("DDR groups"),
        N_(
            "Persons, re-recruited and censored by breakdown (all, sex, area, cohort, programme); "
            "groups of fewer than 10 persons withheld."
        ),
        _groups,
    ),
    _d(
        "ddr-survival",
        N_("Time to re-recruitment"),
        N_(
            "Kaplan–Meier estimate of staying out of armed groups by months since entry, with Greenwood 95% "
            "intervals, for every breakdown; the lost to follow-up are censored."
        ),
        _survival,
    ),
    _d(
        "ddr-logrank",
        N_("Log-rank tests"),
        N_("Log-rank tests between the groups of each breakdown (withheld groups left out)."),
        _logrank,
    ),
    _d(
        "ddr-waves",
        N_("Share re-recruited by wave"),
        N_("Share re-recruited by each follow-up wave with its denominator: the lost are never counted as successes."),
        _waves,
    ),
    _d(
        "ddr-dimensions",
        N_("Reintegration dimensions"),
        N_(
            "IDDRS 4.30 dimensions per wave (economic, social, political, security, psychosocial): "
            "shares and means with the persons who answered."
        ),
        _dimensions,
    ),
)
NAV = DDR_NAV  # its entry of the navigation (kizuna.web.nav), shown before Sources

INTRO = N_(
    "Reintegration of ex-combatants after disarmament, demobilisation and reintegration (DDR): time to "
    "re-recruitment with the lost to follow-up censored, never counted as successes, and the IDDRS "
    "reintegration dimensions at each follow-up wave. Persons are keyed pseudonyms; no name is stored."
)


def _km_chart(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    from kizuna.web import charts

    spec = charts.line_spec(
        rows,
        "months",
        "survival",
        None,
        _("Step chart: share not re-recruited by months since entry, with 95% intervals"),
        _("Months since entry"),
        _("Not re-recruited"),
        low="lo",
        high="hi",
    )
    if spec is not None:  # a Kaplan–Meier curve is a step function: it holds until the next wave
        for layer in spec["layer"]:
            layer["mark"]["interpolate"] = "step-after"
    return spec


@router.get("/ddr", response_class=HTMLResponse)
def ddr_page(request: Request) -> HTMLResponse:
    from kizuna.web.pages import cached_page, chart_block, empty_block, figures, page, store_of, table_block

    def build(request: Request) -> HTMLResponse:
        store = store_of(request)
        progs = fetch(store, "ddr-programmes", {})
        if not progs.rows:
            return page(
                request, N_("DDR reintegration"), INTRO, [empty_block(_("DDR reintegration"), progs.empty_reason or "")]
            )
        groups = fetch(store, "ddr-groups", {})
        survival = fetch(store, "ddr-survival", {})
        overall = [r for r in survival.rows if r["breakdown"] == "all"]
        whole = next((r for r in groups.rows if r["breakdown"] == "all"), {})
        last = overall[-1] if overall else None
        hidden = sum(1 for r in groups.rows if r.get("suppressed"))
        blocks = [
            figures(
                (N_("Programmes"), i18n.number(len(progs.rows))),
                (N_("Persons"), i18n.number(whole["persons"]) if whole.get("persons") is not None else "—"),
                (
                    N_("Not re-recruited at the last wave"),
                    f"{i18n.percent(last['survival'], 1)} ({i18n.percent(last['lo'], 1)}–{i18n.percent(last['hi'], 1)})"
                    if last
                    else "—",
                ),
                (N_("Groups withheld (under 10 persons)"), i18n.number(hidden)),
            ),
            chart_block(
                "km",
                _("Time to re-recruitment: all persons (Kaplan–Meier, 95% intervals)"),
                _km_chart(overall),
                survival.empty_reason,
            ),
            table_block(groups, {}),
            table_block(fetch(store, "ddr-logrank", {}), {}),
            table_block(fetch(store, "ddr-waves", {}), {}),
            table_block(
                fetch(store, "ddr-dimensions", {}),
                {},
                columns=["breakdown", "group", "wave", "dimension_name", "outcome_name", "seen", "answered", "value"],
            ),
            table_block(survival, {}),
            table_block(progs, {}),
        ]
        return page(request, N_("DDR reintegration"), INTRO, blocks)

    return cached_page(build)(request)


add_datasets(DATASETS)
