"""The CLI: errors are one line and exit 2; the CLI reference in docs/ is generated from the command tree."""

from __future__ import annotations

import os
import subprocess
import sys

from kizuna.cli import main
from kizuna.clidoc import cli_reference
from tests.conftest import ROOT


def test_docs_cli_reference_is_current():
    # Regenerate with: kizuna cli-reference > docs/cli.md
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == cli_reference()


def test_a_library_error_is_one_line_on_stderr_and_exit_2(tmp_path, capsys):
    rc = main(["flows", "-w", str(tmp_path / "missing.duckdb")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("error[workspace.missing]: ")
    assert "missing.duckdb" in err and "hint:" in err


def test_a_bad_option_value_names_the_option(tmp_path, capsys):
    ws = tmp_path / "w.duckdb"
    assert main(["sources", "-w", str(ws)]) == 2  # no workspace yet
    capsys.readouterr()
    from kizuna.workspace import open_workspace

    open_workspace(ws).close()
    rc = main(["activities", "-w", str(ws), "--from", "2020-13-01"])
    err = capsys.readouterr().err
    assert rc == 2 and "field '--from'" in err and "YYYY-MM-DD" in err


def test_unknown_option_is_a_usage_error_not_a_traceback(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "kizuna", "flows", "--nope"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert out.returncode == 2
    assert "No such option: --nope" in out.stderr and "Traceback" not in out.stderr
