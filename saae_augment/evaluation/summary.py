"""eval-ocr's summary: the runs of each regime × ratio folded into means and spreads over seeds."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from saae_augment.evaluation.regimes import REGIMES
from saae_augment.tasks import Task


def summarize(runs: Sequence[dict[str, Any]], task: Task) -> list[dict[str, Any]]:
    """Mean and std per regime × ratio over seeds (and the task's extra figures), in regime order."""
    groups: dict[tuple[str, float | None], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["regime"], r["ratio"]), []).append(r)
    order = {name: i for i, name in enumerate(REGIMES)}
    rows = []
    for (regime, ratio), group in sorted(groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1] or 0)):
        accs = [r["test_acc"] for r in group]
        row = {
            "regime": regime,
            "ratio": ratio,
            "mean": statistics.fmean(accs),
            "std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
            "seeds": len(accs),
        }
        rows.append(row | task.summary_row(group) | _rare_summary(group))
    return rows


def _rare_summary(group: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Mean and std of each rare-unit figure (`rare_accuracy`, `rare_cer`) where the runs have one."""
    out: dict[str, float] = {}
    for key in [k for k in group[0] if k.startswith("rare_")]:
        values = [r[key] for r in group]
        out[key] = statistics.fmean(values)
        out[key + "_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
    return out
