"""Register outputs: JSON, a self-contained HTML page (no network, no script) and XLSX.

The page is rendered from ``report/templates/register.html`` in the language of the moment (strings in
``i18n/ja/reports.po``) with the reports' shared A4 print stylesheet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kizuna import i18n
from kizuna.i18n import N_
from kizuna.output import write_xlsx
from kizuna.report import CSP_NO_SCRIPT, environment
from kizuna.screen.register import Register, short_value

# the SESP categories and significance levels, shown in the reader's language (the data keep the English key)
CATEGORY_LABELS = {
    "Low": N_("Low"),
    "Moderate": N_("Moderate"),
    "Substantial": N_("Substantial"),
    "High": N_("High"),
}


# what each sheet of the register's XLSX holds (shown on its Notes sheet); sheet names are message ids
SHEET_ABOUT = {
    N_("summary"): N_("One row per proposal: its category, the number of risks and information gaps, next steps."),
    N_("risks"): N_("Each rule that fired: impact, likelihood, significance, the facts behind it, mitigation, source."),
    N_("gaps"): N_("Rules that could not be decided, with the facts that are unknown."),
    N_("facts"): N_("Every fact computed for each proposal (JSON values)."),
}


def category_label(value: str | None) -> str:
    """A category or significance level (``Low`` ... ``High``) in the reader's language."""
    if not value:
        return ""
    return i18n.gettext(CATEGORY_LABELS.get(value, value))


def registers_json(registers: list[Register]) -> str:
    return json.dumps([r.to_dict() for r in registers], indent=2, default=str, ensure_ascii=False) + "\n"


def registers_html(registers: list[Register]) -> str:
    """One self-contained page (inline CSS, no script, no external resource), all text escaped."""
    cat = f"{registers[0].catalogue} {registers[0].catalogue_version}" if registers else ""
    return (
        environment()
        .get_template("register.html")
        .render(
            registers=registers,
            csp=CSP_NO_SCRIPT,
            catalogue=cat,
            as_of=i18n.day(registers[0].as_of) if registers else "",
            short=short_value,
            category=category_label,
        )
    )


def registers_sheets(registers: list[Register]) -> dict[str, list[dict[str, Any]]]:
    """The register's XLSX sheets; questions and mitigations in the reader's language where the catalogue
    has it (the JSON keeps the English with its ``question_ja`` / ``mitigation_ja`` beside it)."""
    summary, risks, gaps, facts = [], [], [], []
    for reg in registers:
        summary.append(
            {
                "proposal_id": reg.proposal_id,
                "title": reg.title,
                "project_type": reg.project_type,
                "as_of": reg.as_of,
                "category": reg.category,
                "risks": len(reg.risks),
                "gaps": len(reg.gaps),
                "next_steps": reg.next_steps,
                "catalogue": f"{reg.catalogue} {reg.catalogue_version}",
            }
        )
        for r in reg.risks:
            risks.append(
                {
                    "proposal_id": reg.proposal_id,
                    "rule_id": r.rule_id,
                    "family": r.family,
                    "question": r.text("question").text,
                    "impact": r.impact,
                    "likelihood": r.likelihood,
                    "score": r.score,
                    "significance": r.significance,
                    "facts": "; ".join(f"{k}={short_value(v)}" for k, v in r.facts.items() if v is not None),
                    "mitigation": r.text("mitigation").text,
                    "source": r.source,
                }
            )
        for g in reg.gaps:
            gaps.append(
                {
                    "proposal_id": reg.proposal_id,
                    "rule_id": g.rule_id,
                    "question": g.text("question").text,
                    "unknown": ", ".join(g.unknown),
                }
            )
        for k, v in reg.facts.items():
            facts.append(
                {
                    "proposal_id": reg.proposal_id,
                    "fact": k,
                    "value": json.dumps(v, default=str, ensure_ascii=False),
                }
            )
    return {"summary": summary, "risks": risks, "gaps": gaps, "facts": facts}


def write_reports(registers: list[Register], out_dir: Path, stem: str = "register") -> dict[str, Path]:
    """Write ``<stem>.json``, ``<stem>.html`` and ``<stem>.xlsx`` into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / f"{stem}.json",
        "html": out_dir / f"{stem}.html",
        "xlsx": out_dir / f"{stem}.xlsx",
    }
    paths["json"].write_text(registers_json(registers), encoding="utf-8")
    paths["html"].write_text(registers_html(registers), encoding="utf-8")
    write_xlsx(
        registers_sheets(registers),  # type: ignore[arg-type]
        paths["xlsx"],
        about=SHEET_ABOUT,
        sources=[i18n.gettext("The proposal, the rule catalogue and the layers named on the summary sheet.")],
    )
    return paths
