"""Streaming reader for IATI activity XML, versions 2.01–2.03.

It yields one :class:`Activity` per ``iati-activity`` and never builds the whole tree: lxml's
``iterparse`` hands over each finished activity, which is read and then cleared, so memory stays flat
as files grow. The parser resolves no entities, loads no DTD and touches no network; a file that
declares a DOCTYPE is refused before parsing (IATI files never need one, and it is where XML bombs and
external entities live).

Element and attribute names follow the IATI Activity Standard 2.03
(https://iatistandard.org/en/iati-standard/203/activity-standard/); unknown and extension elements
(e.g. ``usg:treasury-account``) are ignored. ``contact-info`` is never read: it holds personal data.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree

from kizuna.errors import InputError, Where

SUPPORTED_VERSIONS = ("2.01", "2.02", "2.03")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PROLOG_SCAN_BYTES = 1 << 20


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
    regions: list[tuple[str, str | None]] = field(default_factory=list)  # (code, vocabulary)


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
    regions: list[tuple[str, str | None, float | None]] = field(default_factory=list)
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


@dataclass(slots=True)
class FileHeader:
    version: str
    generated: str | None


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


def _pct(raw: str | None) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        return None


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
                "the file declares a DOCTYPE; entities and DTDs are refused (XML bomb / external entity guard)",
                Where(file=str(path), line=line),
                hint="IATI files need no DOCTYPE: remove it, or check where this file came from",
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
    line for malformed XML (including truncation), DOCTYPEs, version 1.x files and non-IATI roots.
    """

    def __init__(self, path: Path | str, data: bytes | None = None, line_offset: int = 0):
        """Read ``path``; or, for one chunk of a large file (see :mod:`kizuna.ledger.chunks`), read
        ``data`` and report lines of ``path`` shifted by ``line_offset``."""
        self.path = Path(path)
        self.data = data
        self.line_offset = line_offset
        self.header: FileHeader | None = None

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
                        "no <iati-activities> root element",
                        Where(file=str(self.path), line=self._ln(el.sourceline)),
                        hint="is this an IATI activity file (not an organisation file)?",
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
                f"not well-formed XML: {exc.msg}",
                Where(file=str(self.path), line=line),
                hint="the file may be truncated or not UTF-8; download it again",
            ) from None
        finally:
            del ctx
        if self.header is None:
            raise InputError(
                "iati.not_iati",
                "no <iati-activities> root element",
                Where(file=str(self.path)),
                hint="is this an IATI activity file?",
            )

    def _read_header(self, root: etree._Element) -> FileHeader:
        version = (root.get("version") or "").strip()
        if version.startswith("1."):
            raise InputError(
                "iati.version_1",
                f"IATI version {version} is not supported (2.01–2.03 are)",
                Where(file=str(self.path), line=self._ln(root.sourceline), field="iati-activities/@version"),
                hint="version 1.x was retired in 2019; ask the publisher for a 2.0x file",
            )
        return FileHeader(version=version or "unknown", generated=root.get("generated-datetime"))

    def _read_activity(self, el: etree._Element) -> Activity:
        lang = el.get(XML_LANG)
        ident_el = el.find("iati-identifier")
        ident = _text(ident_el)
        if not ident:
            raise InputError(
                "iati.no_identifier",
                "activity without an iati-identifier",
                Where(file=str(self.path), line=self._ln(el.sourceline), field="iati-identifier"),
                hint="every activity needs a unique iati-identifier; fix the file at its source",
            )
        act = Activity(iati_identifier=ident, line=self._ln(el.sourceline) or 0)
        act.default_currency = (el.get("default-currency") or "").strip().upper() or None
        act.humanitarian = _bool(el.get("humanitarian"))
        h = el.get("hierarchy")
        act.hierarchy = int(h) if h and h.strip().isdigit() else None
        act.last_updated = el.get("last-updated-datetime")
        org_seq = 0
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
                act.publisher_name = narrative(child, lang) or act.publisher_name
            elif tag == "title":
                act.title = narrative(child, lang) or act.title
            elif tag == "description":
                # The general description (type 1 or none) wins; others fill in when it is absent.
                dtype = child.get("type")
                text = narrative(child, lang)
                if text and (act.description is None or dtype in (None, "1")):
                    act.description = text
            elif tag == "participating-org":
                name = narrative(child, lang)
                if name is None and not _has_any(child, ("role", "ref", "type", "activity-id")):
                    continue  # an element with nothing in it says nothing
                org_seq += 1
                role = child.get("role")
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
                t = child.get("type")
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
                    act.regions.append((code, child.get("vocabulary") or "1", _pct(child.get("percentage"))))
            elif tag == "sector":
                code = (child.get("code") or "").strip()
                if code:
                    act.sectors.append(((child.get("vocabulary") or "1").strip(), code, _pct(child.get("percentage"))))
            elif tag == "location":
                act.locations.append(self._read_location(child, lang))
            elif tag == "policy-marker":
                if not _has_any(child, ("vocabulary", "code", "significance")):
                    continue
                act.policy_markers.append(
                    (child.get("vocabulary") or "1", child.get("code"), child.get("significance"))
                )
            elif tag == "tag":
                name = narrative(child, lang)
                if name is not None or _has_any(child, ("vocabulary", "code")):
                    act.tags.append((child.get("vocabulary"), child.get("code"), name))
            elif tag == "budget":
                if _budget_has_content(child):
                    act.budgets.append(self._read_budget(child, len(act.budgets) + 1, act))
            elif tag == "result":
                act.results.append(self._read_result(child, lang))
        self._check_percentages(act)
        return act

    def _value(
        self, el: etree._Element | None, act: Activity, what: str
    ) -> tuple[float | None, str | None, date | None]:
        if el is None:
            return None, None, None
        raw = _text(el)
        value: float | None = None
        if raw is not None:
            try:
                value = float(raw.replace(",", ""))
            except ValueError:
                act.warnings.append(
                    (
                        "value.not_a_number",
                        f"{what} value {raw!r} (line {self._ln(el.sourceline)}) is not a number; stored as null",
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
            el.get("type") or "1",
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
        for child in el.iterchildren():
            tag = child.tag
            if tag == "transaction-type":
                t.type_code = _attr(child, "code") or t.type_code
            elif tag == "transaction-date":
                t.date = parse_date(child.get("iso-date")) or t.date
            elif tag == "value":
                value, _, value_date = self._value(child, act, "transaction")
                t.value = value if value is not None else t.value
                t.value_date = value_date or t.value_date
                own_currency = (child.get("currency") or "").strip().upper() or own_currency
            elif tag == "provider-org":
                t.provider_ref = (child.get("ref") or "").strip() or t.provider_ref
                t.provider_name = narrative(child, lang) or t.provider_name
                t.provider_activity_id = (child.get("provider-activity-id") or "").strip() or t.provider_activity_id
            elif tag == "receiver-org":
                t.receiver_ref = (child.get("ref") or "").strip() or t.receiver_ref
                t.receiver_name = narrative(child, lang) or t.receiver_name
                t.receiver_activity_id = (child.get("receiver-activity-id") or "").strip() or t.receiver_activity_id
            elif tag == "description":
                t.description = narrative(child, lang) or t.description
            elif tag == "sector":
                code = (child.get("code") or "").strip()
                if code:
                    t.sectors.append(((child.get("vocabulary") or "1").strip(), code))
            elif tag == "recipient-country":
                code = (child.get("code") or "").strip().upper()
                if code:
                    t.countries.append(code)
            elif tag == "recipient-region":
                code = (child.get("code") or "").strip()
                if code:
                    t.regions.append((code, child.get("vocabulary") or "1"))
        t.currency = own_currency or act.default_currency
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
        if pos:
            parts = pos.replace(",", " ").split()
            if len(parts) == 2:
                try:
                    lat, lon = float(parts[0]), float(parts[1])
                    if -90 <= lat <= 90 and -180 <= lon <= 180:
                        loc["lat"], loc["lon"] = lat, lon
                except ValueError:
                    pass
        for adm in el.iterchildren("administrative"):
            level = (adm.get("level") or "").strip()
            code = (adm.get("code") or "").strip() or None
            if level == "1":
                loc["adm1"] = code
                loc["admin_vocabulary"] = adm.get("vocabulary")
            elif level == "2":
                loc["adm2"] = code
                loc["admin_vocabulary"] = loc["admin_vocabulary"] or adm.get("vocabulary")
        return loc

    def _read_result(self, el: etree._Element, lang: str | None) -> dict[str, Any]:
        res: dict[str, Any] = {
            "type": el.get("type"),
            "aggregation_status": _bool(el.get("aggregation-status")),
            "title": narrative(el.find("title"), lang),
            "indicators": [],
        }
        for ind in el.iterchildren("indicator"):
            base = ind.find("baseline")
            by = _attr(base, "year")
            indicator: dict[str, Any] = {
                "measure": ind.get("measure"),
                "ascending": _bool(ind.get("ascending")),
                "title": narrative(ind.find("title"), lang),
                "baseline_year": int(by) if by and by.strip().isdigit() else None,
                "baseline_date": parse_date(_attr(base, "iso-date")),
                "baseline_value": _attr(base, "value"),
                "periods": [],
            }
            for per in ind.iterchildren("period"):
                indicator["periods"].append(
                    (
                        parse_date(_attr(per.find("period-start"), "iso-date")),
                        parse_date(_attr(per.find("period-end"), "iso-date")),
                        _attr(per.find("target"), "value"),
                        _attr(per.find("actual"), "value"),
                    )
                )
            res["indicators"].append(indicator)
        return res

    @staticmethod
    def _check_percentages(act: Activity) -> None:
        if any(p is not None for _, p in act.countries):
            total = sum(p or 0.0 for _, p in act.countries)
            if abs(total - 100.0) > 0.01:
                act.warnings.append(
                    ("percentages.country", f"recipient-country percentages sum to {total:g}, not 100; normalised")
                )
        by_vocab: dict[str, float] = {}
        for vocab, _code, pct in act.sectors:
            if pct is not None:
                by_vocab[vocab] = by_vocab.get(vocab, 0.0) + pct
        for vocab, total in by_vocab.items():
            if abs(total - 100.0) > 0.01:
                act.warnings.append(
                    (
                        "percentages.sector",
                        f"sector percentages (vocabulary {vocab}) sum to {total:g}, not 100; normalised",
                    )
                )
        for t in act.transactions:
            if t.value is not None and t.currency is None:
                act.warnings.append(
                    ("currency.missing", f"transaction {t.seq} has no currency and the activity no default-currency")
                )


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
