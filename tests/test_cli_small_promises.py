"""Small promises of the CLI a careful user relies on (issue 13, "Commands"): `--top` that keeps no row is
an error, and `kizuna warnings` with none says so instead of printing a blank line."""

from __future__ import annotations

import pytest


def _run(args, capsys):
    from kizuna.cli import main

    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("command", [["overlaps"], ["gaps"]])
@pytest.mark.parametrize("top", ["0", "-1"])
def test_a_top_that_keeps_no_row_is_a_one_line_error(tmp_path, capsys, command, top):
    from kizuna.workspace import open_workspace

    ws = tmp_path / "w.duckdb"
    open_workspace(ws).close()
    code, out, err = _run([*command, "--top", top, "-w", str(ws)], capsys)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"error[cli.bad_top]: field '--top': --top {top} keeps no row (hint: give 1 or more, e.g. --top 10)"]


def test_warnings_with_none_say_so(tmp_path, capsys):
    from kizuna.workspace import open_workspace

    ws = tmp_path / "w.duckdb"
    open_workspace(ws).close()
    code, out, err = _run(["warnings", "-w", str(ws)], capsys)
    assert code == 0 and out.strip() == "" and err.strip() == "no warnings"
