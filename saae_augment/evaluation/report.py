"""eval-ocr's outputs: results.json, results.csv, accuracy.png, confusion.png and report.md."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from saae_augment.atomicio import write_text_atomic
from saae_augment.evaluation.perclass import per_class_markdown, per_class_rows
from saae_augment.tasks import Task

COLOURS = {
    "real": "#444444",
    "real+aug": "#1f77b4",
    "real+fonts": "#ff7f0e",
    "real+aug+fonts": "#8c564b",
    "real+synth": "#2ca02c",
    "real+aug+synth": "#d62728",
    "synth": "#9467bd",
}


def fmt_ratio(ratio: float | None) -> str:
    """A ratio as the table prints it (`-` for the synth-only regime)."""
    return "-" if ratio is None else f"{ratio:g}"


def has_rare_figures(summary: Sequence[dict[str, Any]]) -> bool:
    """Whether the runs scored rare classes or characters apart."""
    return bool(summary) and "rare_accuracy" in summary[0]


def metric_columns(summary: Sequence[dict[str, Any]], task: Task) -> tuple[str, ...]:
    """The table's figure columns: the task's, then its rare-unit ones where they were scored."""
    return task.metric_columns + (task.rare_columns if has_rare_figures(summary) else ())


def table_rows(summary: Sequence[dict[str, Any]], task: Task) -> list[tuple[str, ...]]:
    """regime, ratio, the task's figures (and rare-unit figures), seeds: as printed and as in report.md."""
    rare = has_rare_figures(summary)
    return [
        (
            s["regime"],
            fmt_ratio(s["ratio"]),
            *task.summary_cells(s),
            *(task.rare_cells(s) if rare else ()),
            str(s["seeds"]),
        )
        for s in summary
    ]


def best(summary: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The summary row with the highest mean accuracy."""
    return max(summary, key=lambda s: s["mean"])


def _side(row: dict[str, Any], figure: str) -> dict[str, Any]:
    std = "std" if figure == "mean" else figure + "_std"
    return {"regime": row["regime"], "ratio": row["ratio"], "mean": row[figure], "std": row[std]}


def verdict(summary: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The question users ask: does adding our images beat the best that does without them?

    Compares the best regime that trains on real *plus* our images with the best one that does
    not use them (`synth` alone is left out of both: it answers another question), overall and,
    where rare units were scored, on the test items holding one (each side's best chosen on that
    figure: a user after the long tail would pick that regime). None when either side was not run.
    """
    # ratio 0 of an additive regime is its base without any of our images: not "with ours"
    ours = [s for s in summary if s["regime"] in ("real+synth", "real+aug+synth") and s["ratio"]]
    others = [s for s in summary if "synth" not in s["regime"]]
    if not ours or not others:
        return None
    a, b = best(ours), best(others)
    out = {"best_with_ours": _side(a, "mean"), "best_without": _side(b, "mean"), "difference": a["mean"] - b["mean"]}
    if has_rare_figures(summary):
        ra = max(ours, key=lambda s: s["rare_accuracy"])
        rb = max(others, key=lambda s: s["rare_accuracy"])
        out["rare"] = {
            "best_with_ours": _side(ra, "rare_accuracy"),
            "best_without": _side(rb, "rare_accuracy"),
            "difference": ra["rare_accuracy"] - rb["rare_accuracy"],
        }
    return out


def _sentence(v: dict[str, Any], opening: str) -> str:
    a, b, d = v["best_with_ours"], v["best_without"], 100 * v["difference"]
    return (
        f"{opening} with our images: {a['regime']} at ratio {fmt_ratio(a['ratio'])}, {100 * a['mean']:.2f} ± "
        f"{100 * a['std']:.2f}%; best without: {b['regime']} at ratio {fmt_ratio(b['ratio'])}, "
        f"{100 * b['mean']:.2f} ± {100 * b['std']:.2f}%; difference {d:+.2f} points."
    )


def verdict_line(v: dict[str, Any]) -> str:
    """The verdict a user can act on: one sentence, and one more on the rare units where scored."""
    line = _sentence(v, "Best")
    if "rare" in v:
        line += " " + _sentence(v["rare"], "On test items with rare classes or characters, best")
    return line


def plot_accuracy(path: Path, summary: Sequence[dict[str, Any]], ratios: Sequence[float]) -> None:
    """accuracy.png: mean ± std against ratio, one line per regime."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    xmax = max([r for r in ratios] + [1])
    for regime, colour in COLOURS.items():
        points = sorted((s["ratio"], s["mean"], s["std"]) for s in summary if s["regime"] == regime)
        if not points:
            continue
        if regime in ("real", "real+aug", "synth"):
            _, m, sd = points[0]
            ax.axhline(
                100 * m,
                color=colour,
                ls="--" if regime == "synth" else ":",
                lw=1.2,
                label=f"{regime} ({100 * m:.1f})" if regime != "synth" else f"synth only / CAS ({100 * m:.1f})",
            )
            ax.axhspan(100 * (m - sd), 100 * (m + sd), color=colour, alpha=0.08)
            continue
        xs, ms, sds = zip(*points, strict=True)
        ax.errorbar(
            xs, [100 * m for m in ms], yerr=[100 * s for s in sds], color=colour, marker="o", capsize=3, label=regime
        )
    ax.set_xlabel("extra samples per real training sample (ratio)")
    ax.set_ylabel("test accuracy on real images (%)")
    ax.set_xlim(-0.3, xmax + 0.3)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Recognizer accuracy vs amount of extra data (mean ± std over seeds)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_confusion(
    path: Path, classes: Sequence[str], truth: Sequence[str], preds: Sequence[Sequence[str]], title: str
) -> None:
    """confusion.png: where the best regime's recognizer confuses classes, summed over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    index = {c: i for i, c in enumerate(classes)}
    m = np.zeros((len(classes), len(classes)), dtype=int)
    for pred in preds:
        for t, p in zip(truth, pred, strict=True):
            m[index[t], index[p]] += 1
    k = len(classes)
    fig, ax = plt.subplots(figsize=(max(4, 0.45 * k + 1.5), max(3.5, 0.45 * k + 1)), dpi=120)
    ax.imshow(m, cmap="Blues")
    if k <= 40:
        for i in range(k):
            for j in range(k):
                if m[i, j]:
                    ax.text(
                        j,
                        i,
                        str(m[i, j]),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if m[i, j] > m.max() / 2 else "black",
                    )
    ax.set_xticks(range(k), classes, fontsize=8)
    ax.set_yticks(range(k), classes, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def markdown(
    task: Task,
    settings: dict[str, Any],
    summary: Sequence[dict[str, Any]],
    extra: Sequence[tuple[str, str]],
    per_class: Sequence[dict[str, Any]] = (),
) -> str:
    """report.md: the table, the best regime, the verdict and the pictures."""
    b = best(summary)
    columns = metric_columns(summary, task)
    what = " | ".join(columns)
    lines = [
        "# eval-ocr report",
        "",
        f"Recognizer: {task.recognizer_name}, {settings['steps']} steps of batch "
        f"{settings['batch_size']} per run, "
        f"{'best-on-validation weights' if settings['n_val'] else 'last weights (no image left to validate on)'}; "
        f"{settings['seeds']} seed(s). Real training images: {settings['n_real_fit']} "
        f"(+ {settings['n_val']} for validation), real test images: {settings['n_test']}, "
        f"image size {settings['size'][0]}x{settings['size'][1]}"
        + (f" ({settings['size_from']})." if settings.get("size_from") else "."),
        *(f"{note}." for note in settings.get("size_notes", [])),
        "",
        f"| regime | ratio | {what} | seeds |",
        "| --- " * (3 + len(columns)) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(summary, task)]
    lines += [
        "",
        f"Best: **{b['regime']}** at ratio {fmt_ratio(b['ratio'])}: {100 * b['mean']:.2f} ± {100 * b['std']:.2f}%.",
        "",
    ]
    if settings.get("rare"):
        rare = settings["rare"]
        shown = ", ".join(rare[:30]) + (f" and {len(rare) - 30} more" if len(rare) > 30 else "")
        lines += [
            f"Rare units ({settings['rare_from']}): {shown}; {settings['n_rare_test']} test item(s) hold one.",
            "",
        ]
    v = verdict(summary)
    if v is not None:
        lines += [verdict_line(v), ""]
    lines += [
        "ratio = extra samples (fonts or synthetic) per real training sample; `synth` trains on synthetic "
        "images only (Classification Accuracy Score).",
        "",
        "![accuracy vs ratio](accuracy.png)",
    ]
    if task.confusion:
        lines += ["", "![confusion matrix of the best regime](confusion.png)"]
    else:
        lines += ["", "Word accuracy: share of test lines read exactly; CER: edit distance per reference character."]
    table = per_class_markdown(per_class, v, settings.get("rare") or [])
    if table:
        lines += ["", *table]
    for title, rel in extra:
        lines += ["", f"## {title}", "", f"![{title}]({rel})"]
    files = "`results.json`, `results.csv` (one row per regime × ratio × seed)"
    lines += ["", f"Files: {files}" + (", `per_class.csv`." if per_class else "."), ""]
    return "\n".join(lines)


def write_outputs(
    out: Path,
    task: Task,
    settings: dict[str, Any],
    runs: Sequence[dict[str, Any]],
    summary: Sequence[dict[str, Any]],
    classes: Sequence[str],
    test_labels: Sequence[str],
    extra: Sequence[tuple[str, str]] = (),
) -> None:
    """results.json/.csv, the plots and report.md, each written atomically."""
    import pandas as pd

    public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in runs]
    clean = json.loads(
        json.dumps(
            {"settings": settings, "summary": summary, "verdict": verdict(summary), "runs": public},
            default=lambda x: None if isinstance(x, float) and math.isnan(x) else x,
        )
    )
    write_text_atomic(out / "results.json", json.dumps(clean, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(out / "results.csv", pd.DataFrame(public).to_csv(index=False))
    plot_accuracy(out / "accuracy.png", summary, settings["ratios"])
    if task.confusion:  # one class per image: which classes the best regime confuses
        b = best(summary)
        preds = [r["_pred"] for r in runs if r["regime"] == b["regime"] and r["ratio"] == b["ratio"] and "_pred" in r]
        plot_confusion(
            out / "confusion.png",
            classes,
            test_labels,
            preds,
            f"{b['regime']} ratio {fmt_ratio(b['ratio'])}: test predictions summed over seeds",
        )
    per_class = per_class_rows(runs, classes, test_labels) if task.confusion else []
    if per_class:
        write_text_atomic(out / "per_class.csv", pd.DataFrame(per_class).to_csv(index=False))
    write_text_atomic(out / "report.md", markdown(task, settings, summary, extra, per_class))
