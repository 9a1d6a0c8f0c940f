"""The CLI importers of the kinds other than the ledger's, run into a staging workspace by
:func:`kizuna.shared.records.load_import` (the same library calls ``kizuna measure`` and ``kizuna screen``
make; options name what their CLI options name)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_
from kizuna.workspace import Workspace


def _path(options: Mapping[str, Any], name: str) -> Path | None:
    value = options.get(name)
    return None if value in (None, "") else Path(value)


def import_survey(ws: Workspace, path: Path, options: Mapping[str, Any]) -> None:
    """``kizuna measure SURVEY --spec SPEC``: ``options['spec']`` is the spec file (TOML). Stores the run's
    aggregates (measure_runs, estimates, sweep, changes, needs); respondents are never stored."""
    from kizuna.measure.api import measure_file

    spec = _path(options, "spec")
    if spec is None:
        raise KizunaError(
            "records.spec_missing",
            N_("a survey needs its spec file"),
            Where(file=path.name, field="spec"),
            hint=N_("give the TOML spec that `kizuna measure --spec` takes"),
        )
    measure_file(path, spec, ws=ws)


def import_proposal(ws: Workspace, path: Path, options: Mapping[str, Any]) -> None:
    """``kizuna screen PROPOSAL``: options ``communities``, ``boundaries``, ``events`` (a path or a list),
    ``catalogue`` (paths) and ``as_of`` (YYYY-MM-DD text, default today) as the CLI's options."""
    from kizuna.options import parse_as_of
    from kizuna.screen.run import screen_files

    events = options.get("events") or []
    if isinstance(events, str | Path):
        events = [events]
    screen_files(
        [path],
        as_of=parse_as_of(options.get("as_of"), "screen"),
        communities=_path(options, "communities"),
        boundaries=_path(options, "boundaries"),
        events=[Path(e) for e in events],
        catalogue=_path(options, "catalogue"),
        ws=ws,
        store=True,
    )


def import_indicators(ws: Workspace, path: Path, options: Mapping[str, Any]) -> None:
    """``kizuna track results import TABLE``: an indicator table (ActivityInfo/DHIS2-like)."""
    from kizuna.track.results_store import import_tables

    import_tables(ws, [path])


def import_needs(ws: Workspace, path: Path, options: Mapping[str, Any]) -> None:
    """``kizuna gaps --needs TABLE``: a needs table (OCHA HNO or a simple one)."""
    from kizuna.coordinate.needs_store import store_needs

    store_needs(ws, path)


def import_boundaries(ws: Workspace, path: Path, options: Mapping[str, Any]) -> None:
    """``kizuna boundaries add FILE [--level N]``: boundaries (GeoJSON, COD-AB) or a P-code list."""
    from kizuna.geo.store import add_boundaries

    level = options.get("level")
    add_boundaries(ws, path, level=None if level in (None, "") else int(level))
