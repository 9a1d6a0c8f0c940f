"""The training tables of the workspace (migration 0058): one import per course in one transaction, and the
course's data read back as frames for :mod:`kizuna.track.training`.

An import reads and checks every file first (the readers; nothing is written), then, in one transaction,
refuses a key other than the course's (or the workspace's training) key id, replaces the course's rows of
each kind it brings and records each file's provenance. A failure anywhere leaves the workspace as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from kizuna.errors import InputError, Where
from kizuna.i18n import N_
from kizuna.track import training_readers as readers
from kizuna.track.protect import TrackKey, check_key_id
from kizuna.track.training import CourseData, evaluate  # the analysis and its input, which this module fills
from kizuna.workspace import Workspace, file_sha256

TABLES = {
    "reaction": "training_reaction",
    "tests": "training_tests",
    "followup": "training_followups",
    "units": "training_units",
}
COLUMNS = {
    "training_sessions": ("course", "session", "start_date", "end_date", "location", "pcode", "import_id"),
    "training_participants": ("course", "participant", "session", "sex", "unit", "agency", "rank", "import_id"),
    "training_reaction": ("course", "participant", "item", "scale", "score", "import_id"),
    "training_tests": ("course", "participant", "phase", "item", "position", "score", "max_score", "import_id"),
    "training_followups": ("course", "participant", "phase", "score", "observer", "observed_on", "import_id"),
    "training_units": ("course", "unit", "period", "outcome", "value", "comparison", "import_id"),
}


@dataclass
class ImportSummary:
    course: str
    counts: dict[str, int] = field(default_factory=dict)
    ignored: dict[str, list[str]] = field(default_factory=dict)
    key_id: str = ""

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"course": self.course, "kind": k, "rows": n, "ignored_columns": ", ".join(self.ignored.get(k, []))}
            for k, n in self.counts.items()
        ]


def _check_on_roster(kind: str, path: Path, people: set[str], roster: set[str]) -> None:
    stray = people - roster
    if stray:
        raise InputError(
            "training.not_on_roster",
            N_("{n} participants of this file are not on the course's roster"),
            Where(file=str(path), field="participant_id"),
            hint=N_("import the roster with them, or check that the same key and ids were used"),
            params={"n": len(stray)},
        )


def import_course(
    ws: Workspace,
    course: str,
    key: TrackKey,
    *,
    roster: Path | None = None,
    reaction: Path | None = None,
    tests: Path | None = None,
    followup: Path | None = None,
    units: Path | None = None,
    synthetic: bool = False,
) -> ImportSummary:
    """Read and store one course's files (any of the five kinds; the roster is needed the first time)."""
    course = course.strip()
    if not course:
        raise InputError(
            "training.no_course",
            N_("the course name is empty"),
            Where(field="--course"),
            hint=N_("name the course, e.g. --course 'Community policing 2026'"),
        )
    summary = ImportSummary(course, key_id=key.key_id)
    stored_key = _stored_key_id(ws, course)
    check_key_id(key, stored_key, where=str(ws.path))
    read: dict[str, tuple[Path, list[dict[str, Any]]]] = {}
    sessions: list[dict[str, Any]] = []
    if roster is not None:
        r = readers.read_roster(roster, key, course)
        sessions = list(r.sessions.values())
        read["roster"] = (roster, r.participants)
        summary.ignored["roster"] = r.ignored
        people = {p["participant"] for p in r.participants}
    elif stored_key is None:
        raise InputError(
            "training.no_roster",
            N_("the first import of a course needs its roster"),
            Where(field="--roster"),
            hint=N_("add --roster ROSTER.csv"),
        )
    else:
        people = {
            row[0]
            for row in ws.con.execute(
                "SELECT participant FROM training_participants WHERE course = ?", [course]
            ).fetchall()
        }
    for kind, path, fn in (
        ("reaction", reaction, readers.read_reaction),
        ("tests", tests, readers.read_tests),
        ("followup", followup, readers.read_followups),
    ):
        if path is None:
            continue
        items = fn(path, key, course)
        _check_on_roster(kind, path, {x["participant"] for x in items.rows}, people)
        read[kind] = (path, items.rows)
        summary.ignored[kind] = items.ignored
    if units is not None:
        u = readers.read_units(units, course)
        read["units"] = (units, u.rows)
        summary.ignored["units"] = u.ignored
    if not read:
        raise InputError(
            "training.nothing",
            N_("no file to import"),
            Where(field="--roster"),
            hint=N_("give --roster and any of --reaction, --tests, --followup, --units"),
        )
    now = datetime.now(UTC).replace(tzinfo=None)
    with ws.transaction() as con:
        con.execute(
            "INSERT INTO training_courses VALUES (?, ?, ?, ?) ON CONFLICT (course) DO UPDATE SET"
            " updated_at = excluded.updated_at, synthetic = excluded.synthetic",
            [course, key.key_id, synthetic, now],
        )
        for kind, (path, rows) in read.items():
            sha = file_sha256(path)
            import_id = _import_id(ws, con, kind, path, sha, course, len(rows))
            if kind == "roster":
                _replace(con, "training_sessions", course, [{**s, "import_id": import_id} for s in sessions])
                _replace(con, "training_participants", course, [{**p, "import_id": import_id} for p in rows])
            else:
                _replace(con, TABLES[kind], course, [{**x, "import_id": import_id} for x in rows])
            summary.counts[kind] = len(rows)
    return summary


def _import_id(ws: Workspace, con: Any, kind: str, path: Path, sha: str, course: str, n: int) -> int:
    # the same file for the same course again changes nothing: its first record stands
    held = con.execute(
        "SELECT min(import_id) FROM imports WHERE kind = ? AND sha256 = ? AND publisher = ?",
        [f"training-{kind}", sha, course],
    ).fetchall()[0][0]
    if held is not None:
        return int(held)
    return ws.record_import(con, kind=f"training-{kind}", path=path, sha256=sha, publisher=course, counts={"rows": n})


def _replace(con: Any, table: str, course: str, rows: list[dict[str, Any]]) -> None:
    cols = COLUMNS[table]
    con.execute(f"DELETE FROM {table} WHERE course = ?", [course])
    if rows:
        con.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [[course if c == "course" else r.get(c) for c in cols] for r in rows],
        )


def _stored_key_id(ws: Workspace, course: str) -> str | None:
    """The key id of the course, else of any course (one key links a person across courses), else None."""
    if not ws.has_table("training_courses"):
        return None
    own = ws.scalar("SELECT key_id FROM training_courses WHERE course = ?", [course])
    return own or ws.scalar("SELECT min(key_id) FROM training_courses")


def _frame(ws: Workspace, table: str, course: str, cols: tuple[str, ...]) -> pl.DataFrame:
    sel = [c for c in cols if c not in ("course", "import_id")]
    cur = ws.con.execute(f"SELECT {', '.join(sel)} FROM {table} WHERE course = ? ORDER BY ALL", [course])
    rows = cur.fetchall()
    return pl.DataFrame(
        [dict(zip(sel, r, strict=True)) for r in rows] if rows else None,
        schema=None if rows else dict.fromkeys(sel, pl.String),
        infer_schema_length=None,
    )


def load_course(ws: Workspace, course: str) -> CourseData:
    """The stored rows of ``course``; ``training.no_course`` when the workspace has none of it."""
    if not ws.has_table("training_courses") or not ws.scalar(
        "SELECT count(*) FROM training_courses WHERE course = ?", [course]
    ):
        raise InputError(
            "training.unknown_course",
            N_("no course {course!r} in this workspace"),
            Where(field="course"),
            hint=N_("list the courses with `kizuna training evaluate`"),
            params={"course": course},
            status=404,
        )
    frames = {t: _frame(ws, t, course, c) for t, c in COLUMNS.items()}
    return CourseData(
        course,
        frames["training_sessions"],
        frames["training_participants"],
        frames["training_reaction"],
        frames["training_tests"],
        frames["training_followups"],
        frames["training_units"],
        bool(ws.scalar("SELECT synthetic FROM training_courses WHERE course = ?", [course])),
    )


def course_names(ws: Workspace) -> list[str]:
    """The courses the workspace holds, by name."""
    if not ws.has_table("training_courses"):
        return []
    return [r[0] for r in ws.con.execute("SELECT course FROM training_courses ORDER BY course").fetchall()]


def list_courses(ws: Workspace) -> list[dict[str, Any]]:
    """One row per course: sessions, participants and what each level has (counts of rows)."""
    if not ws.has_table("training_courses"):
        return []
    return ws.query(
        """
        SELECT c.course,
               (SELECT count(*) FROM training_sessions s WHERE s.course = c.course) AS sessions,
               (SELECT count(*) FROM training_participants p WHERE p.course = c.course) AS participants,
               (SELECT min(start_date) FROM training_sessions s WHERE s.course = c.course) AS start_date,
               (SELECT max(end_date) FROM training_sessions s WHERE s.course = c.course) AS end_date,
               (SELECT count(DISTINCT participant) FROM training_reaction r WHERE r.course = c.course)
                   AS reaction_forms,
               (SELECT count(DISTINCT participant) FROM training_tests t WHERE t.course = c.course) AS tested,
               (SELECT count(DISTINCT participant) FROM training_followups f WHERE f.course = c.course) AS observed,
               (SELECT count(DISTINCT unit) FROM training_units u WHERE u.course = c.course) AS units,
               c.synthetic
        FROM training_courses c ORDER BY c.course
        """
    )


def evaluate_stored(ws: Workspace, course: str, **options: Any) -> Any:
    """:func:`kizuna.track.training.evaluate` of a stored course (the one library call the surfaces make)."""
    return evaluate(load_course(ws, course), **options)
