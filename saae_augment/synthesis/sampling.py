"""Which content, which style, which mix and which augmentation seed each sample gets.

Sample i's choices come from its own seed, derived from (run seed, i) alone, so any batch
size, any shard split and any resume point give the same sample i.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from saae_augment.errors import UsageError
from saae_augment.seeding import derive_seed

CONTENT_MODES = ("uniform", "match")


@dataclass(frozen=True)
class ContentSpec:
    """How labels are chosen. `labels` (from --labels-file) fixes sample i's label to
    labels[i % len(labels)]; otherwise classes are drawn from `weights` over `classes`."""

    classes: tuple[str, ...]
    weights: tuple[float, ...] | None = None
    labels: tuple[str, ...] | None = None

    def describe(self) -> dict:
        if self.labels is not None:
            return {"mode": "labels-file", "labels": len(self.labels)}
        return {"mode": "uniform" if self.weights is None else "weighted", "classes": "".join(self.classes)}


def content_spec(
    model_classes: Sequence[str],
    mode: str = "uniform",
    class_counts: Sequence[int] | None = None,
    only: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
) -> ContentSpec:
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
    if class_counts is None:
        raise UsageError("--content match needs the training set's class counts, which this checkpoint lacks")
    by_class = dict(zip(model_classes, class_counts, strict=True))
    total = sum(by_class[c] for c in classes)
    return ContentSpec(tuple(classes), weights=tuple(by_class[c] / total for c in classes))


@dataclass(frozen=True)
class SamplePlan:
    index: int
    seed: int  # the sample's own seed: recorded per row, enough to redo this one sample
    label: str
    style: int  # index into the style pool
    style_b: int  # second style for mixing (== style when not mixing)
    mix: float  # weight of style_b, 0 when not mixing
    aug_seed: int
    font: int = 0  # which of the checkpoint's content fonts draws the glyph
    warp_seed: int = 0  # the content glyph's random warp (where the recipe warps content)


def _draw_label(content: ContentSpec, index: int, rng: np.random.Generator) -> str:
    if content.labels is not None:
        return content.labels[index % len(content.labels)]
    if content.weights is None:
        return content.classes[int(rng.integers(len(content.classes)))]
    return content.classes[int(rng.choice(len(content.classes), p=content.weights))]


def plan(
    seed: int,
    index: int,
    content: ContentSpec | None,
    n_styles: int,
    style_mix: bool,
    n_fonts: int = 1,
    attempt: int = 0,
    label: str | None = None,
) -> SamplePlan:
    """Sample `index`'s choices. A retry (`attempt` > 0, `label` kept) draws a new style, font and
    warp from its own seed, so which try a sample needed never depends on the others."""
    s = derive_seed(seed, "sample", index) if attempt == 0 else derive_seed(seed, "sample", index, "try", attempt)
    rng = np.random.default_rng(s)
    if label is None:
        if content is None:
            raise ValueError("plan() needs a ContentSpec or a label")
        label = _draw_label(content, index, rng)
    a = int(rng.integers(n_styles))
    b, mix = (int(rng.integers(n_styles)), float(rng.uniform())) if style_mix else (a, 0.0)
    aug_seed = int(rng.integers(2**31 - 1))
    # drawn after every earlier choice, so adding content variety leaves label, style and aug alone
    font = int(rng.integers(n_fonts))
    return SamplePlan(index, s, label, a, b, mix, aug_seed, font, int(rng.integers(2**31 - 1)))
