"""Accuracy per class for every regime: where a long tail's thin classes gain or lose.

The overall figure can hide what a user with rare classes cares about (five thick classes read
well, five thin ones badly); per-class accuracy, averaged over seeds, shows it. Characters only:
a line holds many characters, and its rare-character figures are eval-ocr's rare columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def per_class_rows(
    runs: Sequence[dict[str, Any]], classes: Sequence[str], truth: Sequence[str]
) -> list[dict[str, Any]]:
    """One row per (regime, ratio, class): test images of the class and the mean ± std accuracy
    over the seeds that ran it."""
    truth_arr = np.asarray(truth)
    groups: dict[tuple[str, Any], list[np.ndarray]] = {}
    for r in runs:
        if "_pred" in r:
            groups.setdefault((r["regime"], r["ratio"]), []).append(np.asarray(r["_pred"]) == truth_arr)
    rows = []
    for (regime, ratio), hits in groups.items():
        for c in classes:
            mask = truth_arr == c
            if not mask.any():
                continue
            acc = [float(h[mask].mean()) for h in hits]
            rows.append(
                {
                    "regime": regime,
                    "ratio": ratio,
                    "class": c,
                    "n_test": int(mask.sum()),
                    "accuracy": float(np.mean(acc)),
                    "accuracy_std": float(np.std(acc)),
                    "seeds": len(acc),
                }
            )
    return rows


def per_class_markdown(
    rows: Sequence[dict[str, Any]], verdict: dict[str, Any] | None, rare: Sequence[str]
) -> list[str]:
    """report.md's table: each class read by the best regime without our images and the best with
    them (as the verdict chose them), rare classes marked."""
    if verdict is None or not rows:
        return []
    sides = [verdict["best_without"], verdict["best_with_ours"]]
    by = {(r["regime"], r["ratio"], r["class"]): r for r in rows}
    classes = list(dict.fromkeys(r["class"] for r in rows))
    names = [f"{s['regime']} r={s['ratio']:g}" for s in sides]
    lines = [
        "## Per class",
        "",
        f"Test accuracy per class (mean over seeds, %) of the best regime without our images ({names[0]}) and "
        f"the best with them ({names[1]}); rare classes marked *. Every regime's figures: per_class.csv.",
        "",
        f"| class | test images | {names[0]} | {names[1]} | difference |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in classes:
        a, b = (by.get((s["regime"], s["ratio"], c)) for s in sides)
        if a is None or b is None:
            continue
        mark = "*" if c in rare else ""
        lines.append(
            f"| {c}{mark} | {a['n_test']} | {100 * a['accuracy']:.1f} | {100 * b['accuracy']:.1f} | "
            f"{100 * (b['accuracy'] - a['accuracy']):+.1f} |"
        )
    return lines
