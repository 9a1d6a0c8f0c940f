"""Division of labour on hand-worked cases: every expected number is computed by hand below."""

from __future__ import annotations

import polars as pl
import pytest

from kizuna.coordinate.division import (
    concentration,
    fragmentation_ratio,
    rca,
    sectors_per_donor,
    shares,
    significance,
)

# donor, country, sector, usd
MONEY = pl.DataFrame(
    [
        ("X", "C1", "S", 60.0),
        ("Y", "C1", "S", 30.0),
        ("Z", "C1", "S", 10.0),
        ("X", "C1", "T", 40.0),
        ("Y", "C2", "T", 60.0),
    ],
    schema=["donor", "country", "sector", "usd"],
    orient="row",
)


def _get(df: pl.DataFrame, **key) -> dict:
    out = df.filter(pl.all_horizontal([pl.col(k) == v for k, v in key.items()]))
    assert out.height == 1, (key, out)
    return out.row(0, named=True)


def test_shares_in_a_cell():
    # C1 x S: 60 + 30 + 10 = 100 -> shares 0.6, 0.3, 0.1
    s = shares(MONEY)
    assert _get(s, donor="X", country="C1", sector="S")["share"] == pytest.approx(0.6)
    assert _get(s, donor="Y", country="C1", sector="S")["share"] == pytest.approx(0.3)
    assert _get(s, donor="Z", country="C1", sector="S")["share"] == pytest.approx(0.1)
    # C1 x T has X alone: share 1
    assert _get(s, donor="X", country="C1", sector="T")["share"] == pytest.approx(1.0)


def test_hhi_normalised_hhi_effective_number_and_fragmentation():
    c = _get(concentration(MONEY), country="C1", sector="S")
    # H = 0.6^2 + 0.3^2 + 0.1^2 = 0.36 + 0.09 + 0.01 = 0.46
    assert c["hhi"] == pytest.approx(0.46)
    # H* = (H - 1/N) / (1 - 1/N) = (0.46 - 0.33333) / (0.66667) = 0.19
    assert c["hhi_normalised"] == pytest.approx(0.19)
    # effective number 1/H = 1/0.46 = 2.1739...
    assert c["effective_donors"] == pytest.approx(2.173913, rel=1e-6)
    # fragmentation 1 - H = 0.54; on the x10,000 scale 4600 > 2500: highly concentrated
    assert c["fragmentation"] == pytest.approx(0.54)
    assert c["hhi_10000"] == 4600 and c["concentration"] == "highly concentrated"
    assert c["n_donors"] == 3 and c["lead_donor"] == "X" and c["lead_share"] == pytest.approx(0.6)
    assert c["n_small_donors"] == 0  # Z has exactly 10%, not below
    single = _get(concentration(MONEY), country="C1", sector="T")
    # one donor: H = 1, H* defined as 0, effective number 1, flagged as a monopoly
    assert (single["hhi"], single["hhi_normalised"], single["effective_donors"]) == (1.0, 0.0, 1.0)
    assert "single donor" in single["reason"]


def test_too_many_donors_against_the_eu_code_of_conduct():
    six = pl.DataFrame({"donor": list("ABCDEF"), "country": ["C"] * 6, "sector": ["S"] * 6, "usd": [1.0] * 6})
    c = concentration(six).row(0, named=True)
    # six equal donors: H = 6 x (1/6)^2 = 1/6, effective number 6; 6 > 5 donors
    assert c["hhi"] == pytest.approx(1 / 6) and c["effective_donors"] == pytest.approx(6.0)
    assert c["too_many_donors"] and "EU Code of Conduct" in c["reason"]


def test_revealed_comparative_advantage():
    r = rca(MONEY)
    # A = 200; A_S = 100, A_T = 100 (so A_s/A = 0.5 for both); A_X = 100, A_Y = 90, A_Z = 10
    # RCA(X,S) = (60/100) / 0.5 = 1.2; RSCA = 0.2 / 2.2 = 0.090909
    x_s = _get(r, donor="X", sector="S")
    assert x_s["rca"] == pytest.approx(1.2) and x_s["rsca"] == pytest.approx(0.2 / 2.2)
    # RCA(X,T) = (40/100) / 0.5 = 0.8
    assert _get(r, donor="X", sector="T")["rca"] == pytest.approx(0.8)
    # RCA(Y,S) = (30/90) / 0.5 = 0.6667; RCA(Y,T) = (60/90) / 0.5 = 1.3333
    assert _get(r, donor="Y", sector="S")["rca"] == pytest.approx(2 / 3)
    assert _get(r, donor="Y", sector="T")["rca"] == pytest.approx(4 / 3)
    # RCA(Z,S) = (10/10) / 0.5 = 2.0; RSCA = 1/3
    z = _get(r, donor="Z", sector="S")
    assert z["rca"] == pytest.approx(2.0) and z["rsca"] == pytest.approx(1 / 3) and "specialised" in z["reason"]


def test_significant_aid_relationships_categories_a_b_c():
    s = significance(MONEY)
    # world = 200; donor global shares X 100/200 = 0.5, Y 90/200 = 0.45, Z 10/200 = 0.05
    # C1 = 140: X 100/140 = 0.714 > 0.5 concentrated; nobody above it (0 < 90%) important -> B
    x = _get(s, donor="X", country="C1")
    assert x["share_of_country"] == pytest.approx(100 / 140) and x["category"] == "B"
    # Y in C1: 30/140 = 0.214 < 0.45 not concentrated; X above it gives 71.4% < 90% -> important -> C
    assert _get(s, donor="Y", country="C1")["category"] == "C"
    # Z in C1: 10/140 = 0.0714 > 0.05 concentrated; donors above give 130/140 = 92.9% >= 90% -> A
    z = _get(s, donor="Z", country="C1")
    assert z["category"] == "A" and not z["important"] and z["significant"]
    # Y in C2: 60/60 = 1 > 0.45 and first -> B
    assert _get(s, donor="Y", country="C2")["category"] == "B"


def test_non_significant_relation_and_fragmentation_ratio():
    money = pl.DataFrame(
        {"donor": ["P", "Q", "Q"], "country": ["K1", "K1", "K2"], "sector": ["S"] * 3, "usd": [95.0, 5.0, 95.0]}
    )
    s = significance(money)
    # world 195; Q's global share 100/195 = 0.5128; in K1 Q has 5/100 = 0.05 < 0.5128 (not concentrated)
    # and P above it gives 95% >= 90% (not important): category D
    q = _get(s, donor="Q", country="K1")
    assert q["category"] == "D" and not q["significant"]
    # P in K1: 0.95 > 95/195 = 0.487 and first: B
    assert _get(s, donor="P", country="K1")["category"] == "B"
    f = fragmentation_ratio(s)
    # K1: 1 non-significant of 2 relations = 0.5; K2: 0 of 1 = 0
    assert _get(f, country="K1")["fragmentation_ratio"] == pytest.approx(0.5)
    assert _get(f, country="K2")["fragmentation_ratio"] == 0.0


def test_sectors_per_donor_against_eu_guidance():
    money = pl.DataFrame(
        {
            "donor": ["D"] * 4 + ["E"],
            "country": ["C"] * 5,
            "sector": ["a", "b", "c", "d", "a"],
            "usd": [4.0, 3.0, 2.0, 1.0, 5.0],
        }
    )
    out = sectors_per_donor(money)
    d = _get(out, donor="D", country="C")
    assert d["n_sectors"] == 4 and d["exceeds_eu_guidance"] and d["sectors"] == "a, b, c, d"
    assert not _get(out, donor="E", country="C")["exceeds_eu_guidance"]


def test_negative_cells_refunds_are_left_out_of_shares():
    money = pl.DataFrame(
        {"donor": ["A", "A", "B"], "country": ["C"] * 3, "sector": ["S"] * 3, "usd": [10.0, -12.0, 5.0]}
    )
    # A nets to -2 in the cell: not a positive contribution, so B holds 100%
    s = shares(money)
    assert s.height == 1 and s.row(0, named=True)["donor"] == "B" and s.row(0, named=True)["share"] == 1.0
