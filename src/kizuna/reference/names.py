"""Names of codes (sectors, regions, organisation types, clusters, indicators, project types) in the
language of the moment.

English names come from the IATI codelists (the workspace's ``codes`` table, or the built-in copy);
Japanese names from ``names_ja.csv``, a data file this project owns and translates (marked as such,
easy to correct). A code without a Japanese name falls back to its English name, then to the code.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from kizuna import i18n

NAMES_JA = Path(__file__).with_name("names_ja.csv")


@lru_cache(maxsize=1)
def _builtin_english() -> dict[tuple[str, str], str]:
    from kizuna.reference.codelists import builtin_rows

    return {(r[0], r[1]): r[2] for r in builtin_rows()}


@lru_cache(maxsize=1)
def japanese() -> dict[tuple[str, str], str]:
    """(codelist, code) -> Japanese name, from ``names_ja.csv`` (lines starting with # are comments)."""
    out: dict[tuple[str, str], str] = {}
    if not NAMES_JA.exists():
        return out
    with NAMES_JA.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        for r in rows:
            if r.get("name_ja"):
                out[(r["codelist"], r["code"])] = r["name_ja"]
    return out


def code_name(codelist: str, code: str | None, english: str | None = None, lang: str | None = None) -> str | None:
    """The name of ``code`` in ``codelist`` in ``lang`` (default: the language of the moment).

    ``english``: the English name the caller already has (e.g. from the workspace's codelists, which a
    downloaded codelist may have updated); else the built-in codelist's name. Falls back to English,
    then to the code itself.
    """
    if code is None or code == "":
        return None
    lang = i18n.normalise(lang) or i18n.current()
    if lang == "ja":
        ja = japanese().get((codelist, str(code)))
        if ja:
            return ja
    return english or _builtin_english().get((codelist, str(code))) or str(code)


def sector_name(code: str | None, english: str | None = None, lang: str | None = None) -> str | None:
    """A DAC 5-digit purpose code (codelist ``Sector``) or 3-digit category (``SectorCategory``) by name;
    anything else (a humanitarian cluster, a project's own sector) by ``code_name('Cluster', ...)``."""
    if code is None or code == "":
        return None
    c = str(code)
    if c.isdigit() and len(c) == 5:
        return code_name("Sector", c, english, lang)
    if c.isdigit() and len(c) == 3:
        return code_name("SectorCategory", c, english, lang)
    return code_name("Cluster", c, english, lang)
