"""The command tree of ``kizuna``: the Typer app, its root options and every part's commands.

Built on first use by :func:`kizuna.cli.main` (and ``from kizuna.cli import app``), never for a bare
``kizuna --version``. Building it imports Typer and each part's ``commands`` module; those import their
libraries (DuckDB, Polars, Jinja, ...) inside the commands that use them, so ``kizuna --help`` lists
every command without loading any of them (issue 13).

Help uses click's plain layout, not Typer's Rich panels: Typer's Rich help imports Markdown and
Pygments, 0.1-0.3 s on the 2-core machine, more than the rest of the start-up together (measured by
``benchmarks/cli.py``). Tables still come out through Rich (:mod:`kizuna.output`).
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from kizuna import __version__, i18n
from kizuna.errors import KizunaError, Where


class HelpGroup(TyperGroup):
    """A command group whose help lists each command with the first paragraph of its help in full
    (click would cut it at the terminal width with "..."; Typer's Rich help showed it whole)."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            text = inspect.cleandoc(cmd.short_help or cmd.help or "").partition("\f")[0]
            rows.append((name, " ".join(text.split("\n\n")[0].split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    name="kizuna",
    help="Kizuna: who does what where, overlaps and gaps, human security, do-no-harm screening. Offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=HelpGroup,
)


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            envvar="KIZUNA_LANG",
            help="Language of tables, messages and reports: en or ja (default: KIZUNA_LANG, else en).",
        ),
    ] = None,
) -> None:
    if lang is not None:
        if not i18n.normalise(lang):
            raise KizunaError(
                "cli.bad_lang",
                i18n.N_("unknown language {lang!r}"),
                Where(field="--lang"),
                hint=i18n.N_("use en or ja"),
                params={"lang": lang},
            )
        i18n.set_language(lang)
    if version:
        typer.echo(f"kizuna {__version__}")
        raise typer.Exit()


@app.command("cli-reference", hidden=True)
def cli_reference() -> None:
    """Print the Markdown CLI reference (docs/cli.md)."""
    from kizuna.clidoc import cli_reference as render_reference

    typer.echo(render_reference(), nl=False)


def _register_parts() -> None:
    from kizuna.coordinate import commands as coordinate_commands
    from kizuna.demo import commands as demo_commands
    from kizuna.geo import commands as geo_commands
    from kizuna.ledger import commands as ledger_commands
    from kizuna.measure import commands as measure_commands
    from kizuna.screen import commands as screen_commands
    from kizuna.web import commands as web_commands

    demo_commands.register(app)
    ledger_commands.register(app)
    coordinate_commands.register(app)
    geo_commands.register(app)
    measure_commands.register(app)
    screen_commands.register(app)
    web_commands.register(app)
    # the parts' own groups (allies, report, ...) list their commands the same way
    for group in app.registered_groups:
        if isinstance(group.cls, typer.models.DefaultPlaceholder):
            group.cls = HelpGroup


_register_parts()
