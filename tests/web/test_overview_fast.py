"""The overview without per-request caches (issue 15): the ledger datasets narrowed from data-version
precomputations give exactly what the per-request queries give, the precomputations follow the data
version, and a remembered table cell is the cell :func:`kizuna.web.pages.cell` makes."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from kizuna import i18n
from kizuna.output import to_json_records
from kizuna.web import datasets, queries
from kizuna.web.app import ResponseCache, create_app
from kizuna.web.store import ReadOnlyStore


@pytest.fixture(scope="module")
def demo_store(demo_ws: Path):
    store = ReadOnlyStore(demo_ws, cache_size=0)  # every per-request cache off: each fetch narrows again
    yield store
    store.close()


def _ally_uids(store: ReadOnlyStore, ally: str) -> set[str]:
    with store.workspace() as ws:
        return datasets.ally_uids(datasets.Ctx(ws, store), ally)


def reference_activities(store: ReadOnlyStore, country=None, ally=None, publisher=None, sector=None, adm1=None):
    """The activities dataset as it was computed on every request before issue 15: the ledger's query."""
    from kizuna.ledger.queries import ActivityFilter, list_activities

    with store.workspace() as ws:
        rows = list_activities(ws, ActivityFilter(country=country, sector=sector, publisher=publisher))
        if adm1:
            inside = queries.activity_uids_in_area(ws, adm1)
            rows = [r for r in rows if r["activity_uid"] in inside]
    if ally:
        theirs = _ally_uids(store, ally)
        rows = [r for r in rows if r["activity_uid"] in theirs]
    return to_json_records(rows)


def reference_points(store: ReadOnlyStore, country=None, ally=None, publisher=None, sector=None, adm1=None):
    with store.workspace() as ws:
        rows = queries.activity_points(ws, country, publisher, sector, adm1)
    if ally:
        theirs = _ally_uids(store, ally)
        rows = [r for r in rows if r["activity_uid"] in theirs]
    return to_json_records(rows)


FILTERS = [
    {},
    {"country": "XZ"},
    {"country": "XZ", "publisher": "XZ-SYN-ALLYA"},
    {"sector": "152"},
    {"sector": "15220", "country": "XZ"},
    {"sector": "1"},
    {"adm1": "XZ01"},
    {"country": "XZ", "adm1": "XZ03"},
    {"ally": "Ally A"},
    {"country": "XZ", "ally": "UN", "sector": "1"},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "none")
def test_activities_and_points_narrowed_from_the_precomputed_rows_equal_the_ledger_queries(demo_store, filters):
    publishers = {r["publisher_ref"] for r in datasets.fetch(demo_store, "publishers", {}).rows}
    if filters.get("publisher") and filters["publisher"] not in publishers:
        filters = {**filters, "publisher": sorted(publishers)[0]}
    acts = datasets.fetch(demo_store, "activities", filters)
    assert acts.rows == reference_activities(demo_store, **filters)
    points = datasets.fetch(demo_store, "activity-points", filters)
    assert points.rows == reference_points(demo_store, **filters)
    if not filters:
        assert len(acts.rows) == 236 and len(points.rows) > 100  # the demo: every activity, every located site


@pytest.mark.parametrize("country", [None, "XZ"])
def test_publishers_of_every_country_at_once_equal_the_one_country_query(demo_store, country):
    with demo_store.workspace() as ws:
        expected = [
            r
            for r in to_json_records(queries.publishers(ws, country))
            if not (str(r["publisher_ref"] or "").startswith("3W:") and not r["committed_usd"] and not r["spent_usd"])
        ]
    got = datasets.fetch(demo_store, "publishers", {"country": country}).rows
    assert got == expected
    assert sum(r["spent_usd"] for r in got) > 0


@pytest.mark.parametrize(
    "filters",
    [{}, {"country": "XZ"}, {"country": "XZ", "ally": "Ally A", "sector": "152"}, {"adm1": "XZ01"}, {"sector": "15"}],
    ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "none",
)
def test_presence_of_every_country_at_once_narrowed_equals_presence_of_one_country(demo_store, filters):
    from kizuna.coordinate.presence import presence

    with demo_store.workspace() as ws:
        frames = datasets.frames(datasets.Ctx(ws, demo_store))
    level = "adm1" if filters.get("adm1") else "country"
    df = presence(frames, by="ally", sector_level="dac3", admin_level=level, country=filters.get("country"))
    df = datasets.narrow(df, ally=filters.get("ally"), adm1=filters.get("adm1"))
    df = df.filter(datasets.sector_matches("sector", filters.get("sector"))).drop("org_key", strict=False)
    expected = to_json_records(df)
    got = datasets.fetch(demo_store, "presence", filters).rows
    assert [{k: v for k, v in r.items() if not k.startswith("usd")} for r in got] == [
        {k: v for k, v in r.items() if not k.startswith("usd")} for r in expected
    ]
    # sums of the same flows, grouped by the same cells: equal up to the order of the additions
    for a, b in zip(got, expected, strict=True):
        for k in a:
            if k.startswith("usd"):
                assert a[k] == pytest.approx(b[k], rel=1e-12, abs=1e-6)
    assert got, "the demo has presence for each of these filters"


def test_the_overview_is_the_same_page_with_every_cache_off_and_on(demo_ws):
    pages = {}
    for size in (0, 512):
        app = create_app(demo_ws, cache_size=size)
        with TestClient(app) as c:
            pages[size] = [c.get(u).text for u in ("/?country=XZ", "/?country=XZ&lang=ja", "/?lang=en")]
        app.state.store.close()
    assert pages[0] == pages[512]
    assert "Money by publisher" in pages[0][0] and "カルタラ" in pages[0][1]


# --- the data version ----------------------------------------------------------------------------


@pytest.fixture()
def mini_copy(mini_ws: Path, tmp_path: Path) -> Path:
    path = tmp_path / "copy.duckdb"
    shutil.copy(mini_ws, path)
    return path


def test_the_data_version_changes_with_an_import_and_with_an_ally_rule(mini_copy):
    from kizuna.coordinate.allies import set_rule
    from kizuna.workspace import open_workspace

    def version() -> tuple:
        store = ReadOnlyStore(mini_copy)
        try:
            return store.data_version()
        finally:
            store.close()

    before = version()
    ws = open_workspace(mini_copy)
    with ws.transaction() as con:
        ws.record_import(con, kind="demo", path=Path("more.xml"), sha256="c" * 64, publisher="X", counts={})
    ws.close()
    after_import = version()
    assert after_import != before
    ws = open_workspace(mini_copy)
    set_rule(ws, "XX-NEW", "Ally Z")
    ws.close()
    assert version() not in (before, after_import)


def test_a_new_data_version_drops_every_precomputation_and_cached_response(mini_copy):
    app = create_app(mini_copy, cache_size=64, watch=True)
    store = app.state.store
    calls: list[int] = []

    def probe(_ws) -> int:
        calls.append(1)
        return len(calls)

    told: list[int] = []
    store.on_change(lambda: told.append(1))
    with TestClient(app) as c:
        assert c.get("/").status_code == 200
        assert store.cached(("probe",), probe, keep=True) == 1
        assert c.get("/").status_code == 200  # the same version: the precomputation stays
        assert store.cached(("probe",), probe, keep=True) == 1 and told == []
        store._read_version = lambda: ("a write happened",)  # type: ignore[method-assign]
        assert c.get("/").status_code == 200  # the app re-reads the version before answering
        assert store.data_version() == ("a write happened",)
        assert told == [1]
        assert store.cached(("probe",), probe, keep=True) == 2  # built again, from the new data
    store.close()


def test_a_response_cache_forgets_everything_when_cleared():
    cache = ResponseCache(4)
    cache.put(("/", b"#en"), (200, [], b"page"))
    assert cache.get(("/", b"#en")) is not None
    cache.clear()
    assert cache.get(("/", b"#en")) is None


# --- remembered cells ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column,value",
    [
        ("start_date", "2025-01-01"),
        ("spend_usd", 1234567.891),
        ("share", 0.25),
        ("sectors", "15220,12220"),
        ("title", "[SYNTHETIC] A <b>bold</b> & long title " + "x" * 400),
        ("file_sha256", "a" * 64),
        ("activities", 3),
        ("country", "XZ"),
    ],
)
def test_a_remembered_cell_is_the_cell_in_each_language_with_its_element(column, value):
    from kizuna.web.pages import cell, table_cell
    from kizuna.web.render import td

    seen = {}
    for lang in ("en", "ja", "en"):
        with i18n.use(lang):
            got = table_cell(column, value, None)
            assert got == cell(column, value)
            assert got.html == td(cell(column, value))  # type: ignore[attr-defined]
            seen[lang] = got
    assert "&lt;b&gt;" in td(cell("title", "<b>x</b>"))  # data are escaped in the element
    if column in ("start_date", "country"):
        assert seen["en"]["text"] != seen["ja"]["text"]  # remembered per language, not across


def test_a_copied_or_changed_cell_builds_its_own_element():
    from kizuna.web.pages import table_cell
    from kizuna.web.render import Cell, cells

    shared = table_cell("title", "Water", None)
    assert isinstance(shared, Cell) and 'translate="no"' in str(cells([shared]))
    copy = {**shared, "data": False}
    assert 'translate="no"' not in str(cells([copy]))
    assert 'translate="no"' in str(cells([table_cell("title", "Water", None)]))  # the shared one unchanged
    own = Cell({"text": "t", "cls": "", "data": True, "title": None, "full": None, "items": None})
    own["data"] = False
    assert str(cells([own])) == "<td>t</td>"


def test_the_map_of_points_keeps_its_rows_narrowed_by_location_country(demo_store):
    """A point counts for a country when its location names that country or none (the old query's rule)."""
    rows = datasets.fetch(demo_store, "activity-points", {"country": "XZ"}).rows
    assert rows and all(set(r) == set(rows[0]) for r in rows)
    assert not set(queries.POINT_KEYS) & set(rows[0])
    assert pl.DataFrame(rows).height == len(rows)


def test_a_map_whose_points_load_from_the_api_is_the_same_from_its_four_extreme_points(demo_store):
    from kizuna.web import charts

    rows = datasets.fetch(demo_store, "activity-points", {"country": "XZ"}).rows
    url = {"Activities": "/api/v1/activity-points?country=XZ&limit=1000"}
    whole = charts.map_spec({"Activities": rows}, {"Activities": ["title"]}, "map", urls=url)
    assert whole is not None and len(datasets.extreme_points(rows)) == 4
    assert (
        charts.map_spec({"Activities": datasets.extreme_points(rows)}, {"Activities": ["title"]}, "map", urls=url)
        == whole
    )
    assert datasets.extreme_points([{"lat": None, "lon": 1.0}]) == []


# --- what a page derives from precomputed rows (charts, tables as HTML) ------------------------------


def test_what_a_page_derives_from_precomputed_rows_is_built_once_per_language_and_goes_with_the_rows():
    from kizuna.web.pages import derived

    rows = datasets.Records([{"a": 1}])
    built: list[str] = []

    def build() -> str:
        built.append(i18n.current())
        return f"spec in {i18n.current()}"

    assert derived(rows, ("chart",), build) == "spec in en"
    assert derived(rows, ("chart",), build) == "spec in en"
    with i18n.use("ja"):
        assert derived(rows, ("chart",), build) == "spec in ja"
    assert derived(rows, ("another chart",), build) == "spec in en"
    assert built == ["en", "ja", "en"]
    # rows that are not a precomputation (a per-request list) remember nothing
    plain = [{"a": 1}]
    derived(plain, ("chart",), build)
    derived(plain, ("chart",), build)
    assert built == ["en", "ja", "en", "en", "en"]
    # a copy of the rows (as a new data version builds) starts with nothing remembered
    derived(datasets.Records(rows), ("chart",), build)
    assert len(built) == 6


def test_a_new_data_version_serves_rows_without_the_old_versions_derived_values(demo_ws, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(demo_ws, path)
    app = create_app(path, cache_size=0)
    store = app.state.store
    with TestClient(app) as c:
        first = c.get("/?country=XZ").text
        old = datasets.fetch(store, "activities", {"country": "XZ"}).rows
        assert isinstance(old, datasets.Records) and vars(old).get("derived"), "the overview remembered its table"
        store.invalidate(("a write happened",))
        new = datasets.fetch(store, "activities", {"country": "XZ"}).rows
        assert new is not old and not vars(new).get("derived")
        assert c.get("/?country=XZ").text == first  # rebuilt from the (same) data: the same page
    store.close()


def test_a_table_whose_cells_a_page_changes_renders_from_its_changed_cells(demo_store):
    """table_block remembers a precomputed table's cells and HTML; a page that changes cells afterwards
    (screening's rule text, track's codes) copies the rows and drops the remembered HTML."""
    from kizuna.web import pages
    from kizuna.web.render import tbody

    result = datasets.fetch(demo_store, "activities", {"country": "XZ"})
    block = pages.table_block(result, {"country": "XZ"}, columns=pages.ACTIVITY_COLUMNS)
    assert isinstance(result.rows, datasets.Records) and block["body"] is not None
    plain = pages.table_block(
        datasets.Result(result.dataset, list(result.rows), None), {"country": "XZ"}, columns=pages.ACTIVITY_COLUMNS
    )
    assert plain["body"] is None and tbody(plain) == tbody(block)  # remembered HTML = HTML of the cells
    changed = {**block, "rows": [list(r) for r in block["rows"]], "body": None}
    changed["rows"][0][0] = {**changed["rows"][0][0], "text": "CHANGED"}
    assert "CHANGED" in tbody(changed) and "CHANGED" not in tbody(block)
