"""Fast path for IATI activity XML: compiled extraction straight to Arrow columns.

:class:`kizuna.ledger.iati.IatiReader` walks every element in Python and is the reference. This module
gives the same ledger tables for the common shape of IATI files several times faster: the Rust parser
of ``xml2arrow`` (quick-xml underneath) turns the XML into flat Arrow tables of the elements we read,
and vectorised Arrow/NumPy code assembles them into the rows of :mod:`kizuna.ledger.rows` (which
:mod:`kizuna.ledger.store` loads).

It declines (returns ``None``) whenever it cannot promise the reference reader's answer, and the
caller then uses :class:`~kizuna.ledger.iati.IatiReader` on the same bytes, which also produces every
error message (file, line, field, hint). It declines on: anything ``xml2arrow`` cannot parse
(malformed XML, truncation), an element read here repeated where one is expected (two narratives in
one element, the multilingual case), ``result`` elements, a root that does not declare IATI 2.0x (1.0x
and undeclared files are read with their 1.x codes mapped, by the reference reader only), an activity
without an identifier, the same activity twice in the input, an amount that is not an ``xsd:decimal``
(the reference reader reads or refuses it with a warning naming its line), a namespaced extension
element whose local name is one we read, and a structure it did not expect.
``tests/ledger/test_iati_fast.py`` checks both paths give identical tables on every shared file.

Security: the DOCTYPE guard (:func:`kizuna.ledger.iati.check_prolog`) runs before either path, and
quick-xml expands no entities beyond the five predefined ones and character references.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kizuna.ledger.iati import (
    TRANSACTION_TYPES,
    XSD_DECIMAL_RE2,
    _bool,
    _pct,
    _recipient_message,
    _type_unknown_message,
    parse_date,
    region_vocabulary_rank,
)
from kizuna.ledger.rows import COLUMNS, _arrow_type, activity_uid

ROOT = "/iati-activities/iati-activity"
VERSION_RE = re.compile(rb"""\sversion\s*=\s*["']([^"']*)["']""")
XMLNS_RE = re.compile(rb"""xmlns:([\w.-]+)\s*=""")
XML_LANG_RE = re.compile(rb"""\sxml:lang\s*=\s*["']([^"']*)["']""")

# Local names of every element read below: a namespaced extension element with one of these names
# would be taken for the IATI element (xml2arrow matches local names), so its presence makes us decline.
READ_NAMES = frozenset(
    b"""iati-identifier reporting-org title description participating-org activity-status activity-date
    activity-scope recipient-country recipient-region sector policy-marker tag budget transaction location
    result narrative transaction-type transaction-date value provider-org receiver-org period-start
    period-end name point pos exactness location-class administrative""".split()
)

# (column, path under the table's element): a path ending in an element name reads that element's text.
_KIDS = [
    ("a_cur", "@default-currency"),
    ("a_hum", "@humanitarian"),
    ("a_hier", "@hierarchy"),
    ("a_lu", "@last-updated-datetime"),
    # xml:lang (xml2arrow matches the local name; fast_tables declines a document with any other "lang=");
    # text written in an element itself, with the element's xml:lang, is left to the reference reader
    ("a_lang", "@lang"),
    ("ro_nlang", "reporting-org/narrative/@lang"),
    ("ti_nlang", "title/narrative/@lang"),
    ("de_nlang", "description/narrative/@lang"),
    ("po_nlang", "participating-org/narrative/@lang"),
    ("ident", "iati-identifier"),
    ("ro_ref", "reporting-org/@ref"),
    ("ro_type", "reporting-org/@type"),
    ("ro_narr", "reporting-org/narrative"),
    ("ro_text", "reporting-org"),
    ("ti_narr", "title/narrative"),
    ("ti_text", "title"),
    ("de_type", "description/@type"),
    ("de_narr", "description/narrative"),
    ("de_text", "description"),
    ("po_role", "participating-org/@role"),
    ("po_ref", "participating-org/@ref"),
    ("po_type", "participating-org/@type"),
    ("po_act", "participating-org/@activity-id"),
    ("po_narr", "participating-org/narrative"),
    ("po_text", "participating-org"),
    ("st_code", "activity-status/@code"),
    ("ad_type", "activity-date/@type"),
    ("ad_date", "activity-date/@iso-date"),
    ("sc_code", "activity-scope/@code"),
    ("rc_code", "recipient-country/@code"),
    ("rc_pct", "recipient-country/@percentage"),
    ("rr_code", "recipient-region/@code"),
    ("rr_vocab", "recipient-region/@vocabulary"),
    ("rr_pct", "recipient-region/@percentage"),
    ("se_vocab", "sector/@vocabulary"),
    ("se_code", "sector/@code"),
    ("se_pct", "sector/@percentage"),
    ("pm_vocab", "policy-marker/@vocabulary"),
    ("pm_code", "policy-marker/@code"),
    ("pm_sig", "policy-marker/@significance"),
    ("tg_vocab", "tag/@vocabulary"),
    ("tg_code", "tag/@code"),
    ("tg_narr", "tag/narrative"),
    ("tg_text", "tag"),
    ("bu_type", "budget/@type"),
    ("bu_status", "budget/@status"),
    ("bu_ps", "budget/period-start/@iso-date"),
    ("bu_pe", "budget/period-end/@iso-date"),
    ("bu_val", "budget/value"),
    ("bu_cur", "budget/value/@currency"),
    ("bu_vd", "budget/value/@value-date"),
]
_TX = [
    ("t_ref", "@ref"),
    ("t_hum", "@humanitarian"),
    ("tt_code", "transaction-type/@code"),
    ("td_date", "transaction-date/@iso-date"),
    ("v_val", "value"),
    ("v_cur", "value/@currency"),
    ("v_vd", "value/@value-date"),
    ("pr_ref", "provider-org/@ref"),
    ("pr_act", "provider-org/@provider-activity-id"),
    ("pr_narr", "provider-org/narrative"),
    ("pr_text", "provider-org"),
    ("re_ref", "receiver-org/@ref"),
    ("re_act", "receiver-org/@receiver-activity-id"),
    ("re_narr", "receiver-org/narrative"),
    ("re_text", "receiver-org"),
    ("pr_nlang", "provider-org/narrative/@lang"),
    ("re_nlang", "receiver-org/narrative/@lang"),
    ("ds_narr", "description/narrative"),
    ("ds_text", "description"),
    ("ts_vocab", "sector/@vocabulary"),
    ("ts_code", "sector/@code"),
    ("tc_code", "recipient-country/@code"),
    ("tr_code", "recipient-region/@code"),
    ("tr_vocab", "recipient-region/@vocabulary"),
]
_LOC = [
    ("l_ref", "@ref"),
    ("ln_narr", "name/narrative"),
    ("ln_text", "name"),
    ("pos", "point/pos"),
    ("ex_code", "exactness/@code"),
    ("lc_code", "location-class/@code"),
    ("adm_level", "administrative/@level"),
    ("adm_code", "administrative/@code"),
    ("adm_vocab", "administrative/@vocabulary"),
]


def _fields(base: str, spec: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """xml2arrow fields: every value read as text (typed later, exactly as the reference reader types it)."""
    return [{"name": n, "xml_path": f"{base}/{p}", "data_type": "Utf8", "nullable": True} for n, p in spec]


def _config() -> dict[str, Any]:
    kids = _fields(ROOT, _KIDS)
    # Attributes of the row's parent element (the activity) land on its first child row.
    return {
        "parser_options": {"trim_text": False},  # trimming per text event would drop spaces around &amp;
        "tables": [
            {"name": "acts", "xml_path": "/iati-activities", "levels": ["activity"], "fields": []},
            {"name": "kids", "xml_path": ROOT, "levels": ["activity", "child"], "fields": kids},
            {
                "name": "tx",
                "xml_path": f"{ROOT}/transaction",
                "levels": ["activity", "child", "tchild"],
                "fields": _fields(f"{ROOT}/transaction", _TX),
            },
            {
                "name": "loc",
                "xml_path": f"{ROOT}/location",
                "levels": ["activity", "child", "lchild"],
                "fields": _fields(f"{ROOT}/location", _LOC),
            },
            {
                "name": "res",
                "xml_path": f"{ROOT}/result",
                "levels": ["activity", "child", "rchild"],
                "fields": [
                    {"name": "r_type", "xml_path": f"{ROOT}/result/@type", "data_type": "Utf8", "nullable": True}
                ],
            },
        ],
    }


_PARSER: Any = None


def _parser() -> Any:
    """One compiled xml2arrow parser per process (building it validates the config and its path trie)."""
    global _PARSER
    if _PARSER is None:
        try:
            from xml2arrow import XmlToArrowParser
        except ImportError:  # a platform without its wheel: the reference reader does everything
            raise Decline("xml2arrow is not installed") from None

        with tempfile.TemporaryDirectory(prefix="kizuna-x2a-") as d:
            cfg = Path(d) / "iati.yaml"
            cfg.write_text(json.dumps(_config()))  # JSON is YAML
            _PARSER = XmlToArrowParser(str(cfg))
    return _PARSER


_WARM_DOC = b"""<iati-activities version="2.03"><iati-activity default-currency="EUR" humanitarian="1" hierarchy="1">
<iati-identifier>W-1</iati-identifier><reporting-org ref="W" type="10"><narrative>W</narrative></reporting-org>
<title><narrative>W</narrative></title><description type="1"><narrative>W</narrative></description>
<participating-org role="1" ref="W"><narrative>W</narrative></participating-org><activity-status code="2"/>
<activity-date type="1" iso-date="2020-01-01"/><recipient-country code="SS" percentage="50"/>
<recipient-region code="289" percentage="50"/><sector code="15220" percentage="100"/><tag code="T"/>
<policy-marker code="1" significance="1"/><budget><period-start iso-date="2020-01-01"/><value>1</value></budget>
<location ref="L"><name><narrative>L</narrative></name><point><pos>1 2</pos></point>
<administrative level="1" code="A"/></location><transaction ref="T"><transaction-type code="3"/>
<transaction-date iso-date="2020-01-01"/><value currency="USD">1.0</value><provider-org ref="P"/>
<receiver-org><narrative>R</narrative></receiver-org><sector code="15220"/><recipient-country code="SS"/>
<recipient-region code="289"/><description><narrative>D</narrative></description></transaction>
</iati-activity></iati-activities>"""


def warm() -> None:
    """Build the parser and run every step once (worker fork servers call this, so that forked
    workers inherit a process whose lazy initialisation, Arrow kernels and Parquet writer included, is done)."""
    if not available():
        return
    from kizuna.ledger.rows import write_batch

    res = fast_tables(_WARM_DOC, 0)
    with tempfile.TemporaryDirectory(prefix="kizuna-warm-") as d:
        write_batch(res.tables, Path(d), "warm")


def available() -> bool:
    """Whether the compiled extractor is installed (it is a dependency; this guards odd platforms)."""
    try:
        import xml2arrow  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class FastResult:
    tables: dict[str, pa.Table]
    uids: list[str]
    activities: int
    transactions: int
    warnings: list[tuple[str, int, str, str]]
    publishers: Counter[str]
    version: str
    newlines: int = 0  # newlines in the whole document


class Decline(Exception):
    """The fast path cannot promise the reference reader's answer for this input."""


# -- vector helpers: each mirrors one helper of kizuna.ledger.iati, element for element --------------


def _strip(a: pa.Array) -> pa.Array:
    """``(s or "").strip() or None``."""
    s = pc.utf8_trim_whitespace(a)
    return pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)


def _nonempty(a: pa.Array) -> pa.Array:
    """``raw or None``: an empty attribute counts as absent."""
    return pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.string()), a)


def _map(a: pa.Array, fn: Any, typ: pa.DataType) -> pa.Array:
    """Apply a Python function once per distinct value (codes and dates repeat a lot)."""
    enc = pc.dictionary_encode(a).combine_chunks() if isinstance(a, pa.ChunkedArray) else pc.dictionary_encode(a)
    values = pa.array([fn(v) for v in enc.dictionary.to_pylist()], type=typ)
    return values.take(enc.indices)


def _int_digits(raw: str | None) -> int | None:
    return int(raw) if raw and raw.strip().isdigit() else None


def _floats(a: pa.Array) -> pa.Array:
    """Amounts (already stripped): each an xsd:decimal, which Arrow reads as Python's ``float`` does
    (correctly rounded); any other form gets a warning naming its line from the reference reader."""
    if pc.any(pc.invert(pc.match_substring_regex(a, XSD_DECIMAL_RE2))).as_py():  # nulls are skipped
        raise Decline("a value is not a number (not an xsd:decimal)")
    return pc.cast(a, pa.float64())


def _dates(a: pa.Array) -> pa.Array:
    return _map(a, parse_date, pa.date32())


def _upper_strip(a: pa.Array) -> pa.Array:
    return _strip(pc.utf8_upper(a))


def _or(a: pa.Array, default: str) -> pa.Array:
    """``raw or default`` (an empty string counts as absent)."""
    return pc.if_else(pc.or_kleene(pc.is_null(a), pc.equal(a, "")), pa.scalar(default), a)


def _name(narr: pa.Array, text: pa.Array) -> pa.Array:
    """kizuna.ledger.iati.narrative for one narrative at most: its text, else the element's own text."""
    return pc.coalesce(_strip(narr), _strip(text))


def _lang(raw: pa.Array) -> pa.Array:
    """kizuna.ledger.iati.lang_code: trimmed, lower case, blank as absent."""
    return _strip(pc.utf8_lower(raw))


def _narr_lang(narr: pa.Array, nlang: pa.Array, acts: np.ndarray) -> pa.Array:
    """The language kizuna.ledger.iati.narratives gives a narrative's text, before the activity's
    default: its xml:lang. ``narr``, ``nlang``: the rows of elements with text; ``acts``: their
    activities. Text written in the element itself (IATI 1.0x style, or beside an empty narrative)
    has the element's xml:lang, which is not extracted: those activities go to the reference reader."""
    own = pc.is_null(_strip(narr))
    if pc.any(own).as_py():
        raise _Unseen(np.unique(acts[_np(own)]).tolist())
    return _lang(nlang)


def _same(a: pa.Array, b: pa.Array) -> pa.Array:
    """Element-wise equality where two nulls are equal (never null)."""
    return pc.or_kleene(pc.equal(a, b), pc.and_(pc.is_null(a), pc.is_null(b))).fill_null(False)


def _narratives(
    uid: pa.Array, element: str, seq: Any, ord_: Any, lang: pa.Array, text: pa.Array, kind: pa.Array | None = None
) -> pa.Table:
    n = len(uid)
    return _table(
        "narratives",
        {
            "activity_uid": uid,
            "element": pa.array([element] * n, pa.string()),
            "seq": seq,
            "ord": ord_,
            "lang": lang,
            "text": text,
            "kind": kind if kind is not None else pa.nulls(n, pa.string()),
        },
    )


_NP_TYPES = {"uint32": np.uint32, "int32": np.int32, "int64": np.int64, "uint64": np.uint64, "double": np.float64}


def _np(a: Any, dtype: Any = None) -> np.ndarray:
    """A null-free Arrow array as NumPy, read from its buffer (``to_numpy`` and ``np.asarray`` import
    pandas, a tenth of a second in every worker)."""
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    if a.null_count:
        raise ValueError("nulls")  # never: callers pass level columns, masks and filled values
    if pa.types.is_boolean(a.type):
        a = pc.cast(a, pa.uint8())
        out = np.frombuffer(a.buffers()[1], dtype=np.uint8, count=len(a), offset=a.offset).astype(bool)
    else:
        np_type = np.dtype(_NP_TYPES[str(a.type)])
        out = np.frombuffer(a.buffers()[1], dtype=np_type, count=len(a), offset=a.offset * np_type.itemsize)
    return out.astype(dtype, copy=False) if dtype is not None else out


def _pick_per(group: np.ndarray, n: int, values: pa.Array, last: bool) -> pa.Array:
    """For groups 0..n-1 (``group`` sorted ascending, one entry per value), the last (or first)
    non-null value of each group; null where a group has none."""
    valid = _np(values.is_valid())
    g = group[valid]
    pos = np.nonzero(valid)[0]
    out = np.full(n, -1, dtype=np.int64)
    if len(g):
        edge = np.append(g[1:] != g[:-1], True) if last else np.insert(g[1:] != g[:-1], 0, True)
        out[g[edge]] = pos[edge]
    return values.take(pa.array(out, mask=out < 0))


def _last_per(group: np.ndarray, n: int, values: pa.Array) -> pa.Array:
    return _pick_per(group, n, values, last=True)


def _first_per(group: np.ndarray, n: int, values: pa.Array) -> pa.Array:
    return _pick_per(group, n, values, last=False)


def _any_valid(cols: list[pa.Array]) -> np.ndarray:
    m = np.zeros(len(cols[0]), dtype=bool)
    for c in cols:
        m |= _np(c.is_valid())
    return m


def _seq_within(group: np.ndarray) -> np.ndarray:
    """1-based position of each row within its (sorted, contiguous) group."""
    if not len(group):
        return np.zeros(0, dtype=np.int32)
    starts = np.insert(group[1:] != group[:-1], 0, True)
    first_pos = np.maximum.accumulate(np.where(starts, np.arange(len(group)), 0))
    return (np.arange(len(group)) - first_pos + 1).astype(np.int32)


def _table(name: str, cols: dict[str, Any]) -> pa.Table:
    arrays = []
    for c in COLUMNS[name]:
        v = cols.get(c)
        typ = _arrow_type(c)
        if v is None:
            n = len(next(iter(cols.values())))
            arrays.append(pa.nulls(n, typ))
        elif isinstance(v, np.ndarray):
            arrays.append(pa.array(v, type=typ))
        else:
            arrays.append(v.cast(typ) if v.type != typ else v)
    return pa.table(arrays, names=COLUMNS[name])


# -- the extraction ----------------------------------------------------------------------------------


def fast_tables(data: bytes, import_id: int, line_offset: int = 0, path: str = "") -> FastResult:
    """Ledger tables for a whole IATI document in ``data`` (a file, or a chunk with the root tags).

    Activities the compiled extractor cannot read exactly (multilingual narratives, results) are cut
    out of the document and read by :class:`~kizuna.ledger.iati.IatiReader` one by one; the rest go
    through ``xml2arrow`` in one pass. Raises :class:`Decline` when the reference reader must read the
    whole input instead. Lines are those of the document shifted by ``line_offset``, as
    :class:`~kizuna.ledger.iati.IatiReader` reports them.
    """
    root = re.search(rb"<iati-activities[\s>]", data[: 1 << 20])
    if root is None:
        raise Decline("no iati-activities root")
    root_end = data.find(b">", root.start())
    vm = VERSION_RE.search(data[root.start() : root_end + 1])
    version = vm.group(1).decode("utf-8", "replace").strip() if vm else ""
    if not version.startswith("2."):  # 1.0x or undeclared: 1.x codes are mapped by the reference reader
        raise Decline("not IATI 2.0x")
    prefixes = tuple(XMLNS_RE.findall(data[root.start() : root_end + 1]))
    if _other_lang_attribute(data):
        raise Decline("a lang attribute other than xml:lang")  # the extractor would read it as xml:lang
    lm = XML_LANG_RE.search(data[root.start() : root_end + 1])
    file_lang = (lm.group(1).decode("utf-8", "replace").strip().lower() or None) if lm else None
    # One scan finds the activities, their transactions and locations, and the marks of the activities
    # the extractor cannot read exactly.
    # found[1]: activity starts, [2]: transactions, [3]: locations, [0]: marks (the match's last group)
    found: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    for m in _scanner(prefixes).finditer(data):
        found[m.lastindex or 0].append(m.start())
    starts = found[1]
    close = data.rfind(b"</iati-activities>")
    if not starts or close < starts[-1]:
        raise Decline("no activities, or no closing root tag after them")
    # Lines: the line of each <iati-activity, counted as lxml does (1-based), plus the chunk offset.
    n = len(starts)
    lines = np.empty(n, dtype=np.int64)
    prev, line = 0, 1 + line_offset
    for i, s in enumerate(starts):
        line += data.count(b"\n", prev, s)
        lines[i] = line
        prev = s
    newlines = line - 1 - line_offset + data.count(b"\n", prev)
    ends = starts[1:] + [close]
    st = np.array(starts)

    def per_activity(pos: list[int]) -> np.ndarray:
        idx = np.searchsorted(st, np.array(pos, dtype=np.int64), side="right") - 1
        return np.bincount(idx[idx >= 0], minlength=n)

    expect = (per_activity(found[2]), per_activity(found[3]))
    hard = set(np.nonzero(per_activity(found[0]))[0].tolist())
    header = data[: root_end + 1]
    res: FastResult | None = None
    for _attempt in range(3):  # unseen transactions or locations, then text outside narratives
        easy = [i for i in range(n) if i not in hard]
        part: FastResult | None = None
        if easy:
            doc = (
                data
                if not hard
                else b"".join([header, *(data[starts[i] : ends[i]] for i in easy), b"</iati-activities>"])
            )
            try:
                part = _extract(doc, lines[easy], import_id, (expect[0][easy], expect[1][easy]), file_lang)
            except _Unseen as u:
                # A transaction or location the extractor saw no row for (no child element it reads):
                # those activities go to the reference reader, the rest are extracted again.
                hard |= {easy[i] for i in u.activities}
                continue
        res = (
            part
            if not hard
            else _merge(part, _careful(path, header, data, sorted(hard), starts, ends, lines, import_id))
        )
        break
    if res is None:
        raise Decline("transactions or locations the extractor cannot see")
    res.version = version or "unknown"
    res.newlines = newlines
    return res


def _other_lang_attribute(data: bytes) -> bool:
    """Whether ``data`` may hold a ``lang`` attribute that is not ``xml:lang`` (``lang="en"``,
    ``ns2:lang="en"``): xml2arrow matches attributes by local name and would read it as ``xml:lang``.
    ``?lang=en`` in a URL is text, not an attribute. ``bytes`` searches only (no regex: this runs on
    every byte of every file): two counts settle the common case, where every one is ``xml:lang``."""
    if data.count(b"lang=") == data.count(b"xml:lang="):
        return False
    i = data.find(b"lang=")
    while i >= 0:
        before = data[i - 4 : i]
        if before != b"xml:" and (before[-1:].isspace() or before[-1:] == b":"):
            return True
        i = data.find(b"lang=", i + 5)
    return False


class _Unseen(Exception):
    def __init__(self, activities: list[int]):
        self.activities = activities


# Marks of what the compiled extractor cannot read exactly: an element with several narratives (one per
# language; the reference reader picks by language); results (nested four deep); a namespaced
# extension element named like an element we read (the extractor matches local names). Activities
# holding one are read by the reference reader. Transactions and locations are counted too: one the
# extractor saw no row for (no child element it reads) sends its activity to the reference reader.
HARD_MARKS = rb"/narrative>\s*<narrative|result[\s>/]"
_SCANNERS: dict[tuple[bytes, ...], re.Pattern[bytes]] = {}


def _scanner(prefixes: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """The one-pass scan for a document whose root declares these namespace prefixes: group 1 is an
    activity start, 2 a transaction, 3 a location, any other match a mark. Every branch shares the
    leading ``<`` outside the groups, which keeps the regex engine's fast prefix search (a leading
    group would cost ten times as much)."""
    if prefixes not in _SCANNERS:
        names = b"|".join(re.escape(n) for n in sorted(READ_NAMES, key=len, reverse=True))
        extra = b"".join(rb"|" + re.escape(p) + rb":(?:" + names + rb")[\s>/]" for p in prefixes)
        _SCANNERS[prefixes] = re.compile(
            rb"<(?:(iati-activity[\s>/])|(transaction[\s>/])|(location[\s>/])|" + HARD_MARKS + extra + rb")"
        )
    return _SCANNERS[prefixes]


def _careful(
    path: str,
    header: bytes,
    data: bytes,
    idx: list[int],
    starts: list[int],
    ends: list[int],
    lines: np.ndarray,
    import_id: int,
) -> FastResult:
    """The reference reader on activities ``idx``, each parsed alone with its original line numbers."""
    from kizuna.ledger.iati import IatiReader
    from kizuna.ledger.rows import build_batch

    header_lines = header.count(b"\n")
    acts: list[Any] = []
    for i in idx:
        doc = header + data[starts[i] : ends[i]] + b"</iati-activities>"
        acts.extend(IatiReader(path, data=doc, line_offset=int(lines[i]) - header_lines - 1))
    batch, stats, warnings = build_batch(acts, import_id, "iati")
    pubs: Counter[str] = Counter(a.publisher_ref for a in acts if a.publisher_ref)
    return FastResult(batch.tables(), list(batch.uids), stats.activities, stats.transactions, warnings, pubs, "")


def _merge(a: FastResult | None, b: FastResult) -> FastResult:
    if a is None:
        return b
    if set(a.uids) & set(b.uids):
        raise Decline("an activity repeats in the input")
    tables = dict(a.tables)
    for name, tb in b.tables.items():
        tables[name] = pa.concat_tables([tables[name], tb]) if name in tables else tb
    return FastResult(
        tables,
        a.uids + b.uids,
        a.activities + b.activities,
        a.transactions + b.transactions,
        sorted(a.warnings + b.warnings, key=lambda w: w[1]),  # document order, as the reference gives them
        a.publishers + b.publishers,
        "",
    )


def _extract(
    data: bytes,
    lines: np.ndarray,
    import_id: int,
    expect: tuple[np.ndarray, np.ndarray] | None = None,
    file_lang: str | None = None,
) -> FastResult:
    """One xml2arrow pass over a document whose activities start on ``lines``. ``expect`` holds each
    activity's count of transaction and location elements: an activity with one the extractor saw no
    row for raises :class:`_Unseen`."""
    try:
        out = _parser().parse(data)
    except Exception as exc:  # xml2arrow's errors: malformed XML, repeated elements
        raise Decline(str(exc)) from None
    if out["res"].num_rows:
        raise Decline("results are read by the reference reader")
    kids, tx, loc = out["kids"], out["tx"], out["loc"]
    n = len(lines)
    k_act = _np(kids.column("<activity>"), np.int64)
    if n == 0 or not len(k_act) or k_act[-1] != n - 1 or len(np.unique(k_act)) != n:
        raise Decline("activity count mismatch")
    if expect is not None:
        seen = (_seen_per_activity(tx, n), _seen_per_activity(loc, n))
        unseen = np.nonzero((seen[0] != expect[0]) | (seen[1] != expect[1]))[0]
        if len(unseen):
            raise _Unseen(unseen.tolist())

    def kc(name: str) -> pa.Array:
        return kids.column(name)

    first_row = np.insert(k_act[1:] != k_act[:-1], 0, True)
    first_idx = pa.array(np.nonzero(first_row)[0])
    ident = _first_per(k_act, n, _strip(kc("ident")))
    if ident.null_count:
        raise Decline("an activity has no identifier")
    a_cur_raw = kc("a_cur").take(first_idx)
    default_cur = _upper_strip(a_cur_raw)
    pub_ref = _last_per(k_act, n, _strip(kc("ro_ref")))
    pub_type = _last_per(k_act, n, _nonempty(kc("ro_type")))
    ro_name = _name(kc("ro_narr"), kc("ro_text"))
    pub_name = _last_per(k_act, n, ro_name)
    ti_name = _name(kc("ti_narr"), kc("ti_text"))
    title = _last_per(k_act, n, ti_name)
    default_lang = pc.coalesce(_lang(kc("a_lang").take(first_idx)), pa.scalar(file_lang, pa.string()))
    # Description: the last general one (type 1 or none) with text, else the first other one with text.
    de_text = _name(kc("de_narr"), kc("de_text"))
    de_type = kc("de_type")
    general = pc.or_kleene(pc.is_null(de_type), pc.equal(de_type, "1"))
    desc_general = _last_per(k_act, n, pc.if_else(general, de_text, pa.scalar(None, pa.string())))
    desc_other = _first_per(k_act, n, pc.if_else(general, pa.scalar(None, pa.string()), de_text))
    description = pc.coalesce(desc_general, desc_other)
    status = _last_per(k_act, n, _nonempty(kc("st_code")))
    scope = _last_per(k_act, n, _nonempty(kc("sc_code")))
    uids = [activity_uid(p, i) for p, i in zip(pub_ref.to_pylist(), ident.to_pylist(), strict=True)]
    if len(set(uids)) != n:
        raise Decline("an activity repeats in the input")
    uid_arr = pa.array(uids, type=pa.string())

    # Activity dates: the last valid date of each type 1-4 (other types are kept by neither reader).
    ad_date = _dates(kc("ad_date"))
    ad_type = kc("ad_type")
    dates = {}
    for code in ("1", "2", "3", "4"):
        m = pc.and_kleene(pc.equal(ad_type, code), pc.is_valid(ad_date))
        dates[code] = _last_per(k_act, n, pc.if_else(m, ad_date, pa.scalar(None, pa.date32())))
    t: dict[str, pa.Table] = {}
    acts = _table(
        "activities",
        {
            "activity_uid": uid_arr,
            "iati_identifier": ident,
            "source": pa.array(["iati"] * n),
            "import_id": pa.array(np.full(n, import_id, dtype=np.int32)),
            "line": pa.array(lines.astype(np.int32)),
            "publisher_ref": pub_ref,
            "publisher_name": pub_name,
            "publisher_type": pub_type,
            "title": title,
            "description": description,
            "status_code": status,
            "default_currency": default_cur,
            "humanitarian": _map(kc("a_hum").take(first_idx), _bool, pa.bool_()),
            "hierarchy": _map(kc("a_hier").take(first_idx), _int_digits, pa.int32()),
            "scope_code": scope,
            "planned_start": dates["1"],
            "actual_start": dates["2"],
            "planned_end": dates["3"],
            "actual_end": dates["4"],
            "start_date": pc.coalesce(dates["2"], dates["1"]),
            "end_date": pc.coalesce(dates["4"], dates["3"]),
            "last_updated": kc("a_lu").take(first_idx),
            "default_lang": default_lang,
        },
    )
    t["activities"] = acts
    warnings: list[tuple[str, int, str, str]] = []

    def rows_of(mask: np.ndarray) -> tuple[np.ndarray, pa.Array]:
        return k_act[mask], pa.array(mask)

    # participating-org: every element with anything in it, numbered in order.
    po_name = _name(kc("po_narr"), kc("po_text"))
    po = _any_valid([kc("po_role"), kc("po_ref"), kc("po_type"), kc("po_act"), po_name])
    g, m = rows_of(po)
    if len(g):
        t["participating_orgs"] = _table(
            "participating_orgs",
            {
                "activity_uid": uid_arr.take(pa.array(g)),
                "seq": _seq_within(g),
                "role": _map(kc("po_role").filter(m), _int_digits, pa.int32()),
                "ref": _strip(kc("po_ref").filter(m)),
                "type": kc("po_type").filter(m),
                "name": po_name.filter(m),
                "org_activity_id": _strip(kc("po_act").filter(m)),
            },
        )
    narrs: list[pa.Table] = []

    def kid_narratives(element: str, name: pa.Array, p: str, kind: pa.Array | None = None) -> None:
        """One narrative per element of this kind with text (several narratives make the activity hard)."""
        valid = _np(name.is_valid())
        if not valid.any():
            return
        g, m = k_act[valid], pa.array(valid)
        dflt = default_lang.take(pa.array(g))
        lang = pc.coalesce(_narr_lang(kc(f"{p}_narr").filter(m), kc(f"{p}_nlang").filter(m), g), dflt)
        kinds = kind.filter(m) if kind is not None else None
        # the activity's one such narrative, in its language, is its activities column (iati._drop_implied)
        implied = (np.bincount(g, minlength=n)[g] == 1) & _np(_same(lang, dflt))
        if kinds is not None:
            implied &= _np(pc.or_kleene(pc.is_null(kinds), pc.equal(kinds, "1")).fill_null(False))
        own = ~implied
        if not own.any():
            return
        o = pa.array(own)
        narrs.append(
            _narratives(
                uid_arr.take(pa.array(g[own])),
                element,
                _seq_within(g)[own],
                np.ones(int(own.sum()), dtype=np.int32),
                lang.filter(o),
                name.filter(m).filter(o),
                kinds.filter(o) if kinds is not None else None,
            )
        )

    kid_narratives("title", ti_name, "ti")
    kid_narratives("description", de_text, "de", de_type)
    kid_narratives("reporting-org", ro_name, "ro")
    if "participating_orgs" in t:
        has = _np(po_name.is_valid()) & po
        if has.any():
            g_all = k_act[po]
            seq_all = _seq_within(g_all)
            keep = has[po]  # among the participating-org rows, those with a name
            m = pa.array(has)
            g = g_all[keep]
            dflt = default_lang.take(pa.array(g))
            lang = pc.coalesce(_narr_lang(kc("po_narr").filter(m), kc("po_nlang").filter(m), g), dflt)
            # one narrative in the activity's language is participating_orgs.name (iati._implied)
            own = ~_np(_same(lang, dflt))
            if own.any():
                o = pa.array(own)
                narrs.append(
                    _narratives(
                        uid_arr.take(pa.array(g[own])),
                        "participating-org",
                        seq_all[keep][own],
                        np.ones(int(own.sum()), dtype=np.int32),
                        lang.filter(o),
                        po_name.filter(m).filter(o),
                    )
                )
    rc_code = _upper_strip(kc("rc_code"))
    rc = _np(rc_code.is_valid())
    rc_pct = _map(kc("rc_pct"), _pct, pa.float64())
    g, m = rows_of(rc)
    if len(g):
        t["activity_countries"] = _table(
            "activity_countries",
            {"activity_uid": uid_arr.take(pa.array(g)), "code": rc_code.filter(m), "percentage": rc_pct.filter(m)},
        )
    rr_code = _strip(kc("rr_code"))
    g, m = rows_of(_np(rr_code.is_valid()))
    # Most files have no regions: their vocabulary and percentage columns are not worked out.
    rr_vocab = _or(_strip(kc("rr_vocab")), "1") if len(g) else pa.nulls(len(rr_code), pa.string())
    rr_pct = _map(kc("rr_pct"), _pct, pa.float64()) if len(g) else pa.nulls(len(rr_code), pa.float64())
    if len(g):
        t["activity_regions"] = _table(
            "activity_regions",
            {
                "activity_uid": uid_arr.take(pa.array(g)),
                "code": rr_code.filter(m),
                "vocabulary": rr_vocab.filter(m),
                "percentage": rr_pct.filter(m),
            },
        )
    se_code = _strip(kc("se_code"))
    se = _np(se_code.is_valid())
    se_vocab = pc.utf8_trim_whitespace(_or(kc("se_vocab"), "1"))
    se_pct = _map(kc("se_pct"), _pct, pa.float64())
    g, m = rows_of(se)
    if len(g):
        t["activity_sectors"] = _table(
            "activity_sectors",
            {
                "activity_uid": uid_arr.take(pa.array(g)),
                "vocabulary": se_vocab.filter(m),
                "code": se_code.filter(m),
                "percentage": se_pct.filter(m),
            },
        )
    pm = _any_valid([kc("pm_vocab"), kc("pm_code"), kc("pm_sig")])
    g, m = rows_of(pm)
    if len(g):
        t["policy_markers"] = _table(
            "policy_markers",
            {
                "activity_uid": uid_arr.take(pa.array(g)),
                "vocabulary": _or(kc("pm_vocab"), "1").filter(m),
                "code": kc("pm_code").filter(m),
                "significance": kc("pm_sig").filter(m),
            },
        )
    tg = _any_valid([kc("tg_vocab"), kc("tg_code"), _name(kc("tg_narr"), kc("tg_text"))])
    g, m = rows_of(tg)
    if len(g):
        t["tags"] = _table(
            "tags",
            {
                "activity_uid": uid_arr.take(pa.array(g)),
                "vocabulary": kc("tg_vocab").filter(m),
                "code": kc("tg_code").filter(m),
                "name": _name(kc("tg_narr"), kc("tg_text")).filter(m),
            },
        )
    bu_cols = ("bu_type", "bu_status", "bu_ps", "bu_pe", "bu_cur", "bu_vd")
    bu = _any_valid([kc(c) for c in bu_cols] + [_strip(kc("bu_val"))])
    g, m = rows_of(bu)
    if len(g):
        bu_value = _floats(_strip(kc("bu_val").filter(m)))
        # value/@currency, else the activity's default when there is an amount
        cur = pc.coalesce(
            _upper_strip(kc("bu_cur").filter(m)),
            pc.if_else(pc.is_valid(bu_value), default_cur.take(pa.array(g)), pa.scalar(None, pa.string())),
        )
        t["budgets"] = _table(
            "budgets",
            {
                "activity_uid": uid_arr.take(pa.array(g)),
                "seq": _seq_within(g),
                "type": _or(kc("bu_type").filter(m), "1"),
                "status": _or(kc("bu_status").filter(m), "1"),
                "period_start": _dates(_strip(kc("bu_ps").filter(m))),
                "period_end": _dates(_strip(kc("bu_pe").filter(m))),
                "value": bu_value,
                "currency": cur,
                "value_date": _dates(kc("bu_vd").filter(m)),
            },
        )
    n_tx = _transactions(t, tx, uid_arr, default_cur, warnings, n, k_act, kids, default_lang, narrs)
    if narrs:
        t["narratives"] = pa.concat_tables(narrs) if len(narrs) > 1 else narrs[0]
    _locations(t, loc, uid_arr, n)
    _percentage_warnings(
        warnings, uids, lines, k_act, n, (rc_code, rc_pct), (rr_code, rr_vocab, rr_pct), (se_code, se_vocab, se_pct)
    )
    pubs: Counter[str] = Counter(p for p in pub_ref.to_pylist() if p)
    return FastResult(t, uids, n, n_tx, warnings, pubs, "")


def _seen_per_activity(rows: pa.RecordBatch, n: int) -> np.ndarray:
    """How many elements (transactions, locations) of each activity a child table has rows for."""
    if not rows.num_rows:
        return np.zeros(n, dtype=np.int64)
    act = _np(rows.column("<activity>"), np.int64)
    child = _np(rows.column("<child>"), np.int64)
    new = np.insert((act[1:] != act[:-1]) | (child[1:] != child[:-1]), 0, True)
    return np.bincount(act[new], minlength=n)


def _transactions(
    t: dict[str, pa.Table],
    tx: pa.RecordBatch,
    uid_arr: pa.Array,
    default_cur: pa.Array,
    warnings: list[tuple[str, int, str, str]],
    n: int,
    k_act: np.ndarray,
    kids: pa.RecordBatch,
    default_lang: pa.Array,
    narrs: list[pa.Table],
) -> int:
    if not tx.num_rows:
        return 0
    r_act = _np(tx.column("<activity>"), np.int64)
    r_child = _np(tx.column("<child>"), np.int64)
    # One transaction per (activity, child) pair: rows of one transaction are contiguous.
    new = np.insert((r_act[1:] != r_act[:-1]) | (r_child[1:] != r_child[:-1]), 0, True)
    tid = np.cumsum(new) - 1
    n_tx = int(tid[-1]) + 1
    tx_act = r_act[new]
    seq = _seq_within(tx_act)

    def col(name: str) -> pa.Array:
        return tx.column(name)

    def per_tx(values: pa.Array) -> pa.Array:
        return _last_per(tid, n_tx, values)

    uid = uid_arr.take(pa.array(tx_act))
    first_idx = pa.array(np.nonzero(new)[0])
    dcur = default_cur.take(pa.array(tx_act))
    # Every value element is converted, not only the one kept: the reference reader warns about each
    # value that is not a number, even one a later value of the same transaction replaces.
    value = per_tx(_floats(_strip(col("v_val"))))
    cur = pc.coalesce(per_tx(_upper_strip(col("v_cur"))), dcur)  # value/@currency, else the default
    date = per_tx(_dates(col("td_date")))
    vd = pc.coalesce(per_tx(_dates(col("v_vd"))), date)
    pr = _any_valid([col(c) for c in ("pr_ref", "pr_act", "pr_narr", "pr_text")])
    re_ = _any_valid([col(c) for c in ("re_ref", "re_act", "re_narr", "re_text")])
    names = {"pr": _name(col("pr_narr"), col("pr_text")), "re": _name(col("re_narr"), col("re_text"))}
    ds = _any_valid([col(c) for c in ("ds_narr", "ds_text")])

    def only(mask: np.ndarray, values: pa.Array) -> pa.Array:
        return per_tx(pc.if_else(pa.array(mask), values, pa.scalar(None, values.type)))

    t["transactions"] = _table(
        "transactions",
        {
            "activity_uid": uid,
            "seq": seq,
            "ref": _strip(col("t_ref").take(first_idx)),
            "type_code": per_tx(_strip(col("tt_code"))),
            "date": date,
            "value": value,
            "currency": cur,
            "value_date": vd,
            "provider_ref": only(pr, _strip(col("pr_ref"))),
            "provider_name": only(pr, names["pr"]),
            "provider_activity_id": only(pr, _strip(col("pr_act"))),
            "receiver_ref": only(re_, _strip(col("re_ref"))),
            "receiver_name": only(re_, names["re"]),
            "receiver_activity_id": only(re_, _strip(col("re_act"))),
            "humanitarian": _map(col("t_hum").take(first_idx), _bool, pa.bool_()),
            "description": only(ds, _name(col("ds_narr"), col("ds_text"))),
        },
    )

    for element, p in (("provider-org", "pr"), ("receiver-org", "re")):
        name = names[p]
        valid = _np(name.is_valid())
        if not valid.any():
            continue
        m = pa.array(valid)
        rows = tid[valid]  # a transaction's provider (receiver) narratives in document order, numbered on
        dflt = default_lang.take(pa.array(tx_act[rows]))
        lang = pc.coalesce(_narr_lang(col(f"{p}_narr").filter(m), col(f"{p}_nlang").filter(m), tx_act[rows]), dflt)
        # one narrative in the activity's language is the transactions' name column (iati._implied)
        own = ~((np.bincount(rows, minlength=n_tx)[rows] == 1) & _np(_same(lang, dflt)))
        if own.any():
            o = pa.array(own)
            narrs.append(
                _narratives(
                    uid.take(pa.array(rows[own])),
                    element,
                    seq[rows][own],
                    _seq_within(rows)[own],
                    lang.filter(o),
                    name.filter(m).filter(o),
                )
            )

    def per_row(table: str, code: pa.Array, **extra: pa.Array) -> None:
        """One row per child element with a code, keyed to its transaction."""
        m = code.is_valid()
        if pc.any(m).as_py():
            rows = tid[_np(m)]
            cols = {"activity_uid": uid.take(pa.array(rows)), "seq": seq[rows], "code": code.filter(m)}
            t[table] = _table(table, cols | {k: v.filter(m) for k, v in extra.items()})

    per_row(
        "transaction_sectors",
        _strip(col("ts_code")),
        vocabulary=pc.utf8_trim_whitespace(_or(col("ts_vocab"), "1")),
    )
    per_row("transaction_countries", _upper_strip(col("tc_code")))
    per_row("transaction_regions", _strip(col("tr_code")), vocabulary=_or(_strip(col("tr_vocab")), "1"))
    # Per transaction, in order: no currency, then a type that is not a 2.0x code (as the reference).
    missing = _np(pc.and_kleene(pc.is_valid(value), pc.is_null(cur)).fill_null(False))
    type_code = t["transactions"].column("type_code")
    if all(c is None or c in TRANSACTION_TYPES for c in pc.unique(type_code).to_pylist()):
        unknown = np.zeros(n_tx, dtype=bool)  # the common case: every type on the 2.0x list
    else:
        known = pc.is_in(type_code, pa.array(sorted(TRANSACTION_TYPES)))
        unknown = _np(pc.and_kleene(pc.is_valid(type_code), pc.invert(known)).fill_null(False))
    for i in np.nonzero(missing | unknown)[0]:
        a = int(tx_act[i])
        placeholder = -1 - a  # replaced by the activity's line in _percentage_warnings
        if missing[i]:
            msg = f"transaction {int(seq[i])} has no currency and the activity no default-currency"
            warnings.append((str(uid_arr[a]), placeholder, "currency.missing", msg))
        if unknown[i]:
            msg = _type_unknown_message(int(seq[i]), type_code[int(i)].as_py())
            warnings.append((str(uid_arr[a]), placeholder, "transaction.type_unknown", msg))
    return n_tx


def _locations(t: dict[str, pa.Table], loc: pa.RecordBatch, uid_arr: pa.Array, n: int) -> None:
    if not loc.num_rows:
        return
    r_act = _np(loc.column("<activity>"), np.int64)
    r_child = _np(loc.column("<child>"), np.int64)
    new = np.insert((r_act[1:] != r_act[:-1]) | (r_child[1:] != r_child[:-1]), 0, True)
    lid = np.cumsum(new) - 1
    n_loc = int(lid[-1]) + 1
    l_act = r_act[new]

    def col(name: str) -> pa.Array:
        return loc.column(name)

    def first(values: pa.Array) -> pa.Array:
        return _first_per(lid, n_loc, values)

    def last(values: pa.Array) -> pa.Array:
        return _last_per(lid, n_loc, values)

    pos = first(_strip(col("pos")))
    lat, lon = [], []
    for p in pos.to_pylist():
        la = lo = None
        if p:
            parts = p.replace(",", " ").split()
            if len(parts) == 2:
                try:
                    a, b = float(parts[0]), float(parts[1])
                    if -90 <= a <= 90 and -180 <= b <= 180:
                        la, lo = a, b
                except ValueError:
                    pass
        lat.append(la)
        lon.append(lo)
    level = _strip(col("adm_level"))
    code = _strip(col("adm_code"))
    vocab = col("adm_vocab")
    # The reference reader's rule (IatiReader._read_location): per level, the last element with a code
    # (one without a code is skipped); admin_vocabulary is the vocabulary of adm1's element, else adm2's.
    rows = pa.array(np.arange(loc.num_rows, dtype=np.int64))
    none_i = pa.scalar(None, pa.int64())
    has_code = pc.is_valid(code)
    row1 = last(pc.if_else(pc.and_(pc.equal(level, "1"), has_code).fill_null(False), rows, none_i))
    row2 = last(pc.if_else(pc.and_(pc.equal(level, "2"), has_code).fill_null(False), rows, none_i))
    adm1, adm2 = code.take(row1), code.take(row2)
    vocabulary = pc.if_else(pc.is_valid(adm1), vocab.take(row1), vocab.take(row2))
    t["locations"] = _table(
        "locations",
        {
            "activity_uid": uid_arr.take(pa.array(l_act)),
            "seq": _seq_within(l_act),
            "ref": col("l_ref").take(pa.array(np.nonzero(new)[0])),
            "name": first(_name(col("ln_narr"), col("ln_text"))),
            "lat": pa.array(lat, type=pa.float64()),
            "lon": pa.array(lon, type=pa.float64()),
            "exactness": first(_strip(col("ex_code"))),
            "location_class": first(_strip(col("lc_code"))),
            "adm1": adm1,
            "adm2": adm2,
            "admin_vocabulary": vocabulary,
        },
    )


def _percentage_warnings(
    warnings: list[tuple[str, int, str, str]],
    uids: list[str],
    lines: np.ndarray,
    k_act: np.ndarray,
    n: int,
    countries: tuple[pa.Array, pa.Array],
    regions: tuple[pa.Array, pa.Array, pa.Array],
    sectors: tuple[pa.Array, pa.Array, pa.Array],
) -> None:
    """The warnings of IatiReader._check_percentages, with the same totals (summed in the same order)."""
    out: list[tuple[int, int, tuple[str, int, str, str]]] = []
    rc_code, rc_pct = countries
    rr_code, rr_vocab, rr_pct = regions
    rc = _np(rc_code.is_valid())
    rr = _np(rr_code.is_valid())
    # The region vocabulary that splits money, per activity: the lowest in region_vocabulary_rank order.
    best: dict[int, str] = {}
    if rr.any():
        enc = pc.dictionary_encode(rr_vocab)
        names = enc.dictionary.to_pylist()
        order = sorted(range(len(names)), key=lambda i: region_vocabulary_rank(names[i]))
        rank_of = np.empty(len(names), dtype=np.int64)
        rank_of[order] = np.arange(len(names))
        rank = rank_of[_np(enc.indices, np.int64)]
        lowest = np.full(n, len(names), dtype=np.int64)
        np.minimum.at(lowest, k_act[rr], rank[rr])
        rr = rr & (rank == lowest[k_act])
        best = {int(a): names[order[lowest[a]]] for a in np.nonzero(lowest < len(names))[0]}
    p = _np(rc_pct.fill_null(0.0))
    q = _np(rr_pct.fill_null(0.0))
    has = (_np(rc_pct.is_valid()) & rc) | (_np(rr_pct.is_valid()) & rr)
    any_pct = np.bincount(k_act[has], minlength=n) > 0
    total = np.bincount(k_act[rc], weights=p[rc], minlength=n) + np.bincount(k_act[rr], weights=q[rr], minlength=n)
    has_country = np.bincount(k_act[rc], minlength=n) > 0
    for a in np.nonzero(any_pct & (np.abs(total - 100.0) > 0.01))[0].tolist():
        msg = _recipient_message(bool(has_country[a]), best.get(a), float(total[a]))
        out.append((int(a), 0, (uids[a], int(lines[a]), "percentages.recipient", msg)))
    se_code, se_vocab, se_pct = sectors
    se_valid = _np(se_code.is_valid())
    if se_valid.any():
        # The vocabulary that splits money (money_sector_vocabulary): 1 if the activity has any, else 2.
        is1 = se_valid & _np(pc.equal(se_vocab, "1").fill_null(False))
        is2 = se_valid & _np(pc.equal(se_vocab, "2").fill_null(False))
        has1 = np.bincount(k_act[is1], minlength=n) > 0
        se = (is1 | (is2 & ~has1[k_act])) & _np(se_pct.is_valid())
        tot = np.bincount(k_act[se], weights=_np(se_pct.fill_null(0.0))[se], minlength=n)
        with_pct = np.bincount(k_act[se], minlength=n) > 0
        for a in np.nonzero(with_pct & (np.abs(tot - 100.0) > 0.01))[0].tolist():
            vocab = "1" if has1[a] else "2"
            msg = f"sector percentages (vocabulary {vocab}) sum to {tot[a]:g}, not 100; normalised"
            out.append((a, 1, (uids[a], int(lines[a]), "percentages.sector", msg)))
    for w in warnings:
        a = -1 - w[1]
        out.append((a, 2, (w[0], int(lines[a]), w[2], w[3])))
    out.sort(key=lambda x: (x[0], x[1]))  # stable: the reference reader's order within each kind
    warnings[:] = [w for _, _, w in out]
