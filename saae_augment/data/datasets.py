"""Labeled images as tensors, and the two train/validation split rules (which one a run uses is
its task's choice: tasks/).

Training samples its batches by index from tensors held in memory (the sets SAAE learns from
are small by nature); the splits are seeded so every run of a recipe sees the same held-out
styles. The content glyph banks are drawn in fontchoice.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from saae_augment.data.load import LabeledImages
from saae_augment.seeding import derive_seed


def to_tensor(images: Sequence[np.ndarray] | np.ndarray) -> torch.Tensor:
    """uint8 N×H×W or N×H×W×C → float N×C×H×W in [0, 1]."""
    arr = np.stack(images) if not isinstance(images, np.ndarray) else images
    if arr.ndim == 3:
        arr = arr[:, None]
    else:
        arr = arr.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(arr)).float().div_(255.0)


def to_uint8(batch: torch.Tensor) -> np.ndarray:
    """float N×C×H×W in [0, 1] → uint8 N×H×W (grey) or N×H×W×3."""
    arr = (batch.detach().float().clamp(0, 1) * 255.0).round().to(torch.uint8).cpu().numpy()
    return arr[:, 0] if arr.shape[1] == 1 else arr.transpose(0, 2, 3, 1)


MIN_TO_HOLD_OUT = 3  # a class with fewer images keeps them all for training


def stratified_split(labels: Sequence[str], val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Per class, `val_fraction` of the samples (rounded, at least 1 where a class has at least
    MIN_TO_HOLD_OUT) to val. A class with 2 images keeps both: holding one out would halve what
    the SAAE and the recognizer learn that class from, where a long tail needs it most."""
    rng = np.random.default_rng(derive_seed(seed, "split"))
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    train, val = [], []
    for label in sorted(by_class):
        idx = np.array(by_class[label])
        rng.shuffle(idx)
        n_val = 0 if len(idx) < MIN_TO_HOLD_OUT else max(1, round(len(idx) * val_fraction))
        val.extend(idx[:n_val].tolist())
        train.extend(idx[n_val:].tolist())
    return sorted(train), sorted(val)


def random_split(n: int, val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """A seeded split for line sets, where nearly every label is unique (nothing to stratify by)."""
    rng = np.random.default_rng(derive_seed(seed, "split"))
    order = rng.permutation(n)
    n_val = 0 if n < 2 else max(1, round(n * val_fraction))
    return sorted(order[n_val:].tolist()), sorted(order[:n_val].tolist())


@dataclass
class LabeledTensors:
    """A labeled split as tensors, ready for batching on a device."""

    images: torch.Tensor  # N×C×H×W float
    targets: torch.Tensor  # N long, index into classes
    sources: list[str]

    def __len__(self) -> int:
        return len(self.targets)


def tensors_for(data: LabeledImages, classes: Sequence[str], indices: Sequence[int]) -> LabeledTensors:
    """The `indices` of a data set as tensors, labels mapped to `classes` positions."""
    index = {c: i for i, c in enumerate(classes)}
    like = data.images[0]  # an empty split (two images per class keep both) still has the set's shape
    picked = [data.images[i] for i in indices] or np.zeros((0, *like.shape), like.dtype)
    return LabeledTensors(
        images=to_tensor(picked),
        targets=torch.tensor([index[data.labels[i]] for i in indices], dtype=torch.long),
        sources=[data.sources[i] for i in indices],
    )
