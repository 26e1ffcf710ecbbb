"""The line task's content plan: which text each synthetic sample writes.

Texts come from exactly one source: `--labels-file` (sample i gets line i, cycled), a word
list `--texts-file` (each sample draws one), a plate preset or pattern (`--pattern plate-cn`,
`{province}{letter}{alnum:5}`), or by default the recipe's pattern, else the training labels.
Each choice depends on (seed, i) alone, like every other per-sample choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from saae_augment.data.plates import PlateTexts
from saae_augment.errors import UsageError
from saae_augment.seeding import derive_seed


@dataclass(frozen=True)
class LineTexts:
    """Where sample i's text comes from: fixed `labels` (cycled), a `pool` drawn from, or a pattern."""

    mode: str  # labels-file | texts-file | pattern | training-labels
    labels: tuple[str, ...] = ()
    pattern: PlateTexts | None = None

    def draw(self, seed: int, index: int, rng: np.random.Generator | None = None) -> str:
        """Sample `index`'s text, from its own seed: `rng` (the sample's plan) is left untouched."""
        return self.text(seed, index)

    def text(self, seed: int, index: int) -> str:
        """Sample `index`'s text (labels cycle; pools and patterns draw from (seed, index))."""
        if self.pattern is not None:
            return self.pattern.text(seed, index)
        if self.mode == "labels-file":
            return self.labels[index % len(self.labels)]
        rng = np.random.default_rng(derive_seed(seed, "line-text", index))
        return self.labels[int(rng.integers(len(self.labels)))]

    def describe(self) -> dict[str, Any]:
        """What the manifest records: the source, and the pattern or how many texts."""
        if self.pattern is not None:
            return {"mode": "pattern", "pattern": self.pattern.spec}
        return {"mode": self.mode, "texts": len(self.labels)}


def line_texts(
    charset: str,
    labels: Sequence[str] | None = None,
    texts: Sequence[str] | None = None,
    pattern: str | None = None,
    recipe_pattern: str | None = None,
    training_labels: Sequence[str] | None = None,
) -> LineTexts:
    """The one text source the options ask for, checked against the checkpoint's charset."""
    given = [x for x in (labels, texts, pattern) if x is not None]
    if len(given) > 1:
        raise UsageError("give only one of --labels-file, --texts-file and --pattern")
    if labels is not None:
        source = LineTexts("labels-file", tuple(labels))
    elif texts is not None:
        source = LineTexts("texts-file", tuple(texts))
    elif pattern is not None or recipe_pattern is not None:
        source = LineTexts("pattern", pattern=PlateTexts(pattern or recipe_pattern))  # type: ignore[arg-type]
    elif training_labels:
        source = LineTexts("training-labels", tuple(training_labels))
    else:
        raise UsageError("this checkpoint has no texts of its own: give --texts-file, --labels-file or --pattern")
    chars = source.pattern.charset if source.pattern is not None else "".join(set("".join(source.labels)))
    unknown = "".join(sorted(set(chars) - set(charset)))
    if unknown:
        raise UsageError(f"the texts use {unknown!r}, which this checkpoint cannot write; it knows {charset!r}")
    if source.pattern is None and not source.labels:
        raise UsageError("the texts file is empty")
    return source
