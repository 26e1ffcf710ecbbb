"""Synthesis throughput at 32×32: model-only and end-to-end (PNG to disk), in one run, plus peak
memory (RSS) for two sizes of N. Models: `paper` (the published arch and setting: one clean
glyph per class, concat decoder), `fast-plain` (the fast arch in that setting, where the content
half of the decoder is cached per class) and `fast` (today's defaults: FiLM decoder and content
variety, so the content encoder runs per sample).

Checkpoints are made on the spot (1 training step on the embedded digits at 32×32: speed does
not depend on how well a model is trained). Each figure comes from a fresh child process, and
peak memory is its VmHWM (Linux), that process's own high-water mark.

    .venv/bin/python benchmarks/synth_throughput.py [--n 20000] [--big-n 200000] [--skip-memory]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from childproc import run_child  # noqa: E402

CHILD = r"""
import json, sys, time
import torch
from saae_augment.synthesis.run import synthesize
from saae_augment.synthesis.generate import Synthesizer
from saae_augment.synthesis.sampling import plan
from saae_augment.tasks.classes import content_spec
mode, ckpt, n, out, precision = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
t = time.perf_counter()
if mode == "model":
    s = Synthesizer(ckpt, torch.device("cpu"), precision=precision)
    spec = content_spec(s.classes)
    plans = [plan(0, i, spec, len(s.pool.sources), False) for i in range(n)]
    t = time.perf_counter()
    for b in range(0, n, 512):
        s.generate(plans[b:b + 512])
    rate = n / (time.perf_counter() - t)
else:
    r = synthesize(ckpt, n, out, device="cpu", precision=precision)
    rate = r.generated_now / r.elapsed_s
"""


def child(mode: str, ckpt: Path, n: int, out: Path, precision: str = "fp32") -> dict:
    return run_child(CHILD, mode, ckpt, n, out, precision)


PLAIN = ["glyph.fonts=1", "glyph.warp=0", "model.style_inject=concat"]
MODELS = {"paper": ["model.arch=paper", *PLAIN], "fast-plain": ["model.arch=fast", *PLAIN], "fast": []}


def make_checkpoint(name: str, root: Path) -> Path:
    from saae_augment.training.loop import train

    run = root / f"run-{name}"
    overrides = [
        *MODELS[name],
        "data.size=[32,32]",
        "train.max_steps=1",
        "train.judge_epochs=1",
        "train.eval_samples=64",
    ]
    train("digits", "digits", overrides, out=run)
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--big-n", type=int, default=200_000)
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runs = {name: make_checkpoint(name, root) for name in MODELS}
        results = {}
        for arch, precision in (("paper", "fp32"), ("fast-plain", "fp32"), ("fast", "fp32"), ("fast", "bf16")):
            model = child("model", runs[arch], args.n, root / "unused", precision)
            e2e = child("e2e", runs[arch], args.n, root / f"out-{arch}-{precision}", precision)
            results[(arch, precision)] = {"model": model["rate"], "e2e": e2e["rate"], "rss": e2e["peak_rss_mb"]}
        print(f"synthesis at 32x32, N={args.n:,}, CPU threads as torch defaults")
        for (arch, precision), r in results.items():
            print(
                f"  {arch:10s} {precision} model-only {r['model']:8.0f} img/s   end-to-end {r['e2e']:8.0f} img/s "
                f"({r['e2e'] / r['model']:.0%} of model-only)   peak RSS {r['rss']:.0f} MB"
            )
        base = results[("paper", "fp32")]
        for key in (("fast-plain", "fp32"), ("fast", "fp32"), ("fast", "bf16")):
            print(
                f"  ratio {key[0]} {key[1]} / paper fp32: model-only {results[key]['model'] / base['model']:.2f}x, "
                f"end-to-end {results[key]['e2e'] / base['e2e']:.2f}x"
            )
        if not args.skip_memory:
            small = child("e2e", runs["fast"], args.n, root / "mem-small")
            big = child("e2e", runs["fast"], args.big_n, root / "mem-big")
            print(
                f"  peak RSS (fast, end-to-end): N={args.n:,}: {small['peak_rss_mb']:.0f} MB, "
                f"N={args.big_n:,}: {big['peak_rss_mb']:.0f} MB, ratio {big['peak_rss_mb'] / small['peak_rss_mb']:.3f}"
            )


if __name__ == "__main__":
    main()
