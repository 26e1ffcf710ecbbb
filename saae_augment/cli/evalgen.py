"""`saae-augment eval-gen`: the paper's generative-quality table and figures for a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from saae_augment.cli.output import out, user_errors


@user_errors
def eval_gen(
    ckpt: Annotated[Path, typer.Option(help="Run folder or checkpoint to evaluate.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for metrics.json, figures and report.md.")],
    real: Annotated[str | None, typer.Option(help="Real training images (default: the run's own split).")] = None,
    val: Annotated[
        str | None, typer.Option(help="Validation images for the Parzen sigma (default: run's split).")
    ] = None,
    test: Annotated[str | None, typer.Option(help="Test images (default: the run's held-out split).")] = None,
    n: Annotated[int, typer.Option("--n", min=10, help="Samples to draw.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Which samples are drawn.")] = 0,
    cas_steps: Annotated[int, typer.Option(min=1, help="Training steps of the CAS recognizer.")] = 400,
    compare: Annotated[Path | None, typer.Option(help="A second run to put side by side (an ablation).")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or mps.")] = "auto",
    overwrite: Annotated[
        bool, typer.Option(help="Replace what saae-augment wrote in --out before (never other files).")
    ] = False,
) -> None:
    """Parzen log-likelihood (with a real-data reference), memorization, fidelity, CAS, and figures;
    for a line run: exact-read rate and CER, copy rate, memorization and CAS with a CRNN."""
    from saae_augment.evaluation.generative import evaluate_generator, headline

    m = evaluate_generator(ckpt, out_dir, real, val, test, n, seed, cas_steps, compare, device, overwrite=overwrite)
    runs = [m] + ([m["compare"]] if "compare" in m else [])
    for r in runs:
        out.print(headline(r))
    out.print(f"wrote {out_dir}/metrics.json, report.md and figures")
