"""One call from files to stored, written results: what the CLI (and later the web) calls."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kizuna.i18n import N_, Said
from kizuna.measure.disclosure import undeclared_notes
from kizuna.measure.outputs import write_outputs
from kizuna.measure.readers import read_survey
from kizuna.measure.respondents import respondent_table
from kizuna.measure.run import MeasureResult, run_measure
from kizuna.measure.spec import load_spec
from kizuna.measure.store import store_result
from kizuna.workspace import Workspace


@dataclass
class MeasureRun:
    result: MeasureResult
    run_id: int | None
    created: bool
    written: list[Path]
    sha256: str


def measure_file(
    survey: Path, spec_path: Path, *, ws: Workspace | None = None, out_dir: Path | None = None
) -> MeasureRun:
    """Read ``survey`` with ``spec_path``, compute the index, store it in ``ws`` (when given) and
    write the CSV/XLSX/JSON/HTML outputs to ``out_dir`` (when given)."""
    spec = load_spec(spec_path)
    data = read_survey(
        survey,
        sheet=spec.sheet,
        xlsform=spec.xlsform,
        id_columns=spec.id_columns,
        drop_columns=spec.drop_columns,
    )
    result = run_measure(data.frame, spec, value_labels=data.value_labels, file=str(survey))
    if data.hashed or data.dropped:
        result.notes.append(
            Said(
                N_("identifiers protected on read: {hashed} column(s) hashed, {dropped} dropped"),
                hashed=len(data.hashed),
                dropped=len(data.dropped),
            )
        )
    result.notes.extend(undeclared_notes(data.undeclared))
    run_id, created = (None, False)
    if ws is not None:
        run_id, created = store_result(
            ws,
            result,
            path=Path(survey),
            data_sha256=data.sha256,
            hashed=data.hashed,
            dropped=data.dropped,
            undeclared=len(data.undeclared),
        )
    written: list[Path] = []
    if out_dir:
        # one row per respondent, keyed by the hashed id (never a raw one): for targeting
        respondents = respondent_table(data.frame, spec, hashed=data.hashed, file=str(survey))
        result.notes.extend(respondents.notes)
        written = write_outputs(
            result, out_dir, file=Path(survey).name, sha256=data.sha256, respondents=respondents
        )
    return MeasureRun(result, run_id, created, written, data.sha256)
