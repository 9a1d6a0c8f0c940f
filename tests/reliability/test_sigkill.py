"""Issue 13: every command that writes is all-or-nothing across all of its inputs.

Each writing command (``ingest``, ``measure``, ``screen``, ``allies``, ``codelists``, ``demo``) runs as the real
CLI in a subprocess on a small workspace and is stopped with SIGKILL at named points
(``KIZUNA_TEST_KILL_AT``, see :func:`kizuna.workspace.kill_point`): before BEGIN, after a write inside the
transaction, just before COMMIT, and after COMMIT (before any output file). The workspace must then open, and a
canonical dump of every table (rows sorted) must equal the dump before the command, or, for the after-COMMIT
point, the dump after a complete run of the same command. A multi-file ingest is also killed by a timer at
seeded random moments: the workspace is then either as before or as after, never in between.

A killed DuckDB process leaves its write-ahead log (``.wal``) behind: opening replays what was committed and
drops the rest; the after-COMMIT cases check the replay (their log is still there when the workspace opens).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kizuna.workspace import KILL_ENV, open_workspace

SRC = Path(__file__).resolve().parents[2] / "src"
KILLED = -signal.SIGKILL
BEFORE_COMMIT = ["begin", "insert", "commit"]


def _env(kill_at: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (KILL_ENV, "KIZUNA_WORKSPACE")}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["KIZUNA_LANG"] = "en"
    env["KIZUNA_WORKERS"] = "1"  # no parse workers left behind by a killed parent
    if kill_at:
        env[KILL_ENV] = kill_at
    return env


def cli(args: list[Any], cwd: Path, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m kizuna ARGS`` in ``cwd`` (stopped by SIGKILL at ``kill_at`` when given)."""
    return subprocess.run(
        [sys.executable, "-m", "kizuna", *map(str, args)],
        cwd=cwd,
        env=_env(kill_at),
        capture_output=True,
        text=True,
        timeout=600,
    )


def dump(path: Path, *, mask_times: bool = False) -> dict[str, list[str]]:
    """Every base table's rows, each as its repr, sorted. ``mask_times`` leaves out the columns holding the
    time a row was written (``*_at``): two complete runs differ only there."""
    with open_workspace(path) as ws:  # read-write, as the user's next command opens it (replays the .wal)
        tables = [
            r[0]
            for r in ws.con.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_type = 'BASE TABLE' AND table_schema = 'main' ORDER BY 1"
            ).fetchall()
        ]
        out: dict[str, list[str]] = {}
        for t in tables:
            cur = ws.con.execute(f'SELECT * FROM "{t}"')
            cols = [d[0] for d in cur.description]
            keep = [i for i, c in enumerate(cols) if not (mask_times and c.endswith("_at"))]
            out[t] = sorted(repr(tuple(row[i] for i in keep)) for row in cur.fetchall())
    return out


def _changed(a: dict[str, list[str]], b: dict[str, list[str]]) -> list[str]:
    return sorted(t for t in set(a) | set(b) if a.get(t) != b.get(t))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Any]:
    """Small synthetic inputs for every writing command, and a base workspace holding one IATI file."""
    from kizuna.demo.ledger_synth import generate
    from kizuna.measure.demo import write_demo_inputs as measure_inputs
    from kizuna.screen.demo import write_demo_inputs as screen_inputs

    root = tmp_path_factory.mktemp("sigkill")
    ledger = generate(root / "ledger", seed=7)
    iati = sorted(ledger["iati_files"])
    survey, spec = measure_inputs(root / "measure")
    screen = screen_inputs(root / "screen")
    codelists = root / "codelists"
    codelists.mkdir()
    for name, items in {
        "ActivityStatus": [("1", "Pipeline/identification"), ("2", "Implementation"), ("3", "Finalisation")],
        "SectorCategory": [("151", "Government and civil society, general"), ("152", "Conflict, peace and security")],
    }.items():
        body = "".join(
            f"<codelist-item><code>{c}</code><name><narrative>{n}</narrative></name></codelist-item>" for c, n in items
        )
        (codelists / f"{name}.xml").write_text(f'<codelist name="{name}"><codelist-items>{body}</codelist-items></codelist>')
    base = root / "base" / "kizuna.duckdb"
    base.parent.mkdir()
    done = cli(["ingest", iati[0], "-w", base], root)
    assert done.returncode == 0, done.stderr
    assert not Path(str(base) + ".wal").exists()  # a clean close folds the log into the file
    return {
        "root": root,
        "base": base,
        "iati": iati[1:],
        "threew": ledger["threew_file"],
        "survey": survey,
        "spec": spec,
        "screen": screen,
        "codelists": codelists,
    }


def _copy_base(inputs: dict[str, Any], tmp_path: Path, name: str) -> Path:
    ws = tmp_path / name / "kizuna.duckdb"
    ws.parent.mkdir(parents=True)
    shutil.copy(inputs["base"], ws)
    return ws


def _commands(inputs: dict[str, Any]) -> dict[str, list[Any]]:
    """Each writing command's arguments (the workspace and output folder are appended per case)."""
    s = inputs["screen"]
    layers = ["--communities", s["communities"], "--boundaries", s["boundaries"], "--events", s["events"]]
    return {
        # three small IATI files (ingested together) and a 3W sheet (on its own): one run, one transaction
        "ingest": ["ingest", *inputs["iati"][:3], inputs["threew"]],
        "measure": ["measure", inputs["survey"], "--spec", inputs["spec"], "--out-dir", "{out}"],
        "screen": ["screen", s["proposals"][0], *layers, "--out-dir", "{out}"],
        "screen-two-files": ["screen", *s["proposals"][:2], *layers, "--out-dir", "{out}"],
        "allies-rule": ["allies", "rule", "GB-GOV-", "United Kingdom"],
        "allies-set": ["allies", "set", "name:Kaltara Relief", "NGOs"],
        "allies-register": ["allies", "register", "GB-CHC-202918", "--name", "Oxfam GB", "--ally", "NGOs"],
        "codelists": ["codelists", "load", inputs["codelists"]],
    }


def _args(inputs: dict[str, Any], command: str, ws: Path) -> list[Any]:
    out = ws.parent / "out"
    return [str(out) if a == "{out}" else a for a in _commands(inputs)[command]] + ["-w", ws]


# (command, kill point): the points each command reaches. ``insert:N`` stops after the N-th write; ``file:1``
# is the ingest between its first group of files and the next file.
CASES = [
    *[("ingest", p) for p in ["begin", "insert", "insert:3", "file:1", "insert:7", "commit"]],
    *[("measure", p) for p in BEFORE_COMMIT],
    *[("screen", p) for p in BEFORE_COMMIT],
    *[("allies-rule", p) for p in BEFORE_COMMIT],
    ("allies-set", "insert"),
    ("allies-register", "insert"),
    *[("codelists", p) for p in ["begin", "insert", "insert:2", "commit"]],
]
AFTER_COMMIT = ["ingest", "measure", "screen", "screen-two-files", "allies-rule", "allies-set", "allies-register",
                "codelists"]


@pytest.fixture(scope="module")
def complete(inputs, tmp_path_factory) -> dict[str, dict[str, list[str]]]:
    """Each command run to the end on a copy of the base workspace: its dump (times left out)."""
    cache: dict[str, dict[str, list[str]]] = {}

    def get(command: str) -> dict[str, list[str]]:
        if command not in cache:
            ws = _copy_base(inputs, tmp_path_factory.mktemp("complete"), command)
            done = cli(_args(inputs, command, ws), ws.parent)
            assert done.returncode == 0, done.stderr
            cache[command] = dump(ws, mask_times=True)
        return cache[command]

    return get  # type: ignore[return-value]


@pytest.mark.parametrize(("command", "point"), CASES, ids=[f"{c}@{p}" for c, p in CASES])
def test_a_kill_before_commit_leaves_the_workspace_as_it_was(inputs, tmp_path, command, point):
    ws = _copy_base(inputs, tmp_path, "ws")
    before = dump(ws)
    run = cli(_args(inputs, command, ws), ws.parent, kill_at=point)
    assert run.returncode == KILLED, f"{command} never reached {point}: rc {run.returncode} {run.stderr[-500:]}"
    after = dump(ws)
    assert _changed(before, after) == []


@pytest.mark.parametrize("command", AFTER_COMMIT)
def test_a_kill_just_after_commit_leaves_the_whole_result(inputs, tmp_path, complete, command):
    # The first COMMIT of the command is its only one: everything it stores is in it.
    ws = _copy_base(inputs, tmp_path, "ws")
    before = dump(ws, mask_times=True)
    run = cli(_args(inputs, command, ws), ws.parent, kill_at="committed")
    assert run.returncode == KILLED, f"{command} never committed: rc {run.returncode} {run.stderr[-500:]}"
    assert Path(str(ws) + ".wal").exists()  # what was committed is in the log: opening replays it
    whole = complete(command)
    assert _changed(before, whole), "the complete run must change something, or this test shows nothing"
    assert _changed(whole, dump(ws, mask_times=True)) == []
    if command in ("measure", "screen"):  # killed after COMMIT, before its output files
        assert not [f for f in (ws.parent / "out").rglob("*") if f.is_file()]


def test_ingest_with_a_bad_last_file_stores_nothing(inputs, tmp_path):
    ws = _copy_base(inputs, tmp_path, "ws")
    bad = tmp_path / "b.xml"
    bad.write_text(inputs["iati"][1].read_text()[:5000])  # truncated mid-element
    before = dump(ws)
    run = cli(["ingest", inputs["iati"][0], inputs["threew"], bad, "-w", ws], tmp_path)
    assert run.returncode == 2 and run.stderr.startswith("error[xml.malformed]")
    assert _changed(before, dump(ws)) == []


def test_ingest_killed_at_random_moments_is_before_or_after_never_between(inputs, tmp_path, complete):
    files = [*inputs["iati"], inputs["threew"]]  # six IATI files and a sheet
    whole_ws = _copy_base(inputs, tmp_path, "whole")
    t0 = time.monotonic()
    done = cli(["ingest", *files, "-w", whole_ws], whole_ws.parent)
    took = time.monotonic() - t0
    assert done.returncode == 0, done.stderr
    whole = dump(whole_ws, mask_times=True)
    rng = random.Random(13)
    outcomes = []
    for k in range(5):
        ws = _copy_base(inputs, tmp_path, f"k{k}")
        before = dump(ws, mask_times=True)
        proc = subprocess.Popen(
            [sys.executable, "-m", "kizuna", "ingest", *map(str, files), "-w", str(ws)],
            cwd=ws.parent,
            env=_env(None),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 1.0) * took)
        proc.send_signal(signal.SIGKILL)
        rc = proc.wait(timeout=60)
        state = dump(ws, mask_times=True)
        assert state in (before, whole), f"kill {k}: tables between before and after: {_changed(before, state)}"
        outcomes.append((rc, state == whole))
    assert any(rc == KILLED for rc, _ in outcomes)


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    ws = root / "kizuna.duckdb"
    done = cli(["demo", "--no-serve", "-w", ws, "--inputs", root / "inputs"], root)
    assert done.returncode == 0, done.stderr
    return ws


@pytest.mark.parametrize("point", ["begin", "insert:3", "commit:4", "replace"])
def test_demo_killed_while_building_leaves_the_previous_demo_workspace_whole(demo_ws, tmp_path, point):
    ws = tmp_path / "kizuna.duckdb"
    shutil.copy(demo_ws, ws)
    before = dump(ws)
    run = cli(["demo", "--no-serve", "-w", ws, "--inputs", tmp_path / "inputs"], tmp_path, kill_at=point)
    assert run.returncode == KILLED, f"demo never reached {point}: rc {run.returncode} {run.stderr[-500:]}"
    assert _changed(before, dump(ws)) == []


def test_demo_killed_just_after_the_replace_leaves_the_new_workspace_whole(demo_ws, tmp_path):
    ws = tmp_path / "kizuna.duckdb"  # a first build: nothing there before
    run = cli(["demo", "--no-serve", "-w", ws, "--inputs", tmp_path / "inputs"], tmp_path, kill_at="replaced")
    assert run.returncode == KILLED
    assert not (tmp_path / ".kizuna.duckdb.building").exists()
    assert _changed(dump(demo_ws, mask_times=True), dump(ws, mask_times=True)) == []


def test_demo_over_a_workspace_with_a_killed_commands_log_replaces_it_whole(demo_ws, tmp_path):
    # A log left by a killed command belongs to the old file: folded into it before the rename, never
    # replayed into the new one.
    ws = tmp_path / "kizuna.duckdb"
    shutil.copy(demo_ws, ws)
    run = cli(["allies", "rule", "GB-GOV-", "United Kingdom", "-w", ws], tmp_path, kill_at="committed")
    assert run.returncode == KILLED and Path(str(ws) + ".wal").exists()
    for point in ("replace", None):
        run = cli(["demo", "--no-serve", "-w", ws, "--inputs", tmp_path / "inputs"], tmp_path, kill_at=point)
        if point:  # killed before the rename: the old workspace, with the killed command's commit
            assert run.returncode == KILLED
            with open_workspace(ws, read_only=True) as w:
                assert w.scalar("SELECT ally FROM coordinate_ally_rules WHERE prefix = 'GB-GOV-'") == "United Kingdom"
        else:
            assert run.returncode == 0, run.stderr
    assert not Path(str(ws) + ".wal").exists()
    assert _changed(dump(demo_ws, mask_times=True), dump(ws, mask_times=True)) == []


def _large_iati(path: Path, activities: int = 1500, transactions: int = 100) -> Path:
    tx = "".join(
        f'<transaction><transaction-type code="3"/><transaction-date iso-date="2021-01-{1 + k % 28:02d}"/>'
        f'<value value-date="2021-01-01">{100 + k}</value></transaction>'
        for k in range(transactions)
    )
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">\n')
        for n in range(activities):
            fh.write(
                '<iati-activity default-currency="USD">'
                f"<iati-identifier>XZ-SYN-BIG-{n}</iati-identifier>"
                '<reporting-org ref="XZ-SYN" type="10"><narrative>[SYNTHETIC] Agency</narrative></reporting-org>'
                f'<recipient-country code="SS"/>{tx}</iati-activity>\n'
            )
        fh.write("</iati-activities>\n")
    return path


@pytest.mark.parametrize("point", ["insert:2", "commit"])
def test_a_kill_after_large_writes_leaves_the_workspace_as_it_was(inputs, tmp_path, point):
    # 150,000 transactions: more than a DuckDB row group (122,880 rows), so the uncommitted rows are
    # already written to the file's blocks when the process dies; reopening must not see them.
    big = _large_iati(tmp_path / "big.xml")
    ws = _copy_base(inputs, tmp_path, "ws")
    before = dump(ws)
    run = cli(["ingest", big, inputs["threew"], "-w", ws], ws.parent, kill_at=point)
    assert run.returncode == KILLED, run.stderr[-500:]
    assert _changed(before, dump(ws)) == []
