"""Readers of DDR person records and follow-up waves (CSV or XLSX), pseudonymised on read.

A reader parses and checks a sheet and returns typed rows; it never writes the workspace
(:mod:`kizuna.track.ddr_store` does). Personal data never leave the reader in clear:

* the person id becomes ``pseudonym(key, id, "ddr-person")`` (HMAC-SHA-256, :mod:`kizuna.track.protect`);
* declared name and national-id columns (``name``, ``first_name``, ``last_name``, ``full_name``,
  ``national_id``) are read and dropped;
* the sensitive fields that must be kept (``date_of_birth``, ``phone``, ``notes``, ``former_commander``)
  are sealed with AES-256-GCM under the context ``pseudonym|field`` (a sealed value moved to another
  person's row does not open);
* a column that is not documented and looks like a name, a phone, an id or free text is refused;
  a misspelt documented column is refused with its close match; any other unknown column is dropped
  with a warning.

Errors name the file, the row (as a spreadsheet numbers it: the header is row 1), the column and a
hint, and never quote a cell's value. The columns and their meanings are listed in ``docs/track-ddr.md``;
the dimensions follow UN IDDRS 4.30 *Reintegration* (2019 revision): economic, social, political,
security and psychosocial.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kizuna.errors import InputError, Message, Where
from kizuna.i18n import N_
from kizuna.sheets import read_rows
from kizuna.track.protect import TrackKey, pseudonym, seal

NAMESPACE = "ddr-person"

# --- the documented columns -------------------------------------------------------------------------

PERSON_FIELDS = (
    "person_id",
    "programme",
    "sex",
    "age",
    "date_of_birth",
    "cohort",
    "entry_date",
    "area",
    "former_group",
    "phone",
    "notes",
    "former_commander",
)
# read and thrown away: a name or a national id is never needed for analysis
DROPPED = ("name", "first_name", "last_name", "full_name", "national_id")
# kept, but only as AES-GCM ciphertext: field -> column of ddr_persons
SEALED = {
    "date_of_birth": "dob_sealed",
    "phone": "phone_sealed",
    "notes": "notes_sealed",
    "former_commander": "commander_sealed",
}
INSTRUMENTS = {"who5": (5, 0, 5), "phq9": (9, 0, 3), "k6": (6, 0, 4)}  # items, lowest and highest answer
INSTRUMENT_COLUMNS = tuple(f"{k}_{i}" for k, (n, _lo, _hi) in INSTRUMENTS.items() for i in range(1, n + 1))
YES_NO = ("employed", "accepted", "housing", "participation", "rerecruited", "rearmed", "arrested", "died")
WAVE_FIELDS = (
    "person_id",
    "programme",
    "wave_month",
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
    "notes",
    *INSTRUMENT_COLUMNS,
)
# other spellings people use (a header is compared lower-cased, spaces and hyphens as underscores)
ALIASES = {
    "id": "person_id",
    "person": "person_id",
    "ex_combatant_id": "person_id",
    "gender": "sex",
    "pcode": "area",
    "p_code": "area",
    "admin2_pcode": "area",
    "adm2_pcode": "area",
    "demobilisation_date": "entry_date",
    "demobilization_date": "entry_date",
    "demob_date": "entry_date",
    "intake_date": "entry_date",
    "dob": "date_of_birth",
    "birth_date": "date_of_birth",
    "commander": "former_commander",
    "armed_group": "former_group",
    "month": "wave_month",
    "wave": "wave_month",
    "date": "wave_date",
    "phone_number": "phone",
    "nid": "national_id",
}
SEX = {
    "f": "f",
    "female": "f",
    "woman": "f",
    "w": "f",
    "m": "m",
    "male": "m",
    "man": "m",
    "other": "other",
    "x": "other",
}
SEEN = {"seen", "reached", "interviewed", "ok", "found"}
LOST = {"lost", "not_found", "not found", "ltfu", "missing", "not reached", "not_reached"}
YES = {"yes", "y", "1", "true", "t"}
NO = {"no", "n", "0", "false", "f"}
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+)?$")


@dataclass
class Sheet:
    """Rows read from one file: typed dicts, warnings (no values in them) and the columns used."""

    path: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


# --- reading a table ---------------------------------------------------------------------------------


def read_table(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and the data rows (``(row number, cells)``, the header being row 1) of a CSV (UTF-8)
    or of the first sheet of an XLSX workbook (:mod:`kizuna.sheets`). Errors name the line, never a
    cell's text."""
    path = Path(path)
    rows, _lines = read_rows(path, part="ddr")
    # rows are numbered as a spreadsheet shows them, one per record
    numbered = [(n, c) for n, c in enumerate(rows, start=1) if any(x.strip() for x in c)]
    if not numbered:
        raise InputError(
            "ddr.empty",
            N_("the sheet is empty"),
            Where(file=str(path)),
            hint=N_("the first row must hold the column names"),
        )
    header = numbered[0][1]
    return header, iter(numbered[1:])


def _norm(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower().lstrip("#")).strip("_")


def _columns(
    path: Path, header: list[str], fields: tuple[str, ...], values: dict[int, list[str]]
) -> tuple[dict[str, int], list[Message]]:
    """Map each header cell to a documented field (or to a dropped one); refuse misspelt and
    personal-looking unknown columns; a warning for any other unknown column. Returns field -> index."""
    import polars as pl

    from kizuna.measure.disclosure import identifier_kind

    known = {f: f for f in fields} | {a: f for a, f in ALIASES.items() if f in fields or f in DROPPED}
    mapped: dict[str, int] = {}
    notes: list[Message] = []
    for j, raw in enumerate(header):
        name = _norm(raw)
        if not name:
            if any(v.strip() for v in values.get(j, [])):
                raise InputError(
                    "ddr.unnamed_column",
                    N_("column {column} has values but no name"),
                    Where(file=str(path), row=1),
                    hint=N_("name the column or delete it"),
                    params={"column": j + 1},
                )
            continue
        target = known.get(name) or (name if name in DROPPED else None)
        if target is not None:
            if target in mapped or (target in DROPPED and f"_drop_{target}" in mapped):
                raise InputError(
                    "ddr.duplicate_column",
                    N_("two columns mean {column!r}"),
                    Where(file=str(path), row=1, field=raw),
                    hint=N_("keep one of them"),
                    params={"column": target},
                )
            mapped[f"_drop_{target}" if target in DROPPED else target] = j
            continue
        close = difflib.get_close_matches(name, [*fields, *DROPPED], n=1, cutoff=0.75)
        if close:
            raise InputError(
                "ddr.unknown_column",
                N_("unknown column {column!r}; did you mean {close!r}?"),
                Where(file=str(path), row=1, field=raw),
                hint=N_("rename the column; the documented columns are: {fields}"),
                params={"column": raw, "close": close[0], "fields": ", ".join(fields)},
            )
        kind = identifier_kind(name, pl.Series(values.get(j, []), dtype=pl.String))
        if kind is not None:
            raise InputError(
                "ddr.personal_column",
                N_("column {column!r} looks like {kind} and is not a documented column"),
                Where(file=str(path), row=1, field=raw),
                hint=N_(
                    "personal data are never stored in clear: delete the column, or rename it to one of the "
                    "sealed fields (date_of_birth, phone, notes, former_commander) or dropped ones (name, national_id)"
                ),
                params={"column": raw, "kind": Message(kind)},
            )
        notes.append(Message(N_("column {column!r} is not a documented column and was not read"), {"column": raw}))
    if "person_id" not in mapped:
        raise InputError(
            "ddr.missing_column",
            N_("the sheet has no person_id column"),
            Where(file=str(path), row=1, field="person_id"),
            hint=N_("every row needs the person's id from the programme's register (it is pseudonymised on read)"),
        )
    return mapped, notes


def _header_and_rows(
    path: Path, fields: tuple[str, ...]
) -> tuple[dict[str, int], list[Message], list[tuple[int, list[str]]]]:
    header, it = read_table(path)
    body = list(it)
    width = len(header)
    for rownum, cells in body:
        used = max((k + 1 for k, c in enumerate(cells) if c.strip()), default=0)
        if used > width:
            raise InputError(
                "ddr.cell_count",
                N_("this row has {cells} cells where the header has {columns}"),
                Where(file=str(path), row=rownum),
                hint=N_('a cell holding a comma must be quoted ("a, b"); check the row for a split cell'),
                params={"cells": used, "columns": width},
            )
    values = {j: [c[j] if j < len(c) else "" for _n, c in body] for j in range(width)}
    cols, notes = _columns(path, header, fields, values)
    return cols, notes, body


# --- values ------------------------------------------------------------------------------------------


def _bad(path: Path, row: int, column: str, message: str, hint: str, code: str = "ddr.bad_value") -> InputError:
    # no value of the cell goes in (personal data)
    return InputError(code, message, Where(file=str(path), row=row, field=column), hint=hint)  # N_ ids


def parse_date(text: str, path: Path, row: int, column: str) -> date | None:
    """An ISO date (YYYY-MM-DD; a spreadsheet's date cell reads as one); blank is None."""
    if not text:
        return None
    m = DATE_RE.match(text)
    try:
        if m is None:
            raise ValueError
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _bad(
            path,
            row,
            column,
            N_("not a date"),
            N_("write dates as YYYY-MM-DD, e.g. 2025-03-31"),
            "ddr.bad_date",
        ) from None


def _number(text: str, path: Path, row: int, column: str, lo: float, hi: float | None, whole: bool) -> float | None:
    if not text:
        return None
    try:
        v = float(text.replace(",", "")) if not whole else float(text)
    except ValueError:
        v = float("nan")
    if v != v or v < lo or (hi is not None and v > hi) or (whole and not v.is_integer()):
        raise InputError(
            "ddr.bad_number",
            N_("not a number in the allowed range ({range})"),
            Where(file=str(path), row=row, field=column),
            hint=N_("fix the cell or leave it blank when unknown"),
            params={"range": f"{lo:g}..{hi:g}" if hi is not None else f">= {lo:g}"},
        )
    return v


def _yes_no(text: str, path: Path, row: int, column: str) -> bool | None:
    t = text.strip().lower()
    if not t:
        return None
    if t in YES:
        return True
    if t in NO:
        return False
    raise _bad(path, row, column, N_("not yes or no"), N_("write yes or no (or 1 / 0); leave blank when not asked"))


def _programme(get: Any, default: str | None, path: Path, row: int) -> str:
    name = get("programme") or default
    if not name:
        raise InputError(
            "ddr.no_programme",
            N_("no programme for this row"),
            Where(file=str(path), row=row, field="programme"),
            hint=N_("add a programme column or pass --programme NAME"),
        )
    return " ".join(str(name).split())


def _getter(cells: list[str], cols: dict[str, int]) -> Any:
    def get(name: str) -> str:
        j = cols.get(name)
        return cells[j].strip() if j is not None and j < len(cells) else ""

    return get


def _age(dob: date | None, entry: date | None) -> int | None:
    if dob is None or entry is None:
        return None
    return entry.year - dob.year - ((entry.month, entry.day) < (dob.month, dob.day))


# --- persons -----------------------------------------------------------------------------------------


def read_persons(path: Path, key: TrackKey, programme: str | None = None) -> Sheet:
    """Person records: one row per person, pseudonymised and sealed (see the module docstring).

    Rows hold ``programme``, ``person`` (pseudonym), ``sex`` (f, m, other, unknown), ``age`` (years at entry:
    the ``age`` column, else whole years from ``date_of_birth`` to ``entry_date``), ``cohort`` (the column,
    else the entry month YYYY-MM, else ``unknown``), ``entry_date``, ``area`` (P-code or ``unknown``),
    ``former_group`` and the sealed columns of :data:`SEALED`.
    """
    path = Path(path)
    cols, notes, body = _header_and_rows(path, PERSON_FIELDS)
    sheet = Sheet(path, warnings=notes, columns=sorted(c for c in cols if not c.startswith("_")))
    seen: set[tuple[str, str]] = set()
    for rownum, cells in body:
        get = _getter(cells, cols)
        raw_id = get("person_id")
        if not raw_id:
            raise _bad(
                path,
                rownum,
                "person_id",
                N_("no person id on this row"),
                N_("every person needs the id the programme's register gives them"),
                "ddr.missing_id",
            )
        prog = _programme(get, programme, path, rownum)
        person = pseudonym(key, raw_id, NAMESPACE)
        if (prog, person) in seen:
            raise _bad(
                path,
                rownum,
                "person_id",
                N_("this person id is on an earlier row too"),
                N_("keep one row per person; follow-up goes in the waves sheet"),
                "ddr.duplicate_person",
            )
        seen.add((prog, person))
        sex_text = get("sex").lower()
        if sex_text and sex_text not in SEX:
            raise _bad(path, rownum, "sex", N_("not a sex code"), N_("use f, m or other; leave blank when unknown"))
        entry = parse_date(get("entry_date"), path, rownum, "entry_date")
        dob = parse_date(get("date_of_birth"), path, rownum, "date_of_birth")
        age = _number(get("age"), path, rownum, "age", 0, 120, True)
        cohort = get("cohort") or (entry.strftime("%Y-%m") if entry else "unknown")
        row: dict[str, Any] = {
            "_row": rownum,
            "programme": prog,
            "person": person,
            "sex": SEX.get(sex_text, "unknown"),
            "age": int(age) if age is not None else _age(dob, entry),
            "cohort": cohort,
            "entry_date": entry,
            "area": get("area").upper() or "unknown",
            "former_group": get("former_group") or None,
        }
        for fname, column in SEALED.items():
            text = dob.isoformat() if fname == "date_of_birth" and dob else get(fname)
            row[column] = seal(key, text, context=f"{person}|{fname}") if text else None
        sheet.rows.append(row)
    return sheet


# --- waves -------------------------------------------------------------------------------------------


def _score_instruments(
    path: Path, cols: dict[str, int], items: dict[str, list[list[float | None]]]
) -> dict[str, list[float | None]]:
    """WHO-5 percentage, PHQ-9 and K6 scores per row through :func:`kizuna.measure.instruments.score`
    (the one home of their scoring rules: WHO-5 raw × 4, PHQ-9 with up to 2 items prorated, K6 0–4 coding)."""
    import polars as pl

    from kizuna.measure.instruments import score

    out: dict[str, list[float | None]] = {}
    for kind, rows in items.items():
        n = INSTRUMENTS[kind][0]
        frame = pl.DataFrame(
            {f"q{i}": [r[i - 1] for r in rows] for i in range(1, n + 1)},
            schema={f"q{i}": pl.Float64 for i in range(1, n + 1)},
        )
        scored = score(kind, frame, {f"q{i}": f"q{i}" for i in range(1, n + 1)}, file=str(path))
        column = f"{kind}_pct" if kind == "who5" else f"{kind}_score"
        out[column] = scored.get_column(column).to_list()
    return out


def read_waves(path: Path, key: TrackKey, programme: str | None = None) -> Sheet:
    """Follow-up waves: one row per person and wave, on the IDDRS 4.30 reintegration dimensions.

    Rows hold ``programme``, ``person`` (pseudonym), ``wave_month`` (months since entry), ``wave_date``,
    ``status`` (``seen`` or ``lost``), the yes/no outcomes of :data:`YES_NO`, ``income`` (>= 0), the scores
    ``who5_pct``, ``phq9_score``, ``k6_score`` and ``notes_sealed``. A ``lost`` row's outcomes are left blank
    (nothing was observed; a warning counts rows that had some).
    """
    path = Path(path)
    cols, notes, body = _header_and_rows(path, WAVE_FIELDS)
    sheet = Sheet(path, warnings=notes, columns=sorted(c for c in cols if not c.startswith("_")))
    for fname in ("wave_month", "status"):
        if fname not in cols:
            raise InputError(
                "ddr.missing_column",
                N_("the waves sheet has no {column} column"),
                Where(file=str(path), row=1, field=fname),
                hint=N_("a waves sheet needs person_id, wave_month and status (seen or lost)"),
                params={"column": fname},
            )
    present = {}
    for kind, (n, _lo, _hi) in INSTRUMENTS.items():
        have = [f"{kind}_{i}" in cols for i in range(1, n + 1)]
        if any(have) and not all(have):
            missing = next(f"{kind}_{i}" for i in range(1, n + 1) if f"{kind}_{i}" not in cols)
            raise InputError(
                "ddr.instrument_items",
                N_("the sheet has some items of {instrument} but not {column}"),
                Where(file=str(path), row=1, field=missing),
                hint=N_("give every item of the instrument ({n} items), or none of them"),
                params={"instrument": kind, "column": missing, "n": n},
            )
        if all(have):
            present[kind] = n
    items: dict[str, list[list[float | None]]] = {k: [] for k in present}
    seen: set[tuple[str, str, float]] = set()
    dropped = 0
    for rownum, cells in body:
        get = _getter(cells, cols)
        raw_id = get("person_id")
        if not raw_id:
            raise _bad(
                path,
                rownum,
                "person_id",
                N_("no person id on this row"),
                N_("every wave row names the person it follows up"),
                "ddr.missing_id",
            )
        prog = _programme(get, programme, path, rownum)
        person = pseudonym(key, raw_id, NAMESPACE)
        month = _number(get("wave_month"), path, rownum, "wave_month", 0, 600, False)
        if month is None:
            raise _bad(
                path,
                rownum,
                "wave_month",
                N_("no wave month on this row"),
                N_("give the months since entry of the wave, such as 3, 6, 12 or 24"),
                "ddr.bad_wave",
            )
        if (prog, person, month) in seen:
            raise _bad(
                path,
                rownum,
                "wave_month",
                N_("this person has an earlier row for the same wave"),
                N_("keep one row per person and wave"),
                "ddr.duplicate_wave",
            )
        seen.add((prog, person, month))
        status_text = get("status").lower()
        if status_text in SEEN:
            status = "seen"
        elif status_text in LOST:
            status = "lost"
        else:
            raise _bad(
                path,
                rownum,
                "status",
                N_("the status is not seen or lost"),
                N_("write seen when the person was reached at this wave, lost when not"),
                "ddr.bad_status",
            )
        row: dict[str, Any] = {
            "_row": rownum,
            "programme": prog,
            "person": person,
            "wave_month": month,
            "wave_date": parse_date(get("wave_date"), path, rownum, "wave_date"),
            "status": status,
        }
        observed: dict[str, bool | float | None] = {c: _yes_no(get(c), path, rownum, c) for c in YES_NO}
        observed["income"] = _number(get("income"), path, rownum, "income", 0, None, False)
        answers: dict[str, list[float | None]] = {}
        for kind, n in present.items():
            lo, hi = INSTRUMENTS[kind][1:]
            answers[kind] = [
                _number(get(f"{kind}_{i}"), path, rownum, f"{kind}_{i}", lo, hi, True) for i in range(1, n + 1)
            ]
        if status == "lost":
            if any(v is not None for v in observed.values()) or any(a is not None for v in answers.values() for a in v):
                dropped += 1
            observed = dict.fromkeys(observed)
            answers = {k: [None] * len(v) for k, v in answers.items()}
        row.update(observed)
        for kind in present:
            items[kind].append(answers[kind])
        text = get("notes")
        row["notes_sealed"] = seal(key, text, context=f"{person}|{month:g}|notes") if text else None
        sheet.rows.append(row)
    scores = _score_instruments(path, cols, items) if sheet.rows else {}
    for column in ("who5_pct", "phq9_score", "k6_score"):
        values = scores.get(column)
        for i, row in enumerate(sheet.rows):
            row[column] = values[i] if values is not None else None
    if dropped:
        sheet.warnings.append(
            Message(
                N_("{n} rows marked lost also had answers; they were not read (nothing is observed of a lost person)"),
                {"n": dropped},
            )
        )
    return sheet
