"""Two languages, one catalogue: English (the source language) and Japanese.

Every string a person reads is an English message id passed through :func:`_` (or marked with
:func:`N_` where it is defined before a language is known, and translated where it is shown).
Japanese translations live in gettext PO files under ``kizuna/i18n/ja/`` — one file per part of the
product, so parts can be translated and reviewed separately — and are read with Babel's PO reader on
first use. English needs no catalogue: the message id is the English text.

The language of the moment is a context variable, so one process serves both languages at once
(each web request and each CLI run sets its own). Terms follow ``shared/reference/glossary-ja.md``.

Numbers, percentages, money and dates are formatted per locale with Babel (CLDR data), never with
Python format strings, so 1,234.5 reads ``1,234.5`` in both and USD 41.8 billion reads ``$41.8B`` in
English and ``$418億`` in Japanese.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGUAGES: tuple[str, ...] = ("en", "ja")
DEFAULT = "en"
LANGUAGE_NAMES = {"en": "English", "ja": "日本語"}  # each in its own language, as a switch shows them
CATALOGUE_DIR = Path(__file__).parent

_current: ContextVar[str] = ContextVar("kizuna_language", default=DEFAULT)


def normalise(value: str | None) -> str | None:
    """A supported language code from a tag such as ``ja-JP`` or ``EN_us``; ``None`` if unsupported."""
    if not value:
        return None
    tag = value.strip().replace("_", "-").lower().split("-")[0]
    return tag if tag in LANGUAGES else None


def negotiate(accept_language: str | None) -> str | None:
    """The best supported language in an HTTP ``Accept-Language`` header (RFC 9110 §12.5.4), by q-value.

    Returns ``None`` when the header names none of ours, so the caller can fall back.
    """
    if not accept_language:
        return None
    best: tuple[float, int, str] | None = None
    for i, part in enumerate(accept_language.split(",")):
        bits = part.strip().split(";")
        lang = normalise(bits[0])
        q = 1.0
        for b in bits[1:]:
            b = b.strip()
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        if lang and q > 0 and (best is None or (q, -i) > (best[0], best[1])):
            best = (q, -i, lang)
    return best[2] if best else None


def from_environment() -> str:
    """The CLI's language when ``--lang`` is not given: ``KIZUNA_LANG``, else English."""
    return normalise(os.environ.get("KIZUNA_LANG")) or DEFAULT


def current() -> str:
    """The language of the moment (``en`` or ``ja``)."""
    return _current.get()


def set_language(lang: str | None) -> None:
    """Set the language for the rest of this context (a CLI run, a web request)."""
    _current.set(normalise(lang) or DEFAULT)


@contextmanager
def use(lang: str | None) -> Iterator[str]:
    """Within the block, messages and formats are in ``lang``."""
    token = _current.set(normalise(lang) or DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> dict[str, tuple[str, ...]]:
    """Message id -> translations (one per plural form) for ``lang``, from every PO file of that language.

    Fuzzy or empty entries are left out, so an untranslated message shows in English rather than blank.
    """
    from babel.messages.pofile import read_po

    out: dict[str, tuple[str, ...]] = {}
    folder = CATALOGUE_DIR / lang
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as fh:
            cat = read_po(fh, locale=lang)
        for m in cat:
            if not m.id or m.fuzzy:
                continue
            msgid = m.id[0] if isinstance(m.id, tuple | list) else m.id
            strs = tuple(m.string) if isinstance(m.string, tuple | list) else (m.string,)
            if all(strs):
                out[msgid] = tuple(str(x) for x in strs)
    return out


class Said(str):
    """An English sentence that remembers its catalogue template and parameters: it is a plain ``str``
    (logs, JSON, tests read the English), and :func:`gettext` puts it into the current language. For
    analyses whose notes are lists of strings (overlap notes)."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Said:
        obj = super().__new__(cls, template.format(**params))
        obj.template, obj.params = template, params
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (_said, (self.template, self.params))


def _said(template: str, params: dict[str, Any]) -> Said:
    return Said(template, **params)


def gettext(message: str) -> str:
    """``message`` (an English message id, or a :class:`Said`) in the current language."""
    lang = _current.get()
    if isinstance(message, Said):
        return str.__str__(message) if lang == DEFAULT else localise(message.template, message.params)
    if lang == DEFAULT or not message:
        return message
    found = catalogue(lang).get(message)
    return found[0] if found else message


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message for ``n`` in the current language (Japanese has one form)."""
    lang = _current.get()
    if lang == DEFAULT:
        return singular if n == 1 else plural
    found = catalogue(lang).get(singular)
    return found[0] if found else (singular if n == 1 else plural)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it now (translated where it is shown)."""
    return message


def translate(message: str | None) -> str | None:
    """:func:`gettext` that passes ``None`` through: for labels that may be absent."""
    return gettext(message) if message else message


# --- locale formats (Babel / CLDR) --------------------------------------------------------------


@lru_cache(maxsize=16)
def _babel_locale(lang: str) -> Any:
    """Babel's Locale for a language tag, parsed once: given a tag string, every Babel call parses it
    again, which cost more than the formatting itself on a page of numbers and dates."""
    from babel import Locale

    return Locale.parse(lang)


def _locale() -> Any:
    return _babel_locale(_current.get())


def number(value: float | int | None, digits: int | None = None) -> str:
    """A number in the current locale. Integers (and whole floats: ``196.0`` is ``196``) with grouping;
    other floats with ``digits`` decimals, or — when ``digits`` is None — whole above 1,000, two decimals
    above 1 and up to three decimals below."""
    from babel.numbers import format_decimal

    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    lang = _locale()
    if isinstance(value, int):
        return format_decimal(value, locale=lang)
    if value != value:  # NaN
        return ""
    if digits is None and value.is_integer():
        digits = 0
    if digits is None:
        a = abs(value)
        digits = 0 if a >= 1000 else 2 if a >= 1 else 3
        if a < 1 and a != 0:
            return format_decimal(value, format="#,##0.###", locale=lang)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=lang)


def percent(fraction: float | None, digits: int = 0) -> str:
    """A fraction (0.333) as a percentage in the current locale (``33%``)."""
    from babel.numbers import format_percent

    if fraction is None or fraction != fraction:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(fraction, format=pattern, locale=_locale())


def money(usd: float | None, compact: bool = False, currency: str = "USD") -> str:
    """An amount of money in the current locale: ``$1,234,567`` or, compact, ``$1.2M`` / ``$123万``."""
    from babel.numbers import format_compact_currency, format_currency

    if usd is None or usd != usd:
        return ""
    lang = _locale()
    if compact and abs(usd) >= 10_000:
        return format_compact_currency(usd, currency, locale=lang, fraction_digits=1)
    return format_currency(usd, currency, format="¤#,##0", locale=lang, currency_digits=False)


def day(value: date | datetime | str | None) -> str:
    """A date in the current locale's medium form (``1 Dec 2026`` / ``2026/12/01``); ISO strings accepted."""
    from babel.dates import format_date

    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format="medium", locale=_locale())


def moment(value: datetime | str | None) -> str:
    """A time stamp to the minute (no microseconds) in the current locale."""
    from babel.dates import format_datetime

    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    return format_datetime(value, format="yyyy-MM-dd HH:mm", locale=_locale())


def cell(value: Any) -> str:
    """Any table cell as text in the current locale: numbers by :func:`number`, dates by :func:`day`,
    lists as comma-separated text, ``None`` as empty."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return number(value)
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, list | tuple):
        return ("、" if _current.get() == "ja" else ", ").join(cell(v) for v in value)
    return str(value)


# --- statements of analyses (notes, limits) --------------------------------------------------------


def note(code: str, template: str, *, words: tuple[str, ...] = (), **params: Any) -> dict[str, Any]:
    """A statement an analysis makes (a note, a limit of the data): ``{code, message, template, params}``.

    ``message`` is the English text (for logs, JSON and tests); ``template`` is its catalogue id and
    ``params`` its changing parts, so every surface can show it in its reader's language with
    :func:`note_text`. Mark the template with ``N_`` where it is written. ``words``: names of params that
    are themselves catalogue ids (e.g. a measure's name), translated when shown; other params are data.
    """
    message = template.format(**params) if params else template
    out = {"code": code, "message": message, "template": template, "params": params}
    if words:
        out["words"] = list(words)
    return out


def note_text(statement: dict[str, Any]) -> str:
    """A statement made by :func:`note` (or a plain ``{code, message}``) in the current language."""
    template = statement.get("template") or statement.get("message") or ""
    params = statement.get("params")
    if params and statement.get("words"):
        params = {k: gettext(v) if k in statement["words"] and isinstance(v, str) else v for k, v in params.items()}
    return localise(str(template), params)


def localise(text: str, params: dict[str, Any] | None = None) -> str:
    """Message id ``text`` in the current language, its ``{placeholders}`` filled from ``params``
    (a translation whose placeholders do not match falls back to the English text)."""
    out = gettext(text)
    if params:
        try:
            return out.format(**params)
        except (KeyError, IndexError, ValueError):
            return text.format(**params)
    return out
