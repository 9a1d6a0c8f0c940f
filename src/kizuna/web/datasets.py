"""Every table the dashboard shows, named once: the API serves it, pages draw it, downloads export it.

A :class:`Dataset` names the library function that computes it, the filters it takes, the tables it
needs and the empty state to show when its part has not run on this workspace. The web layer adds
nothing to the numbers: a dataset's rows are what its part's function returned, at most narrowed to
the rows a filter names.

Sources: the ledger's queries (:mod:`kizuna.ledger.queries`), coordinate's analyses
(:mod:`kizuna.coordinate`, on the ledger frames of :func:`kizuna.coordinate.load.load_ledger`),
measure's stored runs and screen's stored registers; :mod:`kizuna.web.queries` holds the few
read-only queries no part offers yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from kizuna import i18n
from kizuna.i18n import N_
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
        Filter("country", N_("Country"), N_("ISO 3166-1 alpha-2 code of the country, e.g. XZ")),
        Filter("ally", N_("Ally"), N_("ally name as kizuna.coordinate assigns it, e.g. Japan or Ally A")),
        Filter("publisher", N_("Publisher"), N_("reporting publisher's organisation ref, e.g. US-GOV-1")),
        Filter(
            "sector",
            N_("Sector"),
            N_(
                "DAC sector code or prefix (vocabulary 1 or 2), e.g. 152 or 15220; "
                "on Gaps, a humanitarian cluster such as Health"
            ),
        ),
        Filter("adm1", N_("Area"), N_("first-level administrative area code or name, e.g. XZ01")),
        Filter(
            "activity",
            N_("Activity"),
            N_("activity ids (reporting-org ref|iati-identifier), comma-separated; other filters then do not apply"),
        ),
        Filter("register", N_("Register"), N_("screening register id (a number), e.g. 1")),
        Filter("group", N_("Subgroups"), N_("subgroup variable of the vital-core run: all, admin1, sex, ...")),
        Filter("round", N_("Round"), N_("survey round of the vital-core run, e.g. 1")),
        # track, training evaluation (issue 14): the course a training dataset is for
        Filter("course", N_("Course"), N_("training course name as imported, as listed by training-courses")),
    )
}


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    fetch: Callable[..., Any]  # (ctx, **filters) -> rows (list of dicts or a Polars frame)
    filters: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # tables that must exist and hold rows
    empty: str = "nothing here yet"  # the empty state when the part has not run
    part: str = "ledger"


class Ctx:
    """What a dataset's function gets: the request's workspace cursor and the server's store.

    ``ws=None``: the cursor is opened when first used (most datasets read precomputed rows and need none;
    :meth:`close` closes it)."""

    def __init__(self, ws: Workspace | None, store: ReadOnlyStore):
        self._ws = ws
        self._opened: Any = None
        self.store = store

    @property
    def ws(self) -> Workspace:
        if self._ws is None:
            self._opened = self.store.workspace()
            self._ws = self._opened.__enter__()
        return self._ws

    def close(self) -> None:
        if self._opened is not None:
            self._opened.__exit__(None, None, None)
            self._opened, self._ws = None, None


@dataclass
class Result:
    """Rows of one dataset for one set of filters, and why it is empty when it is."""

    dataset: Dataset
    rows: list[dict[str, Any]]
    empty_reason: str | None  # None when there are rows

    @property
    def total(self) -> int:
        return len(self.rows)


# --- helpers -----------------------------------------------------------------------------------


def frames(ctx: Ctx) -> Any:
    """coordinate's ledger frames, loaded once per server (the workspace cannot change meanwhile)."""
    from kizuna.coordinate.load import load_ledger

    return ctx.store.cached(("ledger-frames",), load_ledger, keep=True)


# Values of the ``ally`` column that name a group of organisations, not an ally: the registry's UN,
# multilateral and NGO groups, its catch-all of other governments, and kizuna.coordinate.allies'
# fallbacks by organisation type ("NGOs", "Multilaterals") and for nothing known ("Other").
NOT_ALLIES = frozenset({"UN", "Multilaterals", "NGOs", "Other governments", "Other"})


def is_ally(name: str | None) -> bool:
    """Whether an ``ally`` value names an ally (a government or public donor such as the United States,
    Japan, the EU or the demo's Ally A), not a group of UN agencies, multilaterals or NGOs."""
    return bool(name) and name not in NOT_ALLIES


def ally_uids(ctx: Ctx, ally: str) -> set[str]:
    """Activities whose reporting organisation counts under ``ally`` (kizuna.coordinate's mapping)."""
    from kizuna.coordinate.model import activity_orgs

    orgs = ctx.store.remember(("activity-allies",), lambda: activity_orgs(frames(ctx), "reporting"), keep=True)
    return set(orgs.filter(pl.col("ally") == ally).get_column("activity_uid").to_list())


def sector_matches(column: str, sector: str | None) -> pl.Expr:
    """Rows whose sector code and the filter are prefixes of one another (152 matches 15220 and back)."""
    if not sector:
        return pl.lit(True)
    col = pl.col(column).cast(pl.String).fill_null("")
    return col.str.starts_with(sector) | pl.lit(sector).str.starts_with(col) & (col != "")


def narrow(df: pl.DataFrame, **equal: str | None) -> pl.DataFrame:
    """Keep rows whose columns equal the given values (None = no condition)."""
    for column, value in equal.items():
        if value:
            df = df.filter(pl.col(column) == value)
    return df


def as_int(value: str | None, field: str) -> int | None:
    """A numeric filter (``register``) as a number; :func:`check_filters` has checked its form already."""
    return int(value) if value else None


# --- ledger ------------------------------------------------------------------------------------


def _sources(ctx: Ctx) -> Any:
    from kizuna.ledger.queries import list_sources

    return list_sources(ctx.ws)


class Records(list[dict[str, Any]]):
    """Rows already in their JSON form (:func:`kizuna.output.to_json_records`): :func:`fetch` serves them
    as they are. The ledger datasets narrow precomputed rows of this kind per request; a precomputed one
    is shared by every request of its data version, so nobody changes it."""

    _extremes: list[dict[str, Any]] | None = None

    def extremes(self) -> list[dict[str, Any]]:
        """:func:`extreme_points` of these rows, found once."""
        if self._extremes is None:
            self._extremes = extreme_points(self)
        return self._extremes


def extreme_points(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The located rows (``lat``/``lon`` set) furthest west, east, south and north: they span the
    extent of all of them, which is all a map whose points load from the API needs of its rows."""
    located = [r for r in rows if r.get("lat") is not None and r.get("lon") is not None]
    if not located:
        return []
    return [
        min(located, key=lambda r: r["lon"]),
        max(located, key=lambda r: r["lon"]),
        min(located, key=lambda r: r["lat"]),
        max(located, key=lambda r: r["lat"]),
    ]


# --- ledger: data-version precomputations (kizuna.web.store, "keep") --------------------------------
# The ledger's datasets are narrowed per request from rows computed once per data version (and per
# language, for the names and titles in them) by the very queries that answer one request
# (kizuna.ledger.queries.list_activities, kizuna.web.queries): a filter then costs a pass over the rows
# in Python rather than a DuckDB query planned over the narratives and organisation-name views.
# Each is rebuilt when the data version changes (ReadOnlyStore.refresh); tests/web/test_overview_fast.py
# checks every filter against the per-request queries.


@dataclass(frozen=True)
class ActivityIndex:
    """Which activities each filter value matches (:func:`kizuna.web.queries.activity_match_keys`)."""

    by_country: dict[str, frozenset[str]]
    by_sector: dict[str, frozenset[str]]  # DAC code -> activities
    by_adm1: dict[str, frozenset[str]]

    @classmethod
    def build(cls, ws: Workspace) -> ActivityIndex:
        keys = queries.activity_match_keys(ws)

        def group(pairs: list[tuple[Any, str]]) -> dict[str, frozenset[str]]:
            out: dict[str, set[str]] = {}
            for value, uid in pairs:
                out.setdefault(str(value), set()).add(uid)
            return {k: frozenset(v) for k, v in out.items()}

        return cls(group(keys["country"]), group(keys["sector"]), group(keys["adm1"]))

    def matching(self, country: str | None, sector: str | None, adm1: str | None) -> set[str] | None:
        """Activities the filters match (None: no filter), as :class:`kizuna.ledger.queries.ActivityFilter`
        matches them: the country exactly (upper case), a DAC code starting with ``sector``, a location in
        ``adm1``."""
        found: set[str] | None = None
        if country:
            found = set(self.by_country.get(country.upper(), ()))
        if sector:
            in_sector = {u for code, uids in self.by_sector.items() if code.startswith(sector) for u in uids}
            found = in_sector if found is None else found & in_sector
        if adm1:
            in_area = self.by_adm1.get(adm1, frozenset())
            found = set(in_area) if found is None else found & in_area
        return found


def activity_index(ctx: Ctx) -> ActivityIndex:
    return ctx.store.cached(("activity-index",), ActivityIndex.build, keep=True)


def _all_activities(ctx: Ctx) -> Records:
    """Every activity as :func:`kizuna.ledger.queries.list_activities` lists it (its order), in the
    language of the moment's titles and names."""
    from kizuna.ledger.queries import ActivityFilter, list_activities

    return ctx.store.cached(
        ("all-activities", queries.data_lang()),
        lambda ws: Records(to_json_records(list_activities(ws, ActivityFilter()))),
        keep=True,
    )


def _activities(
    ctx: Ctx,
    country: str | None = None,
    ally: str | None = None,
    publisher: str | None = None,
    sector: str | None = None,
    adm1: str | None = None,
) -> Any:
    """:func:`kizuna.ledger.queries.list_activities` with the ledger's filters, an area and an ally: the
    precomputed rows narrowed (each activity's countries, sectors and spend do not depend on the filter)."""
    rows = _all_activities(ctx)
    if not (country or sector or adm1 or publisher or ally):
        return rows
    if country and not (sector or adm1 or publisher or ally):  # one country (the overview): per data version
        by_country = _by_country(ctx, "activities", lambda: ((r, ANY_PLACE) for r in rows))
        return by_country.get(country.upper(), Records())
    uids = activity_index(ctx).matching(country, sector, adm1)
    theirs = ally_uids(ctx, ally) if ally else None
    return Records(
        r
        for r in rows
        if (uids is None or r["activity_uid"] in uids)
        and (not publisher or r["publisher_ref"] == publisher)
        and (theirs is None or r["activity_uid"] in theirs)
    )


def _all_points(ctx: Ctx) -> list[tuple[str, Any, Any, Any, dict[str, Any]]]:
    """Every located point (:func:`kizuna.web.queries.all_activity_points`) as (activity, the location's
    country, publisher ref, adm1, the row as served)."""

    def build(ws: Workspace) -> list[tuple[str, Any, Any, Any, dict[str, Any]]]:
        out = []
        for r in to_json_records(queries.all_activity_points(ws)):
            loc_country, publisher = (r.pop(k) for k in queries.POINT_KEYS)
            out.append((r["activity_uid"], loc_country, publisher, r["adm1"], r))
        return out

    return ctx.store.cached(("all-points", queries.data_lang()), build, keep=True)


def _points(
    ctx: Ctx,
    country: str | None = None,
    ally: str | None = None,
    publisher: str | None = None,
    sector: str | None = None,
    adm1: str | None = None,
    activity: str | None = None,
) -> Any:
    """:func:`kizuna.web.queries.activity_points`: the precomputed points narrowed by the same rules (the
    activity matches the ledger's filters; the point lies in the country, or names none, and in the area)."""
    if activity:
        return queries.activity_points_of(ctx.ws, activity.split(","))
    if not (ally or publisher or sector or adm1):
        points = _all_points(ctx)
        if not country:
            return ctx.store.cached(
                ("all-point-rows", queries.data_lang()), lambda _ws: Records(p[-1] for p in points), keep=True
            )
        # one country (the overview's map): its points, per data version
        in_country = _by_country(ctx, "points", lambda: ((p[-1], p[1]) for p in points))
        return in_country.get(country.upper(), Records())
    uids = activity_index(ctx).matching(country, sector, adm1)
    theirs = ally_uids(ctx, ally) if ally else None
    c = country.upper() if country else None
    return Records(
        row
        for uid, loc_country, pub, area, row in _all_points(ctx)
        if (uids is None or uid in uids)
        and (c is None or loc_country is None or loc_country == c)
        and (not adm1 or area == adm1)
        and (not publisher or pub == publisher)
        and (theirs is None or uid in theirs)
    )


ANY_PLACE = object()  # a row that is not a place: it counts wherever its activity does


def _by_country(ctx: Ctx, name: str, rows: Callable[[], Iterable[tuple[dict[str, Any], Any]]]) -> dict[str, Records]:
    """``rows()`` — (row with ``activity_uid``, the country its place names or None, or :data:`ANY_PLACE`) —
    split by the countries the ledger's country filter matches their activity to (:class:`ActivityIndex`);
    a place counts in a country when it names that country or none (the rule of
    :func:`kizuna.web.queries.activity_points`); order kept. Per data version and language, under ``name``."""

    def build(_ws: Workspace) -> dict[str, Records]:
        countries: dict[str, list[str]] = {}
        for c, uids in activity_index(ctx).by_country.items():
            for uid in uids:
                countries.setdefault(uid, []).append(c)
        out: dict[str, Records] = {}
        for r, place in rows():
            for c in countries.get(r["activity_uid"], ()):
                if place is ANY_PLACE or place is None or place == c:
                    out.setdefault(c, Records()).append(r)
        return out

    return ctx.store.cached(("by-country", name, queries.data_lang()), build, keep=True)


def _without_empty_3w(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if not (str(r.get("publisher_ref") or "").startswith("3W:") and not r["committed_usd"] and not r["spent_usd"])
    ]


def _publishers(ctx: Ctx, country: str | None = None) -> Any:
    """Publishers with their money; a 3W organisation (key ``3W:…``) that records no money is left
    out: a 3W sheet says who works where, not how much, so it would only add zero-value rows to the
    money tables and charts. Every country's table is computed at once per data version
    (:func:`kizuna.web.queries.publishers_by_country`)."""

    def build(ws: Workspace) -> dict[str | None, Records]:
        tables: dict[str | None, Records] = {
            c: Records(to_json_records(_without_empty_3w(rows)))
            for c, rows in queries.publishers_by_country(ws).items()
        }
        tables[None] = Records(to_json_records(_without_empty_3w(queries.publishers(ws, None))))
        return tables

    tables = ctx.store.cached(("all-publishers", queries.data_lang()), build, keep=True)
    return tables.get(country.upper() if country else None, Records())


def _ws(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(ctx: Ctx, **kw: Any) -> Any:
        return fn(ctx.ws, **kw)

    call.__doc__ = fn.__doc__
    return call


# --- coordinate --------------------------------------------------------------------------------


def _presence(
    ctx: Ctx, country: str | None = None, ally: str | None = None, sector: str | None = None, adm1: str | None = None
) -> Any:
    """kizuna.coordinate's presence table (allies x DAC 3-digit sectors, by country or by area), computed
    for every country at once per data version and language, then narrowed: its cells are grouped by
    country, so one country's rows are those of ``presence(..., country=...)``."""
    from kizuna.coordinate.presence import presence

    level = "adm1" if adm1 else "country"

    def build(_ws: Workspace) -> dict[str | None, Records]:
        df = presence(frames(ctx), by="ally", sector_level="dac3", admin_level=level, country=None)
        rows = to_json_records(df.drop("org_key", strict=False))
        tables: dict[str | None, Records] = {None: Records(rows)}
        for r in rows:
            tables.setdefault(r["country"], Records()).append(r)
        return tables

    tables = ctx.store.cached(("all-presence", level, queries.data_lang()), build, keep=True)  # names per language
    rows = tables.get(country, Records())
    if not (ally or adm1 or sector):
        return rows
    return Records(
        r
        for r in rows
        if (not ally or r.get("ally") == ally)
        and (not adm1 or r.get("adm1") == adm1)
        and _sector_match(r["sector"], sector)
    )


def _sector_match(code: Any, sector: str | None) -> bool:
    """:func:`sector_matches` for one value: the code and the filter are prefixes of one another."""
    if not sector:
        return True
    text = "" if code is None else str(code)
    return text.startswith(sector) or (text != "" and sector.startswith(text))


def _overlaps(ctx: Ctx, country: str | None = None, ally: str | None = None, sector: str | None = None) -> Any:
    from kizuna.coordinate.overlap import find_overlaps

    key = ("overlaps", country, queries.data_lang())  # names per language
    res = ctx.store.cached(key, lambda _ws: find_overlaps(frames(ctx), country=country))
    df = res.pairs.drop("org_key_a", "org_key_b", strict=False)
    if ally:
        df = df.filter((pl.col("ally_a") == ally) | (pl.col("ally_b") == ally))
    return df.filter(sector_matches("sector_code", sector))


def _gap_result(ctx: Ctx, country: str | None) -> Any:
    """kizuna.coordinate's gap analysis of the needs table (given at start, or stored) for ``country``."""
    from kizuna.coordinate.gaps import gap_analysis
    from kizuna.geo.areas import area_names

    needs = ctx.store.needs_table()

    def run(ws: Workspace) -> Any:
        areas = area_names(ws, country) if ctx.store.has_tables("admin_areas") else None
        return gap_analysis(frames(ctx), needs, areas=areas, country=country)

    return ctx.store.cached(("gap-analysis", country, queries.data_lang()), run)


def _gaps(ctx: Ctx, country: str | None = None, sector: str | None = None, adm1: str | None = None) -> Any:
    if ctx.store.needs_table() is None:
        return []
    df = _gap_result(ctx, country).table
    return narrow(df, adm1=adm1).filter(sector_matches("sector", sector) | (pl.col("sector") == (sector or "")))


def gap_sectors(store: ReadOnlyStore, country: str | None) -> list[str]:
    """The sectors the gap rows use (humanitarian clusters, as the needs table names them), for the
    Gaps page's sector filter: offering DAC codes there would empty the page."""
    rows = fetch(store, "gaps", {"country": country}).rows
    return sorted({str(r["sector"]) for r in rows if r.get("sector")})


def _gap_notes(ctx: Ctx, country: str | None = None) -> Any:
    """What the data cannot show, for gaps: the analysis's notes (no needs table, no locations, ...)."""
    return [{"code": n["code"], "message": i18n.note_text(n)} for n in _gap_result(ctx, country).notes]


def _money(ctx: Ctx) -> pl.DataFrame:
    from kizuna.coordinate.division import donor_money

    # donors as allies, their funding role, disbursements (type 3), DAC 3-digit sectors
    return ctx.store.cached(
        ("donor-money", queries.data_lang()),
        lambda _ws: donor_money(frames(ctx), by="ally", role="funding", type_code="3", sector_level="dac3"),
    )


def _division(view: str) -> Callable[..., Any]:
    def run(ctx: Ctx, country: str | None = None, ally: str | None = None, sector: str | None = None) -> Any:
        from kizuna.coordinate import division

        fn = {
            "concentration": division.concentration,
            "shares": division.shares,
            "rca": division.rca,
            "significance": division.significance,
            "sectors": division.sectors_per_donor,
        }[view]
        from kizuna.coordinate.model import with_sector_names

        df = ctx.store.cached(("division", view, queries.data_lang()), lambda _ws: fn(_money(ctx)))
        if "sector" in df.columns and "sector_name" not in df.columns:
            df = with_sector_names(df, frames(ctx))
        if "country" in df.columns:
            df = narrow(df, country=country)
        if "donor" in df.columns:
            df = narrow(df, donor=ally)
        if "sector" in df.columns and df.schema["sector"] == pl.String:
            df = df.filter(sector_matches("sector", sector))
        return df

    return run


# --- measure -----------------------------------------------------------------------------------


def _runs(ctx: Ctx) -> Any:
    from kizuna.measure.store import list_runs

    return list_runs(ctx.ws)


def _needs(ctx: Ctx, adm1: str | None = None) -> Any:
    from kizuna.measure.needs import stored_needs

    df = stored_needs(ctx.ws)
    return narrow(df, admin1=adm1) if df.height else df


# --- screen ------------------------------------------------------------------------------------


def _registers(ctx: Ctx) -> Any:
    from kizuna.screen.store import list_registers

    return list_registers(ctx.ws)


def _register_layer(layer: str) -> Callable[..., Any]:
    def run(ctx: Ctx, register: str | None = None) -> Any:
        from kizuna.web.screen_map import register_layers

        reg = as_int(register, "register") or queries.latest_register(ctx.ws)
        if reg is None:
            return []
        return ctx.store.cached(("screen-layers", reg), lambda ws: register_layers(ws, reg))[layer]

    return run


LEDGER_EMPTY = N_("no activities yet — run `kizuna ingest FILE` (IATI XML or a 3W sheet) or `kizuna demo`")
MEASURE_EMPTY = N_("no vital-core results yet — run `kizuna measure SURVEY --spec SPEC.toml`")
SCREEN_EMPTY = N_("no screening registers yet — run `kizuna screen PROPOSAL.toml`")
WHERE = ("country", "ally", "publisher", "sector", "adm1")
MONEY = ("activities", "flows", "coordinate_ally_rules")


def _d(
    name: str,
    title: str,
    description: str,
    fetch: Callable[..., Any],
    filters: tuple[str, ...],
    needs: tuple[str, ...],
    empty: str,
    part: str,
) -> Dataset:
    return Dataset(name, title, description, fetch, filters, needs, empty, part)


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        _d(
            "countries",
            N_("Countries"),
            N_("Countries with activities, most activities first."),
            lambda ctx: ctx.store.cached(
                ("countries",), lambda ws: Records(to_json_records(queries.countries(ws))), keep=True
            ),
            (),
            ("activities", "activity_countries"),
            LEDGER_EMPTY,
            "ledger",
        ),
        _d(
            "publishers",
            N_("Totals by publisher"),
            N_(
                "Each publisher's activities and money in USD: committed (type 2), spent (types 3 and 4); "
                "3W organisations without money are left out."
            ),
            _publishers,
            ("country",),
            ("activities", "flows"),
            LEDGER_EMPTY,
            "ledger",
        ),
        _d(
            "activities",
            N_("Activities"),
            N_("Activities with their publisher, status, dates, countries, sectors and spend in USD (ledger)."),
            _activities,
            WHERE,
            ("activities",),
            LEDGER_EMPTY,
            "ledger",
        ),
        _d(
            "activity-points",
            N_("Activity locations"),
            N_("Activity locations with coordinates, for maps."),
            _points,
            (*WHERE, "activity"),
            ("activities", "locations"),
            LEDGER_EMPTY,
            "ledger",
        ),
        _d(
            "sectors",
            N_("Sectors"),
            N_("DAC sectors of activities with names, most activities first."),
            _ws(queries.sectors),
            ("country",),
            ("activities", "activity_sectors"),
            LEDGER_EMPTY,
            "ledger",
        ),
        _d(
            "areas",
            N_("Areas"),
            N_("First-level administrative areas named by activity locations."),
            _ws(queries.admin_areas),
            ("country",),
            ("activities", "locations"),
            LEDGER_EMPTY,
            "ledger",
        ),
        _d(
            "sources",
            N_("Sources"),
            N_("Every import with its provenance: file, sha256, publisher, counts, time."),
            _sources,
            (),
            ("imports",),
            N_("no imports yet — run `kizuna ingest FILE` or `kizuna demo`"),
            "ledger",
        ),
        _d(
            "presence",
            N_("Who does what where"),
            N_(
                "Ally x DAC 3-digit sector (x area when one is chosen): activities, organisations and USD "
                "(kizuna.coordinate presence)."
            ),
            _presence,
            ("country", "ally", "sector", "adm1"),
            MONEY,
            LEDGER_EMPTY,
            "coordinate",
        ),
        _d(
            "overlaps",
            N_("Overlap candidates"),
            N_(
                "Pairs of activities of different organisations in the same sector, place and time, scored, "
                "with reasons (kizuna.coordinate)."
            ),
            _overlaps,
            ("country", "ally", "sector"),
            MONEY,
            LEDGER_EMPTY,
            "coordinate",
        ),
        _d(
            "gaps",
            N_("Gaps"),
            N_("Area x sector ranked by high need and low presence (kizuna.coordinate)."),
            _gaps,
            ("country", "sector", "adm1"),
            MONEY,
            N_("no needs table — store one with `kizuna gaps --needs NEEDS.csv` (`kizuna demo` stores the demo's)"),
            "coordinate",
        ),
        _d(
            "gap-notes",
            N_("What the data cannot show"),
            N_("Statements that go with the gaps: no needs table, no subnational locations, money with no area."),
            _gap_notes,
            ("country",),
            MONEY,
            LEDGER_EMPTY,
            "coordinate",
        ),
        _d(
            "division-concentration",
            N_("Concentration by sector"),
            N_("Donors per sector: HHI, effective number of donors, lead donor (allies, disbursements)."),
            _division("concentration"),
            ("country", "sector"),
            MONEY,
            LEDGER_EMPTY,
            "coordinate",
        ),
        _d(
            "division-shares",
            N_("Shares by sector"),
            N_("Each ally's share of a sector's disbursements."),
            _division("shares"),
            ("country", "ally", "sector"),
            MONEY,
            LEDGER_EMPTY,
            "coordinate",
        ),
        _d(
            "division-rca",
            N_("Comparative advantage"),
            N_("Revealed comparative advantage (Balassa) of each ally in each sector, across the ledger."),
            _division("rca"),
            ("ally", "sector"),
            MONEY,
            LEDGER_EMPTY,
            "coordinate",
        ),
        _d(
            "division-significance",
            N_("Significant relationships"),
            N_("Which allies are significant donors to a country (OECD DAC method)."),
            _division("significance"),
            ("country", "ally"),
            MONEY,
            LEDGER_EMPTY,
            "coordinate",
        ),
        _d(
            "division-sectors",
            N_("Sectors per ally"),
            N_("Sectors each ally works in per country, against the EU Code of Conduct's three."),
            _division("sectors"),
            ("country", "ally"),
            MONEY,
            LEDGER_EMPTY,
            "coordinate",
        ),
        _d(
            "vital-core-runs",
            N_("Vital-core runs"),
            N_("Stored vital-core runs: title, k, rows used, data sha256."),
            _runs,
            (),
            ("measure_runs",),
            MEASURE_EMPTY,
            "measure",
        ),
        _d(
            "vital-core-estimates",
            N_("Vital-core estimates"),
            N_("H (headcount), A (intensity) and M0 (adjusted headcount) with SE and CI, by round and subgroup."),
            _ws(queries.vital_core_estimates),
            ("group", "round"),
            ("measure_runs", "measure_estimates"),
            MEASURE_EMPTY,
            "measure",
        ),
        _d(
            "vital-core-contributions",
            N_("Contributions by indicator"),
            N_("Censored headcounts and percentage contributions of each indicator to M0."),
            _ws(queries.vital_core_contributions),
            ("group", "round"),
            ("measure_runs", "measure_estimates"),
            MEASURE_EMPTY,
            "measure",
        ),
        _d(
            "vital-core-changes",
            N_("Change over time"),
            N_("Changes of H, A and M0 between rounds, absolute and relative, with CI."),
            _ws(queries.vital_core_changes),
            ("group",),
            ("measure_runs", "measure_changes"),
            MEASURE_EMPTY,
            "measure",
        ),
        _d(
            "vital-core-groups",
            N_("Subgroup variables"),
            N_("Subgroup variables of the latest vital-core run."),
            _ws(queries.vital_core_groups),
            (),
            ("measure_runs", "measure_estimates"),
            MEASURE_EMPTY,
            "measure",
        ),
        _d(
            "needs",
            N_("Needs by area"),
            N_("Share deprived and people in need by area and dimension, from the latest vital-core run."),
            _needs,
            ("adm1",),
            ("measure_runs", "measure_needs"),
            MEASURE_EMPTY,
            "measure",
        ),
        _d(
            "screening-registers",
            N_("Screening registers"),
            N_("Do-no-harm risk registers: proposal, category, risks, gaps, provenance."),
            _registers,
            (),
            ("screen_registers",),
            SCREEN_EMPTY,
            "screen",
        ),
        _d(
            "screening-risks",
            N_("Risks"),
            N_("Each rule that fired: why (facts), impact x likelihood, mitigation."),
            lambda ctx, register=None: queries.register_risks(ctx.ws, as_int(register, "register")),
            ("register",),
            ("screen_registers", "screen_risks"),
            SCREEN_EMPTY,
            "screen",
        ),
        _d(
            "screening-gaps",
            N_("Unknowns"),
            N_("Rules that could not be decided for want of facts."),
            lambda ctx, register=None: queries.register_gaps(ctx.ws, as_int(register, "register")),
            ("register",),
            ("screen_registers",),
            SCREEN_EMPTY,
            "screen",
        ),
        _d(
            "screening-site",
            N_("Project site"),
            N_("The register's project site (vertices of a line site)."),
            _register_layer("site"),
            ("register",),
            ("screen_registers",),
            SCREEN_EMPTY,
            "screen",
        ),
        _d(
            "screening-communities",
            N_("Communities"),
            N_("Communities of the register's layer (name, group, people)."),
            _register_layer("communities"),
            ("register",),
            ("screen_registers",),
            SCREEN_EMPTY,
            "screen",
        ),
        _d(
            "screening-events",
            N_("Conflict events"),
            N_("Events of the register's layer near the site: date, category, fatalities."),
            _register_layer("events"),
            ("register",),
            ("screen_registers",),
            SCREEN_EMPTY,
            "screen",
        ),
    )
}


def ready(store: ReadOnlyStore, ds: Dataset) -> bool:
    """True when the dataset's tables exist and its first one holds rows."""
    if not store.has_tables(*ds.needs):
        return False
    if not ds.needs:
        return True
    table = ds.needs[0]
    return store.cached(("count", table), lambda ws: queries.row_count(ws, table), keep=True) > 0


def fetch(store: ReadOnlyStore, name: str, filters: Mapping[str, str | None]) -> Result:
    """The rows of dataset ``name`` for ``filters`` (filters it does not take ignored, blanks = no
    filter; a value the workspace does not hold is an error: :func:`check_filters`)."""
    ds = DATASETS[name]
    # one rule for every dataset and page (kizuna.validate): a value the workspace does not hold is an
    # error naming the ones it holds, even where the part has not run (then the hint says what to run)
    clean = check_filters(store, ds.filters, filters, name)
    if not ready(store, ds):
        return Result(ds, [], ds.empty)
    key = ("dataset", name, queries.data_lang(), tuple(sorted(clean.items())))  # titles, names per language

    def compute() -> list[dict[str, Any]]:
        ctx = Ctx(None, store)
        try:
            return _json_rows(ds.fetch(ctx, **clean))
        finally:
            ctx.close()

    rows = store.remember(key, compute)
    if rows:
        return Result(ds, rows, None)
    if name == "gaps" and store.needs_table() is None:
        return Result(ds, [], ds.empty)
    return Result(ds, [], empty_reason(store, name, clean))


def _json_rows(rows: Any) -> list[dict[str, Any]]:
    return rows if isinstance(rows, Records) else to_json_records(rows)


# --- the values filters take (checked by kizuna.validate, declared in the OpenAPI document) ---------


def _has_rows(store: ReadOnlyStore, *tables: str) -> bool:
    return store.has_tables(*tables) and ready(store, Dataset("", "", "", lambda ctx: [], (), tables))


def _distinct(name: str) -> Callable[[ReadOnlyStore], list[str]]:
    """The values of :data:`kizuna.web.queries.FILTER_VALUES` ``name`` ([] while its tables are missing)."""
    tables = queries.FILTER_VALUES[name][1]

    def load(store: ReadOnlyStore) -> list[str]:
        if not store.has_tables(*tables):
            return []
        return store.cached(("known-values", name), lambda ws: queries.filter_values(ws, name), keep=True)

    return load


def _known_countries(store: ReadOnlyStore) -> list[str]:
    if not store.has_tables("activities", "activity_countries"):
        return []
    return store.cached(("ledger-countries",), lambda ws: [r["country"] for r in queries.countries(ws)], keep=True)


def _known_allies(store: ReadOnlyStore) -> list[str]:
    """Allies as kizuna.coordinate names them: of the publishers (presence, overlaps) and of the funders
    (division of labour)."""
    if not _has_rows(store, *MONEY):
        return []

    def load() -> list[str]:
        from kizuna.coordinate.model import activity_orgs

        with store.workspace() as ws:
            ctx = Ctx(ws, store)
            names = set(activity_orgs(frames(ctx), "reporting").get_column("ally").drop_nulls().to_list())
            names |= set(_money(ctx).get_column("donor").drop_nulls().to_list())
        return sorted(str(n) for n in names)

    return store.remember(("known", "ally"), load, keep=True)


def _known_areas(store: ReadOnlyStore) -> list[str]:
    """First-level areas as the filters match them: locations' codes, the vital-core needs' areas and the
    gap rows' areas."""

    def load() -> list[str]:
        held = set(_distinct("location-adm1")(store)) | set(_distinct("needs-adm1")(store))
        if store.needs_table() is not None and _has_rows(store, *MONEY):
            held |= {str(r["adm1"]) for r in fetch(store, "gaps", {}).rows if r.get("adm1")}
        return sorted(held)

    return store.remember(("known", "adm1"), load, keep=True)


def known_sector_names(store: ReadOnlyStore) -> list[str]:
    """Sectors of the needs table as the Gaps page offers them (humanitarian clusters such as Health)."""
    if store.needs_table() is None or not _has_rows(store, *MONEY):
        return []
    return store.remember(("known", "sector-names"), lambda: gap_sectors(store, None), keep=True)


KNOWN: dict[str, Callable[[ReadOnlyStore], list[str]]] = {
    "country": _known_countries,
    "ally": _known_allies,
    "publisher": _distinct("publisher"),
    "sector": _distinct("sector"),
    "adm1": _known_areas,
    "register": _distinct("register"),
    # "all" (the whole population) is every run's first group, and the vital-core page's default
    "group": lambda store: sorted(
        {"all"}
        | (
            {str(r["group_var"]) for r in store.cached(("known", "group"), queries.vital_core_groups, keep=True)}
            if store.has_tables("measure_runs", "measure_estimates")
            else set()
        )
    ),
    "round": _distinct("round"),
    # track, training evaluation (issue 14)
    "course": _distinct("course"),
}


def known_values(store: ReadOnlyStore, name: str) -> list[str]:
    """The values filter ``name`` accepts on this workspace, sorted ([] when it holds none, or for
    ``activity``, whose ids are too many to list)."""
    return KNOWN[name](store) if name in KNOWN else []


def check_filters(
    store: ReadOnlyStore, names: tuple[str, ...], filters: Mapping[str, str | None], dataset: str | None = None
) -> dict[str, str | None]:
    """``filters`` checked by :mod:`kizuna.validate` against what the workspace holds: a blank is no
    filter; a value of the wrong kind is a 400, one it does not hold a 404, each naming the held ones.

    ``dataset``: the dataset the filters are for (a page: its main one); the needs table's sector
    names (clusters) are sectors of ``gaps`` only."""
    from kizuna import validate

    out: dict[str, str | None] = {}
    for name in names:
        value = validate.clean(filters.get(name))
        if value is None:
            out[name] = None
        elif name == "country":
            out[name] = validate.check_country(value, known_values(store, "country"))
        elif name == "sector":
            names_ok = dataset == "gaps"
            out[name] = validate.check_sector(
                value, known_values(store, "sector"), known_sector_names(store) if names_ok else ()
            )
        elif name == "activity":
            out[name] = ",".join(_check_activities(store, value))
        else:
            out[name] = validate.check_value(name, value, known_values(store, name))
    return out


def _check_activities(store: ReadOnlyStore, value: str) -> list[str]:
    from kizuna import validate

    ids = [p.strip() for p in value.split(",") if p.strip()][:1000]
    if not store.has_tables("activities"):
        return validate.check_ids("activity", value, [], []) or []

    held, examples = store.cached(
        ("known-activities", tuple(ids)), lambda ws: queries.held_activities(ws, ids, validate.HINT_MAX)
    )
    return validate.check_ids("activity", ",".join(ids), held, examples) or []


# Why a dataset with data in its part holds no rows, when no filter explains it.
NONE: dict[str, str] = {
    "activity-points": N_("no activity in this workspace has coordinates: its files give no point locations"),
    "areas": N_("no activity location in this workspace names a first-level area"),
    "overlaps": N_("no two activities of different organisations share a sector, a place and a time"),
    "gaps": N_("the needs table and the ledger have no area and sector in common"),
    "screening-site": N_("the register's proposal file is not beside the workspace's record of it"),
}
NO_MATCH = N_("nothing matches these filters")
NO_ROWS = N_("this workspace holds no rows for this table")


def empty_reason(store: ReadOnlyStore, name: str, filters: Mapping[str, str | None]) -> str:
    """Why dataset ``name`` is empty for ``filters``: a filter narrowed it away, or the workspace has
    none at all (then "nothing matches these filters" would mislead: say what is missing)."""
    if any(filters.values()):
        everywhere = {k: None for k in filters}
        key = ("dataset", name, tuple(sorted(everywhere.items())))
        try:
            held = store.cached(key, lambda ws: to_json_records(DATASETS[name].fetch(Ctx(ws, store), **everywhere)))
        except Exception:  # noqa: BLE001 — some datasets need their filter: then the filter is why
            return NO_MATCH
        if held:
            return NO_MATCH
    return NONE.get(name, NO_ROWS)


def synthetic(store: ReadOnlyStore) -> bool:
    """Whether the workspace holds synthetic (demo) data: pages then show a banner."""
    if not store.has_tables("imports", "activities"):
        return False
    return bool(store.cached(("synthetic",), queries.holds_synthetic_data, keep=True))


def add_datasets(more: tuple[Dataset, ...]) -> None:
    """Add a part's datasets to :data:`DATASETS` (idempotent): track's (issue 14) live with their pages in
    ``web/track_*.py``, each of which calls this when it is imported."""
    for d in more:
        DATASETS[d.name] = d


def _add_track_datasets() -> None:
    import importlib

    for name in ("track_results", "track_ddr", "track_training"):
        # A track module imported first imports this one, which then finds it half-built (no DATASETS
        # yet): it adds its own at its end through add_datasets.
        add_datasets(getattr(importlib.import_module(f"kizuna.web.{name}"), "DATASETS", ()))


_add_track_datasets()
