"""DDR programmes, persons and waves in the workspace (the only DDR module that touches a connection).

An import is one transaction: a persons sheet and (optionally) a waves sheet are stored together or
not at all. Each programme keeps the id of the key its pseudonyms were made with; an import with
another key is refused (``track.key_wrong``) before anything is written. Importing the same rows again
replaces them (the same pseudonyms), so a repeated import changes no count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from kizuna.errors import InputError, Message, NotFound, Where
from kizuna.i18n import N_
from kizuna.track.ddr_readers import SEALED, Sheet, read_persons, read_waves
from kizuna.track.protect import TrackKey, check_key_id
from kizuna.workspace import Workspace, file_sha256

PERSON_COLUMNS = ("sex", "age", "cohort", "entry_date", "area", "former_group", *SEALED.values())
WAVE_COLUMNS = (
    "wave_date",
    "status",
    "employed",
    "income",
    "accepted",
    "housing",
    "participation",
    "rerecruited",
    "rearmed",
    "arrested",
    "died",
    "who5_pct",
    "phq9_score",
    "k6_score",
    "notes_sealed",
)


@dataclass
class ImportSummary:
    """What an import stored: programmes (name -> id), counts and warnings (messages, no values)."""

    programmes: dict[str, int] = field(default_factory=dict)
    persons: int = 0
    waves: int = 0
    warnings: list[Message] = field(default_factory=list)


def _programme_ids(
    ws: Workspace, con: Any, names: set[str], key: TrackKey, file: str, synthetic: bool
) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in sorted(names):
        rows = con.execute("SELECT programme_id, key_id FROM ddr_programmes WHERE name = ?", [name]).fetchall()
        if rows:
            check_key_id(key, rows[0][1], where=file)
            out[name] = int(rows[0][0])
            continue
        pid = int(con.execute("SELECT nextval('ddr_programme_seq')").fetchall()[0][0])
        con.execute(
            "INSERT INTO ddr_programmes VALUES (?, ?, ?, ?, ?)",
            [pid, name, key.key_id, synthetic, datetime.now(UTC).replace(tzinfo=None)],
        )
        out[name] = pid
    return out


def _insert(con: Any, table: str, frame: pl.DataFrame) -> None:
    con.register("_ddr_rows", frame.to_arrow())
    try:
        cols = ", ".join(frame.columns)
        con.execute(f"INSERT OR REPLACE INTO {table} ({cols}) SELECT {cols} FROM _ddr_rows")
    finally:
        con.unregister("_ddr_rows")


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...], ids: dict[str, int], import_id: int) -> pl.DataFrame:
    schema: dict[str, Any] = {"programme_id": pl.Int32, "person": pl.String}
    blob = {c for c in columns if c.endswith("_sealed")}
    types = {
        "age": pl.Int32,
        "entry_date": pl.Date,
        "wave_date": pl.Date,
        "wave_month": pl.Float64,
        "income": pl.Float64,
        "who5_pct": pl.Float64,
        "phq9_score": pl.Float64,
        "k6_score": pl.Float64,
        **{
            c: pl.Boolean
            for c in ("employed", "accepted", "housing", "participation", "rerecruited", "rearmed", "arrested", "died")
        },
    }
    data: dict[str, list[Any]] = {
        "programme_id": [ids[r["programme"]] for r in rows],
        "person": [r["person"] for r in rows],
    }
    for c in columns:
        data[c] = [r.get(c) for r in rows]
        schema[c] = pl.Binary if c in blob else types.get(c, pl.String)
    data["import_id"] = [import_id] * len(rows)
    schema["import_id"] = pl.Int32
    return pl.DataFrame(data, schema=schema)


def import_sheets(
    ws: Workspace,
    persons: Path | None,
    waves: Path | None,
    key: TrackKey,
    *,
    programme: str | None = None,
    synthetic: bool = False,
) -> ImportSummary:
    """Read, pseudonymise and store a persons sheet and/or a waves sheet in one transaction.

    Wave rows must name persons stored already or in ``persons`` (``ddr.unknown_person``: the row, never
    the id). The key must be the one each programme was first stored with (``track.key_wrong``).
    """
    sheets: list[tuple[str, Sheet]] = []
    if persons is not None:
        sheets.append(("ddr-persons", read_persons(persons, key, programme)))
    if waves is not None:
        sheets.append(("ddr-waves", read_waves(waves, key, programme)))
    summary = ImportSummary()
    with ws.transaction() as con:
        for kind, sheet in sheets:
            names = {r["programme"] for r in sheet.rows}
            if kind == "ddr-waves":
                known = {n for (n,) in con.execute("SELECT name FROM ddr_programmes").fetchall()}
                for r in sheet.rows:
                    if r["programme"] not in known and r["programme"] not in summary.programmes:
                        raise InputError(
                            "ddr.unknown_programme",
                            N_("the waves name a programme whose persons are not stored"),
                            Where(file=str(sheet.path), row=r["_row"], field="programme"),
                            hint=N_("import the programme's persons sheet first (or in the same command)"),
                        )
            ids = _programme_ids(ws, con, names, key, str(sheet.path), synthetic)
            summary.programmes.update(ids)
            import_id = ws.record_import(
                con,
                kind=kind,
                path=sheet.path,
                sha256=file_sha256(sheet.path),
                publisher=None,
                counts={"rows": len(sheet.rows)},
                warnings={"columns_not_read": len(sheet.warnings)} if sheet.warnings else None,
            )
            if kind == "ddr-persons":
                _insert(con, "ddr_persons", _frame(sheet.rows, PERSON_COLUMNS, ids, import_id))
                summary.persons += len(sheet.rows)
            else:
                frame = _frame(sheet.rows, ("wave_month", *WAVE_COLUMNS), ids, import_id)
                con.register("_ddr_check", frame.select("programme_id", "person").with_row_index("i").to_arrow())
                try:
                    missing = con.execute(
                        "SELECT min(c.i) FROM _ddr_check c ANTI JOIN ddr_persons p"
                        " ON p.programme_id = c.programme_id AND p.person = c.person"
                    ).fetchall()[0][0]
                finally:
                    con.unregister("_ddr_check")
                if missing is not None:
                    raise InputError(
                        "ddr.unknown_person",
                        N_("this row follows up a person who is not in the programme's persons sheet"),
                        Where(file=str(sheet.path), row=sheet.rows[int(missing)]["_row"], field="person_id"),
                        hint=N_("check the id, or import the persons sheet that lists this person"),
                    )
                _insert(con, "ddr_waves", frame)
                summary.waves += len(sheet.rows)
            summary.warnings.extend(sheet.warnings)
    return summary


# --- reading back (no key needed: pseudonyms and plain fields only) ----------------------------------


def _frame_of(ws: Workspace, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    out = pl.from_arrow(ws.con.sql(sql, params=params).to_arrow_table() if params else ws.con.sql(sql).to_arrow_table())
    assert isinstance(out, pl.DataFrame)
    return out


def programmes(ws: Workspace) -> pl.DataFrame:
    """Programmes with their key id, persons, waves followed and import time."""
    if not ws.has_table("ddr_programmes"):
        return pl.DataFrame()
    return _frame_of(
        ws,
        "SELECT p.name AS programme, p.key_id, p.synthetic,"
        " (SELECT count(*) FROM ddr_persons x WHERE x.programme_id = p.programme_id) AS persons,"
        " (SELECT count(DISTINCT wave_month) FROM ddr_waves w WHERE w.programme_id = p.programme_id) AS waves,"
        " p.created_at FROM ddr_programmes p ORDER BY p.name",
    )


def check_programme(ws: Workspace, name: str | None) -> str | None:
    """``name`` when the workspace holds it (None: every programme); ``ddr.none`` when it holds no programme,
    ``ddr.programme_absent`` when not this one."""
    held = (
        [r[0] for r in ws.con.execute("SELECT name FROM ddr_programmes ORDER BY 1").fetchall()]
        if ws.has_table("ddr_programmes")
        else []
    )
    if not held:
        raise NotFound(
            "ddr.none",
            N_("no DDR programme in this workspace"),
            Where(field="--programme"),
            hint=N_("import one with `kizuna ddr import PERSONS.csv --waves WAVES.csv --programme NAME --key PATH`"),
        )
    if name is None or name in held:
        return name
    raise NotFound(
        "ddr.programme_absent",
        N_("no programme {name!r} in this workspace"),
        Where(field="--programme"),
        hint=N_("programmes held: {held}"),
        params={"name": name, "held": ", ".join(held)},
    )


def load(ws: Workspace, programme: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The persons and waves of ``programme`` (all when None), without the sealed columns."""
    name = check_programme(ws, programme)
    where = "WHERE g.name = ?" if name else ""
    params = [name] if name else []
    persons = _frame_of(
        ws,
        "SELECT g.name AS programme, p.person, p.sex, p.age, p.cohort, p.entry_date, p.area, p.former_group"
        f" FROM ddr_persons p JOIN ddr_programmes g USING (programme_id) {where} ORDER BY g.name, p.person",
        params,
    )
    waves = _frame_of(
        ws,
        "SELECT g.name AS programme, w.person, w.wave_month, w.wave_date, w.status, w.employed, w.income,"
        " w.accepted, w.housing, w.participation, w.rerecruited, w.rearmed, w.arrested, w.died, w.who5_pct,"
        f" w.phq9_score, w.k6_score FROM ddr_waves w JOIN ddr_programmes g USING (programme_id) {where}"
        " ORDER BY g.name, w.person, w.wave_month",
        params,
    )
    return persons, waves


def synthetic(ws: Workspace) -> bool:
    """Whether any stored programme is synthetic (the demo's)."""
    return ws.has_table("ddr_programmes") and bool(ws.scalar("SELECT count(*) FROM ddr_programmes WHERE synthetic"))
