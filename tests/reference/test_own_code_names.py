"""Kizuna's own codes (clusters, measurement indicators, screening project types) are shown by name, in
English and in Japanese: never a raw code such as ``hesper_psy`` or ``police_training``."""

from __future__ import annotations

import pytest

from kizuna import i18n
from kizuna.coordinate.sectors import CLUSTERS, NEEDS_SECTOR_CODES
from kizuna.measure.demo import SPEC_TOML
from kizuna.measure.instruments import INSTRUMENTS, band_tables
from kizuna.measure.spec import parse_spec
from kizuna.reference.codelists import builtin_rows
from kizuna.reference.names import code_name, english_names, japanese, sector_name
from kizuna.screen.rules import CATEGORIES, load_catalogue


def _band_labels(obj: object) -> set[str]:
    out: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "label" and isinstance(v, str):
                out.add(v)
            elif k == "levels" and isinstance(v, dict):
                out.update(str(x) for x in v.values())
            else:
                out |= _band_labels(v)
    elif isinstance(obj, list):
        for x in obj:
            out |= _band_labels(x)
    return out


def _own_codes() -> dict[str, set[str]]:
    demo = parse_spec(SPEC_TOML)
    cat = load_catalogue()
    return {
        "Cluster": set(CLUSTERS) | {k for k, v in NEEDS_SECTOR_CODES.items() if v is None},
        "measure.indicator": {i.name for i in demo.indicators},
        "measure.dimension": set(demo.dimensions),
        "measure.instrument": set(INSTRUMENTS),
        # CARI/FES classes are numbers 1-4: shown as numbers, not named
        "measure.band": {b for b in _band_labels(band_tables()) if not b.isdigit()},
        "screen.project_type": set(cat.project_types),
        "screen.rule_family": {r.family for r in cat.rules},
        "screen.significance": set(CATEGORIES),
    }


@pytest.mark.parametrize(
    "codelist",
    [
        "Cluster",
        "measure.indicator",
        "measure.dimension",
        "measure.instrument",
        "measure.band",
        "screen.project_type",
        "screen.rule_family",
        "screen.significance",
    ],
)
def test_every_own_code_has_a_japanese_name(codelist):
    codes = _own_codes()[codelist]
    assert codes, codelist
    assert sorted(c for c in codes if (codelist, c) not in japanese()) == []


@pytest.mark.parametrize(
    "codelist", ["measure.indicator", "measure.dimension", "measure.instrument", "screen.project_type"]
)
def test_every_own_code_that_is_not_already_words_has_a_human_english_name(codelist):
    codes = _own_codes()[codelist]
    assert sorted(c for c in codes if (codelist, c) not in english_names()) == []
    assert [c for c in codes if code_name(codelist, c, lang="en") == c and "_" in c] == []


def test_english_labels_of_project_types_are_the_catalogues_own():
    """names_en.csv repeats catalogue.toml's labels; the two must not drift apart."""
    for key, pt in load_catalogue().project_types.items():
        assert code_name("screen.project_type", key, lang="en") == pt["label"], key


def test_english_labels_of_demo_indicators_are_the_demo_specs_own():
    for ind in parse_spec(SPEC_TOML).indicators:
        assert code_name("measure.indicator", ind.name, lang="en") == ind.label, ind.name


@pytest.mark.parametrize(
    ("codelist", "code", "en", "ja"),
    [
        (
            "measure.indicator",
            "hesper_psy",
            "Two or more serious psychosocial problems (HESPER)",
            "深刻な心理社会的問題が2つ以上（HESPER）",
        ),
        ("measure.dimension", "dignity", "Dignity", "尊厳"),
        ("measure.instrument", "fcs", "Food Consumption Score (FCS)", "食料消費スコア（FCS）"),
        ("measure.instrument", "rcsi", "Reduced Coping Strategies Index (rCSI)", "簡易対処戦略指数（rCSI）"),
        ("screen.project_type", "police_training", "Police training", "警察研修"),
        (
            "screen.project_type",
            "ddr",
            "Disarmament, demobilisation and reintegration",
            "武装解除・動員解除・社会復帰（DDR）",
        ),
        ("screen.rule_family", "land_displacement", "Land and displacement", "土地・住民移転"),
    ],
)
def test_own_codes_read_as_words_in_both_languages(codelist, code, en, ja):
    assert code_name(codelist, code, lang="en") == en
    assert code_name(codelist, code, lang="ja") == ja


@pytest.mark.parametrize(
    ("code", "ja"),
    [
        ("Protection", "保護"),
        ("Water Sanitation Hygiene", "水・衛生（WASH）"),
        ("Food Security", "食料安全保障"),
        ("Health", "保健"),
        ("Emergency Shelter and NFI", "シェルター・非食料物資（NFI）"),
        ("Education", "教育"),
        ("Nutrition", "栄養"),
        ("Camp Coordination / Management", "キャンプ調整・キャンプ管理（CCCM）"),
        ("Logistics", "ロジスティクス"),
        ("Emergency Telecommunications", "緊急通信"),
        ("Early Recovery", "早期復旧"),
    ],
)
def test_clusters_are_named_in_japanese(code, ja):
    assert sector_name(code, lang="ja") == ja


def test_a_3w_or_hno_spelling_of_a_cluster_is_named_as_the_cluster_in_japanese_and_kept_in_english():
    assert sector_name("WASH", lang="ja") == "水・衛生（WASH）"
    assert sector_name("WSH", lang="ja") == "水・衛生（WASH）"
    assert sector_name("Food Security and Livelihoods", lang="ja") == "食料安全保障"
    assert sector_name("WASH", lang="en") == "WASH"
    assert sector_name("Water Sanitation Hygiene", lang="en") == "Water Sanitation Hygiene"


def test_the_cluster_levels_key_for_a_dac_category_is_named_as_the_category():
    assert sector_name("DAC 152", lang="ja") == "紛争・平和・安全"
    assert sector_name("DAC 152", lang="en") == "Conflict, Peace & Security"


def test_a_project_own_sector_stays_as_written():
    assert sector_name("Community radio", lang="ja") == "Community radio"
    with i18n.use("ja"):
        assert sector_name("Community radio") == "Community radio"


def test_names_en_names_only_kizunas_own_codes_never_an_iati_code():
    iati = {(r[0], r[1]) for r in builtin_rows()}
    assert [k for k in english_names() if k in iati] == []
