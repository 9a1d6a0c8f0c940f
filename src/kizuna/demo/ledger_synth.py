"""Synthetic ledger demo data for the fictional "Republic of Kaltara" (ISO user-assigned code XZ).

Everything written here is invented: the country, its areas, the agencies, their projects and their
money. Titles and descriptions start with ``[SYNTHETIC]`` and every organisation name with
``Synthetic —`` so the data cannot be mistaken for real reporting. Organisation references use the
reserved-looking prefix ``XZ-SYN-`` (configurable per ally); no real organisation identifier
(``US-GOV-``, ``XM-DAC-`` ...) is ever used.

:func:`generate` writes, into an output folder:

* one IATI 2.03 activity file per fictional publisher (``iati-<publisher>.xml``);
* one 3W sheet (``kaltara-3w.csv``) with an HXL hashtag row;
* ``planted_overlaps.json``: the cross-ally overlaps planted on purpose, and the malformed records.

The output is a deterministic function of the seed (same seed, same bytes). What is planted and
why is documented in ``docs/demo-data.md``.
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lxml import etree

COUNTRY_CODE = "XZ"
COUNTRY_NAME = "Republic of Kaltara (synthetic)"
SYN = "[SYNTHETIC]"
GENERATED = "2025-06-30T00:00:00Z"  # fixed, so files are byte-identical across runs

# The shared fictional geography (helper conventions): admin1 code -> (name, centroid lat, lon).
ADMIN1: dict[str, tuple[str, float, float]] = {
    "XZ01": ("Northmarch", 9.6, 29.4),
    "XZ02": ("Eastvale", 9.2, 31.4),
    "XZ03": ("Riverlands", 8.0, 30.0),
    "XZ04": ("Highcross", 7.9, 28.3),
    "XZ05": ("Southfen", 6.4, 30.6),
    "XZ06": ("Westmoor", 6.9, 28.0),
}
# Admin2 names are invented here; centroids are the admin1 centroid offset by +-0.35 degrees.
_ADMIN2_NAMES = {
    "XZ01": ["Frostford", "Pinehollow", "Greywater", "Kestrel Ridge"],
    "XZ02": ["Ambermere", "Dawnford", "Copperbrook", "Saltmarsh"],
    "XZ03": ["Reedwater", "Millbank", "Otterholm", "Lowford"],
    "XZ04": ["Stonegate", "Windhill", "Crowcliff", "Highmoor"],
    "XZ05": ["Fenwick", "Marshend", "Willowdeep", "Heronsby"],
    "XZ06": ["Westbrook", "Ashcombe", "Thornfield", "Larkspur"],
}
_OFFSETS = [(0.35, 0.35), (0.35, -0.35), (-0.35, 0.35), (-0.35, -0.35)]
ADMIN2: dict[str, tuple[str, str, float, float]] = {
    f"{a1}-{i + 1:02d}": (_ADMIN2_NAMES[a1][i], a1, ADMIN1[a1][1] + dy, ADMIN1[a1][2] + dx)
    for a1 in ADMIN1
    for i, (dy, dx) in enumerate(_OFFSETS)
}

# The planted gap of the needs table: no water activity is placed here (see write_needs).
PLANTED_GAP = ("XZ06-04", "Water Sanitation Hygiene")
PLANTED_GAP_NEIGHBOUR = "XZ06-03"

# Ally name -> organisation-reference prefix. Configurable: pass ``ally_prefixes`` to generate().
DEFAULT_ALLY_PREFIXES: dict[str, str] = {
    "Ally A": "XZ-SYN-ALLYA-",
    "Ally B": "XZ-SYN-ALLYB-",
    "UN": "XZ-SYN-UN-",
    "NGOs": "XZ-SYN-NGO-",
}


@dataclass(frozen=True)
class Publisher:
    key: str  # short key used in file names
    ally: str
    number: int  # appended to the ally prefix
    name: str
    org_type: str  # IATI OrganisationType
    currency: str
    n_activities: int
    tx_level_sectors: bool  # sectors on transactions (like US government data) instead of the activity
    role: str  # 'donor' (funds others) | 'implementer'


PUBLISHERS: tuple[Publisher, ...] = (
    Publisher(
        "allya-1",
        "Ally A",
        1,
        "Synthetic — Allied Development Agency (Ally A)",
        "10",
        "USD",
        52,
        True,
        "donor",
    ),
    Publisher(
        "allya-2",
        "Ally A",
        2,
        "Synthetic — Ally A Bureau of Stabilisation (Ally A)",
        "10",
        "USD",
        24,
        True,
        "donor",
    ),
    Publisher(
        "allyb-1",
        "Ally B",
        1,
        "Synthetic — Ally B Cooperation Agency (Ally B)",
        "10",
        "JPY",
        44,
        False,
        "donor",
    ),
    Publisher(
        "un-1",
        "UN",
        1,
        "Synthetic — United Relief Programme (UN-like agency)",
        "40",
        "USD",
        28,
        False,
        "implementer",
    ),
    Publisher(
        "un-2",
        "UN",
        2,
        "Synthetic — Health Partnership Agency (UN-like agency)",
        "40",
        "USD",
        20,
        False,
        "implementer",
    ),
    Publisher(
        "ngo-1",
        "NGOs",
        1,
        "Synthetic — Kaltara Community Water Trust (NGO)",
        "21",
        "EUR",
        16,
        False,
        "implementer",
    ),
    Publisher(
        "ngo-2",
        "NGOs",
        2,
        "Synthetic — Bridges for Peace Network (NGO)",
        "21",
        "USD",
        16,
        False,
        "implementer",
    ),
)
# A funder that publishes no file of its own but appears in others' data (like a foreign ministry).
SILENT_FUNDER = ("Ally B", 2, "Synthetic — Ally B Ministry of External Affairs (Ally B)", "10")

# DAC 5-digit sectors used, by group, with title stems (several per sector so random titles differ).
SECTORS: dict[str, list[tuple[str, list[str]]]] = {
    "peace": [
        (
            "15210",
            ["security sector governance dialogue", "police oversight reform", "defence accountability"],
        ),
        ("15220", ["community peace committees", "local conflict mediation", "early warning networks"]),
        ("15240", ["small arms collection", "ex-combatant livelihoods", "weapons management"]),
        ("15250", ["explosive hazard clearance", "mine risk education"]),
        ("15261", ["child soldier prevention", "youth demobilisation support"]),
    ],
    "emergency": [
        ("72010", ["shelter and household items", "relief kit distribution"]),
        ("72040", ["emergency food rations", "lean season cash for food"]),
        ("72050", ["humanitarian coordination hubs", "relief logistics support"]),
    ],
    "health": [
        ("12220", ["primary health clinics", "mobile medical teams", "maternal care outreach"]),
        ("12240", ["child malnutrition screening", "nutrition counselling"]),
        ("12250", ["cholera prevention", "measles vaccination drive"]),
    ],
    "water": [
        ("14030", ["borehole rehabilitation", "village water committees"]),
        ("14031", ["piped water extension", "water point repair"]),
        ("14032", ["school latrines", "sanitation marketing"]),
    ],
    "roads": [
        ("21020", ["feeder road rehabilitation", "market access roads", "bridge and culvert repair"]),
    ],
    "governance": [
        ("15110", ["district planning support", "public service training"]),
        ("15130", ["mobile courts", "legal aid clinics"]),
        ("15150", ["civil society grants", "citizen scorecards"]),
        ("15160", ["human rights monitoring", "detention monitoring"]),
    ],
}
# Which sector groups each publisher works in (so division-of-labour figures have some shape).
_PUBLISHER_GROUPS = {
    "allya-1": ["peace", "governance", "health", "emergency", "roads"],
    "allya-2": ["peace", "governance"],
    "allyb-1": ["roads", "water", "health", "peace"],
    "un-1": ["emergency", "peace", "water"],
    "un-2": ["health", "emergency"],
    "ngo-1": ["water", "health"],
    "ngo-2": ["peace", "governance"],
}
_QUALIFIERS = [
    "phase II",
    "pilot",
    "scale-up",
    "consortium",
    "bridging",
    "extension",
    "rapid",
    "integrated",
    "community-led",
    "district",
]
_DESCRIPTION_WORDS = [
    "households",
    "women",
    "youth",
    "returnees",
    "local authorities",
    "traditional leaders",
    "health workers",
    "schools",
    "farmers",
    "displaced families",
    "markets",
    "committees",
    "pastoralists",
    "teachers",
    "elders",
    "traders",
    "cooperatives",
    "clinics",
    "magistrates",
    "chiefs",
    "volunteers",
    "engineers",
    "midwives",
    "herders",
    "fishers",
    "students",
    "survivors",
    "parishes",
    "radio stations",
    "county officials",
]

# Deliberate cross-ally overlaps: same DAC5 sector, same admin2, overlapping dates, similar titles.
_PLANTED = [
    # (publisher a, publisher b, sector, admin2, start a, end a, start b, end b, title a, title b, theme)
    (
        "allya-1",
        "allyb-1",
        "15240",
        "XZ02-03",
        "2021-03-01",
        "2023-12-31",
        "2021-06-01",
        "2023-09-30",
        "Reintegration of former combatants in Copperbrook",
        "Former combatant reintegration programme, Copperbrook",
        "reintegration former combatants vocational kits Copperbrook cantonment",
    ),
    (
        "allya-1",
        "allyb-1",
        "14031",
        "XZ05-02",
        "2020-05-01",
        "2022-10-31",
        "2020-09-01",
        "2022-08-31",
        "Marshend rural water supply rehabilitation",
        "Rural water supply rehabilitation in Marshend",
        "handpumps boreholes water user committees Marshend",
    ),
    (
        "allya-2",
        "allyb-1",
        "15220",
        "XZ03-04",
        "2022-01-01",
        "2024-12-31",
        "2022-03-01",
        "2024-10-31",
        "Lowford intercommunal dialogue and peace committees",
        "Peace committees for intercommunal dialogue, Lowford",
        "intercommunal dialogue peace committees cattle migration Lowford",
    ),
    (
        "allya-1",
        "un-2",
        "12220",
        "XZ01-01",
        "2019-07-01",
        "2021-12-31",
        "2019-10-01",
        "2021-10-31",
        "Frostford primary health care revitalisation",
        "Revitalising primary health care in Frostford",
        "primary health care midwives essential medicines Frostford",
    ),
    (
        "allyb-1",
        "un-1",
        "21020",
        "XZ04-02",
        "2021-04-01",
        "2024-03-31",
        "2022-01-01",
        "2023-12-31",
        "Windhill feeder roads for market access",
        "Feeder road access to Windhill markets",
        "feeder roads culverts market access Windhill labour-intensive",
    ),
    (
        "allya-2",
        "ngo-2",
        "15130",
        "XZ06-03",
        "2023-01-01",
        "2025-06-30",
        "2023-03-01",
        "2025-06-30",
        "Mobile courts and legal aid in Thornfield",
        "Thornfield legal aid and mobile court sessions",
        "mobile courts legal aid paralegals Thornfield justice",
    ),
]

# Funder -> implementer chains (incoming funds with provider-activity-id): donor publisher -> implementer.
_CHAINS = [
    ("allya-1", "ngo-1"),
    ("allya-1", "ngo-2"),
    ("allya-1", "un-1"),
    ("allyb-1", "un-2"),
    ("allyb-1", "ngo-1"),
    ("allya-2", "ngo-2"),
    ("allya-1", "un-2"),
    ("allyb-1", "un-1"),
]

THREEW_ROWS = 36
_THREEW_CLUSTERS = [
    ("Health", "12220"),
    ("WASH", "14031"),
    ("Protection", "15160"),
    ("Food Security", "72040"),
    ("Logistics", "21020"),
    ("Early Recovery", "15220"),
]
_THREEW_ORGS = [
    "Synthetic — Kaltara Community Water Trust (NGO)",
    "Synthetic — Bridges for Peace Network (NGO)",
    "Synthetic — Kaltara Women's Peace Circle (NGO)",
    "Synthetic — Riverlands Relief Volunteers (NGO)",
    "Synthetic — United Relief Programme (UN-like agency)",
]


def org_ref(prefixes: dict[str, str], ally: str, number: int) -> str:
    return f"{prefixes[ally]}{number}"


def _d(s: str) -> date:
    return date.fromisoformat(s)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _narr(parent: etree._Element, tag: str, text: str, **attrs: str) -> etree._Element:
    el = _sub(parent, tag, **attrs)
    _sub(el, "narrative", text)
    return el


@dataclass
class _Act:
    pub: Publisher
    local_id: str
    title: str
    description: str
    sectors: list[tuple[str, float]]  # (dac5, percentage)
    admin2: list[str]  # admin2 codes (may be empty)
    admin1_only: list[str]  # admin1 codes without admin2
    start: date
    end: date
    status: str
    funders: list[tuple[str, str]]  # (ref, name) role 1 besides itself
    incoming: list[tuple[str, str, str]]  # (provider ref, provider name, provider activity id)
    outgoing: list[tuple[str, str, str]]  # (receiver ref, receiver name, receiver activity id)
    budget_usd: float
    malformed: str | None = None


def _money(rng: random.Random, currency: str, usd: float) -> float:
    factor = {"USD": 1.0, "JPY": 150.0, "EUR": 0.92}[currency]
    return float(round(usd * factor * rng.uniform(0.9, 1.1), -2))


def generate(out_dir: Path, seed: int = 7, ally_prefixes: dict[str, str] | None = None) -> dict[str, Any]:
    """Write the synthetic Kaltara ledger (IATI XML per publisher, a 3W CSV, a manifest) into ``out_dir``.

    ``ally_prefixes`` maps ally names ("Ally A", "Ally B", "UN", "NGOs") to organisation-reference
    prefixes (default ``XZ-SYN-ALLYA-`` ...). Returns ``{"iati_files", "threew_file", "manifest_file",
    "files", "planted_overlaps", "malformed", "counts", "ally_prefixes"}``; the same seed gives the same
    files byte for byte.
    """
    prefixes = {**DEFAULT_ALLY_PREFIXES, **(ally_prefixes or {})}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    pubs = {p.key: p for p in PUBLISHERS}

    def ref_of(p: Publisher) -> str:
        return org_ref(prefixes, p.ally, p.number)

    def ident(p: Publisher, local: str) -> str:
        return f"{ref_of(p)}-{local}"

    acts: dict[str, list[_Act]] = {p.key: [] for p in PUBLISHERS}
    counters = {p.key: 0 for p in PUBLISHERS}

    def next_id(p: Publisher) -> str:
        counters[p.key] += 1
        return f"KZ{counters[p.key]:04d}"

    # 1. Planted overlaps first, so their ids are stable whatever else changes.
    planted_manifest: list[dict[str, Any]] = []
    for pa, pb, sector, adm2, sa, ea, sb, eb, ta, tb, theme in _PLANTED:
        pair = []
        for pkey, s, e, title in ((pa, sa, ea, ta), (pb, sb, eb, tb)):
            p = pubs[pkey]
            desc = (
                f"{SYN} Fictional demonstration activity: {title.lower()}; {theme}; "
                f"works with {rng.choice(_DESCRIPTION_WORDS)} in {ADMIN2[adm2][0]}."
            )
            a = _Act(
                p,
                next_id(p),
                f"{SYN} {title}",
                desc,
                [(sector, 100.0)],
                [adm2],
                [],
                _d(s),
                _d(e),
                "2",
                [],
                [],
                [],
                rng.uniform(1.5e6, 6e6),
            )
            acts[pkey].append(a)
            pair.append(a)
        planted_manifest.append(
            {
                "a": ident(pair[0].pub, pair[0].local_id),
                "a_publisher": ref_of(pair[0].pub),
                "a_ally": pair[0].pub.ally,
                "b": ident(pair[1].pub, pair[1].local_id),
                "b_publisher": ref_of(pair[1].pub),
                "b_ally": pair[1].pub.ally,
                "sector": sector,
                "admin2": adm2,
                "admin2_name": ADMIN2[adm2][0],
                "a_dates": [sa, ea],
                "b_dates": [sb, eb],
                "a_title": pair[0].title,
                "b_title": pair[1].title,
            }
        )

    # 2. Random activities.
    adm2_codes = sorted(ADMIN2)
    for p in PUBLISHERS:
        while len(acts[p.key]) < p.n_activities:
            group = rng.choice(_PUBLISHER_GROUPS[p.key])
            dac5, stems = rng.choice(SECTORS[group])
            stem = rng.choice(stems)
            sectors = [(dac5, 100.0)]
            if rng.random() < 0.25:  # a second sector with a percentage split
                g2 = rng.choice(_PUBLISHER_GROUPS[p.key])
                d2 = rng.choice(SECTORS[g2])[0]
                if d2 != dac5:
                    pct = rng.choice([60.0, 70.0, 80.0])
                    sectors = [(dac5, pct), (d2, 100.0 - pct)]
            r = rng.random()
            admin2: list[str]
            admin1_only: list[str]
            if r < 0.12:
                admin2, admin1_only = [], []  # country level only
            elif r < 0.22:
                admin2, admin1_only = [], [rng.choice(sorted(ADMIN1))]
            else:
                admin2 = sorted(rng.sample(adm2_codes, rng.choice([1, 1, 1, 2, 3])))
                admin1_only = []
            if any(code.startswith("140") for code, _ in sectors) and PLANTED_GAP[0] in admin2:
                # keep the planted gap empty: no water activity in Larkspur (same random stream either way)
                admin2 = sorted({PLANTED_GAP_NEIGHBOUR, *admin2} - {PLANTED_GAP[0]})
            start = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 5 * 365 + 150))
            end = min(start + timedelta(days=rng.randrange(300, 4 * 365)), date(2025, 12, 31))
            status = "4" if end < date(2025, 6, 30) else "2"
            place = ADMIN2[admin2[0]][0] if admin2 else (ADMIN1[admin1_only[0]][0] if admin1_only else "Kaltara")
            qual = rng.choice(_QUALIFIERS)
            # the place name appears in only some titles, as in real portfolios
            title = f"{SYN} {stem.capitalize()} ({qual})" + (f", {place}" if rng.random() < 0.4 else "")
            words = rng.sample(_DESCRIPTION_WORDS, 5)
            desc = f"{SYN} Fictional demonstration activity on {stem} for {', '.join(words[:4])} and {words[4]}."
            acts[p.key].append(
                _Act(
                    p,
                    next_id(p),
                    title,
                    desc,
                    sectors,
                    admin2,
                    admin1_only,
                    start,
                    end,
                    status,
                    [],
                    [],
                    [],
                    rng.uniform(2e5, 8e6),
                )
            )

    # 3. Funding chains: the donor's activity disburses to the implementer's activity, which records the
    # money as incoming funds (type 1) with provider-activity-id, so double counting can be tested.
    chains_manifest = []
    silent_ref = org_ref(prefixes, SILENT_FUNDER[0], SILENT_FUNDER[1])
    for i, (dk, ik) in enumerate(_CHAINS):
        donor = [a for a in acts[dk] if a.malformed is None][-(i + 1)]
        impl = [a for a in acts[ik] if not a.incoming][-1]
        impl.sectors = list(donor.sectors)
        impl.start, impl.end = donor.start, donor.end
        impl.admin2, impl.admin1_only = list(donor.admin2), list(donor.admin1_only)
        donor.outgoing.append((ref_of(impl.pub), impl.pub.name, ident(impl.pub, impl.local_id)))
        impl.incoming.append((ref_of(donor.pub), donor.pub.name, ident(donor.pub, donor.local_id)))
        impl.funders.append((ref_of(donor.pub), donor.pub.name))
        chains_manifest.append(
            {
                "funder_activity": ident(donor.pub, donor.local_id),
                "implementer_activity": ident(impl.pub, impl.local_id),
            }
        )
    # The silent funder (publishes nothing) funds a few UN activities: provider-org without an activity id.
    for a in acts["un-1"][2:5]:
        a.funders.append((silent_ref, SILENT_FUNDER[2]))
        a.incoming.append((silent_ref, SILENT_FUNDER[2], ""))

    # 4. Malformed records, on purpose, documented in docs/demo-data.md.
    malformed = []
    bad = acts["ngo-2"][6]
    bad.malformed = "non_numeric_value"
    malformed.append(
        {
            "activity": ident(bad.pub, bad.local_id),
            "kind": "non_numeric_value",
            "detail": "one disbursement has value '12,5OO' (letter O, not zero)",
        }
    )
    bad = acts["un-2"][6]
    bad.malformed = "unknown_currency"
    malformed.append(
        {
            "activity": ident(bad.pub, bad.local_id),
            "kind": "unknown_currency",
            "detail": "one disbursement has currency 'XXX'",
        }
    )
    bad = acts["allyb-1"][6]
    bad.malformed = "sector_percentages_90"
    bad.sectors = [(bad.sectors[0][0], 50.0), ("15150" if bad.sectors[0][0] != "15150" else "15110", 40.0)]
    malformed.append(
        {
            "activity": ident(bad.pub, bad.local_id),
            "kind": "sector_percentages_90",
            "detail": "activity-level sector percentages 50 + 40 = 90",
        }
    )

    # 5. Write the IATI files.
    files: list[Path] = []
    n_tx = 0
    for p in PUBLISHERS:
        root = etree.Element("iati-activities", {"version": "2.03", "generated-datetime": GENERATED})
        root.append(
            etree.Comment(
                " SYNTHETIC demonstration data for the fictional Republic of Kaltara (XZ). "
                "Not real reporting. Generated by kizuna.demo.ledger_synth. "
            )
        )
        for a in acts[p.key]:
            n_tx += _write_activity(root, a, ref_of(p), ident(p, a.local_id), rng)
        path = out_dir / f"iati-{p.key}.xml"
        path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
        files.append(path)

    # 6. The 3W sheet.
    threew = out_dir / "kaltara-3w.csv"
    threew.write_text(_threew_csv(rng), encoding="utf-8", newline="")

    n_acts = sum(len(v) for v in acts.values())
    manifest = {
        "synthetic": True,
        "country": COUNTRY_CODE,
        "seed": seed,
        "ally_prefixes": prefixes,
        "planted_overlaps": planted_manifest,
        "funding_chains": chains_manifest,
        "malformed": malformed,
        "counts": {
            "activities": n_acts,
            "transactions": n_tx,
            "publishers": len(PUBLISHERS),
            "threew_rows": THREEW_ROWS,
        },
    }
    manifest_path = out_dir / "planted_overlaps.json"
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {
        "iati_files": files,
        "threew_file": threew,
        "manifest_file": manifest_path,
        "files": [*files, threew, manifest_path],
        "planted_overlaps": planted_manifest,
        "funding_chains": chains_manifest,
        "malformed": malformed,
        "counts": manifest["counts"],
        "ally_prefixes": prefixes,
    }


def _write_activity(root: etree._Element, a: _Act, pref: str, identifier: str, rng: random.Random) -> int:
    p = a.pub
    act = _sub(
        root,
        "iati-activity",
        default_currency=p.currency,
        last_updated_datetime=GENERATED,
        humanitarian="1" if a.sectors[0][0].startswith("720") else "0",
    )
    _sub(act, "iati-identifier", identifier)
    _narr(act, "reporting-org", p.name, ref=pref, type=p.org_type)
    _narr(act, "title", a.title)
    _narr(act, "description", a.description, type="1")
    for fref, fname in a.funders:
        _narr(act, "participating-org", fname, ref=fref, role="1", type="10")
    if not a.funders:
        _narr(act, "participating-org", p.name, ref=pref, role="1", type=p.org_type)
    _narr(act, "participating-org", p.name, ref=pref, role="2", type=p.org_type)
    for rref, rname, ract in a.outgoing:
        _narr(act, "participating-org", rname, ref=rref, role="4", type="21", activity_id=ract)
    if not a.outgoing:
        _narr(act, "participating-org", p.name, ref=pref, role="4", type=p.org_type)
    _sub(act, "activity-status", code=a.status)
    _sub(act, "activity-date", type="1", iso_date=a.start.isoformat())
    if a.start < date(2025, 6, 30):
        _sub(act, "activity-date", type="2", iso_date=a.start.isoformat())
    _sub(act, "activity-date", type="3", iso_date=a.end.isoformat())
    if a.status == "4":
        _sub(act, "activity-date", type="4", iso_date=a.end.isoformat())
    scope = "4" if not (a.admin2 or a.admin1_only) else ("7" if len(a.admin2) == 1 else "5")
    _sub(act, "activity-scope", code=scope)
    _sub(act, "recipient-country", code=COUNTRY_CODE, percentage="100")
    for i, code in enumerate(a.admin2):
        name, a1, lat, lon = ADMIN2[code]
        loc = _sub(act, "location", ref=f"{identifier}-L{i + 1}")
        _sub(loc, "location-reach", code="1")
        _narr(loc, "name", f"{SYN} {name}, {ADMIN1[a1][0]}")
        # Fictional p-codes; vocabulary A2 (UN SALB) is the p-code style such codes follow.
        _sub(loc, "administrative", vocabulary="A2", level="1", code=a1)
        _sub(loc, "administrative", vocabulary="A2", level="2", code=code)
        pt = _sub(loc, "point", srsName="http://www.opengis.net/def/crs/EPSG/0/4326")
        _sub(pt, "pos", f"{lat + rng.uniform(-0.05, 0.05):.4f} {lon + rng.uniform(-0.05, 0.05):.4f}")
        _sub(loc, "exactness", code="2")
        _sub(loc, "location-class", code="1")
    for i, a1 in enumerate(a.admin1_only):
        loc = _sub(act, "location", ref=f"{identifier}-R{i + 1}")
        _sub(loc, "location-reach", code="1")
        _narr(loc, "name", f"{SYN} {ADMIN1[a1][0]} region")
        _sub(loc, "administrative", vocabulary="A2", level="1", code=a1)
        _sub(loc, "exactness", code="2")
        _sub(loc, "location-class", code="1")
    if not p.tx_level_sectors:
        for code, pct in a.sectors:
            _sub(act, "sector", vocabulary="1", code=code, percentage=f"{pct:g}")
    _sub(act, "default-flow-type", code="10")
    _sub(act, "default-finance-type", code="110")
    _sub(act, "default-aid-type", code="C01", vocabulary="1")

    txs: list[dict[str, Any]] = []
    usd_total = a.budget_usd
    if a.incoming:
        per = usd_total / len(a.incoming)
        for j, (pref_in, pname_in, pact) in enumerate(a.incoming):
            txs.append(
                {
                    "type": "1",
                    "date": a.start + timedelta(days=10 + j),
                    "usd": per,
                    "provider": (pref_in, pname_in, pact),
                }
            )
    else:
        txs.append({"type": "2", "date": a.start, "usd": usd_total})
    years = max(1, min(4, (a.end - a.start).days // 365 + 1))
    paid = 0.0
    for k in range(years):
        d = min(a.start + timedelta(days=90 + 365 * k), a.end)
        if d > date(2025, 9, 30):
            break
        amount = usd_total * rng.uniform(0.15, 0.3)
        paid += amount
        tx: dict[str, Any] = {"type": "3", "date": d, "usd": amount}
        if a.outgoing:
            tx["receiver"] = a.outgoing[k % len(a.outgoing)]
        txs.append(tx)
        if p.role == "implementer":
            txs.append({"type": "4", "date": d + timedelta(days=30), "usd": amount * 0.8})
    for j, tx in enumerate(txs):
        tx_date: date = min(tx["date"], date(2025, 12, 31))
        t = _sub(act, "transaction", ref=f"{identifier}-T{j + 1}")
        _sub(t, "transaction-type", code=tx["type"])
        _sub(t, "transaction-date", iso_date=tx_date.isoformat())
        value = f"{_money(rng, p.currency, tx['usd']):.2f}"
        attrs = {"value_date": tx_date.isoformat()}
        if a.malformed == "non_numeric_value" and tx["type"] == "3":
            value = "12,5OO"
            a.malformed = "done"
        if a.malformed == "unknown_currency" and tx["type"] == "3":
            attrs["currency"] = "XXX"
            a.malformed = "done"
        _sub(t, "value", value, **attrs)
        _narr(
            t,
            "description",
            f"{SYN} " + {"1": "Incoming funds", "2": "Commitment", "3": "Disbursement", "4": "Expenditure"}[tx["type"]],
        )
        if "provider" in tx:
            pr, pn, pa = tx["provider"]
            kw = {"ref": pr}
            if pa:
                kw["provider_activity_id"] = pa
            _narr(t, "provider-org", pn, **kw)
        if "receiver" in tx:
            rr, rn, ra = tx["receiver"]
            _narr(t, "receiver-org", rn, ref=rr, receiver_activity_id=ra)
        if p.tx_level_sectors:
            # one DAC5 sector per transaction (as in real US government data); split activities alternate
            code = a.sectors[j % len(a.sectors)][0]
            _sub(t, "sector", vocabulary="1", code=code)
    return len(txs)


def _threew_rows(rng: random.Random) -> list[list[str]]:
    rows = []
    statuses = ["Ongoing", "Ongoing", "Completed", "Planned"]
    for i in range(THREEW_ROWS):
        org = _THREEW_ORGS[i % len(_THREEW_ORGS)]
        cluster, _ = _THREEW_CLUSTERS[rng.randrange(len(_THREEW_CLUSTERS))]
        a2 = rng.choice(sorted(ADMIN2))
        if cluster == "WASH" and a2 == PLANTED_GAP[0]:
            a2 = PLANTED_GAP_NEIGHBOUR
        name2, a1, _, _ = ADMIN2[a2]
        start = date(2022, 1, 1) + timedelta(days=rng.randrange(0, 3 * 365))
        end = start + timedelta(days=rng.randrange(90, 540))
        rows.append(
            [
                org,
                cluster,
                ADMIN1[a1][0],
                a1,
                name2,
                a2,
                f"{SYN} {cluster} response {i + 1} in {name2}",
                rng.choice(statuses),
                start.isoformat(),
                end.isoformat(),
                str(rng.randrange(200, 15000)),
                COUNTRY_CODE,
            ]
        )
    return rows


def _threew_csv(rng: random.Random) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "Organisation",
            "Sector",
            "Region",
            "Region code",
            "District",
            "District code",
            "Activity",
            "Status",
            "Start",
            "End",
            "People reached",
            "Country",
        ]
    )
    w.writerow(
        [
            "#org",
            "#sector",
            "#adm1+name",
            "#adm1+code",
            "#adm2+name",
            "#adm2+code",
            "#activity",
            "#status",
            "#date+start",
            "#date+end",
            "#reached",
            "#country+code",
        ]
    )
    for row in _threew_rows(random.Random(rng.random())):
        w.writerow(row)
    return buf.getvalue()


NEEDS_CLUSTERS = ["Health", "Water Sanitation Hygiene", "Food Security", "Protection", "Logistics"]


def write_needs(out_dir: Path, seed: int = 7) -> Path:
    """Write a SYNTHETIC needs table for Kaltara (admin2 x cluster, severity 1-5, people in need) as CSV.

    Columns carry an HXL row: #country+code, #adm1+code, #adm2+code, #adm2+name, #sector+cluster,
    #severity, #inneed+ind. One planted gap: Larkspur (XZ06-04) x Water Sanitation Hygiene, severity 5.
    """
    rng = random.Random(seed * 7919 + 1)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["country", "adm1", "adm2", "area_name", "sector", "severity", "pin"])
    w.writerow(
        ["#country+code", "#adm1+code", "#adm2+code", "#adm2+name", "#sector+cluster", "#severity", "#inneed+ind"]
    )
    for code in sorted(ADMIN2):
        name, a1, _, _ = ADMIN2[code]
        for cluster in NEEDS_CLUSTERS:
            sev, pin = rng.randint(1, 4), rng.randrange(1000, 30000, 100)
            if (code, cluster) == PLANTED_GAP:
                sev, pin = 5, 42000
            w.writerow([COUNTRY_CODE, a1, code, f"{name} (synthetic)", cluster, sev, pin])
    path = out_dir / "kaltara-needs.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return path
