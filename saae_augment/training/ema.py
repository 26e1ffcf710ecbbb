"""An exponential moving average of a network's weights (what synthesis uses when a recipe asks)."""

from __future__ import annotations

import torch


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """Move the averaged weights toward the live ones (decay per step)."""
    for e, p in zip(ema.parameters(), model.parameters(), strict=True):
        e.lerp_(p, 1 - decay)
    for e, b in zip(ema.buffers(), model.buffers(), strict=True):
        e.copy_(b)
