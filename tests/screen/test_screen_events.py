"""Event readers: the real UCDP GED samples load; counts by violence type near points match brute force."""

from __future__ import annotations

import csv
import math
from datetime import date

import numpy as np
import pytest

from kizuna.errors import InputError
from kizuna.screen.events import read_events
from kizuna.screen.geo import PointIndex


def _hav(lat1, lon1, lat2, lon2):
    # written out independently of kizuna.screen.geo: Sinnott (1984), R = 6371.0088 km
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@pytest.mark.shared
def test_ucdp_samples_load_with_the_readme_counts(shared):
    full = read_events(shared("events", "ucdp_ged_v23_1_sample_1000.csv"), point_only=False)
    assert full.layout == "ucdp_ged"
    assert full.events.height == 1000
    counts = dict(full.events["violence_type"].value_counts().iter_rows())
    assert counts == {1: 707, 2: 133, 3: 160}  # README: type 1/2/3 = 707/133/160
    # where_prec 1..7 = 475/232/140/105/35/12/1, so 475 + 232 = 707 are point-like
    point = read_events(shared("events", "ucdp_ged_v23_1_sample_1000.csv"))
    assert point.events.height == 707
    assert point.warnings["dropped_imprecise_location"] == 293
    small = read_events(shared("events", "ucdp_ged_v23_1_sample_afg_sdn_ssd.csv"), point_only=False)
    assert small.events.height == 145
    assert dict(small.events["country"].value_counts().iter_rows()) == {
        "Afghanistan": 135,
        "Sudan": 9,
        "South Sudan": 1,
    }
    assert small.events["date"].min() >= date(1989, 1, 1)


@pytest.mark.shared
def test_counts_by_violence_type_within_25_km_match_brute_force(shared):
    path = shared("events", "ucdp_ged_v23_1_sample_1000.csv")
    table = read_events(path, point_only=False)
    ev = table.events
    # brute force straight from the CSV with the csv module
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [(float(r["latitude"]), float(r["longitude"]), int(r["type_of_violence"])) for r in csv.DictReader(fh)]
    # given points: Kabul, Mogadishu, Aleppo, Juba, and the first event's own place
    points = [
        (34.5553, 69.2075),
        (2.0469, 45.3182),
        (36.2021, 37.1343),
        (4.8594, 31.5713),
        (rows[0][0], rows[0][1]),
    ]
    ix = PointIndex(ev["lat"].to_numpy(), ev["lon"].to_numpy())
    vt = ev["violence_type"].to_numpy()
    total = 0
    for la, lo in points:
        hits = ix.query(la, lo, 25.0)
        got = {t: int((vt[hits.rows] == t).sum()) for t in (1, 2, 3)}
        want = {t: sum(1 for r in rows if r[2] == t and _hav(la, lo, r[0], r[1]) <= 25.0) for t in (1, 2, 3)}
        assert got == want
        total += sum(want.values())
    assert total > 10  # the points were chosen where the sample has events


def _acled_csv(path, rows):
    cols = [
        "event_id_cnty",
        "event_date",
        "year",
        "time_precision",
        "disorder_type",
        "event_type",
        "sub_event_type",
        "actor1",
        "assoc_actor_1",
        "inter1",
        "actor2",
        "assoc_actor_2",
        "inter2",
        "interaction",
        "civilian_targeting",
        "iso",
        "region",
        "country",
        "admin1",
        "admin2",
        "admin3",
        "location",
        "latitude",
        "longitude",
        "geo_precision",
        "source",
        "source_scale",
        "notes",
        "fatalities",
        "tags",
        "timestamp",
    ]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})


def _syn(i, **kw):
    base = {
        "event_id_cnty": f"XZ{i}",
        "event_date": "2026-05-16",
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "actor1": "Synthetic militia A",
        "actor2": "Synthetic militia B",
        "country": "Kaltara (synthetic)",
        "latitude": "8.01",
        "longitude": "30.01",
        "geo_precision": "1",
        "fatalities": "2",
        "notes": "synthetic event",
    }
    base.update(kw)
    return base


def test_acled_layout_reads_both_date_styles_and_filters_precision(tmp_path):
    p = tmp_path / "acled.csv"
    _acled_csv(
        p,
        [
            _syn(1),
            _syn(
                2,
                event_date="16 May 2026",
                event_type="Violence against civilians",
                sub_event_type="Attack",
                civilian_targeting="Civilians targeted",
            ),
            _syn(3, geo_precision="3"),
            _syn(4, event_type="Strategic developments", sub_event_type="Arrests", fatalities="0"),
        ],
    )
    t = read_events(p)
    assert t.layout == "acled"
    assert t.events.height == 3 and t.warnings["dropped_imprecise_location"] == 1
    assert t.events["date"].to_list() == [date(2026, 5, 16)] * 3
    assert t.events["category"].to_list() == ["battle", "violence_against_civilians", "strategic"]
    assert t.events["civilians_targeted"].to_list() == [False, True, False]
    assert np.array_equal(t.events["fatalities"].to_numpy(), [2, 2, 0])


def test_malformed_event_date_names_row_and_field(tmp_path):
    p = tmp_path / "acled.csv"
    _acled_csv(p, [_syn(1), _syn(2, event_date="2026-13-45")])
    with pytest.raises(InputError) as e:
        read_events(p)
    assert e.value.code == "screen.bad_date"
    assert e.value.where.row == 2 and e.value.where.field == "event_date"
    assert "\n" not in e.value.one_line()


def test_event_latitude_out_of_range_names_row(tmp_path):
    p = tmp_path / "acled.csv"
    _acled_csv(p, [_syn(1, latitude="130.0", longitude="8.0")])
    with pytest.raises(InputError) as e:
        read_events(p)
    assert e.value.code == "screen.coordinate_range" and e.value.where.field == "latitude"
    assert "swapped" in (e.value.hint_text() or "")


def test_unknown_layout_is_refused(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_events(p)
    assert e.value.code == "screen.unknown_event_layout"
