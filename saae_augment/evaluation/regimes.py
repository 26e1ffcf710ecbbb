"""Training sets for each regime of eval-ocr, as step → batch samplers.

`ratio` r means r extra samples per real training sample: real+synth at r = 5 trains on the
real images plus 5× as many of ours, drawn once per seed; batches are drawn uniformly from that
union, so each image counts the same. `real+fonts` is what a font-based generator such as
TextRecognitionDataGenerator gives: every class rendered in many fonts, each copy augmented.
`real+aug+fonts` is the strongest baseline without our images: real images plus font glyphs,
every batch augmented on the fly (fresh warps each step, for the real and the font images).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from saae_augment.core.recognizers import BatchSampler
from saae_augment.data.augment import Augmenter
from saae_augment.data.fontchoice import line_fonts
from saae_augment.data.glyphs import render_glyphs
from saae_augment.errors import FontError, UsageError
from saae_augment.seeding import derive_seed

REGIMES = ("real", "real+aug", "real+fonts", "real+aug+fonts", "real+synth", "real+aug+synth", "synth")
NEEDS_SYNTH = {"real+synth", "real+aug+synth", "synth"}
NEEDS_FONTS = {"real+fonts", "real+aug+fonts"}
ADDITIVE = {"real+fonts": "real", "real+aug+fonts": "real+aug", "real+synth": "real", "real+aug+synth": "real+aug"}
MAX_FONTS = 24


@dataclass
class Pool:
    """Images and labels a recognizer can be trained on: real, augmented, rendered or synthetic."""

    images: np.ndarray  # N×H×W uint8
    labels: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, idx: np.ndarray) -> Pool:
        """The rows `idx`, as a new pool."""
        return Pool(self.images[idx], [self.labels[i] for i in idx])


def concat(a: Pool, b: Pool) -> Pool:
    """Two pools as one (for several --synth sets)."""
    return Pool(np.concatenate([a.images, b.images]), a.labels + b.labels)


def dark_on_light(images: np.ndarray) -> bool:
    """Whether text is dark on a light background: judged by the images' border pixels."""
    border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], axis=1)
    return float(np.median(border)) > 127


def font_pool(classes: Sequence[str], size: tuple[int, int], invert: bool) -> tuple[Pool, list[str]]:
    """Every class (or text) in up to MAX_FONTS installed fonts that have every character and draw
    it recognisably: fallback and symbol fonts (Last Resort, cmex10) claim characters they draw
    as boxes or other shapes, and a baseline built on boxes would flatter our images."""
    chars = "".join(dict.fromkeys("".join(classes)))
    try:
        fonts = line_fonts(chars, None, MAX_FONTS)
    except FontError:
        message = f"no installed font covers {chars!r}; real+fonts needs one (see `saae-augment render`)"
        raise UsageError(message) from None
    glyphs, _ = render_glyphs(list(classes), fonts, size, invert=invert)
    return Pool(np.stack([g.image for g in glyphs]), [g.text for g in glyphs]), [f.name for f in fonts]


def augmented_copies(pool: Pool, n: int, augmenter: Augmenter, seed: int) -> Pool:
    """n samples drawn from `pool`, each augmented with its own seed (a fixed set per seed)."""
    rng = np.random.default_rng(derive_seed(seed, "font-copies"))
    idx = rng.integers(len(pool), size=n)
    images = np.stack([augmenter(pool.images[i], derive_seed(seed, "font-aug", k)) for k, i in enumerate(idx)])
    return Pool(images, [pool.labels[i] for i in idx])


def subset(pool: Pool, n: int, seed: int, what: str) -> Pool:
    """n rows drawn without replacement, seeded per regime; a pool too small for the ratio is a clear error."""
    if n > len(pool):
        raise UsageError(
            f"ratio needs {n} {what} samples but only {len(pool)} are available; "
            "synthesize more (--n) or lower --ratios"
        )
    rng = np.random.default_rng(derive_seed(seed, "subset", what))
    return pool.take(np.sort(rng.choice(len(pool), size=n, replace=False)))


def training_set(
    regime: str, ratio: float, seed: int, real: Pool, synth: Pool | None, fonts: Pool | None, augmenter: Augmenter
) -> tuple[Pool, bool]:
    """The regime's training images and whether batches get classic augmentation on the fly."""
    n_extra = int(round(ratio * len(real)))
    if regime == "real":
        return real, False
    if regime == "real+aug":
        return real, True
    if regime == "synth":
        assert synth is not None
        return synth, False
    if regime == "real+fonts":
        assert fonts is not None
        return concat(real, augmented_copies(fonts, n_extra, augmenter, seed)), False
    if regime == "real+aug+fonts":
        assert fonts is not None
        rng = np.random.default_rng(derive_seed(seed, "font-copies"))
        return concat(real, fonts.take(rng.integers(len(fonts), size=n_extra))), True
    assert synth is not None
    return concat(real, subset(synth, n_extra, seed, "synthetic")), regime == "real+aug+synth"


def batch_sampler(data: Pool, augment: Augmenter | None, batch_size: int, seed: int, key: str) -> BatchSampler:
    """step -> batch of a pool, augmented per step where the regime asks; seeded, so regimes compare."""

    def sample(step: int) -> tuple[np.ndarray, list[str]]:
        rng = np.random.default_rng(derive_seed(seed, key, step))
        idx = rng.integers(len(data), size=batch_size)
        images = data.images[idx]
        if augment is not None:
            images = np.stack([augment(im, derive_seed(seed, key, step, k)) for k, im in enumerate(images)])
        return images, [data.labels[i] for i in idx]

    return sample
