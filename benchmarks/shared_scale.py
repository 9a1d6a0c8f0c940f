"""Shared mode at alliance scale, at the PostgreSQL level: 50 agencies x 10 countries x 10 years.

    python3 benchmarks/shared_scale.py [--agencies 50 --countries 10 --years 10]
        [--activities 20 --transactions 10] [--repeat 5] [--orgs 3] [--analytic [--flows-baseline]]
        [--database URL]
        [--policies 0011,0040] [--forced-seqscan]

Without ``--database`` it starts Kizuna's throwaway cluster (Debian's PostgreSQL in a temporary
directory, ``fsync=off``: write timings are lower bounds, read timings are not affected) and removes it.
With ``--database URL`` (a superuser or the owner of an EMPTY database) it uses that server.

1. Load: one import per agency x country x year (visibility: 70 % alliance, 20 % shared with three
   other agencies, 10 % private), and per import ``--activities`` activities with one country, one
   sector, one budget, and ``--transactions`` transactions each, all made with ``generate_series`` in
   SQL as the owner. Prints rows and on-disk size per table (``pg_total_relation_size``).
2. Reads, each the median of ``--repeat`` runs for ``--orgs`` agencies, once per shape of the record
   tables' row-level security policies (``--policies``): the named baseline **0011** (``import_id IN
   (SELECT import_id FROM imports ...)``, a hashed sub-plan probed per row) and **0040** (``import_id =
   ANY ((SELECT kizuna_readable_imports())::integer[])``, an InitPlan run once per statement, so the
   ``import_id`` index can be used). The policies of each shape are taken from that migration file and
   put in place as the owner between the phases (DROP/CREATE POLICY, committed); the database ends with
   the migrations' own (0040). The answers of both shapes are checked equal.
   - **RLS**: the dashboard's aggregate (sum of transactions by country, year and type, through
     ``activity_countries``) as ``kizuna_app`` acting for the agency — row-level security filters;
   - **owner, same filter**: the same query as the owner (no RLS) with the visibility rule written
     out in the WHERE clause: the baseline that says what RLS itself costs;
   - **owner, all rows**: no filter at all, the upper bound of the work.
   - **own rows**: the agency's own transactions total, under RLS, as a sub-select on ``imports`` and
     with the agency's import ids fetched first (``import_id = ANY(ids)``: the index is used).
   With ``--forced-seqscan``, one more read per shape, once, for the first agency: its visible
   transactions counted with index and bitmap scans off (``SET LOCAL``), the plan the policies fall
   back to if the planner ever scans a record table in full (0040 then compares each row with the whole
   array of readable ids: PostgreSQL 15 hashes ``= ANY`` only for constant arrays).
3. Analytical copy, per shape too: the agency's visible transactions, activities and countries exported under RLS
   with ``COPY ... TO STDOUT`` into a DuckDB file (the transfer alone), the same aggregate over that
   file in DuckDB, and with ``--analytic`` one run of the real copy,
   ``kizuna.shared.analytic.build_analytical_copy`` (every record table, reference data, flows rebuilt);
   with ``--flows-baseline`` too, the copy's flows derived again by ``rebuild_flows`` (one statement)
   and by the baseline, ``build_flows`` import by import (the code before), checked equal.

Prints every figure, the ratios (0040 / 0011 below 1 means the new policies are faster), and this
process's peak RSS. Not part of pytest.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
MIGRATIONS = ROOT / "src" / "kizuna" / "shared" / "migrations"

COPY_TABLES = (
    ("transactions", "activity_uid, type_code, date, value, currency, import_id"),
    ("activities", "activity_uid, iati_identifier, title, start_date, end_date, import_id"),
    ("activity_countries", "activity_uid, code, percentage, import_id"),
)
RECORD_TABLES = ("imports", "activities", "activity_countries", "activity_sectors", "budgets", "transactions")

AGGREGATE = """
SELECT ac.code AS country, extract(year FROM t.date)::int AS year, t.type_code,
       sum(t.value * coalesce(ac.percentage, 100) / 100) AS usd, count(*) AS n
FROM transactions t
JOIN activity_countries ac ON ac.activity_uid = t.activity_uid AND ac.import_id = t.import_id
{where}
GROUP BY 1, 2, 3
"""
# The visibility rule of kizuna_can_see, written out for the owner (who is not subject to RLS).
VISIBLE = (
    "(SELECT import_id FROM imports WHERE org_id = {org} OR visibility = 'alliance'"
    " OR (visibility = 'shared' AND {org} = ANY (shared_with)))"
)
OWNER_FILTER = "WHERE t.import_id IN " + VISIBLE + " AND ac.import_id IN " + VISIBLE
OWN_TOTAL = (
    "SELECT sum(value) AS usd, count(*) AS n FROM transactions"
    " WHERE import_id IN (SELECT import_id FROM imports WHERE org_id = {org})"
)


def load(con: Any, agencies: int, countries: int, years: int, per_import: int, tx: int) -> float:
    """Generate the synthetic alliance as the owner (integers only go into the SQL); returns seconds."""
    a, c, y, per, tx = int(agencies), int(countries), int(years), int(per_import), int(tx)
    t0 = time.perf_counter()
    con.execute(f"INSERT INTO orgs (slug, name) SELECT 'agency-' || g, 'Agency ' || g FROM generate_series(1, {a}) g")
    # one import per agency x country x year; visibility from a fixed rule so every run is the same
    con.execute(f"""
        INSERT INTO imports (kind, file_name, sha256, org_id, visibility, shared_with, status)
        SELECT 'iati', format('agency-%s-C%s-%s.xml', g, c, y), md5(format('%s/%s/%s', g, c, y)) || md5(g::text),
               o.org_id,
               CASE WHEN (g * 7 + c * 3 + y) % 10 < 7 THEN 'alliance'
                    WHEN (g * 7 + c * 3 + y) % 10 < 9 THEN 'shared' ELSE 'private' END,
               CASE WHEN (g * 7 + c * 3 + y) % 10 BETWEEN 7 AND 8
                    THEN ARRAY[(g % {a}) + 1, ((g + 1) % {a}) + 1, ((g + 2) % {a}) + 1]::bigint[]
                    ELSE '{{}}'::bigint[] END,
               'done'
        FROM generate_series(1, {a}) g
        JOIN orgs o ON o.slug = 'agency-' || g
        CROSS JOIN generate_series(1, {c}) c
        CROSS JOIN generate_series(0, {y} - 1) y""")
    con.execute("""
        CREATE TEMP TABLE imp AS
        SELECT import_id, split_part(file_name, '-', 3) AS country,
               2015 + split_part(split_part(file_name, '-', 4), '.', 1)::int AS year
        FROM imports""")
    con.execute(f"""
        INSERT INTO activities (activity_uid, iati_identifier, source, import_id, publisher_ref, title,
                                default_currency, start_date, end_date)
        SELECT format('A%s-%s', i.import_id, g), format('XM-%s-%s', i.import_id, g), 'iati', i.import_id,
               'XM-' || i.import_id, 'Activity ' || g, 'USD', make_date(i.year, 1, 1), make_date(i.year, 12, 31)
        FROM imp i CROSS JOIN generate_series(1, {per}) g""")
    con.execute(
        "INSERT INTO activity_countries (activity_uid, code, percentage, import_id)"
        " SELECT a.activity_uid, i.country, 100, a.import_id FROM activities a JOIN imp i USING (import_id)"
    )
    con.execute(
        "INSERT INTO activity_sectors (activity_uid, vocabulary, code, percentage, import_id)"
        " SELECT activity_uid, '1',"
        " (ARRAY['15220','15240','14030','12220','11220'])[1 + abs(hashtext(activity_uid)) % 5],"
        " 100, import_id FROM activities"
    )
    con.execute(
        "INSERT INTO budgets (activity_uid, seq, type, status, period_start, period_end, value, currency, import_id)"
        " SELECT activity_uid, 1, '1', '2', start_date, end_date, 100000 + abs(hashtext(activity_uid)) % 900000,"
        " 'USD', import_id FROM activities"
    )
    con.execute(f"""
        INSERT INTO transactions (activity_uid, seq, type_code, date, value, currency, import_id)
        SELECT a.activity_uid, s, CASE WHEN s = 1 THEN '2' ELSE '3' END,
               a.start_date + ((s * 31) % 365), 1000 + abs(hashtext(a.activity_uid || s)) % 99000, 'USD', a.import_id
        FROM activities a CROSS JOIN generate_series(1, {tx}) s""")
    con.commit()
    con.autocommit = True
    con.execute("VACUUM ANALYZE")
    con.autocommit = False
    return time.perf_counter() - t0


def policy_sql(version: str) -> str:
    """The record tables' policies as migration ``version`` (``0011`` or ``0040``) creates them, each
    preceded by a DROP of the policy of that name, as one script (the owner runs it in one transaction)."""
    path = next(MIGRATIONS.glob(f"{version}_*.sql"))
    out = []
    for line in path.read_text().splitlines():
        m = re.match(r"CREATE POLICY (\w+) ON (\w+) ", line)
        if m:
            out.append(f"DROP POLICY IF EXISTS {m.group(1)} ON {m.group(2)};")
            out.append(line)
    if not out:
        raise SystemExit(f"{path.name} creates no policy")
    return "\n".join(out)


def use_policies(url: str, version: str) -> None:
    """Put the record tables' policies of migration ``version`` in place (committed), then re-plan."""
    from kizuna.shared import pg

    with pg.connect(url) as con:
        con.execute(policy_sql(version).encode())
        con.commit()


def _load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def _same(a: list[Any], b: list[Any]) -> bool:
    """Two aggregate results agree (groups equal, sums to 1e-6 relative: float sums depend on the order)."""
    key = lambda r: (r["country"], r["year"], r["type_code"])  # noqa: E731
    da, db = {key(r): r for r in a}, {key(r): r for r in b}
    return da.keys() == db.keys() and all(
        da[k]["n"] == db[k]["n"] and abs(da[k]["usd"] - db[k]["usd"]) <= 1e-6 * max(1.0, abs(da[k]["usd"])) for k in da
    )


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` runs (after one warm-up run) and the last result."""
    fn()
    runs, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), out


def agency_reads(app: Any, owner: Any, org: int, repeat: int) -> dict[str, Any]:
    """The reads that go through the record tables' policies, for one agency: (median seconds, result)."""
    from kizuna.shared import pg

    def rls() -> Any:
        with pg.acting(app, org, "viewer"):
            return app.execute(AGGREGATE.format(where="")).fetchall()

    def rls_hash() -> Any:
        # the same under RLS with the planner kept from sorting 700,000 rows for 200 groups (its
        # join estimate is far too low: it picks a sort that spills to disk)
        with pg.acting(app, org, "viewer"):
            app.execute("SET LOCAL enable_sort = off")
            return app.execute(AGGREGATE.format(where="")).fetchall()

    def own() -> Any:
        with pg.acting(app, org, "viewer"):
            return app.execute(OWN_TOTAL.format(org=org)).fetchone()

    def own_ids_first() -> Any:
        # the agency's import ids first (a small table), then the records by `import_id = ANY(...)`
        # in the query itself
        with pg.acting(app, org, "viewer"):
            ids = [
                r["import_id"] for r in app.execute("SELECT import_id FROM imports WHERE org_id = %s", [org]).fetchall()
            ]
            return app.execute(
                "SELECT sum(value) AS usd, count(*) AS n FROM transactions WHERE import_id = ANY(%s)", [ids]
            ).fetchone()

    out = {
        name: timed(fn, repeat) for name, fn in (("rls", rls), ("hash", rls_hash), ("own", own), ("ids", own_ids_first))
    }
    assert out["own"][1]["n"] == out["ids"][1]["n"], "the two forms of the agency's own total disagree"
    assert _same(out["rls"][1], out["hash"][1]), "the two plans of the aggregate disagree"
    return out


def copy_out(app: Any, org: int, folder: Path, keep: bool = False) -> tuple[int, Path]:
    """The analytical copy's transfer: one agency's visible rows of three tables under RLS into a DuckDB
    file; returns (rows, path of the file, removed unless ``keep``)."""
    import duckdb

    from kizuna.shared import pg

    path = folder / f"{uuid.uuid4().hex}.duckdb"
    duck = duckdb.connect(str(path))
    n = 0
    for table, cols in COPY_TABLES:
        csv = folder / f"{table}.csv"
        with (
            pg.acting(app, org, "viewer"),
            app.cursor().copy(f"COPY (SELECT {cols} FROM {table}) TO STDOUT (FORMAT csv, HEADER)") as cp,
            open(csv, "wb") as fh,
        ):
            for block in cp:
                fh.write(block)
        duck.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv_auto('{csv}')")
        got = duck.execute(f"SELECT count(*) FROM {table}").fetchone()
        n += int(got[0]) if got else 0
        csv.unlink()
    duck.close()
    if not keep:
        path.unlink()
    return n, path


def build_copy(app: Any, org: int, folder: Path, flows_baseline: bool = False) -> tuple[float, int, str]:
    """One run of the real analytical copy (kizuna.shared.analytic: every visible record table, reference
    data, flows and location areas rebuilt as the CLI does): (seconds, transactions in the copy, and
    with ``flows_baseline`` the line of :func:`flows_rebuild`)."""
    import duckdb

    from kizuna.shared import pg
    from kizuna.shared.analytic import build_analytical_copy

    target = folder / f"analytic-{uuid.uuid4().hex}.duckdb"
    t0 = time.perf_counter()
    with pg.acting(app, org, "viewer"):
        build_analytical_copy(app, target)
    seconds = time.perf_counter() - t0
    built = duckdb.connect(str(target), read_only=True)
    got = built.execute("SELECT count(*) FROM transactions").fetchone()
    built.close()
    flows = flows_rebuild(target) if flows_baseline else ""
    target.unlink()
    return seconds, int(got[0]) if got else 0, flows


def flows_rebuild(path: Path) -> str:
    """In a built copy: ``kizuna.ledger.money.rebuild_flows`` (every activity's flows in one statement)
    against the baseline, the code before it: ``build_flows`` import by import, then the marks. Each
    runs once, in a transaction rolled back; their flows are checked equal. Returns the line to print."""
    import duckdb

    from kizuna.ledger.money import build_flows, mark_double_counting, rebuild_flows

    con = duckdb.connect(str(path))
    snapshot = "SELECT count(*), sum(hash(activity_uid, seq, country, region, sector, usd, counted)) FROM flows"
    try:
        con.begin()
        t0 = time.perf_counter()
        con.execute("DELETE FROM flows")
        ids = [r[0] for r in con.execute("SELECT DISTINCT import_id FROM activities ORDER BY 1").fetchall()]
        for import_id in ids:
            build_flows(con, import_id)
        mark_double_counting(con)
        t_base = time.perf_counter() - t0
        base = con.execute(snapshot).fetchone()
        con.rollback()
        con.begin()
        t0 = time.perf_counter()
        rebuild_flows(con)
        t_new = time.perf_counter() - t0
        new = con.execute(snapshot).fetchone()
        con.rollback()
    finally:
        con.close()
    assert new == base, "rebuild_flows and the import-by-import baseline disagree"
    return (
        f"flows of the copy ({base[0]:,} rows, {len(ids):,} imports): rebuild_flows in one statement {t_new:.2f} s;"
        f" baseline build_flows import by import {t_base:.2f} s; ratio {t_base / t_new:.1f}x (one run each)"
    )


def forced_seqscan(app: Any, org: int) -> tuple[float, int]:
    """One count of the agency's visible transactions with index and bitmap scans off (seconds, rows)."""
    from kizuna.shared import pg

    with pg.acting(app, org, "viewer"):
        for setting in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"):
            app.execute(f"SET LOCAL {setting} = off")
        t0 = time.perf_counter()
        n = app.execute("SELECT count(value) AS n FROM transactions").fetchone()["n"]
        return time.perf_counter() - t0, int(n)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agencies", type=int, default=50)
    ap.add_argument("--countries", type=int, default=10)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--activities", type=int, default=20, help="activities per import")
    ap.add_argument("--transactions", type=int, default=10, help="transactions per activity")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--orgs", type=int, default=3, help="agencies whose reads are timed")
    ap.add_argument(
        "--analytic",
        action="store_true",
        help="also time one run of kizuna.shared.analytic.build_analytical_copy per policy shape",
    )
    ap.add_argument(
        "--flows-baseline",
        action="store_true",
        help="with --analytic: also time the copy's flows rebuilt import by import (the code before; slow at"
        " full size: one ledger scan per import)",
    )
    ap.add_argument("--database", help="an empty database (owner or superuser URL); default: a throwaway cluster")
    ap.add_argument(
        "--forced-seqscan",
        action="store_true",
        help="also time one read per shape with index and bitmap scans off (slow under 0040 at full size)",
    )
    ap.add_argument(
        "--policies",
        default="0011,0040",
        help="the policy shapes to time, by migration number, the baseline first (default 0011,0040)",
    )
    args = ap.parse_args()
    shapes = [v.strip() for v in args.policies.split(",") if v.strip()]

    import duckdb

    from kizuna.shared import devcluster, pg

    print("load average at the start: " + _load_average())
    cluster = None
    if args.database:
        url = args.database
    else:
        cluster = devcluster.start_cluster()
        with pg.connect(cluster.url(), autocommit=True) as con:
            con.execute("CREATE DATABASE kizuna_scale")
        url = cluster.url("kizuna_scale")
    try:
        pg.migrate(url)
        with pg.connect(url) as con:
            version = con.execute("SHOW server_version").fetchone()["server_version"]
            seconds = load(con, args.agencies, args.countries, args.years, args.activities, args.transactions)
            print(
                f"PostgreSQL {version}; {args.agencies} agencies x {args.countries} countries x {args.years} years,"
                f" {args.activities} activities per import, {args.transactions} transactions each"
            )
            print(f"load (generate_series as owner, one transaction, then VACUUM ANALYZE): {seconds:.1f} s")
            print(f"{'table':<20}{'rows':>12}{'size MiB':>11}")
            total = 0
            for t in RECORD_TABLES:
                n = con.execute(f"SELECT count(*) AS n FROM {t}").fetchone()["n"]
                size = con.execute("SELECT pg_total_relation_size(%s) AS b", [t]).fetchone()["b"]
                total += size
                print(f"{t:<20}{n:>12,}{size / 2**20:>11.1f}")
            db_size = con.execute("SELECT pg_database_size(current_database()) AS b").fetchone()["b"]
            print(f"{'these tables':<20}{'':>12}{total / 2**20:>11.1f}")
            print(f"{'whole database':<20}{'':>12}{db_size / 2**20:>11.1f}")
            org_ids = [
                r["org_id"]
                for r in con.execute("SELECT org_id FROM orgs ORDER BY org_id LIMIT %s", [args.orgs]).fetchall()
            ]
            con.commit()

        owner = pg.connect(url, autocommit=True)
        # independent of the policies (the owner is not subject to RLS): the baseline of what RLS costs
        same_rule = {
            org: timed(
                lambda org=org: owner.execute(AGGREGATE.format(where=OWNER_FILTER.format(org=org))).fetchall(),
                args.repeat,
            )
            for org in org_ids
        }
        t_all, r_all = timed(lambda: owner.execute(AGGREGATE.format(where="")).fetchall(), args.repeat)

        reads: dict[str, dict[int, dict[str, Any]]] = {}
        copies_t: dict[str, float] = {}
        builds: dict[str, tuple[float, int, str]] = {}
        seqscans: dict[str, tuple[float, int]] = {}
        n_copy, t_duck = 0, 0.0
        copies = max(1, args.repeat // 2)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for shape in shapes:
                use_policies(url, shape)
                app = pg.connect(url, as_app=True)  # a new session: no plan cached under the other policies
                reads[shape] = {org: agency_reads(app, owner, org, args.repeat) for org in org_ids}
                for org in org_ids:
                    assert _same(reads[shape][org]["rls"][1], same_rule[org][1]), (
                        "RLS and the written-out rule disagree"
                    )
                    assert _same(reads[shape][org]["rls"][1], reads[shapes[0]][org]["rls"][1]), "the shapes disagree"
                org = org_ids[0]
                copies_t[shape], (n_copy, _) = timed(lambda app=app, org=org: copy_out(app, org, folder), copies)
                if shape == shapes[-1]:
                    _, kept = copy_out(app, org, folder, keep=True)
                    kept_copy = duckdb.connect(str(kept), read_only=True)
                    t_duck, r_duck = timed(
                        lambda db=kept_copy: db.execute(AGGREGATE.format(where="")).fetchall(), args.repeat
                    )
                    kept_copy.close()
                    assert len(r_duck) == len(reads[shape][org]["rls"][1]), "DuckDB's copy and PostgreSQL disagree"
                if args.analytic:
                    builds[shape] = build_copy(app, org, folder, args.flows_baseline and shape == shapes[-1])
                if args.forced_seqscan:
                    seqscans[shape] = forced_seqscan(app, org)
                app.close()
        if shapes and shapes[-1] != "0040":
            use_policies(url, "0040")  # leave the database as the migrations made it

        all_rows = sum(r["n"] for r in r_all)
        med = statistics.median
        print()
        print(f"median of {args.repeat} runs per agency (ms); the owner with the rule written out needs no policy")
        print(
            f"{'agency':>7}{'visible tx':>12}{'owner+rule':>12}"
            + "".join(f"{'RLS ' + s:>11}{'hashagg ' + s:>14}{'own ' + s:>10}{'ids 1st ' + s:>14}" for s in shapes)
        )
        for org in org_ids:
            visible = sum(r["n"] for r in reads[shapes[0]][org]["rls"][1])
            line = f"{org:>7}{visible:>12,}{same_rule[org][0] * 1e3:>12.0f}"
            for s in shapes:
                r = reads[s][org]
                line += (
                    f"{r['rls'][0] * 1e3:>11.0f}{r['hash'][0] * 1e3:>14.0f}{r['own'][0] * 1e3:>10.1f}"
                    f"{r['ids'][0] * 1e3:>14.1f}"
                )
            print(line)

        def m(shape: str, key: str) -> float:
            return med(reads[shape][o][key][0] for o in org_ids)

        line = f"{'median':>7}{'':>12}{med(v[0] for v in same_rule.values()) * 1e3:>12.0f}"
        for s in shapes:
            line += f"{m(s, 'rls') * 1e3:>11.0f}{m(s, 'hash') * 1e3:>14.0f}"
            line += f"{m(s, 'own') * 1e3:>10.1f}{m(s, 'ids') * 1e3:>14.1f}"
        print(line)
        for s in shapes:
            print(f"policies {s}: RLS / owner+rule {med(reads[s][o]['rls'][0] / same_rule[o][0] for o in org_ids):.2f}")
        if len(shapes) > 1:
            base, new = shapes[0], shapes[-1]
            for key, what in (
                ("rls", "dashboard aggregate"),
                ("hash", "aggregate, hash forced"),
                ("own", "own total as a sub-select"),
                ("ids", "own total, ids named"),
            ):
                ratio = med(reads[new][o][key][0] / reads[base][o][key][0] for o in org_ids)
                print(f"{what:<28} {new} / {base} (median of the agencies' ratios): {ratio:.2f}")
        print(f"owner, all {all_rows:,} rows, no filter: {t_all * 1e3:.0f} ms")
        org = org_ids[0]
        for s in shapes:
            print(
                f"policies {s}: analytical copy transfer for agency {org}: {n_copy:,} rows (3 tables) under RLS"
                f" into DuckDB: {copies_t[s]:.2f} s (median of {copies})"
            )
            if s in seqscans:
                print(
                    f"policies {s}: agency {org}'s {seqscans[s][1]:,} visible transactions counted with index"
                    f" and bitmap scans off: {seqscans[s][0] * 1e3:,.0f} ms (one run)"
                )
            if s in builds:
                print(
                    f"policies {s}: kizuna.shared.analytic.build_analytical_copy for agency {org}:"
                    f" {builds[s][0]:.2f} s (one run; {builds[s][1]:,} transactions in the copy)"
                )
                if builds[s][2]:
                    print(f"policies {s}: {builds[s][2]}")
        if shapes:
            last = shapes[-1]
            print(
                f"the same aggregate in that DuckDB copy: {t_duck * 1e3:.0f} ms (median of {args.repeat});"
                f" PostgreSQL under policies {last} (median of the agencies) / DuckDB copy:"
                f" {m(last, 'rls') / t_duck:.1f}x"
            )
        owner.close()
    finally:
        if cluster is not None:
            cluster.remove()
    print("load average at the end: " + _load_average())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB (PostgreSQL's own memory not included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
