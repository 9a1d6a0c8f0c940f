"""The per-respondent table: one row per survey row with its instrument scores and classes (FCS,
rCSI, LCS, CARI, ...), its deprivations and deprivation score, for an M&E officer who targets
assistance household by household. Pure: no I/O.

Keys, never identifiers. The table is keyed by the respondent id columns the spec names in
``survey.id_columns`` *as the reader left them*: replaced by a keyed hash (HMAC-SHA256 with a key
made for that read and then forgotten; :mod:`kizuna.measure.readers`). With no id column in the
spec, the hashed Kobo/ODK submission ids are used; with none of either, the table is keyed by the
1-based data row only and a note says so. The ``row`` column is always there: whoever holds the
survey file can go back from a row to the household; the outputs alone cannot. No survey column is
copied except those hashed keys and the round: answers, names, phone numbers and every other
column stay out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from kizuna.i18n import N_, Said
from kizuna.measure.instruments import score
from kizuna.measure.run import deprivation
from kizuna.measure.spec import Spec

ROW = "row"
SCORE = "deprivation_score"
POOR = "poor"
DEPRIVED_PREFIX = "deprived_"
# poor iff c >= k/100 − this (the tolerance of kizuna.measure.af, as mpitb)
K_TOLERANCE = 1e-9


@dataclass
class RespondentTable:
    """The table, the key columns it carries (hashed tokens; empty when keyed by row number only)
    and the notes to show with it."""

    frame: pl.DataFrame
    keys: list[str]
    notes: list[str] = field(default_factory=list)


def key_columns(spec: Spec, hashed: list[str]) -> list[str]:
    """The hashed columns that key the table: the spec's ``survey.id_columns`` (all hashed on read),
    else the hashed Kobo/ODK submission ids, else none. A column that was not hashed is never a key."""
    from_spec = [c for c in spec.id_columns if c in hashed]
    if from_spec:
        return from_spec
    return [c for c in hashed if c not in spec.id_columns]


def respondent_table(frame: pl.DataFrame, spec: Spec, *, hashed: list[str], file: str | None = None) -> RespondentTable:
    """One row per row of ``frame`` (the survey as read, identifiers already hashed): ``row`` (1-based
    data row, header excluded), the hashed key columns, the round (``af.time``) when set, every
    instrument output ``<name>_<output>``, each indicator's deprivation as ``deprived_<indicator>``
    (1 deprived, 0 not, empty when missing), the weighted deprivation score
    c = Σ_j w_j·g0_j (0..1; empty when an indicator is missing, as such persons are dropped from
    the index) and ``poor`` (c ≥ k/100, Alkire & Foster 2011).
    """
    keys = key_columns(spec, hashed)
    notes: list[str] = []
    if not keys:
        notes.append(
            Said(
                N_(
                    "respondents.csv is keyed by row number: the spec names no respondent id column "
                    "(survey.id_columns) to hash"
                )
            )
        )
    cols: list[pl.Series] = [pl.Series(ROW, np.arange(1, frame.height + 1, dtype=np.int64))]
    cols += [frame.get_column(k) for k in keys]
    if spec.time and spec.time in frame.columns:
        cols.append(frame.get_column(spec.time))
    scored = frame
    for inst in spec.instruments:
        out = score(inst.kind, scored, inst.items, name=inst.name, options=inst.options, file=file)
        cols += out.get_columns()
        scored = scored.hstack([c for c in out.get_columns() if c.name not in scored.columns])
    if spec.indicators:
        g0 = np.column_stack([deprivation(scored.get_column(ind.column), ind, file) for ind in spec.indicators])
        w = np.array([spec.weights[ind.name] for ind in spec.indicators])
        for j, ind in enumerate(spec.indicators):
            cols.append(pl.Series(DEPRIVED_PREFIX + ind.name, g0[:, j]).fill_nan(None).cast(pl.Int8))
        c = g0 @ w  # NaN where any indicator is missing
        poor = np.where(np.isnan(c), np.nan, (c >= spec.k / 100 - K_TOLERANCE).astype(np.float64))
        cols.append(pl.Series(SCORE, c).fill_nan(None))
        cols.append(pl.Series(POOR, poor).fill_nan(None).cast(pl.Boolean))
    names: set[str] = set()
    unique = []
    for s in cols:
        if s.name not in names:  # an indicator column that is an instrument output is listed once
            names.add(s.name)
            unique.append(s)
    return RespondentTable(pl.DataFrame(unique), keys, notes)
