"""Does synthesis memory stay flat with N? Peak RSS of `synthesize()` for 100,000 and 1,000,000
samples (PNG to disk, the default format), each in a fresh child process, in the same run; the
1M/100k ratio is the figure to quote (target: within 1.15).

The parent also samples the 1M child's resident memory every few seconds, so a slow leak shows
as a rising line even where the peak is set by start-up.

The checkpoint is made on the spot (1 training step of the default digits recipe at 16×16: memory
does not depend on how well a model is trained). Takes ~12 minutes on 2 CPU cores and ~1.1M small
files (about 4 GB of 4-KB blocks) in a temporary folder that is removed afterwards.

    .venv/bin/python benchmarks/synth_memory.py [--small 100000] [--big 1000000] [--every 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sys
from saae_augment.synthesis.run import synthesize
ckpt, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = synthesize(ckpt, n, out, device="cpu")
hwm_kb = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
print(json.dumps({"written": r.written, "img_s": r.generated_now / r.elapsed_s, "peak_rss_mb": hwm_kb / 1024}))
"""


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    if "VmRSS:" not in status:  # exiting: no memory left to report
        return None
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def labels_written(out: Path) -> int:
    try:
        with (out / "labels.txt").open("rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return 0


def measure(ckpt: Path, n: int, out: Path, every: float) -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ckpt), str(n), str(out)], stdout=subprocess.PIPE, text=True
    )
    samples = []
    while proc.poll() is None:
        time.sleep(every)
        mb = rss_mb(proc.pid)
        if mb is not None:
            samples.append((labels_written(out), round(mb, 1)))
    stdout, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"synthesis of {n} failed (exit {proc.returncode})")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["rss_timeline"] = samples
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--small", type=int, default=100_000)
    ap.add_argument("--big", type=int, default=1_000_000)
    ap.add_argument("--every", type=float, default=5.0, help="seconds between RSS samples")
    a = ap.parse_args()
    from saae_augment.training.loop import train

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run = root / "run"
        train("digits", "digits", ["train.max_steps=1", "train.judge_epochs=1", "train.eval_samples=64"], out=run)
        small = measure(run, a.small, root / "small", a.every)
        big = measure(run, a.big, root / "big", a.every)
    ratio = big["peak_rss_mb"] / small["peak_rss_mb"]
    print(
        f"peak RSS: {a.small:,} samples {small['peak_rss_mb']:.0f} MB (1.00×), {a.big:,} samples "
        f"{big['peak_rss_mb']:.0f} MB ({ratio:.3f}×; target ≤ 1.15) — "
        f"{small['img_s']:,.0f} and {big['img_s']:,.0f} img/s"
    )
    timeline = big["rss_timeline"]
    if timeline:
        picks = [timeline[int(f * (len(timeline) - 1))] for f in (0.1, 0.25, 0.5, 0.75, 1.0)]
        points = ", ".join(f"{rows:,} rows {mb:.0f} MB" for rows, mb in picks)
        print(f"RSS of the {a.big:,} run while it wrote: {points}")
    print(json.dumps({"small": small | {"rss_timeline": small["rss_timeline"][-3:]}, "big": big}))


if __name__ == "__main__":
    main()
