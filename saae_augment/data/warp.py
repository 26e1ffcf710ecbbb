"""Small random geometric warps of image batches, done on tensors (and on the GPU when there is one).

Used where the *same character* must look a little different: the judge's training batches,
and the "augmented copy" style image of a training step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F


def jitter(
    images: torch.Tensor, generator: torch.Generator, strength: float = 1.0, fill: float | None = None
) -> torch.Tensor:
    """Random affine warps (rotation ±10°, scale ±10%, shear, shift ±6% at strength 1) with the
    border extended (so a dark-on-light plate does not get a black frame), or `fill`ed."""
    return affine_warp(images, jitter_params(images.shape[0], generator), strength, fill)


def jitter_params(n: int, generator: torch.Generator) -> torch.Tensor:
    """The N×5 random parameters `jitter` draws: drawn for a whole batch, usable for any rows of it."""
    return torch.rand(n, 5, generator=generator) * 2 - 1


def warp_params(seeds: Sequence[int]) -> torch.Tensor:
    """N×5 warp parameters in [-1, 1], one row per seed: a sample's warp depends on its seed alone."""
    rows = [np.random.default_rng(s).uniform(-1.0, 1.0, 5) for s in seeds]
    return torch.from_numpy(np.stack(rows)).float()


def affine_warp(
    images: torch.Tensor, u: torch.Tensor, strength: float = 1.0, fill: float | None = None
) -> torch.Tensor:
    """The warp of `jitter`, from explicit parameters `u` (N×5 in [-1, 1]).

    `fill` None extends the border (photos, scans); a value fills what the warp uncovers with it
    (rendered glyphs, whose strokes may touch the edge: extending them would draw stripes).
    """
    angle = u[:, 0] * math.radians(10) * strength
    scale = 1 + u[:, 1] * 0.1 * strength
    shear = u[:, 2] * 0.15 * strength
    tx, ty = u[:, 3] * 0.12 * strength, u[:, 4] * 0.12 * strength
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + shear, tx], 1), torch.stack([sin, cos, ty], 1)], 1).to(
        images.device, images.dtype
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    if fill is None:
        return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
    warped = F.grid_sample(images - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return warped + fill
