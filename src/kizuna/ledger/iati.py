"""Streaming reader for IATI activity XML, versions 2.01–2.03 (and 1.0x, read as 2.0x).

It yields one :class:`Activity` per ``iati-activity`` and never builds the whole tree: lxml's
``iterparse`` hands over each finished activity, which is read and then cleared, so memory stays flat
as files grow. The parser resolves no entities, loads no DTD and touches no network; a file that
declares a DOCTYPE is refused before parsing (IATI files never need one, and it is where XML bombs and
external entities live).

Element and attribute names follow the IATI Activity Standard 2.03
(https://iatistandard.org/en/iati-standard/203/activity-standard/); unknown and extension elements
(e.g. ``usg:treasury-account``) are ignored. ``contact-info`` is never read: it holds personal data.

IATI 1.0x files (declared, or with no ``@version`` at all) are read with their 1.x codes turned into the
2.0x codes that replaced them (:data:`V1_CODES`, from the IATI 2.01 changelog and the 1.05 and 2.0x
codelists), with one ``iati.version_1`` warning. Amounts must be numbers as IATI writes them
(``xsd:decimal``): see :func:`parse_amount`.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree

from kizuna.errors import InputError, Where
from kizuna.i18n import N_, Said

SUPPORTED_VERSIONS = ("2.01", "2.02", "2.03")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PROLOG_SCAN_BYTES = 1 << 20

# IATI 1.0x codes and the 2.0x codes that replaced them. Transaction types, activity-date types and
# organisation roles: the IATI 2.01 changelog, "Codelist Changes" (IATI-Upgrades,
# en/upgrade-changelogs/integer-upgrade-to-2-01/2-01-changes.rst; its "Q3" is the 1.05 code QS).
# Sector vocabularies: by name, from the 1.05 Vocabulary codelist to the 2.0x SectorVocabulary
# codelist (the changelog's own table numbers them in list order, which contradicts the codelist it
# points to: DAC is 1 and DAC-3 is 2 there); ISO and WB have no 2.0x vocabulary and stay as written.
# Policy-marker vocabularies and budget types: the changelog, and the 1.05 BudgetType names.
V1_CODES: dict[str, dict[str, str]] = {
    "transaction-type": {
        "IF": "1", "C": "2", "D": "3", "E": "4", "IR": "5", "LR": "6", "R": "7", "QP": "8", "QS": "9", "CG": "10",
    },
    "activity-date": {"start-planned": "1", "start-actual": "2", "end-planned": "3", "end-actual": "4"},
    "role": {"funding": "1", "accountable": "2", "extending": "3", "implementing": "4"},
    "sector-vocabulary": {
        "DAC": "1", "DAC-3": "2", "COFOG": "3", "NACE": "4", "NTEE": "5", "ADT": "6", "RO": "99", "RO2": "98",
    },
    "policy-vocabulary": {"DAC": "1", "RO": "99"},
    "budget-type": {"original": "1", "revised": "2"},
    # ResultType by name (1.0x files that wrote the name instead of the code; the codes are unchanged)
    "result-type": {"OUTPUT": "1", "OUTCOME": "2", "IMPACT": "3", "OTHER": "9"},
}  # fmt: skip
TRANSACTION_TYPES = frozenset(str(i) for i in range(1, 14))  # the 2.0x TransactionType codelist

# Amounts are xsd:decimal (IATI 2.03, value element): an optional sign, digits, an optional point.
XSD_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
XSD_DECIMAL_RE2 = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"  # the same, for Arrow's RE2 engine
# Unambiguous forms that are not xsd:decimal: comma thousands separators with a decimal point or with
# at least two groups (a decimal comma occurs once, and never before a point), and an exponent.
GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?\Z")
EXPONENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+\Z")


# (element, seq, ord, lang, text, kind): one row of the ``narratives`` table (migrations/0007_narratives.sql)
Narrative = tuple[str, int, int, str | None, str, str | None]


@dataclass(slots=True)
class Transaction:
    seq: int
    ref: str | None
    type_code: str | None
    date: dt.date | None
    value: float | None
    currency: str | None
    value_date: dt.date | None
    provider_ref: str | None = None
    provider_name: str | None = None
    provider_activity_id: str | None = None
    receiver_ref: str | None = None
    receiver_name: str | None = None
    receiver_activity_id: str | None = None
    humanitarian: bool | None = None
    description: str | None = None
    sectors: list[tuple[str, str]] = field(default_factory=list)  # (vocabulary, code)
    countries: list[str] = field(default_factory=list)
    regions: list[tuple[str, str]] = field(default_factory=list)  # (code, vocabulary)


@dataclass(slots=True)
class Activity:
    """One activity as published, with the line it starts on. Values are typed; codes stay strings."""

    iati_identifier: str
    line: int
    publisher_ref: str | None = None
    publisher_name: str | None = None
    publisher_type: str | None = None
    title: str | None = None
    description: str | None = None
    status_code: str | None = None
    default_currency: str | None = None
    humanitarian: bool | None = None
    hierarchy: int | None = None
    scope_code: str | None = None
    dates: dict[str, date] = field(default_factory=dict)  # ActivityDateType code -> date
    last_updated: str | None = None
    participating_orgs: list[tuple[int, int | None, str | None, str | None, str | None, str | None]] = field(
        default_factory=list
    )  # (seq, role, ref, type, name, activity-id)
    countries: list[tuple[str, float | None]] = field(default_factory=list)
    regions: list[tuple[str, str, float | None]] = field(default_factory=list)  # (code, vocabulary, pct)
    sectors: list[tuple[str, str, float | None]] = field(default_factory=list)  # (vocabulary, code, pct)
    locations: list[dict[str, Any]] = field(default_factory=list)
    policy_markers: list[tuple[str | None, str | None, str | None]] = field(default_factory=list)
    tags: list[tuple[str | None, str | None, str | None]] = field(default_factory=list)
    budgets: list[
        tuple[int, str | None, str | None, date | None, date | None, float | None, str | None, date | None]
    ] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (code, message)
    # iati-activity/@xml:lang, else iati-activities/@xml:lang (lower case); None: not declared
    default_lang: str | None = None
    # Every narrative of the title, descriptions and organisation names, in every language:
    # (element, seq, ord, lang, text, kind) as the ``narratives`` table holds them (migration 0007)
    narratives: list[Narrative] = field(default_factory=list)


@dataclass(slots=True)
class FileHeader:
    version: str
    generated: str | None
    lang: str | None = None  # iati-activities/@xml:lang, lower case


def _text(el: etree._Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    t = el.text.strip()
    return t or None


def narrative(el: etree._Element | None, lang: str | None) -> str | None:
    """The narrative in the activity's language, else English, else one with no language, else the first."""
    if el is None:
        return None
    narrs = el.findall("narrative")
    if len(narrs) == 1:  # the common case, kept cheap
        return _text(narrs[0]) or _text(el)
    found: dict[str | None, str] = {}
    first: str | None = None
    for n in narrs:
        t = _text(n)
        if not t:
            continue
        if first is None:
            first = t
        found.setdefault(n.get(XML_LANG), t)
    if first is None:
        return _text(el)  # 1.x style: text directly in the element
    for key in (lang, "en", None):
        if key in found:
            return found[key]
    return first


def lang_code(raw: str | None) -> str | None:
    """An ``xml:lang`` value as stored: trimmed and lower case (BCP 47 tags are case-insensitive,
    RFC 5646 section 2.1.1); ``None`` when absent or blank."""
    if raw is None:
        return None
    return raw.strip().lower() or None


def narratives(el: etree._Element, default: str | None) -> list[tuple[str | None, str]]:
    """Every narrative of ``el`` that has text, in document order, as ``(language, text)``: the
    narrative's ``xml:lang``, else ``default`` (the activity's language, else the file's). With no
    narrative holding text, the element's own text (IATI 1.0x writes it there), in the element's
    ``xml:lang``, else ``default``."""
    out: list[tuple[str | None, str]] = []
    for n in el.iterchildren("narrative"):
        t = _text(n)
        if t:
            out.append((lang_code(n.get(XML_LANG)) or default, t))
    if not out:
        t = _text(el)
        if t:
            out.append((lang_code(el.get(XML_LANG)) or default, t))
    return out


def lang_rank(lang: str | None, ui: str | None, default: str | None) -> int:
    """Where a narrative in ``lang`` stands for a reader of language ``ui`` (lower is better): 0 the
    reader's language, 1 English, 2 the activity's default language, 3 any other or unknown. Languages
    compare by their primary subtag (``en-GB`` is English). The rule of docs/languages.md,
    "Multilingual data"; :func:`kizuna.ledger.queries.narrative_rank_sql` is the same rule in SQL."""
    p = lang.split("-", 1)[0] if lang else None
    if p is None:
        return 3
    if ui and p == ui.split("-", 1)[0]:
        return 0
    if p == "en":
        return 1
    if default and p == default.split("-", 1)[0]:
        return 2
    return 3


def pick_narrative(narrs: list[tuple[str | None, str]], ui: str | None, default: str | None) -> str | None:
    """The text a reader of language ``ui`` sees (:func:`lang_rank`; ties to the first in document
    order); ``None`` for no narrative."""
    best: tuple[int, str] | None = None
    for lang, text in narrs:
        r = lang_rank(lang, ui, default)
        if best is None or r < best[0]:
            best = (r, text)
            if r == 0:
                break
    return best[1] if best else None


def parse_amount(raw: str) -> tuple[float | None, str | None]:
    """An IATI amount (value text, percentage) and what is wrong with it: ``(number, None)`` for an
    ``xsd:decimal`` (what IATI 2.03 requires of ``value`` and ``@percentage``); ``(number, "not_decimal")``
    for an unambiguous other form (``1,000.50``, ``1,000,000``, ``1.5E+07``); ``(None, reason)`` for the
    rest. Refused: a single comma group (``1,000`` is a thousand to some and one to others, ``1250,50``
    is a decimal comma to some and a malformed thousands group to others), NaN and Infinity (not
    amounts: one would make every total it enters NaN), spaces, underscores, currency signs.
    ``raw`` is already stripped of surrounding white space."""
    if XSD_DECIMAL.match(raw):
        return float(raw), None
    if (GROUPED.match(raw) and ("." in raw or raw.count(",") > 1)) or EXPONENT.match(raw):
        value = float(raw.replace(",", ""))
        return (value, "not_decimal") if math.isfinite(value) else (None, "too_large")
    low = raw.lower().lstrip("+-")
    if low in ("nan", "inf", "infinity"):
        return None, "nan"
    return None, "comma" if "," in raw else "other"


AMOUNT_PROBLEMS = {
    "nan": "; NaN and Infinity are not amounts",
    "comma": "; a comma is ambiguous here (IATI amounts use a point for decimals and no thousands separators)",
    "too_large": "; it is too large to be an amount",
    "other": "",
}

# Warnings about result values (IATI 2.03 baseline/@value, target/@value, actual/@value), one message per
# element so that each reads whole in every language.
RESULT_NOT_A_NUMBER = {
    "baseline": N_("baseline value {value!r} (line {line}) is not a number; kept as text, with no numeric value"),
    "target": N_("target value {value!r} (line {line}) is not a number; kept as text, with no numeric value"),
    "actual": N_("actual value {value!r} (line {line}) is not a number; kept as text, with no numeric value"),
}
RESULT_NOT_DECIMAL = {
    "baseline": N_("baseline value {value!r} (line {line}) is not written as an xsd:decimal; read as {num}"),
    "target": N_("target value {value!r} (line {line}) is not written as an xsd:decimal; read as {num}"),
    "actual": N_("actual value {value!r} (line {line}) is not written as an xsd:decimal; read as {num}"),
}


def _pct(raw: str | None) -> float | None:
    """A percentage: an amount as :func:`parse_amount` reads it, else ``None`` (counted as 0 where shares
    are normalised)."""
    if raw is None or not raw.strip():
        return None
    return parse_amount(raw.strip())[0]


def parse_date(raw: str | None) -> date | None:
    """An ISO date (``YYYY-MM-DD``, any time part ignored); ``None`` when absent or malformed."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        return None


def _bool(raw: str | None) -> bool | None:
    if raw is None:
        return None
    raw = raw.strip().lower()
    if raw in ("1", "true"):
        return True
    if raw in ("0", "false"):
        return False
    return None


def check_prolog(path: Path) -> None:
    """Refuse a file that declares a DOCTYPE (entity definitions, external DTDs) before any parsing."""
    with open(path, "rb") as fh:
        head = fh.read(PROLOG_SCAN_BYTES)
    # Skip the XML declaration, comments and processing instructions up to the root element.
    text = head.decode("latin-1")
    i = 0
    n = len(text)
    while i < n:
        j = text.find("<", i)
        if j < 0:
            return
        if text.startswith("<!--", j):
            k = text.find("-->", j + 4)
            if k < 0:
                return
            i = k + 3
        elif text.startswith("<?", j):
            k = text.find("?>", j + 2)
            if k < 0:
                return
            i = k + 2
        elif text.startswith("<!", j):
            line = text.count("\n", 0, j) + 1
            raise InputError(
                "xml.doctype",
                N_("the file declares a DOCTYPE; entities and DTDs are refused (XML bomb / external entity guard)"),
                Where(file=str(path), line=line),
                hint=N_("IATI files need no DOCTYPE: remove it, or check where this file came from"),
            )
        else:
            return  # the root element: the prolog is clean


def _parser_kwargs() -> dict[str, Any]:
    return {
        "resolve_entities": False,
        "load_dtd": False,
        "dtd_validation": False,
        "no_network": True,
        "huge_tree": False,
        "remove_comments": True,
        "remove_pis": True,
    }


class IatiReader:
    """Iterate over the activities of one IATI file: ``for act in IatiReader(path): ...``.

    ``header`` is set once the root element is read. Raises :class:`InputError` naming the file and
    line for malformed XML (including truncation), DOCTYPEs and non-IATI roots.

    A file that declares a 1.0x version, or none, is read as IATI 1.0x: a code that exists only in the
    1.0x codelists (:data:`V1_CODES`) is read as the 2.0x code that replaced it, and a date written as
    the text of ``activity-date`` / ``transaction-date`` is read when ``@iso-date`` is absent. The
    first activity of such a document carries one ``iati.version_1`` warning (a file without
    ``@version`` only when 1.x codes were found; its ``header.version`` then becomes "1.x (no @version)").
    Codes of a file declaring 2.0x are read as published.
    """

    def __init__(self, path: Path | str, data: bytes | None = None, line_offset: int = 0, file_warnings: bool = True):
        """Read ``path``; or, for one chunk of a large file (see :mod:`kizuna.ledger.chunks`), read
        ``data`` and report lines of ``path`` shifted by ``line_offset``. ``file_warnings=False`` (a
        chunk after the first) leaves out the warnings given once per file (``iati.version_1``)."""
        self.path = Path(path)
        self.data = data
        self.line_offset = line_offset
        self.header: FileHeader | None = None
        self.v1 = False  # read 1.0x codes as 2.0x ones
        self._v1_warned = not file_warnings
        self._v1_seen: str | None = None  # the first 1.x code mapped, for the warning

    def _ln(self, line: int | None) -> int | None:
        return None if line is None else line + self.line_offset

    def __iter__(self) -> Iterator[Activity]:
        if self.data is None:
            check_prolog(self.path)
        ctx = etree.iterparse(
            io.BytesIO(self.data) if self.data is not None else str(self.path),
            events=("start", "end"),
            tag=("iati-activities", "iati-activity"),
            **_parser_kwargs(),
        )
        try:
            for event, el in ctx:
                if event == "start":
                    if el.tag == "iati-activities" and self.header is None:
                        self.header = self._read_header(el)
                    continue
                if el.tag != "iati-activity":
                    continue
                if self.header is None:
                    raise InputError(
                        "iati.not_iati",
                        N_("no <iati-activities> root element"),
                        Where(file=str(self.path), line=self._ln(el.sourceline)),
                        hint=N_("is this an IATI activity file (not an organisation file)?"),
                    )
                act = self._read_activity(el)
                # Free what we have read: the element and the siblings before it.
                el.clear(keep_tail=False)
                parent = el.getparent()
                if parent is not None:
                    while el.getprevious() is not None:
                        del parent[0]
                yield act
        except etree.XMLSyntaxError as exc:
            line = self._ln(exc.lineno) if exc.lineno else None
            raise InputError(
                "xml.malformed",
                N_("not well-formed XML: {msg}"),
                Where(file=str(self.path), line=line),
                hint=N_("the file may be truncated or not UTF-8; download it again"),
                params={"msg": exc.msg},
            ) from None
        finally:
            del ctx
        if self.header is None:
            raise InputError(
                "iati.not_iati",
                N_("no <iati-activities> root element"),
                Where(file=str(self.path)),
                hint=N_("is this an IATI activity file?"),
            )

    def _read_header(self, root: etree._Element) -> FileHeader:
        version = (root.get("version") or "").strip()
        # No @version: 2.0x requires it (iati-activities/@version), 1.0x did not; the 1.x-only codes are
        # never valid 2.0x codes, so reading them as 1.x codes cannot change a 2.0x file's meaning.
        self.v1 = version == "" or version.startswith("1.")
        return FileHeader(
            version=version or "unknown", generated=root.get("generated-datetime"), lang=lang_code(root.get(XML_LANG))
        )

    def _code(self, kind: str, raw: str | None) -> str | None:
        """``raw`` as read: in a 1.0x document, a 1.0x code of this kind becomes its 2.0x code."""
        if not self.v1 or raw is None:
            return raw
        key = raw.strip()
        key = key.lower() if kind in ("role", "budget-type", "activity-date") else key.upper()
        code = V1_CODES[kind].get(key)
        if code is None:
            return raw
        if self._v1_seen is None:
            self._v1_seen = f"{kind} {raw.strip()!r} -> {code}"
        return code

    def _v1_warning(self, act: Activity) -> None:
        """The one ``iati.version_1`` warning of a 1.0x document, on its first activity that shows it."""
        if not self.v1 or self._v1_warned or self.header is None:
            return
        declared = self.header.version != "unknown"
        if not declared and self._v1_seen is None:
            return  # no @version and no 1.x code (yet): nothing was read differently
        self._v1_warned = True
        if not declared:
            self.header.version = "1.x (no @version)"
        what = f"is IATI {self.header.version}" if declared else "declares no @version and uses IATI 1.x codes"
        example = f", e.g. {self._v1_seen}" if self._v1_seen else ""
        act.warnings.insert(
            0,
            (
                "iati.version_1",
                f"the file {what}: its 1.x codes are read as the 2.0x codes that replaced them"
                f" (transaction types, activity-date types, organisation roles, sector and policy-marker"
                f" vocabularies, budget types{example}); IATI retired 1.x in 2019",
            ),
        )

    def _read_activity(self, el: etree._Element) -> Activity:
        lang = el.get(XML_LANG)
        ident_el = el.find("iati-identifier")
        ident = _text(ident_el)
        if not ident:
            raise InputError(
                "iati.no_identifier",
                N_("activity without an iati-identifier"),
                Where(file=str(self.path), line=self._ln(el.sourceline), field="iati-identifier"),
                hint=N_("every activity needs a unique iati-identifier; fix the file at its source"),
            )
        act = Activity(iati_identifier=ident, line=self._ln(el.sourceline) or 0)
        act.default_currency = (el.get("default-currency") or "").strip().upper() or None
        act.humanitarian = _bool(el.get("humanitarian"))
        h = el.get("hierarchy")
        act.hierarchy = int(h) if h and h.strip().isdigit() else None
        act.last_updated = el.get("last-updated-datetime")
        dlang = act.default_lang = lang_code(lang) or (self.header.lang if self.header else None)
        org_seq = 0
        n_title = n_desc = n_ro = 0  # elements of each kind with text, for narratives' seq
        # Extension elements ({namespace}name) match no branch and are ignored. The most frequent
        # children come first: this loop runs for every element of every activity.
        for child in el.iterchildren():
            tag = child.tag
            if tag == "transaction":
                act.transactions.append(self._read_transaction(child, len(act.transactions) + 1, act, lang))
            elif tag == "reporting-org":
                # One is allowed; should there be more, each value comes from the last that has it.
                act.publisher_ref = (child.get("ref") or "").strip() or act.publisher_ref
                act.publisher_type = child.get("type") or act.publisher_type
                ns = narratives(child, dlang)
                if ns:
                    n_ro += 1
                    _keep(act, "reporting-org", n_ro, ns)
                act.publisher_name = pick_narrative(ns, dlang, dlang) or act.publisher_name
            elif tag == "title":
                ns = narratives(child, dlang)
                if ns:
                    n_title += 1
                    _keep(act, "title", n_title, ns)
                act.title = pick_narrative(ns, dlang, dlang) or act.title
            elif tag == "description":
                # The general description (type 1 or none) wins; others fill in when it is absent.
                dtype = child.get("type")
                ns = narratives(child, dlang)
                if ns:
                    n_desc += 1
                    _keep(act, "description", n_desc, ns, dtype)
                text = pick_narrative(ns, dlang, dlang)
                if text and (act.description is None or dtype in (None, "1")):
                    act.description = text
            elif tag == "participating-org":
                ns = narratives(child, dlang)
                name = pick_narrative(ns, dlang, dlang)
                if name is None and not _has_any(child, ("role", "ref", "type", "activity-id")):
                    continue  # an element with nothing in it says nothing
                org_seq += 1
                if not _implied(ns, dlang):
                    _keep(act, "participating-org", org_seq, ns)
                role = self._code("role", child.get("role"))
                act.participating_orgs.append(
                    (
                        org_seq,
                        int(role) if role and role.strip().isdigit() else None,
                        (child.get("ref") or "").strip() or None,
                        child.get("type"),
                        name,
                        (child.get("activity-id") or "").strip() or None,
                    )
                )
            elif tag == "activity-status":
                act.status_code = child.get("code") or act.status_code
            elif tag == "activity-date":
                d = parse_date(child.get("iso-date"))
                if d is None and self.v1:
                    d = parse_date(child.text)  # 1.0x: the date as the element's text
                t = self._code("activity-date", child.get("type"))
                if d is not None and t:
                    act.dates[t] = d
            elif tag == "activity-scope":
                act.scope_code = child.get("code") or act.scope_code
            elif tag == "recipient-country":
                code = (child.get("code") or "").strip().upper()
                if code:
                    act.countries.append((code, _pct(child.get("percentage"))))
            elif tag == "recipient-region":
                code = (child.get("code") or "").strip()
                if code:
                    act.regions.append(
                        (code, _region_vocabulary(child.get("vocabulary")), _pct(child.get("percentage")))
                    )
            elif tag == "sector":
                code = (child.get("code") or "").strip()
                if code:
                    vocab = (self._code("sector-vocabulary", child.get("vocabulary")) or "1").strip()
                    act.sectors.append((vocab, code, _pct(child.get("percentage"))))
            elif tag == "location":
                act.locations.append(self._read_location(child, lang))
            elif tag == "policy-marker":
                if not _has_any(child, ("vocabulary", "code", "significance")):
                    continue
                act.policy_markers.append(
                    (
                        self._code("policy-vocabulary", child.get("vocabulary")) or "1",
                        child.get("code"),
                        child.get("significance"),
                    )
                )
            elif tag == "tag":
                name = narrative(child, lang)
                if name is not None or _has_any(child, ("vocabulary", "code")):
                    act.tags.append((child.get("vocabulary"), child.get("code"), name))
            elif tag == "budget":
                if _budget_has_content(child):
                    act.budgets.append(self._read_budget(child, len(act.budgets) + 1, act))
            elif tag == "result":
                act.results.append(self._read_result(child, act))
        self._drop_implied(act)
        self._check_percentages(act)
        self._v1_warning(act)
        return act

    @staticmethod
    def _drop_implied(act: Activity) -> None:
        """An activity's one title, one (general) description or one reporting-org name, in its own
        language, is the column the activities table holds anyway (title, description, publisher_name):
        not repeated in ``narratives`` (the view ``all_narratives`` adds it back; see :func:`_implied`)."""
        drop = set()
        for element in ("title", "description", "reporting-org"):
            rows = [i for i, n in enumerate(act.narratives) if n[0] == element]
            if len(rows) == 1:
                n = act.narratives[rows[0]]
                if n[3] == act.default_lang and (element != "description" or n[5] in (None, "1")):
                    drop.add(rows[0])
        if drop:
            act.narratives = [n for i, n in enumerate(act.narratives) if i not in drop]

    def _value(
        self, el: etree._Element | None, act: Activity, what: str
    ) -> tuple[float | None, str | None, date | None]:
        if el is None:
            return None, None, None
        raw = _text(el)
        value: float | None = None
        if raw is not None:
            value, problem = parse_amount(raw)
            if problem == "not_decimal":
                act.warnings.append(
                    (
                        "value.not_decimal",
                        f"{what} value {raw!r} (line {self._ln(el.sourceline)}) is not written as an xsd:decimal;"
                        f" read as {value:.15g}",
                    )
                )
            elif problem is not None:
                act.warnings.append(
                    (
                        "value.not_a_number",
                        f"{what} value {raw!r} (line {self._ln(el.sourceline)}) is not a number"
                        f"{AMOUNT_PROBLEMS[problem]}; stored as null",
                    )
                )
        cur = (el.get("currency") or "").strip().upper() or act.default_currency
        vd = parse_date(el.get("value-date"))
        return value, cur, vd

    def _read_budget(self, el: etree._Element, seq: int, act: Activity) -> tuple[Any, ...]:
        value_el = el.find("value")
        value, cur, vd = self._value(value_el, act, "budget")
        if value is None and value_el is not None and not (value_el.get("currency") or "").strip():
            cur = None  # no amount and no currency of its own: the default says nothing about it
        return (
            seq,
            self._code("budget-type", el.get("type")) or "1",
            el.get("status") or "1",
            parse_date(_attr(el.find("period-start"), "iso-date")),
            parse_date(_attr(el.find("period-end"), "iso-date")),
            value,
            cur,
            vd,
        )

    def _read_transaction(self, el: etree._Element, seq: int, act: Activity, lang: str | None) -> Transaction:
        t = Transaction(
            seq=seq,
            ref=(el.get("ref") or "").strip() or None,
            type_code=None,
            date=None,
            value=None,
            currency=act.default_currency,
            value_date=None,
            humanitarian=_bool(el.get("humanitarian")),
        )
        # One pass over the children: a transaction has a dozen of them and find() would rescan each time.
        # Each should appear once; should one repeat, each value comes from the last that has it.
        own_currency = None
        pr_ns: list[tuple[str | None, str]] = []  # provider / receiver narratives of every such element
        re_ns: list[tuple[str | None, str]] = []
        for child in el.iterchildren():
            tag = child.tag
            if tag == "transaction-type":
                t.type_code = self._code("transaction-type", _attr(child, "code")) or t.type_code
            elif tag == "transaction-date":
                d = parse_date(child.get("iso-date"))
                if d is None and self.v1:
                    d = parse_date(child.text)  # 1.0x: the date as the element's text
                t.date = d or t.date
            elif tag == "value":
                value, _, value_date = self._value(child, act, "transaction")
                t.value = value if value is not None else t.value
                t.value_date = value_date or t.value_date
                own_currency = (child.get("currency") or "").strip().upper() or own_currency
            elif tag == "provider-org":
                t.provider_ref = (child.get("ref") or "").strip() or t.provider_ref
                ns = narratives(child, act.default_lang)
                pr_ns += ns
                t.provider_name = pick_narrative(ns, act.default_lang, act.default_lang) or t.provider_name
                t.provider_activity_id = (child.get("provider-activity-id") or "").strip() or t.provider_activity_id
            elif tag == "receiver-org":
                t.receiver_ref = (child.get("ref") or "").strip() or t.receiver_ref
                ns = narratives(child, act.default_lang)
                re_ns += ns
                t.receiver_name = pick_narrative(ns, act.default_lang, act.default_lang) or t.receiver_name
                t.receiver_activity_id = (child.get("receiver-activity-id") or "").strip() or t.receiver_activity_id
            elif tag == "description":
                t.description = narrative(child, lang) or t.description
            elif tag == "sector":
                code = (child.get("code") or "").strip()
                if code:
                    t.sectors.append(((self._code("sector-vocabulary", child.get("vocabulary")) or "1").strip(), code))
            elif tag == "recipient-country":
                code = (child.get("code") or "").strip().upper()
                if code:
                    t.countries.append(code)
            elif tag == "recipient-region":
                code = (child.get("code") or "").strip()
                if code:
                    t.regions.append((code, _region_vocabulary(child.get("vocabulary"))))
        t.currency = own_currency or act.default_currency
        for element, ns in (("provider-org", pr_ns), ("receiver-org", re_ns)):
            if not _implied(ns, act.default_lang):
                _keep(act, element, seq, ns)
        if t.value_date is None:
            t.value_date = t.date  # value-date is required; the transaction date is the closest stand-in
        return t

    def _read_location(self, el: etree._Element, lang: str | None) -> dict[str, Any]:
        loc: dict[str, Any] = {
            "ref": el.get("ref"),
            "name": narrative(el.find("name"), lang),
            "lat": None,
            "lon": None,
            "adm1": None,
            "adm2": None,
            "admin_vocabulary": None,
            "exactness": _attr(el.find("exactness"), "code"),
            "location_class": _attr(el.find("location-class"), "code"),
            "precision_code": None,
        }
        pos = _text(el.find("point/pos"))
        coords = el.find("coordinates") if self.v1 and not pos else None
        if coords is not None:  # 1.0x: <coordinates latitude= longitude=>
            pos = f"{coords.get('latitude') or ''} {coords.get('longitude') or ''}"
        if pos:
            parts = pos.replace(",", " ").split()
            if len(parts) == 2:
                try:
                    lat, lon = float(parts[0]), float(parts[1])
                    if -90 <= lat <= 90 and -180 <= lon <= 180:
                        loc["lat"], loc["lon"] = lat, lon
                except ValueError:
                    pass
        # IATI 2.0x location/administrative: @code is required and the element may repeat (one per level
        # or vocabulary). An element without a code says nothing, so it never erases another's code; of
        # several with codes at one level the last is kept. admin_vocabulary is the @vocabulary of the
        # element adm1 came from, else of the one adm2 came from (it describes that code, not another).
        vocab1 = vocab2 = None
        for adm in el.iterchildren("administrative"):
            level = (adm.get("level") or "").strip()
            code = (adm.get("code") or "").strip() or None
            if level == "1" and code:
                loc["adm1"], vocab1 = code, adm.get("vocabulary")
            elif level == "2" and code:
                loc["adm2"], vocab2 = code, adm.get("vocabulary")
            elif self.v1 and not level:  # 1.0x: <administrative country= adm1= adm2=>, no vocabulary
                a1, a2 = (adm.get("adm1") or "").strip(), (adm.get("adm2") or "").strip()
                if a1:
                    loc["adm1"], vocab1 = a1, None
                if a2:
                    loc["adm2"], vocab2 = a2, None
        loc["admin_vocabulary"] = vocab1 if loc["adm1"] is not None else vocab2
        return loc

    def _read_result(self, el: etree._Element, act: Activity) -> dict[str, Any]:
        """One ``result`` read whole (IATI 2.03, ``iati-activity/result``; 1.0x results, whose text sits
        in the elements themselves, read the same way). Every child element is kept, even an empty one,
        so the stored counts equal the file's. See ``migrations/0013_result_details.sql`` for the rows."""
        dlang = act.default_lang
        res: dict[str, Any] = {
            "type": self._code("result-type", _attr(el, "type")),
            "aggregation_status": _bool(el.get("aggregation-status")),
            "title": None,
            "description": None,
            "refs": [],
            "links": [],
            "narratives": [],  # (indicator_seq, period_seq, kind, value_seq, element, ord, lang, text)
            "indicators": [],
        }
        for child in el.iterchildren():
            tag = child.tag
            if tag == "indicator":
                res["indicators"].append(self._read_indicator(child, act, res, len(res["indicators"]) + 1))
            elif tag in ("title", "description"):
                ns = narratives(child, dlang)
                res[tag] = res[tag] or pick_narrative(ns, dlang, dlang)
                _keep_result(res, (None, None, "result", None, tag), ns)
            elif tag == "reference":
                res["refs"].append((_attr(child, "vocabulary"), _attr(child, "code"), _attr(child, "vocabulary-uri")))
            elif tag == "document-link":
                res["links"].append(_document_link(child, dlang))
        return res

    def _read_indicator(self, el: etree._Element, act: Activity, res: dict[str, Any], i_seq: int) -> dict[str, Any]:
        dlang = act.default_lang
        measure = _attr(el, "measure")
        ascending = _bool(el.get("ascending"))
        ind: dict[str, Any] = {
            "measure": measure,
            # IATI 2.03 indicator/@ascending: "default true"; a value that is not a boolean is read so too
            "ascending": True if ascending is None else ascending,
            "aggregation_status": _bool(el.get("aggregation-status")),
            "title": None,
            "description": None,
            "refs": [],
            "links": [],
            "baselines": [],
            "periods": [],
        }
        for child in el.iterchildren():
            tag = child.tag
            if tag == "period":
                ind["periods"].append(self._read_period(child, act, res, measure, i_seq, len(ind["periods"]) + 1))
            elif tag == "baseline":
                b_seq = len(ind["baselines"]) + 1
                base = self._read_value(child, act, res, measure, (i_seq, None, "baseline", b_seq))
                by = _attr(child, "year")
                base["year"] = int(by) if by and by.isdigit() else None
                base["date"] = parse_date(_attr(child, "iso-date"))
                ind["baselines"].append(base)
            elif tag in ("title", "description"):
                ns = narratives(child, dlang)
                ind[tag] = ind[tag] or pick_narrative(ns, dlang, dlang)
                _keep_result(res, (i_seq, None, "indicator", None, tag), ns)
            elif tag == "reference":
                ind["refs"].append((_attr(child, "vocabulary"), _attr(child, "code"), _attr(child, "indicator-uri")))
            elif tag == "document-link":
                ind["links"].append(_document_link(child, dlang))
        ind["baseline"] = overall_value(ind["baselines"])
        return ind

    def _read_period(
        self, el: etree._Element, act: Activity, res: dict[str, Any], measure: str | None, i_seq: int, p_seq: int
    ) -> dict[str, Any]:
        per: dict[str, Any] = {"start": None, "end": None, "target": [], "actual": []}
        for child in el.iterchildren():
            tag = child.tag
            if tag in ("target", "actual"):
                v_seq = len(per[tag]) + 1
                per[tag].append(self._read_value(child, act, res, measure, (i_seq, p_seq, tag, v_seq)))
            elif tag in ("period-start", "period-end"):
                d = parse_date(_attr(child, "iso-date"))
                if d is None and self.v1:
                    d = parse_date(child.text)  # 1.0x: the date as the element's text
                per["start" if tag == "period-start" else "end"] = d
        return per

    def _read_value(
        self,
        el: etree._Element,
        act: Activity,
        res: dict[str, Any],
        measure: str | None,
        key: tuple[int, int | None, str, int],
    ) -> dict[str, Any]:
        """A baseline, target or actual: its value as written and as a number, comment, dimensions,
        location refs and document links. A value that is not a number (:func:`parse_amount`) stays as
        text; for a unit or percentage indicator (IndicatorMeasure 1, 2) or one with no measure it gets a
        ``result.value_not_a_number`` warning (nominal, ordinal and qualitative values may be words)."""
        dlang = act.default_lang
        raw = _attr(el, "value")
        num: float | None = None
        if raw is not None:
            num, problem = parse_amount(raw)
            line = self._ln(el.sourceline)
            if problem == "not_decimal":
                act.warnings.append(
                    (
                        "result.value_not_decimal",
                        Said(RESULT_NOT_DECIMAL[key[2]], value=raw, line=line, num=f"{num:.15g}"),
                    )
                )  # fmt: skip
            elif problem is not None and measure in (None, "1", "2"):
                act.warnings.append(
                    (
                        "result.value_not_a_number",
                        Said(RESULT_NOT_A_NUMBER[key[2]], value=raw, line=line),
                    )
                )  # fmt: skip
        out: dict[str, Any] = {
            "value": raw,
            "num": num,
            "comment": None,
            "dimensions": [],
            "locations": [],
            "links": [],
        }
        for child in el.iterchildren():
            tag = child.tag
            if tag == "dimension":
                out["dimensions"].append((_attr(child, "name"), _attr(child, "value")))
            elif tag == "location":
                out["locations"].append(_attr(child, "ref"))
            elif tag == "comment":
                ns = narratives(child, dlang)
                out["comment"] = out["comment"] or pick_narrative(ns, dlang, dlang)
                _keep_result(res, (*key, "comment"), ns)
            elif tag == "document-link":
                out["links"].append(_document_link(child, dlang))
        return out

    @staticmethod
    def _check_percentages(act: Activity) -> None:
        """Warnings about the numbers that split money, and about transactions no total can count.

        Recipient percentages: the countries and the regions of the region vocabulary that splits
        money (:func:`money_region_vocabulary`) share 100 % (IATI 2.03, activity-standard overview
        "Geography": "sum to 100 across both elements per region vocabulary"); when they do not, they
        are normalised (``percentages.recipient``). Sector percentages: only those of the vocabulary
        that splits money (DAC 5-digit, else DAC 3-digit) are normalised and warned about
        (``percentages.sector``); other vocabularies never split money, so their totals say nothing
        about it and raise no warning.
        """
        vocab = money_region_vocabulary(v for _, v, _ in act.regions)
        regions = [p for _, v, p in act.regions if v == vocab]
        if any(p is not None for _, p in act.countries) or any(p is not None for p in regions):
            # countries first, then regions: the fast path sums in the same order
            total = sum(p or 0.0 for _, p in act.countries) + sum(p or 0.0 for p in regions)
            if abs(total - 100.0) > 0.01:
                act.warnings.append(("percentages.recipient", _recipient_message(bool(act.countries), vocab, total)))
        splitting = money_sector_vocabulary(v for v, _, _ in act.sectors)
        sector_total: float | None = None
        for v, _code, pct in act.sectors:
            if v == splitting and pct is not None:
                sector_total = (sector_total or 0.0) + pct
        if sector_total is not None and abs(sector_total - 100.0) > 0.01:
            act.warnings.append(
                (
                    "percentages.sector",
                    f"sector percentages (vocabulary {splitting}) sum to {sector_total:g}, not 100; normalised",
                )
            )
        for t in act.transactions:
            if t.value is not None and t.currency is None:
                act.warnings.append(
                    ("currency.missing", f"transaction {t.seq} has no currency and the activity no default-currency")
                )
            if t.type_code is not None and t.type_code not in TRANSACTION_TYPES:
                act.warnings.append(("transaction.type_unknown", _type_unknown_message(t.seq, t.type_code)))


def _region_vocabulary(raw: str | None) -> str:
    """``recipient-region/@vocabulary``: absent or blank is 1 (OECD DAC), as the standard says."""
    return (raw or "").strip() or "1"


def region_vocabulary_rank(vocabulary: str) -> str:
    """Sort key of region vocabularies for splitting money: 1 (OECD DAC) first, then 2 (UN M49), then
    the rest (99, the reporting organisation's) by code. Mirrored in SQL by :mod:`kizuna.ledger.money`."""
    return vocabulary if vocabulary in ("1", "2") else "3" + vocabulary


def money_region_vocabulary(vocabularies: Iterable[str]) -> str | None:
    """The region vocabulary whose regions share 100 % with the countries when money is split."""
    return min(vocabularies, key=region_vocabulary_rank, default=None)


def money_sector_vocabulary(vocabularies: Iterable[str]) -> str | None:
    """The sector vocabulary that splits money: 1 (DAC 5-digit) if present, else 2 (DAC 3-digit)."""
    seen = set(vocabularies)
    return "1" if "1" in seen else "2" if "2" in seen else None


def _recipient_message(has_countries: bool, region_vocabulary: str | None, total: float) -> str:
    what = " and ".join(
        ([("recipient-country")] if has_countries else [])
        + ([f"recipient-region (vocabulary {region_vocabulary})"] if region_vocabulary else [])
    )
    return f"{what} percentages sum to {total:g}, not 100; normalised"


def _type_unknown_message(seq: int, code: str) -> str:
    return (
        f"transaction {seq} has type {code!r}, not a TransactionType code of IATI 2.0x (1-13):"
        " kept as published, counted in no money view"
    )


def _keep(
    act: Activity, element: str, seq: int, ns: list[tuple[str | None, str]], kind: str | None = None, first: int = 1
) -> None:
    """Add the narratives ``ns`` of one element to ``act.narratives`` (``ord`` counting from ``first``)."""
    act.narratives.extend((element, seq, i, lang, text, kind) for i, (lang, text) in enumerate(ns, start=first))


def _implied(ns: list[tuple[str | None, str]], default: str | None) -> bool:
    """Whether an organisation's narratives are implied by what the ledger stores anyway: one narrative,
    in the activity's default language, is the name column itself (``participating_orgs.name``,
    ``transactions.provider_name`` / ``receiver_name``); the view ``all_narratives`` adds it back.
    Most organisation names are of this kind, so the ``narratives`` table stays small."""
    return len(ns) == 1 and ns[0][0] == default


def _has_any(el: etree._Element, attrs: tuple[str, ...]) -> bool:
    return any(el.get(a) is not None for a in attrs)


def _budget_has_content(el: etree._Element) -> bool:
    """Whether a budget element carries anything read (an empty ``<budget/>`` is skipped)."""
    if _has_any(el, ("type", "status")):
        return True
    for tag, attrs in (
        ("period-start", ("iso-date",)),
        ("period-end", ("iso-date",)),
        ("value", ("currency", "value-date")),
    ):
        for c in el.iterchildren(tag):
            if _has_any(c, attrs) or (tag == "value" and _text(c)):
                return True
    return False


def _attr(el: etree._Element | None, name: str) -> str | None:
    if el is None:
        return None
    v = el.get(name)
    return v.strip() if v and v.strip() else None


def overall_value(values: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The overall one of several baselines, targets or actuals (what ``result_indicators.baseline_*``
    and ``result_periods.target_value`` / ``actual_value`` hold): the first that carries no dimension;
    when several carry none, the first of those that also names no location (the others are values for
    a place). ``None`` when every one is disaggregated: disaggregated values are not always additive (a
    percentage, a median, a rank), so no total is made up from them."""
    plain = [v for v in values if not v["dimensions"]]
    if len(plain) > 1:
        plain = [v for v in plain if not v["locations"]]
    return plain[0] if plain else None


def _keep_result(res: dict[str, Any], key: tuple[Any, ...], ns: list[tuple[str | None, str]]) -> None:
    """Keep the narratives ``ns`` of one result element for ``result_narratives``."""
    res["narratives"].extend((*key, i, lang, text) for i, (lang, text) in enumerate(ns, start=1))


def _document_link(el: etree._Element, lang: str | None) -> tuple[Any, ...]:
    """A ``document-link`` (IATI 2.03): (url, format, title, description, category codes, language
    codes, document date). Title and description: the narrative in the activity's language."""
    title = description = None
    categories: list[str | None] = []
    languages: list[str | None] = []
    document_date = None
    for child in el.iterchildren():
        tag = child.tag
        if tag == "title":
            title = title or pick_narrative(narratives(child, lang), lang, lang)
        elif tag == "description":
            description = description or pick_narrative(narratives(child, lang), lang, lang)
        elif tag == "category":
            categories.append(_attr(child, "code"))
        elif tag == "language":
            languages.append(_attr(child, "code"))
        elif tag == "document-date":
            document_date = parse_date(_attr(child, "iso-date"))
    return (_attr(el, "url"), _attr(el, "format"), title, description, categories, languages, document_date)
