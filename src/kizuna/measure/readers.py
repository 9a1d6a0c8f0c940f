"""Survey readers: CSV, XLSX, SPSS (.sav), Stata (.dta) and Kobo/ODK exports. No store writes.

Each returns a :class:`SurveyData`: a Polars frame plus variable and value labels. Respondent
identifiers never stay in clear: columns the spec names in ``survey.id_columns`` are replaced by a
keyed hash (HMAC-SHA256 with a random key made for this read and then forgotten, so the tokens can
group rows within one file but cannot be reversed or linked across files); ``survey.drop_columns``
and the personal metadata columns of Kobo/ODK exports (device ids, user names, phone numbers,
GPS) are dropped on read. Only the counts are reported.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from kizuna.errors import InputError, Where
from kizuna.files import file_sha256
from kizuna.i18n import N_
from kizuna.measure import disclosure

NULL_VALUES = ["", "NA", "N/A", "n/a"]

# Kobo/ODK (Collect, Briefcase, KoboToolbox, ODK Central) metadata that identifies a person, a device, a
# place or a moment of an interview: dropped on read. Matched on the lower-cased column name and on its
# last path part ("meta/instanceName", "meta-instanceName"). Sources: the XLSForm spec's metadata
# types (https://xlsform.org/en/#metadata), KoboToolbox's export columns (_submitted_by, _geolocation,
# _attachments, _notes, _tags, _validation_status) and ODK Central's CSV export (SubmitterID,
# SubmitterName, DeviceID, UserAgent).
PERSONAL_META = {
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "imei",
    "audit",
    "start",
    "end",
    "instancename",
    "_submitted_by",
    "_geolocation",
    "_attachments",
    "_notes",
    "_tags",
    "_validation_status",
    "submitterid",
    "submittername",
    "useragent",
}
# Kobo/ODK submission identifiers: hashed like the spec's id columns (rows can still be told apart).
SUBMISSION_IDS = {
    "_uuid",
    "_id",
    "instanceid",
    "_index",
    "rootuuid",
    "deprecatedid",
    "key",
    "parent_key",
    "_parent_index",
}
KOBO_MARKERS = {"_uuid", "_submission_time", "meta/instanceid", "_index", "_id"}
# ODK Central's CSV export (Central 1.x/2023+): any two of these columns.
CENTRAL_MARKERS = {
    "submissiondate",
    "submitterid",
    "submittername",
    "key",
    "meta-instanceid",
    "reviewstate",
    "attachmentspresent",
    "attachmentsexpected",
    "formversion",
}
# the parts of a geopoint that Kobo ("_gps_latitude") and ODK Central ("gps-Latitude") export
GPS_SUFFIXES = (
    "_latitude",
    "_longitude",
    "_altitude",
    "_precision",
    "-latitude",
    "-longitude",
    "-altitude",
    "-accuracy",
    "-precision",
)


@dataclass
class SurveyData:
    frame: pl.DataFrame
    path: Path
    sha256: str
    file_format: str
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    hashed: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    # identifier-like columns that are neither hashed nor dropped: (column, kind catalogue id)
    undeclared: list[tuple[str, str]] = field(default_factory=list)

    def label_of(self, column: str, value: Any) -> str:
        """The value label of ``value`` in ``column``, else the value as text."""
        labels = self.value_labels.get(column, {})
        for key in (value, _num_key(value)):
            if key in labels:
                return labels[key]
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)


def _num_key(v: Any) -> Any:
    try:
        f = float(v)
        return int(f) if f.is_integer() else f
    except (TypeError, ValueError):
        return v


def _sniff_delimiter(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.readline().decode("utf-8", errors="replace")
    counts = {d: head.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_csv(path: Path) -> pl.DataFrame:
    """A CSV survey file (UTF-8, header row; ``,`` ``;`` or tab, sniffed from the header).

    A file that cannot be parsed is an error naming the line (and the column, when known) but never
    quoting its content: the parser's own message prints the offending row, which may hold names or
    other columns the spec drops or hashes."""
    sep = _sniff_delimiter(path)
    try:
        try:
            # types from the first 10,000 rows; a later surprise re-reads with the whole file
            return pl.read_csv(
                path, separator=sep, infer_schema_length=10_000, null_values=NULL_VALUES, encoding="utf8"
            )
        except pl.exceptions.ComputeError:
            return pl.read_csv(path, separator=sep, infer_schema_length=None, null_values=NULL_VALUES, encoding="utf8")
    except pl.exceptions.NoDataError as exc:
        raise InputError(
            "survey.empty",
            N_("the survey file is empty"),
            Where(file=str(path)),
            hint=N_("export the data again with a header row"),
        ) from exc
    except (pl.exceptions.PolarsError, UnicodeDecodeError):
        raise csv_problem(path, sep) from None


def csv_problem(path: Path, sep: str) -> InputError:
    """The first problem of a CSV that Polars refused, found again with the standard ``csv`` module so
    that the error can name its line without quoting any value."""
    import csv

    raw = path.read_bytes()
    for i, line in enumerate(raw.splitlines(), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return InputError(
                "survey.encoding",
                N_("the CSV is not UTF-8 (line {line})"),
                Where(file=str(path), line=i),
                hint=N_("save it as UTF-8 CSV with one header row"),
                params={"line": i},
            )
    text = raw.decode("utf-8")
    reader = csv.reader(text.splitlines(keepends=True), delimiter=sep, strict=True)
    start, width, index = 1, None, -1  # record 0 is the header, record i the i-th data row
    try:
        for record in reader:
            index += 1
            if width is None:
                width = len(record)
            elif record and len(record) != width:
                return InputError(
                    "survey.csv",
                    N_("row {row} has {found} fields where the header has {width}"),
                    Where(file=str(path), line=start, row=index),
                    hint=N_("check the delimiters and quotes on that line"),
                    params={"row": index, "found": len(record), "width": width},
                )
            start = reader.line_num + 1
    except csv.Error:
        return InputError(
            "survey.csv",
            N_("a quoted field that starts on line {line} is never closed"),
            Where(file=str(path), line=start, row=index + 1),
            hint=N_("close the quote (a quote inside a field is written twice: \"\")"),
            params={"line": start},
        )
    return InputError(
        "survey.csv",
        N_("cannot read the CSV (the parser's message is not shown: it may quote personal data)"),
        Where(file=str(path)),
        hint=N_("save it as UTF-8 CSV with one header row"),
    )


def _column_from_cells(values: list[Any]) -> pl.Series:
    present = [v for v in values if v is not None and v != ""]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        if all(isinstance(v, int) or float(v).is_integer() for v in present):
            return pl.Series([None if v in (None, "") else int(v) for v in values], dtype=pl.Int64)
        return pl.Series([None if v in (None, "") else float(v) for v in values], dtype=pl.Float64)
    return pl.Series([None if v in (None, "") else str(v) for v in values], dtype=pl.String)


def read_xlsx(path: Path, sheet: str | None = None) -> pl.DataFrame:
    """The first (or named) sheet of an XLSX workbook; the first row is the header."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a broken zip
        raise InputError(
            "survey.xlsx",
            N_("cannot open the workbook: {error}"),
            Where(file=str(path)),
            hint=N_("is it an .xlsx file (not .xls or .csv renamed)?"),
            params={"error": str(exc)},
        ) from exc
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise InputError(
                "survey.sheet",
                N_("no sheet '{sheet}'"),
                Where(file=str(path), key="survey.sheet"),
                hint=N_("sheets: {sheets}"),
                params={"sheet": sheet, "sheets": ', '.join(wb.sheetnames)},
            )
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise InputError(
                "survey.empty",
                N_("the sheet is empty"),
                Where(file=str(path)),
                hint=N_("the first row must hold the column names"),
            )
        names = [str(h).strip() if h is not None else f"column_{j + 1}" for j, h in enumerate(header)]
        cols: list[list[Any]] = [[] for _ in names]
        for r in rows:
            if r is None or all(v is None for v in r):
                continue
            for j in range(len(names)):
                cols[j].append(r[j] if j < len(r) else None)
    finally:
        wb.close()
    return pl.DataFrame({n: _column_from_cells(c) for n, c in zip(names, cols, strict=True)})


def read_stat(path: Path, kind: str) -> tuple[pl.DataFrame, dict[str, str], dict[str, dict[Any, str]]]:
    """SPSS .sav or Stata .dta with variable and value labels (pyreadstat)."""
    import pyreadstat

    reader = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
    try:
        df, meta = reader(str(path), output_format="polars")
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise InputError(
            f"survey.{kind}",
            N_("cannot read the {kind} file: {error}"),
            Where(file=str(path)),
            hint=N_("is the file complete and really SPSS/Stata?"),
            params={"kind": kind.upper(), "error": str(exc)},
        ) from exc
    var_labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
    val_labels = {
        col: {_num_key(k): str(v) for k, v in labels.items()}
        for col, labels in (meta.variable_value_labels or {}).items()
    }
    return df, var_labels, val_labels


def read_xlsform(path: Path) -> dict[str, dict[str, Any]]:
    """An XLSForm: for each question name, its type, label and (select_one/multiple) choices.

    Returns {name: {"type": ..., "label": ..., "list": ..., "choices": {choice_name: label}}}.
    """
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(
            "survey.xlsform",
            N_("cannot open the XLSForm: {error}"),
            Where(file=str(path)),
            hint=N_("pass the form's .xlsx (sheets 'survey' and 'choices')"),
            params={"error": str(exc)},
        ) from exc

    def table(name: str) -> list[dict[str, Any]]:
        if name not in wb.sheetnames:
            return []
        rows = list(wb[name].iter_rows(values_only=True))
        if not rows:
            return []
        head = [str(h).strip() if h is not None else "" for h in rows[0]]
        return [dict(zip(head, r, strict=False)) for r in rows[1:] if r and any(v is not None for v in r)]

    try:
        survey = table("survey")
        choices = table("choices")
    finally:
        wb.close()
    if not survey:
        raise InputError(
            "survey.xlsform",
            N_("the XLSForm has no 'survey' sheet"),
            Where(file=str(path)),
            hint=N_("an XLSForm has sheets 'survey' and 'choices'"),
        )

    def label(row: dict[str, Any]) -> str | None:
        for k, v in row.items():
            if k.startswith("label") and v is not None:
                return str(v)
        return None

    lists: dict[str, dict[str, str]] = {}
    for c in choices:
        ln, nm = c.get("list_name") or c.get("list name"), c.get("name")
        if ln is None or nm is None:
            continue
        lists.setdefault(str(ln), {})[_choice_name(nm)] = label(c) or _choice_name(nm)
    out: dict[str, dict[str, Any]] = {}
    for q in survey:
        qtype, name = str(q.get("type") or "").strip(), q.get("name")
        if not name:
            continue
        parts = qtype.split()
        entry: dict[str, Any] = {"type": parts[0] if parts else "", "label": label(q)}
        if parts and parts[0] in ("select_one", "select_multiple") and len(parts) > 1:
            entry["list"] = parts[1]
            entry["choices"] = lists.get(parts[1], {})
        out[str(name)] = entry
    return out


def _choice_name(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _maybe_numeric(s: pl.Series) -> pl.Series:
    if s.dtype != pl.String:
        return s
    conv = s.str.strip_chars().cast(pl.Float64, strict=False)
    if (conv.is_null() == s.is_null()).all():
        if (conv.drop_nulls() == conv.drop_nulls().round(0)).all():
            return conv.cast(pl.Int64)
        return conv
    return s


def apply_xlsform(frame: pl.DataFrame, form: dict[str, dict[str, Any]]) -> tuple[pl.DataFrame, dict, dict]:
    """Kobo/ODK export + its XLSForm: strip group paths ("grp/q" → "q"), map select_one labels to
    choice names (exports "with labels" become codes), and return variable and value labels."""
    rename: dict[str, str] = {}
    taken = set(frame.columns)
    for col in frame.columns:
        # Kobo separates group paths with "/", ODK Briefcase with "-"; "/" is tried first so that a
        # question whose own name holds "-" is not split. A select_multiple expansion
        # "grp/q/choice" keeps "q/choice".
        for sep in ("/", "-"):
            parts = col.split(sep)
            found = False
            for cut in range(len(parts)):
                tail = parts[cut:]
                head = tail[0]
                if head in form and (len(tail) == 1 or form[head]["type"] == "select_multiple"):
                    cand = "/".join(tail)
                    if cand != col and cand not in taken:
                        rename[col] = cand
                        taken.add(cand)
                    found = True
                    break
            if found:
                break
    frame = frame.rename(rename)
    var_labels: dict[str, str] = {}
    val_labels: dict[str, dict[Any, str]] = {}
    updates = []
    for col in frame.columns:
        question = form.get(col)
        if question is None:
            continue
        q: dict[str, Any] = question
        if q.get("label"):
            var_labels[col] = q["label"]
        if q["type"] == "select_one" and q.get("choices"):
            choices: dict[str, str] = q["choices"]
            by_label = {v: k for k, v in choices.items()}
            s = frame.get_column(col).cast(pl.String)
            mapped = s.replace(by_label)  # labels -> names; names stay names
            unknown = mapped.is_not_null() & ~mapped.is_in(list(choices))
            if unknown.any():
                bad = unknown.arg_true()
                # the answer itself is not shown: it may be a name typed into a choice column
                raise InputError(
                    "survey.unknown_choice",
                    N_(
                        "'{col}' has {bad} answers that are neither a choice name nor a label of "
                        "list '{list}' (first on row {row})"
                    ),
                    Where(row=int(bad[0]) + 1, field=col),
                    hint=N_("check the XLSForm matches this export's version"),
                    params={"col": col, "bad": bad.len(), "list": q["list"], "row": int(bad[0]) + 1},
                )
            updates.append(_maybe_numeric(mapped).alias(col))
            val_labels[col] = {_num_key(k): v for k, v in choices.items()}
    if updates:
        frame = frame.with_columns(updates)
    return frame, var_labels, val_labels


def _is_kobo(columns: list[str]) -> bool:
    low = {c.lower() for c in columns}
    return bool(low & KOBO_MARKERS)


def _is_central(columns: list[str]) -> bool:
    """An ODK Central CSV export (SubmissionDate, KEY, SubmitterID, SubmitterName, ReviewState ...)."""
    low = {c.lower() for c in columns}
    return len(low & CENTRAL_MARKERS) >= 2


def _keyed_hash(values: pl.Series, key: bytes) -> pl.Series:
    def h(v: Any) -> str | None:
        if v is None:
            return None
        return hmac.new(key, str(v).encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    return pl.Series(values.name, [h(v) for v in values.to_list()], dtype=pl.String)


def _last_part(column: str) -> str:
    """``meta/instanceName`` → ``instancename``; ``meta-instanceID`` → ``instanceid``."""
    return re.split(r"[/-]", column.lower())[-1]


def export_metadata(frame: pl.DataFrame, form_types: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """The columns of a Kobo/ODK export to drop (personal metadata, GPS, attachments) and to hash
    (submission ids). A column is dropped when its name or last path part is personal metadata, when
    it is a part of a geopoint, when its XLSForm type is personal (start, end, deviceid, geopoint,
    image, ...), or when its values are GPS points (the geopoint column itself: "4.85 31.60 450 5")."""
    form_types = form_types or {}
    drop: list[str] = []
    hashed: list[str] = []
    for col in frame.columns:
        low, last = col.lower(), _last_part(col)
        ftype = form_types.get(col)
        if (
            low in PERSONAL_META
            or last in PERSONAL_META
            or low.endswith(GPS_SUFFIXES)
            or low.startswith("_geolocation")
            or (ftype is not None and ftype in disclosure.PERSONAL_FORM_TYPES)
            or disclosure.kind_by_name(col) == disclosure.KIND_GPS
            or disclosure.kind_by_values(frame.get_column(col), unique=False) == disclosure.KIND_GPS
        ):
            drop.append(col)
        elif low in SUBMISSION_IDS or last in SUBMISSION_IDS:
            hashed.append(col)
    return drop, hashed


def undeclared_identifiers(
    frame: pl.DataFrame, protected: list[str], form_types: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """Columns that look like they identify a person (name, phone, id, GPS, free text ...) and are
    neither hashed nor dropped: [(column, kind)], for a warning (see :func:`disclosure.identifier_kind`)."""
    form_types = form_types or {}
    out = []
    for col in frame.columns:
        if col in protected:
            continue
        kind = disclosure.identifier_kind(col, frame.get_column(col), form_types.get(col))
        if kind is not None:
            out.append((col, kind))
    return out


def protect_identifiers(
    frame: pl.DataFrame,
    id_columns: list[str],
    drop_columns: list[str],
    kobo: bool,
    file: str | None = None,
    form_types: dict[str, str] | None = None,
) -> tuple[pl.DataFrame, list[str], list[str]]:
    """Hash ``id_columns`` (keyed, per read) and drop ``drop_columns`` plus Kobo/ODK personal metadata
    (:func:`export_metadata`)."""
    for col in [*id_columns, *drop_columns]:
        if col not in frame.columns:
            raise InputError(
                "survey.unknown_column",
                N_("the spec names column '{col}', which the survey does not have"),
                Where(file=file, field=col, key="survey.id_columns / survey.drop_columns"),
                hint=N_("columns: {columns}"),
                params={"col": col, "columns": ', '.join(frame.columns[:30])},
            )
    drop = list(drop_columns)
    hashed = list(id_columns)
    if kobo:
        meta_drop, meta_hash = export_metadata(frame, form_types)
        drop += [c for c in meta_drop if c not in hashed]
        hashed += [c for c in meta_hash if c not in hashed]
    key = secrets.token_bytes(32)
    frame = frame.with_columns([_keyed_hash(frame.get_column(c), key) for c in hashed if c not in drop])
    drop = list(dict.fromkeys(drop))
    return frame.drop(drop), [c for c in hashed if c not in drop], drop


def read_survey(
    path: Path | str,
    *,
    sheet: str | None = None,
    xlsform: Path | None = None,
    id_columns: list[str] | None = None,
    drop_columns: list[str] | None = None,
) -> SurveyData:
    """Read a survey file by its extension (.csv, .xlsx, .sav, .dta) and protect its identifiers.

    A CSV/XLSX with Kobo/ODK metadata columns (``_uuid``, ``_submission_time``, ...) or with an
    ``xlsform`` is read as a Kobo/ODK export (see :func:`apply_xlsform`).
    """
    p = Path(path)
    if not p.exists():
        raise InputError("survey.missing", N_("survey file not found"), Where(file=str(p)), hint=N_("check the path"))
    ext = p.suffix.lower().lstrip(".")
    var_labels: dict[str, str] = {}
    val_labels: dict[str, dict[Any, str]] = {}
    if ext in ("csv", "txt"):
        frame = read_csv(p)
    elif ext in ("xlsx", "xlsm"):
        frame = read_xlsx(p, sheet)
    elif ext in ("sav", "zsav", "dta"):
        frame, var_labels, val_labels = read_stat(p, "dta" if ext == "dta" else "sav")
    else:
        raise InputError(
            "survey.format",
            N_("unknown survey format '.{ext}'"),
            Where(file=str(p)),
            hint=N_("use .csv, .xlsx, .sav or .dta"),
            params={"ext": ext},
        )
    central = _is_central(frame.columns)
    kobo = _is_kobo(frame.columns) or central or xlsform is not None
    fmt = ext
    form_types: dict[str, str] = {}
    if xlsform is not None:
        form = read_xlsform(Path(xlsform))
        form_types = {name: str(q.get("type") or "") for name, q in form.items()}
        try:
            frame, vl, cl = apply_xlsform(frame, form)
        except InputError as exc:
            raise InputError(
                exc.code,
                exc.message,  # already a catalogue id with its params: the same error, placed in the file
                Where(file=str(p), row=exc.where.row, field=exc.where.field),
                hint=exc.hint,
                params=exc.params,
            ) from exc
        var_labels.update(vl)
        val_labels.update(cl)
        fmt = f"kobo-{ext}"
    elif central:
        fmt = f"odk-central-{ext}"
    elif kobo:
        fmt = f"kobo-{ext}"
    frame, hashed, dropped = protect_identifiers(
        frame, id_columns or [], drop_columns or [], kobo, str(p), form_types
    )
    undeclared = undeclared_identifiers(frame, hashed, form_types)
    return SurveyData(frame, p, file_sha256(p), fmt, var_labels, val_labels, hashed, dropped, undeclared)
