"""Needs tables in the workspace: store one (``kizuna gaps --needs FILE``) and read the one in use.

A needs table is stored whole in one transaction with its provenance (``imports`` kind ``needs``);
giving the same file again (same sha256) stores nothing but makes it the table in use again. The
table in use is the one given last (for a country: the one given last among those covering it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from kizuna.coordinate.needs import HNO_TOTALS, needs_level, read_needs
from kizuna.coordinate.sectors import cluster_of, needs_sector_cluster
from kizuna.workspace import Workspace, file_sha256

NEEDS_SCHEMA = {
    "country": pl.String,
    "adm1": pl.String,
    "adm2": pl.String,
    "area_name": pl.String,
    "sector": pl.String,
    "severity": pl.Float64,
    "pin": pl.Float64,
}


@dataclass
class StoredNeeds:
    needs_id: int
    status: str  # 'imported' | 'selected' (already stored; now the one in use)
    rows: int
    countries: list[str]
    kind: str


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _kind(path: Path) -> str:
    head = path.read_bytes()[:4096].decode("utf-8", "replace").lower() if path.suffix.lower() == ".csv" else ""
    return "hno" if any(n[0] in head for n, _ in HNO_TOTALS.values()) else "simple"


def sector_cluster(sector: str | None) -> str | None:
    """The cluster of a needs table's sector: HNO code or cluster name, else a DAC code's cluster."""
    if not sector:
        return None
    s = sector.strip()
    if s.isdigit() and len(s) in (3, 5):
        return cluster_of(s if len(s) == 5 else None, s[:3])
    return needs_sector_cluster(s)


def store_needs(ws: Workspace, path: Path | str) -> StoredNeeds:
    """Read a needs table (:func:`kizuna.coordinate.needs.read_needs`) and store it as the one in use."""
    path = Path(path)
    df = read_needs(path)  # a bad file fails here, before anything is written
    sha = file_sha256(path)
    countries = sorted(df.get_column("country").drop_nulls().unique().to_list())
    kind = _kind(path)
    existing = ws.query(
        "SELECT n.needs_id, n.rows FROM needs_tables n JOIN imports i ON i.import_id = n.needs_id"
        " WHERE i.kind = 'needs' AND i.sha256 = ?",
        [sha],
    )
    with ws.transaction() as con:
        if existing:
            needs_id = int(existing[0]["needs_id"])
            con.execute("UPDATE needs_tables SET selected_at = ? WHERE needs_id = ?", [_now(), needs_id])
            return StoredNeeds(needs_id, "selected", int(existing[0]["rows"]), countries, kind)
        needs_id = ws.record_import(con, kind="needs", path=path, sha256=sha, version=kind, counts={"rows": df.height})
        names = df.get_column("sector").unique().to_list()
        clusters = pl.DataFrame(
            {"sector": names, "cluster": [sector_cluster(n) for n in names]},
            schema={"sector": pl.String, "cluster": pl.String},
        )
        rows = (
            df.with_columns(needs_level(df).alias("level"), pl.lit(needs_id).alias("needs_id"))
            .join(clusters, on="sector", how="left")
            .select("needs_id", "country", "level", "adm1", "adm2", "area_name", "sector", "cluster", "severity", "pin")
        )
        con.register("_needs_rows", rows.to_arrow())
        try:
            con.execute("INSERT INTO needs_rows SELECT * FROM _needs_rows")
        finally:
            con.unregister("_needs_rows")
        con.execute(
            "INSERT INTO needs_tables VALUES (?, ?, ?, ?, ?)", [needs_id, kind, ",".join(countries), df.height, _now()]
        )
    return StoredNeeds(needs_id, "imported", df.height, countries, kind)


def current_needs_id(ws: Workspace, country: str | None = None) -> int | None:
    """The needs table in use: the one given last (covering ``country``, when given); None if there is none."""
    if not ws.has_table("needs_tables"):
        return None
    params: list[object] = []
    where = ""
    if country:
        where = "WHERE list_contains(string_split(countries, ','), ?)"
        params.append(country.strip().upper())
    rows = ws.query(
        f"SELECT needs_id FROM needs_tables {where} ORDER BY selected_at DESC, needs_id DESC LIMIT 1", params
    )
    return int(rows[0]["needs_id"]) if rows else None


def stored_needs_table(ws: Workspace, country: str | None = None) -> pl.DataFrame | None:
    """The needs table in use, as :func:`~kizuna.coordinate.needs.read_needs` returns it; None if none is stored."""
    needs_id = current_needs_id(ws, country)
    if needs_id is None:
        return None
    table = ws.con.sql(
        "SELECT country, adm1, adm2, area_name, sector, severity, pin FROM needs_rows WHERE needs_id = ?",
        params=[needs_id],
    ).to_arrow_table()
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    return (
        df.select([pl.col(c).cast(t) for c, t in NEEDS_SCHEMA.items()])
        if df.height
        else pl.DataFrame(schema=NEEDS_SCHEMA)
    )


def needs_source(ws: Workspace, needs_id: int) -> str | None:
    """The file name a stored needs table came from."""
    rows = ws.query("SELECT file_name FROM imports WHERE import_id = ?", [needs_id])
    return rows[0]["file_name"] if rows else None
