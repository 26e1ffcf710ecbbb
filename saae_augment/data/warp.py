"""Small random geometric warps of image batches, done on tensors (and on the GPU when there is one).

Used where the *same character* must look a little different: the judge's training batches,
and the "augmented copy" style image of a training step.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def jitter(images: torch.Tensor, generator: torch.Generator, strength: float = 1.0) -> torch.Tensor:
    """Random affine warps (rotation ±10°, scale ±10%, shear, shift ±6% at strength 1) with the
    border extended, so a dark-on-light plate does not get a black frame."""
    n = images.shape[0]
    u = torch.rand(n, 5, generator=generator) * 2 - 1
    angle = u[:, 0] * math.radians(10) * strength
    scale = 1 + u[:, 1] * 0.1 * strength
    shear = u[:, 2] * 0.15 * strength
    tx, ty = u[:, 3] * 0.12 * strength, u[:, 4] * 0.12 * strength
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + shear, tx], 1), torch.stack([sin, cos, ty], 1)], 1).to(
        images.device, images.dtype
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
