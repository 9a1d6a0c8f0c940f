"""Japanese names of codes: every code of the lists Kizuna shows has one, in a file the project owns."""

from __future__ import annotations

import csv
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna import i18n
from kizuna.reference.codelists import builtin_rows
from kizuna.reference.names import NAMES_JA, code_name, japanese, read_names, sector_name

TRANSLATED_LISTS = [
    "Sector",
    "SectorCategory",
    "Region",
    "OrganisationType",
    "OrganisationRole",
    "TransactionType",
    "ActivityStatus",
    "ActivityScope",
    "BudgetType",
    "PolicyMarker",
    "PolicySignificance",
    "PolicyMarkerVocabulary",
    "SectorVocabulary",
    "RegionVocabulary",
    "ActivityDateType",
]


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("kizuna.reference").joinpath(filename).read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def test_the_japanese_file_says_who_translated_it_and_how_to_correct_it():
    first = resources.files("kizuna.reference").joinpath(NAMES_JA).read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#") and "translated by the Kizuna project" in first and "edit this file" in first


def test_the_japanese_file_parses_with_no_duplicate_and_no_empty_name():
    rows = _rows(NAMES_JA)
    keys = [(r["codelist"], r["code"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert [k for k, r in zip(keys, rows, strict=True) if not r["name_ja"].strip()] == []
    assert set(rows[0]) == {"codelist", "code", "name_ja", "note"}


@pytest.mark.parametrize("codelist", TRANSLATED_LISTS)
def test_every_built_in_code_of_the_list_has_a_japanese_name(codelist):
    codes = [r[1] for r in builtin_rows() if r[0] == codelist]
    assert codes, codelist
    assert [c for c in codes if (codelist, c) not in japanese()] == []


def test_no_japanese_name_is_the_english_one_or_the_code():
    english = {(r[0], r[1]): r[2] for r in builtin_rows()}
    same = [k for k, ja in japanese().items() if ja == english.get(k) or ja == k[1]]
    assert same == []


def test_every_japanese_row_names_a_code_kizuna_knows():
    """A typo in a code (e.g. 15221 for 15220) would leave the real code in English silently."""
    from kizuna.coordinate.sectors import CLUSTERS

    known = {(r[0], r[1]) for r in builtin_rows()} | {("Cluster", c) for c in CLUSTERS}
    own = set(read_names("names_en.csv", "name_en"))
    assert [k for k in japanese() if k not in known and k not in own] == []


@pytest.mark.parametrize(
    ("code", "ja"),
    [
        ("11110", "教育政策・行政管理"),
        ("15220", "文民による平和構築・紛争予防・紛争解決"),
        ("15230", "平和構築への参加（国連PKO等）"),
        ("15240", "小型武器の回収・拡散防止・管理"),
        ("15250", "地雷除去"),
        ("15261", "子ども兵（防止・動員解除）"),
        ("152", "紛争・平和・安全"),
        ("720", "緊急対応"),
    ],
)
def test_dac_sectors_read_as_japans_oda_statistics_write_them(code, ja):
    assert sector_name(code, lang="ja") == ja


@pytest.mark.parametrize(
    ("code", "en"),
    [
        ("15220", "Civilian peace-building, conflict prevention and resolution"),
        ("152", "Conflict, Peace & Security"),
        ("72010", "Material relief assistance and services"),
    ],
)
def test_english_sector_names_are_the_iati_codelists_as_before(code, en):
    assert sector_name(code, lang="en") == en
    with i18n.use("en"):
        assert sector_name(code) == en


def test_an_english_name_the_caller_has_wins_in_english_and_japanese_still_comes_from_the_file():
    assert sector_name("15220", english="Updated name", lang="en") == "Updated name"
    assert sector_name("15220", english="Updated name", lang="ja") == "文民による平和構築・紛争予防・紛争解決"


def test_an_unknown_code_falls_back_to_the_english_name_then_to_the_code():
    assert code_name("Sector", "99999", english="Something new", lang="ja") == "Something new"
    assert code_name("Sector", "99999", lang="ja") == "99999"
    assert code_name("NoSuchList", "x", lang="ja") == "x"
    assert code_name("Sector", None, lang="ja") is None
    assert code_name("Sector", "", lang="ja") is None


def test_the_language_of_the_moment_is_the_default():
    with i18n.use("ja"):
        assert code_name("TransactionType", "3") == "支出額"
    with i18n.use("en"):
        assert code_name("TransactionType", "3") == "Disbursement"


def test_a_duplicate_row_is_refused(tmp_path, monkeypatch):
    import kizuna.reference.names as names

    (tmp_path / "dup.csv").write_text("# c\ncodelist,code,name_ja,note\nSector,11110,a,\nSector,11110,b,\n", "utf-8")

    class _Files:
        def joinpath(self, name):
            return tmp_path / name

    monkeypatch.setattr(names.resources, "files", lambda _pkg: _Files())
    with pytest.raises(ValueError, match="named twice"):
        names.read_names("dup.csv", "name_ja")


@given(
    codelist=st.sampled_from([*TRANSLATED_LISTS, "Cluster", "measure.indicator", "Nonexistent"]),
    code=st.text(min_size=1, max_size=12).filter(lambda s: s.strip() != ""),
    lang=st.sampled_from(["en", "ja", None, "fr"]),
)
def test_any_code_gets_a_non_empty_name_in_any_language(codelist, code, lang):
    name = code_name(codelist, code, lang=lang)
    assert isinstance(name, str) and name.strip()
    assert isinstance(sector_name(code, lang=lang), str)


@pytest.mark.parametrize(
    "value, ja",
    [("Japan", "日本"), ("United States", "アメリカ合衆国"), ("NGOs", "NGO"), ("UN", "国連"), ("Ally A", "Ally A")],
)
def test_an_ally_reads_in_the_readers_language_and_stays_its_key_in_english(value, ja):
    from kizuna.reference.names import ally_name

    assert ally_name(value, "en") == value
    assert ally_name(value, "ja") == ja
