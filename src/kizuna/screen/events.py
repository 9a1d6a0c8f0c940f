"""Conflict-event readers: UCDP GED and ACLED CSV layouts into one event table.

The layout is recognised from the header: UCDP GED (``type_of_violence``, ``where_prec``, ``best``;
codebook: Sundberg & Melander 2013, Journal of Peace Research 50(4); GED 23.1 columns) or ACLED
(``event_id_cnty``, ``event_type``, ``geo_precision``; ACLED codebook). Both date styles ACLED files
carry (``2025-05-16`` and ``16 May 2025``) are read. Unknown extra columns are ignored.

Output columns (a Polars frame, one row per event):

``source`` (ucdp|acled), ``source_id``, ``date`` (start day), ``date_end``, ``lat``, ``lon``,
``loc_precision`` (the source's own code), ``point_like`` (GED where_prec 1-2, ACLED geo_precision
1-2), ``country``, ``admin1``, ``admin2``, ``category`` (battle, non_state, remote_violence,
violence_against_civilians, riot, protest, strategic), ``sub_category``, ``actor1``, ``actor2``,
``civilians_targeted``, ``fatalities`` (GED ``best``; ACLED ``fatalities``), ``violence_type``
(GED 1 state-based, 2 non-state, 3 one-sided; null for ACLED).

Readers only read: they return the table and warning counts and never write the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from kizuna.errors import InputError, Where
from kizuna.i18n import N_

GED_REQUIRED = ("id", "type_of_violence", "latitude", "longitude", "date_start", "where_prec", "best")
ACLED_REQUIRED = (
    "event_id_cnty",
    "event_date",
    "event_type",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
)

GED_CATEGORY = {"1": "battle", "2": "non_state", "3": "violence_against_civilians"}
ACLED_CATEGORY = {
    "battles": "battle",
    "explosions/remote violence": "remote_violence",
    "violence against civilians": "violence_against_civilians",
    "riots": "riot",
    "protests": "protest",
    "strategic developments": "strategic",
}
CATEGORIES = tuple(dict.fromkeys([*GED_CATEGORY.values(), *ACLED_CATEGORY.values()]))

EVENT_SCHEMA = {
    "source": pl.String,
    "source_id": pl.String,
    "date": pl.Date,
    "date_end": pl.Date,
    "lat": pl.Float64,
    "lon": pl.Float64,
    "loc_precision": pl.Int64,
    "point_like": pl.Boolean,
    "country": pl.String,
    "admin1": pl.String,
    "admin2": pl.String,
    "category": pl.String,
    "sub_category": pl.String,
    "actor1": pl.String,
    "actor2": pl.String,
    "civilians_targeted": pl.Boolean,
    "fatalities": pl.Int64,
    "violence_type": pl.Int64,
}


@dataclass
class EventTable:
    """Events read from one file, the layout recognised, and what was dropped (by reason)."""

    events: pl.DataFrame
    layout: str
    path: Path | None = None
    warnings: dict[str, int] = field(default_factory=dict)


PRECISION_LEVELS = ("point", "admin2", "admin1", "country", "none")


def precision_level(ev: pl.DataFrame) -> pl.Series:
    """Where each event is located: ``point`` (a place: GED where_prec 1-2, ACLED geo_precision 1-2),
    ``admin2`` (GED 3: the second-order area), ``admin1`` (GED 4: the province; ACLED 3: a larger
    region, which we can only be sure lies in its admin1), ``country`` (GED 6, and GED 5: a part of
    the country larger than a province or a linear feature, which we can only place in its country)
    or ``none`` (GED 7: international waters or airspace). Sources: UCDP GED codebook 23.1
    (where_prec); ACLED codebook (geo_precision)."""
    prec = pl.col("loc_precision")
    ged = (
        pl.when(prec <= 2)
        .then(pl.lit("point"))
        .when(prec == 3)
        .then(pl.lit("admin2"))
        .when(prec == 4)
        .then(pl.lit("admin1"))
        .when(prec <= 6)
        .then(pl.lit("country"))
        .otherwise(pl.lit("none"))
    )
    other = pl.when(pl.col("point_like").fill_null(False)).then(pl.lit("point")).otherwise(pl.lit("admin1"))
    level = pl.when(pl.col("source") == "ucdp").then(ged).otherwise(other)
    return ev.select(level.alias("level"))["level"]


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


def _first(mask: pl.Series) -> int:
    """Position of the first True in a boolean series (the caller knows there is one)."""
    return int(mask.fill_null(False).to_numpy().argmax())


def _opt(df: pl.DataFrame, name: str) -> pl.Series:
    """An optional column, or nulls of the frame's height when the file lacks it."""
    return df[name] if name in df.columns else pl.Series(name, [None] * df.height, dtype=pl.String)


def _parse_dates(df: pl.DataFrame, column: str, file: str) -> pl.Series:
    """Parse ``YYYY-MM-DD`` or ``16 May 2025`` dates; one bad cell is an error naming row and field."""
    raw = df[column].str.strip_chars()
    iso = raw.str.to_date("%Y-%m-%d", strict=False)
    long = raw.str.to_date("%d %B %Y", strict=False)
    short = raw.str.to_date("%d-%b-%Y", strict=False)
    out = iso.fill_null(long).fill_null(short)
    bad = (out.is_null() & raw.is_not_null() & (raw != "")) | raw.is_null() | (raw == "")
    if bad.any():
        i = _first(bad)  # first bad row
        value = raw[i]
        raise InputError(
            "screen.bad_date",
            N_("cannot read the date {value!r}"),
            Where(file=file, row=i + 1, field=column),
            hint=N_("write dates as YYYY-MM-DD (ACLED's '16 May 2025' style is also read)"),
            params={"value": value},
        )
    return out


def _parse_float(df: pl.DataFrame, column: str, file: str, lo: float, hi: float) -> pl.Series:
    raw = df[column].str.strip_chars()
    val = raw.cast(pl.Float64, strict=False)
    bad = val.is_null()
    if bad.any():
        i = _first(bad)
        raise InputError(
            "screen.bad_number",
            N_("cannot read {raw!r} as a number"),
            Where(file=file, row=i + 1, field=column),
            hint=N_("decimal degrees, e.g. 8.25"),
            params={"raw": raw[i]},
        )
    out = (val < lo) | (val > hi)
    if out.any():
        from kizuna.screen.context import latitude_hint

        i = _first(out)
        raise InputError(
            "screen.coordinate_range",
            N_("{val} is outside [{lo:g}, {hi:g}]"),
            Where(file=file, row=i + 1, field=column),
            hint=(
                latitude_hint(float(val[i]))
                if column in ("latitude", "lat")
                else N_("longitude must be within [-180, 180]")
            ),
            params={"val": val[i], "lo": lo, "hi": hi},
        )
    return val


def _parse_int(df: pl.DataFrame, column: str, file: str, default: int | None = None) -> pl.Series:
    raw = df[column].str.strip_chars()
    val = raw.cast(pl.Float64, strict=False)
    bad = val.is_null() & raw.is_not_null() & (raw != "")
    if bad.any():
        i = _first(bad)
        raise InputError(
            "screen.bad_number",
            N_("cannot read {raw!r} as a whole number"),
            Where(file=file, row=i + 1, field=column),
            params={"raw": raw[i]},
        )
    if default is not None:
        val = val.fill_null(default)
    return val.cast(pl.Int64)


def read_events(path: Path | str, *, point_only: bool = True) -> EventTable:
    """Read a UCDP GED or ACLED CSV file into the event table.

    ``point_only`` keeps events whose location is a place (GED ``where_prec`` 1-2, ACLED
    ``geo_precision`` 1-2) and counts the rest in ``warnings``; screening reads every event and
    counts the imprecise ones by their area (:func:`precision_level`), never by distance. GED rows whose
    ``code_status`` is not "Clear" are dropped (the candidate-data codes are not documented for reuse).
    """
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise InputError("screen.missing_file", N_("no such file"), Where(file=file, field="--events"))
    try:
        df = pl.read_csv(path, infer_schema=False, encoding="utf8")
    except Exception as exc:  # polars raises several types for broken CSV
        raise InputError(
            "screen.bad_csv",
            N_("cannot read as CSV: {error}"),
            Where(file=file),
            hint=N_("UCDP GED or ACLED CSV export, UTF-8"),
            params={"error": str(exc).splitlines()[0]},
        ) from exc
    cols = {c.strip().lower(): c for c in df.columns}
    df = df.rename({v: k for k, v in cols.items()})
    if all(c in df.columns for c in GED_REQUIRED):
        table = _from_ged(df, file)
    elif all(c in df.columns for c in ACLED_REQUIRED):
        table = _from_acled(df, file)
    else:
        ged_missing = [c for c in GED_REQUIRED if c not in df.columns]
        acled_missing = [c for c in ACLED_REQUIRED if c not in df.columns]
        missing = ged_missing if len(ged_missing) <= len(acled_missing) else acled_missing
        raise InputError(
            "screen.unknown_event_layout",
            N_("neither a UCDP GED nor an ACLED file; missing {missing}"),
            Where(file=file, field=missing[0]),
            hint=N_("the header must carry the UCDP GED 23.1 or ACLED export column names"),
            params={"missing": missing},
        )
    table.path = path
    if point_only:
        n0 = table.events.height
        table.events = table.events.filter(pl.col("point_like"))
        table.warnings["dropped_imprecise_location"] = n0 - table.events.height
    return table


def _from_ged(df: pl.DataFrame, file: str) -> EventTable:
    warnings: dict[str, int] = {}
    lat = _parse_float(df, "latitude", file, -90, 90)
    lon = _parse_float(df, "longitude", file, -180, 180)
    start = _parse_dates(df, "date_start", file)
    end = _parse_dates(df, "date_end", file) if "date_end" in df.columns else start
    tov = df["type_of_violence"].str.strip_chars()
    bad = ~tov.is_in(list(GED_CATEGORY))
    if bad.any():
        i = _first(bad)
        raise InputError(
            "screen.bad_code",
            N_("type_of_violence {tov!r} is not 1, 2 or 3"),
            Where(file=file, row=i + 1, field="type_of_violence"),
            params={"tov": tov[i]},
        )
    prec = _parse_int(df, "where_prec", file)
    best = _parse_int(df, "best", file, default=0)
    ev = pl.DataFrame(
        {
            "source": pl.Series(["ucdp"] * df.height, dtype=pl.String),
            "source_id": df["id"],
            "date": start,
            "date_end": end,
            "lat": lat,
            "lon": lon,
            "loc_precision": prec,
            "point_like": prec <= 2,
            "country": _opt(df, "country"),
            "admin1": _opt(df, "adm_1"),
            "admin2": _opt(df, "adm_2"),
            "category": tov.replace_strict(GED_CATEGORY, return_dtype=pl.String),
            "sub_category": pl.Series([None] * df.height, dtype=pl.String),
            "actor1": _opt(df, "side_a"),
            "actor2": _opt(df, "side_b"),
            "civilians_targeted": tov == "3",
            "fatalities": best,
            "violence_type": tov.cast(pl.Int64),
        },
        schema=EVENT_SCHEMA,
    )
    if "code_status" in df.columns:
        # validated above on every row so that error row numbers match the file; dropped only now
        keep = df["code_status"].str.strip_chars().fill_null("Clear") == "Clear"
        warnings["dropped_not_clear"] = int((~keep).sum())
        ev = ev.filter(keep)
    return EventTable(ev, "ucdp_ged", warnings=warnings)


def _from_acled(df: pl.DataFrame, file: str) -> EventTable:
    lat = _parse_float(df, "latitude", file, -90, 90)
    lon = _parse_float(df, "longitude", file, -180, 180)
    date = _parse_dates(df, "event_date", file)
    et = df["event_type"].str.strip_chars().str.to_lowercase()
    bad = ~et.is_in(list(ACLED_CATEGORY))
    if bad.any():
        i = _first(bad)
        raise InputError(
            "screen.bad_code",
            N_("unknown ACLED event_type {event_type!r}"),
            Where(file=file, row=i + 1, field="event_type"),
            hint=N_("one of {acled_category}"),
            params={"event_type": df['event_type'][i], "acled_category": ", ".join(sorted(ACLED_CATEGORY))},
        )
    prec = _parse_int(df, "geo_precision", file)
    fat = _parse_int(df, "fatalities", file, default=0)
    ct = _opt(df, "civilian_targeting").fill_null("").str.strip_chars() != ""
    vac = et == "violence against civilians"

    ev = pl.DataFrame(
        {
            "source": pl.Series(["acled"] * df.height, dtype=pl.String),
            "source_id": df["event_id_cnty"],
            "date": date,
            "date_end": date,
            "lat": lat,
            "lon": lon,
            "loc_precision": prec,
            "point_like": prec <= 2,
            "country": _opt(df, "country"),
            "admin1": _opt(df, "admin1"),
            "admin2": _opt(df, "admin2"),
            "category": et.replace_strict(ACLED_CATEGORY, return_dtype=pl.String),
            "sub_category": _opt(df, "sub_event_type"),
            "actor1": _opt(df, "actor1"),
            "actor2": _opt(df, "actor2"),
            "civilians_targeted": ct | vac,
            "fatalities": fat,
            "violence_type": pl.Series([None] * df.height, dtype=pl.Int64),
        },
        schema=EVENT_SCHEMA,
    )
    return EventTable(ev, "acled", warnings={})
