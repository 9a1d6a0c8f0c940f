"""Organisation names: the one normaliser every part matches names with.

One home for the rule, so a 3W row, an IATI narrative, an alias and a user's ``name:...`` argument
all meet on the same key. The rule: Unicode NFKC (full-width ``ＪＩＣＡ`` becomes ``JICA``), case-folded,
every run of characters that are not letters or digits (in any script) becomes one space, trimmed.
Japanese, Arabic or Cyrillic names keep their letters: two organisations whose names are only
Japanese never collapse onto one empty key.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

# \w is Unicode-aware in both Python's re and Polars' (Rust) regex; "_" is punctuation for names.
_NON_WORD = re.compile(r"[\W_]+")


def norm_name(name: str | None) -> str:
    """The matching key of an organisation name (see the module docstring); ``""`` for no name."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name).casefold()
    return _NON_WORD.sub(" ", text).strip()


def norm_name_expr(e: pl.Expr) -> pl.Expr:
    """:func:`norm_name` as a Polars expression (nulls become ``""``).

    Polars' ``to_lowercase`` is not ``casefold`` (``ß`` stays ``ß``); the two agree on every name in
    the ledgers we have seen and on the tests' cases, and the difference only merges fewer names.
    """
    return (
        e.cast(pl.String)
        .fill_null("")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"[\W_]+", " ")
        .str.strip_chars()
    )


def name_slug(name: str | None) -> str:
    """A key-safe slug of a name (spaces to hyphens), never empty for a non-empty name: used where an
    organisation without an identifier needs a pseudo-identifier (3W rows)."""
    key = norm_name(name)
    if key:
        return key.replace(" ", "-")
    if name and name.strip():  # only punctuation or symbols: keep it distinguishable
        return "x" + unicodedata.normalize("NFKC", name.strip()).encode("utf-8").hex()[:16]
    return ""
