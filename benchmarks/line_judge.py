"""How well does the line run's judge read real plates it never saw? The judge alone, per seed.

The judge (training/linejudge.py) scores every generated line, so its own reading of real lines
bounds what its scores can say. This fits it exactly as a plates-cn run does (its rendered-line
start, then `--epochs` over the real plates) on the first `--train-n` of `data make-plates --n
1000 --seed 0`, and reads all of `data make-plates --n 500 --seed 1`: a fixed screen, apart from
any SAAE run, so a change to the judge is measured without 10 minutes of generator training.

Each row also gives what reading both polarities would score (the scores of x and of 1 − x
summed before greedy decoding): a reading the judge does not do, measured beside the one it does.
Prints one JSON row per seed, then mean ± std. Needs a CJK font (apt-get install fonts-wqy-zenhei).

    .venv/bin/python benchmarks/line_judge.py [--seeds 0,1,2] [--epochs 120] [--train-n 800]

`--train-n 1600` learns from the first 1,600 of `--n 1600 --seed 0`: seeds 0-2 read 91.4 / 92.6 /
91.8% of the same 500 (91.9 ± 0.6) against 88.2 / 88.0 / 86.8 with 800 (the judge is data-bound).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from pathlib import Path

import torch

from saae_augment.core.textmetrics import character_error_rate, word_accuracy
from saae_augment.data.charsets import CHARSETS
from saae_augment.data.datasets import to_tensor
from saae_augment.data.load import load_dataset
from saae_augment.model.crnn import greedy_decode, read_lines
from saae_augment.sets.plates import make_plate_photos
from saae_augment.training.linejudge import train_line_judge

SIZE = (32, 128)


@torch.no_grad()
def read_both_polarities(judge: torch.nn.Module, images: torch.Tensor, charset: str) -> list[str]:
    """Greedy reads of the summed log-probabilities of each line and its inverse."""
    out: list[str] = []
    for i in range(0, len(images), 256):
        x = images[i : i + 256]
        scores = judge(x).log_softmax(2) + judge(1 - x).log_softmax(2)
        out.extend(greedy_decode(scores, charset))
    return out


def _mean_std(values: list[float]) -> str:
    return f"{statistics.mean(values):.1f} ± {statistics.stdev(values) if len(values) > 1 else 0.0:.1f}"


def main() -> None:
    """Make the two sets, then fit and score one judge per seed."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=120, help="passes over the training plates (plates-cn: 120)")
    ap.add_argument("--train-n", type=int, default=800)
    args = ap.parse_args()
    charset = CHARSETS["plate-cn"]
    with tempfile.TemporaryDirectory() as tmp:
        # the first --train-n of max(1000, --train-n) plates: 800 of the demo's 1,000 by default
        make_plate_photos(Path(tmp) / "train", max(1000, args.train_n), "plate-cn", seed=0)
        make_plate_photos(Path(tmp) / "test", 500, "plate-cn", seed=1)
        train = load_dataset(Path(tmp) / "train", size=SIZE, mode="RGB", charset=charset)
        test = load_dataset(Path(tmp) / "test", size=SIZE, mode="RGB", charset=charset)
    x, y = to_tensor(train.images)[: args.train_n], train.labels[: args.train_n]
    tx, ty = to_tensor(test.images), test.labels
    steps = args.epochs * math.ceil(len(y) / 64)  # as the run sizes train.judge_epochs
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        t0 = time.perf_counter()
        judge = train_line_judge(x, y, charset, steps, seed, torch.device("cpu"))
        fit_s = time.perf_counter() - t0
        reads, both = read_lines(judge, tx, charset), read_both_polarities(judge, tx, charset)
        row = {
            "seed": seed,
            "epochs": args.epochs,
            "steps": steps,
            "exact": round(100 * word_accuracy(reads, ty), 1),
            "cer": round(100 * character_error_rate(reads, ty), 2),
            "both_polarities_exact": round(100 * word_accuracy(both, ty), 1),
            "both_polarities_cer": round(100 * character_error_rate(both, ty), 2),
            "fit_s": round(fit_s, 1),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    for key in ("exact", "cer", "both_polarities_exact", "both_polarities_cer"):
        print(f"{key}: {_mean_std([r[key] for r in rows])} (seeds {args.seeds}, {args.epochs} epochs)")


if __name__ == "__main__":
    main()
