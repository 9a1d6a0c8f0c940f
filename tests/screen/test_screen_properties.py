"""Property tests: the proposal reader on any coordinate, the three-valued condition language, and
hostile text in reports."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.errors import InputError
from kizuna.screen.expr import parse
from kizuna.screen.facts import Context
from kizuna.screen.proposal import CSV_COLUMNS, proposal_from_dict
from kizuna.screen.register import screen_proposal
from kizuna.screen.report import registers_html

tri = st.sampled_from([True, False, None])


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(-1000, 1000, allow_nan=False), lon=st.floats(-1000, 1000, allow_nan=False))
def test_reader_accepts_exactly_the_valid_coordinates(catalogue, lat, lon):
    d = {"id": "P", "type": "school", "sites": [{"lat": lat, "lon": lon}]}
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        p = proposal_from_dict(d, catalogue.project_types, "p.toml")
        assert (p.sites[0].lats, p.sites[0].lons) == ([lat], [lon])
    else:
        with pytest.raises(InputError) as e:
            proposal_from_dict(d, catalogue.project_types, "p.toml")
        assert e.value.where.field in ("sites[0].lat", "sites[0].lon")
        assert e.value.code in ("screen.coordinate_range", "screen.latlon_swapped")


@settings(max_examples=100, deadline=None)
@given(a=tri, b=tri)
def test_kleene_de_morgan_and_identities(a, b):
    f = {"a": a, "b": b}
    assert parse("not (a and b)").evaluate(f) == parse("not a or not b").evaluate(f)
    assert parse("not (a or b)").evaluate(f) == parse("not a and not b").evaluate(f)
    # a definite answer never depends on an unknown that could go either way
    for x in (True, False):
        for y in (True, False):
            full = {"a": x if a is None else a, "b": y if b is None else b}
            got = parse("a and b").evaluate(f)
            if got is not None:
                assert got == parse("a and b").evaluate(full)


def test_hostile_text_is_escaped_in_the_html_report(catalogue):
    p = proposal_from_dict(
        {
            "id": "<script>alert(1)</script>",
            "title": "<img src=x onerror=alert(1)>",
            "type": "police training",
            "sites": [{"lat": 7.9, "lon": 28.3}],
            "counterpart": {"name": "<b>Unit</b>", "role": "owner", "flags": ["abuses_documented"]},
        },
        catalogue.project_types,
        "p.toml",
    )
    html = registers_html([screen_proposal(p, Context(), catalogue, date(2026, 11, 1))])
    assert "<script>" not in html and "<img" not in html and "<b>Unit" not in html
    assert "&lt;script&gt;" in html


@settings(max_examples=100, deadline=None)
@given(
    column=st.one_of(
        st.sampled_from(CSV_COLUMNS), st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=24)
    ),
)
def test_a_csv_batch_accepts_exactly_the_known_columns(catalogue, tmp_path_factory, column):
    from kizuna.screen.proposal import read_proposals

    path = tmp_path_factory.mktemp("csv") / "batch.csv"
    extra = "" if column in ("id", "type", "lat", "lon") else f",{column}"
    path.write_text(f"id,type,lat,lon{extra}\nP-1,school,8.0,30.0{',' if extra else ''}\n", encoding="utf-8")
    if column in CSV_COLUMNS:
        assert [p.id for p in read_proposals(path, catalogue.project_types)] == ["P-1"]
    else:
        with pytest.raises(InputError) as e:
            read_proposals(path, catalogue.project_types)
        assert e.value.code == "screen.unknown_column" and e.value.where.field == column
