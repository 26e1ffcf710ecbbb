"""The SAAE's losses as pure functions of tensors (no modules, no optimizers)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def reconstruction(kind: str, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The recipe's pixel loss (l1, mse or bce) between output and target."""
    if kind == "l1":
        return F.l1_loss(output, target)
    if kind == "mse":
        return F.mse_loss(output, target)
    if kind == "bce":
        return F.binary_cross_entropy(output.float().clamp(1e-6, 1 - 1e-6), target.float())
    raise ValueError(f"unknown reconstruction loss {kind!r}")


def discriminator_loss(
    real_logits: torch.Tensor, real_targets: torch.Tensor, fake_logits: torch.Tensor
) -> torch.Tensor:
    """(k+1)-class: real → its class, generated → "fake" (the last index). Binary: real 1, fake 0."""
    if real_logits.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(
            real_logits.float(), torch.ones_like(real_logits, dtype=torch.float)
        ) + F.binary_cross_entropy_with_logits(fake_logits.float(), torch.zeros_like(fake_logits, dtype=torch.float))
    fake_class = torch.full((fake_logits.shape[0],), real_logits.shape[1] - 1, device=fake_logits.device)
    return F.cross_entropy(real_logits.float(), real_targets) + F.cross_entropy(fake_logits.float(), fake_class)


def generator_adversarial_loss(fake_logits: torch.Tensor, requested: torch.Tensor) -> torch.Tensor:
    """(k+1)-class: D must read the generated image as the class it was asked to be. Binary: as real."""
    if fake_logits.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(fake_logits.float(), torch.ones_like(fake_logits, dtype=torch.float))
    return F.cross_entropy(fake_logits.float(), requested)
