"""Readers of training-evaluation inputs (CSV or XLSX, one header row, fixed column names).

Five kinds of file, one course each (docs/track-training.md lists every column):

- **roster**: ``session``, ``participant_id`` (required); ``course``, ``name``, ``sex``, ``unit``, ``agency``,
  ``rank``, ``start_date``, ``end_date``, ``location``, ``pcode`` (optional). ``name`` is never read.
- **reaction**: ``participant_id`` and Likert items (whole numbers 1-5, blank = not answered) named
  ``<scale>_<n>`` (``relevance_1``, ``relevance_2``, ``trainer_1``): the part before the last underscore is the
  item's scale.
- **tests**: ``participant_id``, ``phase`` (``pre`` or ``post``; one optional row ``max`` gives each item's
  maximum, default 1) and items ``item_<n>`` or ``q<n>`` scored 0/1 or with partial credit.
- **followup**: ``participant_id``, ``phase`` (``baseline`` or ``followup``), ``score`` (observation
  checklist score), optional ``observer`` (pseudonymised), ``date`` (YYYY-MM-DD).
- **units**: ``unit``, ``period`` (``before``/``after``), ``outcome``, ``value``, optional ``comparison``
  (yes/no: a unit that was not trained).

Rules shared with the 3W sheets: an error names the file, the line and row, the field and a hint; a column
whose name is close to a known one (a misspelling) is refused with the close match; other unknown columns are
never read (they may hold personal data) and are named in the import summary. Participant ids become keyed
pseudonyms here (:func:`kizuna.track.protect.pseudonym`, namespace ``participant``); no error message ever
quotes a cell of these files, since any cell may identify a person. Readers yield rows and never write.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kizuna.errors import InputError, Where
from kizuna.i18n import N_
from kizuna.sheets import read_rows
from kizuna.track.protect import TrackKey, pseudonym

PARTICIPANT_NS = "participant"
OBSERVER_NS = "observer"
LIKERT = (1, 2, 3, 4, 5)
CLOSE_CUTOFF = 0.8  # difflib ratio above which an unknown column is taken for a misspelling

ROSTER_COLUMNS = (
    "course",
    "session",
    "participant_id",
    "name",
    "sex",
    "unit",
    "agency",
    "rank",
    "start_date",
    "end_date",
    "location",
    "pcode",
)
REACTION_COLUMNS = ("course", "session", "participant_id", "name")
TEST_COLUMNS = ("course", "session", "participant_id", "name", "phase")
FOLLOWUP_COLUMNS = ("course", "session", "participant_id", "name", "phase", "score", "observer", "date")
UNIT_COLUMNS = ("course", "unit", "period", "outcome", "value", "comparison")
REACTION_ITEM = re.compile(r"^([a-z][a-z0-9_]*?)_(\d+)$")
TEST_ITEM = re.compile(r"^(?:item_?|q_?)(\d+)$")

PHASES_TEST = {
    "pre": "pre",
    "pre-test": "pre",
    "pretest": "pre",
    "post": "post",
    "post-test": "post",
    "posttest": "post",
}
PHASES_FOLLOWUP = {
    "baseline": "baseline",
    "followup": "followup",
    "follow-up": "followup",
    "follow_up": "followup",
    "follow up": "followup",
}
PERIODS = {"before": "before", "after": "after", "pre": "before", "post": "after"}
YES = {"yes", "y", "true", "1", "comparison", "control"}
NO = {"no", "n", "false", "0", "", "trained", "treated"}


@dataclass
class Sheet:
    """A file's header (normalised names) and its data rows as text cells with their line numbers."""

    path: Path
    header: list[str]
    rows: list[tuple[int, int, list[str]]]  # (line, row, cells): row 1 is the first data row


def _err(
    code: str,
    message: str,
    sheet: Sheet | Path,
    line: int | None = None,
    row: int | None = None,
    fld: str | None = None,
    hint: str | None = None,
    **params: Any,
) -> InputError:
    path = sheet.path if isinstance(sheet, Sheet) else sheet
    return InputError(
        code, message, Where(file=str(path), line=line, row=row, field=fld), hint=hint, params=params or None
    )


def _norm_header(text: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(text or "").strip().lower())


def read_sheet(path: Path | str) -> Sheet:
    """The file as a :class:`Sheet`: ``.csv`` (UTF-8, ``,`` ``;`` or tab) or ``.xlsx`` (first sheet),
    read by :mod:`kizuna.sheets`."""
    path = Path(path)
    cells_by_row, lines = read_rows(path, part="training", delimiters=",;\t")
    header: list[str] | None = None
    rows: list[tuple[int, int, list[str]]] = []
    for i, record in enumerate(cells_by_row):
        line = lines[i] if lines is not None else i + 1
        if header is None:
            header = [_norm_header(h) for h in record]
        elif any(c.strip() for c in record):
            if len(record) > len(header):
                raise _err(
                    "training.csv",
                    N_("a row has more fields than the header"),
                    path,
                    line=line,
                    row=len(rows) + 1,
                    hint=N_("check the delimiters and quotes on that line"),
                )
            rows.append((line, len(rows) + 1, [c.strip() for c in record]))
    if not header or not any(header):
        raise _err("training.empty", N_("the file is empty"), path, hint=N_("the first row must hold the column names"))
    return Sheet(path, header, rows)


def check_columns(
    sheet: Sheet, known: tuple[str, ...], required: tuple[str, ...], item: re.Pattern[str] | None = None
) -> list[str]:
    """Refuse misspelt and missing columns; return the unknown columns left unread."""
    ignored = []
    seen: set[str] = set()
    for col in sheet.header:
        if not col:
            continue
        if col in seen:
            raise _err(
                "training.duplicate_column",
                N_("column {column!r} appears twice"),
                sheet,
                line=1,
                fld=col,
                hint=N_("give each column once"),
                column=col,
            )
        seen.add(col)
        if col in known or (item is not None and item.match(col)):
            continue
        close = difflib.get_close_matches(col, known, n=1, cutoff=CLOSE_CUTOFF)
        if close:
            raise _err(
                "training.unknown_column",
                N_("unknown column {column!r}"),
                sheet,
                line=1,
                fld=col,
                hint=N_("did you mean {close!r}?"),
                column=col,
                close=close[0],
            )
        ignored.append(col)
    for col in required:
        if col not in seen:
            raise _err(
                "training.missing_column",
                N_("the column {column!r} is missing"),
                sheet,
                line=1,
                fld=col,
                hint=N_("the columns are listed in docs/track-training.md"),
                column=col,
            )
    return ignored


def _get(sheet: Sheet, cells: list[str], col: str) -> str:
    try:
        j = sheet.header.index(col)
    except ValueError:
        return ""
    return cells[j].strip() if j < len(cells) else ""


def _number(sheet: Sheet, line: int, row: int, col: str, text: str) -> float:
    try:
        v = float(text.replace(",", "."))
    except ValueError:
        raise _err(
            "training.not_number",
            N_("the value is not a number"),
            sheet,
            line,
            row,
            col,
            hint=N_("write a number such as 3 or 0.5"),
        ) from None
    if v != v or v in (float("inf"), float("-inf")):
        raise _err(
            "training.not_number",
            N_("the value is not a number"),
            sheet,
            line,
            row,
            col,
            hint=N_("write a number such as 3 or 0.5"),
        )
    return v


def _date(sheet: Sheet, line: int, row: int, col: str, text: str) -> date | None:
    if not text:
        return None
    try:
        return datetime.strptime(text[:10], "%Y-%m-%d").date()
    except ValueError:
        raise _err(
            "training.bad_date", N_("the date cannot be read"), sheet, line, row, col, hint=N_("write it as YYYY-MM-DD")
        ) from None


def _participant(key: TrackKey, sheet: Sheet, line: int, row: int, cells: list[str]) -> str:
    raw = _get(sheet, cells, "participant_id")
    if not raw:
        raise _err(
            "training.missing_value",
            N_("the participant id is empty"),
            sheet,
            line,
            row,
            "participant_id",
            hint=N_("every row needs the participant's id"),
        )
    return pseudonym(key, raw, PARTICIPANT_NS)


def _course(sheet: Sheet, line: int, row: int, cells: list[str], course: str) -> None:
    given = _get(sheet, cells, "course")
    if given and given != course:
        raise _err(
            "training.other_course",
            N_("the row belongs to another course than {course!r}"),
            sheet,
            line,
            row,
            "course",
            hint=N_("import each course with its own --course"),
            course=course,
        )


@dataclass
class Roster:
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    participants: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


SESSION_FIELDS = ("start_date", "end_date", "location", "pcode")


def read_roster(path: Path | str, key: TrackKey, course: str) -> Roster:
    """A course's roster: its sessions (dates, location, P-code) and participants as pseudonyms."""
    sheet = read_sheet(path)
    out = Roster(ignored=check_columns(sheet, ROSTER_COLUMNS, ("session", "participant_id")))
    seen: set[str] = set()
    for line, row, cells in sheet.rows:
        _course(sheet, line, row, cells, course)
        session = _get(sheet, cells, "session")
        if not session:
            raise _err(
                "training.missing_value",
                N_("the session is empty"),
                sheet,
                line,
                row,
                "session",
                hint=N_("name the session each participant attended"),
            )
        pid = _participant(key, sheet, line, row, cells)
        if pid in seen:
            raise _err(
                "training.duplicate_participant",
                N_("this participant is listed twice"),
                sheet,
                line,
                row,
                "participant_id",
                hint=N_("list each participant once per course"),
            )
        seen.add(pid)
        values: dict[str, Any] = {
            "start_date": _date(sheet, line, row, "start_date", _get(sheet, cells, "start_date")),
            "end_date": _date(sheet, line, row, "end_date", _get(sheet, cells, "end_date")),
            "location": _get(sheet, cells, "location") or None,
            "pcode": _get(sheet, cells, "pcode") or None,
        }
        if values["start_date"] and values["end_date"] and values["end_date"] < values["start_date"]:
            raise _err(
                "training.bad_dates",
                N_("the session ends before it starts"),
                sheet,
                line,
                row,
                "end_date",
                hint=N_("check the start and end dates"),
            )
        held = out.sessions.setdefault(session, {"session": session, **dict.fromkeys(SESSION_FIELDS)})
        for f in SESSION_FIELDS:
            if values[f] is None:
                continue
            if held[f] is None:
                held[f] = values[f]
            elif held[f] != values[f]:
                raise _err(
                    "training.session_conflict",
                    N_("another row gives this session a different {column}"),
                    sheet,
                    line,
                    row,
                    f,
                    hint=N_("give each session one start, end, location and P-code"),
                    column=f,
                )
        out.participants.append(
            {
                "participant": pid,
                "session": session,
                "sex": _get(sheet, cells, "sex").lower() or None,
                "unit": _get(sheet, cells, "unit") or None,
                "agency": _get(sheet, cells, "agency") or None,
                "rank": _get(sheet, cells, "rank") or None,
            }
        )
    if not out.participants:
        raise _err("training.empty", N_("the file has no data rows"), sheet, hint=N_("add one row per participant"))
    return out


@dataclass
class Items:
    rows: list[dict[str, Any]]
    ignored: list[str]
    people: int


def read_reaction(path: Path | str, key: TrackKey, course: str) -> Items:
    """Reaction forms: one row per participant, Likert items 1-5 named ``<scale>_<n>``; blank = not answered."""
    sheet = read_sheet(path)
    ignored = check_columns(sheet, REACTION_COLUMNS, ("participant_id",), REACTION_ITEM)
    items = [
        (j, c, m.group(1))
        for j, c in enumerate(sheet.header)
        if c not in REACTION_COLUMNS and (m := REACTION_ITEM.match(c))
    ]
    if not items:
        raise _err(
            "training.no_items",
            N_("no item columns"),
            sheet,
            line=1,
            hint=N_("name reaction items <scale>_<number>, e.g. relevance_1, trainer_2"),
        )
    rows, seen = [], set()
    for line, row, cells in sheet.rows:
        _course(sheet, line, row, cells, course)
        pid = _participant(key, sheet, line, row, cells)
        if pid in seen:
            raise _err(
                "training.duplicate_participant",
                N_("this participant is listed twice"),
                sheet,
                line,
                row,
                "participant_id",
                hint=N_("give one reaction form per participant"),
            )
        seen.add(pid)
        for j, col, scale in items:
            text = cells[j].strip() if j < len(cells) else ""
            if not text:
                continue
            v = _number(sheet, line, row, col, text)
            if v not in LIKERT:
                raise _err(
                    "training.bad_likert",
                    N_("a reaction answer must be a whole number from 1 to 5"),
                    sheet,
                    line,
                    row,
                    col,
                    hint=N_("1 = strongly disagree ... 5 = strongly agree; leave blank if not answered"),
                )
            rows.append({"participant": pid, "item": col, "scale": scale, "score": v})
    return Items(rows, ignored, len(seen))


def read_tests(path: Path | str, key: TrackKey, course: str) -> Items:
    """Pre/post test item scores: a row per participant and phase; an optional ``max`` row gives maxima."""
    sheet = read_sheet(path)
    ignored = check_columns(sheet, TEST_COLUMNS, ("participant_id", "phase"), TEST_ITEM)
    items = sorted(((int(m.group(1)), j, c) for j, c in enumerate(sheet.header) if (m := TEST_ITEM.match(c))))
    if len(items) < 2:
        raise _err(
            "training.no_items",
            N_("a test needs at least two item columns"),
            sheet,
            line=1,
            hint=N_("name test items item_1, item_2, ... (or q1, q2, ...)"),
        )
    maxima = {c: 1.0 for _n, _j, c in items}
    data: list[tuple[int, int, str, str, list[str]]] = []
    seen: set[tuple[str, str]] = set()
    max_row = False
    for line, row, cells in sheet.rows:
        phase_text = _get(sheet, cells, "phase").lower()
        if phase_text == "max":
            if max_row:
                raise _err(
                    "training.duplicate_max",
                    N_("the row of maxima is given twice"),
                    sheet,
                    line,
                    row,
                    "phase",
                    hint=N_("give one row with phase 'max'"),
                )
            max_row = True
            for _n, j, col in items:
                text = cells[j].strip() if j < len(cells) else ""
                if text:
                    v = _number(sheet, line, row, col, text)
                    if v <= 0:
                        raise _err(
                            "training.bad_max",
                            N_("an item's maximum must be above 0"),
                            sheet,
                            line,
                            row,
                            col,
                            hint=N_("the max row gives the most points each item can earn"),
                        )
                    maxima[col] = v
            continue
        phase = PHASES_TEST.get(phase_text)
        if phase is None:
            raise _err(
                "training.bad_phase",
                N_("the phase must be pre or post"),
                sheet,
                line,
                row,
                "phase",
                hint=N_("write pre or post (or max for the row of item maxima)"),
            )
        _course(sheet, line, row, cells, course)
        pid = _participant(key, sheet, line, row, cells)
        if (pid, phase) in seen:
            raise _err(
                "training.duplicate_participant",
                N_("this participant has two rows for the same phase"),
                sheet,
                line,
                row,
                "participant_id",
                hint=N_("give one pre and one post row per participant"),
            )
        seen.add((pid, phase))
        data.append((line, row, pid, phase, cells))
    rows = []
    for line, row, pid, phase, cells in data:
        for pos, (_n, j, col) in enumerate(items, start=1):
            text = cells[j].strip() if j < len(cells) else ""
            if not text:
                raise _err(
                    "training.missing_score",
                    N_("an item score is empty"),
                    sheet,
                    line,
                    row,
                    col,
                    hint=N_("score an unanswered item as 0"),
                )
            v = _number(sheet, line, row, col, text)
            if v < 0 or v > maxima[col]:
                raise _err(
                    "training.score_out_of_range",
                    N_("the score is outside 0 to the item's maximum {max}"),
                    sheet,
                    line,
                    row,
                    col,
                    hint=N_("for partial credit add a row with phase 'max' giving each item's maximum"),
                    max=maxima[col],
                )
            rows.append(
                {"participant": pid, "phase": phase, "item": col, "position": pos, "score": v, "max_score": maxima[col]}
            )
    return Items(rows, ignored, len({p for p, _ in seen}))


def read_followups(path: Path | str, key: TrackKey, course: str) -> Items:
    """Behaviour observations: checklist scores at baseline and at follow-up (3-6 months after)."""
    sheet = read_sheet(path)
    ignored = check_columns(sheet, FOLLOWUP_COLUMNS, ("participant_id", "phase", "score"))
    rows, seen = [], set()
    for line, row, cells in sheet.rows:
        _course(sheet, line, row, cells, course)
        phase = PHASES_FOLLOWUP.get(_get(sheet, cells, "phase").lower())
        if phase is None:
            raise _err(
                "training.bad_phase",
                N_("the phase must be baseline or followup"),
                sheet,
                line,
                row,
                "phase",
                hint=N_("write baseline or followup"),
            )
        pid = _participant(key, sheet, line, row, cells)
        if (pid, phase) in seen:
            raise _err(
                "training.duplicate_participant",
                N_("this participant has two rows for the same phase"),
                sheet,
                line,
                row,
                "participant_id",
                hint=N_("give one baseline and one follow-up row per participant"),
            )
        seen.add((pid, phase))
        text = _get(sheet, cells, "score")
        if not text:
            raise _err(
                "training.missing_score",
                N_("the score is empty"),
                sheet,
                line,
                row,
                "score",
                hint=N_("leave out a participant who was not observed"),
            )
        observer = _get(sheet, cells, "observer")
        rows.append(
            {
                "participant": pid,
                "phase": phase,
                "score": _number(sheet, line, row, "score", text),
                "observer": pseudonym(key, observer, OBSERVER_NS) if observer else None,
                "observed_on": _date(sheet, line, row, "date", _get(sheet, cells, "date")),
            }
        )
    return Items(rows, ignored, len({p for p, _ in seen}))


def read_units(path: Path | str, course: str) -> Items:
    """Unit-level results: one value per unit, period (before/after) and outcome; ``comparison`` units untrained."""
    sheet = read_sheet(path)
    ignored = check_columns(sheet, UNIT_COLUMNS, ("unit", "period", "outcome", "value"))
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for line, row, cells in sheet.rows:
        _course(sheet, line, row, cells, course)
        unit, outcome = _get(sheet, cells, "unit"), _get(sheet, cells, "outcome")
        for col, v in (("unit", unit), ("outcome", outcome)):
            if not v:
                raise _err(
                    "training.missing_value",
                    N_("the {column} is empty"),
                    sheet,
                    line,
                    row,
                    col,
                    hint=N_("every row needs a unit, a period, an outcome and a value"),
                    column=col,
                )
        period = PERIODS.get(_get(sheet, cells, "period").lower())
        if period is None:
            raise _err(
                "training.bad_period",
                N_("the period must be before or after"),
                sheet,
                line,
                row,
                "period",
                hint=N_("write before or after"),
            )
        comp_text = _get(sheet, cells, "comparison").lower()
        if comp_text not in YES and comp_text not in NO:
            raise _err(
                "training.bad_flag",
                N_("comparison must be yes or no"),
                sheet,
                line,
                row,
                "comparison",
                hint=N_("yes marks a comparison unit that was not trained"),
            )
        if (unit, period, outcome) in seen:
            raise _err(
                "training.duplicate_unit",
                N_("this unit has two values for the same period and outcome"),
                sheet,
                line,
                row,
                "unit",
                hint=N_("give one value per unit, period and outcome"),
            )
        seen.add((unit, period, outcome))
        rows.append(
            {
                "unit": unit,
                "period": period,
                "outcome": outcome,
                "value": _number(sheet, line, row, "value", _get(sheet, cells, "value")),
                "comparison": comp_text in YES,
            }
        )
    flags: dict[str, set[bool]] = {}
    for r in rows:
        flags.setdefault(r["unit"], set()).add(r["comparison"])
    mixed = sorted(u for u, f in flags.items() if len(f) > 1)
    if mixed:
        raise _err(
            "training.bad_flag",
            N_("a unit is marked comparison on some rows and not on others"),
            sheet,
            fld="comparison",
            hint=N_("a unit is either trained or a comparison unit"),
        )
    return Items(rows, ignored, len(flags))
