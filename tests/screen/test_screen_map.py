"""Issue 15, layering: a screening register's map is made when the register is screened and kept with it,
so a page or an API request reads no layer file: the map still draws after every input file is gone, and
with Python's file functions made to fail. Registers stored before maps were kept get theirs at the next
``kizuna screen``. Geography and names are fictional."""

from __future__ import annotations

import builtins
import io
import json
import pathlib
from pathlib import Path

import pytest
from tests.screen.test_screen_reliability import ACLED_COLS, AS_OF, COMMUNITIES, WELL, _acled, _csv, _write

from kizuna.screen.run import screen_files
from kizuna.web.screen_map import register_layers
from kizuna.workspace import open_workspace

COLS = [*ACLED_COLS, "actor1"]


def _inputs(tmp_path: Path) -> tuple[Path, Path, Path]:
    proposal = _write(tmp_path / "p.toml", WELL.format(id="P-1", lon=30.009))
    communities = _write(tmp_path / "communities.csv", COMMUNITIES)
    events = _csv(
        tmp_path / "acled.csv",
        COLS,
        [
            {**_acled(1, 8.0, 30.01, 1), "actor1": "Militia of Nowhere"},  # near, a place: drawn
            _acled(2, 8.0, 30.02, 3),  # near but located only to an area: counted by area, not drawn
            _acled(3, 12.0, 35.0, 1),  # a place, far from the site: not drawn
        ],
    )
    return proposal, communities, events


def _no_file_io(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a layer file was read: {args[:1]}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    for name in ("open", "read_bytes", "read_text", "is_file", "exists", "stat"):
        monkeypatch.setattr(pathlib.Path, name, refuse)


def test_the_map_is_kept_with_the_register_and_drawn_with_no_file_read(tmp_path, monkeypatch):
    proposal, communities, events = _inputs(tmp_path)
    with open_workspace(tmp_path / "w.duckdb") as ws:
        (rid,) = screen_files([proposal], as_of=AS_OF, communities=communities, events=events, ws=ws).register_ids
    for f in (proposal, communities, events):
        f.unlink()  # every input gone: the map comes from the workspace alone
    with open_workspace(tmp_path / "w.duckdb", read_only=True) as ws:
        stored = ws.query("SELECT layers FROM screen_registers")[0]["layers"]
        with monkeypatch.context() as m:
            _no_file_io(m)
            out = register_layers(ws, rid)
    assert out["register"] == rid and out["missing"] == []
    assert out["site"] == [{"name": "borehole", "kind": "point", "lat": 8.0, "lon": 30.009}]
    assert [c["name"] for c in out["communities"]] == ["Amber Ford", "Blue Hill"]
    assert [(e["lat"], e["lon"], e["fatalities"]) for e in out["events"]] == [(8.0, 30.01, 2)]
    assert set(out["events"][0]) == {"date", "category", "sub_category", "fatalities", "lat", "lon"}
    assert "Militia of Nowhere" not in stored  # actor names are not even stored with the map


def test_the_api_serves_the_map_after_the_files_are_gone(tmp_path):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    proposal, communities, events = _inputs(tmp_path)
    with open_workspace(tmp_path / "w.duckdb") as ws:
        screen_files([proposal], as_of=AS_OF, communities=communities, events=events, ws=ws)
    for f in (proposal, communities, events):
        f.unlink()
    app = create_app(tmp_path / "w.duckdb")
    try:
        with TestClient(app) as client:
            site = client.get("/api/v1/screening-site").json()["items"]
            near = client.get("/api/v1/screening-events").json()["items"]
            page = client.get("/screening").text
    finally:
        app.state.store.close()
    assert [(s["lat"], s["lon"]) for s in site] == [(8.0, 30.009)]
    assert [(e["lat"], e["lon"]) for e in near] == [(8.0, 30.01)]
    assert "moved or changed" not in page


def _forget_map(ws_path: Path) -> None:
    """Make the stored register look like one stored before maps were kept with registers."""
    with open_workspace(ws_path) as ws:
        for r in ws.query("SELECT register_id, layers FROM screen_registers"):
            layers = json.loads(r["layers"])
            layers.pop("map")
            ws.con.execute(
                "UPDATE screen_registers SET layers = ? WHERE register_id = ?", [json.dumps(layers), r["register_id"]]
            )


def test_an_older_register_gets_its_map_at_the_next_screening(tmp_path):
    proposal, communities, events = _inputs(tmp_path)
    ws_path = tmp_path / "w.duckdb"
    with open_workspace(ws_path) as ws:
        (rid,) = screen_files([proposal], as_of=AS_OF, communities=communities, events=events, ws=ws).register_ids
    _forget_map(ws_path)
    with open_workspace(ws_path, read_only=True) as ws:
        before = register_layers(ws, rid)
    # no map kept and none read at request time: the page names the proposal file
    assert before["site"] == [] and before["missing"] == ["p.toml"]
    other = _write(tmp_path / "q.toml", WELL.format(id="P-2", lon=30.5))
    with open_workspace(ws_path) as ws:
        screen_files([other], as_of=AS_OF, ws=ws)
    communities.unlink()  # read at the backfill above, not needed since
    with open_workspace(ws_path, read_only=True) as ws:
        after = register_layers(ws, rid)
    assert [(s["lat"], s["lon"]) for s in after["site"]] == [(8.0, 30.009)]
    assert len(after["communities"]) == 2 and len(after["events"]) == 1 and after["missing"] == []


def test_an_older_register_whose_files_moved_is_kept_with_the_missing_files_named(tmp_path):
    proposal, communities, events = _inputs(tmp_path)
    ws_path = tmp_path / "w.duckdb"
    with open_workspace(ws_path) as ws:
        (rid,) = screen_files([proposal], as_of=AS_OF, communities=communities, events=events, ws=ws).register_ids
    _forget_map(ws_path)
    events.write_text("changed since screening\n", encoding="utf-8")  # its sha256 no longer matches
    communities.unlink()
    with open_workspace(ws_path) as ws:
        screen_files([_write(tmp_path / "q.toml", WELL.format(id="P-2", lon=30.5))], as_of=AS_OF, ws=ws)
    with open_workspace(ws_path, read_only=True) as ws:
        out = register_layers(ws, rid)
    assert out["missing"] == ["communities.csv", "acled.csv"]
    assert len(out["site"]) == 1 and out["communities"] == [] and out["events"] == []


def test_the_web_keeps_the_same_event_columns_as_the_screen_part():
    from kizuna.screen import map_layers
    from kizuna.web import screen_map

    assert screen_map.EVENT_COLUMNS == map_layers.EVENT_COLUMNS
