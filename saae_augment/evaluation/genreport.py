"""eval-gen's report.md for a character run: the paper's table (Parzen with a real-data
reference and the published rows), fidelity, memorisation and CAS, then the figures."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

PAPER_PARZEN = [
    ("DBN", "138 ± 2"),
    ("Stacked CAE", "121 ± 1.6"),
    ("Deep GSN", "214 ± 1.1"),
    ("GAN", "225 ± 2"),
    ("GMMN + AE", "282 ± 2"),
    ("AAE", "340 ± 2"),
]


def character_report(main: dict[str, Any], other: dict[str, Any] | None, figures: dict[str, str]) -> str:
    """eval-gen's report.md for character runs (and a comparison run beside it)."""
    rows = [
        ("Parzen log-likelihood, samples (nats)", "parzen_ll", "parzen_se"),
        (
            "Parzen log-likelihood, real training images (reference)",
            "parzen_ll_real_reference",
            "parzen_se_real_reference",
        ),
        ("Parzen sigma (chosen on validation)", "parzen_sigma", None),
        ("content accuracy (judge reads what was asked)", "content_accuracy", None),
        ("copy rate (judge reads the style image's class)", "copy_rate", None),
        ("mean nearest-training-image distance, samples", "nn_distance_samples", None),
        ("mean nearest-training-image distance, real test images", "nn_distance_test", None),
        ("CAS: trained on samples only, tested on real", "cas_accuracy", None),
    ]

    def cell(m, key, se):
        v = m[key]
        if se:
            return f"{v:.1f} ± {m[se]:.1f}"
        return f"{v:.4f}" if isinstance(v, float) and abs(v) < 10 else f"{v:.2f}"

    head = f"| metric | {Path(main['checkpoint']).parent.parent.name} ({main['arch']}, {main['disc']}) |"
    sep = "| --- | --- |"
    if other:
        head += f" {Path(other['checkpoint']).parent.parent.name} ({other['arch']}, {other['disc']}) |"
        sep += " --- |"
    lines = [
        "# eval-gen report",
        "",
        f"{main['samples']:,} samples; real {main['n_real']}, validation "
        f"{main['n_val']}, test {main['n_test']} images.",
        "",
        head,
        sep,
    ]
    for title, key, se in rows:
        line = f"| {title} | {cell(main, key, se)} |"
        if other:
            line += f" {cell(other, key, se)} |"
        lines.append(line)
    if main["parzen_sigma_on_grid_edge"]:
        lines += ["", f"Note: the best sigma ({main['parzen_sigma']:.3f}) lies on the edge of the grid 0.1–1.0."]
    lines += [
        "",
        "Parzen window estimates published for MNIST (10k samples, nats; Makhzani et al. 2015, Table 1) "
        "— a different data set and image size than ours unless this is a 28×28 MNIST run:",
        "",
        "| model | log-likelihood |",
        "| --- | --- |",
    ]
    lines += [f"| {name} | {v} |" for name, v in PAPER_PARZEN]
    lines += [
        "",
        "Parzen scores rise for blurry, average-looking samples (Theis et al., 2016); read them beside "
        "the real-data reference row, and beside content accuracy and CAS.",
        "",
        "## Per class",
        "",
        "| class | content accuracy | CAS accuracy |",
        "| --- | --- | --- |",
    ]
    for c, v in main["per_class_content_accuracy"].items():
        lines.append(f"| {c} | {v:.3f} | {main['per_class_cas_accuracy'].get(c, math.nan):.3f} |")
    for title, rel in figures.items():
        lines += ["", f"## {title}", "", f"![{title}]({rel})"]
    return "\n".join(lines) + "\n"


def percent(v: float | None) -> str:
    """A share as a percentage, or n/a where it could not be measured."""
    return "n/a" if v is None or v != v else f"{v:.1%}"


def character_headline(r: dict[str, Any]) -> str:
    """One line per run for the terminal: what a user checks first."""
    return (
        f"{r['checkpoint']}: Parzen {r['parzen_ll']:.1f} ± {r['parzen_se']:.1f} nats "
        f"(sigma {r['parzen_sigma']:.3f}; real reference {r['parzen_ll_real_reference']:.1f}), "
        f"content accuracy {r['content_accuracy']:.1%}, "
        f"copy rate {r['copy_rate']:.1%}, NN distance {r['nn_distance_samples']:.2f} (test images "
        f"{r['nn_distance_test']:.2f}), CAS {r['cas_accuracy']:.1%}"
    )
