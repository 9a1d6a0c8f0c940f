"""Countries as filters: one rule for every command, page and API parameter that takes a country.

Codes are ISO 3166-1 alpha-2 as IATI uses them (the Country codelist), matched case-insensitively.
A code that names no country, or a country the workspace holds nothing for, is an error naming the
countries it does hold: an empty answer would look like "nobody works there".
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from kizuna import i18n
from kizuna.errors import InputError, Where
from kizuna.i18n import N_

# The synthetic demo's fictional country (user-assigned ISO code range XA-XZ): never a real place.
SYNTHETIC_COUNTRIES = {"XZ": "Republic of Kaltara (synthetic)"}
SYNTHETIC_COUNTRIES_JA = {"XZ": "カルタラ共和国（合成データ）"}
# Codes IATI's Country codelist uses that ISO 3166-1 (pycountry) does not hold, with IATI's English name.
IATI_EXTRA_COUNTRIES = {"XK": "Kosovo"}
OVERRIDES_JA = "countries_ja_overrides.csv"
_HINT_MAX = 30


@lru_cache(maxsize=1)
def japanese_overrides() -> dict[str, tuple[str, str]]:
    """code -> (Japanese name, note why) from ``countries_ja_overrides.csv`` (project-owned; ``#`` lines
    are comments). These rows replace Babel's CLDR name where MOFA's short name differs."""
    text = resources.files("kizuna.reference").joinpath(OVERRIDES_JA).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {r["code"].strip().upper(): (r["name_ja"].strip(), r["note"].strip()) for r in rows}


@lru_cache(maxsize=1)
def _cldr_japanese() -> dict[str, str]:
    from babel import Locale

    return dict(Locale("ja").territories)


def _english(c: str) -> str | None:
    if c in SYNTHETIC_COUNTRIES:
        return SYNTHETIC_COUNTRIES[c]
    import pycountry

    found = pycountry.countries.get(alpha_2=c)
    if found is not None:
        return str(found.name)
    return IATI_EXTRA_COUNTRIES.get(c)


def _japanese(c: str) -> str | None:
    if c in SYNTHETIC_COUNTRIES_JA:
        return SYNTHETIC_COUNTRIES_JA[c]
    if c in japanese_overrides():
        return japanese_overrides()[c][0]
    if _english(c) is None:  # a CLDR region that is no country of ISO 3166-1 or IATI (e.g. 'EU', 'QO')
        return None
    return _cldr_japanese().get(c)


def country_name(code: str, lang: str | None = None) -> str | None:
    """The short name of an ISO 3166-1 alpha-2 code in ``lang`` (default: the language of the moment).

    English: pycountry's ISO 3166-1 name, the synthetic country's, or IATI's name for codes ISO lacks
    (XK Kosovo). Japanese: the short names Japan's Ministry of Foreign Affairs uses: Babel's CLDR names
    corrected by the project's ``countries_ja_overrides.csv`` (pycountry's own ``ja`` catalogue is not used:
    it has 中国領・台湾, グルジア, a typo for Tanzania and no Kosovo). A code with no Japanese name falls
    back to English; ``None`` when the code names no country.
    """
    c = code.strip().upper()
    lang = i18n.normalise(lang) or i18n.current()
    if lang == "ja":
        ja = _japanese(c)
        if ja:
            return ja
    return _english(c)


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
    params: dict[str, object] = {"code": code.strip(), "c": c, "shown": ", ".join(held[:_HINT_MAX])}
    if not held:
        hint = N_("the workspace holds no country yet: ingest data first")
    elif len(held) > _HINT_MAX:
        hint = N_("countries in this workspace: {shown} and {more} more")
        params["more"] = len(held) - _HINT_MAX
    else:
        hint = N_("countries in this workspace: {shown}")
    name = country_name(c) if len(c) == 2 and c.isalpha() else None
    if name is None:
        msg = N_("'{code}' is not an ISO 3166-1 alpha-2 country code")
        raise InputError("country.unknown", msg, Where(field=field), hint=hint, params=params)
    params["name"] = name
    raise InputError(
        "country.absent",
        N_("the workspace holds nothing for {name} ({c})"),
        Where(field=field),
        hint=hint,
        status=404,
        params=params,
    )
