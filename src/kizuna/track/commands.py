"""CLI of the track part: ``kizuna key new``, ``kizuna results``, ``kizuna ddr ...``, ``kizuna training ...``.

Each sub-part registers its own commands (``results_commands``, ``ddr_commands``,
``training_commands``); this module only gathers them and holds the key command they share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kizuna.i18n import _

key_app = typer.Typer(
    help="Keys for personal records (DDR persons, training participants), kept outside the workspace."
)


@key_app.command("new")
def key_new(
    path: Annotated[Path, typer.Argument(help="Where to write the new key (never inside the workspace).")],
) -> None:
    """Write a new random key (32 bytes, mode 0600) for pseudonyms and encrypted fields."""
    from kizuna.track.protect import new_key_file

    key = new_key_file(path)
    typer.echo(
        _("key {key_id} written to {path}; keep it apart from the workspace and back it up").format(
            key_id=key.key_id, path=path
        )
    )


def register(app: typer.Typer) -> None:
    from kizuna.track import ddr_commands, results_commands, training_commands

    app.add_typer(key_app, name="key")
    results_commands.register(app)
    ddr_commands.register(app)
    training_commands.register(app)
