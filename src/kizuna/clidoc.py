"""The CLI reference (docs/cli.md), generated from the command tree itself so it cannot drift.

The text is built beside the tree, by :func:`kizuna.cli_app.reference_markdown` (``kizuna cli-reference``
prints it); this module is how tests and scripts ask for it without importing the command tree at start-up.
"""

from __future__ import annotations


def cli_reference() -> str:
    """Markdown for every command and option of ``kizuna`` (the text of docs/cli.md)."""
    from kizuna.cli_app import reference_markdown

    return reference_markdown()
