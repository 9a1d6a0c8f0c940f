"""Code names for IATI codelists, offline first.

A built-in table (``builtin_codes.csv``) is always there: every DAC 5-digit purpose code (Sector) and
3-digit category (SectorCategory), transaction types, activity statuses and date types, organisation
types and roles, regions and region and sector vocabularies, policy markers, budget types, with their
English names, generated from IATI's published codelists by :mod:`kizuna.reference.make_builtin_codes`
(withdrawn codes keep their names, with ``status = 'withdrawn'``). ``kizuna codelists update``
downloads the full IATI codelists (Standard 2.03) when online, and ``kizuna codelists load DIR`` reads
a folder of IATI codelist XML files (e.g. a copy of IATI-Codelists ``xml/``); either replaces the
built-in names for the lists it brings. Country names come from ISO 3166-1 via pycountry.
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
from kizuna.i18n import N_
from kizuna.store import kill_point, scalar  # not kizuna.workspace: it calls this module while it opens

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


Row = tuple[str, str, str, str | None, str | None]  # codelist, code, name, category, status
BUILTIN_CSV = "builtin_codes.csv"


@lru_cache(maxsize=1)
def builtin_rows() -> list[Row]:
    """The built-in table: ``(codelist, code, name, category, status)``; status is None when active."""
    text = resources.files("kizuna.reference").joinpath(BUILTIN_CSV).read_text(encoding="utf-8")
    return [
        (r["codelist"], r["code"], r["name"], r["category"] or None, r["status"] or None)
        for r in csv.DictReader(io.StringIO(text))
    ]


def ensure_codelists(con: Any) -> None:
    """Put the built-in table (and ISO country names) in ``codelist_items`` unless it is there already.

    Codes a user loaded or downloaded are kept: built-in rows only fill the codes no row has. A
    workspace from before the full table (migration 0006 removed its old built-in rows) is filled the
    same way, so 5-digit sector names need no extra command.
    """
    if scalar(con, "SELECT count(*) FROM codelist_items WHERE source = 'builtin'"):
        return
    rows = list(builtin_rows())
    import pycountry

    for c in pycountry.countries:
        rows.append(("Country", c.alpha_2, c.name, None, None))
    _insert(con, rows, "builtin", replace=False)


def _insert(con: Any, rows: list[Row], source: str, replace: bool = True) -> None:
    tbl = pa.table(
        {
            "codelist": [r[0] for r in rows],
            "code": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "category": [r[3] for r in rows],
            "status": [r[4] for r in rows],
            "source": [source] * len(rows),
        }
    )
    con.register("_codes", tbl)
    try:
        con.execute(
            f"INSERT OR {'REPLACE' if replace else 'IGNORE'} INTO codelist_items (codelist, code, name, category,"
            " status, source) SELECT codelist, code, name, category, status, source FROM _codes"
        )
    finally:
        con.unregister("_codes")


def codelist_rows(con: Any, codelist: str) -> list[dict[str, Any]]:
    """The codes of one codelist as the workspace holds them: ``code, name, category, source``, by code."""
    cur = con.execute(
        "SELECT code, name, category, source FROM codelist_items WHERE codelist = ? ORDER BY code", [codelist]
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def parse_codelist_xml(data: bytes, origin: str) -> tuple[str, list[Row]]:
    """Parse one IATI codelist XML document (``<codelist name=...><codelist-items>...``): each item's
    code, English name (the narrative with no ``xml:lang``, or ``en``), category, and status
    (``'withdrawn'``, or None for active)."""
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(
            "codelist.malformed",
            N_("not well-formed XML: {msg}"),
            Where(file=origin, line=exc.lineno),
            hint=N_("download the codelist again"),
            params={"msg": exc.msg},
        ) from None
    name = root.get("name")
    if root.tag != "codelist" or not name:
        raise InputError(
            "codelist.not_codelist",
            N_("not an IATI codelist file"),
            Where(file=origin),
            hint=N_("expected a <codelist name=...> root"),
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
        status = (item.get("status") or "").strip().lower()
        if code:
            rows.append((name, code, nm or code, cat, None if status in ("", "active") else status))
    return name, rows


def load_folder(con: Any, folder: Path) -> dict[str, int]:
    """Load every ``*.xml`` codelist in a folder into the workspace; returns items per codelist."""
    ensure_codelists(con)
    files = sorted(folder.glob("*.xml"))
    if not files:
        raise InputError(
            "codelist.empty_folder",
            N_("no codelist .xml files here"),
            Where(file=str(folder)),
            hint=N_("point at a folder of IATI codelist XML files (e.g. IATI-Codelists/xml)"),
        )
    counts: dict[str, int] = {}
    for f in files:
        name, rows = parse_codelist_xml(f.read_bytes(), str(f))
        con.execute("DELETE FROM codelist_items WHERE codelist = ?", [name])
        kill_point("insert")
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
                N_("cannot download {wanted}: {error}"),
                Where(file=url),
                hint=N_(
                    "you seem to be offline; the built-in codes stay in use "
                    "(or run `kizuna codelists load DIR` with a local copy)"
                ),
                params={"wanted": wanted, "error": str(exc)},
            ) from None
        name, rows = parse_codelist_xml(data, url)
        con.execute("DELETE FROM codelist_items WHERE codelist = ?", [name])
        kill_point("insert")
        _insert(con, rows, url)
        counts[name] = len(rows)
    return counts
