"""Each training step's batch for the character task, drawn from (seed, step) alone."""

from __future__ import annotations

import torch

from saae_augment.core.device import to_device
from saae_augment.data.datasets import LabeledTensors
from saae_augment.data.warp import affine_warp, jitter_params
from saae_augment.seeding import torch_generator
from saae_augment.training.steps import Batch


class CharSampler:
    """Per-step batches: which real images, which style for step 1, which cross content.

    Every draw is for the global batch (so the random stream is the single-process one); a rank
    then gathers and warps only its `rows` (all of them when alone).
    """

    def __init__(
        self,
        train: LabeledTensors,
        n_classes: int,
        batch_size: int,
        seed: int,
        style_source: str,
        warp: float = 0.0,
        glyph_background: float = 0.0,
        rows: slice = slice(None),
    ):
        self.train, self.k, self.batch_size, self.seed, self.style_source = (
            train,
            n_classes,
            batch_size,
            seed,
            style_source,
        )
        self.warp, self.glyph_background, self.rows = warp, glyph_background, rows
        order = torch.argsort(train.targets, stable=True)
        counts = torch.bincount(train.targets, minlength=n_classes)
        self.by_class, self.counts = order, counts
        self.offsets = torch.cumsum(counts, 0) - counts

    def batch(self, step: int, banks: torch.Tensor, device: torch.device) -> Batch:
        """`banks` F×k×C×H×W: the cross content comes from a random font (and warp, where the
        recipe asks), the reconstruction content always from the first font."""
        g = torch_generator(self.seed, "step", step)
        rows, n = self.rows, self.batch_size
        idx = torch.randint(len(self.train), (n,), generator=g)
        y = self.train.targets[idx]
        cross = (y + torch.randint(1, self.k, (n,), generator=g)) % self.k
        images = self.train.images
        style_warp = None
        if self.style_source in ("self", "augmented"):
            style_idx = idx
            if self.style_source == "augmented":
                style_warp = jitter_params(n, g)
        elif self.style_source == "same-class":
            pos = (torch.rand(n, generator=g) * self.counts[y]).long()
            style_idx = self.by_class[self.offsets[y] + pos]
        else:  # "other": any training image
            style_idx = torch.randint(len(self.train), (n,), generator=g)
        idx, y, cross = idx[rows], y[rows], cross[rows]
        real = to_device(images[idx], device)
        if style_warp is not None:
            style = to_device(affine_warp(images[style_idx[rows]], style_warp[rows]), device)
        elif self.style_source == "self":
            style = real
        else:
            style = to_device(images[style_idx[rows]], device)
        cross_dev = cross.to(device)
        glyph_cross = banks[0][cross_dev]
        if banks.shape[0] > 1:  # drawn only when used, so a one-font recipe keeps its random stream
            font = torch.randint(banks.shape[0], (n,), generator=g)[rows]
            glyph_cross = banks[font.to(device), cross_dev]
        if self.warp > 0:
            u = jitter_params(n, g)[rows]
            glyph_cross = affine_warp(glyph_cross, u, self.warp, fill=self.glyph_background)
        return Batch(
            real=real,
            targets=y.to(device),
            glyph_own=banks[0][y.to(device)],
            style_rec=style,
            glyph_cross=glyph_cross,
            cross_targets=cross_dev,
        )
