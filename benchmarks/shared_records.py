"""Benchmark: an IATI file into PostgreSQL (shared mode) against the plain DuckDB ingest of the same file.

Side by side, in one run, each in its own child process (so peak RSS is its own), on a throwaway
PostgreSQL cluster (Debian's, kizuna.shared.devcluster) on 127.0.0.1:

* **duckdb** (the baseline): ``kizuna.ledger.ingest.ingest_paths`` into a fresh workspace, what
  ``kizuna ingest FILE`` does;
* **pg**: ``kizuna.shared.records.load_import`` as an editor under row-level security: the same ingest
  into a staging DuckDB workspace, then every row COPY'd into PostgreSQL through a temporary table and
  one ``INSERT ... SELECT`` per table (which the RLS policies check); split into its two stages;
* **copy**: ``kizuna.shared.analytic.build_analytical_copy`` for the owner, once the file is in
  PostgreSQL: the DuckDB workspace the pages run on, read back through RLS, flows rebuilt.

Prints seconds, rows stored, rows/s and peak RSS for each, and the ratios pg/duckdb and copy/duckdb.
Usage: ``python3 benchmarks/shared_records.py [--files usaid-cf.xml,...] [--mb 50] [--repeat 3]``.
``--mb N`` adds one synthetic file of N MB (the shared activities repeated with new identifiers, as
benchmarks/ingest.py builds it). Needs ../shared/data beside the repository and PostgreSQL's server
programs (apt-get install postgresql).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DEFAULT_FILES = ("iati/usaid-cf.xml", "iati-more/dportal-covid-extract.xml", "iati-more/worldbank-sv.xml")


def _duckdb(path: str, _url: str) -> dict:
    from kizuna.ledger.ingest import ingest_paths
    from kizuna.shared import records

    records.staging_template()  # made once per process, as the server does: not the ingest's cost
    with tempfile.TemporaryDirectory() as folder, records.staging_workspace(Path(folder)) as ws:
        t = time.perf_counter()
        ingest_paths(ws, [Path(path)])
        seconds = time.perf_counter() - t
        rows = sum(n for name, n in ws.table_counts().items() if name in records.RECORD_TABLES)
    return {"seconds": seconds, "rows": rows}


def _pg(path: str, url: str) -> dict:
    from kizuna.shared import pg, records
    from kizuna.workspace import file_sha256

    records.staging_template()
    marks: dict[str, float] = {}

    def progress(_fraction: float, stage: str) -> None:
        marks.setdefault(stage, time.perf_counter())

    p = Path(path)
    with pg.connect(url, as_app=True) as con:
        t = time.perf_counter()
        with pg.acting(con, 1, "editor") as a:
            iid = a.execute(
                "INSERT INTO imports (kind, file_name, sha256, org_id) VALUES ('iati', %s, %s, 1) RETURNING import_id",
                [p.name, file_sha256(p) + str(time.time())],
            ).fetchone()["import_id"]
            counts = records.load_import(a, import_id=iid, kind="iati", path=p, progress=progress)
        seconds = time.perf_counter() - t  # with the COMMIT
    staged = marks[records.STAGE_COPYING] - marks[records.STAGE_READING]
    return {"seconds": seconds, "rows": sum(counts.values()), "staging": staged, "into_pg": seconds - staged}


def _copy(_path: str, url: str) -> dict:
    from kizuna.shared import analytic, pg, records

    records.staging_template()
    with tempfile.TemporaryDirectory() as folder, pg.connect(url, as_app=True) as con:
        t = time.perf_counter()
        with pg.acting(con, 1, "viewer"):
            analytic.build_analytical_copy(con, Path(folder) / "copy.duckdb")
        return {"seconds": time.perf_counter() - t, "rows": 0}


def _child(mode: str, path: str, url: str, out: mp.Queue) -> None:
    result = {"_duckdb": _duckdb, "_pg": _pg, "_copy": _copy}[mode](path, url)
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(result)


def run_child(mode: str, path: Path, url: str) -> dict:
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(mode, str(path), url, q))
    proc.start()
    result = q.get()
    proc.join()
    return result


def fresh_database(cluster, name: str) -> str:
    from kizuna.shared import pg

    with pg.connect(cluster.url(), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {name}")
    url = cluster.url(name)
    pg.migrate(url)
    with pg.connect(url) as con:
        con.execute("INSERT INTO orgs (org_id, slug, name) VALUES (1, 'bench', 'Bench')")
        con.commit()
    return url


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", default=",".join(DEFAULT_FILES), help="paths under ../shared/data, comma-separated")
    ap.add_argument("--mb", type=int, default=0, help="add one synthetic IATI file of this many MB")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    paths = [SHARED / f for f in args.files.split(",") if f]
    if args.mb:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from ingest import build_input  # benchmarks/ingest.py: the shared activities repeated

        paths.append(build_input(args.mb)[0])
    from kizuna.shared import devcluster

    cluster = devcluster.start_cluster()
    try:
        print(f"{'file':<34} {'MB':>6} {'mode':<7} {'seconds':>8} {'rows':>9} {'rows/s':>9} {'RSS MB':>7}  detail")
        for path in paths:
            mb = path.stat().st_size / 1e6
            runs: dict[str, list[dict]] = {"duckdb": [], "pg": [], "copy": []}
            for i in range(args.repeat):
                url = fresh_database(cluster, f"bench{i}")
                runs["duckdb"].append(run_child("_duckdb", path, url))
                runs["pg"].append(run_child("_pg", path, url))
                runs["copy"].append(run_child("_copy", path, url))
            med = {m: statistics.median(r["seconds"] for r in rs) for m, rs in runs.items()}
            for mode, rs in runs.items():
                rows = rs[0]["rows"]
                detail = ""
                if mode == "pg":
                    detail = (
                        f"staging {statistics.median(r['staging'] for r in rs):.2f} s + into PostgreSQL"
                        f" {statistics.median(r['into_pg'] for r in rs):.2f} s; x{med['pg'] / med['duckdb']:.2f} duckdb"
                    )
                elif mode == "copy":
                    detail = f"x{med['copy'] / med['duckdb']:.2f} duckdb"
                rate = f"{rows / med[mode]:>9.0f}" if rows else f"{'':>9}"
                print(
                    f"{path.name[:34]:<34} {mb:>6.1f} {mode:<7} {med[mode]:>8.2f} {rows or '':>9} {rate}"
                    f" {max(r['rss_mb'] for r in rs):>7.0f}  {detail}"
                )
    finally:
        cluster.remove()


if __name__ == "__main__":
    main()
