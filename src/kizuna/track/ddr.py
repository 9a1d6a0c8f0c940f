"""DDR reintegration analyses: time to re-recruitment, the share reached at each wave, and the IDDRS
dimensions per wave. Pure functions on the persons and waves frames of :func:`kizuna.track.ddr_store.load`
(no I/O).

Definitions (also in ``docs/track-ddr.md``):

* **Event.** Re-recruitment: a wave at which the person was seen and reported *re-recruited* into an
  armed group or *rearmed*. Its time is the first such wave (months since entry): re-recruitment happened
  between two waves, and the usual panel convention takes the wave it is first observed at
  (:func:`kizuna.track.survival.from_waves`).
* **Lost to follow-up** is censored at the last wave the person was seen without the event, or at 0 when
  never seen after entry; it is never counted as a success. A person with no wave row at all is lost from
  the first wave on.
* **Death** is treated as censoring at the last wave the person was seen alive without the event. A person
  who died can no longer be re-recruited, so the Kaplan–Meier curve then estimates re-recruitment in the
  absence of death (a cause-specific view). We chose it over a competing-risks (Aalen–Johansen) cumulative
  incidence because the question programmes ask is "of those who can return to arms, how many do", and
  because deaths of ex-combatants are often themselves violent and unverifiable as "not re-recruited";
  deaths are counted per wave in the security dimension so that they are never hidden. Where deaths are
  many, 1 − S(t) overstates the share re-recruited and the cumulative incidence would be the better figure.
* **Dimensions** follow UN IDDRS 4.30 *Reintegration* (Integrated DDR Standards, 2019 revision):
  economic (employment, income), social (community acceptance, housing), political (participation),
  security (re-recruitment or rearming, arrest, death) and psychosocial (WHO-5, PHQ-9, K6 scored by
  :mod:`kizuna.measure.instruments`).
* **Small cells.** Every breakdown follows measure's disclosure rule (:mod:`kizuna.measure.disclosure`):
  a group of fewer than ``min_cell`` (10) persons is withheld, and when exactly one group of a breakdown
  is withheld, the next-smallest is withheld too (the whole minus the others would give it back: at-risk
  and event counts add up). An indicator answered by fewer than ``min_cell`` persons is withheld.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from kizuna.i18n import N_
from kizuna.measure.disclosure import DEFAULT_MIN_CELL, Cell, suppress
from kizuna.track.survival import from_waves, kaplan_meier, logrank, share_at_waves

BREAKDOWNS = ("sex", "area", "cohort", "programme")
ALL = "all"
MIN_CELL = DEFAULT_MIN_CELL

DIMENSIONS = {
    "economic": N_("Economic"),
    "social": N_("Social"),
    "political": N_("Political"),
    "security": N_("Security"),
    "psychosocial": N_("Psychosocial"),
}
# outcome -> (dimension, label, how it is summarised)
OUTCOMES: dict[str, tuple[str, str, str]] = {
    "employed": ("economic", N_("Employed (share)"), "share"),
    "income": ("economic", N_("Mean monthly income (local currency)"), "mean"),
    "accepted": ("social", N_("Accepted by the community (share)"), "share"),
    "housing": ("social", N_("Stable housing (share)"), "share"),
    "participation": ("political", N_("Took part in political life (share)"), "share"),
    "rerecruited_or_rearmed": ("security", N_("Re-recruited or rearmed at this wave (share)"), "share"),
    "arrested": ("security", N_("Arrested (share)"), "share"),
    "died": ("security", N_("Died (share of those seen)"), "share"),
    "who5_pct": ("psychosocial", N_("WHO-5 well-being (mean, 0-100)"), "mean"),
    "phq9_score": ("psychosocial", N_("PHQ-9 depression (mean, 0-27)"), "mean"),
    "k6_score": ("psychosocial", N_("K6 distress (mean, 0-24)"), "mean"),
}


def _pid() -> pl.Expr:
    return pl.concat_str(pl.col("programme"), pl.lit("\x00"), pl.col("person")).alias("_pid")


def status_table(persons: pl.DataFrame, waves: pl.DataFrame) -> pl.DataFrame:
    """One row per person and wave with ``status`` ``ok``, ``event`` or ``lost`` (the input of
    :func:`kizuna.track.survival.from_waves`), and the breakdown columns.

    seen with re-recruitment or rearming -> ``event``; seen and died -> ``lost`` (censored at the last
    wave seen alive, see the module docstring); seen -> ``ok``; lost -> ``lost``. A person with no wave row
    gets one ``lost`` row at the first wave month of the data (0 when there are no waves).
    """
    attrs = persons.select(_pid(), *BREAKDOWNS)
    if waves.height:
        w = waves.select(
            _pid(),
            pl.col("wave_month").cast(pl.Float64),
            pl.when(pl.col("status") == "lost")
            .then(pl.lit("lost"))
            .when(pl.col("rerecruited").fill_null(False) | pl.col("rearmed").fill_null(False))
            .then(pl.lit("event"))
            .when(pl.col("died").fill_null(False))
            .then(pl.lit("lost"))
            .otherwise(pl.lit("ok"))
            .alias("status"),
        )
        first = float(w.get_column("wave_month").min())  # type: ignore[arg-type]
    else:
        w = pl.DataFrame(schema={"_pid": pl.String, "wave_month": pl.Float64, "status": pl.String})
        first = 0.0
    unseen = attrs.join(w.select("_pid").unique(), on="_pid", how="anti").select(
        "_pid", pl.lit(first).alias("wave_month"), pl.lit("lost").alias("status")
    )
    return pl.concat([w, unseen]).join(attrs, on="_pid", how="inner").sort("_pid", "wave_month")


def _hidden(sizes: dict[str, int], total: int, min_cell: int, breakdown: str) -> dict[str, str]:
    """Withheld groups of one breakdown: {group: "primary" | "complementary"} (measure's rule)."""
    if breakdown == ALL:
        return {ALL: "primary"} if 0 < total < min_cell else {}
    cells = [Cell((breakdown,), str(g), n) for g, n in sizes.items()]
    decided = suppress(cells, min_cell, {(breakdown,): total})
    hidden = {c.label: why for c, why in decided.items()}
    if 0 < total < min_cell:  # the whole is withheld: so is every part of it
        hidden = dict.fromkeys(sizes, "primary")
    return hidden


def _groups(people: pl.DataFrame, breakdown: str) -> pl.Series:
    if breakdown == ALL:
        return pl.Series("group", [ALL] * people.height, dtype=pl.String)
    return people.get_column(breakdown).cast(pl.String).fill_null("unknown").alias("group")


@dataclass(frozen=True)
class Survival:
    """Kaplan–Meier curves, log-rank tests and group sizes of one or more breakdowns.

    ``curves``: breakdown, group, time, at_risk, events, censored, survival, se, lo, hi (withheld groups
    left out). ``tests``: breakdown, groups, statistic, df, p (over the groups shown). ``groups``: breakdown,
    group, persons, re_recruited, censored, suppressed (counts blank where withheld).
    """

    curves: pl.DataFrame
    tests: pl.DataFrame
    groups: pl.DataFrame


def survival(
    persons: pl.DataFrame,
    waves: pl.DataFrame,
    breakdowns: tuple[str, ...] = (ALL,),
    *,
    min_cell: int = MIN_CELL,
    alpha: float = 0.05,
) -> Survival:
    """Time to re-recruitment (months since entry) by breakdown (``all``, ``sex``, ``area``, ``cohort``,
    ``programme``): Kaplan–Meier with Greenwood intervals (:func:`kizuna.track.survival.kaplan_meier`) and
    a log-rank test between the groups shown (:func:`kizuna.track.survival.logrank`)."""
    people = from_waves(status_table(persons, waves), person="_pid", by=list(BREAKDOWNS))
    curves: list[pl.DataFrame] = []
    tests: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    for b in breakdowns:
        g = _groups(people, b)
        frame = people.with_columns(g)
        sizes = dict(frame.group_by("group").len().iter_rows())
        hidden = _hidden(sizes, people.height, min_cell, b)
        counts = frame.group_by("group").agg(
            pl.len().alias("persons"), pl.col("event").sum().cast(pl.Int64).alias("re_recruited")
        )
        for label, n, ev in counts.sort("group").iter_rows():
            shown = label not in hidden
            groups.append(
                {
                    "breakdown": b,
                    "group": label,
                    "persons": n if shown else None,
                    "re_recruited": ev if shown else None,
                    "censored": n - ev if shown else None,
                    "suppressed": not shown,
                }
            )
        kept = frame.filter(~pl.col("group").is_in(list(hidden)))
        if kept.height == 0:
            continue
        km = kaplan_meier(kept["duration"], kept["event"], groups=kept["group"], alpha=alpha)
        curves.append(
            km.rename({"time": "months"})
            .with_columns(pl.lit(b).alias("breakdown"))
            .select("breakdown", pl.all().exclude("breakdown"))
        )
        if b != ALL and kept.get_column("group").n_unique() >= 2:
            lr = logrank(kept["duration"], kept["event"], kept["group"])
            tests.append(
                {
                    "breakdown": b,
                    "groups_compared": len(lr.groups),
                    "chi_square": lr.statistic,
                    "degrees_of_freedom": lr.df,
                    "p_value": lr.p,
                }
            )
    curve_schema = {
        "breakdown": pl.String,
        "group": pl.String,
        "months": pl.Float64,
        "at_risk": pl.Int64,
        "events": pl.Int64,
        "censored": pl.Int64,
        "survival": pl.Float64,
        "se": pl.Float64,
        "lo": pl.Float64,
        "hi": pl.Float64,
    }
    out = pl.concat([c.cast(curve_schema) for c in curves]) if curves else pl.DataFrame(schema=curve_schema)  # type: ignore[arg-type]
    return Survival(
        out,
        pl.DataFrame(
            tests,
            schema={
                "breakdown": pl.String,
                "groups_compared": pl.Int64,
                "chi_square": pl.Float64,
                "degrees_of_freedom": pl.Int64,
                "p_value": pl.Float64,
            },
        ),
        pl.DataFrame(
            groups,
            schema={
                "breakdown": pl.String,
                "group": pl.String,
                "persons": pl.Int64,
                "re_recruited": pl.Int64,
                "censored": pl.Int64,
                "suppressed": pl.Boolean,
            },
        ),
    )


def wave_shares(
    persons: pl.DataFrame, waves: pl.DataFrame, breakdowns: tuple[str, ...] = (ALL,), *, min_cell: int = MIN_CELL
) -> pl.DataFrame:
    """The share re-recruited by each wave, with its denominator (:func:`kizuna.track.survival.share_at_waves`):
    breakdown, group, wave, persons, seen, lost, reached, share, suppressed. ``seen`` counts persons with
    the event by then or seen at that wave without it; the lost and the dead are out of the denominator and
    never counted as successes."""
    st = status_table(persons, waves)
    total = persons.height
    parts = []
    for b in breakdowns:
        frame = st.with_columns(_groups(st, b))
        sizes = dict(frame.unique("_pid").group_by("group").len().iter_rows())
        hidden = _hidden(sizes, total, min_cell, b)
        sh = share_at_waves(frame, person="_pid", by=["group"])
        hide = pl.col("group").is_in(list(hidden))
        parts.append(
            sh.with_columns(
                pl.lit(b).alias("breakdown"),
                *[
                    pl.when(hide).then(None).otherwise(pl.col(c)).alias(c)
                    for c in ("persons", "seen", "lost", "reached", "share")
                ],
                hide.alias("suppressed"),
            ).select("breakdown", "group", "wave", "persons", "seen", "lost", "reached", "share", "suppressed")
        )
    return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()


def indicators(
    persons: pl.DataFrame, waves: pl.DataFrame, breakdowns: tuple[str, ...] = (ALL,), *, min_cell: int = MIN_CELL
) -> pl.DataFrame:
    """Per breakdown, group, wave and outcome: ``seen`` (persons seen at that wave), ``n`` (those who
    answered) and ``value`` — a share (yes / answered) or a mean (:data:`OUTCOMES`). Withheld: groups by
    the disclosure rule, and any value answered by fewer than ``min_cell`` persons."""
    seen = (
        waves.filter(pl.col("status") == "seen")
        .with_columns(
            pl.when(pl.col("rerecruited").is_null() & pl.col("rearmed").is_null())
            .then(None)
            .otherwise(pl.col("rerecruited").fill_null(False) | pl.col("rearmed").fill_null(False))
            .alias("rerecruited_or_rearmed")
        )
        .join(
            persons.select("programme", "person", *[b for b in BREAKDOWNS if b != "programme"]),
            on=["programme", "person"],
            how="inner",
        )
    )
    parts: list[pl.DataFrame] = []
    for b in breakdowns:
        frame = persons.with_columns(_groups(persons, b))
        hidden = _hidden(dict(frame.group_by("group").len().iter_rows()), persons.height, min_cell, b)
        s = seen.with_columns(_groups(seen, b))
        aggs = [pl.len().alias("seen")]
        for outcome in OUTCOMES:
            col = pl.col(outcome).cast(pl.Float64)
            aggs.append(col.count().alias(f"{outcome}__n"))
            aggs.append(col.mean().alias(f"{outcome}__v"))
        wide = s.group_by("group", "wave_month").agg(aggs)
        for outcome, (dim, _label, _how) in OUTCOMES.items():
            hide = pl.col("group").is_in(list(hidden)) | (pl.col(f"{outcome}__n") < min_cell)
            parts.append(
                wide.select(
                    pl.lit(b).alias("breakdown"),
                    "group",
                    pl.col("wave_month").alias("wave"),
                    pl.lit(dim).alias("dimension_code"),
                    pl.lit(outcome).alias("outcome_code"),
                    pl.when(pl.col("group").is_in(list(hidden)))
                    .then(None)
                    .otherwise(pl.col("seen"))
                    .cast(pl.Int64)
                    .alias("seen"),
                    pl.when(hide).then(None).otherwise(pl.col(f"{outcome}__n")).cast(pl.Int64).alias("answered"),
                    pl.when(hide).then(None).otherwise(pl.col(f"{outcome}__v")).alias("value"),
                    hide.alias("suppressed"),
                )
            )
    schema = {
        "breakdown": pl.String,
        "group": pl.String,
        "wave": pl.Float64,
        "dimension_code": pl.String,
        "outcome_code": pl.String,
        "seen": pl.Int64,
        "answered": pl.Int64,
        "value": pl.Float64,
        "suppressed": pl.Boolean,
    }
    if not parts:
        return pl.DataFrame(schema=schema)
    order = {k: i for i, k in enumerate(OUTCOMES)}
    out = pl.concat([p.cast(schema) for p in parts])  # type: ignore[arg-type]
    return (
        out.with_columns(pl.col("outcome_code").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        .sort("breakdown", "group", "wave", "_o")
        .drop("_o")
    )


def named(table: pl.DataFrame) -> pl.DataFrame:
    """``indicators`` with the dimension and outcome named in the language of the moment (for people)."""
    from kizuna.i18n import gettext

    dims = {k: gettext(v) for k, v in DIMENSIONS.items()}
    outs = {k: gettext(v[1]) for k, v in OUTCOMES.items()}
    return table.with_columns(
        pl.col("dimension_code").replace_strict(dims, default=pl.col("dimension_code")).alias("dimension_name"),
        pl.col("outcome_code").replace_strict(outs, default=pl.col("outcome_code")).alias("outcome_name"),
    )
