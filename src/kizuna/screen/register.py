"""The risk register: each rule that fired with the facts behind it, its significance, the category.

Per UNDP SESP: each risk has impact I and likelihood L (1-5), significance from the matrix over
I x L (Q3), and the project's category is the highest significance among its risks (Q4). Rules whose
trigger could not be decided (unknown facts) are listed as information gaps with the facts missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kizuna import i18n
from kizuna.i18n import N_, Said
from kizuna.screen.facts import Context, compute_facts
from kizuna.screen.proposal import Proposal
from kizuna.screen.rules import CATEGORIES, Catalogue, Rule, Shown, shown, worst

# What each category asks for next (UNDP SESP Q6 / World Bank ESF practice, paraphrased).
NEXT_STEPS = {
    "Low": N_("No further assessment; keep the screening on file and re-screen if the context changes."),
    "Moderate": N_("Targeted assessment of the risks listed and standard mitigation in the project design."),
    "Substantial": N_("Targeted assessment (conflict analysis, ESMP) before approval; mitigations as conditions"),
    "High": N_(
        "Full assessment (ESIA/SESA, conflict analysis) and management plans before funding; "
        "consider redesign or not funding."
    ),
}
# A register with unanswered questions is never a clean result: a Low category only says that no rule
# fired on the facts that are known.
INCOMPLETE = {
    "Low": N_(
        "Information gaps: {n} questions unanswered; assessment incomplete. Answer them and screen again "
        "before deciding."
    ),
    "Moderate": N_(
        "Information gaps: {n} questions unanswered; assessment incomplete. Meanwhile: targeted assessment "
        "of the risks listed and standard mitigation in the project design."
    ),
    "Substantial": N_(
        "Information gaps: {n} questions unanswered; assessment incomplete. Meanwhile: targeted assessment "
        "(conflict analysis, ESMP) before approval; mitigations as conditions"
    ),
    "High": N_(
        "Information gaps: {n} questions unanswered; assessment incomplete. Meanwhile: full assessment "
        "(ESIA/SESA, conflict analysis) and management plans before funding; consider redesign or not funding."
    ),
}


def next_steps(category: str, n_gaps: int) -> str:
    """What the category asks for next; with information gaps, says the assessment is incomplete (a
    :class:`kizuna.i18n.Said`: English as a string, shown in the reader's language)."""
    if n_gaps == 0:
        return Said(NEXT_STEPS[category])
    return Said(INCOMPLETE[category], n=n_gaps)


@dataclass
class Risk:
    rule_id: str
    family: str
    question: str
    impact: int
    likelihood: int
    score: int
    significance: str
    facts: dict[str, Any]
    adjustments: list[str]
    source: str
    mitigation: str
    translations: dict[str, str] = field(default_factory=dict)  # the rule's question_ja, mitigation_ja

    def text(self, name: str) -> Shown:
        """``question`` or ``mitigation`` in the reader's language (English when the rule has none)."""
        return shown(name, getattr(self, name), self.translations, self.rule_id)

    def to_dict(self) -> dict[str, Any]:
        return _flat(self.__dict__)


@dataclass
class Gap:
    rule_id: str
    question: str
    unknown: list[str]
    translations: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> Shown:
        """The question in the reader's language (English when the rule has none)."""
        return shown(name, getattr(self, name), self.translations, self.rule_id)

    def to_dict(self) -> dict[str, Any]:
        return _flat(self.__dict__)


def _flat(fields: dict[str, Any]) -> dict[str, Any]:
    """A risk or gap as JSON: the translations beside the English (``question``, ``question_ja``, ...)."""
    out = {k: v for k, v in fields.items() if k != "translations"}
    out.update(fields.get("translations") or {})
    return out


@dataclass
class Register:
    proposal_id: str
    title: str | None
    project_type: str
    as_of: date
    category: str
    risks: list[Risk]
    gaps: list[Gap]
    facts: dict[str, Any]
    catalogue: str
    catalogue_version: str
    catalogue_sha256: str
    next_steps: str
    layers: dict[str, Any] = field(default_factory=dict)
    # what the map draws (kizuna.screen.map_layers.build_map), stored with the register; not in to_dict
    map_layers: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def complete(self) -> bool:
        """Every rule could be decided (no information gap)."""
        return not self.gaps

    @property
    def status(self) -> str:
        """``Low`` ... ``High``, with ``(assessment incomplete)`` when questions are unanswered."""
        return self.category if self.complete else f"{self.category} (assessment incomplete)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "proposal_id": self.proposal_id,
            "title": self.title,
            "project_type": self.project_type,
            "as_of": self.as_of.isoformat(),
            "category": self.category,
            "complete": self.complete,
            "next_steps": str(self.next_steps),
            "risks": [r.to_dict() for r in self.risks],
            "gaps": [g.to_dict() for g in self.gaps],
            "facts": self.facts,
            "catalogue": self.catalogue,
            "catalogue_version": self.catalogue_version,
            "catalogue_sha256": self.catalogue_sha256,
            "layers": self.layers,
        }

    def risk(self, rule_id: str) -> Risk | None:
        return next((r for r in self.risks if r.rule_id == rule_id), None)


def _clamp(x: int) -> int:
    return max(1, min(5, x))


def evaluate_rule(rule: Rule, facts: dict[str, Any], cat: Catalogue) -> Risk | Gap | None:
    """A fired rule as a :class:`Risk`, an undecidable one as a :class:`Gap`, else None."""
    verdict = rule.when.evaluate(facts)
    if verdict is None:
        unknown = [n for n in rule.when.names if facts.get(n) is None]
        asked = {k: v for k, v in rule.translations.items() if k.startswith("question_")}
        return Gap(rule.id, rule.question, unknown, asked)
    if not verdict:
        return None
    impact, likelihood = rule.impact, rule.likelihood
    applied: list[str] = []
    for a in rule.adjust:
        if a.when.evaluate(facts):
            i0, l0 = impact, likelihood
            if a.impact_at_least is not None:
                impact = max(impact, a.impact_at_least)
            if a.likelihood_at_least is not None:
                likelihood = max(likelihood, a.likelihood_at_least)
            impact = _clamp(impact + a.add_impact)
            likelihood = _clamp(likelihood + a.add_likelihood)
            applied.append(f"{a.when.text}: I {i0}->{impact}, L {l0}->{likelihood}")
    shown = list(dict.fromkeys([*rule.when.names, *rule.evidence]))
    return Risk(
        rule_id=rule.id,
        family=rule.family,
        question=rule.question,
        impact=impact,
        likelihood=likelihood,
        score=impact * likelihood,
        significance=cat.matrix.category(impact, likelihood),
        facts={k: facts.get(k) for k in shown},
        adjustments=applied,
        source=rule.source,
        mitigation=rule.mitigation,
        translations=dict(rule.translations),
    )


def screen_proposal(
    p: Proposal, ctx: Context, cat: Catalogue, as_of: date, layers: dict[str, Any] | None = None
) -> Register:
    """Screen one proposal: compute its facts, evaluate every rule, rank risks, set the category."""
    facts = compute_facts(p, ctx, as_of, cat)
    risks: list[Risk] = []
    gaps: list[Gap] = []
    for rule in cat.rules:
        out = evaluate_rule(rule, facts, cat)
        if isinstance(out, Risk):
            risks.append(out)
        elif isinstance(out, Gap):
            gaps.append(out)
    risks.sort(key=lambda r: (-CATEGORIES.index(r.significance), -r.score, r.rule_id))
    category = worst([r.significance for r in risks])
    return Register(
        proposal_id=p.id,
        title=p.title,
        project_type=p.project_type,
        as_of=as_of,
        category=category,
        risks=risks,
        gaps=gaps,
        facts=facts,
        catalogue=cat.name,
        catalogue_version=cat.version,
        catalogue_sha256=cat.sha256,
        next_steps=next_steps(category, len(gaps)),
        layers=dict(layers or {}),
    )


def screen_many(
    proposals: list[Proposal], ctx: Context, cat: Catalogue, as_of: date, layers: dict[str, Any] | None = None
) -> list[Register]:
    """Screen a batch against the same context (indexes built once)."""
    return [screen_proposal(p, ctx, cat, as_of, layers) for p in proposals]


# the "why" of a register where no rule fired (the summary's rows otherwise list the facts, which are data)
NO_RULE_FIRED = N_("no rule fired")
NO_RULE_FIRED_GAPS = N_("no rule fired on the known facts; {n} questions unanswered: assessment incomplete")


def summary_rows(registers: list[Register]) -> list[dict[str, Any]]:
    """One row per fired risk across registers (for the terminal and CSV); the words in the reader's
    language (:func:`kizuna.i18n.current`), the facts (``k=v; ...``) as they are."""
    rows: list[dict[str, Any]] = []
    for reg in registers:
        if not reg.risks:
            why = (
                i18n.gettext(NO_RULE_FIRED)
                if reg.complete
                else i18n.localise(NO_RULE_FIRED_GAPS, {"n": i18n.number(len(reg.gaps))})
            )
            rows.append(
                {
                    "proposal": reg.proposal_id,
                    "category": reg.category,
                    "rule": "",
                    "I": None,
                    "L": None,
                    "significance": "",
                    "why": why,
                }
            )
        for r in reg.risks:
            why = "; ".join(f"{k}={short_value(v)}" for k, v in r.facts.items() if v not in (None, [], ""))
            rows.append(
                {
                    "proposal": reg.proposal_id,
                    "category": reg.category,
                    "rule": r.rule_id,
                    "I": r.impact,
                    "L": r.likelihood,
                    "significance": r.significance,
                    "why": why,
                }
            )
    return rows


MORE = N_(" (+{n} more)")


def short_value(v: Any) -> str:
    """A fact's value, short, for a summary cell (lists: the first four, then how many more)."""
    if isinstance(v, list):
        # no square brackets: Rich would read "[x]" in a terminal cell as markup and drop it
        more = i18n.localise(MORE, {"n": i18n.number(len(v) - 4)}) if len(v) > 4 else ""
        return " | ".join(str(x) for x in v[:4]) + more
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)
