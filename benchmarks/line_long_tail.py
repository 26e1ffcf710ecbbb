"""Do our plates help where real collections are thin? A CCPD-like long tail, end to end.

Training plates: `data make-plates --n N --skew 皖=0.8` (one province on 80% of plates, the other
30 sharing the rest, as in CCPD); test plates: a balanced set from another seed. One SAAE run
(plates-cn recipe, `--steps`, a `--judge-epochs` judge) learns the training plates' style; synth
writes `--synth-n` plates with `--content` (balance: the training set's rare provinces more
often); eval-ocr trains its line recognizer per regime and seed on the same budget and prints
word accuracy and CER overall and on the test plates holding a rare character (detected from
the training counts: the 30 thin provinces). Prints one JSON line per recognizer run, then the
summary rows and the verdict. Needs a CJK font (apt-get install fonts-wqy-zenhei).

    .venv/bin/python benchmarks/line_long_tail.py [--n 1000] [--steps 300] [--seeds 3] [--ratios 1]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from saae_augment.data.plates import parse_skew
from saae_augment.evaluation.report import verdict, verdict_line
from saae_augment.evaluation.run import evaluate_ocr
from saae_augment.sets.plates import make_plate_photos
from saae_augment.synthesis.run import synthesize
from saae_augment.training.loop import train


def main() -> None:
    """Sets, one SAAE run, one synthesis, then eval-ocr over every regime and seed."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="training plates (skewed)")
    ap.add_argument("--test-n", type=int, default=500, help="test plates (balanced)")
    ap.add_argument("--skew", default="皖=0.8")
    ap.add_argument("--steps", type=int, default=300, help="SAAE training steps")
    ap.add_argument("--judge-epochs", type=int, default=30)
    ap.add_argument("--synth-n", type=int, default=2000)
    ap.add_argument("--content", default="balance")
    ap.add_argument("--seeds", type=int, default=3, help="eval-ocr seeds per regime")
    ap.add_argument("--eval-steps", type=int, default=400)
    ap.add_argument("--ratios", default="1")
    ap.add_argument("--keep", type=Path, help="write the sets, run and report here instead of a temporary folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        t0 = time.perf_counter()
        make_plate_photos(root / "train", args.n, "plate-cn", seed=0, skew=parse_skew(args.skew))
        make_plate_photos(root / "test", args.test_n, "plate-cn", seed=1)
        over = [f"train.max_steps={args.steps}", f"train.judge_epochs={args.judge_epochs}"]
        over += [f"train.eval_every={args.steps}", f"train.grid_every={args.steps}", "train.seed=0"]
        run = train(root / "train", "plates-cn", over, root / "run", device="cpu")
        t_train = time.perf_counter() - t0
        written = synthesize(run.run_dir, args.synth_n, root / "synth", seed=7, device="cpu", content=args.content)
        print(
            json.dumps(
                {
                    "saae_train_s": round(t_train, 1),
                    "monitor_exact": round(run.summary["content_acc"], 4),
                    "synth_exact": round(written.content_accuracy, 4),
                    "synth_cer": round(written.content_cer or 0.0, 4),
                }
            ),
            flush=True,
        )
        result = evaluate_ocr(
            root / "train",
            root / "test",
            root / "eval",
            synth=[root / "synth"],
            ratios=[float(r) for r in args.ratios.split(",")],
            seeds=args.seeds,
            steps=args.eval_steps,
            on_progress=lambda done, total, row, task: print(
                json.dumps({k: v for k, v in row.items() if not k.startswith("_")}), flush=True
            ),
            ckpt=run.run_dir,
        )
        keys = ("regime", "ratio", "mean", "std", "cer", "cer_std", "rare_accuracy", "rare_accuracy_std", "rare_cer")
        for row in result.summary:
            print(json.dumps({k: row.get(k) for k in keys}), flush=True)
        rare = result.settings["rare"]
        print(json.dumps({"rare": "".join(rare), "n_rare_test": result.settings["n_rare_test"]}, ensure_ascii=False))
        v = verdict(result.summary)
        if v is not None:
            print(verdict_line(v))
        print(json.dumps({"total_s": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
