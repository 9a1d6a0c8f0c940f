"""The ``kizuna`` command: a thin layer that parses arguments, calls one library function and renders.

Library errors (:class:`kizuna.errors.KizunaError`) become one line on stderr and exit code 2.
Each part of the product registers its commands from its own ``commands`` module.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kizuna import __version__, i18n
from kizuna.errors import KizunaError, Where

app = typer.Typer(
    name="kizuna",
    help="Kizuna: who does what where, overlaps and gaps, human security, do-no-harm screening. Offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _set_lang(lang: str | None) -> str | None:
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
    return lang


def _print_version(version: bool) -> None:
    if version:
        typer.echo(f"kizuna {__version__}")
        raise typer.Exit()


# Both options are eager callbacks, handled in the order they appear on the command line: a bare
# `kizuna --version` returns before any other option is converted (Typer converts values through
# pydantic, which is slower to import than the rest of the start-up), and `--lang xx --version` still
# refuses the language first.
@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_print_version)
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            envvar="KIZUNA_LANG",
            help="Language of tables, messages and reports: en or ja (default: KIZUNA_LANG, else en).",
            is_eager=True,
            callback=_set_lang,
        ),
    ] = None,
) -> None:
    # The group's help is the Typer's own (a docstring here would replace it); the work is in the callbacks.
    pass


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


_register_parts()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    i18n.set_language(i18n.from_environment())
    try:
        rv = app(args=argv, standalone_mode=False)
    except KizunaError as exc:
        print(exc.one_line(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(i18n.gettext(i18n.N_("interrupted")), file=sys.stderr)
        return 130
    except Exception as exc:
        # Usage errors from Typer's vendored click (and click itself): their own one-line message.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            return int(exc.exit_code)
        if type(exc).__name__ == "Abort":
            print(i18n.gettext(i18n.N_("aborted")), file=sys.stderr)
            return 1
        raise
    return int(rv or 0) if isinstance(rv, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
