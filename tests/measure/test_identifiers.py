"""Which columns look like they identify a person: by name, by XLSForm type, by values."""

from __future__ import annotations

import polars as pl
import pytest

from kizuna.measure import disclosure as d


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("respondent_name", d.KIND_NAME),
        ("respondentName", d.KIND_NAME),
        ("hh/first_name", d.KIND_NAME),
        ("meta/instanceName", d.KIND_NAME),
        ("phone_number", d.KIND_PHONE),
        ("Mobile", d.KIND_PHONE),
        ("email", d.KIND_EMAIL),
        ("national_id", d.KIND_ID),
        ("hh_id", d.KIND_ID),
        ("_uuid", d.KIND_ID),
        ("gps", d.KIND_GPS),
        ("_gps_latitude", d.KIND_GPS),
        ("gps-Longitude", d.KIND_GPS),
        ("DeviceID", d.KIND_DEVICE),
        ("imei", d.KIND_DEVICE),
        ("enumerator", d.KIND_STAFF),
        ("SubmitterName", d.KIND_STAFF),
        ("interviewer_code", d.KIND_STAFF),
        ("comments", d.KIND_TEXT),
        ("other_specify", d.KIND_TEXT),
        ("home_address", d.KIND_ADDRESS),
        ("date_of_birth", d.KIND_BIRTH),
        ("_attachments", d.KIND_ATTACHMENT),
        ("village_head_name", d.KIND_NAME),
        ("camp_manager_phone", d.KIND_PHONE),
    ],
)
def test_personal_column_names(column, kind):
    assert d.kind_by_name(column) == kind


@pytest.mark.parametrize(
    "column",
    [
        "admin1",
        "admin1_name",
        "region",
        "region_name",
        "district_id",
        "psu",
        "cluster_id",
        "sex",
        "age",
        "displacement",
        "round",
        "t",
        "fcs_cereals",
        "weight",
        "stratum",
        "d_nutr",
        "area",
        "hesper_prio1",
    ],
)
def test_analysis_columns_are_not_personal(column):
    assert d.kind_by_name(column) is None


def test_values_show_gps_phones_emails_and_near_uniqueness():
    assert d.kind_by_values(pl.Series(["4.8512345 31.6012345 450.0 5.0"] * 5)) == d.KIND_GPS
    assert d.kind_by_values(pl.Series(["+211 912 770001", "0912-770-002", "+211912770003"])) == d.KIND_PHONE
    assert d.kind_by_values(pl.Series(["a.b@example.org", "c@example.org"])) == d.KIND_EMAIL
    assert d.kind_by_values(pl.Series([f"Person {i}" for i in range(30)])) == d.KIND_UNIQUE
    # areas, classes and small numbers are not
    assert d.kind_by_values(pl.Series(["North", "South"] * 15)) is None
    assert d.kind_by_values(pl.Series([1, 2, 3] * 10)) is None
    # whole-number pairs ("12 34") are not GPS points (latitudes carry decimals)
    assert d.kind_by_values(pl.Series(["12 34", "56 78"] * 5)) is None
    # floats are unique but not identifiers unless asked (a grouping asks)
    assert d.kind_by_values(pl.Series([i / 7 for i in range(30)]), unique=False) is None


def test_xlsform_types_decide_first():
    assert d.identifier_kind("x", None, "geopoint") == d.KIND_GPS
    assert d.identifier_kind("q12", None, "text") == d.KIND_TEXT
    assert d.identifier_kind("photo1", None, "image") == d.KIND_ATTACHMENT
    assert d.identifier_kind("q13", None, "integer") is None
