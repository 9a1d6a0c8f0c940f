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
from collections.abc import Iterator, MutableMapping
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup
from typer.models import CommandInfo, TyperInfo

from kizuna import __version__, i18n
from kizuna.errors import KizunaError, Where


class HelpGroup(TyperGroup):
    """A command group whose help lists each command with the first paragraph of its help in full
    (click would cut it at the terminal width with "..."; Typer's Rich help showed it whole)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # names only: Typer's own walks the values, which builds lazy ones

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if isinstance(self.commands, LazyCommands):
                hidden, text = self.commands.summary(name)
            else:
                cmd = self.get_command(ctx, name)
                if cmd is None:
                    continue
                hidden, text = cmd.hidden, cmd.short_help or cmd.help or ""
            if not hidden:
                first = inspect.cleandoc(text).partition("\f")[0].split("\n\n")[0]
                rows.append((name, " ".join(first.split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class LazyCommands(MutableMapping[str, Any]):
    """The root's commands by name, each turned into its click command when first looked up.

    Typer builds a command by reading its function's signature and evaluating every annotation, about
    1 ms a command and 35-100 ms for all of kizuna's; a run needs one of them, and ``--help`` only the
    names and help texts, which the registrations hold.
    """

    def __init__(self, typer_app: typer.Typer) -> None:
        self._app = typer_app
        self._entries: dict[str, CommandInfo | TyperInfo | None] = {}  # None: added built (add_command)
        for info in typer_app.registered_commands:
            assert info.callback is not None
            self._entries[info.name or typer.main.get_command_name(info.callback.__name__)] = info
        for group in typer_app.registered_groups:
            name = typer.main.solve_typer_info_defaults(group).name
            assert name, "every group of kizuna has a name"
            self._entries[name] = group
        self._built: dict[str, Any] = {}

    def summary(self, name: str) -> tuple[bool, str]:
        """Whether the command is hidden, and its help text, without building it."""
        entry = self._entries.get(name)
        if entry is None:
            cmd = self._built[name]
            return cmd.hidden, cmd.short_help or cmd.help or ""
        if isinstance(entry, CommandInfo):
            return bool(entry.hidden), entry.short_help or entry.help or inspect.getdoc(entry.callback) or ""
        solved = typer.main.solve_typer_info_defaults(entry)
        return bool(solved.hidden), solved.short_help or solved.help or ""

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            entry, a = self._entries[name], self._app
            assert entry is not None  # an entry added built is in _built
            if isinstance(entry, CommandInfo):
                self._built[name] = typer.main.get_command_from_info(
                    entry, pretty_exceptions_short=a.pretty_exceptions_short, rich_markup_mode=a.rich_markup_mode
                )
            else:
                self._built[name] = typer.main.get_group_from_info(
                    entry,
                    pretty_exceptions_short=a.pretty_exceptions_short,
                    suggest_commands=a.suggest_commands,
                    rich_markup_mode=a.rich_markup_mode,
                )
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._entries.pop(name, None)
        self._entries[name] = None
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._entries[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


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


def _reference_params(cmd: Any) -> list[str]:
    lines = []
    for p in cmd.params:
        if p.param_type_name == "argument":
            name = f"`{p.name.upper()}`"
            kind = "argument" + (" (repeatable)" if p.nargs == -1 else "")
            help_text = (getattr(p, "help", None) or "").replace("|", "\\|")
            lines.append(f"| {name} | {kind}: {help_text} | |")
        elif p.param_type_name == "option" and not getattr(p, "hidden", False) and p.name != "help":
            opts = ", ".join(f"`{o}`" for o in p.opts)
            default = "" if p.default in (None, False) or callable(p.default) else f"`{p.default}`"
            if hasattr(p.default, "value"):
                default = f"`{p.default.value}`"
            help_text = (p.help or "").replace("|", "\\|")
            lines.append(f"| {opts} | {help_text} | {default} |")
    return lines


def _reference_walk(cmd: Any, path: list[str], out: list[str]) -> None:
    # Typer vendors its own click: recognise groups by shape, not by class.
    if getattr(cmd, "commands", None):
        for name in sorted(cmd.commands):
            sub = cmd.commands[name]
            if sub.hidden:
                continue
            _reference_walk(sub, [*path, name], out)
        return
    out.append(f"## `{' '.join(path)}`\n")
    out.append((cmd.help or "").strip() + "\n")
    rows = _reference_params(cmd)
    if rows:
        out.append("| option | meaning | default |\n|---|---|---|")
        out.extend(rows)
        out.append("")


def reference_markdown() -> str:
    """Markdown for every command and option of ``kizuna`` (docs/cli.md), from the command tree itself."""
    root = typer.main.get_command(app)
    out = [
        "# CLI reference\n",
        "Generated from the command tree by `kizuna cli-reference` (a test checks it is current).",
        "Every command that reads a workspace takes `--workspace PATH` (default `./kizuna.duckdb` or",
        "`$KIZUNA_WORKSPACE`). Errors print one line on stderr, `error[code]: where: message (hint: ...)`,",
        "and exit with status 2.\n",
    ]
    _reference_walk(root, ["kizuna"], out)
    return "\n".join(out).rstrip() + "\n"


@app.command("cli-reference", hidden=True)
def cli_reference() -> None:
    """Print the Markdown CLI reference (docs/cli.md)."""
    typer.echo(reference_markdown(), nl=False)


def _register_parts() -> None:
    from kizuna.coordinate import commands as coordinate_commands
    from kizuna.demo import commands as demo_commands
    from kizuna.geo import commands as geo_commands
    from kizuna.ledger import commands as ledger_commands
    from kizuna.measure import commands as measure_commands
    from kizuna.screen import commands as screen_commands
    from kizuna.shared import commands as shared_commands
    from kizuna.track import commands as track_commands
    from kizuna.web import commands as web_commands

    demo_commands.register(app)
    ledger_commands.register(app)
    coordinate_commands.register(app)
    geo_commands.register(app)
    measure_commands.register(app)
    screen_commands.register(app)
    track_commands.register(app)
    web_commands.register(app)
    shared_commands.register(app)
    # the parts' own groups (allies, report, ...) list their commands the same way
    for group in app.registered_groups:
        if isinstance(group.cls, typer.models.DefaultPlaceholder):
            group.cls = HelpGroup


_register_parts()


def root_command() -> TyperGroup:
    """:data:`app` as a click group whose commands are built when first looked up (:class:`LazyCommands`).

    The root group itself (its options and callback) is Typer's own, built from ``app`` with its
    commands set aside for the moment; :func:`typer.main.get_command` gives the whole tree at once
    (``kizuna cli-reference`` uses that).
    """
    commands, groups = app.registered_commands, app.registered_groups
    app.registered_commands, app.registered_groups = [], []
    try:
        root = typer.main.get_command(app)
    finally:
        app.registered_commands, app.registered_groups = commands, groups
    assert isinstance(root, HelpGroup)
    root.commands = LazyCommands(app)
    return root
