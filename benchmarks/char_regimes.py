"""Where do our character images win? One split, one SAAE run, one synthesis, every eval-ocr regime.

The split is `data split` on a character set (default the embedded digits): `--per-class K` to
train, `--rare GROUPS:K` for a long tail (`5,6,7,8,9:2`: two images for each of those classes),
`--test-per-class T` for a balanced test set. The SAAE trains with the `digits` recipe's
defaults (plus `--set` overrides), synth writes `--synth-n` samples with `--content`, and
eval-ocr trains its recognizer per regime, ratio and seed on the same budget. Prints one JSON line
per recognizer run, the summary rows (overall and, for a long tail, on the rare classes), the
verdict lines, and the times.

    .venv/bin/python benchmarks/char_regimes.py --per-class 50 --rare 5,6,7,8,9:2   # long tail
    .venv/bin/python benchmarks/char_regimes.py --per-class 10                     # balanced
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from saae_augment.evaluation.report import verdict, verdict_line
from saae_augment.evaluation.run import evaluate_ocr
from saae_augment.sets.split import SplitPlan, parse_rare_counts, split_dataset
from saae_augment.synthesis.run import synthesize
from saae_augment.training.loop import train


def main() -> None:
    """Split, train, synthesize, then eval-ocr over every regime and seed."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="digits", help="the character set to split (any SPEC)")
    ap.add_argument("--per-class", type=int, default=50)
    ap.add_argument("--rare", action="append", default=[], help="GROUPS:K, e.g. 5,6,7,8,9:2 (repeatable)")
    ap.add_argument("--test-per-class", type=int, default=120)
    ap.add_argument("--split-seed", type=int, default=0)
    ap.add_argument("--recipe", default="digits")
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="recipe override for the SAAE")
    ap.add_argument("--saae-seed", type=int, default=0)
    ap.add_argument(
        "--init", default="auto", help="base model: auto (default: a packaged one that fits), none, a name, a folder"
    )
    ap.add_argument("--run", type=Path, help="reuse this SAAE run (trained on the same split) instead of training")
    ap.add_argument("--synth-n", type=int, default=5000)
    ap.add_argument("--content", default="uniform")
    ap.add_argument("--select", action="store_true", help="synth --select: samples the judge misreads drawn again")
    ap.add_argument("--style-mix", action="store_true", help="synth --style-mix: each sample between two real styles")
    ap.add_argument("--augment", help="synth --augment RECIPE: post-augment every sample")
    ap.add_argument("--seeds", type=int, default=3, help="eval-ocr seeds per regime")
    ap.add_argument("--eval-steps", type=int, default=400)
    ap.add_argument("--ratios", default="1,5,10")
    ap.add_argument("--regime", action="append", help="only these regimes (repeatable; default all)")
    ap.add_argument("--keep", type=Path, help="write the split, run and report here instead of a temporary folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        t0 = time.perf_counter()
        plan = SplitPlan(
            per_class=args.per_class, test_per_class=args.test_per_class, rare=parse_rare_counts(args.rare)
        )
        split_dataset(args.data, plan, root / "data", seed=args.split_seed, overwrite=True)
        over = [f"train.seed={args.saae_seed}", *args.overrides]
        if args.run is None:
            run_dir = train(
                root / "data" / "train", args.recipe, over, root / "run", device="cpu", overwrite=True, init=args.init
            ).run_dir
        else:
            run_dir = args.run
        summary = json.loads((run_dir / "summary.json").read_text())
        t_train = time.perf_counter() - t0
        written = synthesize(
            run_dir,
            args.synth_n,
            root / "synth",
            seed=7,
            device="cpu",
            content=args.content,
            select=args.select,
            style_mix=args.style_mix,
            augment=args.augment,
            overwrite=True,
        )
        t_synth = time.perf_counter() - t0 - t_train
        print(
            json.dumps(
                {
                    "saae_train_s": round(t_train, 1),
                    "synth_s": round(t_synth, 1),
                    "monitor_content_acc": summary.get("content_acc"),
                    "monitor_copy_rate": summary.get("copy_rate"),
                    "synth_judge_acc": round(written.content_accuracy, 4),
                }
            ),
            flush=True,
        )
        result = evaluate_ocr(
            root / "data" / "train",
            root / "data" / "test",
            root / "eval",
            synth=[root / "synth"],
            ratios=[float(r) for r in args.ratios.split(",")],
            seeds=args.seeds,
            steps=args.eval_steps,
            regimes=args.regime,
            on_progress=lambda done, total, row, task: print(
                json.dumps({k: v for k, v in row.items() if not k.startswith("_")}), flush=True
            ),
            ckpt=run_dir,
            overwrite=True,
        )
        keys = ("regime", "ratio", "mean", "std", "rare_accuracy", "rare_accuracy_std")
        for row in result.summary:
            print(json.dumps({k: row.get(k) for k in keys}), flush=True)
        print(json.dumps({"rare": result.settings["rare"], "n_rare_test": result.settings["n_rare_test"]}))
        v = verdict(result.summary)
        if v is not None:
            print(verdict_line(v))
        print(json.dumps({"total_s": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
