"""A local stand-in for IATI's services, on 127.0.0.1, shaped like the real ones: for the tests, the fetch
benchmark and an offline demo of ``kizuna fetch``. It never touches the network.

* ``/datastore/activity/select``: the IATI Datastore's Solr ``select`` (``q``, ``fl``, ``sort``, ``rows``,
  ``start``, ``wt=json``), answering ``{"responseHeader": ..., "response": {"numFound", "start",
  "docs": [{"iati_identifier", "dataset_version", "iati_xml"}]}}``. It understands the clauses kizuna
  sends (country, publishers, activity dates, ``last_updated_datetime``) and refuses any other with 400.
* ``/registry/package_search``: the Dashboard's CKAN-compatible ``package_search`` (``fq`` on
  ``publisher_iati_id``/``organization``/``extras_filetype``, ``rows``, ``start``), listing files served
  at ``/files/<publisher>/<dataset>.xml``.

Activities come from IATI files (each activity as published, with its file's version) or are generated:
``[SYNTHETIC]`` activities of realistic size (a description, three participating organisations, two
sectors, two budgets, six transactions: about 4 KB each).

Faults can be queued for the tests: ``429`` (with ``Retry-After``), ``500``, ``truncate`` (a
Content-Length promising more than is sent), ``truncate-nolength`` (the body cut, no length),
``timeout`` (the answer held back longer than the client waits) and ``html`` (an error page with 200).

Demo (offline): serve the shared files, then fetch from it::

    python3 benchmarks/fake_iati_api.py ../shared/data/iati --port 8765 &
    kizuna fetch --country SS --datastore-url http://127.0.0.1:8765/datastore -w demo.duckdb

``python3 benchmarks/fake_iati_api.py --generate 20000 --country SS`` serves generated activities instead.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import threading
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lxml import etree

# --- data ----------------------------------------------------------------------------------------


@dataclass
class Activity:
    identifier: str
    xml: str  # the activity element as published
    version: str  # its file's @version
    publisher: str
    countries: frozenset[str]
    dates: tuple[date, ...] = ()
    updated: datetime | None = None


@dataclass
class Dataset:
    name: str
    publisher: str  # the Registry's short name (organization.name)
    publisher_iati_id: str
    data: bytes
    modified: str
    country: str | None = None

    @property
    def sha1(self) -> str:
        import hashlib

        return hashlib.sha1(self.data).hexdigest()  # noqa: S324 - the Registry's hash is sha1


SECTORS = ["15220", "15210", "15230", "72010", "72040", "12220", "11220", "31120", "14030", "16010", "15130"]
ORG_TYPES = ["10", "21", "22", "40", "80"]
_TEXT = (
    "community resilience peacebuilding dialogue reintegration livelihoods protection water sanitation health "
    "education food security local governance early warning mediation youth women displaced returnees "
    "agriculture markets conflict sensitivity social cohesion reconciliation"
)
WORDS = _TEXT.split()


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate(
    n: int,
    country: str = "SS",
    seed: int = 1,
    publishers: int = 5,
    start: int = 0,
    updated_from: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    updated_days: int = 900,
) -> list[Activity]:
    """``n`` clearly synthetic activities in ``country``: realistic IATI 2.03 structure and size (about
    4 KB each), deterministic for a seed; ``last-updated-datetime`` spread over ``updated_days`` days."""
    rng = random.Random(seed)
    out = []
    for i in range(start, start + n):
        p = 1 + i % publishers
        pub = f"XZ-SYN-{p}"
        ident = f"{pub}-{country}-{i:06d}"
        s = date(2018, 1, 1) + timedelta(days=rng.randrange(0, 2000))
        e = s + timedelta(days=rng.randrange(180, 1800))
        updated = updated_from + timedelta(days=rng.randrange(updated_days), seconds=rng.randrange(86400))
        sec = rng.sample(SECTORS, 2)
        pct = rng.choice([50, 60, 70, 80])
        partner = f"XZ-NGO-{rng.randrange(1, 60)}"
        budget = rng.randrange(50, 5000) * 1000
        parts = [
            f'<iati-activity last-updated-datetime="{updated.strftime("%Y-%m-%dT%H:%M:%SZ")}" xml:lang="en"'
            f' default-currency="USD" hierarchy="1">',
            f"<iati-identifier>{ident}</iati-identifier>",
            f'<reporting-org ref="{pub}" type="10"><narrative>[SYNTHETIC] Agency {p}</narrative></reporting-org>',
            f"<title><narrative>[SYNTHETIC] {_sentence(rng, 6)[:-1]} ({i})</narrative></title>",
            f'<description type="1"><narrative>{_sentence(rng, 20)} {_sentence(rng, 10)}</narrative></description>',
            f'<description type="2"><narrative>{_sentence(rng, 12)}</narrative></description>',
            f'<participating-org ref="{pub}" role="1" type="10"><narrative>[SYNTHETIC] Agency {p}</narrative>'
            "</participating-org>",
            f'<participating-org ref="{pub}" role="3" type="10"><narrative>[SYNTHETIC] Agency {p}</narrative>'
            "</participating-org>",
            f'<participating-org ref="{partner}" role="4" type="{rng.choice(ORG_TYPES)}">'
            f"<narrative>[SYNTHETIC] Partner {partner[-2:]}</narrative></participating-org>",
            f'<activity-status code="{rng.choice(["2", "2", "3", "4"])}"/>',
            f'<activity-date type="1" iso-date="{s.isoformat()}"/>',
            f'<activity-date type="2" iso-date="{(s + timedelta(days=30)).isoformat()}"/>',
            f'<activity-date type="3" iso-date="{e.isoformat()}"/>',
            '<contact-info type="1"><organisation><narrative>[SYNTHETIC] Agency</narrative></organisation>'
            "</contact-info>",
            f'<recipient-country code="{country}" percentage="100"/>',
            f'<sector vocabulary="1" code="{sec[0]}" percentage="{pct}"/>',
            f'<sector vocabulary="1" code="{sec[1]}" percentage="{100 - pct}"/>',
            '<collaboration-type code="1"/><default-flow-type code="10"/><default-finance-type code="110"/>'
            '<default-aid-type code="C01" vocabulary="1"/><default-tied-status code="5"/>',
        ]
        for y in range(2):
            bs = s + timedelta(days=365 * y)
            parts.append(
                f'<budget type="1" status="2"><period-start iso-date="{bs.isoformat()}"/>'
                f'<period-end iso-date="{(bs + timedelta(days=364)).isoformat()}"/>'
                f'<value currency="USD" value-date="{bs.isoformat()}">{budget // 2}</value></budget>'
            )
        for t in range(6):
            td = s + timedelta(days=60 * t + rng.randrange(30))
            kind = "2" if t == 0 else rng.choice(["3", "3", "4"])
            value = budget if t == 0 else rng.randrange(10, 400) * 1000
            parts.append(
                f'<transaction ref="{ident}-t{t}"><transaction-type code="{kind}"/>'
                f'<transaction-date iso-date="{td.isoformat()}"/>'
                f'<value currency="USD" value-date="{td.isoformat()}">{value}</value>'
                f"<description><narrative>{_sentence(rng, 4)}</narrative></description>"
                f'<provider-org ref="{pub}" provider-activity-id="{ident}" type="10">'
                f"<narrative>[SYNTHETIC] Agency {p}</narrative></provider-org>"
                f'<receiver-org ref="{partner}" type="21"><narrative>[SYNTHETIC] Partner {partner[-2:]}'
                "</narrative></receiver-org></transaction>"
            )
        parts.append("</iati-activity>")
        out.append(Activity(ident, "\n".join(parts), "2.03", pub, frozenset({country}), (s, e), updated))
    return out


def document(activities: Iterable[Activity], version: str = "2.03") -> bytes:
    """The activities as one IATI file (as a publisher would publish them)."""
    body = "\n".join(a.xml for a in activities)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="{version}" '
        f'generated-datetime="2026-01-01T00:00:00Z">\n{body}\n</iati-activities>\n'
    ).encode()


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def from_files(paths: Iterable[Path]) -> list[Activity]:
    """Every activity of these IATI files, as published (with its file's version)."""
    out = []
    for path in paths:
        root_version = "2.03"
        for ev, el in etree.iterparse(str(path), events=("start", "end"), resolve_entities=False, no_network=True):
            if ev == "start":
                if el.tag == "iati-activities":
                    root_version = el.get("version") or root_version
                continue
            if el.tag != "iati-activity":
                continue
            ident = (el.findtext("iati-identifier") or "").strip()
            rep = el.find("reporting-org")
            countries = {c.get("code", "").upper() for c in el.iter("recipient-country")}
            dates = tuple(d for d in (_date(x.get("iso-date")) for x in el.iter("activity-date")) if d)
            out.append(
                Activity(
                    ident,
                    etree.tostring(el, encoding="unicode"),
                    root_version,
                    rep.get("ref", "") if rep is not None else "",
                    frozenset(countries - {""}),
                    dates,
                    _time(el.get("last-updated-datetime")),
                )
            )
            el.clear(keep_tail=False)
            while el.getprevious() is not None:
                del el.getparent()[0]
    return out


def datasets_from_files(paths: Iterable[Path]) -> list[Dataset]:
    """Each file as a Registry dataset of the publisher that reports most of its activities."""
    out = []
    for path in paths:
        acts = from_files([path])
        refs = [a.publisher for a in acts]
        ref = max(set(refs), key=refs.count) if refs else "XZ-UNKNOWN"
        out.append(Dataset(path.stem, path.stem.split("-")[0].lower(), ref, path.read_bytes(), "2026-01-01T00:00:00"))
    return out


# --- the Solr query kizuna sends -----------------------------------------------------------------


def _split_and(q: str) -> list[str]:
    out, depth, quoted, cur = [], 0, False, []
    i = 0
    while i < len(q):
        c = q[i]
        if c == '"' and (i == 0 or q[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and c in "([":
            depth += 1
        elif not quoted and c in ")]":
            depth -= 1
        if not quoted and depth == 0 and q.startswith(" AND ", i):
            out.append("".join(cur))
            cur = []
            i += 5
            continue
        cur.append(c)
        i += 1
    out.append("".join(cur))
    return [c.strip() for c in out if c.strip()]


def _range(text: str) -> tuple[str | None, str | None]:
    m = re.fullmatch(r"\[(\S+) TO (\S+)\]", text)
    if not m:
        raise ValueError(text)
    lo, hi = m.groups()
    return (None if lo == "*" else lo), (None if hi == "*" else hi)


def matcher(q: str):
    """A predicate on :class:`Activity` for the Solr query kizuna builds; ValueError for anything else."""
    tests = []
    for clause in _split_and(q):
        if clause == "*:*":
            continue
        m = re.fullmatch(r"\(recipient_country_code:(\w+) OR transaction_recipient_country_code:(\w+)\)", clause)
        if m:
            tests.append(lambda a, c=m.group(1): c in a.countries)
            continue
        m = re.fullmatch(r"reporting_org_ref:\((.*)\)", clause)
        if m:
            refs = {json.loads(x) for x in re.findall(r'"(?:[^"\\]|\\.)*"', m.group(1))}
            tests.append(lambda a, r=frozenset(refs): a.publisher in r)
            continue
        m = re.fullmatch(r"activity_date_iso_date:(\[.*\])", clause)
        if m:
            lo, hi = _range(m.group(1))
            lo_d, hi_d = _date(lo), _date(hi)
            tests.append(
                lambda a, lo=lo_d, hi=hi_d: any((lo is None or d >= lo) and (hi is None or d <= hi) for d in a.dates)
            )
            continue
        m = re.fullmatch(r"last_updated_datetime:(\[.*\])", clause)
        if m:
            lo, _ = _range(m.group(1))
            since = _time(lo)
            tests.append(lambda a, s=since: a.updated is not None and (s is None or a.updated >= s))
            continue
        raise ValueError(f"the fake Datastore does not understand the clause {clause!r}")
    return lambda a: all(t(a) for t in tests)


# --- the server ----------------------------------------------------------------------------------


@dataclass
class Seen:
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class Fault:
    where: str  # 'select' | 'package_search' | 'files'
    kind: str  # '429' | '500' | '503' | 'truncate' | 'truncate-nolength' | 'timeout' | 'html'
    times: int = 1
    after: int = 0  # let this many matching requests through first
    retry_after: str | None = None
    seen: int = 0


@dataclass
class FakeIati:
    """The fake services on 127.0.0.1 (a free port unless given). Use as a context manager."""

    activities: list[Activity] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    key: str | None = None  # the subscription key the Datastore requires, if any
    port: int = 0
    gzip: bool = False  # compress answers for clients that accept gzip
    timeout_delay: float = 2.0  # how long a 'timeout' fault holds the answer back
    max_rows: int = 1000
    frozen: bool = False  # the activities will not change: each answer is built once, then sent as built
    faults: list[Fault] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.activities = sorted(self.activities, key=lambda a: a.identifier)
        self._lock = threading.Lock()
        self._found_cache: dict[Any, list[Activity]] = {}
        self._answers: dict[tuple[str, str, int, int], bytes] = {}
        self._docs: dict[tuple[int, tuple[str, ...]], tuple[str, bytes]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def datastore_url(self) -> str:
        return self.url + "/datastore"

    @property
    def registry_url(self) -> str:
        return self.url + "/registry"

    def fault(self, where: str, kind: str, times: int = 1, after: int = 0, retry_after: str | None = None) -> None:
        self.faults.append(Fault(where, kind, times, after, retry_after))

    def count(self, where: str) -> int:
        return sum(1 for r in self.requests if where in r.path)

    def start(self) -> FakeIati:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                fake._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeIati:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- answers

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        split = urllib.parse.urlsplit(h.path)
        params = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        with self._lock:
            self.requests.append(Seen(split.path, params, {k.lower(): v for k, v in h.headers.items()}))
        try:
            if split.path.endswith("/activity/select"):
                self._select(h, params)
            elif split.path.endswith("/package_search"):
                self._package_search(h, params)
            elif split.path.startswith("/files/"):
                self._file(h, split.path)
            else:
                self._send(h, 404, b'{"error": "not found"}', "application/json", "files")
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a 'timeout' fault)
            pass

    def _fault(self, where: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.where == where and f.times > 0:
                    f.seen += 1
                    if f.seen > f.after:
                        f.times -= 1
                        return f
        return None

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str, where: str) -> None:
        fault = self._fault(where)
        headers = {"Content-Type": ctype}
        if fault is not None:
            if fault.kind in ("429", "500", "503"):
                status = int(fault.kind)
                body = b'{"statusCode": %d, "message": "fault"}' % status
                if fault.retry_after is not None:
                    headers["Retry-After"] = fault.retry_after
            elif fault.kind == "html":
                body, headers["Content-Type"] = (
                    b"<!DOCTYPE html><html><body>Service unavailable</body></html>",
                    "text/html",
                )
            elif fault.kind == "timeout":
                time.sleep(self.timeout_delay)
        if self.gzip and "gzip" in (h.headers.get("Accept-Encoding") or ""):
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        if fault is not None and fault.kind == "truncate-nolength":
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.close_connection = True
            return
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if fault is not None and fault.kind == "truncate":
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        h.wfile.write(body)

    def _select(self, h: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
        if self.key is not None and h.headers.get("Ocp-Apim-Subscription-Key") != self.key:
            body = b'{"statusCode": 401, "message": "Access denied due to missing subscription key."}'
            h.send_response(401)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        try:
            match = matcher(params.get("q", "*:*"))
            rows = min(int(params.get("rows", "10")), self.max_rows)
            start = int(params.get("start", "0"))
        except ValueError as exc:
            self._send(h, 400, json.dumps({"error": {"msg": str(exc), "code": 400}}).encode(), "application/json", "-")
            return
        key = (params.get("q", "*:*"), params.get("fl", ""), rows, start)
        if self.frozen and key in self._answers:
            self._send(h, 200, self._answers[key], "application/json;charset=utf-8", "select")
            return
        found = self._found(params.get("q", "*:*"), match)
        fields = [f for f in ("iati_identifier", "dataset_version", "iati_xml") if f in (params.get("fl") or "")]
        docs = b",".join(self._doc(a, tuple(fields) or ("iati_identifier",)) for a in found[start : start + rows])
        head = json.dumps({"status": 0, "QTime": 1, "params": params})
        body = (
            (
                f'{{"responseHeader": {head}, "response": {{"numFound": {len(found)}, "start": {start}, '
                f'"numFoundExact": true, "docs": ['
            ).encode()
            + docs
            + b"]}}"
        )
        if self.frozen:
            self._answers[key] = body
        self._send(h, 200, body, "application/json;charset=utf-8", "select")

    def _found(self, q: str, match: Any) -> list[Activity]:
        # A real Datastore is a Solr cluster: answers should not wait on this stand-in filtering every
        # activity again for each page of the same question.
        key = (q, id(self.activities), len(self.activities))
        with self._lock:
            hit = self._found_cache.get(key)
        if hit is None:
            hit = [a for a in self.activities if match(a)]
            with self._lock:
                self._found_cache = {key: hit}
        return hit

    def _doc(self, a: Activity, fields: tuple[str, ...]) -> bytes:
        # Each activity's JSON document is encoded once (again if a test changes its XML).
        cached = self._docs.get((id(a), fields))
        if cached is not None and cached[0] is a.xml:
            return cached[1]
        values = {"iati_identifier": a.identifier, "dataset_version": a.version, "iati_xml": a.xml}
        enc = json.dumps({f: values[f] for f in fields}).encode()
        self._docs[(id(a), fields)] = (a.xml, enc)
        return enc

    def _package_search(self, h: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
        wanted: list[tuple[str, str]] = []
        for clause in _split_and(params.get("fq", "")):
            name, _, value = clause.partition(":")
            wanted.append((name, value))
        rows, start = int(params.get("rows", "10")), int(params.get("start", "0"))
        hits = []
        for d in self.datasets:
            fields = {
                "publisher_iati_id": d.publisher_iati_id,
                "organization": d.publisher,
                "extras_filetype": "activity",
            }
            if all(fields.get(k) == v for k, v in wanted):
                hits.append(d)
        results = [
            {
                "id": f"00000000-0000-0000-0000-{k:012d}",
                "name": d.name,
                "title": d.name,
                "license_id": "cc-by",
                "organization": {"name": d.publisher, "title": d.publisher, "type": "organization"},
                "owner_org": d.publisher,
                "private": False,
                "state": "active",
                "extras": [
                    {"key": "filetype", "value": "activity"},
                    {"key": "iati_version", "value": "2.03"},
                    {"key": "data_updated", "value": d.modified.replace("T", " ")},
                ]
                + ([{"key": "country", "value": d.country}] if d.country else []),
                "resources": [
                    {
                        "format": "IATI-XML",
                        "hash": d.sha1,
                        "last_modified": d.modified,
                        "url": f"{self.url}/files/{d.publisher}/{d.name}.xml",
                        "size": len(d.data),
                    }
                ],
                "publisher_iati_id": d.publisher_iati_id,
            }
            for k, d in enumerate(hits[start : start + rows])
        ]
        answer = {"next": None, "previous": None, "result": {"count": len(hits), "results": results}}
        self._send(h, 200, json.dumps(answer).encode(), "application/json", "package_search")

    def _file(self, h: BaseHTTPRequestHandler, path: str) -> None:
        for d in self.datasets:
            if path == f"/files/{d.publisher}/{d.name}.xml":
                self._send(h, 200, d.data, "application/xml", "files")
                return
        self._send(h, 404, b"<html><body>404</body></html>", "text/html", "-")


def main() -> None:
    ap = argparse.ArgumentParser(description="A local stand-in for the IATI Datastore and Registry (offline).")
    ap.add_argument("folders", nargs="*", type=Path, help="IATI files or folders of them to serve")
    ap.add_argument("--generate", type=int, default=0, help="serve this many generated [SYNTHETIC] activities")
    ap.add_argument("--country", default="SS", help="the generated activities' country")
    ap.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free one)")
    ap.add_argument("--key", default=None, help="require this subscription key, as the real Datastore does")
    args = ap.parse_args()
    files = [q for p in args.folders for q in (sorted(p.rglob("*.xml")) if p.is_dir() else [p])]
    acts = from_files(files) + generate(args.generate, args.country)
    fake = FakeIati(acts, datasets_from_files(files), key=args.key, port=args.port, frozen=True).start()
    print(f"fake IATI Datastore: {fake.datastore_url} ({len(acts)} activities)", flush=True)
    print(f"fake IATI Registry:  {fake.registry_url} ({len(fake.datasets)} files)", flush=True)
    print(
        f"try: kizuna fetch --country {args.country} --datastore-url {fake.datastore_url} --min-interval 0", flush=True
    )
    try:
        fake.thread.join()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
