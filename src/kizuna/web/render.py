"""Jinja2 rendering of the pages (autoescaped, with the catalogue), shared by pages and error responses."""

from __future__ import annotations

from typing import Any

from kizuna.i18n import N_
from kizuna.i18n.jinja import environment
from kizuna.web.shared_context import account

NAV = [
    ("/", N_("Overview")),
    ("/presence", N_("Who does what where")),
    ("/overlaps", N_("Overlaps")),
    ("/gaps", N_("Gaps")),
    ("/division", N_("Division of labour")),
    ("/vital-core", N_("Vital core")),
    ("/screening", N_("Screening")),
    # track's pages (issue 14) come here: see track_nav()
    ("/sources", N_("Sources")),
    ("/api", N_("API")),
]


def track_nav() -> None:
    """Put track's pages (results, DDR, training) into :data:`NAV` before Sources, once."""
    from kizuna.web import track_ddr, track_results, track_training

    at = [href for href, _ in NAV].index("/sources")
    for part in (track_results, track_ddr, track_training):
        for entry in part.NAV:
            if entry not in NAV:
                NAV.insert(at, entry)
                at += 1


def render_page(name: str, context: dict[str, Any]) -> str:
    """Render template ``name`` in the language of the moment (see :mod:`kizuna.i18n`)."""
    env = environment("kizuna.web")
    track_nav()
    env.globals["nav"] = NAV
    env.globals["account"] = account  # shared mode: who is logged in (None otherwise)
    return env.get_template(name).render(**context)
