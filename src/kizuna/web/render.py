"""Jinja2 rendering of the pages (autoescaped, with the catalogue), shared by pages and error responses."""

from __future__ import annotations

from typing import Any

from kizuna.i18n import N_
from kizuna.i18n.jinja import environment

NAV = [
    ("/", N_("Overview")),
    ("/presence", N_("Who does what where")),
    ("/overlaps", N_("Overlaps")),
    ("/gaps", N_("Gaps")),
    ("/division", N_("Division of labour")),
    ("/vital-core", N_("Vital core")),
    ("/screening", N_("Screening")),
    ("/sources", N_("Sources")),
    ("/api", N_("API")),
]


def render_page(name: str, context: dict[str, Any]) -> str:
    """Render template ``name`` in the language of the moment (see :mod:`kizuna.i18n`)."""
    env = environment("kizuna.web")
    env.globals["nav"] = NAV
    return env.get_template(name).render(**context)
