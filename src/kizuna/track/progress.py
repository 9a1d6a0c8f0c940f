"""Progress toward targets, periods missing an actual, and the roll-up across agencies (pure: no I/O).

Input: one row per indicator period as :func:`kizuna.track.results_store.indicator_periods` returns it
(IATI results and indicator tables alike; see :data:`PERIOD_SCHEMA`). Values arrive as text as written
(``baseline``, ``target``, ``actual``); numbers are read from them here.

**Progress** (share of the targeted change achieved), for baseline *b*, target *t* and actual *a*::

    progress = (a - b) / (t - b)

the "percentage of target achieved" of results-based management, measured from the baseline: the
UNDG Results-Based Management Handbook (2011, section 3: an indicator is read against its baseline and
target) and IATI's guidance on results (``result/indicator/baseline`` and ``period/target``,
https://iatistandard.org/en/guidance/standard-guidance/results/). The same formula serves descending
indicators: with *t* < *b* both the numerator and the denominator are negative when things improve
(baseline 40, target 20, actual 30: (30 - 40) / (20 - 40) = 50 %). Over-achievement gives more than
100 %; moving away from the target gives less than 0 %.

- No baseline: *b* = 0 for an ascending indicator (said in the ``note`` column); a descending one
  without a baseline has no progress (``no_baseline``): its starting point is unknown.
- *t* = *b* (no change targeted, "maintain"): never divided by zero; the period is ``achieved`` when the
  actual is on the right side of the target (at or above it for ascending, at or below for
  descending), else ``not_achieved``; progress stays empty.
- Percentages and ratios are compared as they are, in points (45 % to 60 % is a change of 15 points),
  never re-scaled.
- Ordinal measures (IATI measure 4) are compared with the target (``achieved`` / ``not_achieved``) but
  get no percentage: the distance between ranks is not a quantity. Nominal (3) and qualitative (5)
  indicators, and text values, are listed (``listed``), never averaged or summed.
- Direction unknown (a table without a direction column) is ascending, IATI's default
  (``result/indicator/@ascending`` defaults to 1); with a baseline the formula does not depend on it.

Output tables name the measure ``indicator_measure`` (``measure`` is the survey part's word).

**Missing actuals**: a period whose end is before the ``as_of`` date with no actual value.

**Roll-up** across agencies (:func:`rollup`): only indicators that share a reference code (vocabulary +
code), a measure that can be added (``unit``: counts and amounts) and the same unit are summed, per
calendar year of the period's end; progress of the sums by the same formula. Everything else is listed
with the reason it was not rolled up (:data:`NOT_ROLLED_REASONS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from kizuna.i18n import N_

PERIOD_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "source": pl.String,  # 'iati' | 'table'
    "org": pl.String,
    "activity_id": pl.String,
    "activity_title": pl.String,
    "indicator_key": pl.String,  # one indicator of one activity (and organisation)
    "vocabulary": pl.String,
    "indicator_code": pl.String,
    "indicator_title": pl.String,
    "unit": pl.String,
    "measure": pl.String,  # unit | percentage | ratio | nominal | ordinal | qualitative
    "ascending": pl.Boolean,
    "aggregable": pl.Boolean,
    "disaggregation": pl.String,
    "area": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "baseline": pl.String,
    "target": pl.String,
    "actual": pl.String,
}

STATUSES = {
    "achieved": N_("target reached or exceeded"),
    "partial": N_("part of the targeted change achieved"),
    "no_change": N_("no change from the baseline yet"),
    "worse": N_("moved away from the target"),
    "not_achieved": N_("target not reached"),
    "no_actual": N_("no actual value yet"),
    "no_target": N_("no numeric target"),
    "no_baseline": N_("descending indicator without a baseline: progress unknown"),
    "listed": N_("qualitative, nominal or text value: listed, never averaged"),
}
STATUS_LABELS = {
    "achieved": N_("Achieved"),
    "partial": N_("Partly achieved"),
    "no_change": N_("No change"),
    "worse": N_("Moved away"),
    "not_achieved": N_("Not achieved"),
    "no_actual": N_("No actual yet"),
    "no_target": N_("No numeric target"),
    "no_baseline": N_("No baseline"),
    "listed": N_("Listed (not numeric)"),
}
MEASURE_LABELS = {
    "unit": N_("Number"),
    "percentage": N_("Percentage"),
    "ratio": N_("Ratio"),
    "nominal": N_("Nominal"),
    "ordinal": N_("Ordinal"),
    "qualitative": N_("Qualitative"),
}
NOTES = {
    "baseline_zero": N_("no baseline: 0 assumed (ascending)"),
    "no_change_targeted": N_("target equals baseline: achieved or not, no percentage"),
    "against_direction": N_("the target lies against the indicator's direction"),
    "ordinal": N_("ordinal: compared with the target, no percentage"),
}
NOT_ROLLED_REASONS = {
    "no_reference_code": N_("no reference code (vocabulary and code) to match other agencies' indicators on"),
    "own_vocabulary": N_("the code is the organisation's own (IATI vocabulary 99): it means nothing across agencies"),
    "not_summable": N_("percentages, ratios, ordinal, nominal and qualitative values cannot be added up"),
    "not_for_aggregation": N_("the publisher marked this result as not suitable for aggregation"),
    "mixed_units": N_("indicators with this reference code have different units or measures"),
    "mixed_directions": N_("indicators with this reference code point in different directions"),
    "disaggregated": N_("a disaggregated row: the roll-up adds the totals only"),
    "no_values": N_("no numeric target and actual in the same period"),
    "no_baseline": N_("descending indicator without a baseline"),
}
NUMERIC = ("unit", "percentage", "ratio")
PROGRESS_COLUMNS = [
    "source",
    "org",
    "activity_id",
    "indicator_title",
    "vocabulary",
    "indicator_code",
    "measure",
    "unit",
    "ascending",
    "disaggregation",
    "area",
    "period_start",
    "period_end",
    "baseline",
    "target",
    "actual",
    "change",
    "progress_pct",
    "status",
    "missing_actual",
    "note",
]


def empty_periods() -> pl.DataFrame:
    return pl.DataFrame(schema=PERIOD_SCHEMA)


def _num(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().cast(pl.Float64, strict=False)


def progress(periods: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Each indicator period with its change, progress (in percent of the targeted change), status
    (:data:`STATUSES`), whether its actual is missing after it ended (before ``as_of``) and a note
    (:data:`NOTES`). See the module's docstring for the rules and their sources."""
    df = periods.with_columns(_num("baseline").alias("_b"), _num("target").alias("_t"), _num("actual").alias("_a"))
    asc = pl.col("ascending").fill_null(True)
    numeric = pl.col("measure").is_in(NUMERIC)
    ordinal = pl.col("measure") == "ordinal"
    listed = ~(numeric | ordinal) | (pl.col("actual").is_not_null() & pl.col("_a").is_null())
    b_zero = pl.col("_b").is_null() & asc & numeric
    df = df.with_columns(
        pl.when(b_zero).then(0.0).otherwise(pl.col("_b")).alias("_bu"),
        listed.alias("_listed"),
        b_zero.alias("_bzero"),
    )
    b, t, a = pl.col("_bu"), pl.col("_t"), pl.col("_a")
    on_side = pl.when(asc).then(a >= t).otherwise(a <= t)
    p = (a - b) / (t - b)
    status = (
        pl.when(pl.col("_listed"))
        .then(pl.lit("listed"))
        .when(t.is_null())
        .then(pl.lit("no_target"))
        .when(a.is_null())
        .then(pl.lit("no_actual"))
        .when(ordinal)
        .then(pl.when(on_side).then(pl.lit("achieved")).otherwise(pl.lit("not_achieved")))
        .when(b.is_null())
        .then(pl.lit("no_baseline"))
        .when(t == b)
        .then(pl.when(on_side).then(pl.lit("achieved")).otherwise(pl.lit("not_achieved")))
        .when(p >= 1)
        .then(pl.lit("achieved"))
        .when(p > 0)
        .then(pl.lit("partial"))
        .when(p == 0)
        .then(pl.lit("no_change"))
        .otherwise(pl.lit("worse"))
    )
    computable = ~pl.col("_listed") & numeric & t.is_not_null() & a.is_not_null() & b.is_not_null()
    against = (
        pl.col("ascending").is_not_null()
        & b.is_not_null()
        & t.is_not_null()
        & (pl.when(asc).then(t < b).otherwise(t > b))
    )
    note = pl.concat_str(
        [
            pl.when(pl.col("_bzero") & ~pl.col("_listed")).then(pl.lit("baseline_zero")),
            pl.when(computable & (t == b)).then(pl.lit("no_change_targeted")),
            pl.when(against & ~pl.col("_listed")).then(pl.lit("against_direction")),
            pl.when(ordinal & ~pl.col("_listed")).then(pl.lit("ordinal")),
        ],
        separator=";",
        ignore_nulls=True,
    )
    out = df.with_columns(
        pl.when(computable).then(a - b).alias("change"),
        pl.when(computable & (t != b)).then(p * 100.0).alias("progress_pct"),
        status.alias("status"),
        (pl.col("actual").is_null() & (pl.col("period_end") < pl.lit(as_of))).alias("missing_actual"),
        pl.when(note == "").then(None).otherwise(note).alias("note"),
    )
    return out.select(PROGRESS_COLUMNS).rename({"measure": "indicator_measure"})


def missing_actuals(progress_rows: pl.DataFrame) -> pl.DataFrame:
    """The periods that ended (before the as-of date) without an actual value, oldest first."""
    return progress_rows.filter(pl.col("missing_actual")).sort("period_end", "org", "indicator_title", nulls_last=True)


@dataclass
class Rollup:
    """Sums per shared reference code, unit and year (``rolled``), and every indicator left out with
    its reason (``not_rolled``: one row per indicator and reason)."""

    rolled: pl.DataFrame
    not_rolled: pl.DataFrame


ROLLED_COLUMNS = [
    "vocabulary",
    "indicator_code",
    "unit",
    "year",
    "ascending",
    "n_orgs",
    "n_indicators",
    "n_periods",
    "orgs",
    "baseline_sum",
    "target_sum",
    "actual_sum",
    "progress_pct",
]
NOT_ROLLED_COLUMNS = [
    "source",
    "org",
    "activity_id",
    "indicator_title",
    "vocabulary",
    "indicator_code",
    "measure",
    "unit",
    "n_periods",
    "reason",
]


def rollup(periods: pl.DataFrame) -> Rollup:
    """Roll indicator periods up across agencies where that is sound (see the module's docstring).

    Rows of an indicator table that break a total down (a disaggregation) are left out; areas are parts
    of a whole: an indicator period with a row for no area uses that row, otherwise its areas' rows are
    added. Within a reference code, a baseline left out counts as 0 for ascending indicators."""
    df = periods.with_columns(_num("baseline").alias("_b"), _num("target").alias("_t"), _num("actual").alias("_a"))
    period_key = ["indicator_key", "period_start", "period_end"]
    if df.get_column("area").null_count() < df.height:  # some rows name an area: find the periods with a total row
        totals = (
            df.filter(pl.col("area").is_null())
            .select(period_key)
            .unique()
            .with_columns(pl.lit(True).alias("_has_total"))
        )
        df = df.join(totals, on=period_key, how="left", nulls_equal=True)
    else:
        df = df.with_columns(pl.lit(True).alias("_has_total"))
    keep_area = pl.col("area").is_null() | ~pl.col("_has_total").fill_null(False)
    has_ref = pl.col("vocabulary").is_not_null() & pl.col("indicator_code").is_not_null()
    reason = (
        pl.when(pl.col("disaggregation").is_not_null())
        .then(pl.lit("disaggregated"))
        .when(~has_ref)
        .then(pl.lit("no_reference_code"))
        .when(pl.col("vocabulary") == "99")
        .then(pl.lit("own_vocabulary"))
        .when(pl.col("aggregable") == False)  # noqa: E712 — a null (not said) is no refusal
        .then(pl.lit("not_for_aggregation"))
        .when(pl.col("measure") != "unit")
        .then(pl.lit("not_summable"))
    )
    df = df.filter(keep_area | pl.col("disaggregation").is_not_null()).with_columns(reason.alias("reason"))
    ref = ["vocabulary", "indicator_code"]
    cand = df.filter(pl.col("reason").is_null())
    mixed = cand.group_by(ref).agg(
        (pl.col("unit").fill_null("").n_unique() > 1).alias("_mu"),
        (pl.col("ascending").fill_null(True).n_unique() > 1).alias("_md"),
    )
    cand = cand.join(mixed, on=ref, how="left").with_columns(
        pl.when(pl.col("_mu"))
        .then(pl.lit("mixed_units"))
        .when(pl.col("_md"))
        .then(pl.lit("mixed_directions"))
        .when(pl.col("_t").is_null() | pl.col("_a").is_null())
        .then(pl.lit("no_values"))
        .when(pl.col("_b").is_null() & (pl.col("ascending") == False))  # noqa: E712
        .then(pl.lit("no_baseline"))
        .alias("reason")
    )
    good = cand.filter(pl.col("reason").is_null())
    rolled = (
        good.with_columns(pl.col("period_end").dt.year().alias("year"), pl.col("_b").fill_null(0.0))
        .group_by([*ref, "unit", "year"])
        .agg(
            pl.col("ascending").fill_null(True).first().alias("ascending"),
            pl.col("org").n_unique().alias("n_orgs"),
            pl.col("indicator_key").n_unique().alias("n_indicators"),
            pl.len().alias("n_periods"),
            pl.col("org").unique().sort().str.join("; ").alias("orgs"),
            pl.col("_b").sum().alias("baseline_sum"),
            pl.col("_t").sum().alias("target_sum"),
            pl.col("_a").sum().alias("actual_sum"),
        )
        .with_columns(
            pl.when(pl.col("target_sum") != pl.col("baseline_sum"))
            .then(
                (pl.col("actual_sum") - pl.col("baseline_sum")) / (pl.col("target_sum") - pl.col("baseline_sum")) * 100
            )
            .alias("progress_pct")
        )
        .sort(*ref, "unit", "year", nulls_last=True)
        .select(ROLLED_COLUMNS)
    )
    left = pl.concat(
        [
            df.filter(pl.col("reason").is_not_null()).select(*NOT_ROLLED_COLUMNS[:-2], "indicator_key", "reason"),
            cand.filter(pl.col("reason").is_not_null()).select(*NOT_ROLLED_COLUMNS[:-2], "indicator_key", "reason"),
        ]
    )
    # in the order the periods came (by organisation and activity), grouped by reason
    not_rolled = (
        left.group_by("indicator_key", "reason", maintain_order=True)
        .agg(*(pl.col(c).first() for c in NOT_ROLLED_COLUMNS[:-2]), pl.len().alias("n_periods"))
        .sort(pl.col("reason").cast(pl.Enum(list(NOT_ROLLED_REASONS))), maintain_order=True)
        .select(NOT_ROLLED_COLUMNS)
        .rename({"measure": "indicator_measure"})
    )
    return Rollup(rolled, not_rolled)
