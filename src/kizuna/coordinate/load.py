"""The old home of the coordinate part's ledger loaders: they live in :mod:`kizuna.coordinate.queries`."""

from kizuna.coordinate.queries import NEEDS_COLUMNS, load_ledger, org_ref_warnings, read_needs

__all__ = ["NEEDS_COLUMNS", "load_ledger", "org_ref_warnings", "read_needs"]
