"""CPU time of the IATI fast path on one chunk, for comparing two checkouts (A/B) on a noisy machine.

Usage: ``python3 benchmarks/ingest_cpu_ab.py SRC_DIR [XML_FILE] [MB]``: imports kizuna from ``SRC_DIR``
(e.g. ``$PWD/src`` and a copy of another commit's ``src``), cuts the first ``MB`` (default 50) of
``XML_FILE`` (default the one-file input of ``benchmarks/ingest.py --sizes 200``) at an activity's end,
and prints the process CPU seconds of ``fast_tables`` + Parquet write (what a parse worker does) and of
the load into a fresh DuckDB workspace. Run the two checkouts alternately, several times each.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, sys.argv[1])

from kizuna.ledger import iati_fast  # noqa: E402
from kizuna.ledger.store import flush_files, write_batch  # noqa: E402
from kizuna.workspace import open_workspace  # noqa: E402

DEFAULT = Path(__file__).resolve().parent / "_data" / "iati-200mb" / "data" / "bench" / "bench-200mb.xml"


def main() -> None:
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT
    mb = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    data = path.read_bytes()
    cut = data.find(b"</iati-activity>", mb * 1_000_000) + len(b"</iati-activity>")
    doc = data[:cut] + b"</iati-activities>"
    iati_fast.warm()
    with tempfile.TemporaryDirectory() as d:
        t0 = time.process_time()
        res = iati_fast.fast_tables(doc, 1)
        paths = write_batch(res.tables, Path(d), "x")
        t1 = time.process_time()
        ws = open_workspace(Path(d) / "w.duckdb")
        ws.con.execute("BEGIN")
        t2 = time.process_time()
        flush_files(ws.con, paths)
        ws.con.execute("COMMIT")
        t3 = time.process_time()
        ws.close()
    print(f"{sys.argv[1]}\tparse {t1 - t0:.3f} s\tload {t3 - t2:.3f} s\ttotal {t1 - t0 + t3 - t2:.3f} s")


if __name__ == "__main__":
    main()
