"""IATI 1.0x files are read, their 1.x codes as the 2.0x codes that replaced them, with a warning.

Issue 11 defect (2): a 1.x file with no ``@version`` was stored as "unknown" with its 1.x transaction
codes (C, D, E...), so none of its spending counted. The fixtures are written here in the shape of a
real 1.01 file (DFID's Congo file, IATI/IATI-Datastore ``iatilib/test/fixtures/CD.xml``): codes as
words and letters, text instead of narratives, dates as element text.
"""

from __future__ import annotations

import pytest

from kizuna.ledger import iati_fast
from kizuna.ledger.iati import V1_CODES, IatiReader
from kizuna.ledger.ingest import ingest_file

V1_ACTIVITY = """
  <iati-activity xml:lang="en" default-currency="GBP" hierarchy="2">
    <reporting-org ref="GB-1" type="10">Department for International Development</reporting-org>
    <participating-org ref="GB" type="10" role="Funding">UNITED KINGDOM</participating-org>
    <participating-org ref="GB-1" type="10" role="Extending">Department for International Development</participating-org>
    <participating-org ref="52000" role="implementing">Other.</participating-org>
    <recipient-country code="CD">Congo, Dem Rep</recipient-country>
    <iati-identifier>GB-1-105838-{n}</iati-identifier>
    <title>Support to the Poverty Reduction Strategy Process</title>
    <sector code="15110" percentage="60">Public sector policy and administrative management</sector>
    <sector code="151" vocabulary="DAC-3" percentage="100">Government and civil society</sector>
    <sector code="GOV" vocabulary="RO" percentage="100">Governance</sector>
    <sector vocabulary="DAC" code="16010" percentage="40">Social/welfare services</sector>
    <activity-date type="start-planned">2004-01-01</activity-date>
    <activity-date type="start-actual" iso-date="2004-02-01"/>
    <activity-date type="end-planned">2008-11-30</activity-date>
    <activity-status code="4">Post-completion</activity-status>
    <policy-marker code="1" vocabulary="DAC" significance="1">Gender Equality</policy-marker>
    <transaction>
      <value value-date="2005-04-01">1067912</value>
      <transaction-type code="C">Commitment</transaction-type>
      <transaction-date iso-date="2004-01-01">Total Commitment to 30 Nov 2008</transaction-date>
    </transaction>
    <transaction>
      <value value-date="2006-04-01">500000</value>
      <transaction-type code="D">Disbursement</transaction-type>
      <transaction-date>2006-04-03</transaction-date>
    </transaction>
    <transaction>
      <value value-date="2007-04-01">250000</value>
      <transaction-type code="E">Expenditure</transaction-type>
      <transaction-date iso-date="2007-04-02"/>
    </transaction>
    <budget type="Original">
      <period-start iso-date="2004-04-01"/><period-end iso-date="2005-03-31"/>
      <value value-date="2004-04-01" currency="GBP">500000</value>
    </budget>
    <location>
      <name>Kinshasa</name>
      <coordinates latitude="-4.32" longitude="15.31" precision="3"/>
      <administrative country="CD" adm1="Kinshasa">Kinshasa</administrative>
    </location>
  </iati-activity>"""


def v1_file(path, version: str | None, n: int = 2):
    attr = f' version="{version}"' if version else ""
    body = "".join(V1_ACTIVITY.replace("{n}", str(100 + i)) for i in range(n))
    path.write_text(f'<?xml version="1.0"?>\n<iati-activities{attr} generated-datetime="2013-04-30T16:49:24Z">'
                    f"{body}\n</iati-activities>\n")  # fmt: skip
    return path


@pytest.mark.parametrize("version", ["1.01", None])
def test_a_1x_file_is_read_with_its_codes_mapped_and_its_spending_counted(ws, tmp_path, version):
    res = ingest_file(ws, v1_file(tmp_path / "dfid-cd.xml", version))
    assert res.version == (version or "1.x (no @version)")
    assert ws.query("SELECT DISTINCT type_code FROM transactions ORDER BY type_code") == [
        {"type_code": "2"},
        {"type_code": "3"},
        {"type_code": "4"},
    ]
    # Spending (disbursements and expenditures) counts: 2 activities x (500,000 + 250,000) GBP
    gbp = ws.scalar("SELECT sum(value) FROM flows WHERE counted AND type_code IN ('3', '4')")
    assert gbp == pytest.approx(1_500_000)
    assert ws.scalar("SELECT count(*) FROM flows WHERE usd IS NULL") == 0
    # One warning for the file, on its first activity
    assert res.warnings == {"iati.version_1": 1}
    msg = ws.scalar("SELECT message FROM ledger_warnings")
    assert ("is IATI 1.01" in msg) if version else ("declares no @version and uses IATI 1.x codes" in msg)
    assert "transaction types" in msg


def test_every_kind_of_1x_code_and_1x_date_is_read_as_2x(ws, tmp_path):
    ingest_file(ws, v1_file(tmp_path / "dfid-cd.xml", "1.01", n=1))
    assert ws.query("SELECT role, ref FROM participating_orgs ORDER BY seq") == [
        {"role": 1, "ref": "GB"},
        {"role": 3, "ref": "GB-1"},
        {"role": 4, "ref": "52000"},  # "implementing": 1.x codes were matched without regard to case
    ]
    act = ws.query(
        "SELECT planned_start, actual_start, planned_end, start_date, publisher_name, title FROM activities"
    )[0]
    assert (str(act["planned_start"]), str(act["actual_start"]), str(act["planned_end"])) == (
        "2004-01-01",
        "2004-02-01",
        "2008-11-30",
    )
    assert act["publisher_name"] == "Department for International Development"
    assert ws.query("SELECT vocabulary, code FROM activity_sectors ORDER BY vocabulary, code") == [
        {"vocabulary": "1", "code": "15110"},
        {"vocabulary": "1", "code": "16010"},
        {"vocabulary": "2", "code": "151"},
        {"vocabulary": "99", "code": "GOV"},
    ]
    assert ws.scalar("SELECT vocabulary FROM policy_markers") == "1"
    assert ws.scalar("SELECT type FROM budgets") == "1"
    assert str(ws.scalar("SELECT date FROM transactions WHERE seq = 2")) == "2006-04-03"  # date as text
    loc = ws.query("SELECT lat, lon, adm1 FROM locations")[0]
    assert (loc["lat"], loc["lon"], loc["adm1"]) == (-4.32, 15.31, "Kinshasa")
    # Money splits by the mapped DAC vocabulary (1), 60 / 40
    shares = ws.query("SELECT sector, sum(share) AS s FROM flows WHERE seq = 2 GROUP BY sector ORDER BY sector")
    assert [(r["sector"], round(r["s"], 12)) for r in shares] == [("15110", 0.6), ("16010", 0.4)]


def test_a_2x_file_without_version_is_read_as_published_with_no_warning(ws, tmp_path):
    path = tmp_path / "nover.xml"
    path.write_text(
        '<iati-activities><iati-activity default-currency="USD"><iati-identifier>XZ-1</iati-identifier>'
        '<reporting-org ref="XZ"><narrative>X</narrative></reporting-org><transaction>'
        '<transaction-type code="3"/><transaction-date iso-date="2020-01-01"/><value>5</value></transaction>'
        "</iati-activity></iati-activities>"
    )
    res = ingest_file(ws, path)
    assert res.version == "unknown" and res.warnings == {}
    assert ws.scalar("SELECT sum(usd) FROM flows WHERE type_code = '3'") == 5.0


def test_codes_of_a_file_declaring_2x_are_not_guessed(ws, tmp_path):
    text = v1_file(tmp_path / "x.xml", "2.03", n=1).read_text()
    res = ingest_file(ws, tmp_path / "x.xml")
    assert "iati.version_1" not in res.warnings
    assert ws.scalar("SELECT count(*) FROM transactions WHERE type_code IN ('C', 'D', 'E')") == 3
    assert res.warnings["transaction.type_unknown"] == 3  # never silent: each is named
    assert 'role="Funding"' in text  # the 1.x words stay unread: role NULL
    assert ws.scalar("SELECT count(*) FROM participating_orgs WHERE role IS NULL") == 3


def test_the_fast_path_leaves_1x_and_undeclared_files_to_the_reference_reader(tmp_path):
    for version in ("1.05", None):
        data = v1_file(tmp_path / "f.xml", version, n=1).read_bytes()
        with pytest.raises(iati_fast.Decline):
            iati_fast.fast_tables(data, 1)


def test_the_warning_is_given_once_per_document_even_with_many_activities(tmp_path):
    reader = IatiReader(v1_file(tmp_path / "f.xml", None, n=5))
    acts = list(reader)
    assert [len(a.warnings) for a in acts] == [1, 0, 0, 0, 0]
    assert reader.header is not None and reader.header.version == "1.x (no @version)"


def test_the_mapping_covers_every_1_05_transaction_type():
    # TransactionType 1.05 (IATI-Codelists, branch version-1.05): C D E IF IR LR R QP QS CG
    assert sorted(V1_CODES["transaction-type"]) == sorted(["C", "D", "E", "IF", "IR", "LR", "R", "QP", "QS", "CG"])
    assert sorted(V1_CODES["transaction-type"].values(), key=int) == [str(i) for i in range(1, 11)]


@pytest.mark.parametrize("version", ["1.03", None])
def test_a_large_1x_file_read_in_chunks_equals_it_read_whole_with_one_warning(tmp_path, monkeypatch, version):
    from kizuna.ledger import chunks, ingest
    from kizuna.workspace import open_workspace

    path = v1_file(tmp_path / "big.xml", version, n=40)
    tables = ["activities", "transactions", "participating_orgs", "activity_sectors", "budgets", "flows"]

    def dump(ws):
        cols = {t: "* EXCLUDE (import_id)" if t == "activities" else "*" for t in tables}
        return {t: ws.con.execute(f"SELECT {cols[t]} FROM {t} ORDER BY ALL").fetchall() for t in tables}

    with open_workspace(tmp_path / "whole.duckdb") as ws:
        whole = ingest_file(ws, path)
        expected = dump(ws)
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 8_000)
    monkeypatch.setenv("KIZUNA_WORKERS", "1")  # chunk by chunk in this process
    assert len(chunks.plan_chunks(path).chunks) > 5
    with open_workspace(tmp_path / "chunks.duckdb") as ws:
        res = ingest_file(ws, path)
        assert dump(ws) == expected
    assert res.warnings == whole.warnings == {"iati.version_1": 1}
    assert res.version == whole.version == (version or "1.x (no @version)")
