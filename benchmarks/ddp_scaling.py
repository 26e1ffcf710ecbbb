"""One process vs `torchrun --nproc-per-node N` on this machine: training it/s at the same global
batch, and synthesis images/s, through the CLI as a user runs them.

The single process gets every core (torch's threads); each of the N ranks gets cores / N
threads (torchrun's OMP_NUM_THREADS), so both use the whole machine and the ratio says what
splitting the work into processes costs or gains here. Runs alternate in rounds so a noisy
machine slows both alike; quote the ratios.

    .venv/bin/python benchmarks/ddp_scaling.py [--nproc 2] [--steps 200] [--n 20000] [--rounds 2] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUIET = ["--set", "train.eval_every=100000", "--set", "train.grid_every=100000", "--set", "train.ckpt_every=100000"]


def launch(nproc: int, threads: int, args: list[str]) -> float:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    if nproc == 1:
        cmd = [sys.executable, "-m", "saae_augment", *args]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}"]
        cmd += ["-m", "saae_augment", *args]
    t = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(res.stderr[-3000:])
    return time.perf_counter() - t


def train_rate(nproc: int, threads: int, steps: int, device: str, out: Path, sync_bn: bool = True) -> float:
    """Median it/s of the logged windows (the judge's training and start-up are not in them)."""
    launch(
        nproc,
        threads,
        ["train", "--recipe", "digits", "--max-steps", str(steps), "--device", device, "--out", str(out)]
        + QUIET
        + ["--set", f"train.threads={threads}", "--set", f"train.sync_bn={str(sync_bn).lower()}"],
    )
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    return statistics.median(r["it_s"] for r in records if r["kind"] == "train")


def synth_rate(nproc: int, threads: int, ckpt: Path, n: int, device: str, out: Path) -> float:
    """Samples per second of the whole command: start-up, every shard, and the merge."""
    wall = launch(nproc, threads, ["synth", "--ckpt", str(ckpt), "-n", str(n), "--device", device, "--out", str(out)])
    return n / wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nproc", type=int, default=2)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    per_rank = max(1, cores // a.nproc)
    rates: dict[str, list[float]] = {k: [] for k in ("train 1", "train N", "train N local", "synth 1", "synth N")}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for r in range(a.rounds):
            rates["train 1"].append(train_rate(1, cores, a.steps, a.device, root / f"t1-{r}"))
            rates["train N"].append(train_rate(a.nproc, per_rank, a.steps, a.device, root / f"tn-{r}"))
            local = train_rate(a.nproc, per_rank, a.steps, a.device, root / f"tl-{r}", sync_bn=False)
            rates["train N local"].append(local)
            ckpt = root / "t1-0"
            rates["synth 1"].append(synth_rate(1, cores, ckpt, a.n, a.device, root / f"s1-{r}"))
            rates["synth N"].append(synth_rate(a.nproc, per_rank, ckpt, a.n, a.device, root / f"sn-{r}"))
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(f"{cores} cores, device {a.device}; 1 process × {cores} threads vs {a.nproc} processes × {per_rank}")
    print(
        f"train (digits, global batch 64): 1 process {med['train 1']:.1f} it/s (1.00×), "
        f"{a.nproc} processes {med['train N']:.1f} it/s ({med['train N'] / med['train 1']:.2f}×); "
        f"per-process BatchNorm (train.sync_bn=false) {med['train N local']:.1f} it/s "
        f"({med['train N local'] / med['train 1']:.2f}×)"
    )
    print(
        f"synth ({a.n:,} samples, whole command): 1 process {med['synth 1']:,.0f} img/s (1.00×), "
        f"{a.nproc} processes {med['synth N']:,.0f} img/s ({med['synth N'] / med['synth 1']:.2f}×)"
    )
    print(json.dumps({k: [round(x, 2) for x in v] for k, v in rates.items()}))


if __name__ == "__main__":
    main()
