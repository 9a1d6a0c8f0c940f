"""Benchmark: ingest the shared IATI files repeated to 200 MB and 800 MB, as one file and as a folder.

Side by side, in one run, each in its own child process (so peak RSS is its own):

* **floor**: a bare lxml ``iterparse`` that only counts elements (clearing each finished activity);
* **iatikit**: iatikit 3.6 enumerating the same activities from a registry folder and counting their
  transactions by XPath (the peer library; it parses whole files);
* **kizuna**: ``kizuna.ledger.ingest.ingest_paths`` into a fresh DuckDB workspace (parse, load,
  flows in USD, double-counting marks). Its peak memory is given twice: the main process's RSS, and
  the proportional set size of the main process with its parse workers and their fork server,
  sampled every 20 ms (the workers are not in the main process's RSS). The sampler walks ``/proc``
  and costs the ingest about 7% of its time, so it runs in one extra run whose time is not counted.

Two layouts of the same bytes: ``file``, the shared activities repeated (new identifiers) into one
large file, which kizuna cuts into chunks; ``folder``, the shared files themselves repeated (new
identifiers), laid out as a registry folder, as the IATI corpus is (thousands of small files).

Prints MB/s, activities/s and peak RSS for each, and kizuna's ratio to the floor and to iatikit.
Usage: ``python3 benchmarks/ingest.py [--sizes 200,800] [--layouts file,folder] [--repeat 3]``.
Needs ../shared/data/iati beside the repository. Generated inputs go to benchmarks/_data/ (ignored by git).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "iati"
DATA = ROOT / "benchmarks" / "_data"

ACT_RE = re.compile(rb"<iati-activity[ >].*?</iati-activity>", re.S)
ID_RE = re.compile(rb"<iati-identifier>([^<]*)</iati-identifier>")


def build_folder(target_mb: int) -> tuple[Path, int, int]:
    """A registry folder of at least ``target_mb`` MB: the shared files themselves, repeated, each copy's
    identifiers made its own (a corpus is thousands of such files). Returns its ``data`` folder."""
    reg = DATA / f"iati-{target_mb}mb-files"
    meta = DATA / f"iati-{target_mb}mb-files.meta.json"
    if (reg / "data").exists() and meta.exists():
        m = json.loads(meta.read_text())
        return reg / "data", m["activities"], m["transactions"]
    sources = sorted(SHARED.glob("*.xml"))
    size = acts = txs = copy = 0
    while size < target_mb * 1_000_000:
        copy += 1
        for src in sources:
            data = ID_RE.sub(
                lambda m, s=f"-f{copy}".encode(): b"<iati-identifier>" + m.group(1) + s + b"</iati-identifier>",
                src.read_bytes(),
            )
            publisher = src.stem.split("-")[0]
            name = f"{src.stem}-f{copy}"
            (reg / "data" / publisher).mkdir(parents=True, exist_ok=True)
            (reg / "data" / publisher / f"{name}.xml").write_bytes(data)
            (reg / "metadata" / publisher).mkdir(parents=True, exist_ok=True)
            (reg / "metadata" / publisher / f"{name}.json").write_text(
                json.dumps({"name": name, "extras": [{"key": "filetype", "value": "activity"}]})
            )
            (reg / "metadata" / f"{publisher}.json").write_text(json.dumps({"name": publisher}))
            size += len(data)
            acts += len(ACT_RE.findall(data))
            txs += data.count(b"<transaction>") + data.count(b"<transaction ")
    (reg / "metadata.json").write_text(json.dumps({"updated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}))
    meta.write_text(json.dumps({"activities": acts, "transactions": txs}))
    return reg / "data", acts, txs


def build_input(target_mb: int) -> tuple[Path, int, int]:
    """One IATI file of at least ``target_mb`` MB: the shared activities, repeated with new identifiers."""
    out = DATA / f"iati-{target_mb}mb" / "data" / "bench" / f"bench-{target_mb}mb.xml"
    meta = DATA / f"iati-{target_mb}mb.meta.json"  # outside the registry folder iatikit scans
    if out.exists() and meta.exists():
        m = json.loads(meta.read_text())
        return out, m["activities"], m["transactions"]
    out.parent.mkdir(parents=True, exist_ok=True)
    blocks = []
    for f in sorted(SHARED.glob("*.xml")):
        blocks.extend(ACT_RE.findall(f.read_bytes()))
    n_tx_block = [b.count(b"<transaction>") + b.count(b"<transaction ") for b in blocks]
    size = 0
    acts = txs = 0
    copy = 0
    with open(out, "wb") as fh:
        fh.write(
            b'<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03" '
            b'xmlns:usg="https://foreignassistance.gov">\n'
        )
        while size < target_mb * 1_000_000:
            copy += 1
            suffix = f"-c{copy}".encode()
            for b, nt in zip(blocks, n_tx_block, strict=True):
                b2 = ID_RE.sub(
                    lambda m, s=suffix: b"<iati-identifier>" + m.group(1) + s + b"</iati-identifier>", b, count=1
                )
                fh.write(b2)
                fh.write(b"\n")
                size += len(b2) + 1
                acts += 1
                txs += nt
        fh.write(b"</iati-activities>\n")
    # iatikit wants a registry folder: data/<publisher>/<dataset>.xml plus metadata.
    reg = DATA / f"iati-{target_mb}mb"
    (reg / "metadata" / "bench").mkdir(parents=True, exist_ok=True)
    (reg / "metadata.json").write_text(json.dumps({"updated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}))
    (reg / "metadata" / "bench.json").write_text(json.dumps({"name": "bench"}))
    (reg / "metadata" / "bench" / f"bench-{target_mb}mb.json").write_text(
        json.dumps({"name": f"bench-{target_mb}mb", "extras": [{"key": "filetype", "value": "activity"}]})
    )
    meta.write_text(json.dumps({"activities": acts, "transactions": txs}))
    return out, acts, txs


SAMPLER = """
import os, threading

def tree_pss_kb(root):
    # Proportional set size of this process and its descendants (parse workers, their fork server):
    # PSS splits pages shared after fork, so the sum is the memory the whole ingest really holds.
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                parent.setdefault(int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1]), []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    total, stack = 0, [root]
    while stack:
        p = stack.pop()
        try:
            total += sum(int(l.split()[1]) for l in open(f"/proc/{p}/smaps_rollup") if l.startswith("Pss:"))
        except OSError:
            pass
        stack.extend(parent.get(p, []))
    return total

peak, done = [0], threading.Event()
def sample():
    while not done.wait(0.02):
        peak[0] = max(peak[0], tree_pss_kb(os.getpid()))
"""

CHILD = {
    "floor": """
import resource, sys, time
from lxml import etree
from pathlib import Path
path = Path(sys.argv[1])
t = time.perf_counter()
n = acts = 0
for f in sorted(path.rglob("*.xml")) if path.is_dir() else [path]:
    for _, el in etree.iterparse(str(f), events=("end",), resolve_entities=False, no_network=True, huge_tree=True):
        n += 1
        if el.tag == "iati-activity":
            acts += 1
            el.clear(keep_tail=False)
            while el.getprevious() is not None:
                del el.getparent()[0]
dt = time.perf_counter() - t
print({"seconds": dt, "activities": acts, "elements": n,
       "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
""",
    "iatikit": """
import resource, sys, time, warnings
warnings.simplefilter("ignore")
import iatikit
reg_path = sys.argv[2]
t = time.perf_counter()
acts = txs = 0
for act in iatikit.data(reg_path).activities:
    acts += 1
    txs += len(act.etree.xpath("transaction"))
dt = time.perf_counter() - t
print({"seconds": dt, "activities": acts, "transactions": txs,
       "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
""",
    "kizuna": SAMPLER
    + """
import resource, sys, time, tempfile
from pathlib import Path
from kizuna.workspace import open_workspace
from kizuna.ledger.ingest import ingest_paths

if sys.argv[3:] == ["--sample"]:
    threading.Thread(target=sample, daemon=True).start()
path = sys.argv[1]
with tempfile.TemporaryDirectory() as d:
    ws = open_workspace(Path(d) / "bench.duckdb")
    ws.con.execute("SET threads TO 2")
    t = time.perf_counter()
    s = ingest_paths(ws, [path])
    dt = time.perf_counter() - t
    ws.close()
done.set()
print({"seconds": dt, "activities": s.activities, "transactions": s.transactions,
       "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "tree_mb": peak[0] / 1024 or None})
""",
}


def registry_root(path: Path) -> Path:
    """The registry folder iatikit reads: ``<root>/data/<publisher>/<file>.xml``, or ``<root>/data``."""
    return path.parent if path.is_dir() else path.parents[2]


def run_child(name: str, path: Path, sample: bool = False) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", CHILD[name], str(path), str(registry_root(path)), *(["--sample"] if sample else [])],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{name} failed: {out.stderr[-2000:]}")
    return eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 - our own child's dict literal


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="200,800", help="input sizes in MB, comma-separated")
    ap.add_argument("--repeat", type=int, default=3, help="runs per contender; medians are reported")
    ap.add_argument("--skip-iatikit-above", type=int, default=10_000, help="skip iatikit above this size (MB)")
    ap.add_argument(
        "--layouts",
        default="file,folder",
        help="file: the activities repeated into one large file; folder: the files repeated, as a corpus is",
    )
    args = ap.parse_args()
    if not SHARED.exists():
        raise SystemExit(f"{SHARED} is absent: the benchmark needs ../shared/data/iati")
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    results = {}
    inputs = [(layout, int(mb)) for layout in args.layouts.split(",") for mb in args.sizes.split(",")]
    for layout, mb in inputs:
        path, acts, txs = build_input(mb) if layout == "file" else build_folder(mb)
        files = sorted(path.rglob("*.xml")) if path.is_dir() else [path]
        real_mb = sum(f.stat().st_size for f in files) / 1e6
        shape = f"{len(files)} files" if path.is_dir() else "one file"
        print(f"\ninput: {path.name} ({shape}): {real_mb:.0f} MB, {acts} activities, {txs} transactions")
        row = {}
        for name in ("floor", "iatikit", "kizuna"):
            if name == "iatikit" and mb > args.skip_iatikit_above:
                continue
            runs = [run_child(name, path) for _ in range(args.repeat)]
            sec = statistics.median(r["seconds"] for r in runs)
            rss = max(r["rss_mb"] for r in runs)
            # kizuna's whole-tree memory comes from one more run, sampled, whose time is not counted.
            tree = rss
            if name == "kizuna":
                sampled = run_child(name, path, sample=True)
                rss, tree = max(rss, sampled["rss_mb"]), sampled["tree_mb"]
            if any(r["activities"] != acts for r in runs):
                # iatikit logs a dataset it cannot parse and yields nothing from it: not a valid run.
                got = sorted({r["activities"] for r in runs})
                print(f"  {name:8s} FAILED: enumerated {got} of {acts} activities; not a valid run")
                row[name] = {"failed": True}
                continue
            if "transactions" in runs[0]:
                assert all(r["transactions"] == txs for r in runs), (name, runs[0]["transactions"], txs)
            row[name] = {"seconds": sec, "mb_s": real_mb / sec, "acts_s": acts / sec, "rss_mb": rss, "tree_mb": tree}
            all_runs = ", ".join(f"{r['seconds']:.2f}" for r in runs)
            print(
                f"  {name:8s} median {sec:7.2f} s  {real_mb / sec:7.1f} MB/s  {acts / sec:9.0f} activities/s"
                f"  peak RSS {rss:7.0f} MB"
                + (f" (with workers, PSS {tree:5.0f} MB)" if name == "kizuna" else "")
                + f"  (runs: {all_runs})"
            )
        k = row["kizuna"]
        print(f"  kizuna / floor MB/s = {k['mb_s'] / row['floor']['mb_s']:.2f} (target >= 0.5)")
        if "iatikit" in row and not row["iatikit"].get("failed"):
            print(f"  kizuna / iatikit speed = {row['iatikit']['seconds'] / k['seconds']:.2f}x (target > 1)")
        results[(layout, mb)] = row
    for layout in args.layouts.split(","):
        sizes = sorted(mb for lay, mb in results if lay == layout)
        if len(sizes) > 1:
            lo, hi = results[(layout, sizes[0])]["kizuna"], results[(layout, sizes[-1])]["kizuna"]
            print(
                f"\n{layout}: kizuna peak RSS {lo['rss_mb']:.0f} MB at {sizes[0]} MB input, {hi['rss_mb']:.0f} MB at "
                f"{sizes[-1]} MB input; with its parse workers (PSS) {lo['tree_mb']:.0f} MB and {hi['tree_mb']:.0f} MB"
                " (target < 500 MB and flat)"
            )


if __name__ == "__main__":
    main()
