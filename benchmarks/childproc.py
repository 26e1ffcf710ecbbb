"""Run one measurement in a fresh Python process and read its last line of JSON.

A fresh process per figure keeps figures independent (no warm caches, no shared allocator) and
lets each report its own peak memory: the child code ends with PEAK_RSS, which prints VmHWM.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would count the parent's memory
PEAK_RSS = r"""
hwm_kb = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
print(json.dumps({"rate": rate, "peak_rss_mb": hwm_kb / 1024}))
"""


def run_child(code: str, *args: object) -> dict:
    res = subprocess.run([sys.executable, "-c", code + PEAK_RSS, *map(str, args)], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(res.stderr)
    return json.loads(res.stdout.strip().splitlines()[-1])


def whole_command(cmd: list[str], n: int, out: Path) -> float:
    """Images per second of one command, from launch to exit (an empty `out` first); that it wrote
    `n` images is checked."""
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    rate = n / (time.perf_counter() - t)
    written = sum(1 for f in out.rglob("*") if f.suffix in (".png", ".jpg"))
    if written < n:
        raise SystemExit(f"{cmd[0]} wrote {written} images of {n}")
    return rate
