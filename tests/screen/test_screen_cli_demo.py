"""`kizuna screen` end to end on the synthetic demo files: prints, writes JSON/HTML/XLSX, stores with
provenance, and stores nothing new when run again; the demo is deterministic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from kizuna.cli import main
from kizuna.screen.demo import build_demo, write_demo_inputs
from kizuna.workspace import open_workspace

ROOT = Path(__file__).resolve().parents[2]


def test_screen_command_prints_writes_and_stores(tmp_path, capsys):
    files = write_demo_inputs(tmp_path / "in")
    ws_path = tmp_path / "w.duckdb"
    out = tmp_path / "out"
    args = [
        "screen",
        *[str(p) for p in files["proposals"][:2]],
        "--communities",
        str(files["communities"]),
        "--boundaries",
        str(files["boundaries"]),
        "--events",
        str(files["events"]),
        "--as-of",
        "2026-11-01",
        "--workspace",
        str(ws_path),
        "--out-dir",
        str(out),
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "XZ-DEMO-WELL-1" in printed and "RES-SHARED" in printed
    doc = json.loads((out / "register.json").read_text(encoding="utf-8"))
    assert [r["proposal_id"] for r in doc] == ["XZ-DEMO-WELL-1", "XZ-DEMO-WELL-2"]
    assert doc[0]["category"] == "High" and doc[1]["category"] != "High"
    assert doc[0]["layers"]["events"]["layout"] == "acled"
    html = (out / "register.html").read_text(encoding="utf-8")
    assert "Amber Ford" in html and "<script" not in html and "http://" not in html and "https://" not in html
    wb = openpyxl.load_workbook(out / "register.xlsx")
    assert wb.sheetnames == ["summary", "risks", "gaps", "facts", "Notes"]
    assert wb["summary"]["E2"].value == "High"
    with open_workspace(ws_path, read_only=True) as ws:
        regs = ws.query(
            "SELECT r.proposal_id, r.category, i.file_name, i.sha256, r.layers FROM screen_registers r"
            " JOIN imports i USING (import_id) ORDER BY r.register_id"
        )
        assert [r["proposal_id"] for r in regs] == ["XZ-DEMO-WELL-1", "XZ-DEMO-WELL-2"]
        assert regs[0]["file_name"] == "demo_well_boundary.toml" and len(regs[0]["sha256"]) == 64
        assert json.loads(regs[0]["layers"])["communities"]["file"] == "communities_synthetic.csv"
        risks = ws.query("SELECT rule_id, facts FROM screen_risks WHERE register_id = 1 AND rule_id = 'RES-SHARED'")
        assert "Blue Hill" in risks[0]["facts"]
        counts = ws.table_counts()
    # the same inputs again: nothing new stored
    assert main(args) == 0
    with open_workspace(ws_path, read_only=True) as ws:
        assert ws.table_counts() == counts


def test_screen_as_a_subprocess_with_csv_output(tmp_path):
    files = write_demo_inputs(tmp_path / "in")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    code = (
        "import sys; from kizuna.cli import app, main; from kizuna.screen.commands import register; "
        "register(app); sys.exit(main(sys.argv[1:]))"
    )
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "screen",
            str(files["proposals"][3]),
            "--events",
            str(files["events"]),
            "--as-of",
            "2026-11-01",
            "-w",
            str(tmp_path / "w.duckdb"),
            "--out-dir",
            str(tmp_path / "o"),
            "-f",
            "csv",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "proposal,category,rule,I,L,significance,why"
    assert any(",LEGIT-COUNTERPART,5,4,High," in ln for ln in lines)


def test_demo_is_deterministic_and_categorised(tmp_path):
    with open_workspace(tmp_path / "a.duckdb") as ws:
        a = build_demo(ws, tmp_path / "a")
        again = build_demo(ws, tmp_path / "a")
        n = ws.query("SELECT count(*) AS n FROM screen_registers")[0]["n"]
    with open_workspace(tmp_path / "b.duckdb") as ws:
        b = build_demo(ws, tmp_path / "b")
    assert (
        a["categories"]
        == b["categories"]
        == {
            "XZ-DEMO-WELL-1": "High",
            "XZ-DEMO-WELL-2": "Substantial",
            "XZ-DEMO-ROAD-1": "High",
            "XZ-DEMO-POLICE-1": "High",
        }
    )
    assert again["register_ids"] == a["register_ids"] and n == 4
    for name in (
        "communities_synthetic.csv",
        "territories_synthetic.geojson",
        "events_synthetic_acled_layout.csv",
    ):
        assert (tmp_path / "a" / "screen" / name).read_bytes() == (tmp_path / "b" / "screen" / name).read_bytes()
    events = (tmp_path / "a" / "screen" / "events_synthetic_acled_layout.csv").read_text(encoding="utf-8")
    assert events.count("SYNTHETIC event") == events.count("\n") - 1  # every row says it is synthetic


def test_a_csv_batch_is_screened_and_stored_under_one_import(tmp_path, capsys):
    files = write_demo_inputs(tmp_path / "in")
    batch = tmp_path / "batch.csv"
    batch.write_text(
        "id,title,type,lat,lon,line,land_acquisition,households_displaced,consulted,women_included,"
        "counterpart,counterpart_role,counterpart_flags\n"
        "B-1,well on the line,well,8.0,30.009,,none,0,none,,,,\n"
        "B-2,road,road,,,9.05 31.2; 9.2 31.4,expropriation,300,Granite Ridge,no,,,\n"
        "B-3,police course,police training,7.9,28.3,,,,,,"
        "Unit X (synthetic),co_implementer,abuses_documented\n",
        encoding="utf-8",
    )
    ws_path = tmp_path / "w.duckdb"
    rc = main(
        [
            "screen",
            str(batch),
            "--communities",
            str(files["communities"]),
            "--as-of",
            "2026-11-01",
            "-w",
            str(ws_path),
            "--out-dir",
            str(tmp_path / "o"),
            "-f",
            "json",
        ]
    )
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    cats = {r["proposal"]: r["category"] for r in rows}
    assert cats == {"B-1": "High", "B-2": "High", "B-3": "High"}
    fired = {(r["proposal"], r["rule"]) for r in rows}
    assert {
        ("B-1", "RES-SHARED"),
        ("B-1", "CONS-NONE"),
        ("B-2", "LAND-RESETTLE"),
        ("B-2", "CONS-WOMEN"),
        ("B-3", "LEGIT-COUNTERPART"),
    } <= fired
    with open_workspace(ws_path, read_only=True) as ws:
        imports = ws.query("SELECT kind, file_name, counts FROM imports")
        assert len(imports) == 1 and imports[0]["file_name"] == "batch.csv"
        assert json.loads(imports[0]["counts"])["proposals"] == 3
        assert ws.query("SELECT count(*) AS n FROM screen_registers")[0]["n"] == 3
