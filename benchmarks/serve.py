"""Load benchmark of `kizuna serve`: 50 concurrent clients against a real uvicorn on 127.0.0.1.

    python3 benchmarks/serve.py [--quick] [--clients 50] [--seconds 30] [--activities 5000]
    python3 benchmarks/serve.py --lang ja [--page /] [--rounds 3] [--seconds 10]

Runs, each for ``--seconds`` with ``--clients`` concurrent asyncio clients (kept-alive HTTP/1.1 connections):

1. baseline: a static file (``/static/style.css``) served by the same uvicorn: the floor that
   HTTP, uvicorn, Starlette and the client loop cost on this machine;
2. dashboard: each client alternates the overview page (``/?country=XZ``) and one filtered API
   endpoint (``/api/v1/activities?country=XZ&publisher=…&limit=50``, the ally rotating), with
   the server's result cache on (the default), then again with it off (every request queries
   DuckDB).

3. with ``--lang ja``: the same page (``--page``, the overview by default) in English and in Japanese,
   page only, ``--rounds`` rounds of each, alternated (en, ja, then ja, en, ...), with the cache on
   (warm: after the first request of each language, the page comes from the response cache, which
   keys on the language) and off (cold: every request queries and renders in its language; with
   ``--cold-clients``, 2 by default, since 50 clients would only measure their queue). English
   is the baseline of Japanese: the verdict is Japanese's median p95 and server CPU per request
   within 10 % of English's in the same server, p95 under 200 ms with the cache on, no errors.

4. with ``--uncached``, instead of the runs above (issue 15: writes invalidate caches, so uncached reads
   matter): every per-request cache off (``cache_size=0``: no response, page or query-result cache),
   the overview ``/?country=XZ`` measured on this code and, with ``--compare SRC``, on another checkout's
   ``src`` (the code before, e.g. main) in the same run, ``--rounds`` rounds alternated: server CPU per
   overview render (one client, the server's CPU time over the requests it answered), read latency at
   ``--clients`` clients on the overview alone and on the mixed dashboard (overview + filtered API), and
   the cost of the data-version precomputations (:mod:`kizuna.web.store`) rebuilt after a data change,
   in-process. Target: < 15 ms CPU per render and p95 < 500 ms at 50 clients.

Prints throughput, p50/p95/p99 latency and errors per run, the p95 ratio to the baseline, and
the server's peak RSS (VmHWM). Target: dashboard p95 under 200 ms with no errors on 2 cores.
The workspace is the product's demo (``kizuna demo``), or with ``--activities N`` a generated
synthetic ledger of N activities. Not part of pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SECTORS = ["15220", "15240", "14030", "12220", "11220", "16010"]
# Admin1 centroids of the fictional Republic of Kaltara (DESIGN conventions).
AREAS = [
    ("XZ01", 9.6, 29.4),
    ("XZ02", 9.2, 31.4),
    ("XZ03", 8.0, 30.0),
    ("XZ04", 7.9, 28.3),
    ("XZ05", 6.4, 30.6),
    ("XZ06", 6.9, 28.0),
]
ALLIES = 8


def generate_workspace(path: Path, n: int) -> None:
    """A synthetic ledger: ``n`` activities of 8 fictional allies, 1-2 located sites each, 2 flows each."""
    from kizuna.workspace import open_workspace

    ws = open_workspace(path)
    areas = ", ".join(f"('{c}', {lat}, {lon})" for c, lat, lon in AREAS)
    sectors = ", ".join(f"'{s}'" for s in SECTORS)
    with ws.transaction() as con:
        iid = ws.record_import(
            con,
            kind="demo",
            path=Path("synthetic-benchmark.xml"),
            sha256="b" * 64,
            publisher="Synthetic — benchmark",
            counts={"activities": n},
        )
        con.execute(f"""
            CREATE TEMP TABLE gen AS
            SELECT i, 'SYN-' || (i % {ALLIES}) AS pub, 'SYN-' || (i % {ALLIES}) || '|ACT-' || i AS uid,
                   ([{sectors}])[1 + (hash(i, 's') % {len(SECTORS)})::INT] AS sector,
                   1 + (hash(i, 'a') % {len(AREAS)})::INT AS area, 1 + (hash(i, 'n') % 2)::INT AS sites,
                   10000 + (hash(i, 'v') % 90000)::DOUBLE AS committed
            FROM range({n}) t(i)""")
        con.execute(f"CREATE TEMP TABLE areas(code VARCHAR, lat DOUBLE, lon DOUBLE); INSERT INTO areas VALUES {areas}")
        con.execute(f"""
            INSERT INTO activities (activity_uid, iati_identifier, source, import_id, line, publisher_ref,
                publisher_name, title, status_code, start_date, end_date)
            SELECT uid, 'ACT-' || i, 'iati', {iid}, i, pub, 'Synthetic — Agency ' || (i % {ALLIES}),
                   '[SYNTHETIC] Activity ' || i, '2', DATE '2025-01-01', DATE '2027-12-31' FROM gen""")
        con.execute("INSERT INTO activity_countries SELECT uid, 'XZ', 100 FROM gen")
        con.execute("INSERT INTO activity_sectors SELECT uid, '1', sector, 100, NULL FROM gen")
        con.execute("""
            INSERT INTO locations (activity_uid, seq, name, lat, lon, adm1, country)
            SELECT g.uid, s, 'Site ' || g.i || '.' || s,
                   a.lat + ((hash(g.i, s, 'y') % 700)::DOUBLE / 1000 - 0.35),
                   a.lon + ((hash(g.i, s, 'x') % 700)::DOUBLE / 1000 - 0.35), a.code, 'XZ'
            FROM gen g, range(1, 3) r(s), (SELECT row_number() OVER () AS k, * FROM areas) a
            WHERE a.k = g.area AND s <= g.sites""")
        con.execute("""
            INSERT INTO flows (activity_uid, seq, publisher_ref, type_code, date, year, country, country_source,
                sector_vocabulary, sector, sector3, sector_source, share, value, currency, usd, fx_rate,
                fx_date, counted)
            SELECT uid, t.seq, pub, t.code, DATE '2025-06-01', 2025, 'XZ', 'activity', '1', sector,
                   substr(sector, 1, 3), 'activity', 1.0, v, 'USD', v, 1.0, DATE '2025-06-01', TRUE
            FROM gen, (VALUES (1, '2'), (2, '3')) t(seq, code),
                 LATERAL (SELECT CASE WHEN t.code = '2' THEN committed ELSE committed * 0.6 END AS v)""")
    ws.close()


def build_workspace(path: Path, activities: int | None) -> str:
    if activities is None:
        from kizuna.demo.build import build_demo

        build_demo(path, path.parent / "inputs")
        return "the demo workspace (kizuna demo: 236 synthetic activities, survey, registers)"
    generate_workspace(path, activities)
    return f"a generated synthetic ledger of {activities:,} activities"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(path: Path, port: int, cache_size: int, src: Path | None = None) -> subprocess.Popen:
    code = (
        "import sys, uvicorn; from kizuna.web.app import create_app, LOOPBACK_HOSTS;"
        "app = create_app(sys.argv[1], allowed_hosts=LOOPBACK_HOSTS, cache_size=int(sys.argv[3]));"
        "uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[2]), log_level='warning', access_log=False)"
    )
    env = {**os.environ, "PYTHONPATH": str(src or ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-c", code, str(path), str(port), str(cache_size)], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (from /proc/<pid>/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client_cpu_seconds() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measured(pid: int, run):
    """Run ``run()``; return its result with the server's and this client's CPU ms per request."""
    s0, c0 = cpu_seconds(pid), client_cpu_seconds()
    res = run()
    n = max(1, len(res["latency"]))
    res["server_cpu_ms"] = (cpu_seconds(pid) - s0) * 1000 / n
    res["client_cpu_ms"] = (client_cpu_seconds() - c0) * 1000 / n
    return res


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, url: str, extra: str = ""
) -> tuple[int, dict[str, str]]:
    """One HTTP/1.1 GET on a kept-alive connection; reads the whole body (Content-Length or chunked).
    ``extra``: more header lines, each ending in CRLF (e.g. an Authorization header)."""
    writer.write(f"GET {url} HTTP/1.1\r\nHost: {host}\r\n{extra}Accept-Encoding: identity\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers


async def load(
    base: str, urls: list[str], clients: int, seconds: float, headers: list[str] | None = None, think: float = 0.0
) -> dict[str, list]:
    """``clients`` tasks, each on its own kept-alive connection, requesting the URLs in turn until the
    time is up; latencies in ms, and when each request started (``at``, s from the start).
    ``headers``: extra header lines per client (client k sends ``headers[k % len(headers)]``, e.g. an
    organisation's ``Authorization: Bearer …\r\n``); ``think``: seconds each client pauses between requests.

    The client is a few lines of asyncio streams rather than httpx: on 2 shared cores httpx spent about
    7x the server's CPU per request, so it measured itself more than the server.
    """
    results: dict[str, Any] = {
        "latency": [],
        "server": [],
        "errors": [],
        "by_url": {u.split("?")[0]: [] for u in urls},
        "at": [],
    }
    start = time.perf_counter()
    deadline = start + seconds
    host_port = base.split("//", 1)[1]
    host, port = host_port.split(":")

    async def worker(k: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        extra = headers[k % len(headers)] if headers else ""
        i = k
        status: int | str = 0
        try:
            while time.perf_counter() < deadline:
                url = urls[i % len(urls)]
                i += 1
                t0 = time.perf_counter()
                try:
                    status, got = await asyncio.wait_for(_get(reader, writer, host_port, url, extra), 30)
                    ok = status == 200
                    timing = got.get("server-timing", "")
                    if "dur=" in timing:
                        results["server"].append(float(timing.split("dur=")[1].split(";")[0]))
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    ok, status = False, str(exc) or type(exc).__name__
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                ms = (time.perf_counter() - t0) * 1000
                results["latency"].append(ms)
                results["at"].append(t0 - start)
                results["by_url"][url.split("?")[0]].append(ms)
                if not ok:
                    results["errors"].append(str(status))
                if think:
                    await asyncio.sleep(think)
        finally:
            writer.close()

    await asyncio.gather(*(worker(k) for k in range(clients)))
    return results


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def report(name: str, res: dict, seconds: float) -> dict[str, float]:
    lat = res["latency"]
    row = {
        "requests": len(lat),
        "rps": len(lat) / seconds,
        "p50": pct(lat, 50),
        "p95": pct(lat, 95),
        "p99": pct(lat, 99),
        "errors": len(res["errors"]),
    }
    row["server_cpu_ms"] = res.get("server_cpu_ms", float("nan"))
    print(
        f"{name:<34} {row['requests']:>8,} req {row['rps']:>8.1f} req/s  p50 {row['p50']:>7.1f} ms"
        f"  p95 {row['p95']:>7.1f} ms  p99 {row['p99']:>7.1f} ms  errors {row['errors']}"
    )
    srv = res["server"]
    row["server_p95"] = pct(srv, 95)
    print(
        f"    CPU per request: server {row['server_cpu_ms']:.2f} ms, client {res.get('client_cpu_ms', 0):.2f} ms;"
        f" time inside the server (Server-Timing): p50 {pct(srv, 50):.2f} ms, p95 {pct(srv, 95):.2f} ms,"
        f" p99 {pct(srv, 99):.2f} ms"
    )
    if len(res["by_url"]) > 1:
        for url, values in res["by_url"].items():
            print(
                f"    {url:<30} {len(values):>8,} req  p50 {pct(values, 50):>7.1f} ms  p95 {pct(values, 95):>7.1f} ms"
                f"  p99 {pct(values, 99):>7.1f} ms"
            )
    return row


def compare_languages(pid: int, base: str, args: argparse.Namespace, seconds: float, label: str):
    """``args.page`` in English and in ``args.lang``, page only, ``args.rounds`` alternated rounds each;
    the median over rounds of each figure, per language."""
    sep = "&" if "?" in args.page else "?"
    urls = {lang: f"{args.page}{sep}lang={lang}" for lang in ("en", args.lang)}
    for url in urls.values():  # the first request of each language: bundle, templates, catalogue
        httpx.get(base + url, timeout=120)
    runs: dict[str, list[dict[str, float]]] = {lang: [] for lang in urls}
    # Without the cache a page costs ~50-150 ms of CPU: 50 clients would queue for seconds and the
    # latency would measure the queue, so the cold runs use as many clients as there are cores.
    clients = args.clients if label == "cache on" else args.cold_clients
    for r in range(args.rounds):
        order = list(urls) if r % 2 == 0 else list(urls)[::-1]  # alternate who goes first
        for lang in order:
            run = functools.partial(load, base, [urls[lang]], clients, seconds)
            runs[lang].append(
                report(
                    f"{urls[lang]} ({label}, {clients} clients, round {r + 1})",
                    measured(pid, lambda f=run: asyncio.run(f())),
                    seconds,
                )
            )
    return {lang: {k: statistics.median(row[k] for row in rows) for k in rows[0]} for lang, rows in runs.items()}


def precompute_cost(path: Path, url: str, repeat: int = 7) -> dict[str, float]:
    """CPU ms of one overview render with its data-version precomputations built (warm) and of one right
    after they were dropped (as a write does: :meth:`kizuna.web.store.ReadOnlyStore.invalidate`), this
    code, in this process, medians of ``repeat``; their difference is what rebuilding costs."""
    import warnings

    from starlette.testclient import TestClient

    from kizuna.web.app import create_app

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    app = create_app(path, cache_size=0)
    client = TestClient(app)
    store = app.state.store
    for _ in range(3):
        client.get(url)

    def cpu_ms(drop: bool) -> float:
        if drop:
            store.invalidate()
        t0 = time.process_time()
        assert client.get(url).status_code == 200
        return (time.process_time() - t0) * 1000

    cold = [cpu_ms(True) for _ in range(repeat)]
    warm = [cpu_ms(False) for _ in range(repeat)]
    store.close()
    return {"after_change": statistics.median(cold), "warm": statistics.median(warm)}


def uncached(path: Path, args: argparse.Namespace, seconds: float) -> int:
    """``--uncached``: the overview with every per-request cache off, this code against ``--compare``."""
    page = args.page
    sides = {"this code": ROOT / "src"}
    if args.compare:
        sides = {"before (--compare)": Path(args.compare).resolve(), **sides}
    servers: dict[str, tuple[subprocess.Popen, str]] = {}
    try:
        for name, src in sides.items():
            port = free_port()
            servers[name] = (start_server(path, port, 0, src), f"http://127.0.0.1:{port}")
        first = next(iter(servers.values()))[1]
        allies = httpx.get(first + "/api/v1/publishers?country=XZ&limit=1000").json()["items"]
        refs = [a["publisher_ref"] for a in allies][:8] or [""]
        mixed = [u for r in refs for u in (page, f"/api/v1/activities?country=XZ&publisher={r}&limit=50")]
        for _proc, base in servers.values():
            asyncio.run(load(base, [page, *mixed], 2, 2.0))  # warm-up: bundle, templates, precomputations
        runs: dict[str, dict[str, list[dict[str, float]]]] = {n: {} for n in sides}
        for r in range(args.rounds):
            order = list(sides) if r % 2 == 0 else list(sides)[::-1]
            for name in order:
                proc, base = servers[name]
                for label, urls, clients in (
                    ("CPU per render, 1 client", [page], 1),
                    (f"overview, {args.clients} clients", [page], args.clients),
                    (f"dashboard, {args.clients} clients", mixed, args.clients),
                ):
                    run = functools.partial(load, base, urls, clients, seconds)
                    row = report(
                        f"{name}: {label} (cache off, round {r + 1})",
                        measured(proc.pid, lambda f=run: asyncio.run(f())),
                        seconds,
                    )
                    runs[name].setdefault(label, []).append(row)
            print(f"    load average {os.getloadavg()[0]:.1f}")
        for name, (proc, _base) in servers.items():
            print(f"{name}: server peak RSS {peak_rss_mib(proc.pid):.0f} MiB")
    finally:
        for proc, _base in servers.values():
            proc.terminate()
            proc.wait(10)
    cost = precompute_cost(path, page)
    print()
    med = {
        n: {lab: {k: statistics.median(x[k] for x in rows) for k in rows[0]} for lab, rows in by.items()}
        for n, by in runs.items()
    }
    cpu_label, page_label, mixed_label = list(next(iter(runs.values())))
    for name, by in med.items():
        print(
            f"{name} (median of {args.rounds} rounds, every per-request cache off): server CPU per overview"
            f" render {by[cpu_label]['server_cpu_ms']:.1f} ms (1 client, p50 {by[cpu_label]['p50']:.1f} ms);"
            f" {args.clients} clients: overview p95 {by[page_label]['p95']:.0f} ms, {by[page_label]['rps']:.0f} req/s,"
            f" errors {by[page_label]['errors']:.0f}; dashboard p95 {by[mixed_label]['p95']:.0f} ms,"
            f" {by[mixed_label]['rps']:.0f} req/s, errors {by[mixed_label]['errors']:.0f}"
        )
    ours = med["this code"]
    if args.compare:
        before = med["before (--compare)"]
        cpu_ratio = ours[cpu_label]["server_cpu_ms"] / before[cpu_label]["server_cpu_ms"]
        print(
            f"ratio this code / before: CPU per render {cpu_ratio:.3f}x;"
            f" overview p95 {ours[page_label]['p95'] / before[page_label]['p95']:.3f}x;"
            f" dashboard p95 {ours[mixed_label]['p95'] / before[mixed_label]['p95']:.3f}x"
        )
    print(
        f"data-version precomputations (this code, in-process, median of 7): a render right after a data change"
        f" costs {cost['after_change']:.1f} ms CPU against {cost['warm']:.1f} ms warm: rebuilding them costs"
        f" {cost['after_change'] - cost['warm']:.1f} ms, once per data version"
    )
    ok = (
        ours[cpu_label]["server_cpu_ms"] < 15
        and ours[page_label]["p95"] < 500
        and ours[mixed_label]["p95"] < 500
        and ours[page_label]["errors"] == 0
        and ours[mixed_label]["errors"] == 0
    )
    print(
        f"target with caches off: < 15 ms CPU per render, p95 < 500 ms at {args.clients} clients, no errors:"
        f" {'OK' if ok else 'MISSED'}"
    )
    print(f"load average while running: {os.getloadavg()[0]:.1f} (2 cores; above 2 means other work competed)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="5-second runs")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--activities", type=int, default=None, help="generate this many activities instead of the demo")
    ap.add_argument("--lang", default=None, help="compare this language's page with English's (e.g. ja)")
    ap.add_argument("--page", default="/?country=XZ", help="the page --lang compares (default the overview)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of each language with --lang (medians)")
    ap.add_argument("--only-lang", action="store_true", help="with --lang: skip the mixed dashboard runs")
    ap.add_argument(
        "--cold-clients",
        type=int,
        default=2,
        help="clients of the --lang runs with the cache off (default 2, the cores: 50 would only measure the queue)",
    )
    ap.add_argument("--uncached", action="store_true", help="every per-request cache off: CPU per overview render, p95")
    ap.add_argument(
        "--compare", default=None, help="with --uncached: another checkout's src directory (the code before)"
    )
    args = ap.parse_args()
    seconds = 5.0 if args.quick else args.seconds

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        what = build_workspace(path, args.activities)
        print(f"workspace: {what}, built in {time.perf_counter() - t0:.1f} s")
        print(f"machine: {os.cpu_count()} cores; {args.clients} concurrent clients; {seconds:.0f} s per run\n")
        if args.uncached:
            return uncached(path, args, seconds)
        rows: dict[str, dict[str, float]] = {}
        lang_rows: dict[str, dict[str, dict[str, float]]] = {}
        for cache_size, label in ((512, "cache on"), (0, "cache off")):
            # cache off: no result, page or body cache; every request runs its queries and analyses
            # (only the ledger frames and table counts are kept, as they always are)
            port = free_port()
            proc = start_server(path, port, cache_size)
            base = f"http://127.0.0.1:{port}"
            try:
                allies = httpx.get(base + "/api/v1/publishers?country=XZ&limit=1000").json()["items"]
                refs = [a["publisher_ref"] for a in allies][:8] or [""]
                api_urls = [f"/api/v1/activities?country=XZ&publisher={r}&limit=50" for r in refs]
                mixed = [u for r in api_urls for u in ("/?country=XZ", r)]
                if cache_size:
                    # cold: the first request of each page computes everything it shows
                    for url in (
                        "/?country=XZ",
                        api_urls[0],
                        "/presence?country=XZ",
                        "/overlaps",
                        "/division",
                        "/vital-core",
                        "/screening",
                        "/gaps",
                    ):
                        t0 = time.perf_counter()
                        status = httpx.get(base + url, timeout=120).status_code
                        print(f"cold first request {url:<58} {status}  {(time.perf_counter() - t0) * 1000:8.1f} ms")
                    print()
                asyncio.run(load(base, mixed, 4, 2.0))  # warm-up: bundle, templates, caches
                if cache_size:
                    static = functools.partial(load, base, ["/static/style.css"], args.clients, seconds)
                    rows["baseline"] = report(
                        "baseline: static style.css", measured(proc.pid, lambda f=static: asyncio.run(f())), seconds
                    )
                if not args.only_lang:
                    dashboard = functools.partial(load, base, mixed, args.clients, seconds)
                    rows[label] = report(
                        f"dashboard ({label})", measured(proc.pid, lambda f=dashboard: asyncio.run(f())), seconds
                    )
                    print(f"    server peak RSS {peak_rss_mib(proc.pid):.0f} MiB")
                if args.lang:
                    lang_rows[label] = compare_languages(proc.pid, base, args, seconds, label)
                    print(f"    server peak RSS {peak_rss_mib(proc.pid):.0f} MiB (after the language runs)")
            finally:
                proc.terminate()
                proc.wait(10)
        base_p95 = rows["baseline"]["p95"]
        print()
        for label in () if args.only_lang else ("cache on", "cache off"):
            r = rows[label]
            verdict = "OK" if r["p95"] < 200 and r["errors"] == 0 else "MISSED"
            print(
                f"dashboard {label}: p95 {r['p95']:.1f} ms = {r['p95'] / base_p95:.1f}x the static baseline;"
                f" throughput {r['rps'] / rows['baseline']['rps']:.2f}x; server CPU/request"
                f" {r['server_cpu_ms'] / rows['baseline']['server_cpu_ms']:.2f}x;"
                f" target p95 < 200 ms, 0 errors: {verdict}"
            )
        for label, by_lang in lang_rows.items():
            en, other = by_lang["en"], by_lang[args.lang]
            p95_ratio, cpu_ratio = other["p95"] / en["p95"], other["server_cpu_ms"] / en["server_cpu_ms"]
            within = p95_ratio <= 1.10 and cpu_ratio <= 1.10
            fast = other["p95"] < 200 or label == "cache off"  # the 200 ms target is the product's configuration
            verdict = "OK" if within and fast and other["errors"] == 0 and en["errors"] == 0 else "MISSED"
            print(
                f"{args.page} in {args.lang} vs en, {label} (median of {args.rounds} rounds): p95"
                f" {other['p95']:.1f} / {en['p95']:.1f} ms = {p95_ratio:.3f}x; p50 {other['p50']:.1f} / {en['p50']:.1f}"
                f" ms = {other['p50'] / en['p50']:.3f}x; server CPU/request {other['server_cpu_ms']:.2f} /"
                f" {en['server_cpu_ms']:.2f} ms = {cpu_ratio:.3f}x; errors {other['errors']:.0f} / {en['errors']:.0f};"
                f" {args.lang} p95 = {other['p95'] / base_p95:.2f}x the static floor; target within 10 %"
                f"{', p95 < 200 ms' if label == 'cache on' else ''}, 0 errors: {verdict}"
            )
        print(f"load average while running: {os.getloadavg()[0]:.1f} (2 cores; above 2 means other work competed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
