"""Line synthesis throughput at 32×128 (plates), end to end (PNG to disk), in one run.

Figures, each from a fresh child process:
- `render`: the baseline, font rendering alone (what a TextRecognitionDataGenerator-style tool
  does first): plate texts from the plate-cn preset drawn with the checkpoint's content fonts;
- `model`: the synthesizer without writing (render + warp + style + decode + judge);
- `synth fp32` / `synth bf16`: `synthesize()` end to end, PNGs and label files written;
- with `--trdg PATH` (the `trdg` command of TextRecognitionDataGenerator, installed on its own:
  it needs opencv-python and Pillow < 10, which this package's environment must not get, e.g.
  `python -m venv /tmp/trdg && /tmp/trdg/bin/pip install trdg "pillow<10"`), the two whole
  commands side by side: `saae-augment synth --n N` (1 process: process start, checkpoint load,
  PNGs and labels) against `trdg -c N -f 32 -wd 128 -t 2` (32×128 lines, 2 processes), each
  timed from launch to exit, and their ratio.

The checkpoint is made on the spot (1 training step of `plates-cn` on a procedural plate set:
speed does not depend on how well a model is trained). Needs a CJK font (fonts-wqy-zenhei).

    .venv/bin/python benchmarks/line_synth_throughput.py [--n 5000] [--generators flat,layered]
        [--trdg /tmp/trdg/bin/trdg]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from childproc import run_child, whole_command  # noqa: E402
from peer_ratios import peer_lines  # noqa: E402

CHILD = r"""
import json, sys, time
import torch
mode, ckpt, n, out, precision = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
from saae_augment.synthesis.run import open_synthesizer, synthesize
from saae_augment.tasks.texts import line_texts
from saae_augment.synthesis.sampling import plan
if mode == "render":
    from saae_augment.data.lines import render_lines
    s = open_synthesizer(ckpt, torch.device("cpu"))
    texts = line_texts(s.charset, pattern="plate-cn")
    labels = [texts.text(0, i) for i in range(n)]
    t = time.perf_counter()
    render_lines(labels, [i % len(s.fonts) for i in range(n)], s.fonts, s.size, False)
    rate = n / (time.perf_counter() - t)
elif mode == "model":
    s = open_synthesizer(ckpt, torch.device("cpu"), precision=precision)
    texts = line_texts(s.charset, pattern="plate-cn")
    plans = [plan(0, i, None, len(s.pool.sources), False, len(s.fonts), label=texts.text(0, i)) for i in range(n)]
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


def make_checkpoint(root: Path, generator: str | None = None) -> Path:
    from saae_augment.sets.plates import make_plate_photos
    from saae_augment.training.loop import train

    if not (root / "plates").exists():
        make_plate_photos(root / "plates", 128, "plate-cn", (64, 224), seed=0)
    run = root / f"run-{generator or 'recipe'}"
    overrides = ["train.max_steps=1", "train.judge_epochs=1", "train.eval_samples=16"]
    overrides += [f"model.generator={generator}"] if generator else []
    train(root / "plates", "plates-cn", overrides, out=run)
    return run


def side_by_side(trdg: str, ckpt: Path, n: int, root: Path) -> tuple[float, float]:
    """(ours, peer) whole-command rates at 32×128."""
    cli = Path(sys.executable).with_name("saae-augment")
    ours_cmd = [str(cli), "synth", "--ckpt", str(ckpt), "--n", str(n), "--out", str(root / "ours")]
    ours = whole_command(ours_cmd, n, root / "ours")
    return ours, whole_command(peer_lines(trdg, n, root / "peer"), n, root / "peer")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=5_000)
    ap.add_argument("--generators", default="", help="model.generator values, e.g. flat,layered")
    ap.add_argument("--trdg", help="the trdg command (TextRecognitionDataGenerator), for the side-by-side ratio")
    args = ap.parse_args()
    peer = None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = []
        for gen in args.generators.split(",") if args.generators else [None]:
            ckpt = make_checkpoint(root, gen)
            tag = f"{gen}: " if gen else ""
            if not rows:
                base = child("render", ckpt, args.n, root / "x")
                rows.append(("render (baseline: fonts only)", base))
            rows.append((f"{tag}model fp32 (render+warp+G+judge)", child("model", ckpt, args.n, root / f"m{gen}")))
            rows.append((f"{tag}synth fp32 end to end", child("synth", ckpt, args.n, root / f"s32{gen}")))
            rows.append((f"{tag}synth bf16 end to end", child("synth", ckpt, args.n, root / f"s16{gen}", "bf16")))
            if args.trdg and peer is None:
                peer = side_by_side(args.trdg, ckpt, args.n, root / "side")
    print(f"line synthesis at 32x128, n={args.n:,}, plate-cn texts, 1 process")
    print(f"{'what':44s} {'img/s':>8s} {'vs render':>10s} {'peak RSS MB':>12s}")
    for name, r in rows:
        print(f"{name:44s} {r['rate']:8.0f} {r['rate'] / base['rate']:9.2f}x {r['peak_rss_mb']:12.0f}")
    if peer is not None:
        ours, theirs = peer
        print(f"whole commands, side by side: saae-augment synth {ours:.0f} img/s (1 process), trdg {theirs:.0f} img/s")
        print(f"(2 processes): {ours / theirs:.2f}x TextRecognitionDataGenerator")


if __name__ == "__main__":
    main()
