"""Training iterations per second (all three steps) at batch 64 on this machine, `paper` vs `fast`.

Both architectures are measured in the same run, interleaved in rounds so that a noisy shared
machine slows both alike; the ratio is the figure to quote.

    .venv/bin/python benchmarks/train_speed.py [--size 16] [--steps 20] [--rounds 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import torch

from saae_augment.config import load_recipe
from saae_augment.model.saae import build_model
from saae_augment.training.steps import Batch, adversarial_steps, reconstruction_step


def make(arch: str, size: int, k: int, device: torch.device, channels_last: bool):
    r = load_recipe("digits", [f"model.arch={arch}", f"data.size=[{size},{size}]"])
    torch.manual_seed(0)
    m = build_model(r.model, 1, r.data.size, k)
    G, D = m.generator.to(device), m.discriminator.to(device)
    if channels_last:
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    opt_g = torch.optim.Adam(G.parameters(), lr=r.optim.lr_g, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=r.optim.lr_d, betas=(0.5, 0.999))
    return r, G, D, opt_g, opt_d


def run_steps(setup, batch: Batch, steps: int, autocast) -> float:
    r, G, D, opt_g, opt_d = setup
    t = time.perf_counter()
    for _ in range(steps):
        reconstruction_step(G, opt_g, batch, r.loss, autocast)
        adversarial_steps(G, D, opt_g, opt_d, batch, r.loss, autocast)
    if batch.real.device.type == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (CPU with AVX512-BF16, or CUDA)")
    args = ap.parse_args()
    device = torch.device(args.device)
    k, b, s = 10, args.batch, args.size
    g = torch.Generator().manual_seed(0)
    y = torch.randint(k, (b,), generator=g)
    real = torch.rand(b, 1, s, s, generator=g).to(device)
    glyphs = torch.rand(k, 1, s, s, generator=g).to(device)
    cross = (y + 1) % k
    batch = Batch(real, y.to(device), glyphs[y.to(device)], real, glyphs[cross.to(device)], cross.to(device))
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if args.bf16 else contextlib.nullcontext()
    setups = {arch: make(arch, s, k, device, channels_last=True) for arch in ("paper", "fast")}
    for arch in setups:  # warm-up
        run_steps(setups[arch], batch, 3, autocast)
    results: dict[str, list[float]] = {arch: [] for arch in setups}
    for _ in range(args.rounds):
        for arch in setups:
            results[arch].append(run_steps(setups[arch], batch, args.steps, autocast))
    print(
        f"device {device}, threads {torch.get_num_threads()}, batch {b}, {s}x{s}, "
        f"{'bf16' if args.bf16 else 'fp32'}, {args.rounds} rounds x {args.steps} steps"
    )
    med = {arch: statistics.median(v) for arch, v in results.items()}
    for arch, v in results.items():
        params = sum(p.numel() for p in setups[arch][1].parameters())
        print(f"  {arch:6s} {med[arch]:7.2f} it/s (rounds: {', '.join(f'{x:.2f}' for x in v)}), G params {params:,}")
    print(f"  ratio fast/paper: {med['fast'] / med['paper']:.2f}x")


if __name__ == "__main__":
    main()
