"""Which line generator writes plates the run's judge can read? `flat` (the paper's) against `unet`.

Procedural Chinese plate photos (`data make-plates --n 1000 --seed 0`, 800 to learn from, 200
held out by the run), the plates-cn recipe with the same budget for both generators (by default
300 steps and a 30-epoch judge, so one row takes about 12 minutes on 2 cores). For each seed and
generator it trains a run, then synthesizes 2,000 plates (seed 7) and prints one JSON row: the
judge's exact reads and CER on the run's 256 monitor pairs and on the 2,000 written plates,
the copy rate, and the judge's own exact reads of held-out real plates (the ceiling it sets).
Needs a CJK font (apt-get install fonts-wqy-zenhei).

    .venv/bin/python benchmarks/line_generator.py [--seeds 0,1,2] [--generators flat,unet] [--steps 300]
        [--set train.precision=bf16 ...] [--synth-precisions auto,bf16]

`--set` adds recipe overrides to every run (after the benchmark's own) and to every row, so a
change other than the generator is compared on the same plates and budget. `--synth-precisions`
synthesizes the same 2,000 plates once per precision (`auto`: fp32 on a CPU) and adds their
figures to the row with the precision in the key (the first precision's keys carry none).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from saae_augment.sets.plates import make_plate_photos
from saae_augment.synthesis.run import synthesize
from saae_augment.training.loop import train


def main() -> None:
    """Make the plates once, then one run and one synthesis per generator and seed."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--generators", default="flat,unet")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--judge-epochs", type=int, default=30)
    ap.add_argument("--n", type=int, default=2000, help="plates to synthesize per run")
    ap.add_argument("--synth-precisions", default="auto", help="synthesize once per precision: auto,bf16")
    ap.add_argument("--set", nargs="*", default=[], dest="overrides", help="recipe overrides for every run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_plate_photos(root / "plates", 1000, "plate-cn", seed=0)
        for seed in (int(s) for s in args.seeds.split(",")):
            for gen in args.generators.split(","):
                over = [
                    f"model.generator={gen}",
                    f"train.judge_epochs={args.judge_epochs}",
                    f"train.max_steps={args.steps}",
                    f"train.eval_every={args.steps}",
                    f"train.grid_every={args.steps}",
                    f"train.seed={seed}",
                    *args.overrides,
                ]
                t0 = time.perf_counter()
                run = train(root / "plates", "plates-cn", over, root / f"run-{gen}-{seed}", device="cpu")
                seconds = time.perf_counter() - t0
                s = run.summary
                row = {
                    "generator": gen,
                    "seed": seed,
                    "overrides": args.overrides,
                    "monitor_exact": round(s["content_acc"], 4),
                    "monitor_cer": round(s["content_cer"], 4),
                    "copy_rate": round(s["copy_rate"], 4),
                    "judge_on_real": round(s["judge_val_acc"], 4),
                    "train_seconds": round(seconds, 1),
                }
                for i, precision in enumerate(args.synth_precisions.split(",")):
                    out = root / f"synth-{gen}-{seed}-{precision}"
                    written = synthesize(run.run_dir, args.n, out, seed=7, device="cpu", precision=precision)
                    tag = "" if i == 0 else f"_{precision}"
                    row[f"synth{args.n}_exact{tag}"] = round(written.content_accuracy, 4)
                    row[f"synth{args.n}_cer{tag}"] = round(written.content_cer or 0.0, 4)
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
