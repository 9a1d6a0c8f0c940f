"""Geodesic radius queries: the latitude-sorted index returns exactly what brute-force haversine returns."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.screen.geo import (
    EARTH_RADIUS_KM,
    PointIndex,
    brute_force_within,
    densify_line,
    geometry_distance_km,
    haversine_km,
)


def test_one_degree_of_latitude_is_r_times_pi_over_180():
    # 6371.0088 * pi / 180 = 111.19508... km along a meridian
    assert haversine_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(EARTH_RADIUS_KM * math.pi / 180, rel=1e-12)
    assert EARTH_RADIUS_KM * math.pi / 180 == pytest.approx(111.19508, abs=1e-5)


def test_quarter_great_circle_from_pole_to_equator():
    assert haversine_km(90.0, 0.0, 0.0, 123.0) == pytest.approx(EARTH_RADIUS_KM * math.pi / 2, rel=1e-12)


lat_s = st.floats(-90, 90, allow_nan=False)
lon_s = st.floats(-180, 180, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(
    pts=st.lists(st.tuples(lat_s, lon_s), min_size=1, max_size=120),
    site=st.tuples(lat_s, lon_s),
    radius=st.floats(0.0, 3000.0, allow_nan=False),
)
def test_index_equals_brute_force_anywhere(pts, site, radius):
    lat = np.array([p[0] for p in pts])
    lon = np.array([p[1] for p in pts])
    ix = PointIndex(lat, lon)
    hits = ix.query(site[0], site[1], radius)
    assert sorted(hits.rows.tolist()) == sorted(brute_force_within(lat, lon, site[0], site[1], radius).tolist())


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    site=st.tuples(st.floats(-89, 89), st.floats(-180, 180)),
    radius=st.floats(0.1, 200.0),
)
def test_index_equals_brute_force_in_a_dense_cloud_with_time_window(seed, site, radius):
    # points clustered round the site (and straddling the antimeridian when the site is near it)
    rng = np.random.default_rng(seed)
    n = 400
    lat = np.clip(site[0] + rng.normal(0, 2.0, n), -90, 90)
    lon = (site[1] + rng.normal(0, 2.0, n) + 180.0) % 360.0 - 180.0
    t = rng.integers(0, 1000, n)
    ix = PointIndex(lat, lon, t)
    got = ix.query(site[0], site[1], radius, 300, 700)
    d = haversine_km(site[0], site[1], lat, lon)
    want = np.flatnonzero((d <= radius) & (t >= 300) & (t <= 700))
    assert sorted(got.rows.tolist()) == sorted(want.tolist())
    assert np.allclose(np.sort(got.km), np.sort(d[want]))


def test_antimeridian_and_pole_neighbours_are_found():
    lat = np.array([0.0, 0.0, 89.95, 89.95])
    lon = np.array([179.99, -179.99, 0.0, 180.0])
    ix = PointIndex(lat, lon)
    # 0.02 degrees of longitude across the antimeridian at the equator = 2.22 km
    assert sorted(ix.query(0.0, 179.995, 3.0).rows.tolist()) == [0, 1]
    # two points 0.05 degrees from the pole on opposite meridians are 11.1 km apart
    assert sorted(ix.query(89.95, 90.0, 12.0).rows.tolist()) == [2, 3]


def test_count_within_many_sites():
    rng = np.random.default_rng(1)
    lat = rng.uniform(5, 10, 5000)
    lon = rng.uniform(28, 32, 5000)
    ix = PointIndex(lat, lon)
    sites = rng.uniform(5, 10, 20), rng.uniform(28, 32, 20)
    got = ix.count_within(sites[0], sites[1], 25.0)
    want = [brute_force_within(lat, lon, a, b, 25.0).size for a, b in zip(*sites, strict=True)]
    assert got.tolist() == want


def test_bad_coordinates_are_refused():
    with pytest.raises(ValueError):
        PointIndex([91.0], [0.0])
    with pytest.raises(ValueError):
        PointIndex([0.0], [181.0])


def test_distance_to_a_meridian_line_is_geodesic():
    import shapely

    line = shapely.LineString([(30.0, 7.0), (30.0, 9.0)])
    # a point 0.1 degree of longitude east at latitude 8: the geodesic distance on WGS84 is about 11.02 km;
    # the sphere gives 6371.0088*pi/180*0.1*cos(8 deg) = 11.011 km; they differ by < 0.5 %
    d = geometry_distance_km(8.0, 30.1, line)
    sphere = EARTH_RADIUS_KM * math.pi / 180 * 0.1 * math.cos(math.radians(8.0))
    assert d == pytest.approx(sphere, rel=5e-3)


def test_densified_line_has_no_gap_longer_than_the_step():
    la, lo = densify_line([8.0, 8.2], [30.0, 30.3], step_km=0.5)
    steps = haversine_km(la[:-1], lo[:-1], la[1:], lo[1:])
    assert steps.max() <= 0.5 + 1e-6
    assert (la[0], lo[0], la[-1], lo[-1]) == (8.0, 30.0, 8.2, 30.3)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    lat0=st.floats(-60, 60),
    lon0=st.floats(-170, 170),
)
def test_min_distance_to_a_boundary_equals_the_exhaustive_minimum(seed, lat0, lon0):
    import shapely

    from kizuna.screen.geo import min_distance_km

    rng = np.random.default_rng(seed)
    line = shapely.LineString(np.column_stack([lon0 + rng.uniform(-0.5, 0.5, 4), lat0 + rng.uniform(-0.5, 0.5, 4)]))
    lats = lat0 + rng.uniform(-0.6, 0.6, 30)
    lons = lon0 + rng.uniform(-0.6, 0.6, 30)
    exhaustive = min(geometry_distance_km(a, b, line) for a, b in zip(lats, lons, strict=True))
    assert min_distance_km(lats, lons, line) == pytest.approx(exhaustive, abs=0.01)
