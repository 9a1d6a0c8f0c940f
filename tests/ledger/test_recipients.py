"""Recipients as IATI defines them: countries and regions share 100 %, at activity or transaction level.

IATI 2.03, activity standard, overview "Geography": recipient-country and recipient-region percentages
"sum to 100 across both elements per region vocabulary"; transaction/recipient-country and
transaction/recipient-region ("no more than once" each) replace the activity-level ones.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizuna.ledger.ingest import ingest_file
from kizuna.workspace import open_workspace
from tests.ledger.test_money import activity_xml, tx, write


def _by_recipient(ws, activity=None):
    rows = ws.query(
        "SELECT country, region, region_vocabulary, country_source, sum(usd) AS usd FROM flows"
        + (" WHERE activity_uid LIKE ?" if activity else "")
        + " GROUP BY ALL ORDER BY country NULLS LAST, region",
        [f"%|{activity}"] if activity else [],
    )
    return {(r["country"] or f"region {r['region']}/{r['region_vocabulary']}"): r for r in rows}


def test_countries_share_100_percent_with_the_regions_beside_them(ws, tmp_path):
    # Shaped like the WRI file of issue 11: a few countries and a large "developing countries,
    # unspecified" region. Normalising the countries alone gave Brazil 17/35 of the money (4.86 M
    # instead of 1.70 M) and the region nothing.
    geo = (
        '<recipient-country code="BR" percentage="17"/><recipient-country code="CO" percentage="8"/>'
        '<recipient-country code="ID" percentage="10"/><recipient-region code="998" vocabulary="1" percentage="65"/>'
    )
    path = write(tmp_path / "wri.xml", activity_xml("XZ-WRI-1", countries=geo, transactions=tx(value="10000000")))
    res = ingest_file(ws, path)
    got = _by_recipient(ws)
    assert got["BR"]["usd"] == pytest.approx(1_700_000)
    assert got["CO"]["usd"] == pytest.approx(800_000)
    assert got["ID"]["usd"] == pytest.approx(1_000_000)
    region = got["region 998/1"]
    assert region["usd"] == pytest.approx(6_500_000) and region["country_source"] == "activity"
    assert ws.scalar("SELECT sum(usd) FROM flows") == pytest.approx(10_000_000)
    assert "percentages.recipient" not in res.warnings  # 17 + 8 + 10 + 65 = 100: nothing to normalise


def test_a_real_dfid_shape_small_countries_and_large_regions(ws, tmp_path):
    # GB-GOV-1-301150 in the D-Portal extract: three countries with 3.66 % between them, two regions 96.34 %.
    geo = (
        '<recipient-country code="IR" percentage="0.9146"/><recipient-country code="SO" percentage="1.3719"/>'
        '<recipient-country code="YE" percentage="1.3719"/><recipient-region code="289" vocabulary="1" '
        'percentage="1.3718"/><recipient-region code="998" vocabulary="1" percentage="94.9699"/>'
    )
    path = write(tmp_path / "dfid.xml", activity_xml("XZ-DFID-1", countries=geo, transactions=tx(value="1000000")))
    res = ingest_file(ws, path)
    got = _by_recipient(ws)
    assert got["SO"]["usd"] == pytest.approx(13_719, rel=1e-4)  # not 375,000 (1.3719 / 3.6584)
    assert got["region 998/1"]["usd"] == pytest.approx(949_699, rel=1e-4)
    assert res.warnings.get("percentages.recipient") is None  # 100.0001: within the 0.01 tolerance


def test_percentages_are_normalised_over_countries_and_regions_together_with_a_warning(ws, tmp_path):
    geo = '<recipient-country code="SS" percentage="30"/><recipient-region code="289" percentage="30"/>'
    path = write(tmp_path / "a.xml", activity_xml("XZ-A-1", countries=geo, transactions=tx(value="100")))
    res = ingest_file(ws, path)
    got = _by_recipient(ws)
    assert got["SS"]["usd"] == pytest.approx(50) and got["region 289/1"]["usd"] == pytest.approx(50)
    assert res.warnings == {"percentages.recipient": 1}
    msg = ws.scalar("SELECT message FROM ledger_warnings")
    assert msg == "recipient-country and recipient-region (vocabulary 1) percentages sum to 60, not 100; normalised"


def test_with_several_region_vocabularies_one_splits_money_and_the_others_do_not_count_twice(ws, tmp_path):
    # Each region vocabulary shares 100 % with the countries; OECD DAC (1) is used, then UN M49 (2),
    # then the rest: here the UN regions (vocabulary 2) describe the same 60 % again.
    geo = (
        '<recipient-country code="SS" percentage="40"/>'
        '<recipient-region code="030" vocabulary="2" percentage="60"/>'
        '<recipient-region code="289" vocabulary="1" percentage="60"/>'
    )
    path = write(tmp_path / "a.xml", activity_xml("XZ-A-1", countries=geo, transactions=tx(value="100")))
    ingest_file(ws, path)
    got = _by_recipient(ws)
    assert set(got) == {"SS", "region 289/1"}
    assert got["SS"]["usd"] == pytest.approx(40) and got["region 289/1"]["usd"] == pytest.approx(60)


def test_the_publishers_own_region_vocabulary_is_used_when_it_is_the_only_one(ws, tmp_path):
    geo = '<recipient-region code="A1" vocabulary="99" percentage="100"/>'
    path = write(tmp_path / "a.xml", activity_xml("XZ-A-1", countries=geo, transactions=tx(value="100")))
    ingest_file(ws, path)
    assert list(_by_recipient(ws)) == ["region A1/99"]


def test_transaction_level_regions_are_honoured_like_transaction_level_countries(ws, tmp_path):
    t = tx(value="100", extra='<recipient-region code="589" vocabulary="1"/>') + tx(
        value="50", extra='<recipient-country code="SS"/>'
    )
    # Activity-level recipients are ignored for transactions that name their own.
    geo = '<recipient-country code="CF" percentage="100"/>'
    path = write(tmp_path / "a.xml", activity_xml("XZ-A-1", countries=geo, transactions=t + tx(value="7")))
    ingest_file(ws, path)
    rows = ws.query("SELECT seq, country, region, region_vocabulary, country_source, usd FROM flows ORDER BY seq")
    assert rows == [
        {"seq": 1, "country": None, "region": "589", "region_vocabulary": "1", "country_source": "transaction",
         "usd": 100.0},
        {"seq": 2, "country": "SS", "region": None, "region_vocabulary": None, "country_source": "transaction",
         "usd": 50.0},
        {"seq": 3, "country": "CF", "region": None, "region_vocabulary": None, "country_source": "activity",
         "usd": 7.0},
    ]  # fmt: skip


def test_a_transaction_naming_a_country_and_a_region_gives_the_money_to_the_country(ws, tmp_path):
    t = tx(value="100", extra='<recipient-country code="SS"/><recipient-region code="289"/>')
    ingest_file(ws, write(tmp_path / "a.xml", activity_xml("XZ-A-1", transactions=t)))
    assert ws.query("SELECT country, region, share FROM flows") == [{"country": "SS", "region": None, "share": 1.0}]


def test_region_vocabulary_defaults_to_oecd_dac_when_absent_or_blank(ws, tmp_path):
    geo = '<recipient-region code="289" vocabulary=" " percentage="50"/><recipient-region code="189" percentage="50"/>'
    ingest_file(ws, write(tmp_path / "a.xml", activity_xml("XZ-A-1", countries=geo, transactions=tx())))
    assert ws.query("SELECT DISTINCT vocabulary FROM activity_regions") == [{"vocabulary": "1"}]
    assert ws.scalar("SELECT count(*) FROM flows WHERE region IS NOT NULL") == 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    countries=st.lists(st.integers(min_value=0, max_value=100), max_size=3),
    regions=st.lists(st.tuples(st.sampled_from(["1", "2", "99"]), st.integers(0, 100)), max_size=4),
    value=st.floats(min_value=0.01, max_value=1e9, allow_nan=False),
)
def test_recipient_shares_follow_the_percentages_of_countries_and_one_region_vocabulary(
    tmp_path_factory, countries, regions, value
):
    folder = tmp_path_factory.mktemp("geo")
    geo = "".join(f'<recipient-country code="{c}" percentage="{p}"/>' for c, p in zip("ABC", countries, strict=False))
    geo = geo.replace('code="A"', 'code="SS"').replace('code="B"', 'code="SD"').replace('code="C"', 'code="CF"')
    geo += "".join(
        f'<recipient-region code="R{i}" vocabulary="{v}" percentage="{p}"/>' for i, (v, p) in enumerate(regions)
    )
    path = write(folder / "a.xml", activity_xml("XZ-A-1", countries=geo, transactions=tx(value=repr(value))))
    with open_workspace(folder / "ws.duckdb") as ws:
        ingest_file(ws, path)
        rows = ws.query("SELECT country, region, region_vocabulary, value FROM flows")
    # Independently: the countries and the regions of the first vocabulary present among 1, 2, 99.
    vocab = next((v for v in ("1", "2", "99") if any(rv == v for rv, _ in regions)), None)
    parts = [(f"C{i}", p) for i, p in enumerate(countries)] + [
        (f"R{i}", p) for i, (v, p) in enumerate(regions) if v == vocab
    ]
    assert sum(r["value"] for r in rows) == pytest.approx(value, rel=1e-9)  # always sums back
    if not parts:
        assert rows == [{"country": None, "region": None, "region_vocabulary": None, "value": value}]
        return
    total = sum(p for _, p in parts)
    expected = {k: value * (p / total if total else 1 / len(parts)) for k, p in parts}
    assert len(rows) == len(parts)
    assert all(r["region_vocabulary"] in (None, vocab) for r in rows)
    for r in rows:
        if r["region"] is not None:
            assert r["value"] == pytest.approx(expected[r["region"]], rel=1e-9, abs=1e-9)
    got_countries = sorted(r["value"] for r in rows if r["country"] is not None)
    want_countries = sorted(v for k, v in expected.items() if k.startswith("C"))
    assert got_countries == pytest.approx(want_countries, rel=1e-9, abs=1e-9)


def test_flows_derived_under_the_old_rules_are_derived_again_by_rebuild_flows(ws, tmp_path):
    from kizuna.ledger.money import rebuild_flows

    geo = '<recipient-country code="SS" percentage="40"/><recipient-region code="289" percentage="60"/>'
    ingest_file(ws, write(tmp_path / "a.xml", activity_xml("XZ-A-1", countries=geo, transactions=tx(value="100"))))
    good = ws.query("SELECT * FROM flows ORDER BY ALL")
    with ws.transaction() as con:  # as an old workspace has it: the countries normalised alone
        con.execute("UPDATE flows SET region = NULL, region_vocabulary = NULL, country = 'SS', share = 1, usd = 100")
    with ws.transaction() as con:
        rebuild_flows(con)
    assert ws.query("SELECT * FROM flows ORDER BY ALL") == good
