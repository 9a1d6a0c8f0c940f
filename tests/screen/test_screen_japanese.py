"""The rule catalogue speaks the reader's language: every shipped rule has its question and mitigation in
Japanese, a register read in Japanese shows them (report and page) as UI text, in English shows the
English, and a user catalogue without Japanese still loads and shows its English, marked as data.
Proposals are fictional."""

from __future__ import annotations

import dataclasses
import html as h
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

from kizuna import i18n
from kizuna.errors import SpecError
from kizuna.screen.facts import Context
from kizuna.screen.proposal import proposal_from_dict
from kizuna.screen.register import screen_proposal, summary_rows
from kizuna.screen.report import registers_html, registers_sheets
from kizuna.screen.rules import RULE_KEYS, builtin_texts, default_catalogue_text, load_catalogue, reader_row

AS_OF = date(2026, 11, 1)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# Latin letters: the pages' language tests flag any word outside a short allow-list on a Japanese page
LATIN = re.compile(r"[A-Za-z]+")
DDR = {
    "id": "P-DDR",
    "type": "ddr",
    "sites": [{"name": "s", "lat": 8.0, "lon": 30.009}],
    "safeguards": {
        "participant_data_shared": True,
        "data_protection_plan": False,
        "vetting": True,
        "human_rights_component": True,
    },
}
PROPOSAL_TOML = """id = "P-DDR"
title = "Reintegration (synthetic)"
type = "ddr"
[[sites]]
name = "camp"
lat = 8.0
lon = 30.009
[safeguards]
participant_data_shared = true
data_protection_plan = false
vetting = true
human_rights_component = true
"""
# a user catalogue: rewords one shipped question (no Japanese given) and adds a rule of its own
MINE = """
[[rules]]
id = "DATA-PROTECT"
question = "Are beneficiary lists kept without our data policy?"

[[rules]]
id = "MY-BUDGET"
family = "market_distortion"
question = "Is the budget over one million dollars?"
when = "budget_usd > 1000000 or collects_identities"
impact = 2
likelihood = 2
source = "our policy"
mitigation = "Phase the budget."
"""


def _ddr(cat):
    return screen_proposal(proposal_from_dict(dict(DDR), cat.project_types, "p.toml"), Context(), cat, AS_OF)


def _cell(page: str, text: str) -> str:
    """The opening tag of the table cell that shows ``text`` (escaped as the page escapes it)."""
    m = re.search(r"<td([^>]*)>" + re.escape(h.escape(text, quote=True)) + r"(?:…)?</td>", page)
    assert m, f"no cell shows {text[:40]!r}"
    return m.group(1)


# --- the shipped catalogue ----------------------------------------------------------------------


def test_every_shipped_rule_has_its_question_and_mitigation_in_japanese():
    rules = tomllib.loads(default_catalogue_text())["rules"]
    assert len(rules) == 38
    for r in rules:
        for name in ("question", "mitigation"):
            ja = r.get(f"{name}_ja", "")
            assert JAPANESE.search(ja), (r["id"], name)
            # no English left for a Japanese reader, not even an acronym (GBV, RAP) the reader would have to know
            assert LATIN.findall(ja) == [], (r["id"], name, ja)
        assert r["question_ja"].endswith("？"), r["id"]
        assert r["mitigation_ja"].endswith("。"), r["id"]  # です・ます sentences
    loaded = load_catalogue()
    assert all(set(x.translations) == {"question_ja", "mitigation_ja"} for x in loaded.rules)


def test_the_loader_accepts_the_translation_keys_and_refuses_an_empty_one(tmp_path):
    assert {"question_ja", "mitigation_ja"} <= RULE_KEYS
    p = tmp_path / "bad.toml"
    p.write_text('[[rules]]\nid = "SUBST"\nmitigation_ja = ""\n', encoding="utf-8")
    with pytest.raises(SpecError) as e:
        load_catalogue(p)
    assert (e.value.code, e.value.where.key, e.value.where.field) == ("screen.bad_rule", "SUBST", "mitigation_ja")
    p.write_text('[[rules]]\nid = "SUBST"\nquestoin_ja = "x"\n', encoding="utf-8")
    with pytest.raises(SpecError) as e:
        load_catalogue(p)
    assert e.value.where.field == "questoin_ja"


# --- a register in each language ----------------------------------------------------------------


def test_the_register_report_shows_the_question_in_the_readers_language(catalogue):
    reg = _ddr(catalogue)
    risk = reg.risk("DATA-PROTECT")
    assert risk is not None
    ja = builtin_texts()["DATA-PROTECT"]
    with i18n.use("ja"):
        page = registers_html([reg])
        sheets = registers_sheets([reg])
    assert _cell(page, ja["question_ja"]) == ' lang="ja"'  # UI text: no translate="no"
    assert _cell(page, ja["mitigation_ja"]) == ' lang="ja"'
    assert risk.question not in page
    row = next(r for r in sheets["risks"] if r["rule_id"] == "DATA-PROTECT")
    assert (row["question"], row["mitigation"]) == (ja["question_ja"], ja["mitigation_ja"])
    gap = reg.gaps[0]
    assert _cell(page, builtin_texts()[gap.rule_id]["question_ja"]) == ' lang="ja"'  # information gaps too
    with i18n.use("en"):
        page = registers_html([reg])
    assert _cell(page, risk.question) == ' lang="en"'
    assert ja["question_ja"] not in page and not JAPANESE.search(page)
    # the JSON keeps the English with the Japanese beside it
    d = risk.to_dict()
    assert (d["question"], d["question_ja"]) == (risk.question, ja["question_ja"])


def test_a_user_catalogue_without_japanese_loads_and_shows_its_english(tmp_path):
    mine = tmp_path / "mine.toml"
    mine.write_text(MINE, encoding="utf-8")
    cat = load_catalogue(mine)
    rules = {r.id: r for r in cat.rules}
    # the reworded question drops the shipped Japanese (a translation of other words); the mitigation keeps it
    assert set(rules["DATA-PROTECT"].translations) == {"mitigation_ja"}
    assert rules["MY-BUDGET"].translations == {}
    reg = _ddr(cat)
    assert reg.risk("MY-BUDGET") is not None
    with i18n.use("ja"):
        page = registers_html([reg])
    assert _cell(page, "Are beneficiary lists kept without our data policy?") == ' lang="en" translate="no"'
    assert _cell(page, "Is the budget over one million dollars?") == ' lang="en" translate="no"'
    assert _cell(page, "Phase the budget.") == ' lang="en" translate="no"'
    assert _cell(page, builtin_texts()["DATA-PROTECT"]["mitigation_ja"]) == ' lang="ja"'


def test_a_user_catalogue_can_carry_its_own_japanese(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "rules:\n  - id: DATA-PROTECT\n    question: Are lists kept without our policy?\n"
        "    question_ja: 当機関の方針に沿わずに名簿を保管していますか？\n",
        encoding="utf-8",
    )
    reg = _ddr(load_catalogue(mine))
    with i18n.use("ja"):
        assert reg.risk("DATA-PROTECT").text("question").text == "当機関の方針に沿わずに名簿を保管していますか？"
    with i18n.use("en"):
        assert reg.risk("DATA-PROTECT").text("question").text == "Are lists kept without our policy?"


def test_a_stored_row_is_shown_in_japanese_only_while_it_holds_the_shipped_english():
    ja = builtin_texts()["SUBST"]
    row = {"rule_id": "SUBST", "question": ja["question"], "mitigation": "Our own words."}
    shown, done = reader_row(row, "ja")
    assert (shown["question"], shown["mitigation"], done) == (ja["question_ja"], "Our own words.", {"question"})
    assert row["question"] == ja["question"]  # the cached row is not changed
    assert reader_row(row, "en") == (row, {"question", "mitigation"})
    assert reader_row({**row, "rule_id": "MY-RULE"}, "ja")[1] == set()


def test_the_summarys_why_is_in_the_readers_language(catalogue):
    reg = _ddr(catalogue)
    quiet = dataclasses.replace(reg, risks=[])
    done = dataclasses.replace(reg, risks=[], gaps=[])
    n = len(reg.gaps)
    assert n > 0
    with i18n.use("ja"):
        assert summary_rows([quiet])[0]["why"] == (
            f"判明している事実では該当するルールはありませんが、{n} 件の質問が未回答のため、評価は未完了です"
        )
        assert summary_rows([done])[0]["why"] == "該当するルールはありません"
        facts = [r["why"] for r in summary_rows([reg]) if r["rule"] == "DATA-PROTECT"][0]
    assert "participant_data_shared=True" in facts  # the facts are data: as they are
    with i18n.use("en"):
        assert summary_rows([quiet])[0]["why"] == (
            f"no rule fired on the known facts; {n} questions unanswered: assessment incomplete"
        )
        assert summary_rows([done])[0]["why"] == "no rule fired"


# --- the /screening page -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def screening_client(tmp_path_factory):
    """A workspace with two stored registers of the same proposal: the shipped catalogue's and a user
    catalogue's (reworded DATA-PROTECT question, no Japanese)."""
    from fastapi.testclient import TestClient

    from kizuna.screen.run import screen_files
    from kizuna.web.app import create_app
    from kizuna.workspace import open_workspace

    d = tmp_path_factory.mktemp("screenja")
    (d / "p.toml").write_text(PROPOSAL_TOML, encoding="utf-8")
    (d / "mine.toml").write_text(MINE, encoding="utf-8")
    with open_workspace(d / "ws.duckdb") as ws:
        shipped = screen_files([d / "p.toml"], as_of=AS_OF, ws=ws).register_ids[0]
        user = screen_files([d / "p.toml"], as_of=AS_OF, catalogue=d / "mine.toml", ws=ws).register_ids[0]
    app = create_app(d / "ws.duckdb")
    with TestClient(app) as c:
        yield c, shipped, user
    app.state.store.close()


def test_the_screening_page_shows_the_question_in_the_readers_language(screening_client):
    client, shipped, _user = screening_client
    ja = builtin_texts()["DATA-PROTECT"]
    page = client.get(f"/screening?register={shipped}&lang=ja").text
    assert 'lang="ja"' in page[:200]
    assert "translate" not in _cell(page, ja["question_ja"])
    assert ja["question"] not in page
    page = client.get(f"/screening?register={shipped}&lang=en").text
    assert 'translate="no"' not in _cell(page, ja["question"]) and ja["question_ja"] not in page


def test_the_screening_page_keeps_a_user_catalogues_english_as_data(screening_client):
    client, _shipped, user = screening_client
    page = client.get(f"/screening?register={user}&lang=ja").text
    assert 'translate="no"' in _cell(page, "Are beneficiary lists kept without our data policy?")
    assert 'translate="no"' in _cell(page, "Is the budget over one million dollars?")
    assert "translate" not in _cell(page, builtin_texts()["DATA-PROTECT"]["mitigation_ja"])


def test_the_screening_api_keeps_the_english_as_screened(screening_client):
    client, shipped, _user = screening_client
    items = client.get(f"/api/v1/screening-risks?register={shipped}&lang=ja").json()["items"]
    row = next(r for r in items if r["rule_id"] == "DATA-PROTECT")
    assert row["question"] == builtin_texts()["DATA-PROTECT"]["question"]


def test_the_docs_say_how_a_user_catalogue_carries_japanese():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "screen.md").read_text(encoding="utf-8")
    assert "question_ja" in doc and "mitigation_ja" in doc
