"""Reader for OCHA 3W/4W sheets (who does what where), CSV or XLSX, as OCHA publishes them.

HXL (Humanitarian Exchange Language, https://hxlstandard.org/standard/1-1final/) puts a row of
hashtags such as ``#org``, ``#sector``, ``#adm1+code`` under the headers, or instead of them. The
reader takes the first of the first 25 rows in which at least two non-empty cells, and at least half
of them, are hashtags; a tag is read with its attributes in any order and stray spaces removed
(``#org +acronym`` is ``#org+acronym``). Columns the HXL row leaves untagged are recognised by their
header (the row above the hashtags, or the untagged cell itself when the hashtag row comes first)
where the header names one field unambiguously; a sheet with no sector column yet gets one when an
untagged column's values are, nine times in ten, cluster names (the South Sudan 2022 sheet heads
its cluster column ``Name``). Without any hashtag row, common plain headers are recognised
("Organisation", "Cluster", "Admin1", "District", "Start date", ...).

What a row gives: the organisation (name, else acronym; its type as an IATI OrganisationType code),
its role when the sheet says whether it reports or implements (stored as an activity tag), the
cluster or DAC sector, admin-1/admin-2 P-codes and names (older-edition P-codes mapped through
:data:`kizuna.geo.pcodes.PCODE_ALIASES`, with a warning), the country (a country column, else the
first two letters of the P-codes), dates, status, people reached and coordinates. Each distinct row
is one activity, identified by a hash of the values read from it.

Personal data — contact names, e-mail addresses, phone numbers — is never read: such columns are
skipped by their tag or header and named in a ``3w.personal_data`` warning.

Organisation names are matched through the workspace's editable alias table (``kizuna alias add``)
on :func:`kizuna.reference.orgs.norm_name`, so "UNHCR", "U.N.H.C.R." and "UN Refugee Agency" can be
one organisation, and two organisations known only by Japanese names stay two.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kizuna.coordinate.sectors import VOCAB10_CODE, normalise_cluster
from kizuna.errors import InputError, Where
from kizuna.geo.pcodes import country_of_pcode, iso2, resolve_alias
from kizuna.i18n import N_
from kizuna.ledger.iati import Activity
from kizuna.reference.orgs import name_slug, norm_name
from kizuna.sheets import read_rows

HEADER_SCAN_ROWS = 25
SNIFF_SHARE = 0.9  # share of an untagged column's values that must be cluster names to read it as sectors

# Plain header spellings (lower case, runs of spaces/underscores as one space) -> canonical field.
PLAIN_FIELDS: dict[str, list[str]] = {
    "org": [
        "organisation",
        "organization",
        "org",
        "org name",
        "organisation name",
        "organization name",
        "implementing partner",
        "implementing organisation",
        "implementing organization",
        "partner",
        "agency",
    ],
    "org_acronym": ["acronym", "org acronym", "organisation acronym", "organization acronym"],
    "org_type": ["org type", "organisation type", "organization type", "type of organisation", "partner type"],
    "org_role": ["role", "org role", "organisation role", "organization role"],
    "funder": ["donor", "funder", "funding organisation", "funding organization"],
    "sector": ["sector", "cluster", "sector/cluster", "cluster sector", "cluster name", "sector name"],
    "sector_code": ["sector code", "dac code", "dac sector", "purpose code"],
    "cluster_code": ["cluster code", "cluster sector code"],
    "country": ["country code", "country iso2", "iso2", "iso3", "country iso3"],
    "adm1": ["admin1", "admin 1", "adm1", "region", "state", "province", "adm1 name", "admin1 name"],
    "adm1_code": ["admin1 code", "adm1 code", "admin1 pcode", "adm1 pcode", "prov code", "state code", "adm1 p code"],
    "adm2": ["admin2", "admin 2", "adm2", "district", "county", "adm2 name", "admin2 name"],
    "adm2_code": [
        "admin2 code",
        "adm2 code",
        "admin2 pcode",
        "adm2 pcode",
        "dist code",
        "district code",
        "county code",
        "adm2 p code",
    ],
    "activity": ["activity", "activity name", "project", "project title", "activity title"],
    "activity_code": ["activity code", "activity id", "project code", "project id"],
    "description": ["description", "activity description"],
    "status": ["status", "activity status"],
    "start": ["start date", "start", "date start"],
    "end": ["end date", "end", "date end"],
    "reached": ["people reached", "reached", "beneficiaries reached", "# reached"],
    "lat": ["latitude", "lat"],
    "lon": ["longitude", "lon", "long"],
}
_PLAIN = {spelling: fname for fname, spellings in PLAIN_FIELDS.items() for spelling in spellings}
# Tag or header words that mark personal data: such a column is never read.
PERSONAL_WORDS = ("contact", "email", "e-mail", "e mail", "phone", "mobile", "telephone", "whatsapp", "focal point")
PERSONAL_TAGS = ("#contact", "#email", "#phone")
STATUS_CODES = {
    "planned": "1",
    "pipeline": "1",
    "pipeline/identification": "1",
    "proposed": "1",
    "ongoing": "2",
    "active": "2",
    "implementation": "2",
    "in progress": "2",
    "in-progress": "2",
    "finalisation": "3",
    "finalization": "3",
    "completed": "4",
    "complete": "4",
    "closed": "4",
    "finished": "4",
    "cancelled": "5",
    "canceled": "5",
    "suspended": "6",
}
# 3W organisation types -> IATI OrganisationType codes (codelist 2.03: 10 Government, 15 Other public
# sector, 21 International NGO, 22 National NGO, 23 Regional NGO, 40 Multilateral, 60 Foundation,
# 70 Private sector, 80 Academic, training and research, 90 Other). OCHA's "UN" is Multilateral (40);
# "NNGO" is National NGO (22). A type not listed is kept out (None) and named in a warning.
ORG_TYPES: dict[str, str] = {
    "ingo": "21",
    "international ngo": "21",
    "international non governmental organization": "21",
    "international non governmental organisation": "21",
    "nngo": "22",
    "national ngo": "22",
    "local ngo": "22",
    "national non governmental organization": "22",
    "national non governmental organisation": "22",
    "rngo": "23",
    "regional ngo": "23",
    "un": "40",
    "un agency": "40",
    "united nations": "40",
    "multilateral": "40",
    "government": "10",
    "gov": "10",
    "govt": "10",
    "foundation": "60",
    "private sector": "70",
    "private": "70",
    "academic": "80",
    "academia": "80",
    "other": "90",
    "others": "90",
}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%d %b %Y", "%d %B %Y", "%b %Y", "%Y-%m")
ROLE_TAG_VOCABULARY = "99"  # IATI TagVocabulary 99: the reporting organisation's own


@dataclass
class ThreeWSheet:
    activities: list[Activity]
    reached: dict[str, int] = field(default_factory=dict)
    warnings: list[tuple[str, int, str, str]] = field(default_factory=list)
    publisher: str | None = None
    hxl: bool = False
    # (country, level, pcode, name, parent pcode): the areas the sheet names with their codes
    areas: list[tuple[str | None, int, str, str | None, str | None]] = field(default_factory=list)
    # P-code -> (first row, rows): every admin code the sheet uses, for checking against boundaries
    pcodes: dict[str, tuple[int, int]] = field(default_factory=dict)
    columns: dict[str, int] = field(default_factory=dict)  # canonical field -> column index


def _rows(path: Path) -> tuple[list[list[str]], list[int] | None]:
    """The sheet's rows as text cells, and for a CSV the line each row starts on (:mod:`kizuna.sheets`)."""
    return read_rows(path, part="3w")


_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\+[a-z0-9_?]+)*$")


def hxl_tag(cell: str) -> tuple[str, frozenset[str]] | None:
    """``(base, attributes)`` of a hashtag cell, spaces removed and lower-cased; None if it is no tag."""
    text = re.sub(r"\s+", "", cell.strip().lower())
    if not _TAG.match(text):
        return None
    base, *attrs = text.split("+")
    return base, frozenset(a for a in attrs if a)


def _is_hashtag_row(cells: list[str]) -> bool:
    nonempty = [c for c in cells if c and c.strip()]
    tags = [c for c in nonempty if hxl_tag(c) is not None]
    return len(tags) >= 2 and 2 * len(tags) >= len(nonempty)


def _norm_header(cell: str) -> str:
    return re.sub(r"[\s_]+", " ", cell.strip().lower()).strip()


def _is_personal(text: str) -> bool:
    t = text.strip().lower()
    if any(t.startswith(p) for p in PERSONAL_TAGS):
        return True
    words = _norm_header(t).replace("#", " ")
    return any(w in words for w in PERSONAL_WORDS)


def _tag_field(base: str, attrs: frozenset[str]) -> tuple[str, int] | None:
    """Canonical field of an HXL tag and a preference (higher wins when two columns claim a field)."""
    if base == "#org":
        if attrs & {"funder", "donor", "funding"}:
            return "funder", 1
        if "type" in attrs:
            return "org_type", 2 if "name" in attrs else 1
        if "role" in attrs:
            return "org_role", 1
        if attrs & {"acronym", "abbrev", "abbreviation", "short"}:
            return "org_acronym", 1
        if attrs & {"code", "id"}:
            return None
        pref = 1
        if "name" in attrs:
            pref += 2
        if attrs & {"impl", "implementing"}:
            pref += 1
        return "org", pref
    if base in ("#sector", "#cluster", "#subsector"):
        if base == "#subsector":
            return None
        if "code" in attrs or "id" in attrs:
            # ``#sector+code`` is a DAC code (a non-numeric cluster code is still read as one, below)
            return ("cluster_code", 1) if "cluster" in attrs else ("sector_code", 1)
        if "dac" in attrs:
            return "sector_code", 1
        return "sector", 2 if attrs & {"name", "en", "cluster"} else 1
    if base in ("#adm1", "#adm2"):
        level = base[1:]
        return (f"{level}_code", 1) if attrs & {"code", "pcode", "id"} else (level, 2 if "name" in attrs else 1)
    if base == "#country":
        return ("country", 1) if attrs & {"code", "iso2", "iso3"} else None
    if base == "#activity":
        if attrs & {"code", "id"}:
            return "activity_code", 1
        if attrs & {"description", "desc"}:
            return "description", 1
        if "status" in attrs:
            return "status", 1
        return "activity", 1
    if base == "#description":
        return "description", 1
    if base == "#status":
        return "status", 1
    if base == "#date":
        if "start" in attrs:
            return "start", 1
        if "end" in attrs:
            return "end", 1
        return "period", 1
    if base in ("#reached", "#beneficiary", "#affected") and (base == "#reached" or "reached" in attrs):
        return "reached", 2 if base == "#reached" else 1
    if base == "#geo":
        if "lat" in attrs:
            return "lat", 1
        if "lon" in attrs or "long" in attrs:
            return "lon", 1
    if base in ("#reporting", "#implementing", "#role") or ("reporting" in attrs and "implementing" in attrs):
        return "org_role", 1
    return None


def _header_field(header: str) -> str | None:
    key = _norm_header(header)
    if not key:
        return None
    if "reporting" in key and "implementing" in key:
        return "org_role"
    return _PLAIN.get(key)


@dataclass
class _Layout:
    header_idx: int  # index of the last header row (data starts after it)
    cols: dict[str, int]
    hxl: bool
    personal: list[str]
    untagged: dict[int, str]  # column -> its header text, for columns no field claimed


def _layout(rows: list[list[str]]) -> _Layout | None:
    scan = rows[:HEADER_SCAN_ROWS]
    for i, cells in enumerate(scan):
        if not _is_hashtag_row(cells):
            continue
        above = scan[i - 1] if i > 0 else []
        claims: dict[str, tuple[int, int]] = {}
        personal: list[str] = []
        untagged: dict[int, str] = {}
        width = max(len(cells), len(above))
        for idx in range(width):
            cell = cells[idx] if idx < len(cells) else ""
            head = above[idx] if idx < len(above) else ""
            tag = hxl_tag(cell) if cell.strip() else None
            label = (cell if tag is None else "") or head
            if (tag is not None and _is_personal(cell)) or (label and _is_personal(label)):
                personal.append((cell or head).strip())
                continue
            got = _tag_field(*tag) if tag is not None else None
            if got is None and tag is None:
                fname = _header_field(label) if label else None
                got = (fname, 0) if fname else None
            if got is None:
                if tag is None and label.strip():
                    untagged[idx] = label.strip()
                continue
            fname, pref = got
            if fname not in claims or pref > claims[fname][1]:
                if fname in claims and fname == "org":
                    _demote_org(claims, claims[fname][0])
                claims[fname] = (idx, pref)
            elif fname == "org":
                _demote_org(claims, idx)
        return _Layout(i, {k: v[0] for k, v in claims.items()}, True, personal, untagged)
    for i, cells in enumerate(scan):
        found: dict[str, int] = {}
        personal = []
        for idx, cell in enumerate(cells):
            if cell.strip() and _is_personal(cell):
                personal.append(cell.strip())
                continue
            fname = _header_field(cell)
            if fname and fname not in found:
                found[fname] = idx
        if "org" in found and ("sector" in found or "sector_code" in found):
            return _Layout(i, found, False, personal, {})
    return None


def _demote_org(claims: dict[str, tuple[int, int]], idx: int) -> None:
    # Two organisation-name columns (``#org+reporting`` and ``#org+reporting+name``): the one without
    # +name holds the acronym, unless the sheet tags an acronym column of its own.
    if "org_acronym" not in claims:
        claims["org_acronym"] = (idx, 0)


def _sniff_sector(rows: list[list[str]], start: int, untagged: dict[int, str]) -> int | None:
    """The untagged column whose values are (nine in ten) cluster names, if exactly one is."""
    found = []
    for idx in untagged:
        values = [r[idx].strip() for r in rows[start:] if idx < len(r) and r[idx].strip()]
        if not values:
            continue
        counts = Counter(values)
        known = sum(n for v, n in counts.items() if normalise_cluster(v))
        if known >= SNIFF_SHARE * len(values):
            found.append(idx)
    return found[0] if len(found) == 1 else None


def _parse_date(raw: str, path: Path, row: int, fname: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    raw10 = raw[:10] if re.match(r"^\d{4}-\d{2}-\d{2}T", raw) else raw
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(raw10, fmt).date()
        except ValueError:
            continue
    raise InputError(
        "3w.bad_date",
        N_("'{raw}' is not a date"),
        Where(file=str(path), row=row, field=fname),
        hint=N_("use YYYY-MM-DD (or DD/MM/YYYY)"),
        params={"raw": raw},
    )


def _role(text: str) -> str | None:
    t = text.lower()
    if "implement" in t:
        return "implementing"
    if "report" in t:
        return "reporting"
    return None


class _Notes:
    """Warnings counted per distinct value (one line each, with the first row and the number of rows)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], list[Any]] = {}

    def add(self, code: str, value: str, row: int, message: str) -> None:
        key = (code, value)
        if key in self.seen:
            self.seen[key][1] += 1
        else:
            self.seen[key] = [row, 1, message]

    def items(self) -> list[tuple[str, int, str, str]]:
        out = []
        for (code, _value), (row, n, message) in self.seen.items():
            suffix = f" ({n} rows, first row {row})" if n > 1 else f" (row {row})"
            out.append(("", row, code, message + suffix))
        return out


def _coordinates(lat_s: str, lon_s: str, path: Path, rownum: int) -> tuple[float | None, float | None]:
    if not (lat_s or lon_s):
        return None, None
    try:
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise InputError(
            "3w.bad_coordinate",
            N_("'{lat}, {lon}' is not a latitude, longitude pair"),
            Where(file=str(path), row=rownum, field="#geo+lat"),
            hint=N_("decimal degrees, e.g. 8.12 and 30.41"),
            params={"lat": lat_s, "lon": lon_s},
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError(
            "3w.bad_coordinate",
            N_("latitude {lat} / longitude {lon} out of range"),
            Where(file=str(path), row=rownum, field="#geo+lat"),
            hint=N_("latitude is -90..90, longitude -180..180; are they swapped?"),
            params={"lat": lat, "lon": lon},
        )
    return lat, lon


def _people(raw: str, path: Path, rownum: int) -> int | None:
    raw = raw.replace(",", "")
    if not raw:
        return None
    try:
        return int(float(raw))
    except ValueError:
        raise InputError(
            "3w.bad_number",
            N_("'{raw}' is not a number of people"),
            Where(file=str(path), row=rownum, field="#reached"),
            hint=N_("write a whole number such as 1200"),
            params={"raw": raw},
        ) from None


def _header_width(rows: list[list[str]], lay: _Layout) -> int:
    """How many columns the header names: up to its last non-empty cell (the HXL hashtag row and the
    row of labels above it, when there is one)."""
    heads = [rows[lay.header_idx]] + ([rows[lay.header_idx - 1]] if lay.hxl and lay.header_idx > 0 else [])
    return max((max((k + 1 for k, c in enumerate(h) if c.strip()), default=0) for h in heads), default=0)


def _check_width(path: Path, cells: list[str], width: int, rownum: int, line: int | None) -> None:
    """A row with a value beyond the header's last column (an unquoted comma splits a cell: every cell
    after it moves one column right, and a phone number lands under Sector), or a CSV row with fewer
    cells than the header, is refused: naming the file, the line (CSV) or row (XLSX) and the counts,
    never the cells' values."""
    used = max((k + 1 for k, c in enumerate(cells) if c.strip()), default=0)
    # Spreadsheets pad rows with empty cells, and a CSV may end a row with empty ones: only values count
    # beyond the header; a CSV row short of the header lost a separator (or a cell) somewhere.
    if used <= width and (line is None or len(cells) >= width):
        return
    where = Where(file=str(path), line=line) if line is not None else Where(file=str(path), row=rownum)
    raise InputError(
        "3w.cell_count",
        N_("this row has {cells} cells where the header has {columns}"),
        where,
        hint=N_("a cell holding a comma must be quoted (\"a, b\"); check the row for a split or missing cell"),
        params={"cells": used if used > width else len(cells), "columns": width},
    )


def read_threew(path: Path, aliases: dict[str, tuple[str | None, str]] | None = None) -> ThreeWSheet:
    """Read a 3W sheet into activities. ``aliases`` maps a normalised name to ``(org_ref, org_name)``.

    Rows are numbered as a spreadsheet shows them (the first row is 1).
    """
    aliases = aliases or {}
    rows, lines = _rows(path)
    lay = _layout(rows)
    if lay is None or ("org" not in lay.cols and "org_acronym" not in lay.cols):
        raise InputError(
            "3w.no_header",
            N_("found neither an HXL hashtag row nor recognisable headers"),
            Where(file=str(path), row=1),
            hint=N_(
                "add an HXL row (#org, #sector, #adm1+name, ...) or headers such as "
                "'Organisation', 'Sector', 'Admin1'"
            ),
        )
    cols = lay.cols
    if not ({"sector", "sector_code", "cluster_code"} & set(cols)):
        sniffed = _sniff_sector(rows, lay.header_idx + 1, lay.untagged)
        if sniffed is not None:
            cols["sector"] = sniffed
    if not ({"sector", "sector_code", "cluster_code"} & set(cols)):
        raise InputError(
            "3w.no_sector",
            N_("no sector column"),
            Where(file=str(path), row=lay.header_idx + 1, field="#sector"),
            hint=N_("add a #sector (cluster name) or #sector+code (DAC code) column"),
        )
    sheet = ThreeWSheet(activities=[], hxl=lay.hxl, columns=dict(cols))
    notes = _Notes()
    if lay.personal:
        sheet.warnings.append(
            (
                "",
                lay.header_idx + 1,
                "3w.personal_data",
                f"columns not read (personal data is never stored): {', '.join(lay.personal)}",
            )
        )
    stem = path.stem
    publishers: set[str] = set()
    areas: dict[str, tuple[str | None, int, str, str | None, str | None]] = {}
    start_row = lay.header_idx + 1
    width = _header_width(rows, lay)
    for i in range(start_row, len(rows)):
        cells = rows[i]
        rownum = i + 1
        if not any(c.strip() for c in cells):
            continue
        _check_width(path, cells, width, rownum, lines[i] if lines is not None else None)
        if i == start_row and not lay.hxl and _is_hashtag_row(cells):
            continue  # an HXL row under plain headers that the layout did not need

        def get(fname: str, cells: list[str] = cells) -> str:
            idx = cols.get(fname)
            return cells[idx].strip() if idx is not None and idx < len(cells) and cells[idx] else ""

        name, acronym = get("org"), get("org_acronym")
        org = name or acronym
        if not org:
            raise InputError(
                "3w.no_org",
                N_("no organisation on this row"),
                Where(file=str(path), row=rownum, field="#org"),
                hint=N_("every 3W row needs the organisation that does the work"),
            )
        found = aliases.get(norm_name(org)) or (aliases.get(norm_name(acronym)) if acronym else None)
        ref, org_name = found or (None, org)
        if org != org_name:
            notes.add("org.alias", org, rownum, f"'{org}' matched alias '{org_name}'")
        publisher_ref = ref or f"3W:{name_slug(org_name)}"
        publishers.add(publisher_ref)
        org_type = None
        type_text = get("org_type")
        if type_text:
            org_type = ORG_TYPES.get(_norm_header(type_text).replace("-", " "))
            if org_type is None:
                notes.add("3w.org_type", type_text, rownum, f"organisation type '{type_text}' not recognised")
        start = _parse_date(get("start"), path, rownum, "#date+start")
        end = _parse_date(get("end"), path, rownum, "#date+end")
        if start and end and end < start:
            raise InputError(
                "3w.dates_reversed",
                N_("end {end} is before start {start}"),
                Where(file=str(path), row=rownum, field="#date+end"),
                hint=N_("swap the two dates"),
                params={"end": end, "start": start},
            )
        title = get("activity") or None
        sector_name = get("sector")
        sector_code = get("sector_code")
        cluster_code = get("cluster_code")
        if sector_code and not sector_code.isdigit() and not cluster_code and normalise_cluster(sector_code):
            sector_code, cluster_code = "", sector_code  # a cluster code in a ``#sector+code`` column
        country = get("country").upper()
        if country:
            country = iso2(country) or country
        adm1_code, adm2_code = get("adm1_code") or None, get("adm2_code") or None
        adm1_name, adm2_name = get("adm1"), get("adm2")
        if adm2_code or adm1_code:
            new2, new1, alias = resolve_alias(adm2_code, adm1_code)
            if alias is not None:
                notes.add(
                    "3w.pcode_alias",
                    alias.old,
                    rownum,
                    f"P-code {alias.old} of an older boundary edition read as {alias.new}"
                    + (f" under {alias.new_parent}" if alias.new_parent else ""),
                )
                adm2_code, adm1_code = new2, new1
                if alias.level == 2 and new1 != get("adm1_code"):
                    adm1_name = alias.new_parent_name or ""  # the sheet's admin-1 name is the old parent's
        if not country:
            country = country_of_pcode(adm2_code) or country_of_pcode(adm1_code) or ""
        for level, code, aname, parent in ((1, adm1_code, adm1_name, None), (2, adm2_code, adm2_name, adm1_code)):
            if code:
                first, n = sheet.pcodes.get(code, (rownum, 0))
                sheet.pcodes[code] = (first, n + 1)
                if aname and code not in areas:
                    areas[code] = (country or None, level, code, aname, parent)
        adm1 = adm1_code or adm1_name
        adm2 = adm2_code or adm2_name
        period = get("period")
        role_text = get("org_role")
        lat, lon = _coordinates(get("lat"), get("lon"), path, rownum)
        reached = _people(get("reached"), path, rownum)
        values = {
            "org": org_name,
            "acronym": acronym,
            "type": type_text,
            "role": role_text,
            "title": title or "",
            "sector": sector_code or sector_name or cluster_code,
            "cluster_code": cluster_code,
            "adm1": adm1 or "",
            "adm2": adm2 or "",
            "start": str(start or ""),
            "end": str(end or ""),
            "period": period,
            "funder": get("funder"),
            "country": country,
            "lat": "" if lat is None else repr(lat),
            "lon": "" if lon is None else repr(lon),
            "description": get("description"),
            "status": get("status").lower(),
            "reached": "" if reached is None else str(reached),
        }
        code = get("activity_code")
        key = "\x1f".join(f"{k}={v}" for k, v in sorted(values.items()) if v)
        ident = code if code else f"3W-{stem}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"
        act = Activity(
            iati_identifier=ident,
            line=rownum,
            publisher_ref=publisher_ref,
            publisher_name=org_name,
            publisher_type=org_type,
            title=title,
            description=get("description") or None,
        )
        status = get("status").lower()
        if status:
            act.status_code = STATUS_CODES.get(status)
            if act.status_code is None:
                notes.add("3w.status", status, rownum, f"status '{status}' not recognised")
        if start:
            act.dates["2" if act.status_code in ("2", "3", "4") else "1"] = start
        if end:
            act.dates["4" if act.status_code == "4" else "3"] = end
        act.participating_orgs.append((1, 4, ref, org_type, org_name, None))
        funder = get("funder")
        if funder:
            fref, fname = aliases.get(norm_name(funder), (None, funder))
            act.participating_orgs.append((2, 1, fref, None, fname, None))
        if role_text:
            role = _role(role_text)
            if role is None:
                notes.add("3w.org_role", role_text, rownum, f"organisation role '{role_text}' not recognised")
            act.tags.append((ROLE_TAG_VOCABULARY, f"3w-role:{role or 'unknown'}", role_text))
        if period:
            act.tags.append((ROLE_TAG_VOCABULARY, "3w-period", period))
        if sector_code:
            if not sector_code.isdigit() or len(sector_code) not in (3, 5):
                raise InputError(
                    "3w.bad_sector_code",
                    N_("'{sector_code}' is not a DAC 3- or 5-digit code"),
                    Where(file=str(path), row=rownum, field="#sector+code"),
                    hint=N_("use a DAC purpose code such as 15220, or leave it empty and give #sector"),
                    params={"sector_code": sector_code},
                )
            act.sectors.append(("1" if len(sector_code) == 5 else "2", sector_code, 100.0))
        if sector_name or cluster_code:
            text = sector_name or cluster_code
            cluster = normalise_cluster(sector_name) or normalise_cluster(cluster_code)
            pct = None if sector_code else 100.0
            if cluster is not None:
                act.sectors.append(("10", VOCAB10_CODE[cluster], pct, text))  # type: ignore[arg-type]
            else:
                notes.add("3w.sector_unknown", text, rownum, f"sector '{text}' is no cluster Kizuna knows")
                act.sectors.append(("99", text, pct, text))  # type: ignore[arg-type]
        if country:
            act.countries.append((country, 100.0))
        if adm1 or adm2 or lat is not None:
            act.locations.append(
                {
                    "ref": None,
                    "name": adm2_name or adm1_name or None,
                    "lat": lat,
                    "lon": lon,
                    "adm1": adm1 or None,
                    "adm2": adm2 or None,
                    "admin_vocabulary": "3W",
                    "exactness": None,
                    "location_class": None,
                    "precision_code": None,
                    "country": country or None,
                }
            )
        if reached is not None:
            sheet.reached[f"{publisher_ref}|{ident}"] = reached
        sheet.activities.append(act)
    sheet.warnings.extend(notes.items())
    sheet.areas = list(areas.values())
    sheet.publisher = next(iter(publishers)) if len(publishers) == 1 else None
    return sheet
