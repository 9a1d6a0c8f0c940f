"""CLI options every part shares, defined once so their names and help read the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kizuna.output import Format

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace file (default ./kizuna.duckdb or $KIZUNA_WORKSPACE)."),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, csv, xlsx or json.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of the terminal.")]
