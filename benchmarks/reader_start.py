"""Does the line reader leave CTC's all-blank plateau? Per-seed curves, cold start against pretrained.

Procedural plate photos (`data make-plates`, plate-us, 300 for training of which 60 validate,
200 held out), read at 32×128 by eval-ocr's `LineRecognizer` for eval-ocr's default budget
(400 steps of 64). `cold`: real lines only; `pretrained`: the default, which first trains on
rendered lines of the charset (core/readerstart.py) for as many steps as the fit, up to 400.
Prints one JSON row per regime and seed: held-out word accuracy and CER, the validation word
accuracy at each of the ten checks (the curve), and whether the reader left the plateau (it
reads at least one held-out character in five right: CER < 0.8).

    .venv/bin/python benchmarks/reader_start.py [--seeds 0,1,2] [--steps 400] [--regimes cold,pretrained]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from saae_augment.core.recognizers import LineRecognizer
from saae_augment.core.textmetrics import character_error_rate, word_accuracy
from saae_augment.data.load import load_dataset
from saae_augment.evaluation.regimes import Pool, batch_sampler
from saae_augment.sets.plates import make_plate_photos

SIZE = (32, 128)


def main() -> None:
    """Make the plates, then train and test one reader per regime and seed."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--regimes", default="cold,pretrained")
    ap.add_argument("--lr", type=float, default=None, help="the reader's learning rate (default: its own)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_plate_photos(root / "tr", 300, "plate-us", (24, 96), seed=0)
        make_plate_photos(root / "te", 200, "plate-us", (24, 96), seed=1)
        tr, te = load_dataset(root / "tr", size=SIZE, mode="L"), load_dataset(root / "te", size=SIZE, mode="L")
    charset = "".join(sorted(set("".join(tr.labels))))
    fit = Pool(np.stack(tr.images[:240]), tr.labels[:240])
    val_x, val_y = np.stack(tr.images[240:]), tr.labels[240:]
    for regime in args.regimes.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            rec = LineRecognizer(charset, SIZE)
            if regime == "cold":
                rec.pretrain_steps = 0
            if args.lr is not None:
                rec.lr = args.lr
            curve: list[float] = []
            measure = rec._accuracy

            def record(model, x, labels, measure=measure, curve=curve):  # noqa: ANN001 (a spy)
                acc = measure(model, x, labels)
                curve.append(round(acc, 3))
                return acc

            rec._accuracy = record  # type: ignore[method-assign]
            t0 = time.perf_counter()
            rec.fit(batch_sampler(fit, None, 64, seed, "t"), val_x, val_y, args.steps, None, seed)
            pred = rec.predict(np.stack(te.images))
            cer = character_error_rate(pred, te.labels)
            row = {
                "regime": regime,
                "seed": seed,
                "test_word_acc": round(word_accuracy(pred, te.labels), 3),
                "test_cer": round(cer, 3),
                "left_plateau": cer < 0.8,
                "val_word_acc_curve": curve,
                "seconds": round(time.perf_counter() - t0, 1),
            }
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
