"""The one Jinja environment factory for pages and reports, with the catalogue installed.

Templates write ``{{ _("Download CSV") }}`` (extracted by Babel's Jinja extractor) and format values
with the locale filters ``number``, ``percent``, ``money``, ``day``, ``moment`` and ``cell``. The
gettext callables read the language of the moment at render time, so one cached environment renders
both languages.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape

from kizuna import i18n
from kizuna.i18n.columns import label


@lru_cache(maxsize=8)
def environment(package: str, folder: str = "templates") -> Environment:
    """An autoescaping environment loading ``folder`` of ``package``, with gettext and locale filters."""
    env = Environment(
        loader=PackageLoader(package, folder),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda m: i18n.gettext(m), lambda s, p, n: i18n.ngettext(s, p, n), newstyle=True
    )
    env.filters.update(
        cell=i18n.cell,
        number=i18n.number,
        percent=i18n.percent,
        money=i18n.money,
        day=i18n.day,
        moment=i18n.moment,
        heading=label,
        t=i18n.translate,
        note=i18n.note_text,
    )
    env.globals["current_language"] = i18n.current
    env.globals["language_names"] = i18n.LANGUAGE_NAMES
    return env
