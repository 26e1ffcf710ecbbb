"""How far a read text is from the truth: edit distance, character error rate, word accuracy.

Training (the line judge's monitors), synthesis (the manifest's content CER) and evaluation
(eval-ocr, eval-gen) all report them, so they live below all three.
"""

from __future__ import annotations

from collections.abc import Sequence


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def character_error_rate(predictions: Sequence[str], truths: Sequence[str]) -> float:
    """Total edit distance over total reference characters (the usual corpus-level CER)."""
    errors = sum(edit_distance(p, t) for p, t in zip(predictions, truths, strict=True))
    return errors / max(1, sum(len(t) for t in truths))


def word_accuracy(predictions: Sequence[str], truths: Sequence[str]) -> float:
    """Share of lines read exactly right."""
    return sum(p == t for p, t in zip(predictions, truths, strict=True)) / max(1, len(truths))
