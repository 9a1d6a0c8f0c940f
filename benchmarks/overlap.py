"""Benchmark: overlap candidates, our blocked sweep against a straightforward pandas merge.

    python3 benchmarks/overlap.py            # 100,000 activities: ours vs baseline; then ours on 1,000,000
    python3 benchmarks/overlap.py --quick    # 20,000 vs baseline, then ours on 100,000

The ledger is generated directly as Polars tables (not XML): countries, organisations and allies,
DAC sectors, admin1/admin2 areas with points, dates and titles drawn at random with a fixed seed
(parameters in ``generate``; the shape follows the real corpus: most activities have no subnational
location, many have two sectors).

* ours: ``kizuna.coordinate.overlap.candidate_pairs`` (blocking by country x sector group x place, sorted
  sweep on dates within blocks), then the evidence model as ``find_overlaps`` runs it: shared implementing
  partners and funding chains (``evidence.shared_key``), ``score_pairs`` with the link weight, split grants
  collapsed (``evidence.grant_groups``, ``collapse_grants``), country-only pairs without evidence left out.
* baseline: pandas ``merge`` of activity x DAC3 x location rows on country + DAC3, then the same
  filters (different organisation, dates overlap, co-located) and the same ``score_pairs``.

Each side runs in its own subprocess so its peak RSS (``ru_maxrss`` of the child) is its own; each
first runs on 2,000 activities as a warm-up (imports, first-call set-up), then is timed. The
baseline's pairs must all be found by ours (ours also matches DAC3 categories of one cluster, so it finds
a few more); the script checks that.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _dac5_codes() -> list[str]:
    """About 250 purpose codes: six per DAC 3-digit category (the real list has about 300)."""
    from kizuna.coordinate.sectors import DAC3

    return [f"{d3}{k}0" for d3 in sorted(DAC3) for k in range(1, 7)]


def generate(n: int, seed: int = 1) -> dict[str, pl.DataFrame]:
    """A synthetic ledger of ``n`` activities as the overlap inputs (acts, sectors, locs, countries)."""
    from kizuna.coordinate.sectors import sector_table

    rng = np.random.default_rng(seed)
    n_countries, n_orgs, n_allies = 150, max(50, n // 200), 12
    country = rng.integers(0, n_countries, n)
    org = rng.integers(0, n_orgs, n)
    ally = org % n_allies
    start = rng.integers(0, 30 * 365, n) + 9131  # days since 1970: 1995-01-01 .. 2024
    end = start + rng.integers(180, 5 * 365, n)
    vocab = np.array([f"w{i}" for i in range(3000)])
    words = vocab[np.minimum(rng.zipf(1.3, size=(n, 9)), 3000) - 1]
    text = pl.Series([" ".join(r) for r in words.tolist()])
    acts = pl.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64),
            "activity_uid": pl.Series(np.arange(n)).cast(pl.String),
            "org_key": pl.Series(org).cast(pl.String),
            "org_name": pl.Series(org).cast(pl.String),
            "ally": pl.Series(ally).cast(pl.String),
            "start": start.astype(np.int32),
            "end": end.astype(np.int32),
            "title": text,
            "text": text,
        }
    )
    # sectors: 1 (70%) or 2 (30%), from a country's own mix of 60 of the ~250 codes (half the draws from
    # its 12 main codes), so each country has a profile and blocks are uneven, as in real portfolios
    n2 = rng.random(n) < 0.3
    sid = np.concatenate([np.arange(n), np.nonzero(n2)[0]])
    dac5 = _dac5_codes()
    pick = np.where(rng.random(len(sid)) < 0.5, rng.integers(0, 12, len(sid)), rng.integers(0, 60, len(sid)))
    scode = (country[sid] * 37 + pick * 4) % len(dac5)
    st = sector_table(dac5)
    sectors = (
        pl.DataFrame({"id": sid.astype(np.int64), "code": np.array(dac5)[scode]})
        .join(st.select("code", "dac5", "dac3", "cluster"), on="code")
        .drop("code")
        .unique()
    )
    # locations: 50% none, 10% admin1 only, 40% 1-3 admin2 with points
    kind = rng.random(n)
    located = np.nonzero(kind >= 0.5)[0]
    nloc = rng.integers(1, 4, len(located))
    lid = np.repeat(located, nloc)
    a2 = rng.integers(0, 120, len(lid))
    a1 = a2 // 8
    clat = (country[lid] % 15) * 3.0 - 20 + (a2 % 12) * 0.25
    clon = (country[lid] // 15) * 4.0 + (a2 // 12) * 0.3
    lat = clat + rng.normal(0, 0.05, len(lid))
    lon = clon + rng.normal(0, 0.05, len(lid))
    c_l = pl.Series(country[lid]).cast(pl.String)
    locs2 = pl.DataFrame(
        {
            "id": lid.astype(np.int64),
            "adm1": c_l + "-" + pl.Series(a1).cast(pl.String),
            "adm2": c_l + "-" + pl.Series(a2).cast(pl.String),
            "lat": lat,
            "lon": lon,
        }
    )
    only1 = np.nonzero((kind >= 0.4) & (kind < 0.5))[0]
    locs1 = pl.DataFrame(
        {
            "id": only1.astype(np.int64),
            "adm1": pl.Series(country[only1]).cast(pl.String)
            + "-"
            + pl.Series(rng.integers(0, 15, len(only1))).cast(pl.String),
        }
    ).with_columns(
        pl.lit(None, dtype=pl.String).alias("adm2"),
        pl.lit(None, dtype=pl.Float64).alias("lat"),
        pl.lit(None, dtype=pl.Float64).alias("lon"),
    )
    locs = pl.concat([locs2, locs1])
    countries = pl.DataFrame({"id": np.arange(n, dtype=np.int64), "country": pl.Series(country).cast(pl.String)})
    # the evidence model's inputs: identifiers (a fifth of the records share an award stem with other records
    # of their organisation: split grants), implementing partners (half the activities name one or two, from
    # a pool of n/100 with a Zipf-like skew, as a few UN agencies and NGOs implement much of the work) and
    # upstream funding activities (a tenth receive money from one of n/50 parent activities)
    award = np.where(rng.random(n) < 0.2, rng.integers(0, max(10, n // 10), n), -1 - np.arange(n))
    acts = acts.with_columns(
        (pl.Series(org).cast(pl.String) + "-AW" + pl.Series(award).cast(pl.String) + "-" + pl.Series(np.arange(n))
         .cast(pl.String)).alias("iati_identifier")
    )
    has_p = np.nonzero(rng.random(n) < 0.5)[0]
    n_p = rng.integers(1, 3, len(has_p))
    pid = np.repeat(has_p, n_p)
    pool = max(100, n // 100)
    partners = pl.DataFrame(
        {"id": pid.astype(np.int64), "pcode": (np.minimum(rng.zipf(1.5, len(pid)), pool) - 1).astype(np.int64)}
    ).unique().with_columns(pl.col("pcode").cast(pl.String).alias("partner"))
    has_u = np.nonzero(rng.random(n) < 0.1)[0]
    upstream = pl.DataFrame(
        {"id": has_u.astype(np.int64), "ucode": rng.integers(0, max(10, n // 50), len(has_u)).astype(np.int64)}
    ).with_columns(pl.col("ucode").cast(pl.String).alias("upstream_id"))
    return {
        "acts": acts,
        "sectors": sectors,
        "locs": locs,
        "countries": countries,
        "partners": partners,
        "upstream": upstream,
    }


def ours(data: dict[str, pl.DataFrame], max_km: float = 25.0) -> dict:
    """candidate_pairs, then the evidence model as find_overlaps runs it: shared partners and funding chains,
    scores with the link weight, split grants collapsed, country-only pairs without evidence left out."""
    from kizuna.coordinate.evidence import TEXT_EVIDENCE, collapse_grants, grant_groups, shared_key
    from kizuna.coordinate.overlap import ROUTES, candidate_pairs, score_pairs

    acts, partners, upstream = data["acts"], data["partners"], data["upstream"]
    t0 = time.perf_counter()
    cands = candidate_pairs(acts, data["sectors"], data["locs"], data["countries"], max_km=max_km, max_window=500)
    notes = cands.notes
    t1 = time.perf_counter()
    grant = grant_groups(acts, partners)
    a, b = cands.pairs.get_column("a").to_numpy(), cands.pairs.get_column("b").to_numpy()
    n = acts.height
    ps = shared_key(a, b, partners.get_column("id").to_numpy(), partners.get_column("pcode").to_numpy(), n)
    us = shared_key(a, b, upstream.get_column("id").to_numpy(), upstream.get_column("ucode").to_numpy(), n)
    link = (ps >= 0) | (us >= 0)
    scored = score_pairs(cands.pairs, acts, link=link.astype(np.float64)).with_columns(pl.Series("_link", link))
    keys = scored.select("a", "b")
    collapsed = collapse_grants(scored, grant)
    listed = collapsed.filter(
        (pl.col("route") != ROUTES.index("country")) | pl.col("_link") | (pl.col("text_similarity") >= TEXT_EVIDENCE)
    )
    t2 = time.perf_counter()
    return {
        "pairs": scored.height,
        "listed": listed.height,
        "candidate_s": t1 - t0,
        "score_s": t2 - t1,
        "notes": notes,
        "keys": keys,
    }


def baseline(data: dict[str, pl.DataFrame], max_km: float = 25.0) -> dict:
    """pandas: merge activity x DAC3 x location rows on country + DAC3, filter, keep the best, same scoring."""
    from kizuna.coordinate.overlap import SPACE_SCORE, _haversine, score_pairs

    t0 = time.perf_counter()
    acts = data["acts"].select("id", "org_key", "start", "end").to_pandas()
    sec = data["sectors"].select("id", "dac5", "dac3").to_pandas()
    locs = data["locs"].to_pandas()
    only1 = set(locs.groupby("id").filter(lambda g: g["adm2"].isna().all()).id) if len(locs) else set()
    rows = acts.merge(data["countries"].to_pandas(), on="id").merge(sec, on="id").merge(locs, on="id", how="left")
    rows["only1"] = rows["id"].isin(only1)
    m = rows.merge(rows, on=["country", "dac3"], suffixes=("_a", "_b"))
    m = m[(m.id_a < m.id_b) & (m.org_key_a != m.org_key_b) & (m.start_a <= m.end_b) & (m.start_b <= m.end_a)]
    same2 = m.adm2_a.notna() & (m.adm2_a == m.adm2_b)
    dist = _haversine(m.lat_a.to_numpy(), m.lon_a.to_numpy(), m.lat_b.to_numpy(), m.lon_b.to_numpy())
    near = ~np.isnan(dist) & (dist <= max_km)
    same1 = m.adm1_a.notna() & (m.adm1_a == m.adm1_b) & (m.only1_a | m.only1_b)
    # unlocated on both sides: our rule asks for the same DAC5 (weaker place evidence, closer sector match)
    none = m.adm1_a.isna() & m.adm1_b.isna() & m.lat_a.isna() & m.lat_b.isna() & (m.dac5_a == m.dac5_b)
    space = np.select(
        [same2, near, same1, none],
        [
            SPACE_SCORE["admin2"],
            1.0 - 0.5 * np.nan_to_num(dist) / max_km,
            SPACE_SCORE["admin1"],
            SPACE_SCORE["country"],
        ],
        default=-1.0,
    )
    m = m.assign(space_score=space, sector_level=np.where(m.dac5_a == m.dac5_b, 3, 2))
    m = m[m.space_score >= 0]
    best = (
        m.sort_values(["space_score", "sector_level"], ascending=False)
        .drop_duplicates(["id_a", "id_b"])[["id_a", "id_b", "space_score", "sector_level"]]
        .rename(columns={"id_a": "a", "id_b": "b"})
    )
    t1 = time.perf_counter()
    pairs = pl.from_pandas(best).with_columns(
        pl.col("a").cast(pl.Int64), pl.col("b").cast(pl.Int64), pl.col("sector_level").cast(pl.Int8)
    )
    scored = score_pairs(pairs, data["acts"])
    t2 = time.perf_counter()
    return {
        "pairs": scored.height,
        "candidate_s": t1 - t0,
        "score_s": t2 - t1,
        "notes": [],
        "keys": scored.select("a", "b"),
        "merged_rows": int(len(m)),
    }


def _child(side: str, n: int, out: str) -> None:
    fn = ours if side == "ours" else baseline
    fn(generate(2_000, seed=2))  # warm-up: library imports and first-call set-up are not the method's cost
    data = generate(n)
    res = fn(data)
    res["keys"].write_parquet(out + ".keys.parquet")
    res.pop("keys")
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(out).write_text(json.dumps(res))


def run_side(side: str, n: int, tmp: Path) -> dict:
    out = str(tmp / f"{side}-{n}.json")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child", side, "--n", str(n), "--out", out], check=True)
    res = json.loads(Path(out).read_text())
    res["wall_s"] = time.perf_counter() - t0
    res["keys_path"] = out + ".keys.parquet"
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--child")
    ap.add_argument("--n", type=int)
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.n, args.out)
        return
    import tempfile

    n_cmp, n_big = (20_000, 100_000) if args.quick else (100_000, 1_000_000)
    runs = 1 if args.quick else args.runs
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print(f"generate + overlap candidates, {n_cmp:,} activities, {runs} run(s) each side")
        res: dict[str, list[dict]] = {"ours": [], "baseline": []}
        for _ in range(runs):
            for side in ("ours", "baseline"):
                res[side].append(run_side(side, n_cmp, tmp))
        for side in ("ours", "baseline"):
            r = res[side]
            t = statistics.median(x["candidate_s"] + x["score_s"] for x in r)
            cand = statistics.median(x["candidate_s"] for x in r)
            print(
                f"  {side:9s} pairs {r[0]['pairs']:>10,}  candidates {cand:7.2f} s"
                f"  scoring {statistics.median(x['score_s'] for x in r):6.2f} s  total {t:7.2f} s"
                f"  peak RSS {max(x['peak_rss_mb'] for x in r):7.0f} MB"
            )
        t_o = statistics.median(x["candidate_s"] + x["score_s"] for x in res["ours"])
        t_b = statistics.median(x["candidate_s"] + x["score_s"] for x in res["baseline"])
        ko = pl.read_parquet(res["ours"][0]["keys_path"])
        kb = pl.read_parquet(res["baseline"][0]["keys_path"])
        missing = kb.join(ko, on=["a", "b"], how="anti").height
        print(
            f"  ratio baseline/ours: {t_b / t_o:.1f}x;  baseline pairs missed by ours: {missing}"
            f"  (baseline merged {res['baseline'][0]['merged_rows']:,} rows after filters)"
        )
        print(f"ours alone, {n_big:,} activities")
        big = [run_side("ours", n_big, tmp) for _ in range(1 if args.quick else max(1, runs - 2))]
        t = statistics.median(x["candidate_s"] + x["score_s"] for x in big)
        cand = statistics.median(x["candidate_s"] for x in big)
        print(
            f"  ours      pairs {big[0]['pairs']:>10,} (listed {big[0]['listed']:,})  candidates {cand:7.2f} s"
            f"  scoring {statistics.median(x['score_s'] for x in big):6.2f} s  total {t:7.2f} s"
            f"  peak RSS {max(x['peak_rss_mb'] for x in big):7.0f} MB  (child wall incl. generation "
            f"{statistics.median(x['wall_s'] for x in big):.1f} s)"
        )
        for note in big[0]["notes"]:
            print(f"  note: {note}")


if __name__ == "__main__":
    main()
