"""DDR personal data never leave the workspace in clear (issue 14, acceptance).

One workspace receives, through the real CLI, a DDR persons sheet and a waves sheet carrying planted names,
phones, national ids, exact dates of birth, notes and commanders. Then every DDR command runs (import,
programmes, survival and waves by every breakdown, dimensions, the report as HTML/XLSX/JSON/CSV) and the
`/ddr` page (English and Japanese) and every DDR dataset of the API (JSON, CSV, XLSX) are fetched in
process. No planted value may appear in any of them, nor in the captured stdout, stderr and logs. Without
the key, the sealed fields are unreadable: the workspace file and its WAL hold no plaintext of them.
"""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path

import pytest

from kizuna.cli import main
from kizuna.track.ddr_readers import NAMESPACE
from kizuna.track.protect import load_key, pseudonym, unseal
from tests.planted import file_text, leaks

N = 40
AREAS = ["XA01"] * 20 + ["XA02"] * 14 + ["XA03"] * 6  # XA03: 6 persons, withheld
NAMES = [f"Plantedname Ddrperson{i:03d}" for i in range(N)]
PHONES = [f"+211 955 44{i:04d}" for i in range(N)]
NIDS = [f"NIDDDR{i:06d}" for i in range(N)]
IDS = [f"PLANTID-{i:05d}" for i in range(N)]
DOBS = [f"19{70 + i % 20}-0{1 + i % 9}-1{i % 10}" for i in range(N)]
NOTES = [f"Plantednote lives near the mill {i}" for i in range(N)]
COMMANDERS = [f"Plantedcmdr Vorn{i:02d}" for i in range(N)]
WAVE_NOTES = [f"Plantedwavenote {i}" for i in range(N)]
SEALED = PHONES + DOBS + NOTES + COMMANDERS + WAVE_NOTES


def planted_values() -> list[str]:
    return (
        NAMES
        + PHONES
        + NIDS
        + IDS
        + DOBS
        + NOTES
        + COMMANDERS
        + WAVE_NOTES
        + ["Plantedname", "Plantednote", "Plantedcmdr", "NIDDDR", "PLANTID"]
    )


def write_inputs(folder: Path) -> tuple[Path, Path]:
    persons = ["person_id,name,national_id,sex,date_of_birth,entry_date,area,former_group,phone,notes,former_commander"]
    waves = [
        "person_id,wave_month,status,employed,income,accepted,rerecruited,died,notes,"
        + ",".join(f"who5_{j}" for j in range(1, 6))
    ]
    for i in range(N):
        persons.append(
            f"{IDS[i]},{NAMES[i]},{NIDS[i]},{'f' if i % 3 == 0 else 'm'},{DOBS[i]},2024-0{1 + i % 2}-15,{AREAS[i]},"
            f"Front {i % 2},{PHONES[i]},{NOTES[i]},{COMMANDERS[i]}"
        )
        for k, month in enumerate((3, 6, 12)):
            lost = (i + k) % 7 == 0
            event = k == 1 and i % 5 == 0
            status = "lost" if lost else "seen"
            answers = "" if lost else f"{'yes' if i % 2 else 'no'},{100 + i},yes,{'yes' if event else 'no'},no"
            who = ",".join([""] * 5) if lost else ",".join(str((i + j) % 6) for j in range(5))
            note = WAVE_NOTES[i] if k == 0 else ""
            waves.append(f"{IDS[i]},{month},{status},{answers or ',,,,'},{note},{who}")
    p, w = folder / "persons.csv", folder / "waves.csv"
    p.write_text("\n".join(persons) + "\n", encoding="utf-8")
    w.write_text("\n".join(waves) + "\n", encoding="utf-8")
    return p, w


def _workspace_bytes(ws: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (ws, Path(str(ws) + ".wal")) if p.exists())


@pytest.fixture(scope="module")
def ddr_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ddr-planted")
    ws = tmp / "ws.duckdb"
    keydir = tmp_path_factory.mktemp("ddr-key")
    key = keydir / "ddr.key"
    persons, waves = write_inputs(tmp)
    said: list[str] = []
    written: list[Path] = []
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    logging.getLogger().addHandler(handler)

    def run(args: list[str]) -> int:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main([*args, "-w", str(ws)] if args[0] != "key" else args)
        said.append(out.getvalue() + err.getvalue())
        return rc

    try:
        assert run(["key", "new", str(key)]) == 0
        assert (
            run(
                ["ddr", "import", str(persons), "--waves", str(waves), "--programme", "Planted test", "--key", str(key)]
            )
            == 0
        )
        with __import__("duckdb").connect(str(ws)) as con:
            con.execute("CHECKPOINT")
        assert run(["ddr", "programmes"]) == 0
        for by in ("all", "sex", "area", "cohort", "programme"):
            for cmd in ("survival", "waves", "dimensions"):
                for fmt in ("table", "csv", "json"):
                    assert run(["ddr", cmd, "--by", by, "--format", fmt]) == 0
        xlsx = tmp / "survival.xlsx"
        assert run(["ddr", "survival", "--by", "area", "--format", "xlsx", "--out", str(xlsx)]) == 0
        written.append(xlsx)
        for lang in ("en", "ja"):
            out = tmp / f"report-{lang}"
            assert run(["--lang", lang, "ddr", "report", "--out", str(out)]) == 0
            written += sorted(out.iterdir())
    finally:
        logging.getLogger().removeHandler(handler)
    logs = "\n".join(r.getMessage() for r in records)
    return ws, key, written, said, logs


def test_no_output_file_stdout_stderr_or_log_holds_a_planted_value(ddr_run):
    _ws, _key, written, said, logs = ddr_run
    assert {p.suffix for p in written} >= {".html", ".xlsx", ".json", ".csv"}
    found = {p.name: leaks(file_text(p), planted_values()) for p in written}
    assert {k: v[:3] for k, v in found.items() if v} == {}
    assert leaks("\n".join(said), planted_values()) == []
    assert leaks(logs, planted_values()) == []
    # the outputs are not empty shells: they carry the analysis, with the small area withheld
    html = file_text(next(p for p in written if p.suffix == ".html"))
    assert "XA01" in html and "Planted test" in html
    groups = file_text(next(p for p in written if p.name == "ddr-groups.csv"))
    assert "XA03" in groups and "area,XA03,,,,True" in groups.replace("\r", "")


def test_no_page_or_api_response_holds_a_planted_value(ddr_run):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app
    from kizuna.web.datasets import DATASETS as ALL  # first: it gathers the track pages' datasets

    DATASETS = [d for d in ALL.values() if d.name.startswith("ddr-")]
    assert len(DATASETS) == 6

    ws, _key, _w, _s, _l = ddr_run
    app = create_app(ws, cache_size=0)
    bodies: dict[str, str] = {}
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            for url in ("/ddr", "/ddr?lang=ja", "/", "/sources", "/api", "/api/v1/openapi.json"):
                r = client.get(url)
                assert r.status_code == 200, url
                bodies[url] = r.text
            for ds in DATASETS:
                for fmt in ("json", "csv", "xlsx"):
                    r = client.get(f"/api/v1/{ds.name}", params={"format": fmt})
                    assert r.status_code == 200, (ds.name, fmt)
                    if fmt == "xlsx":
                        x = Path(str(ws) + f".{ds.name}.xlsx")
                        x.write_bytes(r.content)
                        bodies[f"{ds.name} xlsx"] = file_text(x)
                    else:
                        bodies[f"{ds.name} {fmt}"] = r.text
    finally:
        app.state.store.close()
    assert "Kaplan" in bodies["/ddr"] and "XA01" in bodies["ddr-survival json"]
    found = {u: leaks(t, planted_values()) for u, t in bodies.items()}
    assert {k: v[:3] for k, v in found.items() if v} == {}


def test_without_the_key_the_stored_sensitive_fields_are_unreadable(ddr_run):
    ws, key, _w, _s, _l = ddr_run
    raw = _workspace_bytes(ws)
    text = raw.decode("utf-8", errors="replace")
    assert leaks(text, planted_values()) == []
    for value in SEALED:  # not even as UTF-16 or with the text split across a page boundary
        assert value.encode("utf-8") not in raw and value.encode("utf-16-le") not in raw
    # with the key they open again (the control: the values are really stored, sealed)
    import duckdb

    k = load_key(key)
    with duckdb.connect(str(ws), read_only=True) as con:
        person = pseudonym(k, IDS[0], NAMESPACE)
        blob = con.execute("SELECT phone_sealed FROM ddr_persons WHERE person = ?", [person]).fetchall()[0][0]
    assert unseal(k, blob, f"{person}|phone") == PHONES[0]
    # another key, or the right key on another person's row, does not open it
    from kizuna.errors import InputError
    from kizuna.track.protect import TrackKey

    with pytest.raises(InputError) as info:
        unseal(TrackKey.from_secret(bytes(32)), blob, f"{person}|phone")
    assert info.value.code == "track.key_wrong"
    with pytest.raises(InputError):
        unseal(k, blob, f"{pseudonym(k, IDS[1], NAMESPACE)}|phone")


def test_a_second_import_with_another_key_is_refused_in_one_line(ddr_run, tmp_path, capsys):
    ws, _key, _w, _s, _l = ddr_run
    other = tmp_path / "other.key"
    assert main(["key", "new", str(other)]) == 0
    persons, _waves = write_inputs(tmp_path)
    capsys.readouterr()
    rc = main(["ddr", "import", str(persons), "--programme", "Planted test", "--key", str(other), "-w", str(ws)])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error[track.key_wrong]: ") and err.count("\n") == 1
    assert leaks(err, planted_values()) == []


def test_a_missing_key_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KIZUNA_TRACK_KEY", raising=False)
    persons, _w = write_inputs(tmp_path)
    rc = main(["ddr", "import", str(persons), "--programme", "P", "-w", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error[track.key_missing]: ") and err.count("\n") == 1


def test_the_search_finds_the_planted_values_where_they_really_are(tmp_path):
    """The control: the same search over the inputs finds them, so the scans above can fail."""
    persons, waves = write_inputs(tmp_path)
    found = set(leaks(file_text(persons) + file_text(waves), planted_values()))
    assert set(NAMES + PHONES + NIDS + DOBS + COMMANDERS + WAVE_NOTES) <= found
