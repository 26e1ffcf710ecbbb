"""Words in a style the tool did not make: can the words recipe write new words a reader of the
real crops reads? (`examples/captcha_words.py` stands in for real crops; needs the words-demo extra.)

Training crops: `captcha_words.py --n N --seed 0` (fonts source); held-out crops: seed 1. One run
per seed (words recipe, `--steps`, a `--judge-epochs` judge); then `--synth-n` words from a fresh
word list (seed 2, never in training) and prints one JSON row per seed: the judge's exact reads
and CER on the run's monitor pairs and on the written words, the copy rate, and the judge's own
reads of the held-out crops (the ceiling it sets). `--eval` adds eval-ocr (real, real+aug,
real+synth, real+aug+synth at ratio 1, 3 seeds) on the first run's words. `--generators`
trains one run per generator and seed (the same data, budget and judge seed), so they compare
side by side on a style domain the tool did not draw.

    .venv/bin/python benchmarks/words_foreign.py [--seeds 0,1,2] [--generators flat,layered] [--steps 300] [--eval]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from saae_augment.evaluation.report import verdict, verdict_line
from saae_augment.evaluation.run import evaluate_ocr
from saae_augment.synthesis.run import synthesize
from saae_augment.training.loop import train

EXAMPLE = Path(__file__).parents[1] / "examples" / "captcha_words.py"


def _words_module():
    spec = importlib.util.spec_from_file_location("captcha_words", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    """Crops once, then per seed: a run, a synthesis of new words; eval-ocr on request."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--generators", default="flat", help="model.generator values to compare, e.g. flat,layered")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--judge-epochs", type=int, default=30)
    ap.add_argument("--synth-n", type=int, default=2000)
    ap.add_argument("--eval", action="store_true")
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    words = _words_module()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        words.write_words(root / "train", args.n, 0)
        words.write_words(root / "test", 500, 1)
        rng = np.random.default_rng(2)
        fresh = ["".join(rng.choice(list(words.CHARS), size=int(rng.integers(3, 9)))) for _ in range(5000)]
        runs = []
        for seed, gen in itertools.product((int(s) for s in args.seeds.split(",")), args.generators.split(",")):
            over = [f"train.max_steps={args.steps}", f"train.judge_epochs={args.judge_epochs}"]
            over += [f"train.eval_every={args.steps}", f"train.grid_every={args.steps}", f"train.seed={seed}"]
            over += [f"model.generator={gen}"]
            t0 = time.perf_counter()
            run = train(root / "train", "words", over, root / f"run-{gen}-{seed}", device="cpu")
            seconds = time.perf_counter() - t0
            out = root / f"synth-{gen}-{seed}"
            written = synthesize(run.run_dir, args.synth_n, out, seed=7, device="cpu", texts=fresh)
            s = run.summary
            row = {
                "generator": gen,
                "seed": seed,
                "monitor_exact": round(s["content_acc"], 4),
                "monitor_cer": round(s["content_cer"], 4),
                "copy_rate": round(s["copy_rate"], 4),
                "synth_exact": round(written.content_accuracy, 4),
                "synth_cer": round(written.content_cer or 0.0, 4),
                "judge_on_real": round(s["judge_val_acc"], 4),
                "train_s": round(seconds, 1),
            }
            print(json.dumps(row), flush=True)
            runs.append(out)
        if args.eval:
            result = evaluate_ocr(
                root / "train",
                root / "test",
                root / "eval",
                synth=[runs[0]],
                ratios=[1.0],
                regimes=["real", "real+aug", "real+synth", "real+aug+synth"],
                on_progress=lambda d, t, row, task: print(
                    json.dumps({k: v for k, v in row.items() if not k.startswith("_")}), flush=True
                ),
            )
            for row in result.summary:
                print(json.dumps({k: row.get(k) for k in ("regime", "ratio", "mean", "std", "cer", "cer_std")}))
            v = verdict(result.summary)
            if v is not None:
                print(verdict_line(v))


if __name__ == "__main__":
    main()
