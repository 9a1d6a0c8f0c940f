"""Multilingual data kept whole (issue 12): every narrative is stored with its language, both ingest
paths store the same rows, one selection rule picks what a reader sees (docs/languages.md,
"Multilingual data"), and one organisation has one name per language in every view."""

from __future__ import annotations

from pathlib import Path

import pytest

from kizuna import i18n
from kizuna.ledger import iati_fast
from kizuna.ledger.iati import pick_narrative
from kizuna.ledger.ingest import ingest_paths
from kizuna.ledger.queries import activity_narratives, activity_titles, data_lang, narrative_rank_sql
from tests.conftest import shared_path
from tests.ledger.test_iati_fast import assert_same

# A JICA activity (JICA publishes as XM-DAC-701-8; its legacy identifier JP-8 starts its activity ids):
# the file says Japanese by default, the activity has Japanese and English titles and names.
JICA = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03" xml:lang="ja">
 <iati-activity default-currency="USD" last-updated-datetime="2025-01-01T00:00:00Z">
  <iati-identifier>JP-8-SS-2024-001</iati-identifier>
  <reporting-org ref="XM-DAC-701-8" type="10">
   <narrative>独立行政法人国際協力機構</narrative>
   <narrative xml:lang="en">Japan International Cooperation Agency</narrative>
  </reporting-org>
  <title>
   <narrative>南スーダン地域警察研修</narrative>
   <narrative xml:lang="EN">Community policing training in South Sudan</narrative>
  </title>
  <description type="1">
   <narrative xml:lang="en">Training of police officers.</narrative>
   <narrative xml:lang="ja">警察官の研修。</narrative>
  </description>
  <participating-org role="1" ref="JP-8"><narrative xml:lang="en">Japanese International Co-operation Agency</narrative></participating-org>
  <participating-org role="4" type="10"><narrative>南スーダン警察</narrative></participating-org>
  <activity-status code="2"/>
  <activity-date type="2" iso-date="2024-01-01"/>
  <recipient-country code="SS" percentage="100"/>
  <sector code="15210" percentage="100"/>
  <location><name><narrative>Juba</narrative></name><point srsName="http://www.opengis.net/def/crs/EPSG/0/4326"><pos>4.85 31.58</pos></point></location>
  <transaction>
   <transaction-type code="3"/><transaction-date iso-date="2024-02-01"/>
   <value currency="USD" value-date="2024-02-01">1000</value>
   <provider-org ref="XM-DAC-701-8"><narrative>国際協力機構</narrative></provider-org>
   <receiver-org><narrative xml:lang="en">Ministry of Interior</narrative><narrative xml:lang="ja">内務省</narrative></receiver-org>
  </transaction>
 </iati-activity>
</iati-activities>
"""

# A USAID activity in English only, beside it: a view in Japanese falls back to English.
USAID = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03">
 <iati-activity xml:lang="en" default-currency="USD">
  <iati-identifier>US-GOV-1-SS-1</iati-identifier>
  <reporting-org ref="US-GOV-1" type="10"><narrative>U.S. Agency for International Development</narrative></reporting-org>
  <title><narrative>Water for Juba</narrative></title>
  <participating-org role="1" ref="XM-DAC-701-8"><narrative>JICA</narrative></participating-org>
  <recipient-country code="SS" percentage="100"/>
  <sector code="14030" percentage="100"/>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2024-03-01"/>
   <value currency="USD" value-date="2024-03-01">500</value></transaction>
 </iati-activity>
</iati-activities>
"""

JICA_UID = "XM-DAC-701-8|JP-8-SS-2024-001"
USAID_UID = "US-GOV-1|US-GOV-1-SS-1"


@pytest.fixture
def jica_ws(ws, tmp_path: Path):
    (tmp_path / "jica.xml").write_text(JICA, encoding="utf-8")
    (tmp_path / "usaid.xml").write_text(USAID, encoding="utf-8")
    ingest_paths(ws, [tmp_path / "jica.xml", tmp_path / "usaid.xml"])
    return ws


# --------------------------------------------------------------------------- stored whole


def test_every_narrative_is_stored_with_its_language(jica_ws):
    rows = {(r["element"], r["seq"], r["ord"], r["lang"], r["text"]) for r in activity_narratives(jica_ws, JICA_UID)}
    assert rows == {
        ("title", 1, 1, "ja", "南スーダン地域警察研修"),  # no xml:lang: the file's language
        ("title", 1, 2, "en", "Community policing training in South Sudan"),  # "EN" stored lower case
        ("description", 1, 1, "en", "Training of police officers."),
        ("description", 1, 2, "ja", "警察官の研修。"),
        ("reporting-org", 1, 1, "ja", "独立行政法人国際協力機構"),
        ("reporting-org", 1, 2, "en", "Japan International Cooperation Agency"),
        ("participating-org", 1, 1, "en", "Japanese International Co-operation Agency"),
        ("participating-org", 2, 1, "ja", "南スーダン警察"),
        ("provider-org", 1, 1, "ja", "国際協力機構"),
        ("receiver-org", 1, 1, "en", "Ministry of Interior"),
        ("receiver-org", 1, 2, "ja", "内務省"),
    }
    kinds = {r["kind"] for r in activity_narratives(jica_ws, JICA_UID) if r["element"] == "description"}
    assert kinds == {"1"}
    assert jica_ws.scalar("SELECT default_lang FROM activities WHERE activity_uid = ?", [JICA_UID]) == "ja"


def test_the_activity_language_wins_over_the_files_and_unknown_stays_unknown(ws, tmp_path):
    doc = """<iati-activities version="2.03" xml:lang="fr">
      <iati-activity xml:lang="es"><iati-identifier>A-1</iati-identifier><reporting-org ref="XM-A"/>
       <title><narrative>Agua</narrative></title></iati-activity>
      <iati-activity><iati-identifier>A-2</iati-identifier><reporting-org ref="XM-A"/>
       <title><narrative>Eau</narrative></title></iati-activity></iati-activities>"""
    other = """<iati-activities version="2.03"><iati-activity><iati-identifier>B-1</iati-identifier>
       <reporting-org ref="XM-B"/><title><narrative>Water</narrative></title></iati-activity></iati-activities>"""
    (tmp_path / "a.xml").write_text(doc, encoding="utf-8")
    (tmp_path / "b.xml").write_text(other, encoding="utf-8")
    ingest_paths(ws, [tmp_path / "a.xml", tmp_path / "b.xml"])
    got = dict(ws.con.execute("SELECT text, lang FROM all_narratives").fetchall())
    assert got == {"Agua": "es", "Eau": "fr", "Water": None}


def test_old_workspaces_gain_the_table_and_keep_their_titles(ws_path):
    from kizuna.workspace import open_workspace

    w = open_workspace(ws_path)
    # a workspace from before migration 0007: no narratives table, no default_lang, one title per activity
    w.con.execute("DROP VIEW all_narratives")
    w.con.execute("DROP TABLE narratives")
    w.con.execute("ALTER TABLE activities DROP COLUMN default_lang")
    w.con.execute("DELETE FROM schema_migrations WHERE version = 7")
    w.con.execute("INSERT INTO activities (activity_uid, iati_identifier, source, import_id, title) VALUES ('X|1', '1', 'iati', 1, 'Old title')")
    w.close()
    w = open_workspace(ws_path)
    try:
        assert w.scalar("SELECT count(*) FROM narratives") == 0
        assert activity_titles(w, "ja") == {"X|1": "Old title"}
    finally:
        w.close()


# --------------------------------------------------------------------------- both paths, the same rows


EDGE_DOCS = {
    "file_language_only": """<iati-activities version="2.03" xml:lang="FR">
      <iati-activity><iati-identifier>E-1</iati-identifier><reporting-org ref="XM-E"><narrative>Org</narrative></reporting-org>
      <title><narrative>Titre</narrative></title></iati-activity></iati-activities>""",
    "element_text_with_its_language": """<iati-activities version="2.03">
      <iati-activity xml:lang="en"><iati-identifier>E-2</iati-identifier><reporting-org ref="XM-E"/>
      <title xml:lang="es">Titulo</title><description type="2"><narrative>Objectives</narrative></description>
      <description><narrative xml:lang="ja">概要</narrative></description></iati-activity></iati-activities>""",
    "repeated_single_narrative_elements": """<iati-activities version="2.03" xml:lang="en">
      <iati-activity><iati-identifier>E-3</iati-identifier><reporting-org ref="XM-E"/>
      <title><narrative xml:lang="es">Uno</narrative></title><title><narrative>One</narrative></title>
      <participating-org role="1"/><participating-org role="4"><narrative xml:lang="fr">Partenaire</narrative></participating-org>
      <transaction><transaction-type code="3"/><value currency="USD" value-date="2024-01-01">1</value>
       <provider-org ref="XM-P"><narrative>P</narrative></provider-org><receiver-org><narrative xml:lang="de">R</narrative></receiver-org>
       <receiver-org ref="XM-R2"><narrative> </narrative></receiver-org></transaction>
      <transaction><transaction-type code="3"/><value currency="USD" value-date="2024-01-02">2</value>
       <receiver-org><narrative xml:lang="ja">受取</narrative></receiver-org></transaction>
      </iati-activity></iati-activities>""",
    "multilingual_beside_monolingual": JICA.replace("</iati-activities>", "")
    + """<iati-activity><iati-identifier>JP-8-SS-2024-002</iati-identifier><reporting-org ref="XM-DAC-701-8"/>
      <title><narrative>二つ目</narrative></title></iati-activity></iati-activities>""",
}


@pytest.mark.parametrize("case", sorted(EDGE_DOCS))
def test_both_ingest_paths_store_the_same_narratives(case, tmp_path):
    path = tmp_path / f"{case}.xml"
    data = EDGE_DOCS[case].encode("utf-8")
    assert_same(path, data)  # every table, narratives included


@pytest.mark.parametrize(
    "attribute",
    ['<title><narrative lang="en">T</narrative></title>', '<title><narrative x:lang="en">T</narrative></title>'],
)
def test_a_lang_attribute_that_is_not_xml_lang_goes_to_the_reference_reader(attribute):
    doc = f"""<iati-activities version="2.03" xmlns:x="urn:x"><iati-activity><iati-identifier>L-1</iati-identifier>
      {attribute}</iati-activity></iati-activities>""".encode()
    with pytest.raises(iati_fast.Decline, match="lang attribute"):
        iati_fast.fast_tables(doc, 1)


def test_a_lang_parameter_in_a_url_is_not_an_attribute(tmp_path):
    doc = """<iati-activities version="2.03"><iati-activity xml:lang="en"><iati-identifier>U-1</iati-identifier>
      <reporting-org ref="XM-U"/><title><narrative xml:lang="fr">Voir https://example.org/p?lang=en</narrative></title>
      </iati-activity></iati-activities>"""
    fast = assert_same(tmp_path / "u.xml", doc.encode())
    assert fast.tables["narratives"].column("lang").to_pylist() == ["fr"]


# --------------------------------------------------------------------------- the selection rule


@pytest.mark.parametrize(
    ("narrs", "ui", "default", "expected"),
    [
        ([("ja", "日本語"), ("en", "English")], "ja", "ja", "日本語"),
        ([("ja", "日本語"), ("en", "English")], "en", "ja", "English"),
        ([("es", "Agua"), ("en-GB", "Water")], "ja", "es", "Water"),  # English before the default
        ([("fr", "Eau"), ("es", "Agua")], "ja", "es", "Agua"),  # the activity's language next
        ([("fr", "Eau"), ("es", "Agua")], "ja", None, "Eau"),  # else the first in document order
        ([(None, "Unknown"), ("de", "Wasser")], "ja", None, "Unknown"),
        ([], "ja", "ja", None),
    ],
)
def test_one_selection_rule_in_python_and_in_sql(narrs, ui, default, expected, ws):
    assert pick_narrative(narrs, ui, default) == expected
    if not narrs:
        return
    rows = " UNION ALL ".join(
        f"SELECT {i} AS ord, {'NULL' if lang is None else repr(lang)} AS lang, {text!r} AS text"
        for i, (lang, text) in enumerate(narrs, start=1)
    )
    default_sql = "NULL" if default is None else repr(default)
    sql = (
        f"SELECT n.text FROM ({rows}) n, (SELECT {default_sql} AS default_lang) a"
        f" ORDER BY {narrative_rank_sql(ui)}, n.ord LIMIT 1"
    )
    assert ws.con.execute(sql).fetchone()[0] == expected


def test_a_jica_activity_shows_each_title_in_its_language_through_the_library(jica_ws):
    assert activity_titles(jica_ws, "ja")[JICA_UID] == "南スーダン地域警察研修"
    assert activity_titles(jica_ws, "en")[JICA_UID] == "Community policing training in South Sudan"
    assert activity_titles(jica_ws, "es")[JICA_UID] == "Community policing training in South Sudan"  # English next
    assert activity_titles(jica_ws, "ja")[USAID_UID] == "Water for Juba"  # only English exists
    with i18n.use("ja"):  # the language of the moment when none is given
        assert activity_titles(jica_ws, uids=[JICA_UID]) == {JICA_UID: "南スーダン地域警察研修"}
    # the stored single title stays the activity's own language, for the callers that read it
    assert jica_ws.scalar("SELECT title FROM activities WHERE activity_uid = ?", [JICA_UID]) == "南スーダン地域警察研修"


def test_list_activities_follows_the_language_of_the_moment(jica_ws):
    from kizuna.ledger.queries import list_activities

    with i18n.use("en"):
        en = {r["activity_uid"]: r for r in list_activities(jica_ws)}
    with i18n.use("ja"):
        ja = {r["activity_uid"]: r for r in list_activities(jica_ws)}
    assert en[JICA_UID]["title"] == "Community policing training in South Sudan"
    assert ja[JICA_UID]["title"] == "南スーダン地域警察研修"


def test_the_coordinate_frames_choose_titles_by_the_same_rule(jica_ws):
    from kizuna.coordinate.load import load_ledger
    from kizuna.coordinate.model import titles

    lf = load_ledger(jica_ws)
    assert lf.titles.height == 2  # only the activity published with several titles is loaded
    for lang in ("ja", "en", "fr"):
        expected = activity_titles(jica_ws, lang)
        assert dict(titles(lf, lang).iter_rows()) == expected
    with i18n.use("ja"):
        assert dict(titles(lf).iter_rows())[JICA_UID] == "南スーダン地域警察研修"


@pytest.mark.parametrize(("given", "expected"), [("ja-JP", "ja"), ("EN_us", "en"), ("es", "es"), ("x'; --", "ja")])
def test_data_lang_is_a_bare_language_subtag(given, expected):
    with i18n.use("ja"):
        assert data_lang(given) == expected


# --------------------------------------------------------------------------- one name per language


def _labels(ws, lang: str) -> dict[str, str]:
    """JICA's name in every view that names organisations, for a reader of ``lang``."""
    from kizuna.coordinate.load import load_ledger
    from kizuna.coordinate.model import activity_orgs
    from kizuna.coordinate.presence import presence
    from kizuna.ledger.queries import flow_totals, list_activities
    from kizuna.web import queries as web_queries

    with i18n.use(lang):
        lf = load_ledger(ws)
        found = {
            "activities": {r["publisher_name"] for r in list_activities(ws) if r["publisher_ref"] == "XM-DAC-701-8"},
            "flows": {r["publisher_name"] for r in flow_totals(ws) if r["publisher"] == "XM-DAC-701-8"},
            "web publishers": {
                r["publisher_name"] for r in web_queries.publishers(ws) if r["publisher_ref"] == "XM-DAC-701-8"
            },
            "web presence": {
                r["publisher_name"] for r in web_queries.presence(ws) if r["publisher_ref"] == "XM-DAC-701-8"
            },
            "map points": {
                r["publisher_name"] for r in web_queries.activity_points(ws) if r["activity_uid"] == JICA_UID
            },
            "publisher (coordinate)": set(
                activity_orgs(lf, "reporting").filter(org_key="XM-DAC-701-8").get_column("org_name").to_list()
            ),
            # JP-8 (JICA's legacy ref) as funder of its own activity, and JICA as USAID's funder
            "funder (coordinate)": set(
                activity_orgs(lf, "funding").filter(org_key="XM-DAC-701-8").get_column("org_name").to_list()
            ),
            "presence by organisation": set(
                presence(lf, by="org", admin_level="country").filter(org_key="XM-DAC-701-8").get_column("org_name")
            ),
        }
    return {view: next(iter(names)) if len(names) == 1 else repr(sorted(names)) for view, names in found.items()}


@pytest.mark.parametrize(
    ("lang", "label"), [("en", "Japan International Cooperation Agency"), ("ja", "国際協力機構")]
)
def test_the_jica_label_is_the_same_in_every_view_per_language(jica_ws, lang, label):
    labels = _labels(jica_ws, lang)
    assert labels == dict.fromkeys(labels, label)


def test_an_organisation_without_a_registry_entry_is_named_in_the_readers_language(ws, tmp_path):
    from kizuna.coordinate.load import load_ledger
    from kizuna.coordinate.model import org_names
    from kizuna.ledger.queries import org_names_sql

    doc = """<iati-activities version="2.03" xml:lang="es"><iati-activity><iati-identifier>XM-Z-1</iati-identifier>
      <reporting-org ref="XM-Z"><narrative>Banco Z</narrative><narrative xml:lang="en">Bank Z</narrative></reporting-org>
      <title><narrative>Agua</narrative></title></iati-activity></iati-activities>"""
    (tmp_path / "z.xml").write_text(doc, encoding="utf-8")
    ingest_paths(ws, [tmp_path / "z.xml"])
    lf = load_ledger(ws)
    for lang, expected in (("es", "Banco Z"), ("en", "Bank Z"), ("ja", "Bank Z")):
        sql = dict(ws.con.execute(f"SELECT ref, name FROM ({org_names_sql(lang)})").fetchall())
        polars = dict(org_names(lf, lang).iter_rows())
        # Japanese: no registry entry and no Japanese name, so the language-blind rule (the publisher's
        # most frequent own name, ties alphabetical) speaks for it, in SQL and in Polars alike
        blind = sql["XM-Z"] if lang == "ja" else expected
        assert (sql["XM-Z"], polars["XM-Z"]) == (blind, blind)


# --------------------------------------------------------------------------- the JSON API


def test_a_jica_activity_shows_each_title_in_its_language_through_the_api(jica_ws, ws_path):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    jica_ws.close()
    app = create_app(ws_path)
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            titles = {}
            names = {}
            for lang in ("ja", "en", "ja"):  # back to Japanese: no cache serves the English answer
                items = c.get(f"/api/v1/activities?lang={lang}").json()["items"]
                titles[lang] = {i["activity_uid"]: i["title"] for i in items}
                pubs = c.get(f"/api/v1/publishers?lang={lang}").json()["items"]
                names[lang] = {p["publisher_ref"]: p["publisher_name"] for p in pubs}
    finally:
        app.state.store.close()
    assert titles["ja"][JICA_UID] == "南スーダン地域警察研修"
    assert titles["en"][JICA_UID] == "Community policing training in South Sudan"
    assert titles["ja"][USAID_UID] == titles["en"][USAID_UID] == "Water for Juba"
    assert names["ja"]["XM-DAC-701-8"] == "国際協力機構"
    assert names["en"]["XM-DAC-701-8"] == "Japan International Cooperation Agency"


# --------------------------------------------------------------------------- real files


@pytest.mark.shared
@pytest.mark.parametrize(
    "where",
    [
        ("iati", "acfspain-ss.xml"),
        ("iati-more", "CAF-ActivityFile-2025-10-10.xml"),
        ("iati-more", "worldbank-sv.xml"),
        ("iati-more", "dportal-covid-extract.xml"),
    ],
)
def test_every_language_of_the_real_files_is_kept(where, ws):
    """Each (element, language) pair the file declares for a narrative we keep is stored, with every
    narrative of those elements (counted in the file with lxml, independently of both readers)."""
    from lxml import etree

    path = shared_path(*where)
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    expected: dict[tuple[str, str | None], int] = {}
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    file_lang = (root.get(xml_lang) or "").strip().lower() or None
    for act in root.iter("iati-activity"):
        default = (act.get(xml_lang) or "").strip().lower() or file_lang
        kept = [act.findall(t) for t in ("title", "description", "reporting-org", "participating-org")]
        kept += [act.findall(f"transaction/{t}") for t in ("provider-org", "receiver-org")]
        for elements in kept:
            for el in elements:
                for n in el.findall("narrative"):
                    if (n.text or "").strip():
                        key = (el.tag, (n.get(xml_lang) or "").strip().lower() or default)
                        expected[key] = expected.get(key, 0) + 1
    ingest_paths(ws, [path])
    stored = {
        (e, lang): n
        for e, lang, n in ws.con.execute("SELECT element, lang, count(*) FROM all_narratives GROUP BY ALL").fetchall()
    }
    assert stored == expected
    assert len({lang for _, lang in expected}) >= 1
