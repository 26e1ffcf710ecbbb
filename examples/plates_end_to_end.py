"""Plates end to end with the library API (no CLI): demo plates → line SAAE → synthesis → eval-ocr.

A short run to show the calls; the numbers it prints are not meaningful at this size. For real
use, train on your own plate crops (e.g. a CCPD folder: `load_dataset("ccpd:/data/CCPD2019")`).

    .venv/bin/python examples/plates_end_to_end.py [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

from saae_augment import evaluate_ocr, synthesize, train
from saae_augment.sets.plates import make_plate_photos


def main(out: Path) -> None:
    make_plate_photos(out / "plates/train", 200, "plate-cn", seed=0)
    make_plate_photos(out / "plates/test", 100, "plate-cn", seed=1)
    run = train(out / "plates/train", "plates-cn", ["train.max_steps=60", "train.judge_epochs=10"], out / "run")
    print("line content accuracy", run.summary["content_acc"], "CER", run.summary["content_cer"])
    synth = synthesize(run.run_dir, 400, out / "synth", pattern="plate-cn")
    print(f"{synth.written} plates at {synth.written / synth.elapsed_s:.0f} img/s")
    result = evaluate_ocr(
        out / "plates/train", out / "plates/test", out / "eval", synth=[out / "synth"], ratios=[1], seeds=1, steps=100
    )
    for row in result.summary:
        print(f"{row['regime']:16s} ratio {row['ratio']}: word accuracy {row['mean']:.1%}, CER {row['cer']:.1%}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("plates-example"))
