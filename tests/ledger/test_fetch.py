"""``kizuna fetch``: IATI activities from the Datastore (or publishers' files listed by the Registry),
cached, resumable, polite, retried, then ingested through the one ingest path with their provenance.

Every test talks to a local stand-in on 127.0.0.1 (``benchmarks/fake_iati_api.py``), shaped like the real
services; none touches the internet."""

from __future__ import annotations

import hashlib
import json
import random
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from benchmarks.fake_iati_api import Dataset, FakeIati, document, generate

from kizuna.cli import main
from kizuna.errors import KizunaError
from kizuna.ledger import fetch as f
from kizuna.workspace import open_workspace


class Recorder:
    """Stands in for time.sleep: records every pause instead of taking it."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


def _opts(tmp_path: Path, fake: FakeIati, **kw) -> f.FetchOptions:
    base = {
        "cache_dir": tmp_path / "cache",
        "datastore_url": fake.datastore_url,
        "registry_url": fake.registry_url,
        "rows": 50,
        "min_interval": 0.0,
        "timeout": 5.0,
        "retries": 3,
        "backoff": 0.5,
    }
    return f.FetchOptions(**(base | kw))


def _http(options, sleep=None, key=None, fake=None):
    host = fake.url.split("//")[1] if fake else None
    return f.Http(options, key=key, key_host=host, sleep=sleep or Recorder(), rng=random.Random(0))


def _run(tmp_path, fake, sel, ws_name="w.duckdb", sleep=None, keep_going=False, **kw):
    options = _opts(tmp_path, fake, **kw)
    http = _http(options, sleep)
    with open_workspace(tmp_path / ws_name) as ws:
        return f.fetch(ws, options, sel, keep_going=keep_going, http=http), http


def _ids(ws_path: Path) -> list[str]:
    with open_workspace(ws_path, read_only=True) as ws:
        return sorted(r[0] for r in ws.con.execute("SELECT iati_identifier FROM activities").fetchall())


def _starts(fake: FakeIati) -> list[int]:
    return [int(r.params["start"]) for r in fake.requests if r.path.endswith("/activity/select")]


SS = f.Selection(country="SS")


@pytest.fixture
def fake():
    acts = generate(230, "SS", seed=3) + generate(40, "AF", seed=4, start=1000)
    with FakeIati(acts) as server:
        yield server


def test_pagination_asks_for_every_page_and_ingests_every_activity_of_the_country(tmp_path, fake):
    result, http = _run(tmp_path, fake, SS)
    assert _starts(fake) == [0, 50, 100, 150, 200]
    first = fake.requests[0].params
    assert first["q"] == "(recipient_country_code:SS OR transaction_recipient_country_code:SS)"
    assert first["rows"] == "50" and first["wt"] == "json" and first["sort"] == "iati_identifier asc"
    assert set(first["fl"].split(",")) == {"iati_identifier", "dataset_version", "iati_xml"}
    assert result.fetched.activities == 230 and result.fetched.downloaded == 5 and http.requests == 5
    assert [p.name for p in result.fetched.files] == [f"page-{k:06d}.xml" for k in range(5)]
    assert _ids(tmp_path / "w.duckdb") == sorted(a.identifier for a in fake.activities if "SS" in a.countries)


def test_a_country_of_20000_activities_is_fetched_and_ingested_and_the_second_run_is_a_cache_hit(tmp_path):
    with FakeIati(generate(20_000, "SS", seed=11)) as fake:
        options = _opts(tmp_path, fake, rows=1000)
        with open_workspace(tmp_path / "w.duckdb") as ws:
            first = f.fetch(ws, options, SS, http=_http(options))
            assert fake.count("/activity/select") == 20
            assert ws.scalar("SELECT count(*) FROM activities") == 20_000
            assert ws.scalar("SELECT count(*) FROM transactions") == 120_000
            assert {r.status for r in first.ingest.files} == {"imported"}
            second = f.fetch(ws, options, SS, http=_http(options))
            assert fake.count("/activity/select") == 20  # nothing asked again
            assert second.fetched.requests == 0 and second.fetched.cached == 20 and second.fetched.downloaded == 0
            assert {r.status for r in second.ingest.files} == {"skipped"}
            assert ws.scalar("SELECT count(*) FROM activities") == 20_000
            assert ws.scalar("SELECT count(*) FROM imports") == 40  # each page of 1,000 is two files of 500
    assert len(first.fetched.files) == len(second.fetched.files) == 40
    size = sum(p.stat().st_size for p in first.fetched.files) / 20_000
    assert 3_000 < size < 8_000  # realistic activities: a few KB each


def test_429_waits_as_long_as_retry_after_says_then_goes_on(tmp_path, fake):
    fake.fault("select", "429", after=1, retry_after="7")
    sleep = Recorder()
    result, http = _run(tmp_path, fake, SS, sleep=sleep)
    assert _starts(fake) == [0, 50, 50, 100, 150, 200]
    assert sleep.pauses == [7.0] and http.retries == 1
    assert len(_ids(tmp_path / "w.duckdb")) == 230


def test_429_with_a_retry_after_date_is_honoured(tmp_path, fake):
    when = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    fake.fault("select", "429", retry_after=when)
    sleep = Recorder()
    _run(tmp_path, fake, SS, sleep=sleep)
    assert len(sleep.pauses) == 1 and 25 <= sleep.pauses[0] <= 31


def test_a_retry_after_beyond_max_wait_stops_the_run_after_ingesting_the_pages_before(tmp_path, fake):
    fake.fault("select", "429", after=2, retry_after="86400")  # a weekly quota, not a blip
    with pytest.raises(KizunaError) as exc:
        _run(tmp_path, fake, SS, max_wait=300)
    assert exc.value.code == "fetch.rate_limited" and "86400" in exc.value.text()
    assert "Exploratory" in exc.value.hint_text()
    assert len(_ids(tmp_path / "w.duckdb")) == 100  # pages 1-2 are in, as the ingest rule has it


def test_500_then_success_backs_off_exponentially(tmp_path, fake):
    fake.fault("select", "500", times=3)
    sleep = Recorder()
    result, http = _run(tmp_path, fake, SS, sleep=sleep, backoff=1.0)
    assert http.retries == 3 and _starts(fake)[:4] == [0, 0, 0, 0]
    # 1, 2, 4 s, each with jitter in [0.5, 1]x
    assert [round(p / b, 2) <= 1.0 and p / b >= 0.5 for p, b in zip(sleep.pauses, [1, 2, 4], strict=True)] == [True] * 3
    assert len(_ids(tmp_path / "w.duckdb")) == 230


def test_500_every_time_gives_up_with_a_clear_error(tmp_path, fake):
    fake.fault("select", "500", times=99)
    with pytest.raises(KizunaError) as exc:
        _run(tmp_path, fake, SS, retries=2)
    assert exc.value.code == "fetch.server" and "after 3 attempts" in exc.value.text()
    assert exc.value.where.file.startswith(fake.datastore_url)


@pytest.mark.parametrize("kind", ["truncate", "truncate-nolength"])
def test_a_truncated_body_is_detected_and_asked_again(tmp_path, fake, kind):
    fake.fault("select", kind, after=1)
    result, http = _run(tmp_path, fake, SS)
    assert http.retries == 1 and _starts(fake) == [0, 50, 50, 100, 150, 200]
    assert len(_ids(tmp_path / "w.duckdb")) == 230


def test_a_body_always_truncated_is_refused_and_never_half_ingested(tmp_path, fake):
    fake.fault("select", "truncate", after=1, times=99)
    with pytest.raises(KizunaError) as exc:
        _run(tmp_path, fake, SS, retries=2)
    assert exc.value.code == "fetch.truncated" and "cut short" in exc.value.text()
    folder = next((tmp_path / "cache" / "datastore").iterdir())
    assert sorted(p.name for p in folder.glob("page-*")) == ["page-000000.json", "page-000000.xml"]
    assert _ids(tmp_path / "w.duckdb") == sorted(a.identifier for a in fake.activities if "SS" in a.countries)[:50]


def test_a_timeout_is_retried(tmp_path):
    with FakeIati(generate(60, "SS"), timeout_delay=1.5) as fake:
        fake.fault("select", "timeout", after=1)
        result, http = _run(tmp_path, fake, SS, timeout=0.3)
        assert http.retries == 1 and _starts(fake) == [0, 50, 50]
        assert len(_ids(tmp_path / "w.duckdb")) == 60


def test_a_server_that_never_answers_in_time_gives_fetch_timeout(tmp_path):
    with FakeIati(generate(10, "SS"), timeout_delay=1.0) as fake:
        fake.fault("select", "timeout", times=9)
        with pytest.raises(KizunaError) as exc:
            _run(tmp_path, fake, SS, timeout=0.2, retries=1)
    assert exc.value.code == "fetch.timeout" and "raise --timeout" in exc.value.hint_text()


def test_an_interrupted_download_resumes_where_it_stopped(tmp_path, fake):
    fake.fault("select", "500", after=2, times=99)  # the service goes down after two pages
    with pytest.raises(KizunaError):
        _run(tmp_path, fake, SS, retries=0)
    assert _starts(fake) == [0, 50, 100]
    assert len(_ids(tmp_path / "w.duckdb")) == 100
    fake.faults.clear()
    fake.requests.clear()
    result, _ = _run(tmp_path, fake, SS)
    assert _starts(fake) == [100, 150, 200]  # the two whole pages are not asked again
    assert result.fetched.downloaded == 3 and result.fetched.cached == 2
    assert [r.status for r in result.ingest.files] == ["skipped", "skipped", "imported", "imported", "imported"]
    assert len(_ids(tmp_path / "w.duckdb")) == 230


def test_a_page_left_half_written_by_a_crash_is_asked_again(tmp_path, fake):
    _run(tmp_path, fake, SS)
    folder = next((tmp_path / "cache" / "datastore").iterdir())
    page = folder / "page-000003.xml"
    page.write_bytes(page.read_bytes()[:1000])  # damaged on disk after the fact
    fake.requests.clear()
    result, _ = _run(tmp_path, fake, SS, ws_name="again.duckdb")
    assert _starts(fake) == [150]
    assert len(_ids(tmp_path / "again.duckdb")) == 230


def test_the_datastore_changing_between_runs_restarts_the_download(tmp_path, fake):
    fake.fault("select", "500", after=2, times=99)
    with pytest.raises(KizunaError):
        _run(tmp_path, fake, SS, retries=0)
    fake.faults.clear()
    fake.requests.clear()
    fake.activities = sorted(fake.activities + generate(5, "SS", seed=9, start=5000), key=lambda a: a.identifier)
    result, _ = _run(tmp_path, fake, SS)
    assert _starts(fake) == [100, 0, 50, 150, 200]  # 235 records now: offsets moved, start again
    assert any("started again" in n for n in result.fetched.notes)
    assert len(_ids(tmp_path / "w.duckdb")) == 235


def test_dry_run_downloads_nothing_and_leaves_no_workspace(tmp_path, fake, capsys):
    ws = tmp_path / "w.duckdb"
    rc = main(
        ["fetch", "--country", "ss", "--dry-run", "-w", str(ws), "--datastore-url", fake.datastore_url, "--rows", "50"]
    )
    out = capsys.readouterr().out
    assert rc == 0 and fake.requests == []
    assert not ws.exists() and not (tmp_path / "kizuna-fetch").exists()
    assert "first request" in out and "activity/select?q=" in out and "start=0" in out
    assert str(tmp_path / "kizuna-fetch" / "datastore") in out and "dry run" in out


def test_since_asks_only_for_records_updated_since(tmp_path, fake):
    since = datetime(2025, 6, 1, tzinfo=UTC)
    result, _ = _run(tmp_path, fake, f.Selection(country="SS", since=since))
    q = fake.requests[0].params["q"]
    assert q.endswith(" AND last_updated_datetime:[2025-06-01T00:00:00Z TO *]")
    newer = sorted(a.identifier for a in fake.activities if "SS" in a.countries and a.updated >= since)
    assert 0 < len(newer) < 230
    assert result.fetched.activities == len(newer) and _ids(tmp_path / "w.duckdb") == newer


def test_since_last_continues_from_the_last_complete_download(tmp_path, fake, capsys):
    args = ["fetch", "--country", "SS", "-w", str(tmp_path / "w.duckdb"), "--datastore-url", fake.datastore_url]
    args += ["--rows", "50", "--min-interval", "0"]
    assert main(args) == 0
    started = json.loads(next((tmp_path / "kizuna-fetch" / "datastore").glob("*/query.json")).read_text())["started_at"]
    fresh = generate(3, "SS", seed=5, start=9000, updated_from=datetime.now(UTC) + timedelta(hours=1), updated_days=1)
    fake.activities = sorted(fake.activities + fresh, key=lambda a: a.identifier)
    fake.requests.clear()
    capsys.readouterr()
    assert main([*args, "--since", "last"]) == 0
    (req,) = fake.requests
    assert (
        f"last_updated_datetime:[{datetime.fromisoformat(started).strftime('%Y-%m-%dT%H:%M:%SZ')} TO *]"
        in (req.params["q"])
    )
    assert "3 activities" in capsys.readouterr().out
    assert len(_ids(tmp_path / "w.duckdb")) == 233


def test_since_last_without_an_earlier_download_is_a_clear_error(tmp_path, fake, capsys):
    rc = main(["fetch", "--country", "SS", "--since", "last", "-w", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error[fetch.since_last]") and fake.requests == []


KEY = "kz-test-subscription-4f1c9e"


def test_the_key_comes_from_the_environment_is_sent_as_a_header_and_never_printed_or_stored(
    tmp_path, monkeypatch, capsys
):
    ws = tmp_path / "w.duckdb"
    with FakeIati(generate(120, "SS"), key=KEY) as fake:
        monkeypatch.setenv("IATI_API_KEY", KEY)
        rc = main(["fetch", "--country", "SS", "-w", str(ws), "--datastore-url", fake.datastore_url, "--rows", "50"])
        rc2 = main(["fetch", "--country", "SS", "--dry-run", "-w", str(ws), "--datastore-url", fake.datastore_url])
        assert [r.headers.get("ocp-apim-subscription-key") for r in fake.requests] == [KEY] * 3
        assert all(KEY not in json.dumps(r.params) for r in fake.requests)  # never in a URL
    out, err = capsys.readouterr()
    assert rc == 0 and rc2 == 0 and KEY not in out + err and "IATI_API_KEY is set" in out
    for p in (tmp_path / "kizuna-fetch").rglob("*"):
        assert not p.is_file() or KEY.encode() not in p.read_bytes(), p
    with open_workspace(ws, read_only=True) as w:
        for table in w.table_counts():
            assert KEY not in json.dumps(w.query(f'SELECT * FROM "{table}"'), default=str), table
    assert KEY.encode() not in ws.read_bytes()


def test_a_missing_or_wrong_key_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("IATI_API_KEY", raising=False)
    with FakeIati(generate(10, "SS"), key=KEY) as fake:
        rc = main(["fetch", "--country", "SS", "-w", str(tmp_path / "w.duckdb"), "--datastore-url", fake.datastore_url])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error[fetch.unauthorized]") and "IATI_API_KEY" in err


def test_the_real_datastore_without_a_key_fails_before_any_request(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("IATI_API_KEY", raising=False)

    def no_network(*a, **kw):
        raise AssertionError("no request may be made")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    rc = main(["fetch", "--country", "SS", "-w", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error[fetch.no_key]") and "developer.iatistandard.org" in err


def test_provenance_url_time_and_sha256_are_recorded_on_import(tmp_path, fake):
    before = datetime.now(UTC).replace(tzinfo=None)
    result, _ = _run(tmp_path, fake, SS)
    after = datetime.now(UTC).replace(tzinfo=None)
    with open_workspace(tmp_path / "w.duckdb", read_only=True) as ws:
        rows = ws.query("SELECT file_name, file_path, sha256, source_url, retrieved_at FROM imports ORDER BY 1")
        for r in rows:  # kept relative to the workspace's folder (never a full local path)
            assert not Path(r["file_path"]).is_absolute()
            r["file_path"] = ws.source_path(r["file_path"])
    assert [r["file_name"] for r in rows] == [f"page-{k:06d}.xml" for k in range(5)]
    for k, r in enumerate(rows):
        url = r["source_url"]
        assert url.startswith(fake.datastore_url + "/activity/select?") and f"start={50 * k}" in url
        assert before <= r["retrieved_at"] <= after
        assert r["sha256"] == hashlib.sha256(Path(r["file_path"]).read_bytes()).hexdigest()
        # The file holds exactly the activities the URL answers with.
        with urllib.request.urlopen(url) as resp:
            xmls = [d["iati_xml"] for d in json.loads(resp.read())["response"]["docs"]]
        assert Path(r["file_path"]).read_text().count("<iati-activity ") == len(xmls) == min(50, 230 - 50 * k)
        assert all(x in Path(r["file_path"]).read_text() for x in xmls)


def test_a_registry_files_provenance_is_its_publishers_url(tmp_path):
    with _registry_fake() as fake:
        _run(tmp_path, fake, f.Selection(publishers=("XZ-AG2",)), source="registry")
        with open_workspace(tmp_path / "w.duckdb", read_only=True) as ws:
            (row,) = ws.query("SELECT sha256, source_url, retrieved_at FROM imports")
        assert row["source_url"] == f"{fake.url}/files/agency2/agency2-ss.xml"
        assert row["sha256"] == hashlib.sha256(fake.datasets[3].data).hexdigest() and row["retrieved_at"] is not None


def test_a_local_ingest_records_no_provenance(tmp_path, fake):
    (tmp_path / "a.xml").write_bytes(document(generate(2, "SS")))
    with open_workspace(tmp_path / "w.duckdb") as ws:
        from kizuna.ledger.ingest import ingest_paths

        ingest_paths(ws, [tmp_path / "a.xml"])
        assert ws.query("SELECT source_url, retrieved_at FROM imports") == [{"source_url": None, "retrieved_at": None}]


def test_a_page_the_ingest_refuses_is_listed_with_keep_going_and_the_others_land(tmp_path, fake, capsys):
    bad = [a for a in fake.activities if "SS" in a.countries][120]  # on page 3
    bad.xml = bad.xml.replace("</title>", "</titel>", 1)
    args = ["fetch", "--country", "SS", "-w", str(tmp_path / "w.duckdb"), "--datastore-url", fake.datastore_url]
    args += ["--rows", "50", "--min-interval", "0", "--keep-going"]
    rc = main(args)
    out, err = capsys.readouterr()
    assert rc == 2
    (line,) = err.strip().splitlines()
    assert line.startswith("error[xml.malformed]: ") and "page-000002.xml, line " in line and "(hint: " in line
    assert "1 refused" in out
    assert len(_ids(tmp_path / "w.duckdb")) == 180


def test_without_keep_going_a_refused_page_stops_the_ingest_as_before(tmp_path, fake, capsys):
    bad = [a for a in fake.activities if "SS" in a.countries][120]
    bad.xml = bad.xml.replace("</title>", "</titel>", 1)
    args = ["fetch", "--country", "SS", "-w", str(tmp_path / "w.duckdb"), "--datastore-url", fake.datastore_url]
    rc = main([*args, "--rows", "50", "--min-interval", "0"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith("error[xml.malformed]")
    assert len(_ids(tmp_path / "w.duckdb")) == 100


def test_keep_going_passes_over_a_page_that_never_arrives_whole_and_the_next_run_gets_it(tmp_path, fake):
    fake.fault("select", "truncate", after=2, times=3)  # page 3: every attempt cut short
    result, _ = _run(tmp_path, fake, SS, retries=2, keep_going=True)
    ((what, exc),) = result.fetched.failed
    assert what.startswith("page 3 ") and exc.code == "fetch.truncated"
    assert len(_ids(tmp_path / "w.duckdb")) == 180
    fake.requests.clear()
    _run(tmp_path, fake, SS)
    assert _starts(fake) == [100]
    assert len(_ids(tmp_path / "w.duckdb")) == 230


def test_answers_compressed_with_gzip_are_read(tmp_path):
    with FakeIati(generate(120, "SS"), gzip=True) as fake:
        result, http = _run(tmp_path, fake, SS)
        assert len(_ids(tmp_path / "w.duckdb")) == 120
        assert http.bytes < sum(p.stat().st_size for p in result.fetched.files) / 3


# --- the Registry ---------------------------------------------------------------------------------


def _registry_fake():
    def ds(name, pub, ref, n, seed, country=None):
        acts = generate(n, country or "SS", seed=seed, start=seed * 1000)
        for a in acts:
            a.xml = a.xml.replace("XZ-SYN-", ref + "-X")  # one publisher per file
        return Dataset(name, pub, ref, document(acts), "2026-03-01T10:00:00", country)

    return FakeIati(
        datasets=[
            ds("agency1-ss", "agency1", "XZ-AG1", 20, 1, "SS"),
            ds("agency1-af", "agency1", "XZ-AG1", 15, 2, "AF"),
            ds("agency1-global", "agency1", "XZ-AG1", 10, 3),
            ds("agency2-ss", "agency2", "XZ-AG2", 12, 4, "SS"),
        ]
    )


def test_registry_files_of_a_publisher_are_downloaded_ingested_and_not_asked_again_unchanged(tmp_path):
    with _registry_fake() as fake:
        sel = f.Selection(publishers=("XZ-AG1",))
        result, _ = _run(tmp_path, fake, sel, source="registry")
        (listing,) = [r for r in fake.requests if r.path.endswith("/package_search")]
        assert listing.params["fq"] == "publisher_iati_id:XZ-AG1 AND extras_filetype:activity"
        assert fake.count("/files/") == 3 and result.fetched.downloaded == 3
        assert all("ocp-apim-subscription-key" not in r.headers for r in fake.requests)
        assert len(_ids(tmp_path / "w.duckdb")) == 45
        with open_workspace(tmp_path / "w.duckdb", read_only=True) as ws:
            urls = sorted(r[0] for r in ws.con.execute("SELECT source_url FROM imports").fetchall())
        assert urls == [f"{fake.url}/files/agency1/agency1-{n}.xml" for n in ("af", "global", "ss")]
        # Unchanged files are not downloaded again; a changed one is.
        fake.requests.clear()
        fake.datasets[0].data = document(generate(21, "SS", seed=1, start=1000))
        fake.datasets[0].modified = "2026-04-01T10:00:00"
        again, _ = _run(tmp_path, fake, sel, source="registry")
        assert [r.path for r in fake.requests if "/files/" in r.path] == ["/files/agency1/agency1-ss.xml"]
        assert again.fetched.downloaded == 1 and again.fetched.cached == 2


def test_registry_with_a_country_leaves_out_files_for_another_country(tmp_path):
    with _registry_fake() as fake:
        result, _ = _run(tmp_path, fake, f.Selection(country="SS", publishers=("agency1",)), source="registry")
        assert fake.requests[0].params["fq"] == "organization:agency1 AND extras_filetype:activity"
        assert sorted(p.name for p in result.fetched.files) == ["agency1-global.xml", "agency1-ss.xml"]


def test_registry_file_cut_short_or_not_iati_with_keep_going(tmp_path, capsys):
    with _registry_fake() as fake:
        # The Registry lists agency1-ss, agency1-af, agency1-global, in that order.
        fake.fault("files", "truncate-nolength", after=1, times=2)  # agency1-af never arrives whole
        fake.fault("files", "html", after=1)  # agency1-global is an error page served with 200
        args = ["fetch", "--source", "registry", "--publisher", "XZ-AG1", "-w", str(tmp_path / "w.duckdb")]
        args += ["--registry-url", fake.registry_url, "--min-interval", "0", "--retries", "1", "--keep-going"]
        rc = main(args)
    out, err = capsys.readouterr()
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("error[fetch.truncated]: ") and lines[0].endswith("[agency1-af]")
    assert "agency1-af.xml: the file ends before </iati-activities>" in lines[0] and "after 2 attempts" in lines[0]
    assert lines[1].startswith("error[fetch.not_iati]: ") and lines[1].endswith("[agency1-global]")
    assert len(_ids(tmp_path / "w.duckdb")) == 20
    assert sorted(p.name for p in (tmp_path / "kizuna-fetch" / "registry" / "agency1").iterdir()) == [
        "agency1-ss.json",
        "agency1-ss.xml",
    ]


def test_registry_needs_a_publisher(tmp_path, capsys):
    rc = main(["fetch", "--source", "registry", "--country", "SS", "-w", str(tmp_path / "w.duckdb")])
    assert rc == 2 and capsys.readouterr().err.startswith("error[fetch.no_selection]")


# --- the pieces -----------------------------------------------------------------------------------


def test_the_query_combines_country_publishers_dates_and_since():
    sel = f.Selection(
        country="AF",
        publishers=("US-GOV-1", 'odd "ref"'),
        date_from=date(2020, 1, 1),
        date_to=date(2023, 12, 31),
        since=datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
    )
    assert sel.solr_q() == (
        "(recipient_country_code:AF OR transaction_recipient_country_code:AF)"
        ' AND reporting_org_ref:("US-GOV-1" OR "odd \\"ref\\"")'
        " AND activity_date_iso_date:[* TO 2023-12-31T23:59:59Z]"
        " AND activity_date_iso_date:[2020-01-01T00:00:00Z TO *]"
        " AND last_updated_datetime:[2026-01-31T12:00:00Z TO *]"
    )


def test_dates_select_activities_running_in_the_range(tmp_path, fake):
    sel = f.Selection(country="SS", date_from=date(2022, 1, 1), date_to=date(2022, 12, 31))
    result, _ = _run(tmp_path, fake, sel)
    running = [a for a in fake.activities if "SS" in a.countries and min(a.dates) <= date(2022, 12, 31)]
    running = [a for a in running if max(a.dates) >= date(2022, 1, 1)]
    assert 0 < len(running) < 230 and result.fetched.activities == len(running)


@pytest.mark.parametrize("code", ["ZZ", "SSD", "1", ""])
def test_an_unknown_country_is_an_error(code):
    with pytest.raises(KizunaError) as exc:
        f.check_country(code)
    assert exc.value.code == "fetch.country"


def test_country_codes_are_case_insensitive():
    assert f.check_country("ss") == "SS" and f.check_country(" af ") == "AF" and f.check_country("xk") == "XK"


def test_since_parses_days_times_and_last():
    assert f.parse_since("2026-01-31") == datetime(2026, 1, 31, tzinfo=UTC)
    assert f.parse_since("2026-01-31T10:00:00Z") == datetime(2026, 1, 31, 10, tzinfo=UTC)
    assert f.parse_since("2026-01-31T10:00:00+09:00") == datetime(2026, 1, 31, 1, tzinfo=UTC)
    assert f.parse_since("LAST") == "last"
    with pytest.raises(KizunaError):
        f.parse_since("yesterday")


def test_a_selection_is_needed(tmp_path, fake):
    with pytest.raises(KizunaError) as exc:
        _run(tmp_path, fake, f.Selection())
    assert exc.value.code == "fetch.no_selection" and fake.requests == []


def test_each_activity_keeps_its_files_version(tmp_path):
    acts = generate(30, "SS", seed=8)
    for a in acts[::3]:
        a.version = "2.01"
    with FakeIati(acts) as fake:
        result, _ = _run(tmp_path, fake, SS)
    versions = {}
    for p in result.fetched.files:
        head = p.read_text()[:200]
        version = head.split('version="')[2].split('"')[0]  # after the XML declaration's own version
        versions[version] = versions.get(version, 0) + p.read_text().count("<iati-activity ")
    assert versions == {"2.01": 10, "2.03": 20}
    assert len(_ids(tmp_path / "w.duckdb")) == 30
