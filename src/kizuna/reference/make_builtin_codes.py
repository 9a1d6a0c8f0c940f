"""Regenerate ``builtin_codes.csv`` (the built-in code names) from IATI's published codelist XML files.

Usage::

    python -m kizuna.reference.make_builtin_codes FOLDER [FOLDER ...] [--out PATH] [--check]

Each FOLDER holds IATI codelist XML files (``<Name>.xml``), for example the ``xml/`` folders of
checkouts of IATI/IATI-Codelists (branch ``version-2.03``: the embedded lists, such as TransactionType)
and IATI/IATI-Codelists-NonEmbedded (``master``: Sector, SectorCategory, Region, OrganisationType...),
or ``../shared/data/iati-codelists/xml``, which holds copies of both. A list found in several folders
is taken from the first. ``--check`` writes nothing and exits 1 when the table would change (a test
runs it against the shared copy). Only the lists in :data:`LISTS` are kept, each item with its
English name, category and status (withdrawn codes keep their names, marked ``withdrawn``); plus
:data:`OWN_ROWS`, written by us. Country names come from pycountry at run time, not from this table.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from kizuna.reference.codelists import BUILTIN_CSV, Row, parse_codelist_xml

# The lists outputs show names for (and the vocabularies that qualify the codes they hold).
LISTS = [
    "Sector",
    "SectorCategory",
    "SectorVocabulary",
    "TransactionType",
    "ActivityStatus",
    "ActivityDateType",
    "ActivityScope",
    "OrganisationType",
    "OrganisationRole",
    "Region",
    "RegionVocabulary",
    "PolicyMarker",
    "PolicyMarkerVocabulary",
    "PolicySignificance",
    "BudgetType",
]
# Rows that are ours, not IATI's: the synthetic demo country (docs/demo-data.md).
OWN_ROWS: list[Row] = [("Country", "XZ", "Republic of Kaltara (synthetic)", None, None)]


def build(folders: list[Path]) -> list[Row]:
    """The table's rows, list by list in :data:`LISTS` order, items in the codelist's own order."""
    rows: list[Row] = []
    for name in LISTS:
        path = next((f / f"{name}.xml" for f in folders if (f / f"{name}.xml").is_file()), None)
        if path is None:
            raise SystemExit(f"{name}.xml is in none of: {', '.join(map(str, folders))}")
        listed, items = parse_codelist_xml(path.read_bytes(), str(path))
        if listed != name:
            raise SystemExit(f"{path} holds codelist {listed!r}, not {name!r}")
        rows.extend(items)
    return rows + OWN_ROWS


def to_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["codelist", "code", "name", "category", "status"])
    for codelist, code, name, category, status in rows:
        w.writerow([codelist, code, name, category or "", status or ""])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+", type=Path, help="folders of IATI codelist XML files")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name(BUILTIN_CSV))
    ap.add_argument("--check", action="store_true", help="exit 1 if the table would change; write nothing")
    args = ap.parse_args(argv)
    text = to_csv(build(args.folders))
    current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    if args.check:
        if text != current:
            print(f"{args.out} differs from what these codelists give", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: {text.count(chr(10)) - 1} codes from {len(LISTS)} codelists")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
