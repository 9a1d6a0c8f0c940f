"""IATI ``result`` read whole (issue 14): indicators, references, baselines, several targets and actuals,
dimensions, location refs, comments and document links (IATI 2.03, iati-activity/result), stored in the
tables of migrations 0002, 0012 and 0013.

The real-file tests count the file's elements with lxml's XPath, independently of kizuna's reader, over
the activities the ledger keeps (the same reporting-org ref and iati-identifier twice in one file: the
later one wins; an activity without an identifier refuses the whole file)."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from kizuna import i18n
from kizuna.cli import main
from kizuna.ledger.iati import IatiReader, overall_value, parse_amount
from kizuna.ledger.ingest import ingest_file
from kizuna.workspace import open_workspace
from tests.conftest import shared_path

# The two files with results the README names, and D-Portal's extract (many publishers), which alone has
# indicator references; the least number of results each holds, so no comparison is of zeros.
REAL_FILES = {"CAF-ActivityFile-2025-10-10.xml": 400, "worldbank-sv.xml": 200, "dportal-covid-extract.xml": 100}

# What each stored count is, as an XPath relative to one kept iati-activity.
VALUE_PARENTS = ("result/indicator/baseline", "result/indicator/period/target", "result/indicator/period/actual")
XPATHS = {
    "results": ["result"],
    "result_refs": ["result/reference"],
    "result_indicators": ["result/indicator"],
    "result_indicator_refs": ["result/indicator/reference"],
    "result_baselines": ["result/indicator/baseline"],
    "result_periods": ["result/indicator/period"],
    "targets": ["result/indicator/period/target"],
    "actuals": ["result/indicator/period/actual"],
    "result_dimensions": [f"{p}/dimension" for p in VALUE_PARENTS],
    "result_location_refs": [f"{p}/location" for p in VALUE_PARENTS],
    "result_document_links": ["result/document-link", "result/indicator/document-link"]
    + [f"{p}/document-link" for p in VALUE_PARENTS],
}
SQL = {
    "targets": "SELECT count(*) FROM result_period_values WHERE kind = 'target'",
    "actuals": "SELECT count(*) FROM result_period_values WHERE kind = 'actual'",
}


def independent_counts(path: Path) -> tuple[Counter[str], dict[str, int]]:
    """Element counts over the activities the ledger keeps, and why any were not kept."""
    kept: dict[tuple[str, str], Counter[str]] = {}
    seen = 0
    for _, act in etree.iterparse(str(path), tag="iati-activity", resolve_entities=False, no_network=True):
        seen += 1
        ident = act.xpath("string(iati-identifier)").strip()
        assert ident, "an activity without an identifier would refuse the whole file"
        key = (act.xpath("string(reporting-org/@ref)").strip(), ident)
        kept[key] = Counter({name: sum(len(act.xpath(x)) for x in xs) for name, xs in XPATHS.items()})
        act.clear()
    total: Counter[str] = Counter()
    for c in kept.values():
        total.update(c)
    return total, {"in_file": seen, "kept": len(kept), "repeated_in_file_later_one_kept": seen - len(kept)}


@pytest.fixture(scope="module")
def real_ws(tmp_path_factory):
    """Each real file ingested by ``kizuna ingest`` into its own temporary workspace."""
    out = {}
    for name in REAL_FILES:
        path = tmp_path_factory.mktemp("results") / "ws.duckdb"
        assert main(["ingest", "-w", str(path), str(shared_path("iati-more", name))]) == 0
        out[name] = path
    yield out


@pytest.mark.shared
@pytest.mark.parametrize("name", REAL_FILES)
def test_stored_result_counts_equal_an_independent_lxml_count(real_ws, name):
    expected, acts = independent_counts(shared_path("iati-more", name))
    with open_workspace(real_ws[name], read_only=True) as ws:
        assert ws.scalar("SELECT count(*) FROM activities") == acts["kept"]
        got = {t: ws.scalar(SQL.get(t, f"SELECT count(*) FROM {t}")) for t in XPATHS}
    assert got == dict(expected), acts
    assert expected["results"] >= REAL_FILES[name] and expected["targets"] >= REAL_FILES[name] // 2
    assert acts["repeated_in_file_later_one_kept"] == 0, "no activity of these files is dropped"


@pytest.mark.shared
def test_spot_values_of_the_world_bank_file_match_the_file(real_ws):
    path = shared_path("iati-more", "worldbank-sv.xml")
    tree = etree.parse(str(path))
    # The first indicator of the file whose first period has an actual value.
    ind = tree.xpath("(//iati-activity/result/indicator[period[1]/actual/@value != ''])[1]")[0]
    res = ind.getparent()
    ident = res.getparent().xpath("string(iati-identifier)").strip()
    r_seq = len(res.xpath("preceding-sibling::result")) + 1
    assert not ind.xpath("preceding-sibling::indicator")
    per = ind.xpath("period[1]")[0]
    with open_workspace(real_ws["worldbank-sv.xml"], read_only=True) as ws:
        row = ws.query(
            "SELECT p.period_start, p.target_value, p.actual_value, i.title, i.measure, i.ascending, i.baseline_value"
            " FROM result_periods p JOIN result_indicators i USING (activity_uid, result_seq, indicator_seq)"
            " JOIN activities a USING (activity_uid)"
            " WHERE a.iati_identifier = ? AND p.result_seq = ? AND p.indicator_seq = 1 AND p.period_seq = 1",
            [ident, r_seq],
        )[0]
        comment = ws.scalar(
            "SELECT comment FROM result_baselines b JOIN activities a USING (activity_uid)"
            " WHERE a.iati_identifier = ? AND b.result_seq = ? AND b.indicator_seq = 1 AND b.baseline_seq = 1",
            [ident, r_seq],
        )
    assert str(row["period_start"]) == per.xpath("string(period-start/@iso-date)")[:10]
    assert row["target_value"] == per.xpath("string(target/@value)").strip()
    assert row["actual_value"] == per.xpath("string(actual/@value)").strip()
    assert row["title"] == ind.xpath("string(title/narrative)").strip()
    assert row["measure"] == ind.get("measure")
    assert row["ascending"] == (ind.get("ascending") in ("1", "true"))
    assert row["baseline_value"] == ind.xpath("string(baseline/@value)").strip()
    # The file's baseline comments are empty narratives (<comment><narrative/></comment>): no text, NULL.
    assert comment == (ind.xpath("string(baseline/comment/narrative)").strip() or None)


@pytest.mark.shared
def test_an_indicator_reference_of_the_dportal_file_matches_the_file(real_ws):
    tree = etree.parse(str(shared_path("iati-more", "dportal-covid-extract.xml")))
    ref = tree.xpath("(//iati-activity/result/indicator/reference[@code])[1]")[0]
    ind = ref.getparent()
    res = ind.getparent()
    ident = res.getparent().xpath("string(iati-identifier)").strip()
    key = [
        ident,
        len(res.xpath("preceding-sibling::result")) + 1,
        len(ind.xpath("preceding-sibling::indicator")) + 1,
        len(ref.xpath("preceding-sibling::reference")) + 1,
    ]
    with open_workspace(real_ws["dportal-covid-extract.xml"], read_only=True) as ws:
        got = ws.query(
            "SELECT vocabulary, code, indicator_uri FROM result_indicator_refs JOIN activities a USING (activity_uid)"
            " WHERE a.iati_identifier = ? AND result_seq = ? AND indicator_seq = ? AND ref_seq = ?",
            key,
        )
    assert got == [
        {"vocabulary": ref.get("vocabulary"), "code": ref.get("code"), "indicator_uri": ref.get("indicator-uri")}
    ]


@pytest.mark.shared
def test_the_spanish_file_keeps_its_titles_in_spanish_and_numbers_as_numbers(real_ws):
    path = shared_path("iati-more", "CAF-ActivityFile-2025-10-10.xml")
    tree = etree.parse(str(path))
    values = [v.strip() for v in tree.xpath("//result/indicator/period/target/@value")]
    with open_workspace(real_ws["CAF-ActivityFile-2025-10-10.xml"], read_only=True) as ws:
        assert ws.scalar("SELECT count(*) FROM result_narratives WHERE lang = 'es'") == len(
            tree.xpath("//result/title/narrative | //result/indicator/title/narrative")
        )
        stored = ws.scalar("SELECT sum(target_num) FROM result_periods")
        numeric = [parse_amount(v)[0] for v in values]
    assert stored == pytest.approx(math.fsum(x for x in numeric if x is not None))


# -- small hand-written files ---------------------------------------------------------------------------


def write(tmp_path: Path, results: str, version: str = "2.03", ident: str = "XX-1-A", name: str = "r.xml") -> Path:
    path = tmp_path / name
    path.write_text(
        f'<iati-activities version="{version}"><iati-activity xml:lang="en" default-currency="USD">'
        f'<iati-identifier>{ident}</iati-identifier><reporting-org ref="XX-1"><narrative>Org</narrative></reporting-org>'
        f"<title><narrative>T</narrative></title>{results}</iati-activity></iati-activities>",
        encoding="utf-8",
    )
    return path


DISAGGREGATED = """
<result type="2" aggregation-status="1">
  <title><narrative>Safer communities</narrative><narrative xml:lang="fr">Communautés plus sûres</narrative></title>
  <description><narrative>Outcome</narrative></description>
  <reference vocabulary="99" code="R-1" vocabulary-uri="http://example.org/r"/>
  <document-link url="http://example.org/report.pdf" format="application/pdf">
    <title><narrative>Report</narrative></title><category code="A01"/><category code="A02"/>
    <language code="en"/><document-date iso-date="2024-02-01"/>
  </document-link>
  <indicator measure="1" aggregation-status="0">
    <title><narrative>People trained</narrative></title>
    <reference vocabulary="1" code="3429" indicator-uri="http://example.org/i"/>
    <reference vocabulary="99" code="OWN-7"/>
    <baseline year="2020" iso-date="2020-01-01" value="10">
      <dimension name="sex" value="female"/><comment><narrative>women only</narrative></comment>
    </baseline>
    <baseline year="2020" iso-date="2020-01-01" value="25"/>
    <period>
      <period-start iso-date="2021-01-01"/><period-end iso-date="2021-12-31"/>
      <target value="40"><location ref="L1"/><dimension name="sex" value="female"/></target>
      <target value="60"><dimension name="sex" value="male"/><dimension name="age" value="adult"/></target>
      <target value="100"><comment><narrative>all</narrative></comment>
        <document-link url="http://example.org/t.csv" format="text/csv"/></target>
      <actual value="35"><dimension name="sex" value="female"/></actual>
      <actual value="50"><dimension name="sex" value="male"/></actual>
    </period>
    <period>
      <period-start iso-date="2022-01-01"/><period-end iso-date="2022-12-31"/>
      <target value="120"/>
    </period>
  </indicator>
</result>"""


def test_several_targets_with_dimensions_and_one_without(ws, tmp_path):
    ingest_file(ws, write(tmp_path, DISAGGREGATED))
    periods = ws.query(
        "SELECT period_seq, target_value, target_num, actual_value, actual_num FROM result_periods ORDER BY 1"
    )
    # The overall target is the one with no dimension; every actual is disaggregated, so none is overall.
    assert periods[0] == {"period_seq": 1, "target_value": "100", "target_num": 100.0,
                          "actual_value": None, "actual_num": None}  # fmt: skip
    assert ws.query(
        "SELECT kind, value_seq, value, value_num, comment FROM result_period_values WHERE period_seq = 1"
        " ORDER BY kind DESC, value_seq"
    ) == [
        {"kind": "target", "value_seq": 1, "value": "40", "value_num": 40.0, "comment": None},
        {"kind": "target", "value_seq": 2, "value": "60", "value_num": 60.0, "comment": None},
        {"kind": "target", "value_seq": 3, "value": "100", "value_num": 100.0, "comment": "all"},
        {"kind": "actual", "value_seq": 1, "value": "35", "value_num": 35.0, "comment": None},
        {"kind": "actual", "value_seq": 2, "value": "50", "value_num": 50.0, "comment": None},
    ]
    assert ws.query(
        "SELECT period_seq, kind, value_seq, dim_seq, name, value FROM result_dimensions"
        " ORDER BY period_seq NULLS FIRST, kind DESC, value_seq, dim_seq"
    ) == [
        {"period_seq": None, "kind": "baseline", "value_seq": 1, "dim_seq": 1, "name": "sex", "value": "female"},
        {"period_seq": 1, "kind": "target", "value_seq": 1, "dim_seq": 1, "name": "sex", "value": "female"},
        {"period_seq": 1, "kind": "target", "value_seq": 2, "dim_seq": 1, "name": "sex", "value": "male"},
        {"period_seq": 1, "kind": "target", "value_seq": 2, "dim_seq": 2, "name": "age", "value": "adult"},
        {"period_seq": 1, "kind": "actual", "value_seq": 1, "dim_seq": 1, "name": "sex", "value": "female"},
        {"period_seq": 1, "kind": "actual", "value_seq": 2, "dim_seq": 1, "name": "sex", "value": "male"},
    ]
    assert ws.query("SELECT kind, value_seq, ref FROM result_location_refs") == [
        {"kind": "target", "value_seq": 1, "ref": "L1"}
    ]


def test_a_period_with_no_actual_has_a_target_and_a_null_actual(ws, tmp_path):
    ingest_file(ws, write(tmp_path, DISAGGREGATED))
    row = ws.query("SELECT * FROM result_periods WHERE period_seq = 2")[0]
    assert (row["target_value"], row["target_num"], row["actual_value"], row["actual_num"]) == (
        "120",
        120.0,
        None,
        None,
    )
    assert str(row["period_end"]) == "2022-12-31"
    assert ws.scalar("SELECT count(*) FROM result_period_values WHERE period_seq = 2 AND kind = 'actual'") == 0


def test_result_and_indicator_references_links_and_baselines(ws, tmp_path):
    ingest_file(ws, write(tmp_path, DISAGGREGATED))
    assert ws.query("SELECT type, aggregation_status, title, description FROM results") == [
        {"type": "2", "aggregation_status": True, "title": "Safer communities", "description": "Outcome"}
    ]
    assert ws.query("SELECT ref_seq, vocabulary, code, vocabulary_uri FROM result_refs") == [
        {"ref_seq": 1, "vocabulary": "99", "code": "R-1", "vocabulary_uri": "http://example.org/r"}
    ]
    assert ws.query("SELECT ref_seq, vocabulary, code, indicator_uri FROM result_indicator_refs ORDER BY 1") == [
        {"ref_seq": 1, "vocabulary": "1", "code": "3429", "indicator_uri": "http://example.org/i"},
        {"ref_seq": 2, "vocabulary": "99", "code": "OWN-7", "indicator_uri": None},
    ]
    ind = ws.query("SELECT * FROM result_indicators")[0]
    # The overall baseline is the one without a dimension (the second), not the first.
    assert (ind["baseline_value"], ind["baseline_num"], ind["baseline_year"]) == ("25", 25.0, 2020)
    assert ind["aggregation_status"] is False and ind["ascending"] is True
    assert ws.query("SELECT baseline_seq, value, value_num, comment FROM result_baselines ORDER BY 1") == [
        {"baseline_seq": 1, "value": "10", "value_num": 10.0, "comment": "women only"},
        {"baseline_seq": 2, "value": "25", "value_num": 25.0, "comment": None},
    ]
    links = ws.query(
        "SELECT kind, indicator_seq, period_seq, value_seq, url, format, title, categories, languages, document_date"
        " FROM result_document_links ORDER BY kind DESC"
    )
    assert [(r["kind"], r["indicator_seq"], r["period_seq"], r["value_seq"]) for r in links] == [
        ("target", 1, 1, 3),
        ("result", None, None, None),
    ]
    assert links[1]["categories"] == ["A01", "A02"] and links[1]["languages"] == ["en"]
    assert (links[1]["title"], str(links[1]["document_date"])) == ("Report", "2024-02-01")
    assert links[0]["format"] == "text/csv"


def test_every_language_of_a_result_title_is_kept(ws, tmp_path):
    ingest_file(ws, write(tmp_path, DISAGGREGATED))
    assert ws.query(
        "SELECT element, ord, lang, text FROM result_narratives WHERE kind = 'result' ORDER BY element DESC, ord"
    ) == [
        {"element": "title", "ord": 1, "lang": "en", "text": "Safer communities"},
        {"element": "title", "ord": 2, "lang": "fr", "text": "Communautés plus sûres"},
        {"element": "description", "ord": 1, "lang": "en", "text": "Outcome"},
    ]


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [("", True), ('ascending="1"', True), ('ascending="true"', True), ('ascending="0"', False),
     ('ascending="false"', False)],
)  # fmt: skip
def test_ascending_is_true_unless_the_file_says_0_or_false(ws, tmp_path, attribute, expected):
    ingest_file(
        ws, write(tmp_path, f'<result type="1"><indicator measure="1" {attribute}><period/></indicator></result>')
    )
    assert ws.scalar("SELECT ascending FROM result_indicators") is expected


def test_qualitative_values_stay_text_without_a_warning(ws, tmp_path):
    res = ingest_file(
        ws,
        write(
            tmp_path,
            '<result type="2"><indicator measure="5"><title><narrative>Police trust</narrative></title>'
            '<baseline year="2020" value="low"/><period><period-start iso-date="2021-01-01"/>'
            '<period-end iso-date="2021-12-31"/><target value="high"/><actual value="medium">'
            "<comment><narrative>focus groups</narrative></comment></actual></period></indicator></result>",
        ),
    )
    assert res.warnings == {}
    assert ws.query("SELECT target_value, target_num, actual_value, actual_num FROM result_periods") == [
        {"target_value": "high", "target_num": None, "actual_value": "medium", "actual_num": None}
    ]
    assert ws.scalar("SELECT comment FROM result_period_values WHERE kind = 'actual'") == "focus groups"


def test_a_unit_value_that_is_not_a_number_stays_text_with_a_warning_naming_its_line(ws, tmp_path):
    path = write(
        tmp_path,
        '<result type="1"><indicator measure="1"><period>\n<target value="about 40"/>\n'
        '<actual value="1,250.5"/></period></indicator></result>',
    )
    res = ingest_file(ws, path)
    assert res.warnings == {"result.value_not_a_number": 1, "result.value_not_decimal": 1}
    assert ws.query("SELECT target_value, target_num, actual_value, actual_num FROM result_periods") == [
        {"target_value": "about 40", "target_num": None, "actual_value": "1,250.5", "actual_num": 1250.5}
    ]
    msg = ws.scalar("SELECT message FROM ledger_warnings WHERE code = 'result.value_not_a_number'")
    assert msg == ("target value 'about 40' (line 2) is not a number; kept as text, with no numeric value")
    # The message is a catalogue id with parameters: it reads in Japanese too.
    warning = next(w for a in IatiReader(path) for c, w in a.warnings if c == "result.value_not_a_number")
    with i18n.use("ja"):
        ja = i18n.gettext(warning)
    assert ja != str(warning) and "about 40" in ja and "2" in ja


V1_RESULT = """<result type="output">
  <title>Roads rebuilt</title><description>Feeder roads</description>
  <indicator measure="1" ascending="true">
    <title>km of road</title><description>rehabilitated</description>
    <baseline year="2009" value="0"><comment>none before</comment></baseline>
    <period><period-start iso-date="2010-01-01"/><period-end>2010-12-31</period-end>
      <target value="120"><comment>plan</comment></target><actual value="95"/></period>
  </indicator>
</result>"""


def test_a_result_in_a_1_05_file_is_read_from_element_text(ws, tmp_path):
    ingest_file(ws, write(tmp_path, V1_RESULT, version="1.05"))
    assert ws.query("SELECT type, title, description FROM results") == [
        {"type": "1", "title": "Roads rebuilt", "description": "Feeder roads"}
    ]
    ind = ws.query("SELECT title, description, baseline_year, baseline_value FROM result_indicators")[0]
    assert ind == {"title": "km of road", "description": "rehabilitated", "baseline_year": 2009, "baseline_value": "0"}
    per = ws.query("SELECT period_end, target_num, actual_num FROM result_periods")[0]
    assert (str(per["period_end"]), per["target_num"], per["actual_num"]) == ("2010-12-31", 120.0, 95.0)
    assert ws.query("SELECT kind, comment FROM result_period_values ORDER BY kind DESC") == [
        {"kind": "target", "comment": "plan"},
        {"kind": "actual", "comment": None},
    ]
    assert ws.scalar("SELECT comment FROM result_baselines") == "none before"


RESULT_TABLES = [
    "results", "result_refs", "result_indicators", "result_indicator_refs", "result_baselines", "result_periods",
    "result_period_values", "result_dimensions", "result_location_refs", "result_document_links", "result_narratives",
]  # fmt: skip


def test_reimporting_an_activity_replaces_its_result_rows(ws, tmp_path):
    ingest_file(ws, write(tmp_path, DISAGGREGATED, name="a.xml"))
    first = {t: ws.scalar(f"SELECT count(*) FROM {t}") for t in RESULT_TABLES}
    assert all(first.values()), first
    # The same activity again, from another file (another sha256): it replaces, it does not add.
    ingest_file(ws, write(tmp_path, DISAGGREGATED + "<!-- v2 -->", name="b.xml"))
    assert {t: ws.scalar(f"SELECT count(*) FROM {t}") for t in RESULT_TABLES} == first
    # And a version with fewer results leaves none of the old rows behind.
    ingest_file(ws, write(tmp_path, '<result type="1"><indicator measure="1"/></result>', name="c.xml"))
    assert {t: ws.scalar(f"SELECT count(*) FROM {t}") for t in RESULT_TABLES} == {
        t: int(t in ("results", "result_indicators")) for t in RESULT_TABLES
    }


def test_overall_value_prefers_no_dimension_then_no_location():
    def v(dims=(), locs=()):
        return {"dimensions": list(dims), "locations": list(locs)}

    a, b, c = v(locs=["L1"]), v(), v(dims=[("sex", "f")])
    assert overall_value([c, a]) is a  # one without a dimension: it, even with a location
    assert overall_value([a, b, c]) is b  # several: the one that names no place
    assert overall_value([c]) is None and overall_value([]) is None
    assert overall_value([a, v(locs=["L2"])]) is None  # values for two places and none overall


@settings(max_examples=60, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9))
def test_a_decimal_value_is_stored_as_written_and_as_its_number(number):
    raw = str(number)
    data = (
        '<iati-activities version="2.03"><iati-activity><iati-identifier>X</iati-identifier>'
        f'<result type="1"><indicator measure="1"><period><target value=" {raw} "/></period></indicator></result>'
        "</iati-activity></iati-activities>"
    ).encode()
    act = next(iter(IatiReader("h.xml", data=data)))
    assert act.warnings == []
    res = act.results[0]
    target = res["indicators"][0]["periods"][0]["target"][0]
    assert target["value"] == raw and target["num"] == float(raw)


def test_migration_0013_upgrades_a_workspace_that_already_holds_results(tmp_path):
    # A workspace as 0012 left it: the 0013 tables and columns absent, an old result row stored.
    path = tmp_path / "old.duckdb"
    with open_workspace(path) as ws, ws.transaction() as con:
        for t in RESULT_TABLES:
            if t not in ("results", "result_indicators", "result_periods", "result_indicator_refs"):
                con.execute(f"DROP TABLE {t}")
        for table, col in [("results", "description"), ("result_indicators", "aggregation_status"),
                           ("result_indicators", "description"), ("result_indicators", "baseline_num"),
                           ("result_periods", "target_num"), ("result_periods", "actual_num")]:  # fmt: skip
            con.execute(f"ALTER TABLE {table} DROP COLUMN {col}")
        con.execute("DELETE FROM schema_migrations WHERE version = 13")
        con.execute("INSERT INTO result_periods VALUES ('P|A', 1, 1, 1, NULL, NULL, '5', '4')")
    with open_workspace(path) as ws:
        assert ws.query("SELECT target_value, actual_value, target_num FROM result_periods") == [
            {"target_value": "5", "actual_value": "4", "target_num": None}
        ]
        ingest_file(ws, write(tmp_path, DISAGGREGATED))
        assert ws.scalar("SELECT count(*) FROM result_dimensions") == 6
