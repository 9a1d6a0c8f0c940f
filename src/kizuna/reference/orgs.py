"""Organisation names: the one normaliser every part matches names with.

Also the organisation registry (``organisations.csv``, shipped as data; user entries in the workspace
win): ally, agency, type and names of the alliance's publishers and funders by IATI organisation
identifier, each entry citing where the identifier was verified.

One home for the name rule, so a 3W row, an IATI narrative, an alias and a user's ``name:...`` argument
all meet on the same key. The rule: Unicode NFKC (full-width ``ＪＩＣＡ`` becomes ``JICA``), case-folded,
every run of characters that are not letters or digits (in any script) becomes one space, trimmed.
Japanese, Arabic or Cyrillic names keep their letters: two organisations whose names are only
Japanese never collapse onto one empty key.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Any

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


# --------------------------------------------------------------------------- organisation identifiers

# An IATI organisation identifier is "{registration agency}-{number}", the agency code itself being
# "{country or XM/XI}-{list}" (IATI Standard, "Organisation Identifiers";
# https://iatistandard.org/en/guidance/preparing-organisation/organisation-account/how-to-create-your-iati-organisation-identifier/
# and the OrganisationRegistrationAgency codelist): so at least three hyphen-separated parts, starting
# with two letters. "7", "2" or an empty ref are not identifiers.
_ORG_ID = re.compile(r"^[A-Za-z]{2}-[A-Za-z0-9_]+-\S+$")


def is_org_identifier(ref: str | None, registry_refs: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether ``ref`` can identify an organisation: the identifier shape above, or a ref the registry
    lists (legacy refs such as the World Bank's ``44000`` are known there)."""
    if not ref or not ref.strip():
        return False
    r = ref.strip()
    return r in registry_refs or bool(_ORG_ID.match(r))


def is_org_identifier_expr(ref: pl.Expr, registry_refs: list[str]) -> pl.Expr:
    """:func:`is_org_identifier` as a Polars expression (null is not an identifier)."""
    r = ref.cast(pl.String).str.strip_chars()
    return (r.str.contains(_ORG_ID.pattern) | r.is_in(registry_refs)).fill_null(False)


# --------------------------------------------------------------------------- the registry

REGISTRY_COLUMNS = ("ref", "name", "name_ja", "ally", "agency", "org_type", "aliases", "same_as", "source")


def _registry_text() -> str:
    return resources.files("kizuna.reference").joinpath("organisations.csv").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def builtin_registry() -> tuple[dict[str, str | None], ...]:
    """The shipped registry rows (``organisations.csv``), each a dict of :data:`REGISTRY_COLUMNS`."""
    rows = []
    for r in csv.DictReader(io.StringIO(_registry_text())):
        rows.append({c: ((r.get(c) or "").strip() or None) for c in REGISTRY_COLUMNS})
    return tuple(rows)


def ensure_registry(con: Any) -> None:
    """Load the shipped registry into ``org_registry`` when the workspace holds another version of it
    (built-in rows replaced; rows a user added stay and win over built-in rows of the same ref)."""
    sha = hashlib.sha256(_registry_text().encode("utf-8")).hexdigest()
    held = con.execute("SELECT sha256 FROM reference_versions WHERE name = 'organisations'").fetchall()
    if held and held[0][0] == sha:
        return
    import pyarrow as pa

    rows = builtin_registry()
    table = pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in REGISTRY_COLUMNS})
    con.register("_registry_rows", table)
    try:
        con.execute("DELETE FROM org_registry WHERE origin = 'builtin'")
        con.execute(
            "INSERT INTO org_registry SELECT ref, name, name_ja, ally, agency, org_type, aliases, same_as, source,"
            " 'builtin'"
            " FROM _registry_rows WHERE ref NOT IN (SELECT ref FROM org_registry)"
        )
    finally:
        con.unregister("_registry_rows")
    con.execute("DELETE FROM reference_versions WHERE name = 'organisations'")
    con.execute("INSERT INTO reference_versions VALUES ('organisations', ?)", [sha])


def registry_names(registry: pl.DataFrame) -> pl.DataFrame:
    """Every name a registry entry is known by (its name, Japanese name, aliases and agency label),
    normalised: columns ``_n`` (the :func:`norm_name` key) and ``ref`` (the entry's current identifier:
    ``same_as`` when it has one); a key two organisations share is dropped, so a name never picks one
    of two organisations at random."""
    if registry.height == 0:
        return pl.DataFrame(schema={"_n": pl.String, "ref": pl.String})
    if "same_as" in registry.columns:
        registry = registry.with_columns(pl.coalesce(pl.col("same_as"), pl.col("ref")).alias("ref"))
    names = pl.concat(
        [
            registry.select("ref", pl.col("name").alias("n")),
            registry.select("ref", pl.col("name_ja").alias("n")),
            registry.select("ref", pl.col("aliases").str.split("|").alias("n")).explode("n"),
            # the agency label too ("USAID", "JICA"), the way 3W sheets often write organisations
            registry.select("ref", pl.col("agency").alias("n")),
        ],
        how="vertical_relaxed",
    )
    keyed = names.with_columns(norm_name_expr(pl.col("n")).alias("_n")).filter(pl.col("_n") != "")
    return keyed.select("_n", "ref").unique().filter(pl.len().over("_n") == 1)
