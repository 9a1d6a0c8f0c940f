"""Point in polygon: which admin area each point lies in (pure; numpy arrays and shapely geometries in).

One STRtree query places every point at once (shapely 2, ``STRtree.query(points, predicate="intersects")``:
a point on a shared border touches both areas). Where a point is in more than one polygon of one level —
simplified boundaries overlap slightly where neighbours meet (four such pairs in the South Sudan
county file), and border points touch both sides — **the area the point lies deepest inside wins**:
the one whose boundary is farthest from the point (planar distance in degrees, enough to order two
neighbours); a tie (a point exactly on the border) goes to the smaller P-code, so the answer never
depends on the order of the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def points_in_areas(lon: np.ndarray, lat: np.ndarray, polygons: Sequence[Any], keys: Sequence[str]) -> np.ndarray:
    """For each point (``lon``/``lat`` in degrees), the key of the polygon it lies in, else None (object array).

    ``polygons`` are shapely (Multi)Polygons of one admin level; ``keys`` their P-codes (same order).
    Overlaps are resolved as the module docstring says.
    """
    import shapely

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.full(lon.shape[0], None, dtype=object)
    if not len(polygons) or not lon.shape[0]:
        return out
    polys = np.asarray(polygons, dtype=object)
    names = np.asarray(keys, dtype=object)
    points = shapely.points(lon, lat)
    tree = shapely.STRtree(polys)
    pt_idx, poly_idx = tree.query(points, predicate="intersects")
    if not len(pt_idx):
        return out
    counts = np.bincount(pt_idx, minlength=lon.shape[0])
    single = counts[pt_idx] == 1
    out[pt_idx[single]] = names[poly_idx[single]]
    multi = ~single
    if multi.any():
        p_i, g_i = pt_idx[multi], poly_idx[multi]
        depth = shapely.distance(points[p_i], shapely.boundary(polys[g_i]))
        # deepest first, then the smaller P-code: sort by (point, -depth, key) and keep each point's first
        order = np.lexsort((names[g_i].astype(str), -depth, p_i))
        p_sorted, g_sorted = p_i[order], g_i[order]
        first = np.ones(len(p_sorted), dtype=bool)
        first[1:] = p_sorted[1:] != p_sorted[:-1]
        out[p_sorted[first]] = names[g_sorted[first]]
    return out


def assign_admin(
    lon: np.ndarray,
    lat: np.ndarray,
    areas: Sequence[tuple[int, str, str | None, Any]],
) -> tuple[np.ndarray, np.ndarray]:
    """``(adm1, adm2)`` P-codes for each point, from ``areas`` = ``(level, pcode, parent_pcode, polygon)``.

    The admin-2 area comes first; its admin-1 is its parent when the boundaries give one (so the two
    never disagree), else the admin-1 polygon the point lies in.
    """
    lvl2 = [(p, par, g) for lvl, p, par, g in areas if lvl == 2 and g is not None]
    lvl1 = [(p, g) for lvl, p, _par, g in areas if lvl == 1 and g is not None]
    adm2 = points_in_areas(lon, lat, [g for _, _, g in lvl2], [p for p, _, _ in lvl2])
    parents = {p: par for p, par, _ in lvl2}
    adm1 = np.array([parents.get(c) if c is not None else None for c in adm2], dtype=object)
    missing = np.array([a is None for a in adm1], dtype=bool)
    if missing.any() and lvl1:
        adm1[missing] = points_in_areas(lon[missing], lat[missing], [g for _, g in lvl1], [p for p, _ in lvl1])
    return adm1, adm2
