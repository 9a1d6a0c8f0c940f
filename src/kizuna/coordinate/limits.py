"""What the data cannot show: plain statements that go with every coordination answer.

Real IATI files often carry no subnational location, no needs table comes with them, and some money has
no sector or no exchange rate. An empty map or "no organisation present" would then mislead; these
statements say instead what is missing and how much money it concerns. Pure: frames in, list out.
"""

from __future__ import annotations

import polars as pl

from kizuna.coordinate.model import LedgerFrames
from kizuna.i18n import N_, note

SPEND = ("3", "4")  # IATI TransactionType: disbursement, expenditure


def data_limits(
    lf: LedgerFrames,
    country: str | None = None,
    *,
    needs_given: bool | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
) -> list[dict[str, str]]:
    """Statements ``{code, message}`` of what the ledger (for ``country``, over the years given) cannot show.

    Locations come from :func:`kizuna.coordinate.gaps.ledger_notes` (the same statements the gaps carry:
    ``no_activities_in_country``, ``no_subnational_locations``, ``money_without_location``); then
    ``needs.none`` (when ``needs_given`` is False), ``sectors.unspecified`` (counted spend, transaction types
    3 and 4, with no DAC sector) and ``fx.missing`` (money rows with no exchange rate)."""
    from kizuna.coordinate.gaps import _share, ledger_notes

    countries = [country] if country else None
    out = ledger_notes(lf, countries, year_from=year_from, year_to=year_to, cluster_level=False)
    flows = lf.flows.filter(pl.col("counted") & pl.col("type_code").is_in(list(SPEND)))
    if country:
        flows = flows.filter(pl.col("country") == country)
    if year_from is not None:
        flows = flows.filter(pl.col("year") >= year_from)
    if year_to is not None:
        flows = flows.filter(pl.col("year") <= year_to)
    total = float(flows.get_column("usd").fill_null(0).sum() or 0)
    if needs_given is False:
        out.append(
            note(
                "needs.none",
                N_(
                    "No needs table: gaps (need against presence) cannot be computed. Add one with"
                    " `kizuna gaps --needs FILE` (people in need by area and sector, e.g. OCHA's HNO table)."
                ),
            )
        )
    no_sector = float(flows.filter(pl.col("sector").is_null()).get_column("usd").fill_null(0).sum() or 0)
    share = _share(no_sector / total if total else 0.0)
    if no_sector > 0:
        out.append(
            note(
                "sectors.unspecified",
                N_(
                    "{share} of the money spent in {country} (USD {usd}) has no DAC sector:"
                    " it counts in totals but in no sector."
                )
                if country
                else N_(
                    "{share} of the money spent (USD {usd}) has no DAC sector: it counts in totals but in no sector."
                ),
                share=share,
                country=country or "",
                usd=f"{no_sector:,.0f}",
            )
        )
    no_rate = flows.filter(pl.col("usd").is_null()).height
    if no_rate:
        out.append(
            note(
                "fx.missing",
                N_(
                    "{n} money rows in {country} have no exchange rate for their date (ECB rates): they are"
                    " left out of USD totals, never guessed."
                )
                if country
                else N_(
                    "{n} money rows have no exchange rate for their date (ECB rates): they are"
                    " left out of USD totals, never guessed."
                ),
                n=no_rate,
                country=country or "",
            )
        )
    return out
