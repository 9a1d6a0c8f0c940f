"""Training evaluation at Kirkpatrick's four levels (pure: frames in, tables and notes out; no I/O).

The levels are those of D. L. Kirkpatrick & J. D. Kirkpatrick, *Evaluating Training Programs: The Four
Levels* (3rd ed., Berrett-Koehler 2006) and J. D. & W. K. Kirkpatrick, *Kirkpatrick's Four Levels of
Training Evaluation* (ATD Press 2016): 1 reaction, 2 learning, 3 behaviour, 4 results.

- **Level 1, reaction**: per Likert item (1-5) and per scale (items named ``<scale>_<n>``): n, mean, SD, the
  share agreeing (4 or 5) and the distribution; Cronbach's (1951) alpha per scale on the people who answered
  every item of it.
- **Level 2, learning**: each person's total test score before and after, paired by pseudonym (people with
  only one of the two are left out and counted); paired t-test (Student 1908), Wilcoxon (1945) signed-rank
  test, Cohen's d_z and Hedges' g_rm with CIs (Lakens 2013; Borenstein et al. 2009), Hake's (1998) normalised
  gain; the test itself: item difficulty and discrimination (Crocker & Algina 1986) and KR-20 (Kuder &
  Richardson 1937) for 0/1 items, else Cronbach's alpha. Formulas: :mod:`kizuna.track.learning`.
- **Level 3, behaviour**: observation checklist scores at follow-up (Kirkpatrick: 3-6 months after) against
  baseline, paired as in level 2, with the share of people who improved; follow-ups outside 3-6 months after
  their session ended are counted in a note.
- **Level 4, results**: unit-level outcomes before and after. Without comparison units the change is
  described with the caveat that it is not causal; with them, a difference-in-differences estimate with a
  cluster-robust (CR1, by unit) SE (Angrist & Pischke 2009), which still assumes parallel trends.

Small groups: no test or effect size below :data:`MIN_PAIRS` complete pairs (the note says why); the
per-session breakdown withholds sessions of fewer than :data:`kizuna.measure.disclosure.DEFAULT_MIN_CELL`
participants, with complementary suppression (:func:`kizuna.measure.disclosure.suppress`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from kizuna import i18n
from kizuna.errors import KizunaError
from kizuna.i18n import N_
from kizuna.measure.disclosure import DEFAULT_MIN_CELL, Cell, suppress
from kizuna.track import learning

MIN_PAIRS = 5  # fewer complete pairs: no test, no effect size, no reliability (too few to say anything)
AGREE = 4  # a Likert answer of 4 (agree) or 5 (strongly agree) counts as agreeing
FOLLOWUP_MONTHS = (3.0, 6.0)  # Kirkpatrick's window for observing behaviour after training
DAYS_PER_MONTH = 365.25 / 12


@dataclass
class CourseData:
    """One course's stored rows (participants as pseudonyms), as Polars frames."""

    course: str
    sessions: pl.DataFrame
    participants: pl.DataFrame
    reaction: pl.DataFrame
    tests: pl.DataFrame
    followups: pl.DataFrame
    units: pl.DataFrame
    synthetic: bool = False


LEVELS = {1: N_("Reaction"), 2: N_("Learning"), 3: N_("Behaviour"), 4: N_("Results")}
MEASURES = {
    "reaction_mean": N_("Mean rating of all items (1 to 5)"),
    "reaction_agree": N_("Share of answers agreeing (4 or 5)"),
    "learning_change": N_("Mean change in test score, post minus pre (points)"),
    "learning_wilcoxon": N_("Wilcoxon signed-rank test"),
    "learning_dz": N_("Effect size d_z"),
    "learning_g": N_("Effect size Hedges' g (repeated measures)"),
    "learning_gain": N_("Normalised gain (Hake 1998)"),
    "learning_reliability": N_("Reliability of the post-test (KR-20 or alpha)"),
    "behaviour_change": N_("Mean change in observation score, follow-up minus baseline"),
    "behaviour_dz": N_("Effect size d_z"),
    "behaviour_improved": N_("Share of participants observed to improve"),
    "results_change": N_("Change in trained units, after minus before"),
    "results_did": N_("Difference-in-differences against comparison units"),
}
CAVEAT = N_(
    "Results for {outcome}: the change in trained units before and after is NOT a causal effect of the training: "
    "there is no comparison group, and other things changed over the same time."
)
DID_NOTE = N_(
    "Results for {outcome}: difference-in-differences against {units} comparison units, with a cluster-robust "
    "standard error by unit; it assumes the trained and comparison units would have changed alike without "
    "the training (parallel trends)."
)
TOO_FEW = N_("{what}: {n} complete pairs, fewer than {minimum}: no test or effect size is computed")
UNPAIRED = N_(
    "{what}: {n_first} people with only a {first} score and {n_second} with only a {second} score are left out"
)
OUT_OF_WINDOW = N_("Behaviour: {n} follow-up observations fall outside 3 to 6 months after the session ended")
DZ_CI = N_("{what}: the noncentral t interval of d_z failed numerically; its 95% interval is the normal approximation")
SUPPRESSED = N_(
    "Sessions of fewer than {n} participants are not shown separately (and one more when only one is hidden)"
)


@dataclass
class Evaluation:
    """The four levels of one course. Frames carry machine column names; ``notes`` are :func:`i18n.note` dicts."""

    course: str
    participants: int
    sessions: int
    levels: pl.DataFrame
    reaction_items: pl.DataFrame
    reaction_scales: pl.DataFrame
    paired: pl.DataFrame
    test_items: pl.DataFrame
    results: pl.DataFrame
    by_session: pl.DataFrame
    notes: list[dict[str, Any]] = field(default_factory=list)
    synthetic: bool = False


def _note_from(err: KizunaError, what: str) -> dict[str, Any]:
    return i18n.note("training.no_statistic", N_("{what}: {reason}"), words=("what",), what=what, reason=err.text())


# --- level 1 -----------------------------------------------------------------------------------------


def reaction_items(reaction: pl.DataFrame) -> pl.DataFrame:
    """Per item: n answers, mean, SD (n - 1), share agreeing (4-5) and the count of each answer 1-5."""
    if reaction.is_empty():
        return pl.DataFrame()
    return (
        reaction.group_by("scale", "item")
        .agg(
            pl.len().alias("n_answers"),
            pl.col("score").mean().alias("mean"),
            pl.col("score").std().alias("sd"),
            (pl.col("score") >= AGREE).mean().alias("share_agree"),
            *[(pl.col("score") == k).sum().alias(f"answers_{k}") for k in range(1, 6)],
        )
        .sort("scale", "item")
    )


def reaction_scales(reaction: pl.DataFrame) -> pl.DataFrame:
    """Per scale: items, respondents, mean and SD of people's scale means, share agreeing, Cronbach's alpha
    (on the people who answered every item; none below :data:`MIN_PAIRS` of them or with one item)."""
    if reaction.is_empty():
        return pl.DataFrame()
    rows = []
    for scale in sorted(reaction.get_column("scale").unique().to_list()):
        sub = reaction.filter(pl.col("scale") == scale)
        items = sorted(sub.get_column("item").unique().to_list())
        person = sub.group_by("participant").agg(pl.col("score").mean().alias("m"), pl.len().alias("k"))
        wide = sub.pivot(on="item", index="participant", values="score").drop_nulls()
        alpha = None
        complete = wide.height
        if len(items) >= 2 and complete >= MIN_PAIRS:
            a = learning.cronbach_alpha(wide.select(items).to_numpy())
            alpha = None if np.isnan(a) else a
        rows.append(
            {
                "scale": scale,
                "items": len(items),
                "respondents": person.height,
                "mean": float(person.get_column("m").mean()),  # type: ignore[arg-type]
                "sd": person.get_column("m").std() if person.height > 1 else None,
                "share_agree": float((sub.get_column("score") >= AGREE).mean()),  # type: ignore[arg-type]
                "complete": complete,
                "alpha": alpha,
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


# --- levels 2 and 3: paired change ----------------------------------------------------------------------


def paired_change(
    level: int,
    what: str,
    pre: dict[str, float],
    post: dict[str, float],
    *,
    max_score: float | None = None,
    names: tuple[str, str] = (N_("pre"), N_("post")),
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Statistics of post - pre over the people (pseudonyms) present in both; notes on what was left out.

    ``max_score`` (levels 2): the test's maximum, for Hake's normalised gain. Fewer than :data:`MIN_PAIRS`
    pairs: means only."""
    both = sorted(set(pre) & set(post))
    notes: list[dict[str, Any]] = []
    only_pre, only_post = len(set(pre) - set(post)), len(set(post) - set(pre))
    if only_pre or only_post:
        notes.append(
            i18n.note(
                "training.unpaired",
                UNPAIRED,
                words=("what", "first", "second"),
                what=what,
                n_first=only_pre,
                first=names[0],
                n_second=only_post,
                second=names[1],
            )
        )
    a = np.array([pre[p] for p in both], dtype=float)
    b = np.array([post[p] for p in both], dtype=float)
    row: dict[str, Any] = {
        "level": level,
        "pairs": len(both),
        "only_first": only_pre,
        "only_second": only_post,
        "mean_first": float(a.mean()) if a.size else None,
        "mean_second": float(b.mean()) if b.size else None,
        "mean_change": float((b - a).mean()) if a.size else None,
        "share_improved": float((b > a).mean()) if a.size else None,
        "max_score": max_score,
    }
    if len(both) < MIN_PAIRS:
        notes.append(i18n.note("training.too_few", TOO_FEW, words=("what",), what=what, n=len(both), minimum=MIN_PAIRS))
        return row, notes
    try:
        t = learning.paired_t(a, b)
        row.update(se=t.se, t=t.t, df=t.df, p=t.p, lo=t.lo, hi=t.hi)
        try:
            dz = learning.cohen_dz(a, b)
            row.update(d_z=dz.value, d_z_lo=dz.lo, d_z_hi=dz.hi)
        except ValueError:
            # scipy's noncentral t cdf can return NaN far in its tail, which stops the CI's root search
            # (learning._nct_ncp). d_z is t / sqrt(n); its CI then by the normal approximation with
            # V(d_z) = 1/n + d_z^2 / (2n) (Hedges & Olkin 1985, one-sample case; Goulet-Pelletier & Cousineau 2018)
            d = t.t / float(np.sqrt(t.n))
            half = 1.959963984540054 * float(np.sqrt(1 / t.n + d * d / (2 * t.n)))
            row.update(d_z=d, d_z_lo=d - half, d_z_hi=d + half)
            notes.append(i18n.note("training.dz_ci", DZ_CI, words=("what",), what=what))
    except KizunaError as err:
        notes.append(_note_from(err, what))
    try:
        w = learning.wilcoxon_signed_rank(a, b)
        row.update(wilcoxon_w=w.statistic, wilcoxon_p=w.p, wilcoxon_method=w.method)
    except KizunaError as err:
        notes.append(_note_from(err, what))
    try:
        g = learning.hedges_g_rm(a, b)
        row.update(g=g.value, g_lo=g.lo, g_hi=g.hi)
    except KizunaError:
        pass  # no spread before or after: d_z's note says it already, or the t-test's
    if max_score is not None:
        try:
            gain = learning.normalised_gain(a, b, max_score=max_score)
            row.update(gain=gain.class_gain, gain_individual=gain.mean_individual_gain)
        except KizunaError as err:
            notes.append(_note_from(err, what))
    return row, notes


def _totals(tests: pl.DataFrame, phase: str) -> tuple[dict[str, float], float]:
    sub = tests.filter(pl.col("phase") == phase)
    if sub.is_empty():
        return {}, 0.0
    tot = sub.group_by("participant").agg(pl.col("score").sum())
    maximum = float(sub.group_by("item").agg(pl.col("max_score").first()).get_column("max_score").sum())
    return dict(zip(tot.get_column("participant").to_list(), tot.get_column("score").to_list(), strict=True)), maximum


def test_items(tests: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Item analysis per phase (difficulty, discrimination, alpha if deleted) and each phase's reliability:
    KR-20 when every item is scored 0/1, else Cronbach's alpha."""
    frames, reliability = [], {}
    for phase in ("pre", "post"):
        sub = tests.filter(pl.col("phase") == phase)
        if sub.is_empty():
            continue
        order = sub.group_by("item").agg(pl.col("position").first(), pl.col("max_score").first()).sort("position")
        items = order.get_column("item").to_list()
        wide = sub.pivot(on="item", index="participant", values="score").select(items)
        if wide.height < MIN_PAIRS or len(items) < 3:
            continue
        x = wide.to_numpy()
        mx = order.get_column("max_score").to_numpy()
        binary = bool((mx == 1).all() and np.isin(x, (0.0, 1.0)).all())
        value = learning.kr20(x) if binary else learning.cronbach_alpha(x)
        reliability[phase] = {
            "method": "KR-20" if binary else "alpha",
            "value": None if np.isnan(value) else value,
            "people": int(wide.height),
        }
        ia = learning.item_analysis(x, max_scores=mx).with_columns(
            pl.Series("item", items), pl.lit(phase).alias("phase"), pl.lit(int(wide.height)).alias("people")
        )
        frames.append(ia.select("phase", "item", "people", "difficulty", "discrimination", "alpha_if_deleted"))
    return (pl.concat(frames) if frames else pl.DataFrame()), reliability


# --- level 3 ------------------------------------------------------------------------------------------


def followup_window(followups: pl.DataFrame, participants: pl.DataFrame, sessions: pl.DataFrame) -> int:
    """How many follow-up observations fall outside 3-6 months after their session's end (dated ones only)."""
    f = followups.filter((pl.col("phase") == "followup") & pl.col("observed_on").is_not_null())
    if f.is_empty() or sessions.is_empty():
        return 0
    ends = participants.select("participant", "session").join(sessions.select("session", "end_date"), on="session")
    out = 0
    for obs, end in f.join(ends, on="participant").select("observed_on", "end_date").iter_rows():
        if isinstance(obs, date) and isinstance(end, date):
            months = (obs - end).days / DAYS_PER_MONTH
            if not FOLLOWUP_MONTHS[0] <= months <= FOLLOWUP_MONTHS[1]:
                out += 1
    return out


# --- level 4 ------------------------------------------------------------------------------------------


def unit_results(units: pl.DataFrame) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Per outcome and group (trained / comparison): units with both periods, means before and after, the mean
    change; and a ``did`` row per outcome when comparison units exist. Notes: the caveat or the DiD's assumption."""
    if units.is_empty():
        return pl.DataFrame(), []
    rows, notes = [], []
    for outcome in sorted(units.get_column("outcome").unique().to_list()):
        sub = units.filter(pl.col("outcome") == outcome)
        wide = sub.pivot(on="period", index=["unit", "comparison"], values="value")
        if "before" not in wide.columns or "after" not in wide.columns:
            wide = wide.with_columns(
                *(pl.lit(None, pl.Float64).alias(c) for c in ("before", "after") if c not in wide.columns)
            )
        wide = wide.drop_nulls(["before", "after"])
        for comp in (False, True):
            g = wide.filter(pl.col("comparison") == comp)
            if g.is_empty():
                continue
            rows.append(
                {
                    "outcome": outcome,
                    "group": "comparison" if comp else "trained",
                    "units": g.height,
                    "before": g.get_column("before").mean(),
                    "after": g.get_column("after").mean(),
                    "mean_change": (g.get_column("after") - g.get_column("before")).mean(),
                }
            )
        comparison = wide.filter(pl.col("comparison")).height
        if comparison == 0:
            notes.append(i18n.note("training.not_causal", CAVEAT, outcome=outcome))
            continue
        long = sub.join(wide.select("unit"), on="unit")
        try:
            did = learning.diff_in_diff(
                long.get_column("value").to_numpy(),
                (~long.get_column("comparison")).cast(pl.Int8).to_numpy(),
                (long.get_column("period") == "after").cast(pl.Int8).to_numpy(),
                cluster=long.get_column("unit").to_list(),
            )
        except KizunaError as err:
            notes.append(_note_from(err, N_("Results")))
            continue
        rows.append(
            {
                "outcome": outcome,
                "group": "did",
                "units": wide.height,
                "estimate": did.estimate,
                "se": did.se,
                "df": did.df,
                "p": did.p,
                "lo": did.lo,
                "hi": did.hi,
                "se_type": did.se_type,
            }
        )
        notes.append(i18n.note("training.did", DID_NOTE, outcome=outcome, units=comparison))
    return pl.DataFrame(rows, infer_schema_length=None), notes


# --- per session (disclosure control) ------------------------------------------------------------------


def by_session(
    data: CourseData, pre: dict[str, float], post: dict[str, float], min_cell: int = DEFAULT_MIN_CELL
) -> tuple[pl.DataFrame, bool]:
    """Per session: participants, reaction mean, pre/post means and mean change of the complete pairs;
    sessions below ``min_cell`` participants withheld (and a complementary one when only one is)."""
    if data.participants.is_empty():
        return pl.DataFrame(), False
    members = data.participants.group_by("session").agg(pl.col("participant"))
    reaction = (
        data.reaction.group_by("participant").agg(pl.col("score").mean().alias("r"))
        if not data.reaction.is_empty()
        else None
    )
    r_of = dict(reaction.iter_rows()) if reaction is not None else {}
    rows = []
    for session, people in sorted(members.iter_rows()):
        pairs = [p for p in people if p in pre and p in post]
        rated = [r_of[p] for p in people if p in r_of]
        rows.append(
            {
                "session": session,
                "participants": len(people),
                "reaction_mean": float(np.mean(rated)) if rated else None,
                "pairs": len(pairs),
                "mean_pre": float(np.mean([pre[p] for p in pairs])) if pairs else None,
                "mean_post": float(np.mean([post[p] for p in pairs])) if pairs else None,
                "mean_change": float(np.mean([post[p] - pre[p] for p in pairs])) if pairs else None,
            }
        )
    cells = [Cell(("session",), r["session"], r["participants"]) for r in rows]
    hidden = {c.label for c in suppress(cells, min_cell, {("session",): data.participants.height})}
    for r in rows:
        r["suppressed"] = r["session"] in hidden
        if r["suppressed"]:
            for k in ("participants", "reaction_mean", "pairs", "mean_pre", "mean_post", "mean_change"):
                r[k] = None
    return pl.DataFrame(rows, infer_schema_length=None), bool(hidden)


# --- the whole course ----------------------------------------------------------------------------------


def _level_row(level: int, measure: str, **values: Any) -> dict[str, Any]:
    return {
        "level": level,
        "measure": measure,
        "outcome": None,
        "n_obs": None,
        "value": None,
        "lo": None,
        "hi": None,
        "p": None,
        **values,
    }


def evaluate(data: CourseData, *, min_cell: int = DEFAULT_MIN_CELL) -> Evaluation:
    """All four levels of one course (whatever inputs it has), a summary row per headline statistic."""
    notes: list[dict[str, Any]] = []
    levels: list[dict[str, Any]] = []
    # level 1
    items = reaction_items(data.reaction)
    scales = reaction_scales(data.reaction)
    if not data.reaction.is_empty():
        s = data.reaction.get_column("score")
        n_people = data.reaction.get_column("participant").n_unique()
        levels.append(_level_row(1, "reaction_mean", n_obs=n_people, value=float(s.mean())))  # type: ignore[arg-type]
        levels.append(_level_row(1, "reaction_agree", n_obs=n_people, value=float((s >= AGREE).mean())))  # type: ignore[arg-type]
    # level 2
    paired_rows = []
    pre, max_pre = _totals(data.tests, "pre")
    post, max_post = _totals(data.tests, "post")
    titems, reliability = test_items(data.tests) if not data.tests.is_empty() else (pl.DataFrame(), {})
    if pre or post:
        row, n2 = paired_change(2, N_("Learning"), pre, post, max_score=max_post or max_pre or None)
        paired_rows.append(row)
        notes += n2
        n = row["pairs"]
        levels.append(
            _level_row(
                2,
                "learning_change",
                n_obs=n,
                value=row["mean_change"],
                lo=row.get("lo"),
                hi=row.get("hi"),
                p=row.get("p"),
            )
        )
        if "wilcoxon_p" in row:
            levels.append(_level_row(2, "learning_wilcoxon", n_obs=n, value=row["wilcoxon_w"], p=row["wilcoxon_p"]))
        if "d_z" in row:
            levels.append(_level_row(2, "learning_dz", n_obs=n, value=row["d_z"], lo=row["d_z_lo"], hi=row["d_z_hi"]))
        if "g" in row:
            levels.append(_level_row(2, "learning_g", n_obs=n, value=row["g"], lo=row["g_lo"], hi=row["g_hi"]))
        if "gain" in row:
            levels.append(_level_row(2, "learning_gain", n_obs=n, value=row["gain"]))
        if "post" in reliability:
            rel = reliability["post"]
            levels.append(_level_row(2, "learning_reliability", n_obs=rel["people"], value=rel["value"]))
            row["reliability_method"] = rel["method"]
            row["reliability"] = rel["value"]
    # level 3
    f = data.followups
    if not f.is_empty():
        base = dict(f.filter(pl.col("phase") == "baseline").select("participant", "score").iter_rows())
        follow = dict(f.filter(pl.col("phase") == "followup").select("participant", "score").iter_rows())
        row, n3 = paired_change(3, N_("Behaviour"), base, follow, names=(N_("baseline"), N_("follow-up")))
        paired_rows.append(row)
        notes += n3
        n = row["pairs"]
        levels.append(
            _level_row(
                3,
                "behaviour_change",
                n_obs=n,
                value=row["mean_change"],
                lo=row.get("lo"),
                hi=row.get("hi"),
                p=row.get("p"),
            )
        )
        if "d_z" in row:
            levels.append(_level_row(3, "behaviour_dz", n_obs=n, value=row["d_z"], lo=row["d_z_lo"], hi=row["d_z_hi"]))
        if n:
            levels.append(_level_row(3, "behaviour_improved", n_obs=n, value=row["share_improved"]))
        outside = followup_window(f, data.participants, data.sessions)
        if outside:
            notes.append(i18n.note("training.window", OUT_OF_WINDOW, n=outside))
    # level 4
    results, n4 = unit_results(data.units)
    notes += n4
    for r in results.iter_rows(named=True) if not results.is_empty() else []:
        if r["group"] == "trained":
            levels.append(
                _level_row(4, "results_change", outcome=r["outcome"], n_obs=r["units"], value=r["mean_change"])
            )
        elif r["group"] == "did":
            levels.append(
                _level_row(
                    4,
                    "results_did",
                    outcome=r["outcome"],
                    n_obs=r["units"],
                    value=r["estimate"],
                    lo=r["lo"],
                    hi=r["hi"],
                    p=r["p"],
                )
            )
    sessions, hidden = by_session(data, pre, post, min_cell)
    if hidden:
        notes.append(i18n.note("training.suppressed", SUPPRESSED, n=min_cell))
    level_frame = pl.DataFrame(
        levels,
        schema={
            "level": pl.Int64,
            "measure": pl.String,
            "outcome": pl.String,
            "n_obs": pl.Int64,
            "value": pl.Float64,
            "lo": pl.Float64,
            "hi": pl.Float64,
            "p": pl.Float64,
        },
    )
    return Evaluation(
        course=data.course,
        participants=data.participants.height,
        sessions=data.sessions.height,
        levels=level_frame.insert_column(0, pl.Series("course", [data.course] * level_frame.height, pl.String)),
        reaction_items=items,
        reaction_scales=scales,
        paired=pl.DataFrame(paired_rows, infer_schema_length=None),
        test_items=titems,
        results=results,
        by_session=sessions,
        notes=notes,
        synthetic=data.synthetic,
    )


def levels_table(ev: Evaluation) -> pl.DataFrame:
    """:attr:`Evaluation.levels` with the level's and the statistic's names in the reader's language."""
    lv = ev.levels
    return lv.with_columns(
        pl.Series("level_name", [i18n.gettext(LEVELS[int(v)]) for v in lv.get_column("level")], pl.String),
        pl.Series("statistic", [i18n.gettext(MEASURES[m]) for m in lv.get_column("measure")], pl.String),
    ).select("course", "level", "level_name", "statistic", "outcome", "n_obs", "value", "lo", "hi", "p", "measure")


def note_texts(ev: Evaluation) -> list[str]:
    """The evaluation's notes in the reader's language."""
    return [i18n.note_text(n) for n in ev.notes]
