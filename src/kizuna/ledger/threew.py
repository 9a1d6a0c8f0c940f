"""Reader for OCHA 3W/4W sheets (who does what where), CSV or XLSX, with an HXL hashtag row or plain headers.

HXL (Humanitarian Exchange Language, https://hxlstandard.org/standard/1-1final/) puts a row of
hashtags such as ``#org``, ``#sector``, ``#adm1+name`` under or instead of the headers; the reader takes
the first row whose non-empty cells all start with ``#``. Without one, common plain headers are
recognised ("Organisation", "Cluster", "Admin1", "District", "Start date", ...). Both land as the same
:class:`~kizuna.ledger.iati.Activity` objects, marked ``source = '3w'``.

Organisation names are matched through the workspace's editable alias table (``kizuna alias add``),
so "UNHCR", "U.N.H.C.R." and "UN Refugee Agency" can be one organisation.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kizuna.errors import InputError, Where
from kizuna.ledger.iati import Activity

# Canonical field -> accepted HXL tags (attributes in any order) and plain header spellings.
HXL_FIELDS: dict[str, list[str]] = {
    "org": ["#org+impl", "#org+name", "#org", "#org+implementing", "#org+prog"],
    "org_acronym": ["#org+acronym", "#org+impl+acronym"],
    "funder": ["#org+funder", "#org+donor", "#org+funding"],
    "sector": ["#sector", "#sector+name", "#sector+cluster", "#sector+en"],
    "sector_code": ["#sector+code", "#sector+dac", "#sector+dac+code"],
    "country": ["#country+code", "#country+iso2"],
    "adm1": ["#adm1+name", "#adm1"],
    "adm1_code": ["#adm1+code"],
    "adm2": ["#adm2+name", "#adm2"],
    "adm2_code": ["#adm2+code"],
    "activity": ["#activity", "#activity+name", "#activity+title"],
    "activity_code": ["#activity+code", "#activity+id"],
    "description": ["#activity+description", "#description", "#activity+desc"],
    "status": ["#status", "#activity+status"],
    "start": ["#date+start"],
    "end": ["#date+end"],
    "reached": ["#reached", "#reached+ind", "#affected+reached", "#reached+total", "#beneficiary+reached"],
    "lat": ["#geo+lat"],
    "lon": ["#geo+lon"],
}
PLAIN_FIELDS: dict[str, list[str]] = {
    "org": [
        "organisation",
        "organization",
        "org",
        "implementing partner",
        "implementing organisation",
        "implementing organization",
        "partner",
        "agency",
    ],
    "org_acronym": ["acronym", "org acronym"],
    "funder": ["donor", "funder", "funding organisation", "funding organization"],
    "sector": ["sector", "cluster", "sector/cluster"],
    "sector_code": ["sector code", "dac code", "dac sector", "purpose code"],
    "country": ["country code", "country iso2", "iso2"],
    "adm1": ["admin1", "admin 1", "adm1", "region", "state", "province", "adm1 name", "admin1 name"],
    "adm1_code": ["admin1 code", "adm1 code", "admin1 pcode", "adm1 pcode"],
    "adm2": ["admin2", "admin 2", "adm2", "district", "county", "adm2 name", "admin2 name"],
    "adm2_code": ["admin2 code", "adm2 code", "admin2 pcode", "adm2 pcode"],
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
# IASC global clusters, IATI SectorVocabulary 10 codes (names written here; IATI "HumanitarianCluster").
CLUSTERS = {
    "1": ["camp coordination and camp management", "cccm", "camp coordination / management"],
    "2": ["early recovery"],
    "3": ["education"],
    "4": ["emergency shelter and nfi", "shelter", "shelter and nfi", "emergency shelter", "shelter/nfi", "nfi"],
    "5": ["emergency telecommunications", "etc", "telecommunications"],
    "6": ["food security", "fsl", "food security and livelihoods", "food"],
    "7": ["health"],
    "8": ["logistics"],
    "9": ["nutrition"],
    "10": ["protection"],
    "11": ["water sanitation hygiene", "wash", "water, sanitation and hygiene", "water sanitation and hygiene"],
    "5403": ["child protection"],
    "5404": ["gender-based violence", "gbv", "gender based violence"],
    "5405": ["housing, land and property", "hlp", "housing land and property"],
    "5406": ["mine action"],
}
CLUSTER_BY_NAME = {name: code for code, names in CLUSTERS.items() for name in names}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%d %b %Y", "%d %B %Y", "%b %Y", "%Y-%m")

_NORM_RE = re.compile(r"[^0-9a-z]+")


def normalise_name(name: str) -> str:
    """Lower case, letters and digits only, single spaces: the key aliases are matched on."""
    return _NORM_RE.sub(" ", name.lower()).strip()


@dataclass
class ThreeWSheet:
    activities: list[Activity]
    reached: dict[str, int] = field(default_factory=dict)
    warnings: list[tuple[str, int, str, str]] = field(default_factory=list)
    publisher: str | None = None
    hxl: bool = False


def _rows(path: Path) -> Iterator[list[str]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(
                "3w.encoding",
                "the sheet is not UTF-8 text",
                Where(file=str(path)),
                hint="save it as 'CSV UTF-8' from your spreadsheet program",
            ) from None
        yield from csv.reader(io.StringIO(text))
    elif suffix == ".xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken zip/XML
            raise InputError(
                "3w.xlsx",
                f"cannot open the workbook: {exc}",
                Where(file=str(path)),
                hint="is it a real .xlsx file (not .xls renamed)?",
            ) from None
        try:
            ws = wb.worksheets[0]
            for row in ws.iter_rows(values_only=True):
                yield ["" if v is None else (v.isoformat() if isinstance(v, (date, datetime)) else str(v)) for v in row]
        finally:
            wb.close()
    else:
        raise InputError("3w.type", "a 3W sheet must be .csv or .xlsx", Where(file=str(path)))


def _match_header(cells: list[str], table: dict[str, list[str]], hxl: bool) -> dict[str, int]:
    found: dict[str, int] = {}
    for idx, cell in enumerate(cells):
        key = cell.strip().lower()
        if hxl:
            parts = key.split("+")
            key = parts[0] + "".join(sorted("+" + p for p in parts[1:] if p))
        for fname, options in table.items():
            opts = options
            if hxl:
                opts = [o.split("+")[0] + "".join(sorted("+" + p for p in o.split("+")[1:])) for o in options]
            if key in opts and fname not in found:
                found[fname] = idx
    return found


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
        f"'{raw}' is not a date",
        Where(file=str(path), row=row, field=fname),
        hint="use YYYY-MM-DD (or DD/MM/YYYY)",
    )


def read_threew(path: Path, aliases: dict[str, tuple[str | None, str]] | None = None) -> ThreeWSheet:
    """Read a 3W sheet into activities. ``aliases`` maps a normalised name to ``(org_ref, org_name)``.

    Rows are numbered as a spreadsheet shows them (the first row is 1).
    """
    aliases = aliases or {}
    rows = list(_rows(path))
    header_idx = None
    cols: dict[str, int] = {}
    hxl = False
    for i, cells in enumerate(rows[:25]):
        nonempty = [c.strip() for c in cells if c and c.strip()]
        if nonempty and all(c.startswith("#") for c in nonempty):
            header_idx, hxl = i, True
            cols = _match_header(cells, HXL_FIELDS, True)
            break
    if header_idx is None:
        for i, cells in enumerate(rows[:25]):
            m = _match_header(cells, PLAIN_FIELDS, False)
            if "org" in m and ("sector" in m or "sector_code" in m):
                header_idx, cols = i, m
                break
    if header_idx is None or "org" not in cols:
        raise InputError(
            "3w.no_header",
            "found neither an HXL hashtag row nor recognisable headers",
            Where(file=str(path), row=1),
            hint="add an HXL row (#org, #sector, #adm1+name, ...) or headers such as "
            "'Organisation', 'Sector', 'Admin1'",
        )
    if "sector" not in cols and "sector_code" not in cols:
        raise InputError(
            "3w.no_sector",
            "no sector column",
            Where(file=str(path), row=header_idx + 1, field="#sector"),
            hint="add a #sector (cluster name) or #sector+code (DAC code) column",
        )
    sheet = ThreeWSheet(activities=[], hxl=hxl)
    stem = path.stem
    publishers: set[str] = set()
    for i in range(header_idx + 1, len(rows)):
        cells = rows[i]
        rownum = i + 1
        if not any(c.strip() for c in cells):
            continue
        if hxl is False and i == header_idx + 1 and all(c.strip().startswith("#") for c in cells if c.strip()):
            continue  # an HXL row under plain headers is read as headers above

        def get(fname: str, cells: list[str] = cells) -> str:
            idx = cols.get(fname)
            return cells[idx].strip() if idx is not None and idx < len(cells) and cells[idx] else ""

        org = get("org") or get("org_acronym")
        if not org:
            raise InputError(
                "3w.no_org",
                "no organisation on this row",
                Where(file=str(path), row=rownum, field="#org"),
                hint="every 3W row needs the organisation that does the work",
            )
        ref, org_name = aliases.get(normalise_name(org), (None, org))
        if org != org_name:
            sheet.warnings.append(("", rownum, "org.alias", f"row {rownum}: '{org}' matched alias '{org_name}'"))
        publisher_ref = ref or f"3W:{normalise_name(org_name).replace(' ', '-')}"
        publishers.add(publisher_ref)
        start = _parse_date(get("start"), path, rownum, "#date+start")
        end = _parse_date(get("end"), path, rownum, "#date+end")
        if start and end and end < start:
            raise InputError(
                "3w.dates_reversed",
                f"end {end} is before start {start}",
                Where(file=str(path), row=rownum, field="#date+end"),
                hint="swap the two dates",
            )
        title = get("activity") or None
        sector_name = get("sector")
        sector_code = get("sector_code")
        adm1 = get("adm1_code") or get("adm1")
        adm2 = get("adm2_code") or get("adm2")
        code = get("activity_code")
        key = code or "|".join([org_name, title or "", sector_code or sector_name, adm1, adm2, str(start or "")])
        ident = code if code else f"3W-{stem}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"
        act = Activity(
            iati_identifier=ident,
            line=rownum,
            publisher_ref=publisher_ref,
            publisher_name=org_name,
            title=title,
            description=get("description") or None,
        )
        status = get("status").lower()
        if status:
            act.status_code = STATUS_CODES.get(status)
            if act.status_code is None:
                sheet.warnings.append(("", rownum, "3w.status", f"row {rownum}: status '{status}' not recognised"))
        if start:
            act.dates["2" if act.status_code in ("2", "3", "4") else "1"] = start
        if end:
            act.dates["4" if act.status_code == "4" else "3"] = end
        act.participating_orgs.append((1, 4, ref, None, org_name, None))
        funder = get("funder")
        if funder:
            fref, fname = aliases.get(normalise_name(funder), (None, funder))
            act.participating_orgs.append((2, 1, fref, None, fname, None))
        if sector_code:
            if not sector_code.isdigit() or len(sector_code) not in (3, 5):
                raise InputError(
                    "3w.bad_sector_code",
                    f"'{sector_code}' is not a DAC 3- or 5-digit code",
                    Where(file=str(path), row=rownum, field="#sector+code"),
                    hint="use a DAC purpose code such as 15220, or leave it empty and give #sector",
                )
            act.sectors.append(("1" if len(sector_code) == 5 else "2", sector_code, 100.0))
        if sector_name:
            cluster = CLUSTER_BY_NAME.get(sector_name.lower().strip())
            act.sectors.append(("10", cluster or sector_name, None if sector_code else 100.0, sector_name))  # type: ignore[arg-type]
        country = get("country").upper()
        if country:
            act.countries.append((country, 100.0))
        lat_s, lon_s = get("lat"), get("lon")
        lat = lon = None
        if lat_s or lon_s:
            try:
                lat, lon = float(lat_s), float(lon_s)
            except ValueError:
                raise InputError(
                    "3w.bad_coordinate",
                    f"'{lat_s}, {lon_s}' is not a latitude, longitude pair",
                    Where(file=str(path), row=rownum, field="#geo+lat"),
                    hint="decimal degrees, e.g. 8.12 and 30.41",
                ) from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise InputError(
                    "3w.bad_coordinate",
                    f"latitude {lat} / longitude {lon} out of range",
                    Where(file=str(path), row=rownum, field="#geo+lat"),
                    hint="latitude is -90..90, longitude -180..180; are they swapped?",
                )
        if adm1 or adm2 or lat is not None:
            act.locations.append(
                {
                    "ref": None,
                    "name": get("adm2") or get("adm1") or None,
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
        reached = get("reached").replace(",", "")
        uid = f"{publisher_ref}|{ident}"
        if reached:
            try:
                sheet.reached[uid] = int(float(reached))
            except ValueError:
                raise InputError(
                    "3w.bad_number",
                    f"'{reached}' is not a number of people",
                    Where(file=str(path), row=rownum, field="#reached"),
                    hint="write a whole number such as 1200",
                ) from None
        sheet.activities.append(act)
    sheet.publisher = next(iter(publishers)) if len(publishers) == 1 else None
    return sheet


def load_aliases(con: Any) -> dict[str, tuple[str | None, str]]:
    """The alias table as ``{normalised alias: (org_ref, org_name)}``."""
    return {a: (r, n) for a, r, n in con.execute("SELECT alias_norm, org_ref, org_name FROM org_aliases").fetchall()}
