"""Scored survey instruments: food security (FCS, rCSI, HHS, LCS, CARI) and psychological
well-being and distress (WHO-5, PHQ-9, GAD-7, K6, K10, Cantril ladder, HESPER).

Each instrument is an :class:`Instrument`: its items, the allowed answers, reverse-coded items,
the missing-item rule, the outputs it adds and a scoring function. Band tables and weights are
data (``bands.toml`` beside this module), not code. Answers outside the allowed range raise
:class:`InputError` ``measure.out_of_range`` listing the rows (1-based data rows, header excluded).

Raw, prorated and banded outputs are kept separate: ``<name>_raw`` is the plain sum (missing when
any item is missing), ``<name>_score`` applies the missing-item rule, ``<name>_band`` the band table.

Rounding rule (used by CARI and by prorated scores): **round half up** (x.5 → x + 1), as WFP's
SPSS ``RND()`` and Stata ``round()`` do, not R's/pandas' half-to-even (measurement.md §2.6).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import polars as pl

from kizuna.errors import InputError, Message, SpecError, Where
from kizuna.i18n import N_

MAX_ROWS_LISTED = 20


@cache
def band_tables() -> dict[str, Any]:
    """The band tables and constants in ``bands.toml``."""
    text = resources.files("kizuna.measure").joinpath("bands.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def round_half_up(x: np.ndarray) -> np.ndarray:
    """Round to the nearest integer, halves up (2.5 → 3, 3.5 → 4); NaN stays NaN."""
    return np.floor(np.asarray(x, dtype=np.float64) + 0.5)


def apply_bands(values: np.ndarray, bands: list[dict[str, Any]]) -> list[str | None]:
    """Label each value with the first band whose bound admits it (``max`` inclusive, ``below``
    exclusive, no bound = catch-all). NaN gives None."""
    v = np.asarray(values, dtype=np.float64)
    out = np.full(v.shape[0], None, dtype=object)
    todo = ~np.isnan(v)
    for band in bands:
        if "max" in band:
            hit = todo & (v <= band["max"])
        elif "below" in band:
            hit = todo & (v < band["below"])
        else:
            hit = todo.copy()
        out[hit] = band["label"]
        todo &= ~hit
    return out.tolist()


def level_labels(levels: np.ndarray, labels: dict[int, str]) -> list[str | None]:
    """The label of each whole-number level (``labels[level]``); NaN or a level without a label
    gives None. Vectorised: one pass per label, not per row."""
    v = np.asarray(levels, dtype=np.float64)
    out = np.full(v.shape[0], None, dtype=object)
    for level, label in labels.items():
        out[v == level] = label
    return out.tolist()


@dataclass(frozen=True)
class Instrument:
    """A scored instrument.

    ``items``: item keys the spec maps to columns (``required`` ones must be mapped);
    ``lo``/``hi``: the inclusive answer range, or ``codes``: the allowed answer codes;
    ``reverse``: items scored as lo + hi − x; ``max_missing``: items that may be missing before the
    score is missing (prorated as mean × item count, rounded half up); ``outputs``: the columns added
    (prefixed with the instrument's name in the spec); ``options``: allowed options and defaults.
    """

    kind: str
    items: tuple[str, ...]
    scorer: Callable[..., dict[str, Any]]
    outputs: tuple[str, ...]
    lo: float | None = None
    hi: float | None = None
    codes: tuple[float, ...] | None = None
    required: tuple[str, ...] | None = None
    reverse: tuple[str, ...] = ()
    max_missing: int = 0
    integer: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def item_range(self) -> str:
        if self.codes is not None:
            return "one of " + ", ".join(f"{c:g}" for c in self.codes)
        return f"{self.lo:g}..{self.hi:g}"


# ---------------------------------------------------------------------------------------------
# scorers: matrix of answers (n × items, NaN = missing, already validated) -> output columns


def _sum_scale(x: np.ndarray, inst: Instrument) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """raw (complete cases), score (prorated under the missing-item rule), answered count."""
    answered = (~np.isnan(x)).sum(axis=1)
    raw = np.where(answered == x.shape[1], np.nansum(x, axis=1), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(x, axis=1) / answered
    prorated = round_half_up(mean * x.shape[1])
    ok = answered >= x.shape[1] - inst.max_missing
    score = np.where(answered == x.shape[1], raw, np.where(ok, prorated, np.nan))
    return raw, score, answered


def _fcs(x: np.ndarray, inst: Instrument, items: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """Food Consumption Score. Items: 8 food groups (+ condiments, weight 0), days 0–7 eaten in the
    last 7 days; no reverse items; any group missing → missing. FCS = Σ days × weight
    (2, 3, 1, 1, 4, 4, 0.5, 0.5), 0–112. Classes: poor ≤ 21, borderline ≤ 35, acceptable > 35
    (``thresholds = "default"``) or ≤ 28 / ≤ 42 (``"high_sugar_oil"``).

    Source: WFP VAM, *Food Consumption Analysis: Calculation and use of the food consumption score
    in food security analysis* (2008); WFP-VAM/RAMResourcesScripts Indicators/Food-consumption-score.
    """
    t = band_tables()["fcs"]
    w = np.array([t["weights"][i] for i in items])
    score = np.where(np.isnan(x).any(axis=1), np.nan, np.nan_to_num(x) @ w)
    bands = t["bands"][options["thresholds"]]
    return {"score": score, "class": apply_bands(score, bands)}


def _rcsi(x: np.ndarray, inst: Instrument, items: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """Reduced Coping Strategies Index. Items: 5 strategies, days 0–7 in the last 7 days; no reverse
    items; any missing → missing. rCSI = Σ days × weight (1, 2, 1, 3, 1), 0–56. Classes: 0–3 low,
    4–18 medium, ≥ 19 high (IPC-compatible).

    Source: Maxwell & Caldwell, *The Coping Strategies Index: field methods manual*, 2nd ed. (2008);
    impactR4PHU R/add_rcsi.R.
    """
    t = band_tables()["rcsi"]
    w = np.array([t["weights"][i] for i in items])
    score = np.where(np.isnan(x).any(axis=1), np.nan, np.nan_to_num(x) @ w)
    return {"score": score, "class": apply_bands(score, t["bands"])}


HHS_ITEMS = ("no_food", "sleep_hungry", "whole_day")


def _hhs(x: np.ndarray, inst: Instrument, items: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """Household Hunger Scale. Items: 3 occurrence questions over 30 days (0 no / 1 yes), each with a
    frequency (1 rarely, 2 sometimes, 3 often) → 0, 1, 1, 2 points; score 0–6; no reverse items.
    A "no" needs no frequency; a "yes" without one is missing. Classes 0–1 little/none, 2–3
    moderate, 4–6 severe; IPC 0 none, 1 little, 2–3 moderate, 4 severe, 5–6 very severe.

    Source: Ballard, Coates, Swindale & Deitchler, *Household Hunger Scale: indicator definition and
    measurement guide*, FANTA-2 / FHI 360 (2011); impactR4PHU R/add_hhs.R.
    """
    t = band_tables()["hhs"]
    pts = {int(k): v for k, v in t["frequency_points"].items()}
    col = {name: x[:, i] for i, name in enumerate(items)}
    total = np.zeros(x.shape[0])
    for q in HHS_ITEMS:
        occ = col[q]
        freq = col[q + "_freq"]
        p = np.select([freq == 1, freq == 2, freq == 3], [pts[1], pts[2], pts[3]], default=np.nan)
        total += np.where(occ == 0, 0.0, np.where(occ == 1, p, np.nan))
    return {
        "score": total,
        "class": apply_bands(total, t["bands"]),
        "ipc": apply_bands(total, t["ipc_bands"]),
    }


def _lcs(x: np.ndarray, inst: Instrument, items: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """Livelihood Coping Strategies (LCS-FS / LCS-EN). Items: up to 10 strategies named stress*,
    crisis*, emergency*, answered 10 (no, not needed), 20 (no, already exhausted), 30 (yes) or 9999
    (not applicable). Used = 20 or 30. Max coping: 4 if any emergency strategy used, else 3 if any
    crisis, else 2 if any stress, else 1. All strategies missing → missing.

    Source: WFP, *LCS-FS guidance* (2021); WFP-VAM/RAMResourcesScripts
    Indicators/Livelihood-Coping-Strategies-FS/LCS-FS-tidyverse.R.
    """
    t = band_tables()["lcs"]
    used = np.isin(x, t["used_codes"])
    level = np.ones(x.shape[0])
    for sev, name in ((2, "stress"), (3, "crisis"), (4, "emergency")):
        cols = [i for i, it in enumerate(items) if it.startswith(name)]
        if cols:
            level = np.where(used[:, cols].any(axis=1), np.maximum(level, sev), level)
    level = np.where(np.isnan(x).all(axis=1), np.nan, level)
    labels = {int(k): v for k, v in t["levels"].items()}
    return {"max_coping": level, "class": level_labels(level, labels)}


def fcs_4pt(fcs_score: np.ndarray, rcsi_score: np.ndarray, thresholds: str = "default") -> np.ndarray:
    """CARI current-status class (1–4): FCS acceptable 1 (2 if rCSI ≥ 4), borderline 3, poor 4.

    A missing rCSI leaves the FCS class as it is (an acceptable FCS stays 1), as WFP's SPSS
    ``DO IF (rCSI >= 4)`` and pandas ``data.loc[data['rCSI'] >= 4]`` do; a missing FCS gives NaN.
    (WFP's Stata ``recode ... if rCSI >= 4`` would make it 2, Stata's missing being above every
    number, and its R ``if_else`` would make it NA; the complete-case rule sidesteps the question.)

    Source: WFP, *CARI technical guidance*, 2nd ed. (2021), current-status domain;
    WFP-VAM/RAMResourcesScripts CARI-FES.sps / CARI-FES.do / CARI-FES-tidyverse.R.
    """
    t = band_tables()
    cls = np.array(apply_bands(fcs_score, t["fcs"]["bands"][thresholds]), dtype=object)
    pts = t["cari"]["fcs_4pt"]
    out = np.full(fcs_score.shape[0], np.nan)
    for label, v in pts.items():
        out[cls == label] = v
    with np.errstate(invalid="ignore"):
        marginal = (out == 1) & (rcsi_score >= t["cari"]["rcsi_min_for_marginal"])
    out[marginal] = 2
    return out


CARI_MISSING_RULES = ("available", "complete_case")


def _mean_present(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row mean of two columns over the values present (NaN only when both are missing): the rule
    of SPSS ``MEAN()``, Stata ``egen rowmean()``, R ``rowMeans(na.rm = TRUE)`` and pandas
    ``mean(axis=1)``."""
    both = np.column_stack([a, b])
    n = (~np.isnan(both)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.nansum(both, axis=1) / np.maximum(n, 1), np.nan)


def _cari(x: np.ndarray, inst: Instrument, items: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """CARI (2021 edition). Items: fcs (score), rcsi (score), lcs (max coping 1–4) and either fes
    (food expenditure share 0..1 → class < 0.50 1, 0.50 ≤ FES < 0.65 2, 0.65 ≤ FES < 0.75 3,
    ≥ 0.75 4: lower bounds inclusive, so 0.65 is 3 and 0.75 is 4) or ecmen (1, 3 or 4).
    Current status = FCS 4-point (acceptable 1, 2 if rCSI ≥ 4; borderline 3; poor 4); coping
    capacity = mean(LCS, economic class); CARI = mean(current, coping) **rounded half up**
    (2.5 → 3, WFP's SPSS ``RND``/Stata ``round``; R and pandas would give 2). 1 food secure,
    2 marginally food secure, 3 moderately, 4 severely food insecure.

    Missing inputs (option ``missing``):

    - ``"available"`` (default, WFP's rule): every mean is over the values present — coping is
      LCS alone when the economic class is missing (and the reverse), CARI is the current status
      alone when both coping inputs are missing (and the reverse); only a household with no input
      at all has no CARI. This is what every current WFP script does: SPSS ``MEAN()``, Stata
      ``egen rowmean()``, R ``rowMeans(na.rm = TRUE)``, pandas ``mean(axis=1)``.
    - ``"complete_case"``: any of FCS, rCSI, LCS or the economic input missing → CARI missing
      (current, coping and unrounded are still given where their own inputs are present).

    Source: WFP, *CARI technical guidance*, 2nd ed. (2021); WFP-VAM/RAMResourcesScripts
    Indicators/Consolidated-Approach-to-Reporting-Indicators-of-Food-Security: CARI-FES.sps,
    CARI-FES.do, CARI-ECMEN.sps, CARI-ECMEN.do (HEAD d18c07a, 2026-02-27), CARI-FES-tidyverse.R and
    CARI-FES.py (commit fee3f97); FES cut-offs: Indicators/Food-expenditure-share FES.R, FES.sps,
    FES.do, FES-indicator-calculation.py (commit ad88e3f; see ``bands.toml``).
    """
    t = band_tables()
    col = {name: x[:, i] for i, name in enumerate(items)}
    current = fcs_4pt(col["fcs"], col["rcsi"], options["thresholds"])
    if "fes" in col:
        fes_cls = np.array(apply_bands(col["fes"], t["fes"]["bands"]), dtype=object)
        econ = np.full(fes_cls.shape[0], np.nan)
        for label in {b["label"] for b in t["fes"]["bands"]}:
            econ[fes_cls == label] = float(label)
    elif "ecmen" in col:
        econ = col["ecmen"]
    else:
        raise SpecError(
            "spec.cari_econ",
            N_("CARI needs an economic-vulnerability item"),
            Where(key="instruments.<name>.items"),
            hint=N_("map 'fes' (share 0..1) or 'ecmen' (1, 3 or 4)"),
        )
    if options.get("missing", "available") == "complete_case":
        coping = (col["lcs"] + econ) / 2
        raw = (current + coping) / 2
        incomplete = np.isnan(col["fcs"]) | np.isnan(col["rcsi"]) | np.isnan(col["lcs"]) | np.isnan(econ)
        raw = np.where(incomplete, np.nan, raw)
    else:
        coping = _mean_present(col["lcs"], econ)
        raw = _mean_present(current, coping)
    cari = round_half_up(raw)
    labels = {int(k): v for k, v in t["cari"]["levels"].items()}
    return {
        "current": current,
        "coping": coping,
        "unrounded": raw,
        "score": cari,
        "class": level_labels(cari, labels),
    }


def _who5(x: np.ndarray, inst: Instrument, items: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """WHO-5 Well-Being Index. Items: 5, answered 0 (at no time) … 5 (all of the time) over two
    weeks; all positively worded, no reverse items; any item missing → missing (no prorating rule
    is published). Raw 0–25, percentage = raw × 4. Bands on the percentage: ≤ 28 likely depression,
    ≤ 50 poor well-being (raw < 13), else adequate; any item ≤ 1 is flagged too.

    Source: WHO Regional Office for Europe / Psychiatric Research Unit Frederiksborg, *WHO-5
    Well-Being Index* (1998); Topp, Østergaard, Søndergaard & Bech (2015), Psychother Psychosom
    84:167–176.
    """
    raw, _, _ = _sum_scale(x, inst)
    pct = raw * 4
    low_item = np.where(np.isnan(raw), np.nan, (x <= 1).any(axis=1).astype(float))
    return {
        "raw": raw,
        "pct": pct,
        "class": apply_bands(pct, band_tables()["who5"]["bands"]),
        "any_item_low": low_item,
    }


def _sum_banded(table: str, band_key: str = "bands") -> Callable[..., dict[str, Any]]:
    """A summed rating scale with a prorating rule and a band table (PHQ-9, GAD-7, K6, K10).

    PHQ-9: 9 items 0–3 over two weeks, no reverse items, up to 2 missing prorated (mean × 9, rounded
    half up; NHS Data Dictionary); 0–4 minimal, 5–9 mild, 10–14 moderate, 15–19 moderately severe,
    20–27 severe; ≥ 10 probable depression. Source: Kroenke, Spitzer & Williams (2001), J Gen Intern
    Med 16:606–613.
    GAD-7: 7 items 0–3, no missing allowed; 0–4 minimal, 5–9 mild, 10–14 moderate, 15–21 severe.
    Source: Spitzer, Kroenke, Williams & Löwe (2006), Arch Intern Med 166:1092–1097.
    K6: 6 items 0–4 over 30 days (US NHIS coding; ``coding = "1-5"`` shifts 1–5 answers down),
    no missing allowed; 0–24; ≥ 13 serious, 5–12 moderate distress. Source: Kessler et al. (2003),
    Arch Gen Psychiatry 60:184–189; Prochaska et al. (2012), Int J Methods Psychiatr Res 21:88–97.
    K10: 10 items 1–5 over 30 days, no missing allowed; 10–50; 10–15 low, 16–21 moderate, 22–29 high,
    30–50 very high (``bands = "primary_care_bands"``: <20, 20–24, 25–29, ≥30). Source: Kessler et
    al. (2002), Psychol Med 32:959–976; Andrews & Slade (2001); ABS 4817.0.55.001 (2012).
    """

    def scorer(x: np.ndarray, inst: Instrument, items: list[str], options: dict[str, Any]) -> dict[str, Any]:
        if options.get("coding") == "1-5":
            x = x - 1  # K6 asked 1..5: shift to the 0..4 coding the bands use
        raw, score, answered = _sum_scale(x, inst)
        bands = band_tables()[table][options.get("bands", band_key)]
        return {
            "raw": raw,
            "score": score,
            "answered": answered.astype(float),
            "class": apply_bands(score, bands),
        }

    scorer.__doc__ = _sum_banded.__doc__
    return scorer


def _cantril(x: np.ndarray, inst: Instrument, items: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """Cantril Self-Anchoring Striving Scale. Items: 2 (ladder now, ladder in five years), 0–10;
    no reverse items; either missing → missing. Thriving = now ≥ 7 and future ≥ 8; suffering =
    now ≤ 4 and future ≤ 4; otherwise struggling.

    Source: Cantril (1965), *The Pattern of Human Concerns*; Gallup, Life Evaluation Index
    (gallup.com/394505/indicator-life-evaluation-index.aspx).
    """
    now, fut = x[:, 0], x[:, 1]
    out = np.full(x.shape[0], None, dtype=object)
    todo = ~(np.isnan(now) | np.isnan(fut))
    for rule in band_tables()["cantril"]["rules"]:
        hit = todo.copy()
        if "now_min" in rule:
            hit &= now >= rule["now_min"]
        if "now_max" in rule:
            hit &= now <= rule["now_max"]
        if "future_min" in rule:
            hit &= fut >= rule["future_min"]
        if "future_max" in rule:
            hit &= fut <= rule["future_max"]
        out[hit] = rule["label"]
        todo &= ~hit
    return {"now": now, "future": fut, "class": out.tolist()}


def _hesper(x: np.ndarray, inst: Instrument, items: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """Humanitarian Emergency Settings Perceived Needs Scale. Items: 26 ("1".."26"; a subset may be
    asked), coded 1 serious problem, 0 no serious problem, 9 or 8888 no answer (missing); no reverse
    items. Outputs: the count of serious problems over the items asked (0–26), the counts among the
    physical items (1–9) and the psychosocial/dignity ones (10, 13–19, 21), and the top three
    priorities (item numbers 1–27, 27 = other) as labels. No item answered → counts missing.

    Source: WHO & King's College London (2011), *The Humanitarian Emergency Settings Perceived Needs
    Scale (HESPER): manual with scale*, ISBN 978 92 4 154823 6; Semrau et al. (2012) AJPH 102(10):e55.
    """
    t = band_tables()["hesper"]
    labels = t["items"]
    prio = [i for i, it in enumerate(items) if it.startswith("priority")]
    qs = [i for i, it in enumerate(items) if not it.startswith("priority")]
    q = x[:, qs]
    q = np.where(np.isin(q, t["no_answer"]), np.nan, q)
    answered = (~np.isnan(q)).sum(axis=1)
    serious = q == t["serious"]
    out: dict[str, Any] = {"answered": answered.astype(float)}

    def count(nums: list[int] | None) -> np.ndarray:
        sel = [j for j, i in enumerate(qs) if nums is None or int(items[i]) in nums]
        c = serious[:, sel].sum(axis=1).astype(float)
        return np.where(answered == 0, np.nan, c)

    out["serious"] = count(None)
    out["physical"] = count(t["physical"])
    out["psychosocial"] = count(t["psychosocial"])
    for j in prio:
        out[items[j]] = [labels.get(str(int(v))) if not np.isnan(v) else None for v in x[:, j]]
    return out


def _hesper_items() -> tuple[str, ...]:
    return tuple(str(i) for i in range(1, 27)) + ("priority1", "priority2", "priority3")


INSTRUMENTS: dict[str, Instrument] = {
    "fcs": Instrument(
        "fcs",
        ("cereals", "pulses", "vegetables", "fruit", "meat", "dairy", "sugar", "oil", "condiments"),
        _fcs,
        ("score", "class"),
        lo=0,
        hi=7,
        required=("cereals", "pulses", "vegetables", "fruit", "meat", "dairy", "sugar", "oil"),
        options={"thresholds": "default"},
    ),
    "rcsi": Instrument(
        "rcsi",
        ("less_preferred", "borrow", "limit_portions", "restrict_adults", "reduce_meals"),
        _rcsi,
        ("score", "class"),
        lo=0,
        hi=7,
    ),
    "hhs": Instrument(
        "hhs",
        ("no_food", "no_food_freq", "sleep_hungry", "sleep_hungry_freq", "whole_day", "whole_day_freq"),
        _hhs,
        ("score", "class", "ipc"),
        lo=0,
        hi=3,
    ),
    "lcs": Instrument(
        "lcs",
        (
            "stress1",
            "stress2",
            "stress3",
            "stress4",
            "crisis1",
            "crisis2",
            "crisis3",
            "emergency1",
            "emergency2",
            "emergency3",
        ),
        _lcs,
        ("max_coping", "class"),
        codes=(10, 20, 30, 9999),
        required=(),
    ),
    "cari": Instrument(
        "cari",
        ("fcs", "rcsi", "lcs", "fes", "ecmen"),
        _cari,
        ("current", "coping", "unrounded", "score", "class"),
        lo=0,
        hi=112,
        required=("fcs", "rcsi", "lcs"),
        integer=False,
        options={"thresholds": "default", "missing": "available"},
    ),
    "who5": Instrument(
        "who5",
        tuple(f"q{i}" for i in range(1, 6)),
        _who5,
        ("raw", "pct", "class", "any_item_low"),
        lo=0,
        hi=5,
    ),
    "phq9": Instrument(
        "phq9",
        tuple(f"q{i}" for i in range(1, 10)),
        _sum_banded("phq9"),
        ("raw", "score", "answered", "class"),
        lo=0,
        hi=3,
        max_missing=2,
    ),
    "gad7": Instrument(
        "gad7",
        tuple(f"q{i}" for i in range(1, 8)),
        _sum_banded("gad7"),
        ("raw", "score", "answered", "class"),
        lo=0,
        hi=3,
    ),
    "k6": Instrument(
        "k6",
        tuple(f"q{i}" for i in range(1, 7)),
        _sum_banded("k6"),
        ("raw", "score", "answered", "class"),
        lo=0,
        hi=4,
        options={"coding": "0-4"},
    ),
    "k10": Instrument(
        "k10",
        tuple(f"q{i}" for i in range(1, 11)),
        _sum_banded("k10"),
        ("raw", "score", "answered", "class"),
        lo=1,
        hi=5,
        options={"bands": "bands"},
    ),
    "cantril": Instrument("cantril", ("now", "future"), _cantril, ("now", "future", "class"), lo=0, hi=10),
    "hesper": Instrument(
        "hesper",
        _hesper_items(),
        _hesper,
        ("answered", "serious", "physical", "psychosocial", "priority1", "priority2", "priority3"),
        codes=(0, 1, 9, 8888),
        required=(),
    ),
}


def _validate(
    x: np.ndarray,
    inst: Instrument,
    items: list[str],
    columns: list[str],
    name: str,
    file: str | None,
    opts: dict[str, Any],
) -> None:
    for j, item in enumerate(items):
        v = x[:, j]
        present = ~np.isnan(v)
        if item.startswith("priority"):
            bad = present & ~np.isin(v, np.arange(1, 28))
            allowed: str | Message = Message(N_("an item number 1..27"))
        elif inst.kind == "cari":
            lo, hi = {"fcs": (0.0, 112.0), "rcsi": (0.0, 56.0), "lcs": (1.0, 4.0), "fes": (0.0, 1.0)}.get(
                item, (1.0, 4.0)
            )
            bad = present & ((v < lo) | (v > hi))
            if item == "ecmen":
                bad = present & ~np.isin(v, band_tables()["cari"]["ecmen_codes"])
            allowed = Message(N_("one of 1, 3, 4")) if item == "ecmen" else f"{lo}..{hi}"
        elif inst.codes is not None:
            bad = present & ~np.isin(v, inst.codes)
            allowed = inst.item_range()
        else:
            lo, hi = float(inst.lo or 0), float(inst.hi or 0)
            if inst.kind == "k6" and opts.get("coding") == "1-5":
                lo, hi = 1.0, 5.0
            bad = present & ((v < lo) | (v > hi))
            if inst.integer:
                bad |= present & (v != np.round(v))
            allowed = (
                Message(N_("{lo:g}..{hi:g} (whole numbers)"), {"lo": lo, "hi": hi})
                if inst.integer
                else f"{lo:g}..{hi:g}"
            )
        if bad.any():
            rows = np.flatnonzero(bad) + 1
            listed = ", ".join(str(int(r)) for r in rows[:MAX_ROWS_LISTED])
            more: str | Message = ""
            if rows.size > MAX_ROWS_LISTED:
                more = Message(N_(" and {n} more"), {"n": rows.size - MAX_ROWS_LISTED})
            raise InputError(
                "measure.out_of_range",
                N_("{name} ({kind}) item '{item}': {size} answers outside {allowed} in rows {listed}{more}"),
                Where(file=file, row=int(rows[0]), field=columns[j]),
                hint=N_("fix or blank these answers, or map the item to another column in the spec"),
                params={
                    "name": name,
                    "kind": inst.kind,
                    "item": item,
                    "size": rows.size,
                    "allowed": allowed,
                    "listed": listed,
                    "more": more,
                },
            )


def _numeric_matrix(frame: pl.DataFrame, columns: list[str], name: str, file: str | None) -> np.ndarray:
    cols = []
    for c in columns:
        s = frame.get_column(c)
        if s.dtype == pl.String or s.dtype == pl.Categorical:
            conv = s.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
            bad = conv.is_null() & s.is_not_null() & (s.cast(pl.String).str.strip_chars() != "")
            if bad.any():
                rows = (bad.arg_true() + 1).to_list()
                raise InputError(
                    "measure.not_a_number",
                    N_("{name}: column '{c}' has {n} answers that are not numbers (rows {rows})"),
                    Where(file=file, row=rows[0], field=c),
                    hint=N_("instruments take numeric answer codes; map labels to codes first"),
                    params={"name": name, "c": c, "n": len(rows), "rows": ', '.join(map(str, rows[:MAX_ROWS_LISTED]))},
                )
            s = conv
        elif s.dtype == pl.Boolean:
            s = s.cast(pl.Float64)
        cols.append(s.cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy())
    return np.column_stack(cols) if cols else np.zeros((frame.height, 0))


def score(
    kind: str,
    frame: pl.DataFrame,
    items: dict[str, str],
    *,
    name: str | None = None,
    options: dict[str, Any] | None = None,
    file: str | None = None,
) -> pl.DataFrame:
    """Score instrument ``kind`` on ``frame``; ``items`` maps item keys to column names.

    Returns a frame of the outputs named ``<name>_<output>`` (``name`` defaults to ``kind``).
    Raises SpecError for an unknown instrument, item, option or a missing column, and InputError
    ``measure.out_of_range`` for answers outside the allowed range (listing the rows).
    """
    name = name or kind
    if kind not in INSTRUMENTS:
        raise SpecError(
            "spec.unknown_instrument",
            N_("unknown instrument type '{kind}'"),
            Where(key=f"instruments.{name}.type"),
            hint=N_("allowed: {instruments}"),
            params={"kind": kind, "instruments": ', '.join(INSTRUMENTS)},
        )
    inst = INSTRUMENTS[kind]
    opts = dict(inst.options)
    for key, value in (options or {}).items():
        if key not in inst.options:
            raise SpecError(
                "spec.unknown_option",
                N_("instrument '{name}' ({kind}) has no option '{key}'"),
                Where(key=f"instruments.{name}.{key}"),
                hint=N_("allowed: {items}"),
                params={
                    "name": name,
                    "kind": kind,
                    "key": key,
                    "items": ", ".join(inst.options) or Message(N_("none")),
                },
            )
        opts[key] = value
    _check_options(kind, name, opts)
    unknown = [i for i in items if i not in inst.items]
    if unknown:
        raise SpecError(
            "spec.unknown_item",
            N_("instrument '{name}' ({kind}) has no item '{unknown}'"),
            Where(key=f"instruments.{name}.items.{unknown[0]}"),
            hint=N_("allowed: {items}"),
            params={"name": name, "kind": kind, "unknown": unknown[0], "items": ', '.join(inst.items)},
        )
    required = inst.required if inst.required is not None else inst.items
    if kind == "hhs":
        required = ("no_food", "sleep_hungry", "whole_day")
    missing = [i for i in required if i not in items]
    if missing:
        raise SpecError(
            "spec.missing_item",
            N_("instrument '{name}' ({kind}) needs item '{missing}'"),
            Where(key=f"instruments.{name}.items"),
            hint=N_("map every one of: {required}"),
            params={"name": name, "kind": kind, "missing": missing[0], "required": ', '.join(required)},
        )
    for item, col in items.items():
        if col not in frame.columns:
            raise SpecError(
                "spec.unknown_column",
                N_("instrument '{name}' item '{item}' names column '{col}', which the survey does not have"),
                Where(file=file, key=f"instruments.{name}.items.{item}"),
                hint=N_("columns: {columns}"),
                params={"name": name, "item": item, "col": col, "columns": ', '.join(frame.columns[:30])},
            )
    order = [i for i in inst.items if i in items]
    if kind == "hhs":
        order = list(inst.items)
        frame = frame.with_columns([pl.lit(None, dtype=pl.Float64).alias(f"__{i}") for i in order if i not in items])
        cols = [items.get(i, f"__{i}") for i in order]
    else:
        cols = [items[i] for i in order]
    x = _numeric_matrix(frame, cols, name, file)
    _validate(x, inst, order, cols, name, file, opts)
    if kind == "hhs":
        occ_bad = np.isin(x[:, [0, 2, 4]], [2, 3])
        if occ_bad.any():
            rows = np.flatnonzero(occ_bad.any(axis=1)) + 1
            raise InputError(
                "measure.out_of_range",
                N_("{name} (hhs): occurrence answers must be 0 or 1; rows {rows}"),
                Where(file=file, row=int(rows[0])),
                hint=N_("occurrence: 0 no, 1 yes; frequency: 1 rarely, 2 sometimes, 3 often"),
                params={"name": name, "rows": ', '.join(map(str, rows[:MAX_ROWS_LISTED]))},
            )
    if inst.reverse:
        for j, item in enumerate(order):
            if item in inst.reverse:
                x[:, j] = (inst.lo or 0) + (inst.hi or 0) - x[:, j]
    res = inst.scorer(x, inst, order, opts)
    out = {}
    for key, values in res.items():
        if isinstance(values, list):
            out[f"{name}_{key}"] = pl.Series(values, dtype=pl.String)
        else:
            out[f"{name}_{key}"] = pl.Series(np.asarray(values, dtype=np.float64)).fill_nan(None)
    return pl.DataFrame(out)


def _check_options(kind: str, name: str, opts: dict[str, Any]) -> None:
    allowed = {
        "thresholds": ("default", "high_sugar_oil"),
        "coding": ("0-4", "1-5"),
        "bands": ("bands", "primary_care_bands"),
        "missing": CARI_MISSING_RULES,
    }
    for key, value in opts.items():
        if key in allowed and value not in allowed[key]:
            raise SpecError(
                "spec.bad_option",
                N_("instrument '{name}' ({kind}): {key} = '{value}' is not allowed"),
                Where(key=f"instruments.{name}.{key}"),
                hint=N_("allowed: {allowed}"),
                params={"name": name, "kind": kind, "key": key, "value": value, "allowed": ', '.join(allowed[key])},
            )
