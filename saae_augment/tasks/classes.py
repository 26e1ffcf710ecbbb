"""The character task's content plan: which class each synthetic sample writes.

Classes are drawn uniformly, in proportion to the training set (`--content match`), from a
subset (`--classes`), or fixed per sample from a labels file; always from the sample's own rng.
`--content balance` fills every class up to the same count, real and synthetic together: the n
samples go to the classes with the fewest training images first (water-filling: class c gets
max(0, T − real_c), T chosen so the quotas sum to n, rounded by largest remainder), so a long
tail's rare classes get the most and a balanced set gets n/k each. Sample i writes entry i of one
shuffle of those quotas, drawn from the seed alone, so the counts are exact however the run is
batched, sharded or resumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from saae_augment.errors import UsageError
from saae_augment.seeding import derive_seed

CONTENT_MODES = ("uniform", "match", "balance")


@dataclass(frozen=True)
class ContentSpec:
    """How labels are chosen. `labels` (from --labels-file) fixes sample i's label to
    labels[i % len(labels)]; otherwise classes are drawn from `weights` over `classes`."""

    classes: tuple[str, ...]
    weights: tuple[float, ...] | None = None
    labels: tuple[str, ...] | None = None
    quotas: tuple[int, ...] | None = None  # --content balance: how many samples each class gets
    _order: dict[int, np.ndarray] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def draw(self, seed: int, index: int, rng: np.random.Generator) -> str:
        """Sample `index`'s class: fixed by the labels file or its block's permutation, else drawn
        from the sample's rng."""
        if self.labels is not None:
            return self.labels[index % len(self.labels)]
        if self.quotas is not None:
            if seed not in self._order:  # one shuffle of the whole plan per seed, made once
                plan = np.repeat(np.arange(len(self.classes)), self.quotas)
                self._order[seed] = np.random.default_rng(derive_seed(seed, "balance")).permutation(plan)
            order = self._order[seed]
            return self.classes[int(order[index % len(order)])]
        if self.weights is None:
            return self.classes[int(rng.integers(len(self.classes)))]
        return self.classes[int(rng.choice(len(self.classes), p=self.weights))]

    def describe(self) -> dict[str, Any]:
        """What the manifest records: the mode and the classes (or how many labels)."""
        if self.labels is not None:
            return {"mode": "labels-file", "labels": len(self.labels)}
        if self.quotas is not None:
            return {
                "mode": "balance",
                "classes": "".join(self.classes),
                "quotas": dict(zip(self.classes, self.quotas, strict=True)),
            }
        mode = "uniform" if self.weights is None else "weighted"
        return {"mode": mode, "classes": "".join(self.classes)}


def content_spec(
    model_classes: Sequence[str],
    mode: str = "uniform",
    class_counts: Sequence[int] | None = None,
    only: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    n: int | None = None,
) -> ContentSpec:
    """The plan the options ask for, checked against the checkpoint's classes (`model_classes`);
    `n` (the run's sample count) sizes `balance`'s quotas."""
    known = set(model_classes)
    if labels is not None:
        unknown = sorted({x for x in labels if x not in known})
        if unknown:
            raise UsageError(
                f"labels file asks for {len(unknown)} label(s) the checkpoint cannot write: "
                f"{' '.join(unknown[:20])}; it knows {''.join(model_classes)}"
            )
        return ContentSpec(tuple(model_classes), labels=tuple(labels))
    classes = list(model_classes)
    if only:
        unknown = sorted(set(only) - known)
        if unknown:
            raise UsageError(
                f"--classes has {' '.join(unknown)}, which the checkpoint cannot write; it knows {''.join(classes)}"
            )
        classes = [c for c in model_classes if c in set(only)]
    if mode not in CONTENT_MODES:
        raise UsageError(f"--content must be one of {', '.join(CONTENT_MODES)}, not {mode!r}")
    if mode == "uniform":
        return ContentSpec(tuple(classes))
    if mode == "balance":
        if n is None:
            raise ValueError("--content balance needs the number of samples")
        real = dict(zip(model_classes, class_counts or [0] * len(model_classes), strict=True))  # none recorded: even
        return ContentSpec(tuple(classes), quotas=tuple(fill_quotas([real[c] for c in classes], n)))
    if class_counts is None:
        raise UsageError("--content match needs the training set's class counts, which this checkpoint lacks")
    by_class = dict(zip(model_classes, class_counts, strict=True))
    total = sum(by_class[c] for c in classes)
    return ContentSpec(tuple(classes), weights=tuple(by_class[c] / total for c in classes))


def fill_quotas(real: Sequence[int], n: int) -> list[int]:
    """How many of n samples each class gets so that real + synthetic is as even as it can be:
    max(0, T − real_c) for the level T where those sum to n, rounded by largest remainder."""
    counts = np.asarray(real, dtype=float)
    lo, hi = counts.min(), counts.max() + n
    for _ in range(100):  # bisection on the level T; the sum is monotone in it
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.clip(mid - counts, 0, None).sum() < n else (lo, mid)
    share = np.clip(hi - counts, 0, None)
    share *= n / share.sum()
    quotas = np.floor(share).astype(int)
    for c in np.argsort(-(share - quotas), kind="stable")[: n - int(quotas.sum())]:
        quotas[c] += 1
    return quotas.tolist()
