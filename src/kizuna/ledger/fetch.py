"""Download IATI activities from IATI's public services into a local cache, then ingest them: the library
call behind ``kizuna fetch``, the one command (with ``kizuna codelists update``) that uses the network.

Two sources, each as its owner documents it:

* **The IATI Datastore** (version 3; https://docs.datastore.iatistandard.org/en/latest/api and
  https://iatistandard.org/en/iati-tools-and-resources/iati-datastore/how-to-use-the-datastore-api):
  a Solr ``select`` on the activity collection, ``GET {base}/activity/select?q=...&fl=iati_xml,...
  &rows=R&start=S&sort=iati_identifier asc&wt=json``. The answer is Solr's JSON,
  ``{"response": {"numFound", "start", "docs": [...]}}``; the ``iati_xml`` field of a document is
  the activity's XML as published (the documentation: "You can pass iati_xml to the fl parameter to
  get back a string of the XML of the activity"), ``dataset_version`` its file's ``@version``. Each
  page becomes ``<iati-activities>`` documents in the cache (of at most 500 activities, one or more
  per version on the page). Every
  request carries the subscription key of IATI's API Gateway in the ``Ocp-Apim-Subscription-Key``
  header (https://developer.iatistandard.org; an "Exploratory" key allows 5 calls a minute, 100 a
  week; "Full Access" is unlimited with high rate limits).
* **The IATI Registry's list of publishers' files**, through the read-only CKAN-compatible API that
  the IATI Dashboard serves since the Registry was replaced in December 2025
  (https://dashboard.iatistandard.org/api/limited-ckan-compatible/package_search, specified in
  IATI/iati-unified-platform-docs: ``fq`` on ``organization``, ``publisher_iati_id`` and
  ``extras_filetype`` joined by `` AND ``, paged by ``rows``/``start``; the answer is
  ``{"result": {"count", "results": [{"name", "organization", "resources": [{"url", "hash",
  "last_modified"}], "extras": [...]}]}}``). Each activity file is downloaded from its publisher's
  own server, without the key (the key is the Datastore's and never leaves for another host).

Cache layout (next to the workspace by default: ``<workspace folder>/kizuna-fetch/``)::

    datastore/<selection>-<hash>/query.json        the query, numFound, started/completed (UTC)
    datastore/<selection>-<hash>/page-000000.xml   the page's activities as IATI documents of 500
    datastore/<selection>-<hash>/page-000000-1.xml (and so on)
    datastore/<selection>-<hash>/page-000000.json  its provenance: URL, time retrieved, files' sha256
    registry/<publisher>/<dataset>.xml (+ .json)    a publisher's file and its provenance

A page or file lands under its final name only once it is whole (written to ``.part``, then renamed),
and its ``.json`` only after it: an interrupted run leaves whole pages, which the next run keeps,
asking only for the rest. A complete Datastore answer is reused as is (no request): ``--since last``
asks for what changed after it, ``--refresh`` asks again. A Registry file is downloaded again only
when the Registry's hash or modification time for it changed.

Every request waits its turn (``min_interval`` seconds after the previous one), has a timeout, and is
retried on a timeout, a dropped connection, a truncated body, 429 (after the ``Retry-After`` the
server asks for) and 500/502/503/504 (exponential backoff with jitter). The key is read from an
environment variable and is never printed, written to the cache or stored in the workspace.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import queue
import random
import re
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, NoReturn

from kizuna import __version__
from kizuna.errors import InputError, KizunaError, Message, Where
from kizuna.i18n import N_
from kizuna.ledger.endpoints import DATASTORE_URL, KEY_ENV, PAGE_ROWS, REGISTRY_URL

KEY_HEADER = "Ocp-Apim-Subscription-Key"
REGISTRY_ROWS = 1000
CACHE_FOLDER = "kizuna-fetch"
USER_AGENT = f"kizuna/{__version__} (IATI fetch)"
RETRY_STATUSES = {408, 500, 502, 503, 504}
FIELDS = "iati_identifier,dataset_version,iati_xml"
_XML_DECL = re.compile(r"^\s*(\ufeff)?\s*<\?xml[^>]*\?>\s*")
_COMMENT = re.compile(rb"<!--.*?-->", re.S)

Progress = Callable[[int, int | None, str], None]  # done, total (None: not known yet), what
Ready = tuple[Path, dict[str, Any], str]  # a file whole in the cache: its path, provenance, sha256
Sink = Callable[[list[Ready]], None]  # told of each page's or file's files as soon as they are whole


# --- what to fetch -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The activities asked for. Every part is optional, but a Datastore fetch needs a country or a
    publisher (the whole of IATI is a million activities: that is the Bulk Data Service's job)."""

    country: str | None = None  # ISO 3166-1 alpha-2, upper case
    publishers: tuple[str, ...] = ()  # reporting-org refs (US-GOV-1) or Registry short names (usaid)
    date_from: date | None = None  # activities running on or after this day
    date_to: date | None = None  # activities running on or before this day
    since: datetime | None = None  # records the publisher updated at or after this time (UTC)

    def solr_q(self) -> str:
        """The Datastore query (Solr syntax, clauses joined by AND).

        * country: the activity's ``recipient-country`` or any transaction's (US agencies put the
          country on transactions only), ``recipient_country_code`` / ``transaction_recipient_country_code``;
        * publishers: ``reporting_org_ref``, quoted (identifiers hold hyphens);
        * ``date_from``/``date_to``: an activity runs in the range when one of its activity dates is on
          or before the end and one is on or after the start (``activity_date_iso_date`` holds every
          planned and actual start and end date: for start <= end, that is "start <= to and end >= from");
        * ``since``: ``last_updated_datetime`` (the activity's ``@last-updated-datetime``) at or after it.
        """
        clauses = []
        if self.country:
            clauses.append(
                f"(recipient_country_code:{self.country} OR transaction_recipient_country_code:{self.country})"
            )
        if self.publishers:
            clauses.append("reporting_org_ref:(" + " OR ".join(_solr_quote(p) for p in self.publishers) + ")")
        if self.date_to:
            clauses.append(f"activity_date_iso_date:[* TO {self.date_to.isoformat()}T23:59:59Z]")
        if self.date_from:
            clauses.append(f"activity_date_iso_date:[{self.date_from.isoformat()}T00:00:00Z TO *]")
        if self.since:
            clauses.append(f"last_updated_datetime:[{_solr_time(self.since)} TO *]")
        return " AND ".join(clauses) or "*:*"

    def describe(self) -> str:
        parts = []
        if self.country:
            parts.append(f"country {self.country}")
        if self.publishers:
            parts.append("publisher " + ", ".join(self.publishers))
        if self.date_from or self.date_to:
            parts.append(f"running {self.date_from or '...'} to {self.date_to or '...'}")
        if self.since:
            parts.append(f"updated since {_solr_time(self.since)}")
        return "; ".join(parts) or "everything"

    def slug(self) -> str:
        parts = ([f"country-{self.country}"] if self.country else []) + [f"pub-{p}" for p in self.publishers]
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join(parts) or "all")[:80]

    def as_dict(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "publishers": list(self.publishers),
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "since": _solr_time(self.since) if self.since else None,
        }


def _solr_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _solr_time(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_since(raw: str) -> datetime | str:
    """``--since``: a day (``2026-01-31``, from its start, UTC), a time (``2026-01-31T12:00:00Z``; no
    zone means UTC), or ``last`` (the start of this selection's last complete download in the cache)."""
    if raw.strip().lower() == "last":
        return "last"
    text = raw.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            "cli.bad_date",
            N_("'{raw}' is not a date or time"),
            Where(field="--since"),
            hint=N_("use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or 'last'"),
            params={"raw": raw},
        ) from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def check_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased (IATI's Country codelist; XK for Kosovo as IATI has it)."""
    import pycountry

    c = code.strip().upper()
    if c == "XK" or (len(c) == 2 and pycountry.countries.get(alpha_2=c) is not None):
        return c
    raise InputError(
        "fetch.country",
        N_("'{code}' is not an ISO 3166-1 alpha-2 country code"),
        Where(field="--country"),
        hint=N_("two letters, e.g. SS (South Sudan), AF (Afghanistan), CF (Central African Republic)"),
        params={"code": code},
    )


@dataclass
class FetchOptions:
    """How to fetch: where from, where to, how politely."""

    cache_dir: Path
    source: str = "datastore"  # 'datastore' | 'registry'
    datastore_url: str = DATASTORE_URL
    registry_url: str = REGISTRY_URL
    rows: int = PAGE_ROWS
    timeout: float = 60.0  # seconds, per connection attempt and per read
    retries: int = 5  # further attempts after the first, per request
    backoff: float = 2.0  # seconds: the first retry waits about this, doubling each time
    max_wait: float = 300.0  # a Retry-After longer than this stops the run (a quota, not a blip)
    min_interval: float = 1.0  # seconds between the starts of two requests
    refresh: bool = False  # ask again even for what the cache holds
    key_env: str = KEY_ENV

    def api_key(self) -> str | None:
        return os.environ.get(self.key_env) or None


def default_cache_dir(workspace: Path) -> Path:
    """The cache beside a workspace file: ``<its folder>/kizuna-fetch``."""
    return workspace.resolve().parent / CACHE_FOLDER


# --- HTTP ----------------------------------------------------------------------------------------


class _Retry(Exception):
    """A failure worth another attempt: ``code`` names it for the final error if attempts run out."""

    def __init__(self, code: str, message: str, wait: float | None = None, params: dict[str, Any] | None = None):
        super().__init__(message)
        # the message is a catalogue id: shown inside the final error in the reader's language
        self.code, self.message, self.wait = code, Message(message, params), wait


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    retrieved_at: datetime
    sha256: str | None  # of the file written (``dest``), as its bytes went to disk
    size: int  # bytes received
    body: bytes | None = None  # when read into memory (JSON answers)
    path: Path | None = None  # when streamed to a file
    parsed: Any = None  # the JSON answer, once a check has parsed it


class Http:
    """A small polite HTTP client over the standard library (``urllib``): no new dependency for the one
    command that downloads, and ``urllib`` honours the usual proxy variables (``https_proxy``).

    ``sleep`` and ``clock`` are injectable so tests need not wait.
    """

    def __init__(
        self,
        options: FetchOptions,
        *,
        key: str | None = None,
        key_host: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ):
        self.o = options
        self._key = key
        self._key_host = key_host  # the key goes to this host only
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self._last: float | None = None
        self.requests = 0
        self.retries = 0
        self.waits: list[float] = []  # every pause taken for backoff or Retry-After, in seconds
        self.bytes = 0

    def _headers(self, url: str, accept: str) -> tuple[dict[str, str], dict[str, str]]:
        plain = {"User-Agent": USER_AGENT, "Accept": accept, "Accept-Encoding": "gzip"}
        secret = {}
        if self._key and urllib.parse.urlsplit(url).netloc == self._key_host:
            secret[KEY_HEADER] = self._key
        return plain, secret

    def _pace(self) -> None:
        if self._last is not None and self.o.min_interval > 0:
            wait = self.o.min_interval - (self.clock() - self._last)
            if wait > 0:
                self.sleep(wait)
        self._last = self.clock()

    def get(
        self,
        url: str,
        *,
        accept: str = "application/json",
        dest: Path | None = None,
        check: Callable[[Response], None] | None = None,
    ) -> Response:
        """GET ``url`` with retries: into memory, or streamed to ``dest`` (written whole or not at all).
        ``check`` validates a complete answer and raises :class:`_Retry` for one that is not (a JSON
        body cut short without a Content-Length, an XML file without its closing tag)."""
        attempt = 0
        while True:
            self._pace()
            self.requests += 1
            try:
                resp = self._once(url, accept, dest)
                if check is not None:
                    check(resp)
                if dest is not None:
                    os.replace(_part(dest), dest)
                    resp.path = dest
                return resp
            except KizunaError:
                if dest is not None:
                    _unlink(_part(dest))
                raise
            except _Retry as exc:
                if dest is not None:
                    _unlink(_part(dest))
                if attempt >= self.o.retries:
                    raise KizunaError(
                        f"fetch.{exc.code}",
                        N_("{message} (after {attempt} attempts)"),
                        Where(file=url),
                        hint=_HINTS.get(exc.code),
                        params={"message": exc.message, "attempt": attempt + 1},
                    ) from None
                attempt += 1
                self.retries += 1
                backoff = self.o.backoff * 2 ** (attempt - 1) * (0.5 + self.rng.random() / 2)
                wait = exc.wait if exc.wait is not None else backoff  # a Retry-After is the server's to set
                self.waits.append(wait)
                self.sleep(wait)

    def _once(self, url: str, accept: str, dest: Path | None) -> Response:
        plain, secret = self._headers(url, accept)
        req = urllib.request.Request(url, headers=plain)
        for k, v in secret.items():
            req.add_unredirected_header(k, v)  # never forwarded to a host a redirect points at
        try:
            resp = urllib.request.urlopen(req, timeout=self.o.timeout)  # noqa: S310 - http(s) URLs we built
        except urllib.error.HTTPError as exc:
            self._http_error(url, exc)
        except TimeoutError as exc:
            raise _Retry("timeout", N_("no answer within {timeout:g} s"), params={"timeout": self.o.timeout}) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Retry(
                    "timeout",
                    N_("no answer within {timeout:g} s"),
                    params={"timeout": self.o.timeout},
                ) from exc
            raise _Retry("offline", N_("cannot reach the server: {reason}"), params={"reason": exc.reason}) from exc
        except (ConnectionError, http.client.HTTPException) as exc:
            raise _Retry(
                "offline",
                N_("the connection failed: {error_type}"),
                params={"error_type": type(exc).__name__},
            ) from exc
        with resp:
            return self._read(url, resp, dest)

    def _http_error(self, url: str, exc: urllib.error.HTTPError) -> NoReturn:
        status = exc.code
        retry_after = exc.headers.get("Retry-After") if exc.headers else None
        exc.close()
        if status == 429 or (status in RETRY_STATUSES and retry_after):
            wait = _retry_after(retry_after)
            if wait is not None and wait > self.o.max_wait:
                raise KizunaError(
                    "fetch.rate_limited",
                    N_("the server asks to wait {wait:.0f} s before the next request (HTTP {status})"),
                    Where(file=url),
                    hint=_HINTS["rate_limited"],
                    params={"wait": wait, "status": status},
                )
            raise _Retry(
                "rate_limited" if status == 429 else "server",
                N_("HTTP {status}"),
                wait,
                params={"status": status},
            )
        if status in RETRY_STATUSES:
            raise _Retry("server", N_("HTTP {status} from the server"), params={"status": status})
        if status in (401, 403):
            raise KizunaError(
                "fetch.unauthorized",
                N_("HTTP {status}: the server refused the request"),
                Where(file=url),
                _HINTS["key"],
                params={"status": status},
            )
        raise KizunaError(
            "fetch.not_found" if status == 404 else "fetch.http",
            N_("HTTP {status} {reason}"),
            Where(file=url),
            hint=N_("check the URL and the selection") if status == 404 else None,
            params={"status": status, "reason": exc.reason},
        )

    def _read(self, url: str, resp: Any, dest: Path | None) -> Response:
        headers = {k.lower(): v for k, v in resp.headers.items()}
        length = headers.get("content-length")
        gzipped = headers.get("content-encoding", "").lower() == "gzip"
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
        h = hashlib.sha256() if dest is not None else None
        got = 0
        chunks: list[bytes] = []
        out = open(_part(dest), "wb") if dest is not None else None  # noqa: SIM115 - closed below
        try:
            while True:
                try:
                    block = resp.read(1 << 20)
                except http.client.IncompleteRead as exc:
                    raise _Retry(
                        "truncated",
                        N_("the answer was cut short after {got} bytes"),
                        params={"got": got + len(exc.partial)},
                    ) from exc
                except TimeoutError as exc:
                    raise _Retry(
                        "timeout",
                        N_("the answer stalled for {timeout:g} s"),
                        params={"timeout": self.o.timeout},
                    ) from exc
                except (ConnectionError, http.client.HTTPException) as exc:
                    raise _Retry(
                        "truncated",
                        N_("the connection dropped after {got} bytes"),
                        params={"got": got},
                    ) from exc
                if not block:
                    break
                got += len(block)
                data = inflate.decompress(block) if inflate is not None else block
                if out is not None and h is not None:
                    h.update(data)
                    out.write(data)
                else:
                    chunks.append(data)
            if length is not None and length.isdigit() and got < int(length):
                raise _Retry(
                    "truncated",
                    N_("the answer was cut short: {got} of {length} bytes"),
                    params={"got": got, "length": length},
                )
            if inflate is not None and not inflate.eof:
                raise _Retry("truncated", N_("the compressed answer ends before its end"))
        except zlib.error as exc:
            raise _Retry(
                "truncated", N_("the compressed answer is damaged: {error}"), params={"error": str(exc)}
            ) from exc
        finally:
            if out is not None:
                out.close()
        self.bytes += got
        r = Response(url, resp.status, headers, datetime.now(UTC), h.hexdigest() if h else None, got)
        if dest is not None:
            r.path = _part(dest)  # renamed to ``dest`` once checked whole (see :meth:`get`)
        else:
            r.body = b"".join(chunks)
        return r


# Hints are catalogue ids (translated where shown); the key hint names KEY_ENV's value literally.
_HINTS = {
    "key": N_(
        "the IATI Datastore needs a free subscription key from https://developer.iatistandard.org: "
        "put it in the environment variable IATI_API_KEY (or the one --key-env names)"
    ),
    "rate_limited": N_(
        "an Exploratory key allows 5 calls a minute and 100 a week; wait, raise --min-interval, "
        "or ask IATI for a Full Access key"
    ),
    "timeout": N_("the service is slow or unreachable: try again later, or raise --timeout"),
    "offline": N_("you seem to be offline, or the service is down: the cache keeps what arrived; run again later"),
    "truncated": N_("the answer kept arriving cut short: run again later (what arrived whole is kept)"),
    "server": N_("the service kept failing: run again later (what arrived whole is kept)"),
    "bad_response": N_("the service answered something kizuna does not understand: check --datastore-url"),
}
assert KEY_ENV in _HINTS["key"]


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    v = value.strip()
    if v.isdigit():
        return float(v)
    try:
        when = parsedate_to_datetime(v)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _part(dest: Path | None) -> Path:
    assert dest is not None
    return dest.with_name(dest.name + ".part")


def _unlink(p: Path) -> None:
    p.unlink(missing_ok=True)


# --- results -------------------------------------------------------------------------------------


@dataclass
class Fetched:
    """What a download gives the ingest: files in order, each file's provenance, and what went wrong."""

    source: str
    folder: Path
    files: list[Path] = field(default_factory=list)
    provenance: dict[Path, dict[str, Any]] = field(default_factory=dict)
    sha256: dict[Path, str] = field(default_factory=dict)  # of each file, as written or checked
    downloaded: int = 0  # pages or files that came over the network in this run
    cached: int = 0  # pages or files the cache already held
    activities: int | None = None  # the Datastore's numFound
    failed: list[tuple[str, KizunaError]] = field(default_factory=list)  # (what, why), with keep_going
    stopped: KizunaError | None = None  # what ended the download early (files before it are returned)
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    bytes: int = 0


@dataclass
class FetchPlan:
    """What a run would do, without doing it (``--dry-run``): no request, no file, no workspace."""

    source: str
    selection: str
    first_request: str
    folder: Path
    cache: str
    key: str
    politeness: str


# --- cache files ---------------------------------------------------------------------------------


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _sha256(path: Path) -> str:
    from kizuna.workspace import file_sha256

    return file_sha256(path)


def _provenance(side: dict[str, Any]) -> dict[str, Any]:
    return {
        "source_url": side["url"],
        "retrieved_at": datetime.fromisoformat(side["retrieved_at"]),
    }


def _whole(folder: Path, side: dict[str, Any] | None) -> bool:
    """A cached page or file is whole when every file its provenance lists is there with its sha256."""
    if not side or not isinstance(side.get("files"), list):
        return False
    for f in side["files"]:
        p = folder / f["name"]
        if not p.is_file() or _sha256(p) != f["sha256"]:
            return False
    return True


# --- the Datastore -------------------------------------------------------------------------------


def _datastore_folder(options: FetchOptions, sel: Selection) -> tuple[Path, str]:
    # The folder is the question asked (URL, query, page size); ``--since last`` looks for earlier
    # answers to the same question without its ``since``.
    base = {"url": options.datastore_url.rstrip("/"), "q": replace(sel, since=None).solr_q()}
    base_key = hashlib.sha256(json.dumps(base, sort_keys=True).encode()).hexdigest()[:12]
    asked = {**base, "q": sel.solr_q(), "rows": options.rows}
    key = hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()[:12]
    return options.cache_dir / "datastore" / f"{sel.slug()}-{key}", base_key


def _page_url(options: FetchOptions, sel: Selection, start: int, rows: int) -> str:
    params = {
        "q": sel.solr_q(),
        "fl": FIELDS,
        "sort": "iati_identifier asc",  # a stable order, so that start/rows pages do not overlap
        "rows": str(rows),
        "start": str(start),
        "wt": "json",
    }
    return options.datastore_url.rstrip("/") + "/activity/select?" + urllib.parse.urlencode(params)


def resolve_since(options: FetchOptions, sel: Selection, since: datetime | str | None) -> Selection:
    """The selection with ``since`` resolved: ``last`` is when this selection's last complete download
    in the cache started (what changed after that is what the next run needs)."""
    if since != "last":
        return replace(sel, since=since if isinstance(since, datetime) else None)
    _, base_key = _datastore_folder(options, sel)
    starts = []
    root = options.cache_dir / "datastore"
    for q in root.glob("*/query.json") if root.is_dir() else []:
        state = _read_json(q)
        if state and state.get("base_key") == base_key and state.get("complete"):
            starts.append(datetime.fromisoformat(state["started_at"]))
    if not starts:
        raise InputError(
            "fetch.since_last",
            N_("the cache holds no complete download of this selection to continue from"),
            Where(file=str(root), field="--since"),
            hint=N_("run it once without --since, or give a date: --since 2026-01-01"),
        )
    return replace(sel, since=max(starts))


def download_datastore(
    options: FetchOptions,
    sel: Selection,
    http: Http,
    on_progress: Progress | None = None,
    keep_going: bool = False,
    sink: Sink | None = None,
    cancel: threading.Event | None = None,
) -> Fetched:
    """Download the selection from the Datastore into the cache, page by page (see the module's notes);
    reuse what the cache holds. Returns the whole pages in order with their provenance.

    A page that cannot be had after its retries stops the run (``stopped``: the pages before it are
    returned for ingest, as the ingest rule keeps the files before a bad one); with ``keep_going`` a
    page cut short, timed out or failed by the server is listed in ``failed`` and the run goes on. The
    cache then stays incomplete, and the next run asks only for what is missing.

    A file once handed to ``sink`` is never changed or removed during the run (the caller may be reading
    it): pages asked again after the Datastore changed are written under new names (a new
    ``generation``), and files no page refers to any more are removed when the next run starts."""
    if not (sel.country or sel.publishers):
        raise InputError(
            "fetch.no_selection",
            N_("give a country or a publisher to fetch"),
            Where(field="--country"),
            hint=N_("e.g. kizuna fetch --country SS, or --publisher US-GOV-1"),
        )
    folder, base_key = _datastore_folder(options, sel)
    result = Fetched("datastore", folder)
    state = _read_json(folder / "query.json")
    if options.refresh and folder.exists():
        shutil.rmtree(folder)
        state = None
    rows = options.rows
    if state and state.get("complete"):
        # A complete answer: no request at all. Its pages are checked whole first (one damaged on
        # disk is asked for again below).
        sides = [_read_json(folder / f"page-{k:06d}.json") for k in range(state["pages"])]
        if all(_whole(folder, side) for side in sides):
            result.activities = state["num_found"]
            for side in sides:
                assert side is not None
                _add_page(result, folder, side)
                if sink:
                    sink(_ready(folder, side))
            result.cached = len(sides)
            result.notes.append(
                f"the cache holds this selection, complete as of {state['completed_at']}: nothing was asked "
                "again (--since last asks for what changed since, --refresh for everything)"
            )
            if on_progress:
                on_progress(state["num_found"], state["num_found"], "cached")
            return result
        state["complete"] = False
    folder.mkdir(parents=True, exist_ok=True)
    if not state or state.get("rows") != rows:
        state = {
            "source": "datastore",
            "base_url": options.datastore_url.rstrip("/"),
            "selection": sel.as_dict(),
            "q": sel.solr_q(),
            "rows": rows,
            "base_key": base_key,
            "num_found": None,
            "complete": False,
            "generation": 0,
        }
    # When the download began (a resumed one keeps its first start): what a later ``--since last`` asks from.
    state.setdefault("started_at", datetime.now(UTC).isoformat())
    _write_json(folder / "query.json", state)
    total: int | None = state.get("num_found")
    pages: dict[int, dict[str, Any]] = {}
    if total is not None:  # an interrupted run: keep its whole pages
        for k in range(_n_pages(total, rows)):
            side = _read_json(folder / f"page-{k:06d}.json")
            if side is not None and _whole(folder, side):
                pages[k] = side
    _tidy(folder, pages.values())
    # The pages kept are handed on once the Datastore's count is seen unchanged (else they are asked again).
    held = [pages[k] for k in sorted(pages)]
    restarted = False

    def ask(k: int) -> Response:
        return http.get(_page_url(options, sel, k * rows, rows), check=_check_json)

    def missing_after(k: int) -> int:
        k += 1
        while k in pages:
            k += 1
        return k

    def hand_on(sides: list[dict[str, Any]]) -> None:
        if sink:
            for side in sides:
                sink(_ready(folder, side))
        sides.clear()

    # The next page is asked for while this one is written (one request in flight at a time, so the
    # service sees the same polite sequence): the wait for the answer overlaps the work on the last.
    next_page: tuple[int, _Ahead] | None = None
    try:
        k = 0
        while total is None or k < _n_pages(total, rows):
            if cancel is not None and cancel.is_set():
                break
            if k in pages:
                k += 1
                continue
            try:
                waiting = next_page[1] if next_page is not None and next_page[0] == k else None
                resp = waiting.result() if waiting is not None else ask(k)
                next_page = None
            except KizunaError as exc:
                next_page = None
                if keep_going and total is not None and exc.code in SKIPPABLE:
                    result.failed.append(
                        (f"page {k + 1} (activities {k * rows + 1}-{min(total, (k + 1) * rows)})", exc)
                    )
                    k += 1
                    continue
                result.stopped = exc
                break
            answer = resp.parsed
            found = int(answer["response"]["numFound"])
            again = False
            if total is not None and found != total:
                # The Datastore changed since the pages held were asked for: their offsets no longer
                # hold. Start again once (under new file names); if it changes again, go on and say so.
                if not restarted:
                    restarted = again = True
                    result.notes.append(
                        f"the Datastore changed during the download ({total} -> {found} records): started again"
                    )
                    pages.clear()
                    held.clear()
                    state["generation"] = state.get("generation", 0) + 1
                else:
                    result.notes.append(
                        f"the Datastore changed again during the download ({total} -> {found} records): some "
                        "activities may be missing or repeated; run again with --refresh"
                    )
            total = found
            state["num_found"] = total
            _write_json(folder / "query.json", state)
            hand_on(held)
            if not again and missing_after(k) < _n_pages(total, rows):
                following = missing_after(k)
                next_page = (following, _Ahead(ask, following))
            try:
                pages[k] = _write_page(folder, k, answer, resp, rows, state.get("generation", 0))
            except KizunaError as exc:  # an answer of a shape kizuna does not know
                result.stopped = exc
                break
            result.downloaded += 1
            hand_on([pages[k]])
            if on_progress:
                on_progress(min(total, (k + 1) * rows), total, f"page {k + 1} of {max(1, _n_pages(total, rows))}")
            k = 0 if again else k + 1
    except BaseException:
        raise  # a page on its way is left to its daemon thread (Ctrl-C does not wait for it)
    else:
        if next_page is not None:  # the run stopped with a page on its way: let it arrive, unused
            next_page[1].join()
    hand_on(held)  # nothing was asked (every page was there): the count stands
    n = _n_pages(total or 0, rows)
    for j in range(n):
        if j in pages:
            _add_page(result, folder, pages[j])
        elif result.stopped is not None:
            break  # the pages after the one that stopped the run wait for the next run
    result.cached = sum(1 for j in pages if j < n) - result.downloaded
    result.activities = total
    arrived = sum(f.get("activities", 0) for j, side in pages.items() if j < n for f in side["files"])
    complete = (
        result.stopped is None
        and not result.failed
        and all(j in pages for j in range(n))
        and not (cancel is not None and cancel.is_set())
    )
    if complete and total is not None and arrived != total:
        result.notes.append(f"the Datastore reported {total} activities but {arrived} arrived")
    if complete:
        state.update(complete=True, pages=n, completed_at=datetime.now(UTC).isoformat())
        _write_json(folder / "query.json", state)
    return result


class _Ahead:
    """One request on its way in a daemon thread (a plain thread: Ctrl-C need not wait for it)."""

    def __init__(self, ask: Callable[[int], Response], k: int):
        self._out: list[Any] = []
        self._thread = threading.Thread(target=self._run, args=(ask, k), name="kizuna-fetch-ahead", daemon=True)
        self._thread.start()

    def _run(self, ask: Callable[[int], Response], k: int) -> None:
        try:
            self._out.append(ask(k))
        except BaseException as exc:  # raised again in the caller's thread by result()
            self._out.append(exc)

    def join(self) -> None:
        self._thread.join()

    def result(self) -> Response:
        self._thread.join()
        out = self._out[0]
        if isinstance(out, BaseException):
            raise out
        return out


def _tidy(folder: Path, sides: Iterable[dict[str, Any]]) -> None:
    """Remove page files no kept page refers to (an earlier generation, a half-written ``.part``)."""
    keep = {f["name"] for side in sides for f in side["files"]}
    for p in folder.glob("page-*.xml*"):
        if p.name not in keep:
            p.unlink(missing_ok=True)


# Page failures ``keep_going`` passes over: they concern one answer. Others (no key, refused, rate
# limited, unreachable, a shape kizuna does not know) would fail every page alike and stop the run.
SKIPPABLE = {"fetch.truncated", "fetch.timeout", "fetch.server"}


def _n_pages(total: int, rows: int) -> int:
    return -(-total // rows)


def _check_json(resp: Response) -> None:
    """A Datastore answer is whole when it parses and has the Solr response shape."""
    try:
        answer = resp.parsed = json.loads(resp.body or b"")
    except ValueError as exc:  # not JSON, or bytes cut inside a character
        raise _Retry("truncated", N_("the answer is not whole JSON: {error}"), params={"error": str(exc)}) from exc
    resp.body = None  # parsed: the bytes need not stay
    r = answer.get("response") if isinstance(answer, dict) else None
    if not isinstance(r, dict) or not isinstance(r.get("docs"), list) or "numFound" not in r:
        raise KizunaError(
            "fetch.bad_response",
            N_("the answer has no response.numFound and response.docs"),
            Where(file=resp.url),
            hint=_HINTS["bad_response"],
        )


# Activities per cached file: a page of 1,000 is written as two files. The ingest's parse workers hold
# a whole small file and its tables in memory; files of 500 typical activities (about 2.5 MB) keep the
# fetch and its ingest under 500 MB, where 1,000 (5 MB) came to 500 (benchmarks/fetch.py), at no cost in time.
FILE_ACTIVITIES = 500


def _write_page(
    folder: Path, k: int, answer: dict[str, Any], resp: Response, rows: int, generation: int = 0
) -> dict[str, Any]:
    """One page of the Datastore's answer as IATI XML: ``<iati-activities>`` documents of at most
    :data:`FILE_ACTIVITIES` activities, one or more per dataset version on the page (an activity keeps
    its file's version), then its provenance beside them."""
    by_version: dict[str, list[str]] = {}
    for doc in answer["response"]["docs"]:
        xml = doc.get("iati_xml")
        if isinstance(xml, list):  # Solr may hand a stored field back as a one-item list
            xml = xml[0] if xml else None
        if not isinstance(xml, str) or "<iati-activity" not in xml[:200]:
            raise KizunaError(
                "fetch.bad_response",
                N_("activity {activity} has no iati_xml"),
                Where(file=resp.url),
                hint=_HINTS["bad_response"],
                params={"activity": doc.get('iati_identifier', '?')},
            )
        version = doc.get("dataset_version")
        if isinstance(version, list):
            version = version[0] if version else None
        if "<?xml" in xml[:100]:
            xml = _XML_DECL.sub("", xml, count=1)
        by_version.setdefault(str(version or "2.03"), []).append(xml)
    files = []
    stamp = resp.retrieved_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = [
        (version, acts[i : i + FILE_ACTIVITIES])
        for version, acts in sorted(by_version.items())
        for i in range(0, len(acts), FILE_ACTIVITIES)
    ]
    for j, (version, acts) in enumerate(parts):
        name = f"page-{k:06d}" + (f"-g{generation}" if generation else "") + (f"-{j}" if j else "") + ".xml"
        path = folder / name
        head = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="{_attr(version)}"'
            f' generated-datetime="{stamp}">\n'
        )
        data = "\n".join([head, *acts, "</iati-activities>\n"]).encode("utf-8")
        path.with_name(name + ".part").write_bytes(data)
        os.replace(path.with_name(name + ".part"), path)
        sha = hashlib.sha256(data).hexdigest()
        files.append({"name": name, "sha256": sha, "activities": len(acts), "version": version})
    side = {
        "url": resp.url,
        "retrieved_at": resp.retrieved_at.isoformat(),
        "start": k * rows,
        "num_found": answer["response"]["numFound"],
        "files": files,
    }
    _write_json(folder / f"page-{k:06d}.json", side)
    return side


def _attr(v: str) -> str:
    return re.sub(r"[^0-9A-Za-z.]", "", v) or "2.03"


def _ready(folder: Path, side: dict[str, Any]) -> list[Ready]:
    return [(folder / f["name"], _provenance(side), f["sha256"]) for f in side["files"]]


def _add_page(result: Fetched, folder: Path, side: dict[str, Any]) -> None:
    for f in side["files"]:
        p = folder / f["name"]
        result.files.append(p)
        result.provenance[p] = _provenance(side)
        result.sha256[p] = f["sha256"]


# --- the Registry --------------------------------------------------------------------------------


def _registry_fq(publisher: str) -> str:
    # A Registry short name (lower case, as in https://iatiregistry.org/publisher/usaid) or an IATI
    # organisation identifier (US-GOV-1): the two fields the CKAN-compatible API filters on.
    field_name = "organization" if re.fullmatch(r"[a-z0-9_-]+", publisher) else "publisher_iati_id"
    return f"{field_name}:{publisher} AND extras_filetype:activity"


def _registry_url(options: FetchOptions, publisher: str, start: int) -> str:
    params = {"fq": _registry_fq(publisher), "rows": str(REGISTRY_ROWS), "start": str(start)}
    return options.registry_url.rstrip("/") + "/package_search?" + urllib.parse.urlencode(params)


@dataclass
class _Dataset:
    name: str
    publisher: str
    url: str
    hash: str | None
    modified: str | None
    country: str | None


def _registry_datasets(options: FetchOptions, publisher: str, http: Http) -> Iterator[_Dataset]:
    start = 0
    while True:
        url = _registry_url(options, publisher, start)
        result = http.get(url, check=_check_registry).parsed["result"]
        results = result["results"]
        for d in results:
            extras = {e.get("key"): e.get("value") for e in d.get("extras") or [] if isinstance(e, dict)}
            if extras.get("filetype", "activity") != "activity":
                continue
            res = (d.get("resources") or [{}])[0]
            if not res.get("url"):
                continue
            org = (d.get("organization") or {}).get("name") or publisher
            modified = res.get("last_modified") or d.get("metadata_modified") or extras.get("data_updated")
            yield _Dataset(d["name"], org, res["url"], res.get("hash"), modified, extras.get("country") or None)
        start += len(results)
        if not results or start >= int(result.get("count", 0)):
            return


def _check_registry(resp: Response) -> None:
    try:
        answer = resp.parsed = json.loads(resp.body or b"")
    except ValueError as exc:
        raise _Retry("truncated", N_("the answer is not whole JSON: {error}"), params={"error": str(exc)}) from exc
    r = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(r, dict) or not isinstance(r.get("results"), list):
        raise KizunaError(
            "fetch.bad_response",
            N_("the answer has no result.results"),
            Where(file=resp.url),
            hint=N_("check --registry-url (a CKAN package_search endpoint)"),
        )


def _check_iati_file(resp: Response) -> None:
    """A publisher's file is whole when it ends with ``</iati-activities>`` (comments and blanks after it
    allowed): a file cut short would otherwise only fail at ingest."""
    assert resp.path is not None
    size = resp.path.stat().st_size
    with open(resp.path, "rb") as fh:
        head = fh.read(4096)
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    if _COMMENT.sub(b"", tail).rstrip().endswith(b"</iati-activities>"):
        return
    if b"<iati-activities" in head:
        raise _Retry(
            "truncated",
            N_("the file ends before </iati-activities> ({size} bytes arrived)"),
            params={"size": size},
        )
    raise KizunaError(
        "fetch.not_iati",
        N_("the publisher's server did not answer with an IATI activity file"),
        Where(file=resp.url),
        hint=N_("the Registry's link may be stale: ask the publisher, or try again later"),
    )


def download_registry(
    options: FetchOptions,
    sel: Selection,
    http: Http,
    on_progress: Progress | None = None,
    keep_going: bool = False,
    sink: Sink | None = None,
    cancel: threading.Event | None = None,
) -> Fetched:
    """Download the selected publishers' activity files listed by the Registry into the cache. A file
    is downloaded again only when the Registry's hash or modification time for it changed (or with
    ``refresh``); with ``since``, files the Registry says were not modified since are left out; with a
    country, files the Registry says are for another country are left out (files for several
    countries or none are kept: the Registry knows files, not what is inside them)."""
    if not sel.publishers:
        raise InputError(
            "fetch.no_selection",
            N_("the Registry lists files by publisher: give --publisher"),
            Where(field="--publisher"),
            hint=N_(
                "e.g. --publisher US-GOV-1 (or a Registry short name such as usaid); "
                "--source datastore selects by country"
            ),
        )
    result = Fetched("registry", options.cache_dir / "registry")
    datasets = [d for p in sel.publishers for d in _registry_datasets(options, p, http)]
    skipped = 0
    todo = []
    for d in datasets:
        other_country = bool(sel.country and d.country and d.country.upper() != sel.country)
        unchanged = bool(sel.since and d.modified and _parse_time(d.modified) < sel.since)
        if other_country or unchanged:
            skipped += 1
        else:
            todo.append(d)
    if skipped:
        result.notes.append(
            f"{skipped} of the publishers' {len(datasets)} files left out (other country or not modified)"
        )
    for i, d in enumerate(todo):
        if cancel is not None and cancel.is_set():
            break
        folder = result.folder / _safe(d.publisher)
        dest = folder / f"{_safe(d.name)}.xml"
        side_path = dest.with_suffix(".json")
        side = _read_json(side_path)
        if (
            not options.refresh
            and side
            and (side.get("url"), side.get("registry_hash"), side.get("registry_modified"))
            == (d.url, d.hash, d.modified)
            and _whole(folder, side)
        ):
            result.cached += 1
        else:
            folder.mkdir(parents=True, exist_ok=True)
            try:
                resp = http.get(
                    d.url, accept="application/xml, text/xml;q=0.9, */*;q=0.1", dest=dest, check=_check_iati_file
                )
            except KizunaError as exc:
                if not keep_going or exc.code in ("fetch.rate_limited",):
                    result.stopped = exc
                    break
                result.failed.append((d.name, exc))
                continue
            side = {
                "url": d.url,
                "retrieved_at": resp.retrieved_at.isoformat(),
                "registry_hash": d.hash,
                "registry_modified": d.modified,
                "files": [{"name": dest.name, "sha256": resp.sha256}],  # hashed as it was written
            }
            _write_json(side_path, side)
            result.downloaded += 1
        result.files.append(dest)
        result.provenance[dest] = _provenance(side)
        result.sha256[dest] = side["files"][0]["sha256"]
        if sink:
            sink([(dest, result.provenance[dest], result.sha256[dest])])
        if on_progress:
            on_progress(i + 1, len(todo), d.name)
    return result


def _parse_time(text: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return datetime.max.replace(tzinfo=UTC)  # unreadable: treat as new rather than leave it out
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "_"


# --- plan, download, ingest ----------------------------------------------------------------------


def _key_for(options: FetchOptions) -> tuple[str | None, str | None]:
    """The key and the one host it is sent to (the Datastore's); a default-URL Datastore fetch needs one."""
    if options.source != "datastore":
        return None, None
    key = options.api_key()
    if key is None and options.datastore_url.rstrip("/") == DATASTORE_URL:
        raise KizunaError(
            "fetch.no_key",
            N_("no API key in ${key_env}"),
            Where(field=options.key_env),
            _HINTS["key"],
            params={"key_env": options.key_env},
        )
    return key, urllib.parse.urlsplit(options.datastore_url).netloc


def plan(options: FetchOptions, sel: Selection) -> FetchPlan:
    """What :func:`download` would do, from the options and the cache alone (no request is made)."""
    if options.source == "datastore":
        folder, _ = _datastore_folder(options, sel)
        first = _page_url(options, sel, 0, options.rows)
        state = _read_json(folder / "query.json")
        if state and state.get("complete") and not options.refresh:
            cache = (
                f"complete ({state['num_found']} activities, {state['pages']} pages, {state['completed_at']}):"
                " nothing would be asked"
            )
        elif state and state.get("num_found") is not None and not options.refresh:
            held = len(list(folder.glob("page-*.json")))
            cache = (
                f"interrupted: {held} of {-(-state['num_found'] // options.rows)} pages held; the rest would be asked"
            )
        else:
            cache = "empty: every page would be asked"
        key = (
            f"${options.key_env} is set (sent as the {KEY_HEADER} header)"
            if options.api_key()
            else f"${options.key_env} is not set"
            + (" (the IATI Datastore needs it)" if options.datastore_url.rstrip("/") == DATASTORE_URL else "")
        )
    else:
        folder = options.cache_dir / "registry"
        first = _registry_url(options, sel.publishers[0], 0) if sel.publishers else "(give --publisher)"
        held = len(list(folder.rglob("*.json"))) if folder.is_dir() else 0
        cache = f"{held} files held; the unchanged ones would not be asked again"
        key = "none needed (publishers' servers)"
    politeness = (
        f"{options.min_interval:g} s between requests, timeout {options.timeout:g} s, {options.retries} retries"
    )
    return FetchPlan(options.source, sel.describe(), first, folder, cache, key, politeness)


def download(
    options: FetchOptions,
    sel: Selection,
    *,
    keep_going: bool = False,
    on_progress: Progress | None = None,
    http: Http | None = None,
    sink: Sink | None = None,
    cancel: threading.Event | None = None,
) -> Fetched:
    """Download the selection into the cache (see the module's notes); return the files to ingest.
    ``sink`` hears of each page's or file's files as soon as they are whole (cached ones first);
    ``cancel`` stops the run between two requests."""
    key, host = _key_for(options)
    client = http or Http(options, key=key, key_host=host)
    if options.source == "datastore":
        result = download_datastore(options, sel, client, on_progress, keep_going, sink, cancel)
    elif options.source == "registry":
        result = download_registry(options, sel, client, on_progress, keep_going, sink, cancel)
    else:
        raise InputError(
            "fetch.source",
            N_("unknown source '{source}'"),
            Where(field="--source"),
            N_("datastore or registry"),
            params={"source": options.source},
        )
    result.requests, result.retries, result.bytes = client.requests, client.retries, client.bytes
    _give_back_memory()
    return result


def _give_back_memory() -> None:
    """Return the heap the answers used to the system (glibc keeps freed memory for reuse): the
    ingest that follows, with its parse workers, should have it."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    except OSError:  # not glibc: nothing to do
        pass


@dataclass
class FetchSummary:
    fetched: Fetched
    ingest: Any  # kizuna.ledger.ingest.IngestSummary


def fetch(
    ws: Any,
    options: FetchOptions,
    sel: Selection,
    *,
    keep_going: bool = False,
    on_progress: Progress | None = None,
    on_file: Callable[[Path, int, int], None] | None = None,
    http: Http | None = None,
) -> FetchSummary:
    """Download the selection (:func:`download`) and ingest the files through the one ingest path
    (:func:`kizuna.ledger.ingest.ingest_arriving`, by the rules of ``ingest_paths``: a transaction per
    file or per group of small files, idempotent by sha256), recording each file's URL and time
    retrieved on its imports row.

    The two overlap: the download runs in a thread and hands over each file as soon as it is whole;
    the ingest parses it while the next ones download (an ingest leaves part of two cores idle, and
    the download fills it). A download that stops early has its files before the stop ingested, then
    its error raised, as the ingest rule has it for a bad file."""
    from kizuna.ledger.ingest import ingest_arriving

    arrived: queue.Queue[list[Ready] | None] = queue.Queue()
    cancel = threading.Event()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["fetched"] = download(
                options, sel, keep_going=keep_going, on_progress=on_progress, http=http, sink=arrived.put, cancel=cancel
            )
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc
        finally:
            arrived.put(None)

    def arrivals() -> Iterator[tuple[Path, str, dict[str, Any]]]:
        while (ready := arrived.get()) is not None:
            for path, prov, sha in ready:
                yield path, sha, prov

    worker = threading.Thread(target=run, name="kizuna-fetch", daemon=True)
    worker.start()
    try:
        summary = ingest_arriving(ws, arrivals(), on_file, keep_going=keep_going)
    except BaseException:
        cancel.set()  # the download stops before its next request; its thread ends with the process
        raise
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    fetched: Fetched = outcome["fetched"]
    if fetched.stopped is not None:
        raise fetched.stopped  # after the files before it are in
    return FetchSummary(fetched, summary)
