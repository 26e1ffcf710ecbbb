"""Differentiable augmentation of the discriminator's inputs (DiffAugment, Zhao et al. 2020).

With 80 real images the discriminator memorises them within a few hundred steps (its loss
falls to ~0.01 and the generator's adversarial gradient saturates). Showing D every image —
real and generated alike — through the same random warp, brightness/contrast change and cutout
keeps it from memorising, and because the ops are differentiable the generator still learns
through them. The generator's own outputs are never augmented: only what D sees is.
"""

from __future__ import annotations

import torch

from saae_augment.data.warp import affine_warp


def diff_augment(
    images: torch.Tensor,
    generator: torch.Generator,
    strength: float,
    rows: torch.Tensor | None = None,
    batch: int | None = None,
) -> torch.Tensor:
    """Random warp, brightness, contrast and one cutout square per image; `strength` 0 = identity.

    `rows`, `batch` (distributed training): `images` are these rows of a batch of `batch` images;
    the draws are made for the whole batch and these rows used, so each image gets what it would
    get in one process.
    """
    if strength <= 0:
        return images
    _, _, h, w = images.shape
    n = images.shape[0] if rows is None else batch
    u = torch.rand(n, 5, generator=generator) * 2 - 1
    jitter = torch.rand(n, 2, 1, 1, 1, generator=generator) - 0.5
    side = max(1, round(min(h, w) * 0.25 * min(strength, 2.0)))
    top = (torch.rand(n, generator=generator) * (h - side + 1)).long()
    left = (torch.rand(n, generator=generator) * (w - side + 1)).long()
    if rows is not None:
        u, jitter, top, left = u[rows], jitter[rows], top[rows], left[rows]
    x = affine_warp(images, u.to(images.device), strength)
    jitter = jitter.to(images.device, images.dtype)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * (1 + jitter[:, 1] * strength) + mean + jitter[:, 0] * 0.4 * strength
    rows_ = torch.arange(h)[None, :, None]
    cols = torch.arange(w)[None, None, :]
    in_rows = (rows_ >= top[:, None, None]) & (rows_ < (top + side)[:, None, None])
    hole = in_rows & (cols >= left[:, None, None]) & (cols < (left + side)[:, None, None])
    return x * (~hole).to(images.device, images.dtype)[:, None]
