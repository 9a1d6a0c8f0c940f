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


def _track_key(path: Path, options: Mapping[str, Any]) -> Any:
    """The organisation's track key, from ``options['key_file']`` (the server's, see
    :func:`kizuna.shared.records.track_key_file`); the key itself is never in ``options``."""
    from kizuna.track.protect import load_key

    key_file = _path(options, "key_file")
    if key_file is None:
        raise KizunaError(
            "records.key_missing",
            N_("person records need the organisation's track key, and none was given"),
            Where(file=path.name, field="key_file"),
            hint=N_("upload them through the shared server, which keeps each organisation's key"),
        )
    return load_key(key_file)


def import_ddr(ws: Workspace, path: Path, options: Mapping[str, Any]) -> None:
    """``kizuna ddr import PERSONS [--waves WAVES] [--programme NAME] --key KEY``: DDR person records
    (``path``) and, in ``options['waves']``, their follow-up waves; pseudonymised on read with the key of
    ``options['key_file']`` (names and raw ids are never stored)."""
    from kizuna.track.ddr_store import import_sheets

    programme = str(options.get("programme") or "").strip() or None
    import_sheets(ws, path, _path(options, "waves"), _track_key(path, options), programme=programme)


def import_training(ws: Workspace, path: Path, options: Mapping[str, Any]) -> None:
    """``kizuna training import --course NAME --roster ROSTER [--reaction F] [--tests F] [--followup F]
    [--units F] --key KEY``: ``path`` is the roster, ``options`` name the course and the other files;
    participants are pseudonymised with the key of ``options['key_file']``."""
    from kizuna.track.training_store import import_course

    import_course(
        ws, str(options.get("course") or ""), _track_key(path, options), roster=path,
        reaction=_path(options, "reaction"), tests=_path(options, "tests"), followup=_path(options, "followup"),
        units=_path(options, "units"),
    )
