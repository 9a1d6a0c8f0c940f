"""The chart and map specifications (kizuna.web.charts), in process: what a reader sees is decided
here, before the browser draws it (issue 12: aggregated matrices, names not codes, the page's
language, tooltips on every mark, readable contrast, money charts of organisations with money)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna import i18n
from kizuna.reference.names import sector_name
from kizuna.web import charts

# --- heat matrices ----------------------------------------------------------------------------------


def presence_rows() -> list[dict[str, Any]]:
    """Presence over "All countries": one row per country x ally x sector, as the dataset gives it."""
    return [
        {"ally": "United States", "country": "AF", "sector": "152", "usd_disbursements": 41.0e9, "n_activities": 70},
        {"ally": "United States", "country": "SS", "sector": "152", "usd_disbursements": 0.8e9, "n_activities": 31},
        {"ally": "United States", "country": "CF", "sector": "122", "usd_disbursements": 2.0e6, "n_activities": 4},
        {"ally": "United States", "country": "SS", "sector": "122", "usd_disbursements": 3.0e6, "n_activities": 6},
        {"ally": "NGOs", "country": "SS", "sector": "122", "usd_disbursements": 0.0, "n_activities": 1},
    ]


def cells(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["data"]["values"]


def test_a_matrix_over_several_countries_has_one_cell_per_key_with_the_sum():
    spec = charts.heat_spec(presence_rows(), "ally", "sector", "usd_disbursements", "d", "Ally", "Sector", fmt=".3~s")
    assert spec is not None
    keys = Counter((c["x"], c["y"]) for c in cells(spec))
    assert max(keys.values()) == 1
    us_peace = next(c for c in cells(spec) if c["x"] == "United States" and c["y"] == sector_name("152"))
    assert us_peace["value"] == pytest.approx(41.8e9)
    assert us_peace["label"] == "$41.8B"  # the largest value is written once, never under another cell
    counts = charts.heat_spec(presence_rows(), "ally", "sector", "n_activities", "d", "Ally", "Sector")
    assert counts is not None
    assert {(c["x"], c["y"]): c["label"] for c in cells(counts)}[("United States", sector_name("122"))] == "10"


def test_shares_over_several_countries_are_recomputed_from_money_not_stacked():
    # the Division share matrix printed "93%" over "100%": one share per country for the same cell
    rows = [
        {"donor": "A", "country": "AF", "sector": "152", "usd": 94.0, "share": 0.94},
        {"donor": "B", "country": "AF", "sector": "152", "usd": 6.0, "share": 0.06},
        {"donor": "A", "country": "SS", "sector": "152", "usd": 100.0, "share": 1.0},
    ]
    spec = charts.heat_spec(rows, "donor", "sector", "share", "d", "Ally", "Sector", fmt=".0%")
    assert spec is not None
    got = {c["x"]: c["value"] for c in cells(spec)}
    assert got == pytest.approx({"A": 194 / 200, "B": 6 / 200})
    assert sum(got.values()) == pytest.approx(1.0)
    assert {c["x"]: c["label"] for c in cells(spec)} == {"A": "97%", "B": "3%"}


def test_many_rows_keep_the_largest_and_fold_the_rest_into_other_which_comes_last():
    rows = [{"ally": "A", "sector": f"S{i:02d}", "n": i} for i in range(1, 21)]  # S20 is largest
    spec = charts.heat_spec(rows, "ally", "sector", "n", "d", "Ally", "Sector")
    assert spec is not None
    order = spec["encoding"]["y"]["sort"]
    assert order[:3] == ["S20", "S19", "S18"] and len(order) == charts.TOP_Y + 1
    assert order[-1] == "Other"
    other = next(c for c in cells(spec) if c["y"] == "Other")
    assert other["value"] == sum(range(1, 21 - charts.TOP_Y))  # S01..S05
    assert len(cells(spec)) == charts.TOP_Y + 1


def test_one_key_beyond_the_limit_is_shown_not_folded():
    rows = [{"ally": "A", "sector": f"S{i:02d}", "n": i} for i in range(charts.TOP_Y + 1)]
    spec = charts.heat_spec(rows, "ally", "sector", "n", "d", "Ally", "Sector")
    assert spec is not None
    assert "Other" not in spec["encoding"]["y"]["sort"]


def test_matrix_axes_show_names_not_codes():
    spec = charts.heat_spec(presence_rows(), "ally", "sector", "n_activities", "d", "Ally", "Sector")
    assert spec is not None
    assert set(spec["encoding"]["y"]["sort"]) == {"Conflict, Peace & Security", "Basic Health"}
    needs = [{"dimension": "food", "admin1": "XZ01", "share_deprived": 0.3, "admin1_name": "Northmarch"}]
    spec = charts.heat_spec(needs, "dimension", "admin1", "share_deprived", "d", "Dimension", "Area", fmt=".0%")
    assert spec is not None and cells(spec)[0]["y"] == "Northmarch"
    named = charts.heat_spec(
        [{"dimension": "food", "admin1": "XZ02", "share_deprived": 0.3}],
        "dimension",
        "admin1",
        "share_deprived",
        "d",
        "Dimension",
        "Area",
        fmt=".0%",
        names={"admin1": {"XZ02": "Southfen"}},
    )
    assert named is not None and cells(named)[0]["y"] == "Southfen"


def test_a_cell_value_is_written_only_when_it_fits_its_cell():
    spec = charts.heat_spec(presence_rows(), "ally", "sector", "usd_disbursements", "d", "Ally", "Sector", fmt=".3~s")
    assert spec is not None
    text = spec["layer"][1]["encoding"]["text"]
    assert text["condition"] == {"test": "bandwidth('x') < datum.label_px", "value": ""}
    for c in cells(spec):
        assert c["label_px"] >= 6 * len(c["label"])  # never an underestimate of the label's width


@given(st.floats(min_value=0, max_value=1))
def test_cell_text_contrasts_at_least_4_5_to_1_with_any_cell_colour(t):
    fill = charts.ramp(t)
    assert charts.contrast(fill, charts.text_colour(fill)) >= 4.5


def test_contrast_is_wcag_relative_luminance():
    assert charts.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert charts.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the classic AA grey


def test_every_matrix_cell_has_its_own_readable_text_colour():
    spec = charts.heat_spec(presence_rows(), "ally", "sector", "usd_disbursements", "d", "Ally", "Sector", fmt=".3~s")
    assert spec is not None
    inks = {c["label"]: c["ink"] for c in cells(spec)}
    assert inks["$41.8B"] == "#ffffff" and inks["$0"] == "#000000"
    assert all(charts.contrast(c["fill"], c["ink"]) >= 4.5 for c in cells(spec))


# --- the page's language ------------------------------------------------------------------------


def test_titles_tooltips_and_values_are_in_japanese_on_a_japanese_page():
    with i18n.use("ja"):
        spec = charts.heat_spec(
            presence_rows(), "ally", "sector", "usd_disbursements", "d", "Ally", "Sector", fmt=".3~s"
        )
        bars = charts.bar_spec(
            [{"publisher_name": "JICA", "committed_usd": 4.18e10, "spent_usd": 1e9}],
            "publisher_name",
            {"committed_usd": "Committed", "spent_usd": "Spent"},
            "d",
        )
    assert spec is not None and bars is not None
    assert spec["encoding"]["x"]["title"] == "同盟国・同志国"
    assert [t["title"] for t in spec["encoding"]["tooltip"]] == [
        "同盟国・同志国",
        "セクター（分野）",
        "支出額（米ドル）",
    ]
    assert "$418億" in {c["label"] for c in cells(spec)}
    assert bars["encoding"]["x"]["title"] == "米ドル"
    assert "億" in bars["encoding"]["x"]["axis"]["labelExpr"]
    assert {v["value_text"] for v in bars["data"]["values"]} == {"$418億", "$10億"}


def test_english_titles_on_an_english_page():
    with i18n.use("en"):
        spec = charts.risk_spec([{"rule_id": "R1", "impact": 4, "likelihood": 3, "significance": "High"}], "d")
    assert spec is not None
    assert spec["encoding"]["x"]["title"] == "Likelihood" and spec["encoding"]["y"]["title"] == "Impact"
    assert spec["data"]["values"][0]["significance"] == "High"


def test_contribution_pct_holds_fractions_and_is_written_as_a_percentage():
    spec = charts.contribution_spec([{"indicator": "water", "contribution_pct": 0.2556}], "d")
    assert spec is not None
    assert spec["encoding"]["x"]["axis"]["format"] == ".0%"
    assert spec["data"]["values"][0]["value_text"] == "25.6%"


# --- money charts -------------------------------------------------------------------------------


def test_a_money_chart_leaves_out_organisations_without_money():
    rows = [
        {"publisher_name": "USAID", "committed_usd": 5.0, "spent_usd": 4.0},
        {"publisher_name": "3W: Local NGO", "committed_usd": 0.0, "spent_usd": None},
        {"publisher_name": "ACF", "committed_usd": 0.0, "spent_usd": 607291.0},
    ]
    spec = charts.bar_spec(rows, "publisher_name", {"committed_usd": "Committed", "spent_usd": "Spent"}, "d")
    assert spec is not None
    assert {v["category"] for v in spec["data"]["values"]} == {"USAID", "ACF"}
    assert charts.bar_spec(rows[1:2], "publisher_name", {"committed_usd": "Committed"}, "d") is None


# --- tooltips and assistive technology ------------------------------------------------------------


def all_specs() -> dict[str, dict[str, Any]]:
    shapes = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Jonglei", "parent_name": None, "pcode": "SS04"},
                "geometry": {"type": "Polygon", "coordinates": [[[31, 6], [31, 9], [34, 9], [34, 6], [31, 6]]]},
            }
        ],
    }
    specs = {
        "heat": charts.heat_spec(presence_rows(), "ally", "sector", "n_activities", "d", "Ally", "Sector"),
        "bar": charts.bar_spec(
            [{"publisher_name": "USAID", "committed_usd": 5.0, "spent_usd": 4.0}],
            "publisher_name",
            {"committed_usd": "Committed", "spent_usd": "Spent"},
            "d",
        ),
        "map": charts.map_spec(
            {"Activities": [{"title": "Water", "lat": 7.0, "lon": 32.0}]},
            {"Activities": ["title"]},
            "d",
            shapes=shapes,
            labels=[{"name": "Jonglei", "lon": 32.5, "lat": 7.5}],
        ),
        "score": charts.score_spec([{"rank": 1, "ally_a": "A", "ally_b": "B", "score": 0.8}], "d"),
        "gap": charts.gap_spec([{"rank": 1, "area_name": "Bor", "sector": "Protection", "gap_score": 0.7}], "d"),
        "hhi": charts.hhi_spec(
            [{"country": "SS", "sector": "152", "hhi": 0.4, "concentration": "highly concentrated"}], "d"
        ),
        "contribution": charts.contribution_spec([{"indicator": "water", "contribution_pct": 0.3}], "d"),
        "risk": charts.risk_spec([{"rule_id": "R1", "impact": 4, "likelihood": 3, "significance": "High"}], "d"),
        "interval": charts.interval_spec(
            [{"g": "women", "e": 0.3, "lo": 0.2, "hi": 0.4}], "g", "e", "lo", "hi", "d", "H", "Group"
        ),
        "line": charts.line_spec(
            [{"round": "1", "estimate": 0.3, "measure": "H", "lo": 0.2, "hi": 0.4}],
            "round",
            "estimate",
            "measure",
            "d",
            "Round",
            "Estimate",
            low="lo",
            high="hi",
        ),
    }
    assert all(s is not None for s in specs.values())
    return specs  # type: ignore[return-value]


def marks(spec: dict[str, Any], inherited: dict[str, Any] | None = None):
    """(mark, encoding as the mark sees it) for every mark of a (layered) spec."""
    enc = {**(inherited or {}), **spec.get("encoding", {})}
    if "mark" in spec:
        yield spec["mark"], enc
    for sub in spec.get("layer", []):
        yield from marks(sub, enc)


@pytest.mark.parametrize("kind", list(all_specs()))
def test_every_data_mark_has_a_tooltip_with_titles_and_a_description(kind):
    spec = all_specs()[kind]
    data_marks = 0
    for mark, enc in marks(spec):
        mark = mark if isinstance(mark, dict) else {"type": mark}
        if mark.get("aria") is False:  # decoration: hidden from assistive technology
            continue
        data_marks += 1
        assert "description" in enc, (kind, mark)
        assert enc.get("tooltip"), (kind, mark)
        assert all(t.get("title") for t in enc["tooltip"]), (kind, enc["tooltip"])
    assert data_marks >= 1


def test_map_decoration_is_hidden_and_areas_are_named_for_assistive_technology():
    spec = all_specs()["map"]
    layers = spec["layer"]
    assert layers[0]["mark"]["aria"] is False and layers[1]["mark"]["aria"] is False  # frame, graticule
    area = layers[2]
    assert area["encoding"]["description"] == {"field": "properties.name"}
    assert [t["title"] for t in area["encoding"]["tooltip"]] == ["Area", "In", "P-code"]


def test_map_labels_that_would_overlap_are_left_to_the_tooltips():
    labels = [
        {"name": "Northern Bahr el Ghazal", "lon": 27.0, "lat": 8.9},
        {"name": "Western Bahr el Ghazal", "lon": 27.1, "lat": 8.8},  # on top of the first
        {"name": "Jonglei", "lon": 32.0, "lat": 7.0},
    ]
    kept = charts.readable_labels(labels, (24.0, 3.0, 36.0, 12.5), 380)
    assert [r["name"] for r in kept] == ["Northern Bahr el Ghazal", "Jonglei"]


def test_map_layers_are_named_in_the_page_language():
    with i18n.use("ja"):
        spec = charts.map_spec({"Events": [{"lat": 7.0, "lon": 32.0}]}, {}, "d")
    assert spec is not None
    colour = spec["layer"][-1]["encoding"]["color"]
    assert colour["scale"]["domain"] == ["紛争事象"]


def test_subgroups_that_are_area_codes_are_shown_by_the_names_given():
    rows = [{"group_label": "XZ01", "estimate": 0.24, "lo": 0.17, "hi": 0.34}]
    spec = charts.interval_spec(
        rows, "group_label", "estimate", "lo", "hi", "d", "H", "Area", names={"group_label": {"XZ01": "Northmarch"}}
    )
    assert spec is not None
    assert spec["data"]["values"][0]["category"] == "Northmarch"
    assert spec["data"]["values"][0]["ci_text"] == "17.0% to 34.0%"
