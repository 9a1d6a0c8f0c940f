"""Evidence that two activities overlap beyond sharing a sector, a time and a country.

Real IATI data rarely has subnational locations (none of the US government files do), so "same
country, same sector, same years" holds for most pairs in a country and says almost nothing. What a
coordination officer accepts as a reason to look at a pair (reference note §5.6, items v and vi):

* **the same implementing partner**: an organisation both activities name as implementing
  (participating-org role 4) or pass money to (receiver-org of their commitments and disbursements);
  categories and hidden names never count ("NGO - United States Other", DAC channel codes ending in
  000, "... Redacted");
* **a shared funding chain**: both receive money from the same activity (``provider-activity-id`` of
  incoming funds, or a funder's ``participating-org/@activity-id``);
* **similar titles and descriptions**: TF-IDF cosine at least :data:`TEXT_EVIDENCE`.

And the other way round, several records are often **one grant**: a publisher splits an award into
one record per obligation or fiscal year (State's ``US-GOV-11-19AQMM18F4074-241055``, ``-241056`` ...).
Such records are grouped (:func:`grant_groups`) and a pair of grants is listed once, by its
best-scoring pair of records, with the number of records it stands for.

Everything here is vectorised (sorted integer keys, ``searchsorted``, sparse connected components), so
its cost grows with the number of candidate pairs, like the blocking that finds them.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

TEXT_EVIDENCE = 0.30  # cosine of TF-IDF vectors: above it, two titles/descriptions say the same thing
MIN_STEM = 6  # characters of an identifier stem that can name an award ("19AQMM18F4074")
MIN_TITLE = 12  # characters of a normalised title that can name one grant


def _codes(s: pl.Series) -> np.ndarray:
    """Dense integer codes of a string column (equal strings, equal codes; null -> -1)."""
    return s.cast(pl.String).cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()


def identifier_stems(df: pl.DataFrame, identifier: str = "iati_identifier", publisher: str = "org_key") -> pl.DataFrame:
    """Rows of ``df`` whose identifier has an award stem, with it in column ``stem``: the local part (after
    ``{publisher}-``) without its last ``-segment``, when what is left looks like an award number (at
    least :data:`MIN_STEM` characters, a digit, no space). ``US-GOV-11-19AQMM18F4074-241055`` gives
    ``19AQMM18F4074``; ``US-GOV-11-96918`` has none. (Column by column: one expression tree would
    evaluate the shared parts several times.)"""
    out = df.with_columns(
        pl.col(identifier).cast(pl.String).fill_null("").str.strip_prefix(
            pl.col(publisher).cast(pl.String).fill_null("") + pl.lit("-")
        ).alias("_local")
    ).with_columns(pl.col("_local").str.replace(r"-[^-]*$", "").alias("stem"))
    return out.filter(
        (pl.col("stem").str.len_bytes() < pl.col("_local").str.len_bytes())
        & (pl.col("stem").str.len_chars() >= MIN_STEM)
        & pl.col("stem").str.contains(r"\d")
        & ~pl.col("stem").str.contains(" ", literal=True)
    ).drop("_local")


def grant_groups(acts: pl.DataFrame, partners: pl.DataFrame) -> np.ndarray:
    """The grant each activity belongs to: records of one publisher joined when they share an award
    stem (:func:`identifier_stems`), or the same title (lower-cased) (:data:`MIN_TITLE` characters or more,
    not redacted) and the same non-empty set of implementing partners. Joins are transitive (connected
    components). ``acts``: id (0..n-1), org_key (the publisher), iati_identifier, title; ``partners``:
    id, pcode. Returns, per id, the smallest id of its grant (an activity alone is its own grant)."""
    n = acts.height
    if n == 0:
        return np.empty(0, np.int64)
    ident = acts.get_column("iati_identifier") if "iati_identifier" in acts.columns else acts.get_column("id")
    a = acts.select("id", "org_key").with_columns(ident.cast(pl.String).alias("iati_identifier"))
    # each rule gives edges id -> the smallest id of its group (enough to connect the group)
    by_stem = identifier_stems(a).with_columns(pl.col("id").min().over("org_key", "stem").alias("root"))
    # the set of partners as one number: a sum of 32-bit hashes of its members (order-free; a collision
    # would need two different sets of an activity's few partners to sum alike)
    pset = partners.select("id", (pl.col("pcode").hash(seed=11) % (1 << 32)).alias("h")).unique().group_by("id").agg(
        pl.col("h").sum().alias("pset")
    )
    titled = (
        acts.select("id", "org_key", "title")
        .join(pset, on="id", how="inner")  # only activities that name partners can be joined by title
        # records of one grant repeat one title: case and outer spaces are all that need folding here
        .with_columns(pl.col("title").cast(pl.String).str.to_lowercase().str.strip_chars().alias("ntitle"))
        .filter((pl.col("ntitle").str.len_chars() >= MIN_TITLE) & ~pl.col("ntitle").str.contains("redacted"))
        .with_columns(pl.col("id").min().over("org_key", "ntitle", "pset").alias("root"))
    )
    first = pl.concat([by_stem.select("id", "root"), titled.select("id", "root")]).filter(
        pl.col("id") != pl.col("root")
    )
    if first.height == 0:
        return np.arange(n, dtype=np.int64)
    rows = first.get_column("id").to_numpy()
    cols = first.get_column("root").to_numpy()
    g = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, label = connected_components(g, directed=False)
    # the smallest id of each component, so the grant id does not depend on scipy's labelling
    smallest = np.full(label.max() + 1, n, dtype=np.int64)
    np.minimum.at(smallest, label, np.arange(n, dtype=np.int64))
    return smallest[label]


def shared_key(a: np.ndarray, b: np.ndarray, owner: np.ndarray, code: np.ndarray, n: int) -> np.ndarray:
    """For each pair (a[k], b[k]), one code both own (``owner``/``code`` rows), else -1.

    Keys ``owner * M + code`` are sorted once; for each code of ``a[k]`` (repeated by its count), the
    key ``b[k] * M + code`` is looked up with ``searchsorted``. Cost: pairs x codes per activity."""
    out = np.full(len(a), -1, dtype=np.int64)
    if len(a) == 0 or len(owner) == 0:
        return out
    m = np.int64(int(code.max()) + 1)
    keys = np.unique(owner.astype(np.int64) * m + code.astype(np.int64))
    k_owner = keys // m
    counts = np.bincount(k_owner, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)])
    has = counts > 0
    sel = np.nonzero(has[a] & has[b])[0]
    if len(sel) == 0:
        return out
    ca = counts[a[sel]]
    rep = np.repeat(sel, ca)
    offs = np.arange(int(ca.sum()), dtype=np.int64) - np.repeat(np.cumsum(ca) - ca, ca)
    codes_a = keys[np.repeat(starts[a[sel]], ca) + offs] % m
    probe = b[rep].astype(np.int64) * m + codes_a
    pos = np.clip(np.searchsorted(keys, probe), 0, len(keys) - 1)
    hit = keys[pos] == probe
    # the smallest shared code per pair: scatter the hits, keep the minimum
    big = np.iinfo(np.int64).max
    best = np.full(len(a), big, dtype=np.int64)
    np.minimum.at(best, rep[hit], codes_a[hit])
    out[best != big] = best[best != big]
    return out


def collapse_grants(scored: pl.DataFrame, grant: np.ndarray) -> pl.DataFrame:
    """One row per pair of grants: the best-scoring pair of their records (ties: the smallest ids),
    with ``grant_pairs``, the number of record pairs it stands for. Only pairs touching a grant of
    several records are sorted; the others (most, at scale) pass through as they are."""
    if scored.height == 0:
        return scored.with_columns(pl.lit(0, dtype=pl.UInt32).alias("grant_pairs"))
    size = np.bincount(grant, minlength=len(grant))
    a = scored.get_column("a").to_numpy()
    b = scored.get_column("b").to_numpy()
    ga, gb = grant[a], grant[b]
    multi = (size[ga] > 1) | (size[gb] > 1)
    if not multi.any():
        return scored.with_columns(pl.lit(1, dtype=pl.UInt32).alias("grant_pairs"))
    mask = pl.Series(multi)
    single = scored.filter(~mask).with_columns(pl.lit(1, dtype=pl.UInt32).alias("grant_pairs"))
    df = (
        scored.filter(mask)
        .with_columns(pl.Series("_g1", np.minimum(ga, gb)[multi]), pl.Series("_g2", np.maximum(ga, gb)[multi]))
        .with_columns(pl.len().over("_g1", "_g2").alias("grant_pairs"))
    )
    best = df.sort(["score", "a", "b"], descending=[True, False, False]).unique(
        ["_g1", "_g2"], keep="first", maintain_order=True
    )
    return pl.concat([single, best.drop("_g1", "_g2")])
