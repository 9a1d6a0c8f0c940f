"""Human headings for data columns, in the current language: one table of labels for every surface
(pages, CSV/XLSX downloads, reports, CLI tables), so ``usd_commitments`` reads "Committed (USD)" /
「約束額（米ドル）」 everywhere and never as snake_case.

Add a column's label here (marked with ``N_``) when a dataset gains a column; the catalogue test
fails when a label has no Japanese translation. Columns without a label fall back to a tidied name.
"""

from __future__ import annotations

from kizuna.i18n import N_, gettext

LABELS: dict[str, str] = {
    # ledger
    "publisher_name": N_("Publisher"),
    "publisher_ref": N_("Publisher ref"),
    "iati_identifier": N_("IATI identifier"),
    "activity_uid": N_("Activity"),
    "title": N_("Title"),
    "sha256": N_("SHA-256"),
    "country": N_("Country"),
    "country_name": N_("Country"),
    "sector": N_("Sector"),
    "sector_name": N_("Sector"),
    "org_name": N_("Organisation"),
    "ally": N_("Ally"),
    "adm1": N_("Area"),
    "adm2": N_("District"),
    "usd": N_("Amount (USD)"),
    "usd_commitments": N_("Committed (USD)"),
    "usd_disbursements": N_("Disbursed (USD)"),
    "committed_usd": N_("Committed (USD)"),
    "disbursed_usd": N_("Disbursed (USD)"),
    "n_activities": N_("Activities"),
    "n_orgs": N_("Organisations"),
    "disbursed_per_committed": N_("Disbursed per committed"),
    # coordinate
    "pin": N_("People in need"),
    "hhi": N_("Concentration (HHI)"),
    "rca": N_("Comparative advantage (RCA)"),
    # measure
    "group_var": N_("Grouped by"),
    "se": N_("Standard error"),
    "lo": N_("95% CI low"),
    "hi": N_("95% CI high"),
    # CLI tables (issue 12, CLI text): kizuna ingest / fetch / boundaries add / measure
    "file": N_("File"),
    "kind": N_("Kind"),
    "status": N_("Status"),
    "publisher": N_("Publisher"),
    "activities": N_("Activities"),
    "transactions": N_("Transactions"),
    "replaced": N_("Replaced"),
    "warnings": N_("Warnings"),
    "areas": N_("Areas"),
    "points_placed": N_("Points placed"),
    "round": N_("Round"),
    "measure": N_("Measure"),
    "estimate": N_("Estimate"),
    "n": N_("N"),
}


def label(column: str) -> str:
    """The heading for ``column`` in the current language; unknown columns are tidied
    (``committed_usd`` -> ``Committed (USD)``), never shown as snake_case."""
    known = LABELS.get(column)
    if known:
        return gettext(known)
    text = column.replace("_usd", " (USD)").replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]
