"""Content accuracy and copy rate of cross-content samples, on styles the SAAE never trained on."""

from __future__ import annotations

import torch

from saae_augment.core.grids import generate
from saae_augment.data.datasets import LabeledTensors
from saae_augment.seeding import torch_generator
from saae_augment.training.judge import predict


def cross_pairs(styles: LabeledTensors, n_classes: int, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Fixed (style index, requested class ≠ style class) pairs, the same at every evaluation."""
    g = torch_generator(seed, "monitor-pairs")
    style_idx = torch.randint(len(styles), (n,), generator=g)
    shift = torch.randint(1, n_classes, (n,), generator=g)
    requested = (styles.targets[style_idx] + shift) % n_classes
    return style_idx, requested


def content_metrics(
    G: torch.nn.Module,
    judge: torch.nn.Module,
    glyphs: torch.Tensor,
    styles: LabeledTensors,
    n: int,
    seed: int,
) -> dict[str, float]:
    """content_acc: read as requested; copy_rate: read as the style image's own class."""
    if len(styles) == 0 or glyphs.shape[0] < 2:
        return {}
    style_idx, requested = cross_pairs(styles, glyphs.shape[0], n, seed)
    samples = generate(G, glyphs, styles.images[style_idx], requested)
    read = predict(judge, samples).cpu()
    return {
        "content_acc": (read == requested).float().mean().item(),
        "copy_rate": (read == styles.targets[style_idx]).float().mean().item(),
    }
