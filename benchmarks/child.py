"""Run one side of a benchmark in a fresh interpreter and read its JSON figures and its own peak RSS.

Each side runs alone in its process, so its peak memory is its own (``ru_maxrss`` of that child, from
``os.wait4``) and neither side warms the other's caches."""

from __future__ import annotations

import json
import os
import subprocess


def run_side(cmd: list[str], side: str) -> dict:
    """Run ``cmd`` (which prints one JSON object); return it with ``peak_rss_mib`` (MiB) added."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{side} side failed with exit code {code}")
    res = json.loads(out)
    res["peak_rss_mib"] = usage.ru_maxrss / 1024.0  # Linux reports KiB
    return res
