"""What the data cannot show: plain statements that go with every coordination answer.

Real IATI files often carry no subnational location, no needs table comes with them, and some money has
no sector or no exchange rate. An empty map or "no organisation present" would then mislead; these
statements say instead what is missing and how much money it concerns. Pure: frames in, list out.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kizuna.coordinate.model import LedgerFrames

SPEND = ("3", "4")  # IATI TransactionType: disbursement, expenditure


@dataclass(frozen=True)
class Limit:
    """One statement: a stable ``code`` (for tests and translations) and the ``message`` a person reads."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "0%"


def data_limits(
    lf: LedgerFrames,
    country: str | None = None,
    *,
    needs_given: bool | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
) -> list[Limit]:
    """Statements of what the ledger (for ``country``, over the years given) cannot show.

    Money is counted spend (transaction types 3 and 4, USD, flows counted once); ``needs_given`` None
    means "not asked" (no statement about needs)."""
    out: list[Limit] = []
    where = f" in {country}" if country else ""
    acts = lf.countries.filter(pl.col("country") == country).select("activity_uid").unique() if country else None
    flows = lf.flows.filter(pl.col("counted") & pl.col("type_code").is_in(list(SPEND)))
    if country:
        flows = flows.filter(pl.col("country") == country)
    if year_from is not None:
        flows = flows.filter(pl.col("year") >= year_from)
    if year_to is not None:
        flows = flows.filter(pl.col("year") <= year_to)
    total = float(flows.get_column("usd").fill_null(0).sum() or 0)
    located = (
        lf.locations.filter(
            pl.col("adm1").is_not_null() | pl.col("adm2").is_not_null() | pl.col("lat").is_not_null()
        )
        .select("activity_uid")
        .unique()
    )
    scope = acts if acts is not None else lf.activities.select("activity_uid")
    n_acts = scope.height
    n_located = scope.join(located, on="activity_uid", how="semi").height
    if n_acts and n_located == 0:
        out.append(
            Limit(
                "locations.none",
                f"No activity{where} has a subnational location (admin area or coordinates): areas, maps and"
                " co-location cannot be shown; presence is country-wide and overlaps rest on sector, dates,"
                " partners and text.",
            )
        )
    elif n_acts and n_located < n_acts:
        unlocated_usd = float(
            flows.join(located, on="activity_uid", how="anti").get_column("usd").fill_null(0).sum() or 0
        )
        out.append(
            Limit(
                "locations.partial",
                f"{n_acts - n_located} of {n_acts} activities{where} have no subnational location;"
                f" they hold {_share(unlocated_usd, total)} of the money spent (USD {unlocated_usd:,.0f}),"
                " which no area can show.",
            )
        )
    if needs_given is False:
        out.append(
            Limit(
                "needs.none",
                "No needs table: gaps (need against presence) cannot be computed. Add one with"
                " `kizuna gaps --needs FILE` (people in need by area and sector, e.g. OCHA's HNO table).",
            )
        )
    no_sector = float(flows.filter(pl.col("sector").is_null()).get_column("usd").fill_null(0).sum() or 0)
    if no_sector > 0:
        out.append(
            Limit(
                "sectors.unspecified",
                f"{_share(no_sector, total)} of the money spent{where} (USD {no_sector:,.0f}) has no DAC sector:"
                " it counts in totals but in no sector.",
            )
        )
    no_rate = flows.filter(pl.col("usd").is_null()).height
    if no_rate:
        out.append(
            Limit(
                "fx.missing",
                f"{no_rate} money rows{where} have no exchange rate for their date (ECB rates): they are left out"
                " of USD totals, never guessed.",
            )
        )
    return out
