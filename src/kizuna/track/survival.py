"""Time to an event with people lost to follow-up: Kaplan–Meier curves, Greenwood intervals, log-rank tests.

Built for DDR reintegration cohorts (issue 14): "time to re-recruitment" measured in months since
demobilisation, observed at follow-up waves (for example 3, 6, 12 and 24 months). A person lost to
follow-up is *censored* at the last wave they were seen, never counted as a success.

Wave data are interval-censored in truth (re-recruitment happened somewhere between two waves); we use
the usual convention for panel follow-up: the event time is the wave at which re-recruitment is first
observed, and a lost person is right-censored at the last wave with a status. ``from_waves`` applies it.

All functions are pure (no I/O), vectorised with numpy, and return polars frames or dataclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from kizuna.errors import InputError, Where
from kizuna.i18n import N_

STATUSES = ("ok", "event", "lost")
_DENSE_CELLS = 2_000_000  # largest groups x distinct-times grid counted densely (16 MB per float array)


def _as_float(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            "track.not_numeric",
            N_("{name} must be numbers"),
            Where(field=name),
            hint=N_("give one number per person"),
            params={"name": name},
        ) from None
    if arr.ndim != 1:
        raise InputError(
            "track.not_1d",
            N_("{name} must be a flat list of values, one per person"),
            Where(field=name),
            params={"name": name},
        )
    return arr


def _check_survival_inputs(durations: Any, events: Any, groups: Any = None) -> tuple[np.ndarray, np.ndarray]:
    t = _as_float(durations, "durations")
    e = _as_float(events, "events")
    if t.size == 0:
        raise InputError(
            "track.empty",
            N_("there are no people to analyse"),
            Where(field="durations"),
            hint=N_("give at least one person"),
        )
    if e.size != t.size or (groups is not None and len(groups) != t.size):
        raise InputError(
            "track.length_mismatch",
            N_("durations, events and groups must have one value per person ({n} durations, {m} events)"),
            Where(field="events"),
            params={"n": int(t.size), "m": int(e.size)},
        )
    bad = ~np.isfinite(t)
    if bad.any():
        raise InputError(
            "track.missing_duration",
            N_("a duration is missing or not finite (person {row})"),
            Where(row=int(np.argmax(bad)) + 1, field="durations"),
            hint=N_("drop the person or give the months since entry"),
            params={"row": int(np.argmax(bad)) + 1},
        )
    neg = t < 0
    if neg.any():
        raise InputError(
            "track.negative_duration",
            N_("a duration is negative (person {row})"),
            Where(row=int(np.argmax(neg)) + 1, field="durations"),
            hint=N_("durations are months since entry and cannot be below 0"),
            params={"row": int(np.argmax(neg)) + 1},
        )
    not01 = ~np.isin(e, (0.0, 1.0))
    if not01.any():
        raise InputError(
            "track.bad_event",
            N_("an event flag is not 0 or 1 (person {row})"),
            Where(row=int(np.argmax(not01)) + 1, field="events"),
            hint=N_("use 1 for the event observed and 0 for censored (lost or still followed)"),
            params={"row": int(np.argmax(not01)) + 1},
        )
    return t, e


def _factorise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each value's index among them, without sorting every person.

    Small non-negative whole numbers (wave months, group codes) are counted with ``bincount``; anything else has
    its distinct values hashed out (polars) and each value binary-searched among them."""
    if values.dtype.kind in "iubf" and values.size:
        lo, hi = values.min(), values.max()
        if lo >= 0 and hi <= 4 * values.size + 64:
            whole = values.astype(np.int64)
            if values.dtype.kind != "f" or np.array_equal(whole, values):
                present = np.bincount(whole, minlength=int(hi) + 1) > 0
                position = np.cumsum(present) - 1
                return np.flatnonzero(present).astype(values.dtype), position[whole]
    uniq = np.sort(pl.Series(values).unique().to_numpy())
    return uniq, np.searchsorted(uniq, values).astype(np.int64)


def _group_codes(groups: Any, n: int) -> tuple[np.ndarray, list[Any]]:
    if groups is None:
        return np.zeros(n, dtype=np.int64), [None]
    if isinstance(groups, np.ndarray) and groups.dtype.kind in "iub":
        uniq, codes = _factorise(groups)
        return codes, uniq.tolist()
    if isinstance(groups, pl.Series):
        series = groups
    else:
        series = pl.Series("group", groups if isinstance(groups, np.ndarray) else list(groups))
    if series.null_count():
        row = int(series.is_null().arg_max() or 0) + 1
        raise InputError(
            "track.missing_group",
            N_("a group is missing (person {row})"),
            Where(row=row, field="groups"),
            hint=N_("give every person a group, or a label such as 'unknown'"),
            params={"row": row},
        )
    labels = series.unique().sort()
    coded = series.replace_strict(labels, pl.int_range(labels.len(), eager=True), return_dtype=pl.Int64)
    return coded.to_numpy(), labels.to_list()


@dataclass(frozen=True)
class _Table:
    """The event table: one row per (group, distinct time), sorted by group then time."""

    group: np.ndarray  # group code per row
    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray


def _event_table(t: np.ndarray, e: np.ndarray, codes: np.ndarray, n_groups: int) -> _Table:
    times, t_idx = _factorise(t)
    m = times.size
    if n_groups * m <= _DENSE_CELLS:
        # dense: counts on a groups x times grid by bincount, at risk by reverse cumulative sums along time
        key = codes * m + t_idx
        count = np.bincount(key, minlength=n_groups * m).reshape(n_groups, m)
        dead = np.bincount(key, weights=e, minlength=n_groups * m).reshape(n_groups, m)
        at_risk = np.cumsum(count[:, ::-1], axis=1)[:, ::-1]
        keep = (count > 0).ravel()
        group = np.repeat(np.arange(n_groups), m)[keep]
        d = dead.ravel()[keep].astype(np.int64)
        c = count.ravel()[keep]
        return _Table(group, np.tile(times, n_groups)[keep], at_risk.ravel()[keep], d, c - d)
    # sparse (many groups x many distinct times): one sort of (group, time) and run boundaries
    order = np.lexsort((t_idx, codes))
    ts, gs, es = t_idx[order], codes[order], e[order]
    start = np.empty(ts.size, dtype=bool)
    start[0] = True
    start[1:] = (ts[1:] != ts[:-1]) | (gs[1:] != gs[:-1])
    idx = np.flatnonzero(start)
    counts = np.diff(np.append(idx, ts.size))
    events = np.add.reduceat(es, idx).astype(np.int64)
    group = gs[idx]
    cum = np.cumsum(counts)
    group_end = np.zeros(n_groups, dtype=np.int64)
    np.maximum.at(group_end, group, cum)
    at_risk = group_end[group] - cum + counts
    return _Table(group, times[ts[idx]], at_risk.astype(np.int64), events, (counts - events).astype(np.int64))


def _within_group_cumsum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    # One cumsum per group segment: a global cumsum minus offsets would turn -inf (a curve reaching 0) into NaN
    # for the groups after it. Groups are few (cohorts, areas, sexes), so the loop is over segments, not rows.
    out = np.empty_like(values)
    bounds = np.flatnonzero(np.diff(group)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, group.size], strict=True):
        out[lo:hi] = np.cumsum(values[lo:hi])
    return out


def kaplan_meier(
    durations: Any,
    events: Any,
    *,
    groups: Any = None,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Kaplan–Meier survival curves with Greenwood standard errors and confidence intervals.

    ``durations`` are times since entry (months for DDR follow-up), ``events`` 1 when the event (re-recruitment)
    was observed at that time and 0 when the person was censored then (lost to follow-up, or still followed at
    the end). ``groups`` (optional) gives each person's cohort/area/sex/programme label; curves are estimated
    separately per group.

    Returns one row per group and distinct observed time (events or censorings), sorted by group then time:
    ``group`` (only when ``groups`` is given), ``time``, ``at_risk`` (n_j, people with time >= t_j), ``events``
    (d_j), ``censored``, ``survival`` S(t_j) = prod_{t_i <= t_j} (1 - d_i / n_i) (Kaplan & Meier 1958),
    ``se`` the Greenwood (1926) standard error S(t) * sqrt(V(t)) with V(t) = sum_{t_i <= t} d_i / (n_i (n_i - d_i)),
    and ``lo``/``hi`` the (1 - alpha) interval on the log(-log) scale ("exponential Greenwood",
    Kalbfleisch & Prentice 2002, section 1.4)::

        lo, hi = exp(-exp(log(-log S) -/+ z * sqrt(V) / log S)),   z = Phi^-1(1 - alpha / 2)

    which stays inside [0, 1]. Conventions follow lifelines' ``KaplanMeierFitter`` (its default interval):
    where S = 1 the interval is [1, 1]; a time where everyone at risk has the event adds 0 to V and
    gives S = 0 with interval [0, 0]. Before the first time S = 1.
    """
    if not 0 < alpha < 1:
        raise InputError(
            "track.bad_alpha",
            N_("alpha must be between 0 and 1"),
            Where(field="alpha"),
            hint=N_("use 0.05 for 95% intervals"),
        )
    t, e = _check_survival_inputs(durations, events, groups)
    codes, labels = _group_codes(groups, t.size)
    tab = _event_table(t, e, codes, len(labels))
    n = tab.at_risk.astype(float)
    d = tab.events.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_step = np.log(n - d) - np.log(n)
        var_step = d / (n * (n - d))
    var_step[~np.isfinite(var_step)] = 0.0  # n == d: the curve drops to 0; lifelines adds 0
    log_s = _within_group_cumsum(log_step, tab.group)
    var = _within_group_cumsum(var_step, tab.group)
    surv = np.exp(log_s)
    z = float(stats.norm.ppf(1 - alpha / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        lls = np.log(-log_s)
        half = z * np.sqrt(var) / log_s
        lo = np.exp(-np.exp(lls - half))
        hi = np.exp(-np.exp(lls + half))
    lo[np.isnan(lo)] = 1.0
    hi[np.isnan(hi)] = 1.0
    columns: dict[str, Any] = {}
    if groups is not None:
        columns["group"] = pl.Series("group", labels).gather(tab.group)
    columns.update(
        time=tab.time,
        at_risk=tab.at_risk,
        events=tab.events,
        censored=tab.censored,
        survival=surv,
        se=surv * np.sqrt(var),
        lo=lo,
        hi=hi,
    )
    return pl.DataFrame(columns)


@dataclass(frozen=True)
class LogRank:
    """A k-group log-rank test: chi-square statistic, degrees of freedom, p-value, and O and E per group."""

    statistic: float
    df: int
    p: float
    groups: list[Any]
    observed: list[float]
    expected: list[float]


def logrank(durations: Any, events: Any, groups: Any) -> LogRank:
    """k-sample log-rank test that the survival curves of all groups are equal (Mantel 1966; Peto & Peto 1972).

    At each distinct event time t with n people at risk (n_g in group g) and d events:
    E_g += d n_g / n and Cov_gh += d (n - d) / (n - 1) * n_g / n * (delta_gh - n_h / n) (the hypergeometric
    covariance; the factor (n - d) / (n - 1) is taken as 1 when n = 1). The statistic is
    (O - E)' V^+ (O - E) over the first k - 1 groups (V^+ the pseudo-inverse), chi-square with k - 1
    degrees of freedom. Agrees with lifelines' ``multivariate_logrank_test`` (and ``logrank_test`` for 2 groups).
    """
    t, e = _check_survival_inputs(durations, events, groups)
    codes, labels = _group_codes(groups, t.size)
    k = len(labels)
    if k < 2:
        raise InputError(
            "track.one_group",
            N_("a log-rank test needs at least two groups"),
            Where(field="groups"),
            hint=N_("compare cohorts, areas, sexes or programmes with at least two values"),
        )
    times, t_idx = _factorise(t)
    m = times.size
    # at risk per (time, group): people of group g with time >= t, by reverse cumulative sums
    count = np.zeros((m, k))
    np.add.at(count, (t_idx, codes), 1.0)
    dead = np.zeros((m, k))
    np.add.at(dead, (t_idx, codes), e)
    n_g = np.cumsum(count[::-1], axis=0)[::-1]
    keep = dead.sum(axis=1) > 0
    n_g, dead = n_g[keep], dead[keep]
    n = n_g.sum(axis=1)
    d = dead.sum(axis=1)
    expected = (n_g * (d / n)[:, None]).sum(axis=0)
    observed = dead.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (n - d) / (n - 1)
    factor[~np.isfinite(factor)] = 1.0
    w = factor * d / n**2
    # V = sum_t w_t (n diag(n_g) - n_g n_g')
    cov = np.diag((w * n) @ n_g) - (n_g * w[:, None]).T @ n_g
    diff = (observed - expected)[:-1]
    stat = float(diff @ np.linalg.pinv(cov[:-1, :-1]) @ diff)
    df = k - 1
    return LogRank(stat, df, float(stats.chi2.sf(stat, df)), labels, observed.tolist(), expected.tolist())


def _wave_frame(table: pl.DataFrame, person: str, wave: str, status: str, by: Sequence[str]) -> pl.DataFrame:
    for col in (person, wave, status, *by):
        if col not in table.columns:
            raise InputError(
                "track.missing_column",
                N_("the wave table has no column {column!r}"),
                Where(field=col),
                hint=N_("a wave table has one row per person and wave: person, wave month and status"),
                params={"column": col},
            )
    df = table.select(
        pl.col(person).alias("_person"),
        pl.col(wave).cast(pl.Float64, strict=False).alias("_wave"),
        pl.col(status).cast(pl.Utf8).str.strip_chars().str.to_lowercase().alias("_status"),
        *[pl.col(c) for c in by],
    ).with_row_index("_row", offset=1)
    bad_wave = df.filter(pl.col("_wave").is_null() | pl.col("_wave").is_nan() | (pl.col("_wave") < 0))
    if bad_wave.height:
        row = int(bad_wave["_row"][0])
        raise InputError(
            "track.bad_wave",
            N_("a wave month is missing, not a number or negative (row {row})"),
            Where(row=row, field=wave),
            hint=N_("give the months since entry of each follow-up wave, such as 3, 6, 12 or 24"),
            params={"row": row},
        )
    bad_status = df.filter(~pl.col("_status").is_in(STATUSES) | pl.col("_status").is_null())
    if bad_status.height:
        row = int(bad_status["_row"][0])
        raise InputError(
            "track.bad_status",
            N_("a status is not one of ok, event, lost (row {row})"),
            Where(row=row, field=status),
            hint=N_("use ok (seen, no event), event (event observed) or lost (not reached at this wave)"),
            params={"row": row},
        )
    dup = df.filter(~pl.struct("_person", "_wave").is_first_distinct())  # name the repeat, not the first
    if dup.height:
        row = int(dup["_row"][0])
        raise InputError(
            "track.duplicate_wave",
            N_("a person has two rows for the same wave (row {row})"),
            Where(row=row, field=wave),
            hint=N_("keep one status per person and wave"),
            params={"row": row},
        )
    return df


def from_waves(
    table: pl.DataFrame,
    *,
    person: str = "person",
    wave: str = "wave_month",
    status: str = "status",
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Turn a per-person wave table into one row per person with ``duration`` and ``event`` for ``kaplan_meier``.

    ``status`` per wave is ``ok`` (seen, no event), ``event`` (event first observed, e.g. re-recruited) or ``lost``
    (not reached). Rules: the event time is the first wave with ``event`` (later rows are ignored); otherwise the
    person is censored (event 0) at the last wave with ``ok``, or at 0 (entry) when never seen after entry.
    Lost waves never count as events. Columns named in ``by`` (cohort, area, sex, programme) are carried over
    from each person's first row. Returns ``person``, ``duration`` (wave months), ``event`` and the ``by`` columns.
    """
    df = _wave_frame(table, person, wave, status, by)
    out = df.group_by("_person", maintain_order=True).agg(
        pl.col("_wave").filter(pl.col("_status") == "event").min().alias("_first_event"),
        pl.col("_wave").filter(pl.col("_status") == "ok").max().alias("_last_ok"),
        *[pl.col(c).sort_by("_wave").first() for c in by],
    )
    return out.select(
        pl.col("_person").alias("person"),
        pl.coalesce("_first_event", "_last_ok", pl.lit(0.0)).alias("duration"),
        pl.col("_first_event").is_not_null().cast(pl.Int8).alias("event"),
        *[pl.col(c) for c in by],
    )


def share_at_waves(
    table: pl.DataFrame,
    *,
    person: str = "person",
    wave: str = "wave_month",
    status: str = "status",
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """The share of people who have had the event by each wave, with its denominator.

    At wave w a person counts in the denominator ``seen`` if their event was observed at or before w, or their
    status at w is ``ok``. ``reached`` counts those with the event at or before w; ``share`` = reached / seen
    (null when nobody is seen). People ``lost`` at w (or with no row at w) and no earlier event are left out of
    the denominator and never counted as successes. ``persons`` is everyone in the table (by group); the
    follow-up rate is seen / persons. One row per (``by`` groups,) wave, sorted.
    """
    df = _wave_frame(table, person, wave, status, by)
    first = df.group_by("_person").agg(
        pl.col("_wave").filter(pl.col("_status") == "event").min().alias("_first_event"),
        *[pl.col(c).sort_by("_wave").first() for c in by],
    )
    waves = df.select(pl.col("_wave").unique().sort())
    grid = first.join(waves, how="cross").join(
        df.select("_person", "_wave", "_status"), on=["_person", "_wave"], how="left"
    )
    reached = pl.col("_first_event").is_not_null() & (pl.col("_first_event") <= pl.col("_wave"))
    grid = grid.with_columns(
        reached.alias("_reached"),
        (reached | (pl.col("_status") == "ok")).alias("_seen"),
    )
    keys = [*by, "_wave"]
    out = (
        grid.group_by(keys)
        .agg(
            pl.len().cast(pl.Int64).alias("persons"),
            pl.col("_seen").sum().cast(pl.Int64).alias("seen"),
            pl.col("_reached").sum().cast(pl.Int64).alias("reached"),
        )
        .with_columns(
            (pl.col("persons") - pl.col("seen")).alias("lost"),
            pl.when(pl.col("seen") > 0).then(pl.col("reached") / pl.col("seen")).alias("share"),
        )
        .rename({"_wave": "wave"})
        .sort([*by, "wave"])
    )
    return out.select(*by, "wave", "persons", "seen", "lost", "reached", "share")
