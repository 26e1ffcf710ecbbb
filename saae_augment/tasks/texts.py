"""The line task's content plan: which text each synthetic sample writes.

Texts come from exactly one source: `--labels-file` (sample i gets line i, cycled), a word
list `--texts-file` (each sample draws one), a plate preset or pattern (`--pattern plate-cn`,
`{province}{letter}{alnum:5}`), or by default the recipe's pattern, else the training labels.
Each choice depends on (seed, i) alone, like every other per-sample choice.

`--content balance` writes the training set's rare characters more often: each sample draws
BALANCE_CANDIDATES texts from its source and keeps one with probability 1 / the training count
of its rarest character, a count floored at the top of the long tail (data/rarity.py; the median
count where there is no tail). Without the floor the one rarest character would crowd out the
rest of the tail (measured: 14% of 2,000 plates on one province of 30 when drawn from a uniform
pattern); with it the tail's characters are equally welcome and the thick ones give way.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from saae_augment.data.plates import PlateTexts
from saae_augment.data.rarity import detect_rare
from saae_augment.errors import UsageError
from saae_augment.seeding import derive_seed

BALANCE_CANDIDATES = 8


@dataclass(frozen=True)
class LineTexts:
    """Where sample i's text comes from: fixed `labels` (cycled), a `pool` drawn from, or a pattern."""

    mode: str  # labels-file | texts-file | pattern | training-labels
    labels: tuple[str, ...] = ()
    pattern: PlateTexts | None = None
    # --content balance: training counts per character, already floored at `balance_floor`
    char_counts: dict[str, int] | None = field(default=None, hash=False)
    balance_floor: int = 1  # what a character the training texts lack counts as

    def draw(self, seed: int, index: int, rng: np.random.Generator | None = None) -> str:
        """Sample `index`'s text, from its own seed: `rng` (the sample's plan) is left untouched."""
        if self.char_counts is None:
            return self.text(seed, index)
        counts, floor = self.char_counts, self.balance_floor
        base = derive_seed(seed, "line-balance", index)
        candidates = [self.text(base, k) for k in range(BALANCE_CANDIDATES)]
        weights = np.array([1.0 / min(counts.get(c, floor) for c in t) if t else 0.0 for t in candidates])
        pick = np.random.default_rng(derive_seed(seed, "line-balance-pick", index))
        return candidates[int(pick.choice(len(candidates), p=weights / weights.sum()))]

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
            plan = {"mode": "pattern", "pattern": self.pattern.spec}
        else:
            plan = {"mode": self.mode, "texts": len(self.labels)}
        if self.char_counts is not None:
            floor = self.balance_floor
            plan["content"] = (
                f"balance: 1 of {BALANCE_CANDIDATES} texts, weighted by 1 / the training count of their rarest "
                f"character (counts below {floor} count as {floor})"
            )
        return plan


def line_texts(
    charset: str,
    labels: Sequence[str] | None = None,
    texts: Sequence[str] | None = None,
    pattern: str | None = None,
    recipe_pattern: str | None = None,
    training_labels: Sequence[str] | None = None,
    balance: Sequence[str] | None = None,
) -> LineTexts:
    """The one text source the options ask for, checked against the checkpoint's charset;
    `balance` (the training texts) favours their rare characters."""
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
    if balance is not None:
        if source.mode == "labels-file":
            raise UsageError("--content balance chooses texts; a --labels-file already fixes every sample's text")
        if not balance:
            raise UsageError("--content balance needs the run's training texts, which this checkpoint does not carry")
        counts = Counter("".join(balance))
        tail = detect_rare(counts, sorted(counts))
        floor = max(1, max(counts[c] for c in tail) if tail else int(statistics.median(counts.values())))
        floored = {c: max(n, floor) for c, n in counts.items()}
        source = dataclasses.replace(source, char_counts=floored, balance_floor=floor)
    return source
