"""Money rules: splits sum back, DAC-only sector splits, no guessed rates, double counting, duplicates."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizuna.ledger.ingest import ingest_file
from kizuna.workspace import open_workspace


def activity_xml(ident, publisher="XZ-SYN-A", sectors="", countries="", transactions="", currency="USD"):
    return (
        f'<iati-activity default-currency="{currency}"><iati-identifier>{ident}</iati-identifier>'
        f'<reporting-org ref="{publisher}" type="10"><narrative>Synthetic {publisher}</narrative></reporting-org>'
        f"<title><narrative>[SYNTHETIC] {ident}</narrative></title>{countries}{sectors}{transactions}</iati-activity>"
    )


def tx(type_code="3", value="100", date="2021-03-03", currency=None, extra=""):
    cur = f' currency="{currency}"' if currency else ""
    return (
        f'<transaction><transaction-type code="{type_code}"/><transaction-date iso-date="{date}"/>'
        f'<value value-date="{date}"{cur}>{value}</value>{extra}</transaction>'
    )


def write(path, *activities):
    path.write_text('<iati-activities version="2.03">' + "".join(activities) + "</iati-activities>")
    return path


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pcts=st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=4),
    cpcts=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=3),
    values=st.lists(st.floats(min_value=0.01, max_value=1e9, allow_nan=False), min_size=1, max_size=4),
)
def test_split_values_always_sum_back_to_the_transaction_value(tmp_path_factory, pcts, cpcts, values):
    folder = tmp_path_factory.mktemp("prop")
    codes = ["15220", "72010", "12220", "14030"]
    sectors = "".join(f'<sector vocabulary="1" code="{codes[i]}" percentage="{p}"/>' for i, p in enumerate(pcts))
    countries = "".join(
        f'<recipient-country code="{c}" percentage="{p}"/>' for c, p in zip(["SS", "SD", "CF"], cpcts, strict=False)
    )
    txs = "".join(tx(value=repr(v)) for v in values)
    path = write(folder / "a.xml", activity_xml("XZ-SYN-A-1", sectors=sectors, countries=countries, transactions=txs))
    with open_workspace(folder / "ws.duckdb") as ws:
        ingest_file(ws, path)
        rows = ws.query("SELECT seq, sum(value) AS v, sum(usd) AS u, sum(share) AS s FROM flows GROUP BY seq")
        for r in rows:
            assert abs(r["v"] - values[r["seq"] - 1]) <= 1e-9 * values[r["seq"] - 1]
            assert abs(r["s"] - 1.0) < 1e-12
            assert abs(r["u"] - r["v"]) <= 1e-9 * r["v"]  # USD stays USD
        if sum(pcts) != 100:
            assert ws.scalar("SELECT count(*) FROM ledger_warnings WHERE code = 'percentages.sector'") == 1


def test_transaction_level_classification_wins_and_other_vocabularies_never_split(ws, tmp_path):
    sectors = (
        '<sector vocabulary="1" code="12220" percentage="100"/><sector vocabulary="99" code="X" percentage="100"/>'
    )
    t = tx(
        extra='<sector vocabulary="1" code="15220"/><sector vocabulary="99" code="7"/><recipient-country code="SS"/>'
    )
    path = write(tmp_path / "a.xml", activity_xml("XZ-SYN-A-1", sectors=sectors, transactions=t + tx()))
    ingest_file(ws, path)
    rows = ws.query("SELECT seq, sector, sector_source, country, country_source FROM flows ORDER BY seq")
    assert rows == [
        {"seq": 1, "sector": "15220", "sector_source": "transaction", "country": "SS", "country_source": "transaction"},
        {"seq": 2, "sector": "12220", "sector_source": "activity", "country": None, "country_source": "unspecified"},
    ]


def test_a_currency_without_rates_gets_null_usd_and_a_warning_never_a_guess(ws, tmp_path):
    path = write(tmp_path / "a.xml", activity_xml("XZ-SYN-A-1", transactions=tx(currency="XXX") + tx(currency="JPY")))
    res = ingest_file(ws, path)
    assert res.warnings.get("fx.no_rate") == 1
    rows = ws.query("SELECT currency, usd, fx_rate FROM flows ORDER BY seq")
    assert rows[0] == {"currency": "XXX", "usd": None, "fx_rate": None}
    assert rows[1]["currency"] == "JPY" and rows[1]["usd"] is not None and rows[1]["usd"] < 100


def test_money_is_counted_once_at_the_funder(ws, tmp_path):
    funder = activity_xml(
        "XZ-SYN-F-1",
        publisher="XZ-SYN-F",
        transactions=tx("3", "1000", extra='<receiver-org receiver-activity-id="XZ-SYN-I-1"/>'),
    )
    implementer = activity_xml(
        "XZ-SYN-I-1",
        publisher="XZ-SYN-I",
        transactions=tx("1", "1000", extra='<provider-org provider-activity-id="XZ-SYN-F-1"/>') + tx("4", "900"),
    )
    # Implementer first: nothing to link to yet, so everything counts.
    ingest_file(ws, write(tmp_path / "impl.xml", implementer))
    assert ws.scalar("SELECT count(*) FROM flows WHERE NOT counted") == 0
    # Funder arrives: the implementer's incoming funds and spend are now counted at the funder.
    ingest_file(ws, write(tmp_path / "funder.xml", funder))
    rows = ws.query("SELECT activity_uid, type_code, counted, funded_by_uid FROM flows ORDER BY activity_uid, seq")
    assert rows == [
        {"activity_uid": "XZ-SYN-F|XZ-SYN-F-1", "type_code": "3", "counted": True, "funded_by_uid": None},
        {
            "activity_uid": "XZ-SYN-I|XZ-SYN-I-1",
            "type_code": "1",
            "counted": False,
            "funded_by_uid": "XZ-SYN-F|XZ-SYN-F-1",
        },
        {
            "activity_uid": "XZ-SYN-I|XZ-SYN-I-1",
            "type_code": "4",
            "counted": False,
            "funded_by_uid": "XZ-SYN-F|XZ-SYN-F-1",
        },
    ]
    total = ws.scalar("SELECT sum(usd) FROM flows WHERE counted AND type_code IN ('3','4')")
    assert total == 1000.0  # not 1900
    assert ws.scalar("SELECT sum(usd) FROM flows WHERE type_code IN ('3','4')") == 1900.0  # raw keeps both


def test_duplicates_later_import_replaces_same_publisher_and_other_publishers_are_kept_and_flagged(ws, tmp_path):
    v1 = write(tmp_path / "v1.xml", activity_xml("XZ-SYN-A-1", transactions=tx(value="100")))
    v2 = write(tmp_path / "v2.xml", activity_xml("XZ-SYN-A-1", transactions=tx(value="250") + tx(value="5")))
    other = write(tmp_path / "o.xml", activity_xml("XZ-SYN-A-1", publisher="XZ-SYN-B", transactions=tx(value="7")))
    ingest_file(ws, v1)
    res = ingest_file(ws, v2)
    assert res.replaced == 1
    assert ws.scalar("SELECT count(*) FROM activities") == 1
    assert ws.query("SELECT seq, value FROM transactions ORDER BY seq") == [
        {"seq": 1, "value": 250.0},
        {"seq": 2, "value": 5.0},
    ]
    assert ws.scalar("SELECT sum(value) FROM flows") == 255.0
    ingest_file(ws, other)
    assert ws.scalar("SELECT count(*) FROM activities") == 2
    dup = ws.query("SELECT iati_identifier, publishers FROM activity_duplicates")
    assert dup == [{"iati_identifier": "XZ-SYN-A-1", "publishers": ["XZ-SYN-A", "XZ-SYN-B"]}]


def test_non_numeric_values_are_stored_as_null_with_a_warning_naming_the_line(ws, tmp_path):
    path = write(tmp_path / "a.xml", activity_xml("XZ-SYN-A-1", transactions=tx(value="12,5x")))
    res = ingest_file(ws, path)
    assert res.warnings == {"value.not_a_number": 1}
    msg = ws.scalar("SELECT message FROM ledger_warnings")
    assert "'12,5x'" in msg and "line 1" in msg


def _marks(ws):
    return ws.query(
        "SELECT activity_uid, seq, country, sector, counted, funded_by_uid FROM flows "
        "ORDER BY activity_uid, seq, country NULLS FIRST, sector NULLS FIRST"
    )


def _marks_recomputed_for_the_whole_ledger(ws):
    from kizuna.ledger.money import mark_double_counting

    ws.con.execute("BEGIN TRANSACTION")
    try:
        mark_double_counting(ws.con)
        return _marks(ws)
    finally:
        ws.con.execute("ROLLBACK")


IDS = ["XZ-SYN-1", "XZ-SYN-2", "XZ-SYN-3", "XZ-SYN-4"]
PUBLISHERS = ["XZ-SYN-A", "XZ-SYN-B"]
transaction_spec = st.tuples(st.sampled_from(["1", "3", "4"]), st.sampled_from([None, *IDS]))
activity_spec = st.tuples(
    st.sampled_from(PUBLISHERS), st.sampled_from(IDS), st.lists(transaction_spec, min_size=1, max_size=3)
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(imports=st.lists(st.lists(activity_spec, min_size=1, max_size=3), min_size=1, max_size=5))
def test_marks_after_each_import_equal_a_recomputation_over_the_whole_ledger(tmp_path_factory, imports):
    # Funders arriving before or after their implementers, replaced by versions without their
    # outgoing disbursements, the same identifier from two publishers, activities naming themselves:
    # the marks recomputed for what an import touches must equal those recomputed for everything.
    tmp = tmp_path_factory.mktemp("dc")
    ws = open_workspace(tmp / "w.duckdb")
    try:
        for n, acts in enumerate(imports):
            unique = {(pub, ident): txs for pub, ident, txs in acts}  # one version per activity per file
            xml = [
                activity_xml(
                    ident,
                    publisher=pub,
                    transactions="".join(
                        tx(code, extra=f'<provider-org provider-activity-id="{prov}"/>' if prov else "")
                        for code, prov in txs
                    ),
                )
                for (pub, ident), txs in unique.items()
            ]
            ingest_file(ws, write(tmp / f"import-{n}.xml", *xml))
            assert _marks(ws) == _marks_recomputed_for_the_whole_ledger(ws), f"after import {n}"
    finally:
        ws.close()


def test_rebuilding_every_flow_at_once_equals_deriving_them_import_by_import(ws, tmp_path):
    """rebuild_flows derives the whole ledger in one statement (a shared server's analytical copy holds
    thousands of imports); it must give the flows, marks and FX warnings, in order, that build_flows
    gives import by import."""
    from kizuna.ledger.money import build_flows, mark_double_counting, rebuild_flows

    geo = '<recipient-country code="SS" percentage="40"/><recipient-region code="289" percentage="60"/>'
    files = [
        activity_xml(
            "XZ-SYN-F-1",
            publisher="XZ-SYN-F",
            transactions=tx("3", "1000", extra='<receiver-org receiver-activity-id="XZ-SYN-I-1"/>')
            + tx("3", "5", currency="XXX"),
        )
        + activity_xml("XZ-SYN-F-2", publisher="XZ-SYN-F", countries=geo, transactions=tx(value="70", currency="JPY")),
        activity_xml(
            "XZ-SYN-I-1",
            publisher="XZ-SYN-I",
            transactions=tx("1", "1000", extra='<provider-org provider-activity-id="XZ-SYN-F-1"/>')
            + tx("4", "900", currency="XXX"),
        ),
        # a newer file of the first publisher: replaces XZ-SYN-F-2, so import 1 keeps one activity
        activity_xml("XZ-SYN-F-2", publisher="XZ-SYN-F", transactions=tx(value="9", currency="XXX") + tx(value="4")),
    ]
    for i, body in enumerate(files):
        ingest_file(ws, write(tmp_path / f"f{i}.xml", body))
    ingested = ws.query("SELECT * FROM flows ORDER BY ALL")

    with ws.transaction() as con:  # the reference: import by import, as before
        con.execute("DELETE FROM flows")
        ids = [r[0] for r in con.execute("SELECT DISTINCT import_id FROM activities ORDER BY 1").fetchall()]
        one_by_one = [w for i in ids for w in build_flows(con, i)]
        mark_double_counting(con)
    reference = ws.query("SELECT * FROM flows ORDER BY ALL")
    with ws.transaction() as con:
        at_once = rebuild_flows(con)
    assert ws.query("SELECT * FROM flows ORDER BY ALL") == reference == ingested
    assert at_once == one_by_one
    assert len(at_once) == 3 and {w[2] for w in at_once} == {"fx.no_rate"}
    assert [w[0] for w in at_once] == ["XZ-SYN-F|XZ-SYN-F-1", "XZ-SYN-I|XZ-SYN-I-1", "XZ-SYN-F|XZ-SYN-F-2"]
    assert not all(r["counted"] for r in reference)  # the marks were exercised
