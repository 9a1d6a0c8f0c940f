"""The ``kizuna`` command: a thin layer that parses arguments, calls one library function and renders.

Library errors (:class:`kizuna.errors.KizunaError`) become one line on stderr and exit code 2.
Each part of the product registers its commands from its own ``commands`` module; the command tree
(:mod:`kizuna.cli_app`) is built when a command runs. A bare ``kizuna --version`` needs none of it and
answers before Typer is imported (issue 13: start-up imports only what the command needs).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from kizuna import __version__, i18n


def __getattr__(name: str) -> Any:
    # `from kizuna.cli import app` (tests, scripts adding a part) builds the command tree on first use
    if name == "app":
        from kizuna.cli_app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _bare_version(args: list[str]) -> bool:
    """``kizuna --version`` and nothing else, with no KIZUNA_LANG to refuse: the answer needs no command tree.

    Any other use of ``--version`` (with ``--lang``, or a bad ``KIZUNA_LANG``) goes through the root
    options as before, so a bad language is still refused first.
    """
    env = os.environ.get("KIZUNA_LANG")
    return args == ["--version"] and (not env or i18n.normalise(env) is not None)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    if _bare_version(sys.argv[1:] if argv is None else list(argv)):
        print(f"kizuna {__version__}")
        return 0
    from kizuna.cli_app import root_command
    from kizuna.errors import KizunaError  # dataclasses and inspect: not for a bare --version

    i18n.set_language(i18n.from_environment())
    try:
        rv = root_command()(args=argv, standalone_mode=False)
    except KizunaError as exc:
        print(exc.one_line(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(i18n.gettext(i18n.N_("interrupted")), file=sys.stderr)
        return 130
    except Exception as exc:
        # Usage errors from Typer's vendored click (and click itself): their own one-line message.
        if type(exc).__name__ == "NoArgsIsHelpError":  # `kizuna` alone, a group alone: its help, on stdout
            exc.show(file=sys.stdout)  # type: ignore[attr-defined]
            return int(exc.exit_code)  # type: ignore[attr-defined]
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
