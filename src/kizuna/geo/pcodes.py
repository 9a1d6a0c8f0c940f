"""P-codes: the country they belong to, and the small table of codes from older boundary editions.

OCHA P-codes start with the country's ISO 3166-1 alpha-2 code (``SS0101`` is a county of South
Sudan, ``AF01`` a province of Afghanistan): OCHA, "P-codes and COD-AB guidance"
(https://humanitarian.atlassian.net/wiki/spaces/imtoolbox/pages/222265609). A sheet without a country
column still tells its country through its P-codes.

Boundary editions change codes. :data:`PCODE_ALIASES` maps a code of an older edition to the code of
the edition the shared boundaries use, with the parent it moves under; every entry cites why. A code
that is neither known nor aliased is reported as a warning (``pcode.unknown``), never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_PCODE = re.compile(r"^[A-Z]{2}[0-9A-Z]*$")


@dataclass(frozen=True)
class PcodeAlias:
    old: str
    new: str
    new_parent: str | None  # the new code's admin-1 parent (for an admin-2 code)
    old_parent: str | None
    level: int
    note: str
    new_parent_name: str | None = None  # the new parent's name, when the old row's parent name no longer fits


PCODE_ALIASES: dict[str, PcodeAlias] = {
    a.old: a
    for a in [
        PcodeAlias(
            "SS0807",
            "SS0001",
            "SS00",
            "SS08",
            2,
            "Abyei: coded SS0807 under Warrap (SS08) in the COD-AB SSD editions before 2023; the 2023-08-29 "
            "edition (OCHA South Sudan, HDX cod-ab-ssd) makes it its own admin-1 area 'Abyei Region' SS00 "
            "with admin-2 SS0001. Seen in the 2022 South Sudan 3W (ss_3w_2022q1.xlsx).",
            "Abyei Region",
        ),
    ]
}


def resolve_alias(adm2: str | None, adm1: str | None) -> tuple[str | None, str | None, PcodeAlias | None]:
    """``(adm2, adm1, alias used)`` with an older-edition admin-2 code mapped (its admin-1 too, when the
    row gives the old parent or none); codes not in the table come back unchanged with ``None``."""
    if adm2 and adm2.upper() in PCODE_ALIASES:
        a = PCODE_ALIASES[adm2.upper()]
        if adm1 is None or adm1.upper() == (a.old_parent or "").upper():
            adm1 = a.new_parent
        return a.new, adm1, a
    if adm1 and adm1.upper() in PCODE_ALIASES and PCODE_ALIASES[adm1.upper()].level == 1:
        a = PCODE_ALIASES[adm1.upper()]
        return adm2, a.new, a
    return adm2, adm1, None


def looks_like_pcode(code: str | None) -> bool:
    """Two capital letters then letters/digits (``SS0101``, ``AF01``, ``CF616``) — a P-code's shape."""
    return bool(code) and bool(_PCODE.match(code or "")) and len(code or "") >= 3


@lru_cache(maxsize=512)
def country_of_pcode(code: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 country a P-code starts with, when those two letters are a country."""
    if not looks_like_pcode(code):
        return None
    return iso2(code[:2])  # type: ignore[index]


@lru_cache(maxsize=1024)
def iso2(code: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code from an alpha-2 or alpha-3 code (any case); None when unknown."""
    if not code:
        return None
    import pycountry

    c = code.strip().upper()
    if len(c) == 2:
        return c if pycountry.countries.get(alpha_2=c) is not None or c in ("XZ", "XK") else None
    if len(c) == 3:
        found = pycountry.countries.get(alpha_3=c)
        if found is not None:
            return str(found.alpha_2)
        return {"XKX": "XK"}.get(c)
    return None
