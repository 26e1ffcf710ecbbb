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


def aligned_hits(prediction: str, truth: str) -> list[bool]:
    """For each character of `truth`, whether a minimum-edit alignment reads it as itself: how a
    line's single characters (a plate's province) are scored when the rest of the line may be off."""
    n, m = len(truth), len(prediction)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            same = truth[i - 1] == prediction[j - 1]
            cost[i][j] = min(cost[i - 1][j] + 1, cost[i][j - 1] + 1, cost[i - 1][j - 1] + (not same))
    hits = [False] * n
    i, j = n, m
    while i > 0 and j > 0:  # walk one optimal path back, preferring the diagonal
        same = truth[i - 1] == prediction[j - 1]
        if cost[i][j] == cost[i - 1][j - 1] + (not same):
            hits[i - 1] = same
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return hits
