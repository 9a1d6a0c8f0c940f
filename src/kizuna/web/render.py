"""Jinja2 rendering of the pages (autoescaped), shared by pages and error responses."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

NAV = [
    ("/", "Overview"),
    ("/presence", "Who does what where"),
    ("/overlaps", "Overlaps"),
    ("/gaps", "Gaps"),
    ("/division", "Division of labour"),
    ("/vital-core", "Vital core"),
    ("/screening", "Screening"),
    ("/sources", "Sources"),
    ("/api", "API"),
]


def _number(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.3g}" if abs(v) < 1 else f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


HEADINGS = {
    "publisher_name": "Publisher",
    "publisher_ref": "Publisher ref",
    "adm1": "Area",
    "adm2": "District",
    "iati_identifier": "IATI identifier",
    "sha256": "SHA-256",
    "activity_uid": "Activity",
}


def heading(column: str) -> str:
    """A column name as a table heading: ``committed_usd`` -> ``Committed (USD)``."""
    if column in HEADINGS:
        return HEADINGS[column]
    text = column.replace("_usd", " (USD)").replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("kizuna.web", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = _number
    env.filters["heading"] = heading
    env.globals["nav"] = NAV
    return env


def render_page(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(**context)
