"""Countries as filters: one rule for every command, page and API parameter that takes a country.

Codes are ISO 3166-1 alpha-2 as IATI uses them (the Country codelist), matched case-insensitively.
A code that names no country, or a country the workspace holds nothing for, is an error naming the
countries it does hold: an empty answer would look like "nobody works there".
"""

from __future__ import annotations

from collections.abc import Iterable

from kizuna.errors import InputError, Where

# The synthetic demo's fictional country (user-assigned ISO code range XA-XZ): never a real place.
SYNTHETIC_COUNTRIES = {"XZ": "Republic of Kaltara (synthetic)"}
_HINT_MAX = 30


def country_name(code: str) -> str | None:
    """The English short name of an ISO 3166-1 alpha-2 code (pycountry), or the synthetic country's."""
    c = code.strip().upper()
    if c in SYNTHETIC_COUNTRIES:
        return SYNTHETIC_COUNTRIES[c]
    import pycountry

    found = pycountry.countries.get(alpha_2=c)
    return found.name if found else None


def check_country(code: str | None, known: Iterable[str], field: str = "country") -> str | None:
    """``code`` upper-cased when the workspace holds it (``known``); ``None`` for no filter.

    Raises :class:`InputError` ``country.unknown`` (not a country code) or ``country.absent`` (a
    country with nothing in this workspace), with the countries it holds in the hint.
    """
    if code is None or not code.strip():
        return None
    c = code.strip().upper()
    held = sorted({k.strip().upper() for k in known if k})
    if c in held:
        return c
    shown = ", ".join(held[:_HINT_MAX]) + (f" and {len(held) - _HINT_MAX} more" if len(held) > _HINT_MAX else "")
    hint = f"countries in this workspace: {shown}" if held else "the workspace holds no country yet: ingest data first"
    name = country_name(c) if len(c) == 2 and c.isalpha() else None
    if name is None:
        msg = f"'{code.strip()}' is not an ISO 3166-1 alpha-2 country code"
        raise InputError("country.unknown", msg, Where(field=field), hint=hint)
    raise InputError(
        "country.absent", f"the workspace holds nothing for {name} ({c})", Where(field=field), hint=hint, status=404
    )
