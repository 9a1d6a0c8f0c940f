"""Needs tables: area x sector with severity and/or people in need (a reader: it never writes the store).

Two shapes are read, CSV or XLSX, with or without an HXL hashtag row under the header:

* the **simple table** the demo writes: ``country, adm1, adm2, area_name, sector, severity, pin``
  (plain names or HXL tags; see :data:`NEEDS_COLUMNS`);
* OCHA's **HNO table** as HDX publishes it (Humanitarian Needs Overview, e.g. Afghanistan 2024):
  ``Admin 1 PCode, Admin 2 PCode, Sector, Gender, Age Range, Min Age, Max Age, Disabled, Population
  Group, Population, In Need, Targeted, Affected, Reached`` with the HXL row ``#adm1+code, #adm2+code,
  #sector+code, #gender+code, #age+range, ..., #inneed, ...``. Each area x sector comes several times,
  broken down by gender, age, disability and population group; the row whose breakdowns are all
  "all" (gender ``a``, age ``ALL``, disabled ``a``, population group ``ALL``) is the total, and only
  it is kept, so nobody is counted twice. National rows (no P-code) and admin-1 rows are kept as the
  table gives them — their own totals, never summed from the finer rows. Sectors stay as written
  (``ALL`` intersectoral, ``FSC``, ``PRO_GBV`` ...); :func:`kizuna.coordinate.sectors.needs_sector_cluster`
  maps them to clusters.

The result always has the columns ``country, adm1, adm2, area_name, sector, severity, pin``; the
country comes from a country column, else from the P-codes (their first two letters), else — for the
national rows of a one-country table — from the rest of the table.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from kizuna.errors import InputError, Message, Where
from kizuna.geo.pcodes import country_of_pcode, iso2
from kizuna.i18n import N_

NEEDS_COLUMNS = {
    "country": ("country", "#country+code", "country_code", "iso2"),
    "adm1": ("adm1", "admin1", "adm1_code", "#adm1+code", "admin1_code", "admin1pcode"),
    "adm2": ("adm2", "admin2", "adm2_code", "#adm2+code", "admin2_code", "admin2pcode"),
    "area_name": ("area_name", "name", "#adm2+name", "#adm1+name", "adm2_name", "adm1_name"),
    "sector": ("sector", "cluster", "#sector", "#sector+cluster", "#sector+code", "#sector+cluster+code"),
    "severity": ("severity", "#severity", "severity_score"),
    "pin": ("pin", "people_in_need", "#inneed", "#inneed+ind", "in_need", "inneed"),
}
# The HNO breakdown columns and the value of each that means "everyone" (the total row).
HNO_TOTALS = {
    "gender": (("#gender+code", "gender"), "a"),
    "age": (("#age+range", "agerange"), "all"),
    "disabled": (("#is_disabled", "disabled"), "a"),
    "group": (("#population_group+code", "populationgroup"), "all"),
}


def _read_xlsx(path: Path) -> pl.DataFrame:
    """The first sheet of an XLSX as text columns (openpyxl, read-only: values, never formulas run)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = [["" if v is None else str(v) for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return pl.DataFrame()
    header = [h.strip() or f"column_{i + 1}" for i, h in enumerate(rows[0])]
    width = len(header)
    body = [(r + [""] * width)[:width] for r in rows[1:]]
    return pl.DataFrame(
        {h: [r[i] or None for r in body] for i, h in enumerate(header)}, schema={h: pl.String for h in header}
    )


def _key(name: str) -> str:
    return re.sub(r"\s+", "", name.lower())


def read_needs(path: Path) -> pl.DataFrame:
    """A needs table (CSV or XLSX): area (adm1 and/or adm2 code) x sector, with severity and/or people in need.

    Column names are matched case-insensitively against plain names or HXL tags (an HXL hashtag row
    under the header is recognised and used; spaces inside tags are ignored). Severity is a number
    (e.g. the JIAF 1-5 scale); people in need a non-negative number. An HNO table keeps its total rows
    only (see the module docstring). Returns columns country, adm1, adm2, area_name, sector, severity,
    pin. Raises :class:`InputError` naming the file, row and column of a bad value.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("needs.missing", N_("file not found"), Where(file=str(path)), hint=N_("check the path"))
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            df = _read_xlsx(path)
        elif suffix in (".csv", ".txt"):
            df = pl.read_csv(path, infer_schema_length=0, encoding="utf8")
        else:
            raise InputError(
                "needs.format",
                N_("unsupported file type {suffix!r}"),
                Where(file=str(path)),
                hint=N_("give a .csv or .xlsx file"),
                params={"suffix": suffix},
            )
    except InputError:
        raise
    except Exception as exc:  # polars raises several types for unreadable files
        raise InputError(
            "needs.unreadable",
            N_("cannot read the table: {error}"),
            Where(file=str(path)),
            hint=N_("is it a UTF-8 CSV or an XLSX file?"),
            params={"error": str(exc).splitlines()[0]},
        ) from exc
    first_data_row = 2
    if df.height and all(str(v or "").strip().startswith("#") for v in df.row(0) if v):
        # an HXL hashtag row: use the tags as column names (spaces inside tags removed)
        tags = {c: (_key(str(t)) if t else c) for c, t in zip(df.columns, df.row(0), strict=True)}
        df = df.slice(1).rename(tags)
        first_data_row = 3
    lower = {_key(c): c for c in df.columns}
    picked: dict[str, str] = {}
    for target, names in NEEDS_COLUMNS.items():
        for n in names:
            if _key(n) in lower:
                picked[target] = lower[_key(n)]
                break
    if "sector" not in picked or not ({"adm1", "adm2"} & set(picked)):
        raise InputError(
            "needs.columns",
            N_("the needs table needs a sector column and an adm1 or adm2 column"),
            Where(file=str(path)),
            hint=N_("columns: adm1, adm2, sector, severity, pin (or OCHA's HNO table with its HXL row)"),
        )
    if not ({"severity", "pin"} & set(picked)):
        raise InputError(
            "needs.columns",
            N_("the needs table needs a severity or a people-in-need column"),
            Where(file=str(path), field="severity/pin"),
            hint=N_("add severity (1-5) or pin"),
        )
    out = pl.DataFrame(
        {
            t: (
                df.get_column(picked[t]).cast(pl.String).str.strip_chars()
                if t in picked
                else pl.Series(t, [None] * df.height, dtype=pl.String)
            )
            for t in NEEDS_COLUMNS
        }
    ).with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in ("adm1", "adm2"))
    for num in ("severity", "pin"):
        col = out.get_column(num)
        parsed = col.str.replace_all(",", "").cast(pl.Float64, strict=False)
        bad = (col.is_not_null() & (col != "") & (parsed.is_null() | (parsed < 0) | parsed.is_nan())).arg_true()
        if len(bad):
            i = int(bad[0])
            raise InputError(
                "needs.bad_number",
                N_("{num} {col!r} is not a non-negative number"),
                Where(file=str(path), row=i + first_data_row, field=picked[num]),
                hint=N_("use plain numbers, e.g. 4 or 12000"),
                params={"num": num, "col": col[i]},
            )
        out = out.with_columns(parsed.alias(num))
    empty_sector = out.get_column("sector").is_null().arg_true()
    if len(empty_sector):
        raise InputError(
            "needs.empty_sector",
            N_("a row has no sector"),
            Where(file=str(path), row=int(empty_sector[0]) + first_data_row, field=picked["sector"]),
            hint=N_("give a cluster name or DAC code on every row"),
        )
    breakdown = {k: lower[_key(n)] for k, (names, _all) in HNO_TOTALS.items() for n in names if _key(n) in lower}
    if breakdown:
        out = _hno_totals(out, df, breakdown, path, first_data_row)
    return _with_country(out)


def _hno_totals(
    out: pl.DataFrame, raw: pl.DataFrame, breakdown: dict[str, str], path: Path, first: int
) -> pl.DataFrame:
    """The total rows of an HNO table (every breakdown "all"); an area x sector without one is an error."""
    is_total = pl.lit(True)
    for k, col in breakdown.items():
        everyone = HNO_TOTALS[k][1]
        is_total = is_total & (raw.get_column(col).cast(pl.String).str.strip_chars().str.to_lowercase() == everyone)
    flags = raw.select(is_total.fill_null(False).alias("_total")).get_column("_total")
    marked = out.with_columns(flags.alias("_total"), pl.int_range(pl.len()).alias("_row"))
    keys = ["adm1", "adm2", "sector"]
    groups = marked.group_by(keys).agg(pl.col("_total").sum().alias("n"), pl.col("_row").min().alias("_row"))
    missing = groups.filter(pl.col("n") == 0)
    if missing.height:
        row = missing.sort("_row").row(0, named=True)
        raise InputError(
            "needs.no_total",
            N_("{area} / {sector} has breakdown rows but no total row"),
            Where(file=str(path), row=row["_row"] + first),
            hint=N_("an HNO table gives each area x sector once with gender a, age ALL, disabled a, group ALL"),
            params={"area": row['adm2'] or row['adm1'] or Message(N_("national")), "sector": row['sector']},
        )
    repeated = groups.filter(pl.col("n") > 1)
    if repeated.height:
        row = repeated.sort("_row").row(0, named=True)
        raise InputError(
            "needs.repeated_total",
            N_("{area} / {sector} has {n} total rows"),
            Where(file=str(path), row=row["_row"] + first),
            hint=N_("each area x sector needs exactly one total row"),
            params={
                "area": row["adm2"] or row["adm1"] or Message(N_("national")),
                "sector": row["sector"],
                "n": row["n"],
            },
        )
    return marked.filter(pl.col("_total")).drop("_total", "_row")


def _with_country(df: pl.DataFrame) -> pl.DataFrame:
    """Fill the country from the P-codes, and a one-country table's national rows from the rest."""
    codes = pl.coalesce("adm2", "adm1")
    prefixes = df.select(codes.alias("c")).get_column("c").drop_nulls().unique().to_list()
    by_code = {c: country_of_pcode(c) for c in prefixes}
    given = df.get_column("country").drop_nulls().unique().to_list()
    fixed = {c: (iso2(c) or c.upper()) for c in given}
    df = df.with_columns(
        pl.coalesce(
            pl.col("country").replace_strict(fixed, default=None, return_dtype=pl.String),
            codes.replace_strict(by_code, default=None, return_dtype=pl.String),
        ).alias("country")
    )
    known = df.get_column("country").drop_nulls().unique().to_list()
    if len(known) == 1:
        df = df.with_columns(pl.col("country").fill_null(known[0]))
    return df


def needs_level(df: pl.DataFrame) -> pl.Series:
    """Each row's admin level: 2 (has adm2), 1 (adm1 only) or 0 (national)."""
    return df.select(
        pl.when(pl.col("adm2").is_not_null())
        .then(2)
        .when(pl.col("adm1").is_not_null())
        .then(1)
        .otherwise(0)
        .alias("level")
    ).get_column("level")
