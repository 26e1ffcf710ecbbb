"""One batch of a synthesis: which samples (plans from (seed, i) alone), the model call,
selection (samples the judge misreads drawn again), and the label rows the writer appends.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from saae_augment.synthesis.generate import Synthesizer
from saae_augment.synthesis.options import SynthOptions
from saae_augment.synthesis.sampling import SamplePlan, plan
from saae_augment.synthesis.writers import image_relpath
from saae_augment.tasks import ContentPlan

SELECT_TRIES = 8  # --select: draws per sample before the last one is kept as it is


def row_fields(synth: Synthesizer, opts: SynthOptions) -> list[str]:
    """labels.csv's columns: the optional ones only where the run has them."""
    return (
        ["path", "label", "style", "seed", "judge"]
        + (["style_b", "mix"] if opts.style_mix else [])
        + (["font"] if len(synth.content_fonts) > 1 else [])
        + (["tries"] if opts.select else [])
    )


def _plan(
    synth: Synthesizer, spec: ContentPlan, opts: SynthOptions, index: int, attempt: int = 0, label=None
) -> SamplePlan:
    return plan(
        opts.seed, index, spec, len(synth.pool.sources), opts.style_mix, len(synth.content_fonts), attempt, label
    )


def first_plans(synth: Synthesizer, spec: ContentPlan, opts: SynthOptions, k: int) -> list[SamplePlan]:
    """The run's samples 0..k-1 as planned (whatever the shard): precision.py's calibration set."""
    return [_plan(synth, spec, opts, i) for i in range(k)]


def _redraw_misread(
    synth: Synthesizer,
    spec: ContentPlan,
    opts: SynthOptions,
    plans: list[SamplePlan],
    images: np.ndarray,
    reads: list[str],
    tries: list[int],
) -> None:
    """Selection, in place: samples the judge misreads are drawn again until read right or out of
    tries (then the last try is kept, and its row says the judge read something else)."""
    for attempt in range(1, SELECT_TRIES):
        bad = [j for j, (p, r) in enumerate(zip(plans, reads, strict=True)) if r != p.label]
        if not bad:
            return
        again = [_plan(synth, spec, opts, plans[j].index, attempt, plans[j].label) for j in bad]
        new_images, new_reads = synth.generate(again)
        for j, p, img, read in zip(bad, again, new_images, new_reads, strict=True):
            plans[j], images[j], reads[j], tries[j] = p, img, read, attempt + 1


def make_batch(
    synth: Synthesizer, spec: ContentPlan, opts: SynthOptions, indices: range
) -> tuple[list[tuple[int, np.ndarray, int]], list[dict[str, Any]]]:
    """(index, image, augmentation seed) per sample and its label row, for the writer."""
    plans = [_plan(synth, spec, opts, i) for i in indices]
    images, reads = synth.generate(plans)
    tries = [1] * len(plans)
    if opts.select:
        _redraw_misread(synth, spec, opts, plans, images, reads, tries)
    fonts_column = len(synth.content_fonts) > 1
    rows, items = [], []
    for p, img, read, n_tries in zip(plans, images, reads, tries, strict=True):
        row: dict[str, Any] = {
            "path": image_relpath(p.index) if opts.fmt == "png" else f"image-{p.index + 1:09d}",
            "label": p.label,
            "style": synth.pool.sources[p.style],
            "seed": p.seed,
            "judge": read,
        }
        if opts.style_mix:
            row |= {"style_b": synth.pool.sources[p.style_b], "mix": f"{p.mix:.4f}"}
        if fonts_column:
            row["font"] = synth.content_fonts[p.font]
        if opts.select:
            row["tries"] = n_tries
        rows.append(row)
        items.append((p.index, img, p.aug_seed))
    return items, rows
