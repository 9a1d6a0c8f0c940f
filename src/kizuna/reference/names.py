"""Names of codes (sectors, regions, organisation types, clusters, indicators, project types) in the
language of the moment.

English names of IATI codes come from the IATI codelists (the workspace's ``codes`` table, or the
built-in copy); English names of Kizuna's own codes (clusters, measurement indicators and dimensions,
screening project types and rule families) from ``names_en.csv``. Japanese names come from
``names_ja.csv``. Both files are data this project owns and translates (marked as such, easy to correct:
edit the file; see docs/languages.md). A code without a name in the language asked for falls back to its
English name, then to the code itself.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

from kizuna import i18n

NAMES_JA = "names_ja.csv"
NAMES_EN = "names_en.csv"


def read_names(filename: str, column: str) -> dict[tuple[str, str], str]:
    """(codelist, code) -> name from one of the project's name files (``#`` lines are comments).

    Raises ``ValueError`` on a duplicate (codelist, code): one code has one name per language.
    """
    res = resources.files("kizuna.reference").joinpath(filename)
    if not res.is_file():
        return {}
    text = res.read_text(encoding="utf-8")
    out: dict[tuple[str, str], str] = {}
    for r in csv.DictReader(line for line in text.splitlines() if not line.startswith("#")):
        key = (r["codelist"].strip(), r["code"].strip())
        if key in out:
            raise ValueError(f"{filename}: {key[0]} {key[1]} is named twice")
        name = (r.get(column) or "").strip()
        if name:
            out[key] = name
    return out


@lru_cache(maxsize=1)
def _builtin_english() -> dict[tuple[str, str], str]:
    from kizuna.reference.codelists import builtin_rows

    return {(r[0], r[1]): r[2] for r in builtin_rows()}


@lru_cache(maxsize=1)
def english_names() -> dict[tuple[str, str], str]:
    """(codelist, code) -> English name of Kizuna's own codes, from ``names_en.csv``."""
    return read_names(NAMES_EN, "name_en")


@lru_cache(maxsize=1)
def japanese() -> dict[tuple[str, str], str]:
    """(codelist, code) -> Japanese name, from ``names_ja.csv``."""
    return read_names(NAMES_JA, "name_ja")


def code_name(codelist: str, code: str | None, english: str | None = None, lang: str | None = None) -> str | None:
    """The name of ``code`` in ``codelist`` in ``lang`` (default: the language of the moment).

    ``english``: the English name the caller already has (e.g. from the workspace's codelists, which a
    downloaded codelist may have updated); else the built-in IATI codelist's name, else the project's
    ``names_en.csv``. Falls back to English, then to the code itself.
    """
    if code is None or code == "":
        return None
    c = str(code).strip()
    lang = i18n.normalise(lang) or i18n.current()
    if lang == "ja":
        ja = japanese().get((codelist, c))
        if ja:
            return ja
    return english or _builtin_english().get((codelist, c)) or english_names().get((codelist, c)) or c


def sector_name(code: str | None, english: str | None = None, lang: str | None = None) -> str | None:
    """A DAC 5-digit purpose code (codelist ``Sector``) or 3-digit category (``SectorCategory``) by name;
    anything else (a humanitarian cluster, a project's own sector) by ``code_name('Cluster', ...)``.

    Clusters are keyed by Kizuna's cluster names (:mod:`kizuna.coordinate.sectors`); a 3W spelling
    ("WASH", "ES/NFI") or an HNO sector code ("WSH") is first normalised to that name. ``DAC 152`` (the
    cluster level's key for a DAC category with no cluster) is named as the category.
    """
    if code is None or code == "":
        return None
    c = str(code).strip()
    if c.isdigit() and len(c) == 5:
        return code_name("Sector", c, english, lang)
    if c.isdigit() and len(c) == 3:
        return code_name("SectorCategory", c, english, lang)
    if c.startswith("DAC ") and c[4:].isdigit() and len(c) == 7:
        return code_name("SectorCategory", c[4:], english, lang)
    if ("Cluster", c) not in japanese() and ("Cluster", c) not in english_names():
        from kizuna.coordinate.sectors import needs_sector_cluster

        canonical = needs_sector_cluster(c)
        if canonical:
            # English keeps the caller's or the data's own spelling; other languages name the cluster.
            if (i18n.normalise(lang) or i18n.current()) == "en":
                return english or c
            return code_name("Cluster", canonical, english, lang)
    return code_name("Cluster", c, english, lang)


# The groups kizuna.coordinate.allies puts organisations under when they belong to no government ally.
ALLY_GROUPS = {
    "UN": i18n.N_("UN"),
    "Multilaterals": i18n.N_("Multilaterals"),
    "NGOs": i18n.N_("NGOs"),
    "Other governments": i18n.N_("Other governments"),
    "Other": i18n.N_("Other"),
}


@lru_cache(maxsize=1)
def _countries_by_english_name() -> dict[str, str]:
    import pycountry

    out = {c.name: c.alpha_2 for c in pycountry.countries}
    out.update({getattr(c, "common_name", c.name): c.alpha_2 for c in pycountry.countries})
    out.update({"United States": "US", "United Kingdom": "GB", "South Korea": "KR", "Korea": "KR"})
    return out


def ally_name(value: str | None, lang: str | None = None) -> str | None:
    """An ally as a reader of ``lang`` names it: a government ally by its country's name ("Japan" ->
    「日本」, "United States" -> 「アメリカ合衆国」), a group (UN, NGOs, Other ...) through the catalogue,
    anything else (a synthetic ally, "European Union") as it is. The value itself stays the key filters use."""
    if not value:
        return value
    lang = i18n.normalise(lang) or i18n.current()
    if lang == i18n.DEFAULT:
        return value
    if value in ALLY_GROUPS:
        with i18n.use(lang):
            return i18n.gettext(ALLY_GROUPS[value])
    code = _countries_by_english_name().get(value)
    if code:
        from kizuna.reference.countries import country_name

        return country_name(code, lang) or value
    return value
