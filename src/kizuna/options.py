"""CLI options every part shares, defined once so their names and help read the same everywhere."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from kizuna.errors import InputError, Where
from kizuna.i18n import N_
from kizuna.output import Format

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace file (default ./kizuna.duckdb or $KIZUNA_WORKSPACE)."),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, csv, xlsx or json.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of the terminal.")]


def parse_as_of(text: str | None, part: str) -> date:
    """``--as-of`` as a date (YYYY-MM-DD), today when not given; ``{part}.bad_date`` otherwise."""
    if text is None:
        return date.today()
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise InputError(
            f"{part}.bad_date",
            N_("cannot read the date {text!r}"),
            Where(field="--as-of"),
            hint=N_("write it as YYYY-MM-DD"),
            params={"text": text},
        ) from None
