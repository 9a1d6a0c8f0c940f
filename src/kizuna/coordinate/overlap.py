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

from kizuna.coordinate.evidence import TEXT_EVIDENCE, collapse_grants, grant_groups, shared_key
from kizuna.coordinate.model import (
    LedgerFrames,
    activity_orgs,
    generic_org_expr,
    ledger_country,
    resolve_orgs,
    titles,
    with_sector_names,
)
from kizuna.coordinate.sectors import DAC3
from kizuna.i18n import N_, Said

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
WEIGHTS = {"sector": 0.20, "space": 0.20, "time": 0.16, "text": 0.24, "link": 0.20}
SECTOR_SCORE = {3: 1.0, 2: 0.7, 1: 0.4}
SPACE_SCORE = {"admin2": 1.0, "admin1": 0.5, "country": 0.2}
# Words that say nothing about what an activity does, in the languages IATI narratives mostly come in
# (English, Spanish, French, Portuguese); terms in over half the documents are dropped anyway.
_STOP = {
    *("the", "and", "for", "of", "in", "to", "on", "with", "by", "at", "an", "or", "from", "its", "this", "that"),
    *("de", "la", "el", "los", "las", "del", "y", "para", "con", "por", "en", "et", "des", "le", "les", "du"),
    *("au", "aux", "pour", "par", "sur", "une", "un", "da", "do", "das", "dos", "em", "com", "na", "no", "e"),
}


@dataclass
class OverlapResult:
    pairs: pl.DataFrame
    notes: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- inputs


def prepare(
    lf: LedgerFrames,
    role: str = "reporting",
    country: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    exclude_status: tuple[str, ...] = ("5",),
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, list[str]]:
    """The overlap inputs from the ledger: (acts, sectors, locations, countries, notes).

    acts: id (0..n-1), activity_uid, org_key, org_name, ally, start (days since 1970-01-01), end, text,
    title, iati_identifier, in_scope (inside the country and period asked for; the others are kept so
    that text weights and grants do not depend on the filter).
    """
    notes: list[str] = []
    orgs = (
        activity_orgs(lf, role)
        .sort("weight", descending=True)
        .unique("activity_uid", keep="first", maintain_order=True)
    )
    a = lf.activities.filter(~pl.col("status_code").fill_null("").is_in(list(exclude_status)))
    # dates: actual else planned (the ledger's start_date/end_date); else the span of the activity's flows
    span = lf.flows.group_by("activity_uid").agg(pl.col("date").min().alias("_f0"), pl.col("date").max().alias("_f1"))
    a = a.join(span, on="activity_uid", how="left").with_columns(
        pl.coalesce("start_date", "_f0", "end_date").alias("s"), pl.coalesce("end_date", "_f1", "start_date").alias("e")
    )
    n0 = a.height
    a = a.filter(pl.col("s").is_not_null())
    if a.height < n0:
        notes.append(Said(N_("{n} activities have no dates and no transactions: not compared"), n=n0 - a.height))
    scope = pl.lit(True)
    if year_from is not None:
        scope = scope & (pl.col("e").dt.year() >= year_from)
    if year_to is not None:
        scope = scope & (pl.col("s").dt.year() <= year_to)
    a = a.join(orgs.select("activity_uid", "org_key", "org_name", "ally"), on="activity_uid", how="inner")
    ctry = lf.countries.filter(pl.col("country").is_not_null()).unique()
    if country:
        ctry = ctry.filter(pl.col("country") == country)
        scope = scope & pl.col("activity_uid").is_in(ctry.get_column("activity_uid").implode())
    if "iati_identifier" not in a.columns:
        a = a.with_columns(pl.col("activity_uid").alias("iati_identifier"))
    a = a.sort("activity_uid").with_row_index("id").with_columns(pl.col("id").cast(pl.Int64))
    acts = a.select(
        "id",
        "activity_uid",
        "org_key",
        "org_name",
        "ally",
        pl.col("s").cast(pl.Int32).alias("start"),
        pl.max_horizontal(pl.col("e"), pl.col("s")).cast(pl.Int32).alias("end"),
        pl.col("title").fill_null(""),
        (pl.col("title").fill_null("") + pl.lit(" ") + pl.col("description").fill_null("")).alias("text"),
        pl.col("iati_identifier").cast(pl.String),
        scope.fill_null(False).alias("in_scope"),
    )
    idmap = acts.select("activity_uid", "id")
    sectors = lf.sectors.join(idmap, on="activity_uid", how="inner").select("id", "dac5", "dac3", "cluster").unique()
    locs = lf.locations.join(idmap, on="activity_uid", how="inner").select("id", "adm1", "adm2", "lat", "lon")
    countries = ctry.join(idmap, on="activity_uid", how="inner").select("id", "country")
    return acts, sectors, locs, countries, notes


def partner_links(lf: LedgerFrames, acts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each activity's implementing partners and upstream funding activities as integer codes:
    (partners: id, pcode, partner name), (upstream: id, ucode, upstream identifier). Partners are the
    implementing organisations (role 4) and the receivers of its commitments and disbursements, resolved
    like every organisation (:func:`kizuna.coordinate.model.resolve_orgs`), minus the activity's own
    organisation and minus categories and hidden names (:func:`kizuna.coordinate.model.generic_org_expr`)."""
    idmap = acts.select("activity_uid", "id", pl.col("org_key").alias("_own"))
    impl = lf.orgs.filter(pl.col("role") == 4).select("activity_uid", "role", "org_ref", "org_name", "org_type")
    recv = lf.receivers.select(
        "activity_uid",
        pl.lit(4, dtype=pl.Int64).alias("role"),
        "org_ref",
        "org_name",
        pl.lit(None, dtype=pl.String).alias("org_type"),
    )
    both = pl.concat([impl, recv], how="vertical_relaxed").join(idmap.select("activity_uid"), on="activity_uid")
    partners = pl.DataFrame(schema={"id": pl.Int64, "pcode": pl.Int64, "partner": pl.String})
    if both.height:
        res = resolve_orgs(both, lf).join(idmap, on="activity_uid")
        res = res.filter(
            (pl.col("org_key") != pl.col("_own"))
            & ~generic_org_expr(pl.col("org_key"))
            & ~generic_org_expr(pl.col("org_name"))
            & (pl.col("org_key") != "name:")
        ).select("id", "org_key", pl.col("org_name").alias("partner"))
        res = res.unique(["id", "org_key"]).with_columns(
            pl.col("org_key").cast(pl.Categorical).to_physical().cast(pl.Int64).alias("pcode")
        )
        partners = res.select("id", "pcode", "partner")
    up = lf.upstream.join(idmap.select("activity_uid", "id"), on="activity_uid").select("id", "upstream_id").unique()
    upstream = up.with_columns(
        pl.col("upstream_id").cast(pl.Categorical).to_physical().cast(pl.Int64).alias("ucode")
    ).select("id", "ucode", "upstream_id")
    return partners, upstream


# --------------------------------------------------------------------------- blocking

_SHIFT = np.int64(1 << 32)


def _composite(block: np.ndarray, t: np.ndarray, base: int) -> np.ndarray:
    return block.astype(np.int64) * _SHIFT + (t.astype(np.int64) - base)


def _expand(q: np.ndarray, lo: np.ndarray, hi: np.ndarray, max_window: int) -> tuple[np.ndarray, np.ndarray, int]:
    """For each query q[k], the positions lo[k] .. hi[k]-1 (at most ``max_window``): (query, position) arrays."""
    cnt = hi - lo
    truncated = int((cnt > max_window).sum())
    cnt = np.clip(cnt, 0, max_window)
    total = int(cnt.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), truncated
    qi = np.repeat(q, cnt)
    pos = np.repeat(lo, cnt) + (np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    return qi, pos, truncated


def sweep_pairs(
    block: np.ndarray, start: np.ndarray, end: np.ndarray, max_window: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Index pairs (i, j) of rows in the same block whose [start, end] intervals intersect.

    Rows are sorted by (block, start); each row i is paired with the following rows j of its block with
    start_j <= end_i (found with one ``searchsorted``), at most ``max_window`` of them. Every
    intersecting pair is found once (from the row that starts first). Returns (i, j, n_truncated_rows).
    """
    n = len(block)
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64), 0
    order = np.lexsort((start, block))
    b, s = block[order], start[order].astype(np.int64)
    e = np.maximum(end[order].astype(np.int64), s)
    base = int(s.min())
    key = _composite(b, s, base)
    hi = np.searchsorted(key, _composite(b, e, base), side="right")
    i, j, truncated = _expand(np.arange(n, dtype=np.int64), np.arange(1, n + 1, dtype=np.int64), hi, max_window)
    return order[i], order[j], truncated


def cross_pairs(
    block_l: np.ndarray,
    start_l: np.ndarray,
    end_l: np.ndarray,
    block_r: np.ndarray,
    start_r: np.ndarray,
    end_r: np.ndarray,
    max_window: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs (l, r) between two sets in the same block whose intervals intersect (each pair once).

    Two sorted range look-ups: r starting within [start_l, end_l], and l starting strictly within
    (start_r, end_r]; an intersecting pair has one of the two starts inside the other's interval.
    """
    if len(block_l) == 0 or len(block_r) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), 0
    sl, sr = start_l.astype(np.int64), start_r.astype(np.int64)
    el, er = np.maximum(end_l.astype(np.int64), sl), np.maximum(end_r.astype(np.int64), sr)
    base = int(min(sl.min(), sr.min()))
    out_l, out_r, trunc = [], [], 0
    for qb, qs, qe, tb, ts, flip in ((block_l, sl, el, block_r, sr, False), (block_r, sr, er, block_l, sl, True)):
        order = np.lexsort((ts, tb))
        key = _composite(tb[order], ts[order], base)
        # first pass includes a target starting at the same day; the second excludes it (no double count)
        lo = np.searchsorted(key, _composite(qb, qs, base), side="right" if flip else "left")
        hi = np.searchsorted(key, _composite(qb, qe, base), side="right")
        q, pos, t = _expand(np.arange(len(qb), dtype=np.int64), lo, hi, max_window)
        trunc += t
        if flip:
            out_l.append(order[pos])
            out_r.append(q)
        else:
            out_l.append(q)
            out_r.append(order[pos])
    return np.concatenate(out_l), np.concatenate(out_r), trunc


def _block_ids(df: pl.DataFrame, cols: list[str]) -> np.ndarray:
    """Dense block numbers for the integer key columns ``cols`` (mixed radix, re-densified when it would overflow)."""
    code: np.ndarray | None = None
    for c in cols:
        x = df.get_column(c).to_numpy().astype(np.int64)
        x = x - x.min() if len(x) else x
        radix = int(x.max()) + 1 if len(x) else 1
        if code is None:
            code = x
            continue
        if (int(code.max()) + 1) * radix >= (1 << 62):
            code = pl.Series(code).rank("dense").cast(pl.Int64).to_numpy() - 1
        code = code * radix + x
    assert code is not None
    return pl.Series(code).rank("dense").cast(pl.Int64).to_numpy()


def _haversine(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (haversine formula; Sinnott 1984), arrays of degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dl = np.radians(lon2 - lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


ROUTES = ("admin2", "point", "admin1", "country")
# narrow types: tens of millions of pairs must fit in a few GB
PAIR_SCHEMA = {
    "a": pl.Int32,
    "b": pl.Int32,
    "sector_level": pl.Int8,
    "scode": pl.Int32,
    "route": pl.Int8,
    "pcode": pl.Int32,
    "distance_km": pl.Float32,
    "space_score": pl.Float32,
}


@dataclass
class Candidates:
    """Candidate pairs with integer codes (compact at scale); :meth:`decode` adds the readable columns."""

    pairs: pl.DataFrame
    notes: list[str]
    stats: dict[str, int]
    sector_codes: pl.DataFrame  # sector_level, scode -> sector_code
    place_codes: pl.DataFrame  # route, pcode -> place

    def decode(self, df: pl.DataFrame) -> pl.DataFrame:
        """Add sector_code, spatial and place (strings) to rows of :attr:`pairs` (or a filtered subset)."""
        return (
            df.join(self.sector_codes, on=["sector_level", "scode"], how="left")
            .join(self.place_codes, on=["route", "pcode"], how="left")
            .with_columns(
                pl.col("route").replace_strict(dict(enumerate(ROUTES)), return_dtype=pl.String).alias("spatial")
            )
        )


def _code(col: str, alias: str) -> pl.Expr:
    # equal strings, equal codes (polars' categorical dictionary; much faster than a rank); null -> -1
    return pl.col(col).cast(pl.String).cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1).alias(alias)


def candidate_pairs(
    acts: pl.DataFrame,
    sectors: pl.DataFrame,
    locs: pl.DataFrame,
    countries: pl.DataFrame,
    *,
    max_km: float = 25.0,
    max_window: int = 500,
    different_allies: bool = False,
    links: pl.DataFrame | None = None,
) -> Candidates:
    """All candidate pairs (a < b by id) with their best sector match and best spatial evidence.

    ``acts.id`` must be 0..n-1 in order. Routes (each a blocked sweep):
    admin2 (country x sector group x admin2), point (country x sector group x grid cell, with the
    neighbouring cells), admin1 (an admin1-only activity against everything in its admin1), and
    country (activities with no subnational location, blocked by country x DAC5: weaker place evidence
    asks for the closer sector match).
    Pair columns: a, b, sector_level (3 DAC5, 2 DAC3, 1 cluster), scode, route (index into ROUTES), pcode,
    distance_km (points only), space_score.
    """
    notes: list[str] = []
    stats: dict[str, int] = {"activities": acts.height}
    n = acts.height
    ids = acts.get_column("id").to_numpy()
    assert (ids == np.arange(len(ids))).all(), "acts.id must be 0..n-1 in order"
    org_code = acts.select(_code("org_key", "o")).to_series().to_numpy()
    ally_code = acts.select(_code("ally", "o")).to_series().to_numpy()
    # sector group of the block: the DAC3 category's cluster (so 121/122/130 meet as Health), else the DAC3
    # itself; a DAC5 whose own cluster differs (72040 Food Security within 720) is entered under both, so
    # it meets its DAC3 siblings and its cluster (e.g. a 3W "Food Security" row) alike
    cl3 = pl.col("dac3").replace_strict({k: v[1] for k, v in DAC3.items()}, default=None, return_dtype=pl.String)
    g3 = pl.coalesce(cl3, pl.lit("D") + pl.col("dac3"), pl.col("cluster"))
    sec = sectors.with_columns(g3.alias("sgroup"))
    extra = sec.filter(pl.col("cluster").is_not_null() & (pl.col("cluster") != pl.col("sgroup"))).with_columns(
        pl.col("cluster").alias("sgroup")
    )
    sec = (
        pl.concat([sec, extra])
        .filter(pl.col("sgroup").is_not_null())
        .with_columns(_code("dac5", "d5"), _code("dac3", "d3"), _code("sgroup", "sg"))
    )
    sector_codes = pl.concat(
        [
            sec.filter(pl.col("d5") >= 0).select(
                pl.lit(3, pl.Int8).alias("sector_level"),
                pl.col("d5").cast(pl.Int32).alias("scode"),
                pl.col("dac5").alias("sector_code"),
            ),
            sec.filter(pl.col("d3") >= 0).select(
                pl.lit(2, pl.Int8).alias("sector_level"),
                pl.col("d3").cast(pl.Int32).alias("scode"),
                pl.col("dac3").alias("sector_code"),
            ),
            sec.select(
                pl.lit(1, pl.Int8).alias("sector_level"),
                pl.col("sg").cast(pl.Int32).alias("scode"),
                pl.col("sgroup").str.strip_prefix("D").alias("sector_code"),
            ),
        ]
    ).unique(["sector_level", "scode"])
    countries = countries.with_columns(_code("country", "cc"))
    base = (
        acts.select("id", "start", "end")
        .join(countries, on="id", how="inner")
        .join(sec.select("id", "dac5", "dac3", "sg", "d5", "d3"), on="id", how="inner")
    )
    locs = locs.with_columns(pl.col("adm2").replace("", None), pl.col("adm1").replace("", None))
    locs = locs.with_columns(_code("adm2", "a2c"), _code("adm1", "a1c"))
    place_codes = pl.concat(
        [
            locs.filter(pl.col("a2c") >= 0).select(
                pl.lit(0, pl.Int8).alias("route"),
                pl.col("a2c").cast(pl.Int32).alias("pcode"),
                pl.col("adm2").alias("place"),
            ),
            locs.filter(pl.col("a1c") >= 0).select(
                pl.lit(2, pl.Int8).alias("route"),
                pl.col("a1c").cast(pl.Int32).alias("pcode"),
                pl.col("adm1").alias("place"),
            ),
            countries.select(
                pl.lit(3, pl.Int8).alias("route"),
                pl.col("cc").cast(pl.Int32).alias("pcode"),
                pl.col("country").alias("place"),
            ),
        ]
    ).unique(["route", "pcode"])
    has_sub = (
        locs.filter(pl.col("adm1").is_not_null() | pl.col("adm2").is_not_null() | pl.col("lat").is_not_null())
        .select("id")
        .unique()
    )
    only1 = (
        locs.group_by("id")
        .agg((pl.col("adm2").is_null() & pl.col("lat").is_null()).all().alias("o"))
        .filter(pl.col("o"))
        .select("id")
    )

    parts: list[pl.DataFrame] = []
    truncated = 0

    def arr(df: pl.DataFrame, c: str) -> np.ndarray:
        return df.get_column(c).to_numpy()

    def emit(
        el: pl.DataFrame, er: pl.DataFrame, i: np.ndarray, j: np.ndarray, route: int, place_col: str | None
    ) -> None:
        ida, idb = arr(el, "id")[i], arr(er, "id")[j]
        keep = (ida != idb) & (org_code[ida] != org_code[idb])
        if different_allies:
            keep &= ally_code[ida] != ally_code[idb]
        i, j, ida, idb = i[keep], j[keep], ida[keep], idb[keep]
        if ROUTES[route] == "point":
            dist = _haversine(arr(el, "lat")[i], arr(el, "lon")[i], arr(er, "lat")[j], arr(er, "lon")[j])
            near = dist <= max_km
            i, j, ida, idb, dist = i[near], j[near], ida[near], idb[near], dist[near]
            space = 1.0 - 0.5 * dist / max_km
        else:
            dist = np.full(len(i), np.nan)
            space = np.full(len(i), SPACE_SCORE[ROUTES[route]])
        d5l, d5r = arr(el, "d5")[i], arr(er, "d5")[j]
        d3l, d3r = arr(el, "d3")[i], arr(er, "d3")[j]
        is5 = (d5l == d5r) & (d5l >= 0)
        is3 = (d3l == d3r) & (d3l >= 0)
        level = np.where(is5, 3, np.where(is3, 2, 1)).astype(np.int8)
        scode = np.where(is5, d5l, np.where(is3, d3l, arr(el, "sg")[i]))
        pcode = arr(el, place_col)[i] if place_col else np.full(len(i), -1, dtype=np.int64)
        parts.append(
            pl.DataFrame(
                {
                    "a": np.minimum(ida, idb),
                    "b": np.maximum(ida, idb),
                    "sector_level": level,
                    "scode": scode,
                    "route": np.full(len(i), route, dtype=np.int8),
                    "pcode": pcode,
                    "distance_km": dist,
                    "space_score": space,
                },
                schema=PAIR_SCHEMA,
            )
        )

    def self_route(e: pl.DataFrame, key: list[str], route: int, place_col: str | None) -> None:
        nonlocal truncated
        if e.height < 2:
            return
        i, j, t = sweep_pairs(_block_ids(e, key), arr(e, "start"), arr(e, "end"), max_window)
        truncated += t
        emit(e, e, i, j, route, place_col)

    def cross_route(el: pl.DataFrame, er: pl.DataFrame, key: list[str], route: int, place_col: str | None) -> None:
        nonlocal truncated
        if el.height == 0 or er.height == 0:
            return
        both = _block_ids(pl.concat([el.select(key), er.select(key)]), key)
        i, j, t = cross_pairs(
            both[: el.height],
            arr(el, "start"),
            arr(el, "end"),
            both[el.height :],
            arr(er, "start"),
            arr(er, "end"),
            max_window,
        )
        truncated += t
        emit(el, er, i, j, route, place_col)

    # 1. same admin2
    e2 = base.join(locs.filter(pl.col("a2c") >= 0).select("id", "a2c").unique(), on="id")
    self_route(e2, ["cc", "sg", "a2c"], 0, "a2c")
    # 2. points within max_km: same grid cell (sweep), and each point against the neighbouring cells
    pts = locs.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null()).select("id", "lat", "lon").unique()
    if pts.height:
        home, probe = _point_cells(base, pts, max_km)
        self_route(home, ["cc", "sg", "cy", "cx"], 1, None)
        cross_route(probe, home, ["cc", "sg", "cy", "cx"], 1, None)
    # 3. same admin1, where at least one side is located at admin1 only
    e1 = base.join(locs.filter(pl.col("a1c") >= 0).select("id", "a1c").unique(), on="id")
    l1 = e1.join(only1, on="id", how="semi")
    r1 = e1.join(only1, on="id", how="anti").join(
        l1.select("cc", "sg", "a1c").unique(), on=["cc", "sg", "a1c"], how="semi"
    )
    self_route(l1, ["cc", "sg", "a1c"], 2, "a1c")
    cross_route(l1, r1, ["cc", "sg", "a1c"], 2, "a1c")
    # 4. neither has a subnational location: same country and the same DAC5 (weaker evidence)
    e0 = base.join(has_sub, on="id", how="anti").with_columns(
        pl.when(pl.col("d5") >= 0).then(pl.col("d5")).otherwise(-2 - pl.col("d3")).alias("code")
    )
    self_route(e0, ["cc", "code"], 3, "cc")

    frames = [p for p in parts if p.height]
    allp = pl.concat(frames) if frames else pl.DataFrame(schema=PAIR_SCHEMA)
    stats["raw_pairs"] = allp.height
    if links is not None and links.height:
        allp = allp.join(links, on=["a", "b"], how="anti")
    key = (pl.col("a").cast(pl.Int64) * (n + 1) + pl.col("b")).alias("_k")
    allp = allp.with_columns(key)
    best = allp.sort(["_k", "space_score", "sector_level"], descending=[False, True, True]).unique(
        "_k", keep="first", maintain_order=True
    )
    # a pair met through several routes or sectors: keep its best place and, separately, its best sector
    dup = allp.filter(pl.col("_k").is_duplicated())
    if dup.height:
        top = (
            dup.sort(["_k", "sector_level"], descending=[False, True])
            .unique("_k", keep="first")
            .select("_k", pl.col("sector_level").alias("_l"), pl.col("scode").alias("_c"))
        )
        best = (
            best.join(top, on="_k", how="left")
            .with_columns(
                pl.coalesce("_l", "sector_level").alias("sector_level"), pl.coalesce("_c", "scode").alias("scode")
            )
            .drop("_l", "_c")
        )
    best = best.drop("_k")
    stats["pairs"] = best.height
    if truncated:
        notes.append(
            Said(
                N_(
                    "{n} activities had more than {window} candidates in a block; each was compared "
                    "with the {window} nearest in start date only (raise max_window)"
                ),
                n=truncated,
                window=max_window,
            )
        )
    return Candidates(best, notes, stats, sector_codes, place_codes)


def _point_cells(base: pl.DataFrame, pts: pl.DataFrame, max_km: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Home entries (each point in its grid cell) and probe entries (each point in its neighbouring cells).

    Cells are d = max_km / 111.2 degrees of latitude high and d degrees of longitude wide; a point probes
    the next row and the later columns of its own row, +-k columns, k = ceil(1 / cos(|lat| + 2d)), enough
    to reach every point within max_km (of two points, one lies "ahead" of the other).
    Only cells holding a point of the same country and sector group are probed.
    """
    d = max_km / 111.2
    lat = pts.get_column("lat").to_numpy()
    lon = pts.get_column("lon").to_numpy()
    cy = np.floor(lat / d).astype(np.int64)
    cx = np.floor(lon / d).astype(np.int64)
    k = np.clip(np.ceil(1.0 / np.cos(np.radians(np.minimum(np.abs(lat) + 2 * d, 89.0)))), 1, 60).astype(np.int64)
    cnt = 3 * k + 1  # dy = 0: dx = 1..k; dy = 1: dx = -k..k
    rep = np.repeat(np.arange(len(lat), dtype=np.int64), cnt)
    within = np.arange(int(cnt.sum()), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    kk = k[rep]
    dy = (within >= kk).astype(np.int64)
    dx = np.where(dy == 0, within + 1, within - 2 * kk)
    p = pts.with_columns(pl.Series("cy", cy), pl.Series("cx", cx))
    pcy, pcx = cy[rep] + dy, cx[rep] + dx
    # first drop probes into cells where no point at all lies (cheap, before the join with the sectors)
    w = int(cx.max() - cx.min()) + 3
    cells = np.unique((cy - cy.min() + 1) * w + (cx - cx.min() + 1))
    pcell = (pcy - cy.min() + 1) * w + (pcx - cx.min() + 1)
    some = cells[np.clip(np.searchsorted(cells, pcell), 0, len(cells) - 1)] == pcell
    rep, pcy, pcx = rep[some], pcy[some], pcx[some]
    probe = pl.DataFrame(
        {"id": pts.get_column("id").to_numpy()[rep], "lat": lat[rep], "lon": lon[rep], "cy": pcy, "cx": pcx}
    )
    home = base.join(p, on="id", how="inner")
    if home.height == 0:
        return home, home
    # integer cell keys (country, sector group, row, column), to keep only probes that land on a home cell
    lo = {c: int(home.get_column(c).to_numpy().min()) - 2 for c in ("cy", "cx")}
    span = {c: int(home.get_column(c).to_numpy().max()) - lo[c] + 3 for c in ("cy", "cx")}
    sgn = int(base.get_column("sg").to_numpy().max()) + 1

    def key(df: pl.DataFrame) -> np.ndarray:
        return (
            (df.get_column("cc").to_numpy().astype(np.int64) * sgn + df.get_column("sg").to_numpy()) * span["cy"]
            + (df.get_column("cy").to_numpy() - lo["cy"])
        ) * span["cx"] + (df.get_column("cx").to_numpy() - lo["cx"])

    occupied = np.unique(key(home))
    probe = base.join(probe, on="id", how="inner")
    pk = key(probe)
    hit = occupied[np.clip(np.searchsorted(occupied, pk), 0, len(occupied) - 1)] == pk
    return home, probe.filter(pl.Series(hit)).select(home.columns)


# --------------------------------------------------------------------------- text similarity

MIN_DF_DROP = 5  # a term is too common to count only when more than this many documents hold it
# kanji (CJK ideographs), hiragana, katakana (with the long-vowel mark), hangul
CJK_RUN = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}ー]+"


def tfidf_matrix(ids: np.ndarray, texts: pl.Series, max_df: float = 0.5) -> sp.csr_matrix:
    """Row-normalised TF-IDF matrix (sparse CSR), one row per id (0..n-1).

    tf: 1 + ln(count) (sublinear); idf: ln((1 + N) / (1 + df)) + 1 (smooth); terms in more than
    ``max_df`` of the documents (and in more than :data:`MIN_DF_DROP`, so a small ledger keeps the words
    its few activities share) are dropped (they carry no information about a pair). Terms: runs of 2+
    Latin letters or digits, lower-cased, minus a short stop list; and, since Chinese and Japanese write
    no spaces between words, every two consecutive characters of a run of kanji, kana or hangul (character
    bigrams, the usual index unit for CJK text: Manning et al. 2008, §2.2.2), a lone character alone.
    """
    n = len(ids)
    frame = pl.DataFrame({"id": ids, "t": texts}).with_columns(pl.col("t").fill_null(""))
    words = (
        frame.lazy()
        .select("id", pl.col("t").str.to_lowercase().str.extract_all(r"[a-z0-9\u00c0-\u024f]{2,}"))
        .explode("t")
        .drop_nulls("t")
        .filter(~pl.col("t").is_in(list(_STOP)))
    )
    parts = [words]
    if frame.select(pl.col("t").str.contains(CJK_RUN).any()).item():  # most ledgers hold no CJK text at all
        parts.append(
            frame.lazy()
            .filter(pl.col("t").str.contains(CJK_RUN))
            .select("id", pl.col("t").str.extract_all(CJK_RUN).alias("run"))
            .explode("run")
            .drop_nulls("run")
            .with_columns(pl.int_ranges(0, pl.max_horizontal(pl.col("run").str.len_chars() - 1, 1)).alias("i"))
            .explode("i")
            .select("id", pl.col("run").str.slice(pl.col("i"), 2).alias("t"))
        )
    tok = (
        pl.concat(parts)
        .with_columns(pl.col("t").cast(pl.Categorical).to_physical().cast(pl.Int64).alias("c"))
        .group_by("id", "c")
        .agg(pl.len().alias("tf"))
        .collect()
    )
    if tok.height == 0:
        return sp.csr_matrix((n, 1))
    col = tok.get_column("c").to_numpy()
    row = tok.get_column("id").to_numpy()
    tf = tok.get_column("tf").to_numpy().astype(np.float64)
    # the categorical codes are dense enough to index directly (a dictionary shared by this process)
    col = np.unique(col, return_inverse=True)[1]
    df = np.bincount(col)
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    keep = (df <= max(MIN_DF_DROP, max_df * n))[col]
    w = (1.0 + np.log(tf[keep])) * idf[col[keep]]
    x = sp.csr_matrix((w, (row[keep], col[keep])), shape=(n, len(df)))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ x)


def pair_cosine(x: sp.csr_matrix, a: np.ndarray, b: np.ndarray, chunk: int = 250_000) -> np.ndarray:
    """Cosine similarity of rows a[k] and b[k] of a row-normalised matrix, in chunks (bounded memory)."""
    out = np.empty(len(a), dtype=np.float64)
    for s in range(0, len(a), chunk):
        xa, xb = x[a[s : s + chunk]], x[b[s : s + chunk]]
        out[s : s + chunk] = np.asarray(xa.multiply(xb).sum(axis=1)).ravel()
    return np.clip(out, 0.0, 1.0)


# --------------------------------------------------------------------------- scoring


def score_pairs(
    pairs: pl.DataFrame, acts: pl.DataFrame, tfidf: sp.csr_matrix | None = None, link: np.ndarray | None = None
) -> pl.DataFrame:
    """Score candidate pairs (see the module docstring for the formula); adds the component columns.

    ``link`` (one value in [0, 1] per pair; zeros when not given): 1 for a shared implementing partner or
    funding chain (:mod:`kizuna.coordinate.evidence`)."""
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
        pl.Series("overlap_days", np.maximum(ov, 0)),
        pl.Series("time_share", time_share),
        pl.Series("text_similarity", text),
        sector_score.alias("sector_score"),
        pl.Series("link_score", np.zeros(len(a)) if link is None else link.astype(np.float64)),
    )
    return out.with_columns(
        (
            WEIGHTS["sector"] * pl.col("sector_score")
            + WEIGHTS["space"] * pl.col("space_score")
            + WEIGHTS["time"] * pl.col("time_share")
            + WEIGHTS["text"] * pl.col("text_similarity")
            + WEIGHTS["link"] * pl.col("link_score")
        ).alias("score")
    )


TIERS = {"admin2": "admin2", "point": "site", "admin1": "admin1", "country": "country"}


def _reasons(df: pl.DataFrame) -> pl.Expr:
    lvl = pl.col("sector_level")
    sector_name = (
        pl.col("sector_name")
        if "sector_name" in df.columns
        else pl.col("sector_code").replace_strict({k: v[0] for k, v in DAC3.items()}, default=None)
    )
    sector = (
        pl.when(lvl == 3)
        .then(
            pl.lit("same DAC 5-digit sector ")
            + pl.col("sector_code")
            + pl.when(sector_name.is_not_null()).then(pl.lit(" (") + sector_name + pl.lit(")")).otherwise(pl.lit(""))
        )
        .when(lvl == 2)
        .then(
            pl.lit("same DAC 3-digit category ")
            + pl.col("sector_code")
            + pl.when(sector_name.is_not_null()).then(pl.lit(" (") + sector_name + pl.lit(")")).otherwise(pl.lit(""))
        )
        .otherwise(pl.lit("same humanitarian cluster / sector group ") + pl.col("sector_code").str.strip_prefix("D"))
    )
    space = (
        pl.when(pl.col("spatial") == "admin2")
        .then(pl.lit("both in admin2 area ") + pl.col("place"))
        .when(pl.col("spatial") == "point")
        .then(pl.lit("same site: locations ") + pl.col("distance_km").round(1).cast(pl.String) + pl.lit(" km apart"))
        .when(pl.col("spatial") == "admin1")
        .then(pl.lit("same admin1 area ") + pl.col("place") + pl.lit(" (one is located at admin1 only)"))
        .otherwise(
            pl.lit("only the same country ")
            + pl.col("place")
            + pl.lit(": neither has a subnational location (weaker evidence)")
        )
    )
    time = (
        pl.lit("dates overlap for ")
        + pl.col("overlap_days").cast(pl.String)
        + pl.lit(" days (")
        + (pl.col("time_share") * 100).round(0).cast(pl.Int64).cast(pl.String)
        + pl.lit("% of the shorter activity)")
    )
    text = (
        pl.when(pl.col("text_similarity") >= TEXT_EVIDENCE)
        .then(pl.lit("similar titles/descriptions (similarity "))
        .otherwise(pl.lit("title/description similarity "))
        + pl.col("text_similarity").round(2).cast(pl.String)
        + pl.when(pl.col("text_similarity") >= TEXT_EVIDENCE).then(pl.lit(")")).otherwise(pl.lit(""))
    )
    partner = pl.when(pl.col("same_partner").is_not_null()).then(
        pl.lit("same implementing partner: ") + pl.col("same_partner")
    )
    funding = pl.when(pl.col("shared_funding").is_not_null()).then(
        pl.lit("both funded through activity ") + pl.col("shared_funding")
    )
    grants = pl.when(pl.col("grant_pairs") > 1).then(
        pl.lit("best of ")
        + pl.col("grant_pairs").cast(pl.String)
        + pl.lit(" pairs of records of the same two grants (split records collapsed)")
    )
    allies = (
        pl.when(pl.col("ally_a") != pl.col("ally_b"))
        .then(pl.lit("different allies (") + pl.col("ally_a") + pl.lit(" / ") + pl.col("ally_b") + pl.lit(")"))
        .otherwise(pl.lit("same ally (") + pl.col("ally_a") + pl.lit("), different organisations"))
    )
    return pl.concat_str(
        [sector, space, time, text, partner, funding, grants, allies], separator="; ", ignore_nulls=True
    ).alias("reasons")


def overlap_table(
    scored: pl.DataFrame,
    cands: Candidates,
    acts: pl.DataFrame,
    countries: pl.DataFrame,
    top_per_country: int | None = None,
    min_score: float = 0.0,
    lf: LedgerFrames | None = None,
) -> pl.DataFrame:
    """Readable pairs: country, rank within country, score, evidence tier, both activities and the reasons.

    With ``lf``, sectors are named from its code names (``sector_name``).

    ``scored`` may carry ``same_partner``, ``shared_funding`` (names) and ``grant_pairs``
    (:func:`find_overlaps` adds them); they are null / 1 when absent."""
    first_country = countries.sort("country").unique("id", keep="first").rename({"id": "a"})
    for col, default in (("same_partner", None), ("shared_funding", None)):
        if col not in scored.columns:
            scored = scored.with_columns(pl.lit(default, dtype=pl.String).alias(col))
    if "grant_pairs" not in scored.columns:
        scored = scored.with_columns(pl.lit(1, dtype=pl.UInt32).alias("grant_pairs"))
    df = scored.filter(pl.col("score") >= min_score).join(first_country, on="a", how="left")
    df = df.sort(["country", "score", "a", "b"], descending=[False, True, False, False]).with_columns(
        pl.int_range(1, pl.len() + 1).over("country").cast(pl.Int64).alias("rank")
    )
    if top_per_country is not None:
        df = df.filter(pl.col("rank") <= top_per_country)
    side = acts.select("id", "activity_uid", "org_key", "org_name", "ally", "title")
    if lf is not None:  # shown in the reader's language (issue 12; the text score keeps acts' title)
        side = side.drop("title").join(titles(lf), on="activity_uid", how="left")
    df = (
        cands.decode(df)
        .join(side.rename({c: f"{c}_a" for c in side.columns if c != "id"}), left_on="a", right_on="id")
        .join(side.rename({c: f"{c}_b" for c in side.columns if c != "id"}), left_on="b", right_on="id")
        .sort(["country", "rank"])
    )
    if lf is not None:
        df = with_sector_names(df, lf, "sector_code", "sector_name")
    elif "sector_name" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.String).alias("sector_name"))
    df = df.with_columns(
        _reasons(df),
        (pl.col("spatial") == "country").alias("weak_evidence"),
        pl.col("spatial").replace_strict(TIERS, default=None, return_dtype=pl.String).alias("evidence"),
    )
    return df.select(
        "country",
        "rank",
        pl.col("score").round(4),
        "evidence",
        "activity_uid_a",
        "org_name_a",
        "ally_a",
        "title_a",
        "activity_uid_b",
        "org_name_b",
        "ally_b",
        "title_b",
        "sector_code",
        "sector_name",
        "spatial",
        "place",
        pl.col("distance_km").round(2),
        "overlap_days",
        pl.col("time_share").round(3),
        pl.col("text_similarity").round(3),
        "same_partner",
        "shared_funding",
        pl.col("grant_pairs").cast(pl.Int64),
        "weak_evidence",
        "reasons",
        "org_key_a",
        "org_key_b",
    )


def _remap(df: pl.DataFrame, old_to_new: np.ndarray) -> pl.DataFrame:
    """Rows of activities in scope, with their ids renumbered (``old_to_new[old] = new``, -1 out of scope)."""
    new = old_to_new[df.get_column("id").to_numpy()]
    return df.with_columns(pl.Series("id", new)).filter(pl.col("id") >= 0)


def find_overlaps(
    lf: LedgerFrames,
    *,
    country: str | None = None,
    role: str = "reporting",
    different_allies: bool = False,
    max_km: float = 25.0,
    max_window: int = 500,
    year_from: int | None = None,
    year_to: int | None = None,
    top_per_country: int | None = None,
    min_score: float = 0.0,
    show_all: bool = False,
) -> OverlapResult:
    """Overlap candidates in the ledger, scored and explained (see the module docstring).

    By default a pair whose only evidence is the same country (neither activity located below it) is
    listed only with textual or partner evidence (:mod:`kizuna.coordinate.evidence`); ``show_all``
    lists every candidate. Records of one grant are collapsed (one row per pair of grants). Text
    weights, grants and scores are computed over the whole ledger, so a pair's score and its rank within
    its country do not change with the country or period asked for.
    """
    country = ledger_country(lf, country)
    acts_all, sectors, locs, countries, notes = prepare(lf, role, country, year_from, year_to)
    tfidf_all = tfidf_matrix(acts_all.get_column("id").to_numpy(), acts_all.get_column("text"))
    partners, upstream = partner_links(lf, acts_all)
    grant_all = grant_groups(acts_all, partners)
    in_scope = acts_all.get_column("in_scope").to_numpy()
    old_ids = np.nonzero(in_scope)[0]
    old_to_new = np.full(acts_all.height, -1, dtype=np.int64)
    old_to_new[old_ids] = np.arange(len(old_ids))
    acts = _remap(acts_all.filter(pl.Series(in_scope)), old_to_new)
    sectors, locs, countries = (_remap(x, old_to_new) for x in (sectors, locs, countries))
    partners, upstream = _remap(partners, old_to_new), _remap(upstream, old_to_new)
    tfidf = tfidf_all[old_ids]
    grant = grant_all[old_ids]
    idmap = acts.select("activity_uid", "id")
    links = (
        lf.links.join(idmap.rename({"activity_uid": "uid_a", "id": "x"}), on="uid_a")
        .join(idmap.rename({"activity_uid": "uid_b", "id": "y"}), on="uid_b")
        .select(pl.min_horizontal("x", "y").alias("a"), pl.max_horizontal("x", "y").alias("b"))
    )
    cands = candidate_pairs(
        acts,
        sectors,
        locs,
        countries,
        max_km=max_km,
        max_window=max_window,
        different_allies=different_allies,
        links=links,
    )
    if links.height:
        notes.append(
            Said(
                N_("{n} funder/implementer links (the same money reported twice) are not treated as overlaps"),
                n=links.height,
            )
        )
    a = cands.pairs.get_column("a").to_numpy()
    b = cands.pairs.get_column("b").to_numpy()
    n = acts.height
    pshared = shared_key(a, b, partners.get_column("id").to_numpy(), partners.get_column("pcode").to_numpy(), n)
    ushared = shared_key(a, b, upstream.get_column("id").to_numpy(), upstream.get_column("ucode").to_numpy(), n)
    scored = score_pairs(cands.pairs, acts, tfidf, ((pshared >= 0) | (ushared >= 0)).astype(np.float64))
    pnames = partners.select(pl.col("pcode").alias("_p"), pl.col("partner").alias("same_partner")).unique("_p")
    unames = upstream.select(pl.col("ucode").alias("_u"), pl.col("upstream_id").alias("shared_funding")).unique("_u")
    scored = (
        scored.with_columns(pl.Series("_p", pshared), pl.Series("_u", ushared))
        .join(pnames, on="_p", how="left")
        .join(unames, on="_u", how="left")
        .drop("_p", "_u")
    )
    n_records = scored.height
    scored = collapse_grants(scored, grant)
    if scored.height < n_records:
        notes.append(
            Said(
                N_(
                    "{n} pairs of records of split grants (records of one publisher sharing an award number, or a"
                    " title and implementing partners) collapsed into the best pair of each two grants"
                ),
                n=n_records - scored.height,
            )
        )
    if not show_all:
        evidence = (
            (pl.col("route") != ROUTES.index("country"))
            | pl.col("same_partner").is_not_null()
            | pl.col("shared_funding").is_not_null()
            | (pl.col("text_similarity") >= TEXT_EVIDENCE)
        )
        hidden = scored.filter(~evidence).height
        scored = scored.filter(evidence)
        if hidden:
            notes.append(
                Said(
                    N_(
                        "{n} pairs whose only evidence is the same country and sector (no subnational location,"
                        " no shared partner or funding chain, text similarity below {threshold}) are not listed;"
                        " --all lists them"
                    ),
                    n=hidden,
                    threshold=TEXT_EVIDENCE,
                )
            )
    table = overlap_table(scored, cands, acts, countries, top_per_country, min_score, lf)
    return OverlapResult(table, notes + cands.notes, {**cands.stats, "listed": table.height})
