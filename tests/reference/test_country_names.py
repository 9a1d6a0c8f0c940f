"""Country names in Japanese as Japan's Ministry of Foreign Affairs writes them; English unchanged."""

from __future__ import annotations

import pycountry
import pytest

from kizuna import i18n
from kizuna.reference.countries import country_name, japanese_overrides


def test_every_iso_3166_country_and_kosovo_has_a_japanese_name_that_is_not_its_english_one():
    missing = [c.alpha_2 for c in pycountry.countries if not country_name(c.alpha_2, "ja")]
    assert missing == []
    untranslated = [c.alpha_2 for c in pycountry.countries if country_name(c.alpha_2, "ja") == c.name]
    assert untranslated == []
    assert country_name("XK", "ja") == "コソボ"


@pytest.mark.parametrize(
    ("code", "ja"),
    [
        ("TW", "台湾"),  # pycountry ja: 中国領・台湾
        ("GE", "ジョージア"),  # pycountry ja: グルジア
        ("TZ", "タンザニア"),  # pycountry ja: タニザニア連合共和国 (typo)
        ("XK", "コソボ"),  # pycountry: no Kosovo
        ("CD", "コンゴ民主共和国"),  # CLDR: コンゴ民主共和国(キンシャサ)
        ("CG", "コンゴ共和国"),  # CLDR: コンゴ共和国(ブラザビル)
        ("MM", "ミャンマー"),  # CLDR: ミャンマー (ビルマ)
        ("PS", "パレスチナ"),  # CLDR: パレスチナ自治区
        ("HK", "香港"),  # CLDR: 中華人民共和国香港特別行政区
        ("MO", "マカオ"),
        ("GB", "英国"),
        ("TR", "トルコ"),
        ("US", "アメリカ合衆国"),
        ("MK", "北マケドニア"),
        ("SZ", "エスワティニ"),
        ("CZ", "チェコ"),
        ("CI", "コートジボワール"),
        ("SS", "南スーダン"),
        ("AF", "アフガニスタン"),
        ("JP", "日本"),
    ],
)
def test_japanese_names_follow_mofa_short_names(code, ja):
    assert country_name(code, "ja") == ja


def test_no_japanese_name_carries_a_bracketed_qualifier_or_a_long_formal_form():
    names = {c.alpha_2: country_name(c.alpha_2, "ja") or "" for c in pycountry.countries}
    # Cocos (Keeling) Islands carry the bracket in their own name, in English too.
    assert [c for c, n in names.items() if ("(" in n or "（" in n) and c != "CC"] == []
    assert [c for c, n in names.items() if "特別行政区" in n or "中国領" in n] == []


@pytest.mark.parametrize(
    ("code", "en"),
    [
        ("TW", "Taiwan, Province of China"),
        ("CD", "Congo, The Democratic Republic of the"),
        ("SS", "South Sudan"),
        ("TR", "Türkiye"),
        ("XZ", "Republic of Kaltara (synthetic)"),
    ],
)
def test_english_names_are_pycountrys_as_before(code, en):
    assert country_name(code, "en") == en
    with i18n.use("en"):
        assert country_name(code.lower()) == en


def test_the_synthetic_country_is_named_as_synthetic_in_japanese():
    assert country_name("XZ", "ja") == "カルタラ共和国（合成データ）"


def test_the_language_of_the_moment_is_the_default():
    with i18n.use("ja"):
        assert country_name("GE") == "ジョージア"
    with i18n.use("en"):
        assert country_name("GE") == "Georgia"


def test_a_code_that_names_no_country_has_no_name_in_either_language():
    # 'EU' and 'QO' are CLDR regions, not countries; 'ZZ' is nothing at all.
    for code in ("EU", "QO", "ZZ", "X"):
        assert country_name(code, "ja") is None
        assert country_name(code, "en") is None


def test_every_override_row_names_a_country_and_says_why():
    for code, (name, note) in japanese_overrides().items():
        assert country_name(code, "en") is not None, code
        assert name and note, code


def test_a_country_filter_error_reads_in_the_language_of_the_moment_with_the_country_named():
    from kizuna.errors import InputError
    from kizuna.reference.countries import check_country

    with i18n.use("en"):
        with pytest.raises(InputError) as en:
            check_country("fr", ["SS", "AF"])
        assert en.value.code == "country.absent"
        assert en.value.text() == "the workspace holds nothing for France (FR)"
        assert en.value.hint_text() == "countries in this workspace: AF, SS"
    with i18n.use("ja"):
        with pytest.raises(InputError) as ja:
            check_country("fr", ["SS", "AF"])
        assert ja.value.text() == "このワークスペースにはフランス（FR）のデータがありません"
        assert ja.value.hint_text() == "このワークスペースの国・地域：AF, SS"
        with pytest.raises(InputError) as unknown:
            check_country("Q1", [])
        assert unknown.value.code == "country.unknown"
        assert unknown.value.text() == "「Q1」は ISO 3166-1 alpha-2 の国コードではありません"


def test_kosovo_is_a_country_filter_iati_data_can_hold():
    from kizuna.reference.countries import check_country

    assert check_country("xk", ["XK", "SS"]) == "XK"
