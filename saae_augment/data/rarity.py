"""Which classes or characters a training set has few examples of: the long tail users need most.

A *unit* is what a recognizer tells apart: a class for characters, a character inside a line for
lines (a rare province is a rare character). Units are rare when the user names them, or,
detected, when they sit below the widest gap in the training counts, that gap is at least
`RARE_GAP`-fold and they are at most half the units: a CCPD-like set (one province on 80% of
plates) flags the other provinces and nothing else, 50 images for half the classes and 2 for the
rest flags the rest, a balanced set flags nothing. A threshold on the median or the largest count
cannot do all three (half-and-half has no tail below the median; a dominant province lifts the
largest). eval-ocr scores the test items that contain a rare unit apart; synthesis can write them
more often.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from saae_augment.errors import UsageError

RARE_GAP = 4.0  # the tail's most frequent unit has at most a quarter of the next one's count
RARE_RULE = f"below the widest gap (≥ {RARE_GAP:g}×) in the training counts"

Units = Callable[[str], Sequence[str]]


def unit_counts(labels: Iterable[str], units: Units) -> Counter[str]:
    """How often each unit occurs in `labels` (a character counted once per occurrence)."""
    counts: Counter[str] = Counter()
    for label in labels:
        counts.update(units(label))
    return counts


def detect_rare(counts: Counter[str], vocabulary: Sequence[str]) -> list[str]:
    """Units of `vocabulary` below the widest multiplicative gap in their counts, when it is at
    least RARE_GAP-fold and leaves at most half the units below (in vocabulary order)."""
    values = sorted(counts.get(u, 0) for u in vocabulary)
    if len(values) < 2:
        return []
    ratios = [(hi / max(lo, 0.5), k) for k, (lo, hi) in enumerate(itertools.pairwise(values))]
    ratio, k = max(ratios)
    if ratio < RARE_GAP or k + 1 > len(values) // 2:
        return []
    bar = values[k]
    return [u for u in vocabulary if counts.get(u, 0) <= bar]


def parse_rare(text: str, vocabulary: Sequence[str]) -> list[str]:
    """`--rare 5,6,7` or `--rare 皖,沪` → units, each checked against what the recognizer reads."""
    wanted = [u.strip() for u in text.split(",") if u.strip()]
    if not wanted:
        raise UsageError("--rare is empty; give units separated by commas (e.g. 5,6,7 or 皖,沪), auto or none")
    unknown = [u for u in wanted if u not in vocabulary]
    if unknown:
        known = ", ".join(vocabulary[:80]) + (" …" if len(vocabulary) > 80 else "")
        raise UsageError(f"--rare names {', '.join(map(repr, unknown))}, which the training set lacks; it has {known}")
    return list(dict.fromkeys(wanted))


def rare_units(spec: str, labels: Sequence[str], vocabulary: Sequence[str], units: Units) -> tuple[list[str], str]:
    """(rare units, how they were chosen) for `--rare auto|none|A,B`."""
    if spec == "none":
        return [], "none"
    if spec == "auto":
        return detect_rare(unit_counts(labels, units), vocabulary), f"detected: {RARE_RULE}"
    return parse_rare(spec, vocabulary), "given"


def has_rare(label: str, rare: set[str], units: Units) -> bool:
    """Whether a label contains a rare unit (a line with a rare province, an image of a rare class)."""
    return any(u in rare for u in units(label))
