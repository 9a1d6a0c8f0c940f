"""Code names for IATI codelists, offline first.

A compact built-in table (``builtin_codes.csv``, written for Kizuna: DAC 3-digit sector categories, the
5-digit purpose codes the product uses most, transaction types, statuses, roles) is always there.
``kizuna codelists update`` downloads the full IATI codelists (Standard 2.03) when online, and
``kizuna codelists load DIR`` reads a folder of IATI codelist XML files (e.g. a copy of
IATI-Codelists ``xml/``); either replaces the built-in names for the lists it brings. Country names
come from ISO 3166-1 via pycountry.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
from lxml import etree

from kizuna.errors import InputError, KizunaError, Where
from kizuna.workspace import scalar

IATI_CODELIST_URL = "https://iatistandard.org/reference_downloads/203/codelists/downloads/clv3/xml/{name}.xml"
WANTED = [
    "Sector",
    "SectorCategory",
    "SectorVocabulary",
    "TransactionType",
    "ActivityStatus",
    "OrganisationRole",
    "OrganisationType",
    "Country",
    "Region",
    "Currency",
    "PolicyMarker",
    "PolicySignificance",
    "ActivityDateType",
    "AidType",
    "FlowType",
    "FinanceType",
    "ResultType",
    "IndicatorMeasure",
]


@lru_cache(maxsize=1)
def builtin_rows() -> list[tuple[str, str, str, str | None]]:
    text = resources.files("kizuna.reference").joinpath("builtin_codes.csv").read_text(encoding="utf-8")
    return [(r["codelist"], r["code"], r["name"], r["category"] or None) for r in csv.DictReader(io.StringIO(text))]


def ensure_codelists(con: Any) -> None:
    """Fill ``codelist_items`` with the built-in table (and ISO country names) if it is empty."""
    if scalar(con, "SELECT count(*) FROM codelist_items"):
        return
    rows = list(builtin_rows())
    import pycountry

    for c in pycountry.countries:
        rows.append(("Country", c.alpha_2, c.name, None))
    _insert(con, rows, "builtin")


def _insert(con: Any, rows: list[tuple[str, str, str, str | None]], source: str) -> None:
    tbl = pa.table(
        {
            "codelist": [r[0] for r in rows],
            "code": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "category": [r[3] for r in rows],
            "source": [source] * len(rows),
        }
    )
    con.register("_codes", tbl)
    try:
        con.execute("INSERT OR REPLACE INTO codelist_items SELECT codelist, code, name, category, source FROM _codes")
    finally:
        con.unregister("_codes")


def parse_codelist_xml(data: bytes, origin: str) -> tuple[str, list[tuple[str, str, str, str | None]]]:
    """Parse one IATI codelist XML document (``<codelist name=...><codelist-items>...``)."""
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(
            "codelist.malformed",
            f"not well-formed XML: {exc.msg}",
            Where(file=origin, line=exc.lineno),
            hint="download the codelist again",
        ) from None
    name = root.get("name")
    if root.tag != "codelist" or not name:
        raise InputError(
            "codelist.not_codelist",
            "not an IATI codelist file",
            Where(file=origin),
            hint="expected a <codelist name=...> root",
        )
    rows = []
    for item in root.iter("codelist-item"):
        code = (item.findtext("code") or "").strip()
        nm = None
        for n in item.iterfind("name/narrative"):
            if n.get("{http://www.w3.org/XML/1998/namespace}lang") in (None, "en"):
                nm = (n.text or "").strip()
                break
        cat = (item.findtext("category") or "").strip() or None
        if code:
            rows.append((name, code, nm or code, cat))
    return name, rows


def load_folder(con: Any, folder: Path) -> dict[str, int]:
    """Load every ``*.xml`` codelist in a folder into the workspace; returns items per codelist."""
    ensure_codelists(con)
    files = sorted(folder.glob("*.xml"))
    if not files:
        raise InputError(
            "codelist.empty_folder",
            "no codelist .xml files here",
            Where(file=str(folder)),
            hint="point at a folder of IATI codelist XML files (e.g. IATI-Codelists/xml)",
        )
    counts: dict[str, int] = {}
    for f in files:
        name, rows = parse_codelist_xml(f.read_bytes(), str(f))
        con.execute("DELETE FROM codelist_items WHERE codelist = ?", [name])
        _insert(con, rows, f"file:{f.name}")
        counts[name] = len(rows)
    return counts


def download(con: Any, timeout: float = 20.0) -> dict[str, int]:
    """Download the IATI codelists (needs a network); on any failure the built-in table stays in use."""
    import urllib.error
    import urllib.request

    ensure_codelists(con)
    counts: dict[str, int] = {}
    for wanted in WANTED:
        url = IATI_CODELIST_URL.format(name=wanted)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - fixed https URL
                data = resp.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise KizunaError(
                "codelist.offline",
                f"cannot download {wanted}: {exc}",
                Where(file=url),
                hint="you seem to be offline; the built-in codes stay in use "
                "(or run `kizuna codelists load DIR` with a local copy)",
            ) from None
        name, rows = parse_codelist_xml(data, url)
        con.execute("DELETE FROM codelist_items WHERE codelist = ?", [name])
        _insert(con, rows, url)
        counts[name] = len(rows)
    return counts
