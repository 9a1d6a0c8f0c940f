"""Overlap candidates: pairs of activities from different organisations that may duplicate each other.

A pair is a candidate when the two activities (reference note §5.6, "programmatic overlap")

* are in the same country,
* share a sector: the same DAC 5-digit code, the same DAC 3-digit category, or the same IASC cluster,
* overlap in time ([start, end] windows intersect; actual dates, else planned), and
* are co-located: the same admin2; or both have points within ``max_km`` of each other (haversine);
  or the same admin1 when one of them is only located at admin1; or, when neither has any
  subnational location, only the same country (flagged as weaker evidence).

Pairs by the same organisation, and pairs linked by funding (``provider-activity-id``,
``receiver-activity-id``, ``participating-org/@activity-id``: the same money reported twice, which the
ledger de-duplicates) are not candidates.

Score (0..1) = 0.25 x sector + 0.25 x space + 0.20 x time + 0.30 x text, where
sector = 1.0 (same DAC5), 0.7 (same DAC3), 0.4 (same cluster only);
space = 1.0 (same admin2), 1 - 0.5 d/max_km (points d km apart), 0.5 (same admin1), 0.2 (country only);
time = overlapping days / days of the shorter activity;
text = cosine similarity of TF-IDF vectors of title + description (sublinear tf, smooth idf
log((1+N)/(1+df)) + 1, L2-normalised rows; terms in more than half the documents dropped), as in
Manning, Raghavan & Schütze, *Introduction to Information Retrieval* (2008), ch. 6.
The weights are a judgement, stated so users can read a score; the reasons list every component.

Scale: pairs are never formed across blocks. Blocks are country x sector group (cluster, else DAC3)
x place (admin2, admin1, a point-grid cell, or the country for unlocated activities). Within a block,
activities are sorted by start date and each is paired, by a vectorised sweep (numpy searchsorted),
only with the later-starting activities that start before it ends; at most ``max_window`` of them
(the cap is reported in the notes when it bites). Cost is proportional to the number of candidate
pairs, not to the square of the number of activities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
import scipy.sparse as sp

from kizuna.coordinate.model import LedgerFrames, activity_orgs
from kizuna.coordinate.sectors import DAC3

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
WEIGHTS = {"sector": 0.25, "space": 0.25, "time": 0.20, "text": 0.30}
SECTOR_SCORE = {3: 1.0, 2: 0.7, 1: 0.4}
SPACE_SCORE = {"admin2": 1.0, "admin1": 0.5, "country": 0.2}
_STOP = {"the", "and", "for", "of", "in", "to", "on", "with", "by", "at", "an", "or", "from", "its", "this",
         "that", "de", "la", "et", "des", "le", "les", "en", "du"}


@dataclass
class OverlapResult:
    pairs: pl.DataFrame
    notes: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- inputs


def prepare(lf: LedgerFrames, role: str = "reporting", country: str | None = None,
            year_from: int | None = None, year_to: int | None = None,
            exclude_status: tuple[str, ...] = ("5",)) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame,
                                                                pl.DataFrame, list[str]]:
    """The overlap inputs from the ledger: (acts, sectors, locations, countries, notes).

    acts: id (0..n-1), activity_uid, org_key, org_name, ally, start (days since 1970-01-01), end, text, title.
    """
    notes: list[str] = []
    orgs = (activity_orgs(lf, role).sort("weight", descending=True)
            .unique("activity_uid", keep="first", maintain_order=True))
    a = lf.activities.filter(~pl.col("status_code").fill_null("").is_in(list(exclude_status)))
    # dates: actual else planned (the ledger's start_date/end_date); else the span of the activity's flows
    span = lf.flows.group_by("activity_uid").agg(pl.col("date").min().alias("_f0"), pl.col("date").max().alias("_f1"))
    a = a.join(span, on="activity_uid", how="left").with_columns(
        pl.coalesce("start_date", "_f0", "end_date").alias("s"),
        pl.coalesce("end_date", "_f1", "start_date").alias("e"))
    n0 = a.height
    a = a.filter(pl.col("s").is_not_null())
    if a.height < n0:
        notes.append(f"{n0 - a.height} activities have no dates and no transactions: not compared")
    if year_from is not None:
        a = a.filter(pl.col("e").dt.year() >= year_from)
    if year_to is not None:
        a = a.filter(pl.col("s").dt.year() <= year_to)
    a = a.join(orgs.select("activity_uid", "org_key", "org_name", "ally"), on="activity_uid", how="inner")
    ctry = lf.countries.filter(pl.col("country").is_not_null()).unique()
    if country:
        ctry = ctry.filter(pl.col("country") == country)
        a = a.join(ctry.select("activity_uid").unique(), on="activity_uid", how="semi")
    a = a.sort("activity_uid").with_row_index("id").with_columns(pl.col("id").cast(pl.Int64))
    acts = a.select(
        "id", "activity_uid", "org_key", "org_name", "ally",
        pl.col("s").cast(pl.Int32).alias("start"),
        pl.max_horizontal(pl.col("e"), pl.col("s")).cast(pl.Int32).alias("end"),
        pl.col("title").fill_null(""),
        (pl.col("title").fill_null("") + pl.lit(" ") + pl.col("description").fill_null("")).alias("text"))
    idmap = acts.select("activity_uid", "id")
    sectors = lf.sectors.join(idmap, on="activity_uid", how="inner").select("id", "dac5", "dac3", "cluster").unique()
    locs = lf.locations.join(idmap, on="activity_uid", how="inner").select("id", "adm1", "adm2", "lat", "lon")
    countries = ctry.join(idmap, on="activity_uid", how="inner").select("id", "country")
    return acts, sectors, locs, countries, notes


# --------------------------------------------------------------------------- blocking


def sweep_pairs(block: np.ndarray, start: np.ndarray, end: np.ndarray,
                max_window: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Index pairs (i, j) of rows in the same block whose [start, end] intervals intersect.

    Rows are sorted by (block, start); each row i is paired with the following rows j of its block with
    start_j <= end_i (found with one ``searchsorted``), at most ``max_window`` of them. Every
    intersecting pair is found once (from the row that starts first). Returns (i, j, n_truncated_rows).
    """
    n = len(block)
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64), 0
    order = np.lexsort((start, block))
    b = block[order].astype(np.int64)
    s = start[order].astype(np.int64)
    e = np.maximum(end[order].astype(np.int64), s)
    lo_t = min(int(s.min()), 0)
    shift = np.int64(1 << 32)
    key = b * shift + (s - lo_t)
    hi = np.searchsorted(key, b * shift + (e - lo_t), side="right")
    first = np.arange(1, n + 1, dtype=np.int64)
    cnt = hi - first
    truncated = int((cnt > max_window).sum())
    cnt = np.clip(cnt, 0, max_window)
    total = int(cnt.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), truncated
    i = np.repeat(np.arange(n, dtype=np.int64), cnt)
    offs = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    j = i + 1 + offs
    return order[i], order[j], truncated


def _block_ids(df: pl.DataFrame, cols: list[str]) -> np.ndarray:
    return df.select(pl.struct(cols).rank("dense").cast(pl.Int64)).to_series().to_numpy()


def _codes(s: pl.Series) -> np.ndarray:
    """Small integer codes for a string column (-1 for null), equal strings equal codes."""
    return s.cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()


def _haversine(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (haversine formula; Sinnott 1984), arrays of degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dl = np.radians(lon2 - lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def candidate_pairs(acts: pl.DataFrame, sectors: pl.DataFrame, locs: pl.DataFrame, countries: pl.DataFrame,
                    *, max_km: float = 25.0, max_window: int = 500, different_allies: bool = False,
                    links: pl.DataFrame | None = None) -> tuple[pl.DataFrame, list[str], dict[str, int]]:
    """All candidate pairs (a < b by id) with their best sector match and best spatial evidence.

    Columns: a, b, sector_level (3 DAC5, 2 DAC3, 1 cluster), sector_code, spatial ('admin2' | 'point' |
    'admin1' | 'country'), place, distance_km (for points), space_score.
    """
    notes: list[str] = []
    stats: dict[str, int] = {}
    sec = sectors.with_columns(
        pl.coalesce(pl.col("cluster"), pl.lit("D") + pl.col("dac3")).alias("sgroup")).filter(
        pl.col("sgroup").is_not_null())
    base = (acts.select("id", "start", "end").join(countries, on="id", how="inner")
            .join(sec.select("id", "sgroup", "dac5", "dac3"), on="id", how="inner"))
    stats["activities"] = acts.height
    org = acts.get_column("org_key")
    org_code = _codes(org)
    ally_code = _codes(acts.get_column("ally"))
    ids_sorted = acts.get_column("id").to_numpy()
    assert (ids_sorted == np.arange(len(ids_sorted))).all(), "acts.id must be 0..n-1 in order"

    locs = locs.with_columns(
        pl.col("adm2").replace("", None), pl.col("adm1").replace("", None))
    has_sub = locs.filter(pl.col("adm1").is_not_null() | pl.col("adm2").is_not_null()
                          | pl.col("lat").is_not_null()).select("id").unique()
    only_adm1 = (locs.group_by("id").agg(
        (pl.col("adm2").is_null() & pl.col("lat").is_null() & pl.col("adm1").is_not_null()).all().alias("o"))
        .filter(pl.col("o")).select("id"))

    parts: list[pl.DataFrame] = []
    truncated_total = 0

    def run(entries: pl.DataFrame, key: list[str], spatial: str, flag: str | None = None) -> pl.DataFrame | None:
        nonlocal truncated_total
        if entries.height < 2:
            return None
        blk = _block_ids(entries, key)
        i, j, trunc = sweep_pairs(blk, entries.get_column("start").to_numpy(), entries.get_column("end").to_numpy(),
                                  max_window)
        truncated_total += trunc
        ida = entries.get_column("id").to_numpy()[i]
        idb = entries.get_column("id").to_numpy()[j]
        keep = (ida != idb) & (org_code[ida] != org_code[idb])
        if different_allies:
            keep &= ally_code[ida] != ally_code[idb]
        if flag is not None:
            f = entries.get_column(flag).to_numpy()
            keep &= f[i] | f[j]
        i, j, ida, idb = i[keep], j[keep], ida[keep], idb[keep]
        d5 = _codes(entries.get_column("dac5"))
        d3 = _codes(entries.get_column("dac3"))
        level = np.where((d5[i] == d5[j]) & (d5[i] >= 0), 3, np.where((d3[i] == d3[j]) & (d3[i] >= 0), 2, 1))
        scode = np.where(level == 3, entries.get_column("dac5").to_numpy()[i],
                         np.where(level == 2, entries.get_column("dac3").to_numpy()[i],
                                  entries.get_column("sgroup").to_numpy()[i]))
        out = {"a": np.minimum(ida, idb), "b": np.maximum(ida, idb), "sector_level": level.astype(np.int8),
               "sector_code": scode, "spatial": np.full(len(i), spatial)}
        if spatial == "point":
            la, lo = entries.get_column("lat").to_numpy(), entries.get_column("lon").to_numpy()
            dist = _haversine(la[i], lo[i], la[j], lo[j])
            ok = dist <= max_km
            out = {k: v[ok] for k, v in out.items()}
            out["distance_km"] = dist[ok]
            out["place"] = np.full(int(ok.sum()), None, dtype=object)
            out["space_score"] = 1.0 - 0.5 * dist[ok] / max_km
        else:
            place_col = {"admin2": "adm2", "admin1": "adm1", "country": "country"}[spatial]
            out["place"] = entries.get_column(place_col).to_numpy()[i]
            out["distance_km"] = np.full(len(i), np.nan)
            out["space_score"] = np.full(len(i), SPACE_SCORE[spatial])
        return pl.DataFrame(out, schema_overrides={"sector_code": pl.String, "place": pl.String})

    # 1. same admin2
    e2 = base.join(locs.filter(pl.col("adm2").is_not_null()).select("id", "adm2").unique(), on="id")
    parts.append(run(e2, ["country", "sgroup", "adm2"], "admin2"))
    # 2. points within max_km: grid cells of max_km; each point probes the neighbouring cells
    pts = locs.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null()).select("id", "lat", "lon").unique()
    if pts.height:
        parts.append(run(_point_entries(base, pts, max_km), ["country", "sgroup", "cy", "cx"], "point", "home"))
    # 3. same admin1, where at least one side is located at admin1 only
    e1 = base.join(locs.filter(pl.col("adm1").is_not_null()).select("id", "adm1").unique(), on="id").with_columns(
        pl.col("id").is_in(only_adm1.get_column("id").implode()).alias("only1"))
    blocks_with_only1 = e1.filter(pl.col("only1")).select("country", "sgroup", "adm1").unique()
    e1 = e1.join(blocks_with_only1, on=["country", "sgroup", "adm1"], how="semi")
    parts.append(run(e1, ["country", "sgroup", "adm1"], "admin1", "only1"))
    # 4. neither has a subnational location: same country only (weaker evidence)
    e0 = base.join(has_sub, on="id", how="anti")
    parts.append(run(e0, ["country", "sgroup"], "country"))

    frames = [p for p in parts if p is not None and p.height]
    schema = {"a": pl.Int64, "b": pl.Int64, "sector_level": pl.Int8, "sector_code": pl.String,
              "spatial": pl.String, "place": pl.String, "distance_km": pl.Float64, "space_score": pl.Float64}
    if not frames:
        return pl.DataFrame(schema=schema), notes, stats
    allp = pl.concat([f.select(list(schema)).cast(schema) for f in frames])
    stats["raw_pairs"] = allp.height
    if links is not None and links.height:
        allp = allp.join(links, on=["a", "b"], how="anti")
    best = (allp.sort(["a", "b", "space_score", "sector_level"], descending=[False, False, True, True])
            .unique(["a", "b"], keep="first", maintain_order=True))
    best_sector = allp.group_by("a", "b").agg(pl.col("sector_level").max().alias("_lvl"))
    best = best.join(best_sector, on=["a", "b"]).with_columns(pl.col("_lvl").alias("sector_level")).drop("_lvl")
    # the sector code of the best sector match (a pair can share several sectors)
    codes = (allp.sort("sector_level", descending=True).unique(["a", "b"], keep="first")
             .select("a", "b", pl.col("sector_code").alias("_code")))
    best = best.join(codes, on=["a", "b"]).with_columns(pl.col("_code").alias("sector_code")).drop("_code")
    stats["pairs"] = best.height
    if truncated_total:
        notes.append(f"{truncated_total} activities had more than {max_window} later-starting activities in "
                     f"their block; each was compared with the first {max_window} only (raise max_window)")
    return best, notes, stats


def _point_entries(base: pl.DataFrame, pts: pl.DataFrame, max_km: float) -> pl.DataFrame:
    """Home entries in each point's grid cell, plus probe entries in the neighbouring cells.

    Cells are ``max_km`` of latitude high (d = max_km / 111.2 degrees) and d degrees of longitude wide;
    a point probes +-1 rows and +-k columns, k = ceil(1 / cos(|lat| + 2d)), enough to reach every point
    within max_km. Only pairs with at least one home entry count ('home' flag).
    """
    d = max_km / 111.2
    p = pts.with_columns((pl.col("lat") / d).floor().cast(pl.Int64).alias("cy"),
                         (pl.col("lon") / d).floor().cast(pl.Int64).alias("cx"),
                         (1.0 / ((pl.col("lat").abs() + 2 * d).clip(0, 89.0).radians().cos())).ceil()
                         .clip(1, 60).cast(pl.Int64).alias("k"))
    home = p.with_columns(pl.lit(True).alias("home"))
    occupied = p.select("cy", "cx").unique()
    probe = (p.with_columns(pl.int_ranges(-1, 2).alias("dy"), pl.int_ranges(-pl.col("k"), pl.col("k") + 1).alias("dx"))
             .explode("dy").explode("dx").filter((pl.col("dy") != 0) | (pl.col("dx") != 0))
             .with_columns((pl.col("cy") + pl.col("dy")).alias("cy"), (pl.col("cx") + pl.col("dx")).alias("cx"))
             .join(occupied, on=["cy", "cx"], how="semi")
             .drop("dy", "dx").with_columns(pl.lit(False).alias("home")))
    cells = pl.concat([home, probe.select(home.columns)])
    return base.join(cells, on="id", how="inner")


# --------------------------------------------------------------------------- text similarity


def tfidf_matrix(ids: np.ndarray, texts: pl.Series, max_df: float = 0.5) -> sp.csr_matrix:
    """Row-normalised TF-IDF matrix (sparse CSR), one row per id (0..n-1).

    tf: 1 + ln(count) (sublinear); idf: ln((1 + N) / (1 + df)) + 1 (smooth); terms in more than
    ``max_df`` of the documents are dropped (they carry no information about a pair); tokens are runs
    of 2+ letters or digits, lower-cased, minus a short stop list.
    """
    n = len(ids)
    tok = (pl.DataFrame({"id": ids, "t": texts}).lazy()
           .with_columns(pl.col("t").str.to_lowercase().str.extract_all(r"[a-z0-9\u00c0-\u024f]{2,}"))
           .explode("t").drop_nulls("t").filter(~pl.col("t").is_in(list(_STOP)))
           .group_by("id", "t").agg(pl.len().alias("tf")).collect())
    df = tok.group_by("t").agg(pl.len().alias("df")).filter(pl.col("df") <= max(1.0, max_df * n))
    df = df.with_row_index("col").with_columns(
        (((1.0 + n) / (1.0 + pl.col("df"))).log() + 1.0).alias("idf"))
    w = tok.join(df, on="t", how="inner").with_columns(
        ((1.0 + pl.col("tf").cast(pl.Float64).log()) * pl.col("idf")).alias("w"))
    w = w.with_columns((pl.col("w") / (pl.col("w") ** 2).sum().over("id").sqrt()).alias("w"))
    return sp.csr_matrix((w.get_column("w").to_numpy(), (w.get_column("id").to_numpy(),
                                                         w.get_column("col").cast(pl.Int64).to_numpy())),
                         shape=(n, max(df.height, 1)))


def pair_cosine(x: sp.csr_matrix, a: np.ndarray, b: np.ndarray, chunk: int = 250_000) -> np.ndarray:
    """Cosine similarity of rows a[k] and b[k] of a row-normalised matrix, in chunks (bounded memory)."""
    out = np.empty(len(a), dtype=np.float64)
    for s in range(0, len(a), chunk):
        xa, xb = x[a[s:s + chunk]], x[b[s:s + chunk]]
        out[s:s + chunk] = np.asarray(xa.multiply(xb).sum(axis=1)).ravel()
    return np.clip(out, 0.0, 1.0)


# --------------------------------------------------------------------------- scoring


def score_pairs(pairs: pl.DataFrame, acts: pl.DataFrame, tfidf: sp.csr_matrix | None = None) -> pl.DataFrame:
    """Score candidate pairs (see the module docstring for the formula); adds the component columns."""
    a = pairs.get_column("a").to_numpy()
    b = pairs.get_column("b").to_numpy()
    start = acts.get_column("start").to_numpy().astype(np.int64)
    end = acts.get_column("end").to_numpy().astype(np.int64)
    ov = np.minimum(end[a], end[b]) - np.maximum(start[a], start[b]) + 1
    shorter = np.minimum(end[a] - start[a], end[b] - start[b]) + 1
    time_share = np.clip(ov / np.maximum(shorter, 1), 0.0, 1.0)
    if tfidf is None:
        tfidf = tfidf_matrix(acts.get_column("id").to_numpy(), acts.get_column("text"))
    text = pair_cosine(tfidf, a, b) if len(a) else np.empty(0)
    sector_score = pl.col("sector_level").replace_strict(SECTOR_SCORE, return_dtype=pl.Float64)
    out = pairs.with_columns(
        pl.Series("overlap_days", np.maximum(ov, 0)), pl.Series("time_share", time_share),
        pl.Series("text_similarity", text), sector_score.alias("sector_score"))
    return out.with_columns(
        (WEIGHTS["sector"] * pl.col("sector_score") + WEIGHTS["space"] * pl.col("space_score")
         + WEIGHTS["time"] * pl.col("time_share") + WEIGHTS["text"] * pl.col("text_similarity")).alias("score"))


def _reasons(df: pl.DataFrame) -> pl.Expr:
    lvl = pl.col("sector_level")
    sector_name = pl.col("sector_code").replace_strict(
        {k: v[0] for k, v in DAC3.items()}, default=None)
    sector = (pl.when(lvl == 3).then(pl.lit("same DAC 5-digit sector ") + pl.col("sector_code"))
              .when(lvl == 2).then(pl.lit("same DAC 3-digit category ") + pl.col("sector_code")
                                   + pl.when(sector_name.is_not_null()).then(pl.lit(" (") + sector_name + pl.lit(")"))
                                   .otherwise(pl.lit("")))
              .otherwise(pl.lit("same humanitarian cluster / sector group ")
                         + pl.col("sector_code").str.strip_prefix("D")))
    space = (pl.when(pl.col("spatial") == "admin2").then(pl.lit("both in admin2 area ") + pl.col("place"))
             .when(pl.col("spatial") == "point").then(
                 pl.lit("locations ") + pl.col("distance_km").round(1).cast(pl.String) + pl.lit(" km apart"))
             .when(pl.col("spatial") == "admin1").then(
                 pl.lit("same admin1 area ") + pl.col("place") + pl.lit(" (one is located at admin1 only)"))
             .otherwise(pl.lit("only the same country ") + pl.col("place")
                        + pl.lit(": neither has a subnational location (weaker evidence)")))
    time = (pl.lit("dates overlap for ") + pl.col("overlap_days").cast(pl.String) + pl.lit(" days (")
            + (pl.col("time_share") * 100).round(0).cast(pl.Int64).cast(pl.String)
            + pl.lit("% of the shorter activity)"))
    text = (pl.lit("title/description similarity ") + pl.col("text_similarity").round(2).cast(pl.String))
    allies = (pl.when(pl.col("ally_a") != pl.col("ally_b"))
              .then(pl.lit("different allies (") + pl.col("ally_a") + pl.lit(" / ") + pl.col("ally_b") + pl.lit(")"))
              .otherwise(pl.lit("same ally (") + pl.col("ally_a") + pl.lit("), different organisations")))
    return pl.concat_str([sector, space, time, text, allies], separator="; ").alias("reasons")


def overlap_table(scored: pl.DataFrame, acts: pl.DataFrame, countries: pl.DataFrame,
                  top_per_country: int | None = None, min_score: float = 0.0) -> pl.DataFrame:
    """Readable pairs: country, rank within country, score, both activities and the reasons."""
    first_country = countries.sort("country").unique("id", keep="first").rename({"id": "a"})
    side = acts.select("id", "activity_uid", "org_key", "org_name", "ally", "title")
    df = (scored.filter(pl.col("score") >= min_score)
          .join(first_country, on="a", how="left")
          .join(side.rename({c: f"{c}_a" for c in side.columns if c != "id"}), left_on="a", right_on="id")
          .join(side.rename({c: f"{c}_b" for c in side.columns if c != "id"}), left_on="b", right_on="id"))
    df = df.sort(["country", "score"], descending=[False, True]).with_columns(
        pl.col("score").rank("ordinal", descending=True).over("country").cast(pl.Int64).alias("rank"))
    if top_per_country is not None:
        df = df.filter(pl.col("rank") <= top_per_country)
    df = df.with_columns(_reasons(df), (pl.col("spatial") == "country").alias("weak_evidence"))
    return df.select(
        "country", "rank", pl.col("score").round(4), "activity_uid_a", "org_name_a", "ally_a", "title_a",
        "activity_uid_b", "org_name_b", "ally_b", "title_b", "sector_code", "spatial", "place",
        pl.col("distance_km").round(2), "overlap_days", pl.col("time_share").round(3),
        pl.col("text_similarity").round(3), "weak_evidence", "reasons", "org_key_a", "org_key_b")


def find_overlaps(lf: LedgerFrames, *, country: str | None = None, role: str = "reporting",
                  different_allies: bool = False, max_km: float = 25.0, max_window: int = 500,
                  year_from: int | None = None, year_to: int | None = None,
                  top_per_country: int | None = None, min_score: float = 0.0) -> OverlapResult:
    """Overlap candidates in the ledger, scored and explained (see the module docstring)."""
    acts, sectors, locs, countries, notes = prepare(lf, role, country, year_from, year_to)
    idmap = acts.select("activity_uid", "id")
    links = (lf.links.join(idmap.rename({"activity_uid": "uid_a", "id": "x"}), on="uid_a")
             .join(idmap.rename({"activity_uid": "uid_b", "id": "y"}), on="uid_b")
             .select(pl.min_horizontal("x", "y").alias("a"), pl.max_horizontal("x", "y").alias("b")))
    pairs, n2, stats = candidate_pairs(acts, sectors, locs, countries, max_km=max_km, max_window=max_window,
                                       different_allies=different_allies, links=links)
    if links.height:
        notes.append(f"{links.height} funder/implementer links (the same money reported twice) are not "
                     "treated as overlaps")
    scored = score_pairs(pairs, acts)
    table = overlap_table(scored, acts, countries, top_per_country, min_score)
    return OverlapResult(table, notes + n2, stats)
