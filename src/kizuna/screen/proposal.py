"""Project proposals: one per TOML or YAML file, or a batch as CSV; read and validated.

A proposal carries the facts of CDA's Critical Detail Mapping (why, what, where, when, with whom, by
whom, how): its type, sites (points or a line), budget, partners, the government counterpart and its
role, land acquisition and displacement, consultations, grievance mechanism, security arrangements
and beneficiary selection. Unknown answers stay unknown (``None``): the register lists them as
information gaps instead of reading them as "no".

TOML layout (YAML takes the same keys)::

    id = "P-001"
    title = "Borehole for Amber Ford"
    type = "well"
    country = "Republic of Kaltara"   # as written in the event files (for events located to an area)
    budget_usd = 45000
    grievance_mechanism = false
    security = "none"                 # none, community, unarmed_guards, armed_guards, police, military,
                                      # armed_escort
    partners = [{ name = "Kaltara Water Trust", ref = "XZ-ORG-1", flags = [] }]
    [counterpart]                     # the government body and its role
    name = "District Water Office"
    role = "approval"                 # none, approval, co_implementer, owner, security_provider,
                                      # beneficiary_selection
    flags = []                        # abuses_documented, party_to_conflict, sanctioned
    [land]
    acquisition = "none"              # none, voluntary_donation, expropriation
    households_displaced = 0
    people_displaced = 0              # when known; else households x the catalogue's household_size
    resettlement_plan = false         # a resettlement plan (RAP / ARAP) is prepared
    disputed = false
    informal_users = false
    [[sites]]
    name = "Borehole 1"
    lat = 8.0
    lon = 30.0
    admin1 = "Riverlands"             # optional: the site's areas, as written in the event files
    admin2 = "Amber District"
    # a line: line = [[8.0, 30.0], [8.1, 30.2]]  (latitude, longitude pairs)
    [[consultations]]
    community = "Amber Ford"
    date = 2026-05-02
    women_included = true
    [beneficiaries]
    criteria = "all households within 3 km"
    single_group = false
    [safeguards]                      # all optional, true/false
    vetting = true                    # of trainees (police training, DDR)
    human_rights_component = true
    gbv_code_of_conduct = true
    participant_data_shared = false   # lists of participants handed to authorities or armed actors
    staff_single_group = false
    data_protection_plan = true       # how lists of people are kept, shared and destroyed

Every field is listed in :data:`kizuna.screen.schema.FIELDS` with the facts it feeds, or as
informational, and with whether its free text is published (served on pages and the API as written).
A test walks the schema against the catalogue and fails on a field no rule reads
(docs/screening-proposal.md).

CSV batch: one proposal a row; columns ``id, title, type, lat, lon`` (or ``line`` as
``"lat lon; lat lon; ..."``), ``budget_usd, partners`` (``;``-separated names),
``partner_flags, counterpart, counterpart_role, counterpart_flags, land_acquisition,
households_displaced, land_disputed, informal_users, consulted`` (``;``-separated communities),
``consultation_date, women_included, grievance_mechanism, security, beneficiary_criteria,
single_group, vetting, human_rights_component, gbv_code_of_conduct, participant_data_shared,
staff_single_group, data_protection_plan, start_date, election_date, country, admin1, admin2,
site_name, people_displaced, resettlement_plan`` (:data:`CSV_COLUMNS`); any other column is an
error, as an unknown key is in TOML/YAML.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kizuna.errors import InputError, Where
from kizuna.i18n import N_

LAND_ACQUISITION = ("none", "voluntary_donation", "expropriation")
COUNTERPART_ROLES = (
    "none",
    "approval",
    "co_implementer",
    "owner",
    "security_provider",
    "beneficiary_selection",
)
COUNTERPART_FLAGS = ("abuses_documented", "party_to_conflict", "sanctioned")
PARTNER_FLAGS = ("party_to_conflict", "single_group", "abuses_documented")
SECURITY = ("none", "community", "unarmed_guards", "armed_guards", "police", "military", "armed_escort")
SAFEGUARDS = (
    "vetting",
    "human_rights_component",
    "gbv_code_of_conduct",
    "participant_data_shared",
    "staff_single_group",
    "data_protection_plan",
)


@dataclass
class Site:
    """A point (one vertex) or a line (two or more vertices); coordinates in decimal degrees."""

    name: str
    kind: str  # "point" | "line"
    lats: list[float]
    lons: list[float]
    admin1: str | None = None
    admin2: str | None = None


@dataclass
class Partner:
    name: str
    ref: str | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class Consultation:
    community: str
    date: date | None
    women_included: bool | None


@dataclass
class Proposal:
    """One validated proposal (see the module docstring for the fields)."""

    id: str
    project_type: str
    sites: list[Site]
    title: str | None = None
    budget_usd: float | None = None
    partners: list[Partner] = field(default_factory=list)
    counterpart_name: str | None = None
    counterpart_role: str | None = None
    counterpart_flags: list[str] = field(default_factory=list)
    land_acquisition: str | None = None
    households_displaced: int | None = None
    people_displaced: int | None = None
    resettlement_plan: bool | None = None
    land_disputed: bool | None = None
    informal_users: bool | None = None
    vld_documented: bool | None = None
    compensation_before_possession: bool | None = None
    consultations: list[Consultation] = field(default_factory=list)
    consultations_known: bool = False
    grievance_mechanism: bool | None = None
    security: str | None = None
    beneficiary_criteria: str | None = None
    single_group: bool | None = None
    safeguards: dict[str, bool | None] = field(default_factory=dict)
    start_date: date | None = None
    election_date: date | None = None
    country: str | None = None
    source: str | None = None
    source_row: int | None = None


class _Ctx:
    def __init__(self, file: str, row: int | None):
        self.file = file
        self.row = row

    def err(
        self, code: str, msg: str, fld: str, hint: str | None = None, params: dict[str, Any] | None = None
    ) -> InputError:
        """An error at this proposal row; ``msg``/``hint`` are catalogue ids (N_-marked) with ``params``."""
        return InputError(code, msg, Where(file=self.file, row=self.row, field=fld), hint=hint, params=params)


def _bool(v: Any, c: _Ctx, fld: str) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("", "unknown", "na", "n/a", "?"):
        return None
    if s in ("true", "yes", "y", "1"):
        return True
    if s in ("false", "no", "n", "0"):
        return False
    raise c.err(
        "screen.bad_value",
        N_("{value!r} is not yes/no"),
        fld,
        hint=N_("true, false or unknown"),
        params={"value": v},
    )


def _date(v: Any, c: _Ctx, fld: str) -> date | None:
    if v is None or (isinstance(v, str) and v.strip() == ""):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = str(v).strip()
    for fmt in ("%Y-%m-%d", "%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise c.err(
        "screen.bad_date",
        N_("cannot read the date {value!r}"),
        fld,
        hint=N_("write dates as YYYY-MM-DD"),
        params={"value": s},
    )


def _num(v: Any, c: _Ctx, fld: str, lo: float | None = None, hi: float | None = None) -> float | None:
    if v is None or (isinstance(v, str) and v.strip() in ("", "unknown")):
        return None
    if isinstance(v, bool):
        raise c.err("screen.bad_number", N_("{value!r} is not a number"), fld, params={"value": v})
    try:
        x = float(str(v).replace(",", "").strip()) if isinstance(v, str) else float(v)
    except (TypeError, ValueError):
        raise c.err("screen.bad_number", N_("cannot read {value!r} as a number"), fld, params={"value": v}) from None
    if x != x:  # NaN
        raise c.err("screen.bad_number", N_("NaN is not a number"), fld)
    if lo is not None and x < lo:
        raise c.err("screen.out_of_range", N_("{value:g} is below {lo:g}"), fld, params={"value": x, "lo": lo})
    if hi is not None and x > hi:
        raise c.err("screen.out_of_range", N_("{value:g} is above {hi:g}"), fld, params={"value": x, "hi": hi})
    return x


def _choice(v: Any, allowed: tuple[str, ...], c: _Ctx, fld: str) -> str | None:
    if v is None or (isinstance(v, str) and v.strip().lower() in ("", "unknown")):
        return None
    s = str(v).strip().lower().replace(" ", "_").replace("-", "_")
    if s not in allowed:
        raise c.err(
            "screen.bad_value",
            N_("{value!r} is not one of {allowed}"),
            fld,
            params={"value": v, "allowed": ', '.join(allowed)},
        )
    return s


def _flags(v: Any, allowed: tuple[str, ...], c: _Ctx, fld: str) -> list[str]:
    if v is None:
        return []
    items = v if isinstance(v, list) else [x for x in str(v).replace(",", ";").split(";")]
    out = []
    for x in items:
        s = str(x).strip().lower().replace(" ", "_")
        if not s:
            continue
        if s not in allowed:
            raise c.err(
                "screen.bad_value",
                N_("unknown flag {value!r}"),
                fld,
                hint=N_("one of {allowed}"),
                params={"value": x, "allowed": ", ".join(allowed)},
            )
        out.append(s)
    return out


def _coord(lat: Any, lon: Any, c: _Ctx, fld: str) -> tuple[float, float]:
    la = _num(lat, c, f"{fld}.lat")
    lo = _num(lon, c, f"{fld}.lon")
    if la is None:
        raise c.err("screen.missing_site", N_("the site has no latitude"), f"{fld}.lat")
    if lo is None:
        raise c.err("screen.missing_site", N_("the site has no longitude"), f"{fld}.lon")
    if not -90 <= la <= 90:
        if -90 <= lo <= 90 and -180 <= la <= 180:
            raise c.err(
                "screen.latlon_swapped",
                N_("latitude {la:g} is out of range and longitude {lo:g} would be a valid latitude"),
                f"{fld}.lat",
                hint=N_("latitude and longitude look swapped"),
                params={"la": la, "lo": lo},
            )
        raise c.err(
            "screen.coordinate_range",
            N_("latitude {la:g} is outside [-90, 90]"),
            f"{fld}.lat",
            params={"la": la},
        )
    if not -180 <= lo <= 180:
        raise c.err(
            "screen.coordinate_range",
            N_("longitude {lo:g} is outside [-180, 180]"),
            f"{fld}.lon",
            params={"lo": lo},
        )
    return la, lo


def normalise_type(v: Any, types: dict[str, dict[str, Any]], c: _Ctx) -> str:
    if v is None or str(v).strip() == "":
        raise c.err(
            "screen.missing_value",
            N_("the proposal has no project type"),
            "type",
            hint=N_("one of {types}"),
            params={"types": ", ".join(sorted(types))},
        )
    s = str(v).strip().lower().replace("-", " ").replace("/", " ").replace("_", " ")
    s = " ".join(s.split())
    for key, spec in types.items():
        names = {key.replace("_", " ")} | {a.lower().replace("_", " ") for a in spec.get("aliases", [])}
        if s in names:
            return key
    raise c.err(
        "screen.unknown_project_type",
        N_("unknown project type {value!r}"),
        "type",
        hint=N_("one of {types} (or add it to the catalogue)"),
        params={"value": v, "types": ", ".join(sorted(types))},
    )


TOP_KEYS = {
    "id",
    "title",
    "type",
    "project_type",
    "budget_usd",
    "budget",
    "partners",
    "counterpart",
    "land",
    "sites",
    "consultations",
    "grievance_mechanism",
    "security",
    "beneficiaries",
    "safeguards",
    "start_date",
    "election_date",
    "country",
}
# other spellings of a key (the schema in kizuna.screen.schema lists the key itself)
KEY_ALIASES = {"project_type": "type", "budget": "budget_usd"}


SUB_KEYS = {
    "sites": {"name", "lat", "lon", "line", "admin1", "admin2"},
    "counterpart": {"name", "role", "flags"},
    "land": {
        "acquisition",
        "households_displaced",
        "people_displaced",
        "resettlement_plan",
        "disputed",
        "informal_users",
        "vld_documented",
        "compensation_before_possession",
    },
    "consultations": {"community", "date", "women_included"},
    "beneficiaries": {"criteria", "single_group"},
    "partners": {"name", "ref", "flags"},
}


def _check_keys(d: dict[str, Any], c: _Ctx) -> None:
    for part, allowed in SUB_KEYS.items():
        v = d.get(part)
        items = v if isinstance(v, list) else [v]
        for k, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            for key in item:
                if key not in allowed:
                    fld = f"{part}[{k}].{key}" if isinstance(v, list) else f"{part}.{key}"
                    raise c.err(
                        "screen.unknown_key",
                        N_("unknown key {key!r}"),
                        fld,
                        hint=N_("known keys: {allowed}"),
                        params={"key": key, "allowed": ", ".join(sorted(allowed))},
                    )


def _text(v: Any) -> str | None:
    if v is None or str(v).strip() == "":
        return None
    return str(v).strip()


def _sites(raw: Any, c: _Ctx) -> list[Site]:
    if not raw:
        raise c.err(
            "screen.missing_site",
            N_("the proposal has no site"),
            "sites",
            hint=N_("add [[sites]] with lat and lon, or a line"),
        )
    if isinstance(raw, dict):
        raw = [raw]
    out: list[Site] = []
    for k, s in enumerate(raw):
        fld = f"sites[{k}]"
        if not isinstance(s, dict):
            raise c.err("screen.bad_value", N_("a site is a table with lat and lon, or a line"), fld)
        name = str(s.get("name") or f"site {k + 1}")
        a1 = _text(s.get("admin1"))
        a2 = _text(s.get("admin2"))
        if s.get("line") is not None:
            line = s["line"]
            if not isinstance(line, list) or len(line) < 2:
                raise c.err("screen.bad_value", N_("a line needs at least two [lat, lon] vertices"), f"{fld}.line")
            lats, lons = [], []
            for j, v in enumerate(line):
                if not isinstance(v, (list, tuple)) or len(v) != 2:
                    raise c.err("screen.bad_value", N_("each vertex is [lat, lon]"), f"{fld}.line[{j}]")
                la, lo = _coord(v[0], v[1], c, f"{fld}.line[{j}]")
                lats.append(la)
                lons.append(lo)
            out.append(Site(name, "line", lats, lons, a1, a2))
        else:
            la, lo = _coord(s.get("lat"), s.get("lon"), c, fld)
            out.append(Site(name, "point", [la], [lo], a1, a2))
    return out


def proposal_from_dict(
    d: dict[str, Any], types: dict[str, dict[str, Any]], file: str, row: int | None = None
) -> Proposal:
    """Validate one proposal given as a dict (the TOML/YAML layout); errors name file, row and field."""
    c = _Ctx(file, row)
    known = TOP_KEYS
    for key in d:
        if key not in known:
            raise c.err(
                "screen.unknown_key",
                N_("unknown key {key!r}"),
                key,
                hint=N_("known keys: {known}"),
                params={"key": key, "known": ", ".join(sorted(known))},
            )
    _check_keys(d, c)
    pid = d.get("id")
    if pid is None or str(pid).strip() == "":
        raise c.err("screen.missing_value", N_("the proposal has no id"), "id")
    ptype = normalise_type(d.get("type", d.get("project_type")), types, c)
    sites = _sites(d.get("sites"), c)
    partners: list[Partner] = []
    for k, p in enumerate(d.get("partners") or []):
        if isinstance(p, str):
            partners.append(Partner(p.strip()))
        elif isinstance(p, dict) and p.get("name"):
            partners.append(
                Partner(
                    str(p["name"]).strip(),
                    p.get("ref"),
                    _flags(p.get("flags"), PARTNER_FLAGS, c, f"partners[{k}].flags"),
                )
            )
        else:
            raise c.err("screen.bad_value", N_("a partner is a name or a table with a name"), f"partners[{k}]")
    cp = d.get("counterpart") or {}
    if not isinstance(cp, dict):
        raise c.err("screen.bad_value", N_("counterpart is a table (name, role, flags)"), "counterpart")
    land = d.get("land") or {}
    if not isinstance(land, dict):
        raise c.err("screen.bad_value", N_("land is a table (acquisition, households_displaced, ...)"), "land")
    hh = _num(land.get("households_displaced"), c, "land.households_displaced", 0)
    if hh is not None and hh != int(hh):
        raise c.err("screen.bad_number", N_("households_displaced must be a whole number"), "land.households_displaced")
    people = _num(land.get("people_displaced"), c, "land.people_displaced", 0)
    if people is not None and people != int(people):
        raise c.err("screen.bad_number", N_("people_displaced must be a whole number"), "land.people_displaced")
    cons: list[Consultation] = []
    raw_cons = d.get("consultations")
    for k, x in enumerate(raw_cons or []):
        if not isinstance(x, dict) or not x.get("community"):
            raise c.err("screen.bad_value", N_("a consultation names its community"), f"consultations[{k}].community")
        cons.append(
            Consultation(
                str(x["community"]).strip(),
                _date(x.get("date"), c, f"consultations[{k}].date"),
                _bool(x.get("women_included"), c, f"consultations[{k}].women_included"),
            )
        )
    ben = d.get("beneficiaries") or {}
    saf = d.get("safeguards") or {}
    for k in saf:
        if k not in SAFEGUARDS:
            raise c.err(
                "screen.unknown_key",
                N_("unknown safeguard {key!r}"),
                f"safeguards.{k}",
                hint=N_("one of {safeguards}"),
                params={"key": k, "safeguards": ", ".join(SAFEGUARDS)},
            )
    return Proposal(
        id=str(pid).strip(),
        project_type=ptype,
        sites=sites,
        title=d.get("title"),
        budget_usd=_num(d.get("budget_usd", d.get("budget")), c, "budget_usd", 0),
        partners=partners,
        counterpart_name=cp.get("name"),
        counterpart_role=_choice(cp.get("role"), COUNTERPART_ROLES, c, "counterpart.role"),
        counterpart_flags=_flags(cp.get("flags"), COUNTERPART_FLAGS, c, "counterpart.flags"),
        land_acquisition=_choice(land.get("acquisition"), LAND_ACQUISITION, c, "land.acquisition"),
        households_displaced=None if hh is None else int(hh),
        people_displaced=None if people is None else int(people),
        resettlement_plan=_bool(land.get("resettlement_plan"), c, "land.resettlement_plan"),
        land_disputed=_bool(land.get("disputed"), c, "land.disputed"),
        informal_users=_bool(land.get("informal_users"), c, "land.informal_users"),
        vld_documented=_bool(land.get("vld_documented"), c, "land.vld_documented"),
        compensation_before_possession=_bool(
            land.get("compensation_before_possession"), c, "land.compensation_before_possession"
        ),
        consultations=cons,
        consultations_known=raw_cons is not None,
        grievance_mechanism=_bool(d.get("grievance_mechanism"), c, "grievance_mechanism"),
        security=_choice(d.get("security"), SECURITY, c, "security"),
        beneficiary_criteria=ben.get("criteria"),
        single_group=_bool(ben.get("single_group"), c, "beneficiaries.single_group"),
        safeguards={k: _bool(saf.get(k), c, f"safeguards.{k}") for k in SAFEGUARDS},
        start_date=_date(d.get("start_date"), c, "start_date"),
        election_date=_date(d.get("election_date"), c, "election_date"),
        country=_text(d.get("country")),
        source=file,
        source_row=row,
    )


CSV_COLUMNS = (
    "id",
    "title",
    "type",
    "project_type",
    "country",
    "site_name",
    "lat",
    "lon",
    "line",
    "admin1",
    "admin2",
    "budget_usd",
    "partners",
    "partner_flags",
    "counterpart",
    "counterpart_role",
    "counterpart_flags",
    "land_acquisition",
    "households_displaced",
    "people_displaced",
    "resettlement_plan",
    "land_disputed",
    "informal_users",
    "vld_documented",
    "compensation_before_possession",
    "consulted",
    "consultation_date",
    "women_included",
    "grievance_mechanism",
    "security",
    "beneficiary_criteria",
    "single_group",
    *SAFEGUARDS,
    "start_date",
    "election_date",
)


def _split(v: Any) -> list[str]:
    if v is None:
        return []
    return [x.strip() for x in str(v).split(";") if x.strip()]


def _csv_to_dict(rec: dict[str, str], c: _Ctx) -> dict[str, Any]:
    g = {k.strip().lower(): (v.strip() if isinstance(v, str) else v) for k, v in rec.items() if k}

    def val(k: str) -> Any:
        v = g.get(k)
        return None if v is None or v == "" else v

    if val("line"):
        line = []
        for j, pair in enumerate(_split(val("line"))):
            parts = pair.replace(",", " ").split()
            if len(parts) != 2:
                raise c.err(
                    "screen.bad_value",
                    N_("vertex {pair!r} is not 'lat lon'"),
                    f"line[{j}]",
                    params={"pair": pair},
                )
            line.append(parts)
        sites: list[dict[str, Any]] = [
            {"name": val("site_name") or "line", "line": line, "admin1": val("admin1"), "admin2": val("admin2")}
        ]
    elif val("lat") is not None or val("lon") is not None:
        sites = [
            {
                "name": val("site_name") or "site",
                "lat": val("lat"),
                "lon": val("lon"),
                "admin1": val("admin1"),
                "admin2": val("admin2"),
            }
        ]
    else:
        sites = []
    flags = _split(val("partner_flags"))
    partners = [{"name": n, "flags": flags} for n in _split(val("partners"))]
    consulted = _split(val("consulted"))
    cons = None
    if val("consulted") is not None:
        cons = [
            {"community": n, "date": val("consultation_date"), "women_included": val("women_included")}
            for n in consulted
            if n.lower() not in ("none", "no")
        ]
    d: dict[str, Any] = {
        "id": val("id"),
        "title": val("title"),
        "type": val("type") or val("project_type"),
        "sites": sites,
        "budget_usd": val("budget_usd"),
        "partners": partners,
        "counterpart": {
            "name": val("counterpart"),
            "role": val("counterpart_role"),
            "flags": _split(val("counterpart_flags")),
        },
        "land": {
            "acquisition": val("land_acquisition"),
            "households_displaced": val("households_displaced"),
            "people_displaced": val("people_displaced"),
            "resettlement_plan": val("resettlement_plan"),
            "disputed": val("land_disputed"),
            "informal_users": val("informal_users"),
            "vld_documented": val("vld_documented"),
            "compensation_before_possession": val("compensation_before_possession"),
        },
        "grievance_mechanism": val("grievance_mechanism"),
        "security": val("security"),
        "beneficiaries": {"criteria": val("beneficiary_criteria"), "single_group": val("single_group")},
        "safeguards": {k: val(k) for k in SAFEGUARDS},
        "start_date": val("start_date"),
        "election_date": val("election_date"),
        "country": val("country"),
    }
    if cons is not None:
        d["consultations"] = cons
    return d


def read_proposals(path: Path | str, types: dict[str, dict[str, Any]]) -> list[Proposal]:
    """Read one proposal (``.toml``, ``.yaml``/``.yml``) or a batch (``.csv``); validated."""
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise InputError("screen.missing_file", N_("no such file"), Where(file=file, field="PROPOSAL"))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        out: list[Proposal] = []
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            cols = {(h or "").strip().lower() for h in reader.fieldnames or []}
            unknown = sorted(cols - set(CSV_COLUMNS) - {""})
            if unknown:
                import difflib

                close = difflib.get_close_matches(unknown[0], CSV_COLUMNS, n=1)
                raise InputError(
                    "screen.unknown_column",
                    N_("unknown column {column!r}"),
                    Where(file=file, line=1, field=unknown[0]),
                    hint=N_("did you mean {close!r}?") if close else N_("known columns: {known}"),
                    params={"column": unknown[0], "close": close[0] if close else "", "known": ", ".join(CSV_COLUMNS)},
                )
            if "id" not in cols or not ({"type", "project_type"} & cols):
                raise InputError(
                    "screen.missing_column",
                    N_("a proposal CSV needs 'id' and 'type' columns"),
                    Where(file=file, line=1, field="id" if "id" not in cols else "type"),
                )
            seen: set[str] = set()
            for i, rec in enumerate(reader, start=1):
                c = _Ctx(file, i)
                p = proposal_from_dict(_csv_to_dict(rec, c), types, file, i)
                if p.id in seen:
                    raise c.err(
                        "screen.duplicate_id",
                        N_("proposal id {id!r} appears twice"),
                        "id",
                        params={"id": p.id},
                    )
                seen.add(p.id)
                out.append(p)
        if not out:
            raise InputError("screen.empty", N_("the CSV holds no proposal"), Where(file=file))
        return out
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("screen.encoding", N_("not UTF-8 text"), Where(file=file)) from None
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(
                "screen.bad_toml",
                N_("cannot read TOML: {error}"),
                Where(file=file),
                params={"error": str(exc)},
            ) from None
    elif suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", None)
            raise InputError(
                "screen.bad_yaml",
                N_("cannot read YAML: {error}"),
                Where(file=file, line=None if line is None else line + 1),
                params={"error": str(exc).splitlines()[0]},
            ) from None
    else:
        raise InputError(
            "screen.unknown_format",
            N_("unknown proposal format {suffix!r}"),
            Where(file=file),
            hint=N_("a .toml or .yaml file for one proposal, .csv for a batch"),
            params={"suffix": suffix},
        )
    if not isinstance(data, dict):
        raise InputError("screen.bad_value", N_("a proposal file holds one table of keys"), Where(file=file))
    return [proposal_from_dict(data, types, file)]
