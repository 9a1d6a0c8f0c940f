"""Benchmark: ingest the shared IATI files repeated to 200 MB and 800 MB.

Side by side, in one run, each in its own child process (so peak RSS is its own):

* **floor**: a bare lxml ``iterparse`` that only counts elements (clearing each finished activity);
* **iatikit**: iatikit 3.6 enumerating the same activities from a registry folder and counting their
  transactions by XPath (the peer library; it parses whole files);
* **kizuna**: ``kizuna.ledger.ingest.ingest_paths`` into a fresh DuckDB workspace (parse, load,
  flows in USD, double-counting marks). Its peak memory is given twice: the main process's RSS, and
  the proportional set size of the main process with its parse workers and their fork server,
  sampled every 20 ms (the workers are not in the main process's RSS). The sampler walks ``/proc``
  and costs the ingest about 7% of its time, so it runs in one extra run whose time is not counted.

Prints MB/s, activities/s and peak RSS for each, and kizuna's ratio to the floor and to iatikit.
Usage: ``python3 benchmarks/ingest.py [--sizes 200,800] [--repeat 3] [--skip-iatikit-above 800]``.
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


CHILD = {
    "floor": """
import resource, sys, time
from lxml import etree
path = sys.argv[1]
t = time.perf_counter()
n = acts = 0
for _, el in etree.iterparse(path, events=("end",), resolve_entities=False, no_network=True, huge_tree=True):
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
    "kizuna": """
import os, resource, sys, threading, time, tempfile
from pathlib import Path
from kizuna.workspace import open_workspace
from kizuna.ledger.ingest import ingest_paths

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


def run_child(name: str, path: Path, sample: bool = False) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", CHILD[name], str(path), str(path.parents[2]), *(["--sample"] if sample else [])],
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
    args = ap.parse_args()
    if not SHARED.exists():
        raise SystemExit(f"{SHARED} is absent: the benchmark needs ../shared/data/iati")
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    results = {}
    for mb in [int(s) for s in args.sizes.split(",")]:
        path, acts, txs = build_input(mb)
        real_mb = path.stat().st_size / 1e6
        print(f"\ninput: {path.name}: {real_mb:.0f} MB, {acts} activities, {txs} transactions")
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
        results[mb] = row
    sizes = sorted(results)
    if len(sizes) > 1:
        a, b = results[sizes[0]]["kizuna"]["rss_mb"], results[sizes[-1]]["kizuna"]["rss_mb"]
        ta, tb = results[sizes[0]]["kizuna"]["tree_mb"], results[sizes[-1]]["kizuna"]["tree_mb"]
        print(
            f"\nkizuna peak RSS {a:.0f} MB at {sizes[0]} MB input, {b:.0f} MB at {sizes[-1]} MB input; "
            f"with its parse workers (PSS) {ta:.0f} MB and {tb:.0f} MB (target < 500 MB and flat)"
        )


if __name__ == "__main__":
    main()
