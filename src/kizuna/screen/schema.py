"""The proposal format as data: every field, the facts it feeds, and whether its text is published.

A field of the proposal format must either feed a fact that some rule of the catalogue reads (in its
trigger, an adjustment or its evidence) or be documented here as informational, with the reason. The
same holds for each value of an enumerated field (e.g. ``counterpart.role = "beneficiary_selection"``):
a rule reads it as a string in a trigger, or through the fact it sets, or it is listed as neutral.
:func:`unread_fields` and :func:`unread_values` walk this table against a catalogue; a test fails on
anything no rule reads (docs/screening-proposal.md lists the same table for people).

``published``: the field's free text may appear on the web pages and the API as written (names of
projects, sites, organisations, places). Free text that may carry personal detail (who was consulted,
how beneficiaries are chosen) is never copied into a register: a consultation's community is matched
against the communities layer, and only the layer's own (public) names enter the facts.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field

from kizuna.screen.proposal import COUNTERPART_FLAGS, COUNTERPART_ROLES, LAND_ACQUISITION, PARTNER_FLAGS, SECURITY
from kizuna.screen.rules import Catalogue

SITE_FACTS = (
    "communities_near",
    "n_groups_near",
    "nearest_community_km",
    "consulted_share",
    "group_boundary_km",
    "events_buffer_12m",
    "events_area_12m",
    "other_activities_near",
)


@dataclass(frozen=True)
class FieldSpec:
    """One field of the proposal format (TOML/YAML path; the CSV column names are in proposal.CSV_COLUMNS)."""

    path: str
    facts: tuple[str, ...] = ()
    informational: str | None = None  # why no rule reads it
    free_text: bool = False
    published: bool = True  # free text served on pages and the API as written
    values: tuple[str, ...] = ()
    value_facts: dict[str, str] = field(default_factory=dict)  # value -> fact it makes true
    neutral: tuple[str, ...] = ()  # values no rule needs to read (the "nothing to see" answers)


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", informational="identifies the proposal", free_text=True),
    FieldSpec("title", informational="names the proposal", free_text=True),
    FieldSpec(
        "type",
        ("project_type", "scarce_resource", "construction", "labour_influx", "service_delivery", "security_sector"),
    ),
    FieldSpec("country", ("events_admin1_12m", "events_country_12m"), free_text=True),
    FieldSpec("sites[].name", informational="names the site on the map and in the register", free_text=True),
    FieldSpec("sites[].lat", SITE_FACTS),
    FieldSpec("sites[].lon", SITE_FACTS),
    FieldSpec("sites[].line", SITE_FACTS),
    FieldSpec("sites[].admin1", ("events_admin1_12m", "events_admin2_12m"), free_text=True),
    FieldSpec("sites[].admin2", ("events_admin2_12m",), free_text=True),
    FieldSpec("budget_usd", ("budget_usd", "budget_per_person_usd")),
    FieldSpec("partners[].name", ("partner_names", "other_activities_near"), free_text=True),
    FieldSpec("partners[].ref", ("other_activities_near",), free_text=True),
    FieldSpec(
        "partners[].flags",
        ("partner_flags",),
        values=PARTNER_FLAGS,
        value_facts={
            "party_to_conflict": "partner_party_to_conflict",
            "single_group": "partner_single_group",
            "abuses_documented": "partner_abuses",
        },
    ),
    FieldSpec("counterpart.name", ("counterpart_name",), free_text=True),
    FieldSpec(
        "counterpart.role",
        ("counterpart_role", "counterpart_involved", "counterpart_selects_beneficiaries"),
        values=COUNTERPART_ROLES,
        value_facts={"beneficiary_selection": "counterpart_selects_beneficiaries"},
        neutral=("approval",),
    ),
    FieldSpec(
        "counterpart.flags",
        ("counterpart_flags",),
        values=COUNTERPART_FLAGS,
        value_facts={
            "abuses_documented": "counterpart_abuses",
            "party_to_conflict": "counterpart_party_to_conflict",
            "sanctioned": "counterpart_sanctioned",
        },
    ),
    FieldSpec("land.acquisition", ("land_acquisition",), values=LAND_ACQUISITION, neutral=("none",)),
    FieldSpec("land.households_displaced", ("households_displaced", "people_displaced")),
    FieldSpec("land.people_displaced", ("people_displaced",)),
    FieldSpec("land.resettlement_plan", ("resettlement_plan",)),
    FieldSpec("land.disputed", ("land_disputed",)),
    FieldSpec("land.informal_users", ("informal_users",)),
    FieldSpec("land.vld_documented", ("vld_documented",)),
    FieldSpec("land.compensation_before_possession", ("compensation_before_possession",)),
    FieldSpec(
        "consultations[].community",
        ("consultations_n", "consulted_share", "unconsulted_communities"),
        free_text=True,
        published=False,
    ),
    FieldSpec(
        "consultations[].date",
        informational="kept with the proposal for the record; no rule judges when a consultation happened",
    ),
    FieldSpec("consultations[].women_included", ("women_consulted",)),
    FieldSpec("grievance_mechanism", ("grievance_mechanism",)),
    FieldSpec(
        "security",
        ("security", "armed_security"),
        values=SECURITY,
        value_facts={k: "armed_security" for k in ("armed_guards", "police", "military", "armed_escort")},
        neutral=("none", "community", "unarmed_guards"),
    ),
    FieldSpec(
        "beneficiaries.criteria",
        informational="for the reader of the proposal; single_group says what a rule needs to know",
        free_text=True,
        published=False,
    ),
    FieldSpec("beneficiaries.single_group", ("single_group_targeting",)),
    FieldSpec("safeguards.vetting", ("vetting",)),
    FieldSpec("safeguards.human_rights_component", ("human_rights_component",)),
    FieldSpec("safeguards.gbv_code_of_conduct", ("gbv_code_of_conduct",)),
    FieldSpec("safeguards.participant_data_shared", ("participant_data_shared",)),
    FieldSpec("safeguards.staff_single_group", ("staff_single_group",)),
    FieldSpec("safeguards.data_protection_plan", ("data_protection_plan",)),
    FieldSpec("start_date", ("days_to_election",)),
    FieldSpec("election_date", ("days_to_election",)),
)


def read_facts(cat: Catalogue) -> set[str]:
    """Every fact some rule of ``cat`` reads: in its trigger, an adjustment or its evidence."""
    out: set[str] = set()
    for r in cat.rules:
        out |= set(r.when.names) | set(r.evidence)
        for a in r.adjust:
            out |= set(a.when.names)
    return out


def rule_strings(cat: Catalogue) -> set[str]:
    """Every string constant in the catalogue's triggers and adjustments (the values rules compare to)."""
    out: set[str] = set()
    for r in cat.rules:
        for e in (r.when, *(a.when for a in r.adjust)):
            out |= {n.value for n in ast.walk(e.tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return out


def unread_fields(cat: Catalogue) -> list[str]:
    """Fields that feed no fact any rule reads and are not documented as informational."""
    facts = read_facts(cat)
    return [f.path for f in FIELDS if f.informational is None and not set(f.facts) & facts]


def unread_values(cat: Catalogue) -> list[str]:
    """``field = value`` pairs of enumerated fields that no rule reads (directly or through a fact)."""
    facts, strings = read_facts(cat), rule_strings(cat)
    out = []
    for f in FIELDS:
        for v in f.values:
            if v in f.neutral or v in strings or f.value_facts.get(v) in facts:
                continue
            out.append(f"{f.path} = {v!r}")
    return out


def unpublished_fields() -> list[str]:
    """Free-text fields whose text is kept out of registers, pages and the API."""
    return [f.path for f in FIELDS if f.free_text and not f.published]


# Facts that once held unpublished free text (registers stored before issue 13 kept the consulted
# communities as typed); never served on pages or the API, whatever a stored register holds.
UNPUBLISHED_FACTS = ("consulted_communities",)


def published_why(facts_json: str | None) -> str | None:
    """A stored risk's facts (JSON) without the :data:`UNPUBLISHED_FACTS`, for pages and the API."""
    if not facts_json:
        return facts_json
    try:
        facts = json.loads(facts_json)
    except ValueError:
        return None
    if not isinstance(facts, dict):
        return None
    return json.dumps({k: v for k, v in facts.items() if k not in UNPUBLISHED_FACTS}, ensure_ascii=False)
