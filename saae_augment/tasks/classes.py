"""The character task's content plan: which class each synthetic sample writes.

Classes are drawn uniformly, in proportion to the training set (`--content match`), from a
subset (`--classes`), or fixed per sample from a labels file; always from the sample's own rng.
`--content balance` writes every class the same number of times: each block of k consecutive
indices is a permutation of the k classes, shuffled by (seed, block), so counts differ by at most
one however the run is batched or sharded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
    balanced: bool = False

    def draw(self, seed: int, index: int, rng: np.random.Generator) -> str:
        """Sample `index`'s class: fixed by the labels file or its block's permutation, else drawn
        from the sample's rng."""
        if self.labels is not None:
            return self.labels[index % len(self.labels)]
        if self.balanced:
            k = len(self.classes)
            order = np.random.default_rng(derive_seed(seed, "balance", index // k)).permutation(k)
            return self.classes[int(order[index % k])]
        if self.weights is None:
            return self.classes[int(rng.integers(len(self.classes)))]
        return self.classes[int(rng.choice(len(self.classes), p=self.weights))]

    def describe(self) -> dict[str, Any]:
        """What the manifest records: the mode and the classes (or how many labels)."""
        if self.labels is not None:
            return {"mode": "labels-file", "labels": len(self.labels)}
        mode = "balance" if self.balanced else "uniform" if self.weights is None else "weighted"
        return {"mode": mode, "classes": "".join(self.classes)}


def content_spec(
    model_classes: Sequence[str],
    mode: str = "uniform",
    class_counts: Sequence[int] | None = None,
    only: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
) -> ContentSpec:
    """The plan the options ask for, checked against the checkpoint's classes (`model_classes`)."""
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
    if mode in ("uniform", "balance"):
        return ContentSpec(tuple(classes), balanced=mode == "balance")
    if class_counts is None:
        raise UsageError("--content match needs the training set's class counts, which this checkpoint lacks")
    by_class = dict(zip(model_classes, class_counts, strict=True))
    total = sum(by_class[c] for c in classes)
    return ContentSpec(tuple(classes), weights=tuple(by_class[c] / total for c in classes))
