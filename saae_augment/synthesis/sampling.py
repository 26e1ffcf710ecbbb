"""Which content, which style, which mix and which augmentation seed each sample gets.

Sample i's choices come from its own seed, derived from (run seed, i) alone, so any batch
size, any shard split and any resume point give the same sample i.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from saae_augment.seeding import derive_seed
from saae_augment.tasks.base import ContentPlan


@dataclass(frozen=True)
class SamplePlan:
    """Every choice of one sample, from its own seed: redoing it needs nothing else."""

    index: int
    seed: int  # the sample's own seed: recorded per row, enough to redo this one sample
    label: str
    style: int  # index into the style pool
    style_b: int  # second style for mixing (== style when not mixing)
    mix: float  # weight of style_b, 0 when not mixing
    aug_seed: int
    font: int = 0  # which of the checkpoint's content fonts draws the glyph
    warp_seed: int = 0  # the content glyph's random warp (where the recipe warps content)


def plan(
    seed: int,
    index: int,
    content: ContentPlan | None,
    n_styles: int,
    style_mix: bool,
    n_fonts: int = 1,
    attempt: int = 0,
    label: str | None = None,
) -> SamplePlan:
    """Sample `index`'s choices. A retry (`attempt` > 0, `label` kept) draws a new style, font and
    warp from its own seed, so which try a sample needed never depends on the others."""
    s = derive_seed(seed, "sample", index) if attempt == 0 else derive_seed(seed, "sample", index, "try", attempt)
    rng = np.random.default_rng(s)
    if label is None:
        if content is None:
            raise ValueError("plan() needs a content plan or a label")
        label = content.draw(seed, index, rng)
    a = int(rng.integers(n_styles))
    b, mix = (int(rng.integers(n_styles)), float(rng.uniform())) if style_mix else (a, 0.0)
    aug_seed = int(rng.integers(2**31 - 1))
    # drawn after every earlier choice, so adding content variety leaves label, style and aug alone
    font = int(rng.integers(n_fonts))
    return SamplePlan(index, s, label, a, b, mix, aug_seed, font, int(rng.integers(2**31 - 1)))
