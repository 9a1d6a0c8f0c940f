"""Pseudonymisation of training participants (issue 14, acceptance): names and ids planted in the roster, the
reaction forms, the tests and the follow-ups appear in no output of a run through the real CLI — stdout and
stderr of every command (an error included), the report's HTML and XLSX (every part of the zip), CSV/JSON/XLSX
tables, the /training page in English and Japanese, every training dataset of the API in JSON, CSV and XLSX —
nor in the workspace file's bytes after a CHECKPOINT.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import duckdb
import pytest

from kizuna.cli import main
from tests.planted import file_text, leaks, workspace_text
from tests.track.test_training import COURSE, FOLLOWUP, IDS, NAMES, REACTION, ROSTER, UNITS_COMPARISON, make_tests

PHONES = ["+211 955 311 201", "+211 955 311 202"]
PLANTED = [*NAMES, *IDS, *PHONES, "Plantedname", "PLANTID", "Observer Plantedname"]
DATASETS = [
    "training-courses",
    "training-levels",
    "training-notes",
    "training-reaction",
    "training-scales",
    "training-paired",
    "training-items",
    "training-results",
    "training-sessions",
]


def _roster_with_phones() -> str:
    lines = ROSTER.strip().split("\n")
    out = [lines[0] + ",phone"] + [f"{line},{PHONES[i % 2]}" for i, line in enumerate(lines[1:])]
    return "\n".join(out) + "\n"


def _bytes(ws: Path) -> str:
    con = duckdb.connect(str(ws))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    parts = [ws, Path(str(ws) + ".wal")]
    return "\n".join(p.read_bytes().decode("utf-8", errors="replace") for p in parts if p.exists())


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("training-planted")
    (tmp / "keys").mkdir()
    (tmp / "w").mkdir()
    key, ws = tmp / "keys" / "track.key", tmp / "w" / "ws.duckdb"
    inputs = {
        "roster": _roster_with_phones(),
        "tests": make_tests(),
        "reaction": REACTION,
        "followup": FOLLOWUP,
        "units": UNITS_COMPARISON,
    }
    paths = {}
    for kind, text in inputs.items():
        paths[kind] = tmp / f"{kind}.csv"
        paths[kind].write_text(text, encoding="utf-8")
    said: dict[str, str] = {}
    out = tmp / "out"

    def cli(name: str, args: list[str], capsys, code: int = 0) -> None:
        rc = main(args)
        captured = capsys.readouterr()
        said[name] = captured.out + captured.err
        assert rc == code, (name, said[name])

    return tmp, key, ws, paths, said, out, cli


def test_no_output_of_a_training_run_holds_a_planted_name_or_id(run, capsys):
    tmp, key, ws, paths, said, out, cli = run
    w = ["-w", str(ws)]
    cli("key", ["key", "new", str(key)], capsys)
    files = [f"--{k}={p}" for k, p in paths.items()]
    cli("import", ["training", "import", "--course", COURSE, *files, "--key", str(key), *w], capsys)
    after_import = leaks(_bytes(ws), PLANTED)
    # an import refused on a bad row: its error must not quote the row either
    bad = tmp / "bad.csv"
    bad.write_text(REACTION.replace(f"{IDS[3]},5,5", f"{IDS[3]},Plantedname,5"), encoding="utf-8")
    cli(
        "import-bad",
        ["training", "import", "--course", COURSE, f"--reaction={bad}", "--key", str(key), *w],
        capsys,
        code=2,
    )
    assert "training.not_number" in said["import-bad"]
    for fmt in ("table", "csv", "json"):
        cli(f"evaluate-{fmt}", ["training", "evaluate", COURSE, "--format", fmt, *w], capsys)
    cli("evaluate-xlsx", ["training", "evaluate", "--format", "xlsx", "--out", str(tmp / "levels.xlsx"), *w], capsys)
    cli("report", ["training", "report", COURSE, "--out", str(out), *w], capsys)
    cli("report-ja", ["--lang", "ja", "training", "report", COURSE, "--out", str(out / "ja"), *w], capsys)
    written = [f for f in out.rglob("*") if f.is_file()] + [tmp / "levels.xlsx"]
    assert {f.suffix for f in written} == {".html", ".xlsx"} and len(written) == 5
    assert "Wilcoxon" in said["evaluate-table"] and "d_z" in said["evaluate-csv"]

    assert after_import == []
    assert {k: leaks(v, PLANTED) for k, v in said.items() if leaks(v, PLANTED)} == {}
    assert {f.name: leaks(file_text(f), PLANTED) for f in written if leaks(file_text(f), PLANTED)} == {}
    assert leaks(workspace_text(ws), PLANTED) == []
    assert leaks(_bytes(ws), PLANTED) == []


def test_the_training_page_and_its_datasets_hold_no_planted_name_or_id(run, capsys):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    tmp, key, ws, paths, said, out, cli = run
    if not ws.exists():
        test_no_output_of_a_training_run_holds_a_planted_name_or_id(run, capsys)
    app = create_app(ws, cache_size=0)
    texts: dict[str, str] = {}
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            for url in ("/training", "/training?lang=ja", f"/training?course={COURSE}"):
                r = client.get(url)
                assert r.status_code == 200, url
                texts[url] = r.text
            for name in DATASETS:
                for fmt in ("json", "csv", "xlsx"):
                    r = client.get(
                        f"/api/v1/{name}",
                        params={"course": COURSE, "format": fmt} if name != "training-courses" else {"format": fmt},
                    )
                    assert r.status_code == 200, (name, fmt, r.text[:200])
                    if fmt == "xlsx":
                        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
                            texts[f"{name}.{fmt}"] = "\n".join(
                                z.read(m).decode("utf-8", errors="replace") for m in z.namelist()
                            )
                    else:
                        texts[f"{name}.{fmt}"] = r.text
    finally:
        app.state.store.close()
    assert "Kirkpatrick" in texts["/training"] and COURSE in texts["/training"]
    assert {k: leaks(v, PLANTED) for k, v in texts.items() if leaks(v, PLANTED)} == {}


def test_the_search_finds_the_planted_values_where_they_really_are(run):
    """The control: the inputs do hold them, so the scans above can fail."""
    _tmp, _key, _ws, paths, _said, _out, _cli = run
    text = "\n".join(file_text(p) for p in paths.values())
    assert set(NAMES + IDS + PHONES) <= set(leaks(text, PLANTED))
