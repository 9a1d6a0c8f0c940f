"""CLI commands of geo: ``kizuna boundaries add``, ``kizuna boundaries list``, ``kizuna boundaries names``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kizuna.i18n import _
from kizuna.options import FormatOpt, OutOpt, WorkspaceOpt
from kizuna.output import Format, render


def boundaries_add(
    files: Annotated[
        list[Path],
        typer.Argument(help="Boundary files (.geojson, zipped shapefile .zip, COD-AB .xlsx) or a P-code list (.csv)."),
    ],
    workspace: WorkspaceOpt = None,
    level: Annotated[
        int | None, typer.Option("--level", help="Admin level of every feature, for files that do not say it.")
    ] = None,
) -> None:
    """Add admin boundaries or a P-code gazetteer: areas with P-codes, names and parents (one transaction per file)."""
    from kizuna.geo.store import add_boundaries
    from kizuna.workspace import open_workspace

    rows = []
    with open_workspace(workspace) as ws:
        for f in files:
            res = add_boundaries(ws, f, level=level)
            rows.append(
                {
                    "file": f.name,
                    "kind": res.kind,
                    "status": res.status,
                    "areas": _counts(res.counts),
                    "points_placed": res.located_points,
                }
            )
            for w in res.warnings:
                typer.echo(_("warning: {file}: {warning}").format(file=f.name, warning=w), err=True)
    render(rows, Format.table, None, title=_("Boundaries"))


def _counts(counts: dict[str, int]) -> str:
    if len(counts) <= 6:
        return ", ".join(f"{k} {v}" for k, v in counts.items())
    countries = {k.split(" ")[0] for k in counts}
    by_level: dict[str, int] = {}
    for k, v in counts.items():
        by_level[k.split(" ", 1)[1]] = by_level.get(k.split(" ", 1)[1], 0) + v
    return f"{len(countries)} countries: " + ", ".join(f"{k} {v}" for k, v in sorted(by_level.items()))


def boundaries_list(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """Admin areas in the workspace, by country, level and source (boundaries, gazetteer, 3W sheets)."""
    from kizuna.geo.queries import area_summary
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        rows = area_summary(ws.con)
    render(rows, fmt, out, title=_("Admin areas"))


def boundaries_names(
    workspace: WorkspaceOpt = None,
    country: Annotated[str | None, typer.Option("--country", help="ISO 3166-1 alpha-2 code, e.g. AF.")] = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Area names by P-code, as every output uses them (boundaries, then gazetteer, then 3W sheets)."""
    from kizuna.geo.areas import area_names
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        df = area_names(ws, country)
    render(df, fmt, out, title=_("Area names"))


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Admin boundaries and P-code names (offline files).", no_args_is_help=True)
    group.command("add")(boundaries_add)
    group.command("list")(boundaries_list)
    group.command("names")(boundaries_names)
    app.add_typer(group, name="boundaries")
