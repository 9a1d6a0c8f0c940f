"""Start-up (issue 13): a command imports what it needs when it needs it.

``kizuna --version`` loads no command tree, ``kizuna --help`` lists every command without importing a
data, web or report library, and every part's ``commands`` module keeps its heavy imports inside the
commands that use them. These tests look at ``sys.modules`` in a fresh interpreter, not at the clock
(the timings are ``benchmarks/cli.py``'s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kizuna import __version__
from tests.conftest import ROOT

# Libraries that take tens to hundreds of milliseconds to import, by what pulls them in.
DATA = ("duckdb", "polars", "numpy", "pyarrow", "pandas", "scipy")
FILES = ("jinja2", "babel", "vl_convert", "xlsxwriter", "openpyxl", "lxml")  # reports, catalogue, files
WEB = ("fastapi", "starlette", "uvicorn", "pydantic")  # pydantic is also Typer's value conversion
RICH_HELP = ("rich", "markdown_it", "pygments")  # Typer's Rich help
NETWORK = ("http.client", "ssl")  # kizuna fetch
HEAVY = DATA + FILES + WEB + RICH_HELP + NETWORK
PARTS = ("coordinate", "demo", "geo", "ledger", "measure", "screen", "web")


def _python(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("KIZUNA_LANG", "COLUMNS")}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**base, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "100", **(env or {})},
    )


def _loaded_after(statement: str) -> list[str]:
    """The HEAVY modules (and Typer) a fresh interpreter holds after ``statement``."""
    code = (
        "import contextlib, io, json, sys\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    {statement}\n"
        f"print(json.dumps(sorted(m for m in {(*HEAVY, 'typer')!r} if m in sys.modules)))"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_importing_the_cli_loads_no_library_and_not_even_typer():
    assert _loaded_after("import kizuna.cli") == []


def test_kizuna_version_answers_without_the_command_tree():
    assert _loaded_after("from kizuna.cli import main; main(['--version'])") == []
    out = _python("import sys; from kizuna.cli import main; sys.exit(main(['--version']))")
    assert out.returncode == 0 and out.stdout == f"kizuna {__version__}\n"


def test_kizuna_help_builds_every_command_without_any_heavy_library():
    assert _loaded_after("from kizuna.cli import main; main(['--help'])") == ["typer"]


@pytest.mark.parametrize("part", PARTS)
def test_a_parts_commands_module_imports_no_heavy_library_at_the_top(part):
    assert set(_loaded_after(f"import kizuna.{part}.commands")) <= {"typer"}


def test_kizuna_help_lists_every_command_with_the_first_paragraph_of_its_help():
    from kizuna.cli_app import app

    out = _python("import sys; from kizuna.cli import main; sys.exit(main(['--help']))")
    assert out.returncode == 0, out.stderr
    listing = " ".join(out.stdout.split("\nCommands:\n", 1)[1].split())  # the section, wrapping undone
    shown = {c.name: c.callback.__doc__ for c in app.registered_commands if not c.hidden}
    shown |= {g.name: g.typer_instance.info.help for g in app.registered_groups}
    assert len(shown) >= 20
    for name, doc in shown.items():
        first = " ".join((doc or "").strip().split("\n\n")[0].split())
        assert f"{name} {first}" in listing, name  # whole, not cut at the width with "..."
    assert "cli-reference" not in listing  # hidden stays hidden


def test_a_group_alone_prints_its_help_on_stdout_and_exits_2():
    out = _python("import sys; from kizuna.cli import main; sys.exit(main(['allies']))")
    assert out.returncode == 2 and "Commands:" in out.stdout and "registry" in out.stdout


def test_version_with_a_bad_language_is_still_refused_first():
    # the shortcut is for a bare --version only: a bad --lang or KIZUNA_LANG goes through the root options
    for args, env in ((["--lang", "xx", "--version"], None), (["--version"], {"KIZUNA_LANG": "xx"})):
        out = _python(f"import sys; from kizuna.cli import main; sys.exit(main({args!r}))", env=env)
        assert out.returncode == 2 and out.stderr.startswith("error[cli.bad_lang]: field '--lang'"), (args, env)
    out = _python("import sys; from kizuna.cli import main; sys.exit(main(['--version']))", env={"KIZUNA_LANG": "ja"})
    assert out.returncode == 0 and out.stdout == f"kizuna {__version__}\n"


def test_a_command_that_renders_a_list_of_rows_does_not_load_polars(tmp_path):
    # kizuna.output recognises a DataFrame only once polars is loaded; a list of dicts needs none
    code = (
        "import io, contextlib, sys\n"
        "from kizuna.output import Format, render\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    render([{'a': 1, 'b': 'x'}], Format.csv, None)\n"
        "print(repr(buf.getvalue()), 'polars' in sys.modules)"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "'a,b\\n1,x\\n' False"


def test_a_run_builds_only_the_command_it_runs(monkeypatch, capsys):
    # Typer turns a function into a command by evaluating its annotations; --help needs none of that
    import typer.main

    from kizuna.cli import main

    built: list[str | None] = []
    real = typer.main.get_command_from_info

    def spy(*args, **kwargs):
        info = args[0] if args else kwargs["command_info"]
        built.append(info.name)
        return real(*args, **kwargs)

    monkeypatch.setattr(typer.main, "get_command_from_info", spy)
    assert main(["--help"]) == 0 and built == []
    assert main(["sources", "--help"]) == 0 and built == ["sources"]
    assert main(["allies", "--help"]) == 0 and "set" in built and "who" not in built  # a group: its own only
    assert "Map one organisation to an ally" in capsys.readouterr().out


def test_the_cli_reference_still_walks_the_whole_tree():
    from kizuna.clidoc import cli_reference

    text = cli_reference()
    assert "## `kizuna sources`" in text and "## `kizuna allies set`" in text
    assert "## `kizuna cli-reference`" not in text  # hidden
