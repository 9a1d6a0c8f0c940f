"""Every table the dashboard shows, named once: the API serves it, pages draw it, downloads export it.

A :class:`Dataset` names the library function that computes it, the filters it takes, the tables
it needs and the empty state to show when its part has not run on this workspace. The web layer
adds nothing to the numbers: a dataset's rows are exactly what its library function returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kizuna.output import to_json_records
from kizuna.web import queries
from kizuna.web.store import ReadOnlyStore
from kizuna.workspace import Workspace


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    description: str


FILTERS: dict[str, Filter] = {
    f.name: f
    for f in (
        Filter("country", "Country", "ISO 3166-1 alpha-2 code of the country, e.g. XZ"),
        Filter("publisher", "Ally", "the ally's (reporting publisher's) organisation ref, e.g. US-GOV-1"),
        Filter("sector", "Sector", "DAC sector code or prefix (vocabulary 1 or 2), e.g. 152 or 15220"),
        Filter("adm1", "Area", "first-level administrative area code or name, e.g. XZ01"),
    )
}


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    fetch: Callable[..., Any]  # (ws, **filters) -> rows (list of dicts or a Polars frame)
    filters: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # tables that must exist and hold rows
    empty: str = "nothing here yet"  # the empty state when the part has not run
    part: str = "ledger"


@dataclass
class Result:
    """Rows of one dataset for one set of filters, and why it is empty when it is."""

    dataset: Dataset
    rows: list[dict[str, Any]]
    empty_reason: str | None  # None when there are rows

    @property
    def total(self) -> int:
        return len(self.rows)


def _sources(ws: Workspace) -> Any:
    from kizuna.ledger.queries import list_sources

    return list_sources(ws)


def _activities(
    ws: Workspace,
    country: str | None = None,
    publisher: str | None = None,
    sector: str | None = None,
    adm1: str | None = None,
) -> Any:
    from kizuna.ledger.queries import ActivityFilter, list_activities

    rows = list_activities(ws, ActivityFilter(country=country, sector=sector, publisher=publisher))
    if adm1:
        inside = queries.activity_uids_in_area(ws, adm1)
        rows = [r for r in rows if r["activity_uid"] in inside]
    return rows


LEDGER_EMPTY = "no activities yet — run `kizuna ingest FILE` (IATI XML or a 3W sheet) or `kizuna demo`"

WHERE = ("country", "publisher", "sector", "adm1")

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "countries",
            "Countries",
            "Countries with activities, most activities first.",
            queries.countries,
            (),
            ("activities", "activity_countries"),
            LEDGER_EMPTY,
        ),
        Dataset(
            "allies",
            "Totals by ally",
            "Each ally's activities and money in USD: committed (type 2), spent (types 3 and 4).",
            queries.allies,
            ("country",),
            ("activities", "flows"),
            LEDGER_EMPTY,
        ),
        Dataset(
            "activities",
            "Activities",
            "Activities with their ally, status, dates, countries, sectors and spend in USD.",
            _activities,
            WHERE,
            ("activities",),
            LEDGER_EMPTY,
        ),
        Dataset(
            "activity-points",
            "Activity locations",
            "Activity locations with coordinates, for maps.",
            queries.activity_points,
            WHERE,
            ("activities", "locations"),
            LEDGER_EMPTY,
        ),
        Dataset(
            "sectors",
            "Sectors",
            "DAC sectors of activities with names, most activities first.",
            queries.sectors,
            ("country",),
            ("activities", "activity_sectors"),
            LEDGER_EMPTY,
        ),
        Dataset(
            "areas",
            "Areas",
            "First-level administrative areas named by activity locations.",
            queries.admin_areas,
            ("country",),
            ("activities", "locations"),
            LEDGER_EMPTY,
        ),
        Dataset(
            "presence",
            "Who does what where",
            "Activities per first-level area and ally (long form of the heat matrix).",
            queries.presence,
            WHERE,
            ("activities",),
            LEDGER_EMPTY,
        ),
        Dataset(
            "sources",
            "Sources",
            "Every import with its provenance: file, sha256, publisher, counts, time.",
            _sources,
            (),
            ("imports",),
            "no imports yet — run `kizuna ingest FILE` or `kizuna demo`",
        ),
    )
}


def ready(store: ReadOnlyStore, ds: Dataset) -> bool:
    """True when the dataset's tables exist and its first one holds rows."""
    if not store.has_tables(*ds.needs):
        return False
    if not ds.needs:
        return True

    def count(ws: Workspace) -> int:
        return int(ws.scalar(f'SELECT count(*) FROM "{ds.needs[0]}"') or 0)

    return store.cached(("count", ds.needs[0]), count) > 0


def fetch(store: ReadOnlyStore, name: str, filters: dict[str, str | None]) -> Result:
    """The rows of dataset ``name`` for ``filters`` (unknown filters ignored, blanks = no filter)."""
    ds = DATASETS[name]
    if not ready(store, ds):
        return Result(ds, [], ds.empty)
    clean = {k: (filters.get(k) or None) for k in ds.filters}
    key = ("dataset", name, tuple(sorted(clean.items())))
    rows = store.cached(key, lambda ws: to_json_records(ds.fetch(ws, **clean)))
    return Result(ds, rows, None if rows else "nothing matches these filters")


def synthetic(store: ReadOnlyStore) -> bool:
    """Whether the workspace holds synthetic (demo) data: pages then show a banner."""
    if not store.has_tables("imports", "activities"):
        return False
    return bool(store.cached(("synthetic",), queries.holds_synthetic_data))
