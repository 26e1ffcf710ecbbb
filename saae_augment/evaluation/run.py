"""`evaluate_ocr()`: train a recognizer per regime × ratio × seed, test each on real images.

Every run gets the same step budget (or the same minutes), the same validation split (taken
from the real training data only; the test set is only ever read for the final accuracy), and
keeps its best-on-validation weights.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from saae_augment._version import __version__
from saae_augment.data.augment import Augmenter
from saae_augment.data.load import load_dataset
from saae_augment.data.rarity import has_rare, rare_units
from saae_augment.data.sheet import real_beside_synthetic
from saae_augment.data.sizing import size_note
from saae_augment.errors import UsageError
from saae_augment.evaluation.inputs import check_synth_complete, choose_task, eval_size, labeled_pool, pool_of
from saae_augment.evaluation.regimes import (
    ADDITIVE,
    NEEDS_FONTS,
    NEEDS_SYNTH,
    REGIMES,
    batch_sampler,
    concat,
    dark_on_light,
    font_pool,
    training_set,
)
from saae_augment.evaluation.report import write_outputs
from saae_augment.evaluation.summary import summarize
from saae_augment.outfolder import claim_output
from saae_augment.tasks import Task


@dataclass
class EvalResult:
    """What eval-ocr measured: one row per run, and the summary per regime × ratio."""

    out: Path
    runs: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    task: Task
    settings: dict[str, Any]


# What eval-ocr writes into its folder (the ledger lists these; see outfolder.py).
EVAL_ENTRIES = [
    "results.json",
    "results.csv",
    "accuracy.png",
    "confusion.png",
    "per_class.csv",
    "real-vs-synth.png",
    "report.md",
    "style-grid.png",
    "synth-sheet.png",
]


def _report_images(
    out: Path, task: Task, train: str | Path, synth: Sequence[str | Path], ckpt: str | Path | None
) -> list[tuple[str, str]]:
    """Pictures for report.md, copied into `out` so the report's links stay valid."""
    extra = []
    if ckpt is not None:
        grids = [g for g in sorted((Path(ckpt) / "grids").glob("step-*.png")) if not g.is_symlink()]
        if grids:
            shutil.copyfile(grids[-1], out / "style-grid.png")
            extra.append((f"Style transfer ({Path(ckpt).name}, {grids[-1].stem})", "style-grid.png"))
    if synth:
        task.sheet(load_dataset(synth[0], mode="L")).save(out / "synth-sheet.png")
        extra.append((f"Synthetic samples ({Path(synth[0]).name})", "synth-sheet.png"))
        real, ours = load_dataset(train, mode="RGB"), load_dataset(synth[0], mode="RGB")
        real_beside_synthetic(real.images, real.labels, ours.images, ours.labels).save(out / "real-vs-synth.png")
        extra.append(("Real training images (rows marked real) above synthetic ones (ours)", "real-vs-synth.png"))
    return extra


def evaluate_ocr(
    train: str | Path,
    test: str | Path,
    out: str | Path,
    synth: Sequence[str | Path] = (),
    ratios: Sequence[float] = (0, 1, 2, 5, 10),
    seeds: int = 3,
    steps: int = 400,
    minutes: float | None = None,
    size: tuple[int, int] | None = None,
    regimes: Sequence[str] | None = None,
    batch_size: int = 64,
    val_fraction: float = 0.2,
    augment: str = "classic",
    on_progress: Callable[[int, int, dict[str, Any], Task], None] | None = None,
    ckpt: str | Path | None = None,
    overwrite: bool = False,
    task: str | None = None,
    rare: str = "auto",
) -> EvalResult:
    """Train and test every regime; write results.json/.csv, accuracy.png, confusion.png, report.md.

    `ckpt` (the SAAE run that made the synthetic set) adds its last style-transfer grid to the
    report; a contact sheet of the first synthetic set is always added when there is one.
    `out` must be new or empty unless `overwrite` (outfolder.py); it is claimed before any training.
    `task` (chars or lines) is by default the synthetic set's, else what the training labels are.
    `rare` (`auto`, `none` or units such as `5,6` or `皖,沪`): the classes or characters whose test
    items are also scored apart (data/rarity.py); `auto` detects the training set's long tail.
    """
    if seeds < 1 or steps < 1 or batch_size < 2:
        raise UsageError("--seeds and --steps must be at least 1, --batch-size at least 2")
    if any(r < 0 for r in ratios):
        raise UsageError("--ratios must be 0 or more")
    wanted = list(regimes or [r for r in REGIMES if synth or r not in NEEDS_SYNTH])
    unknown = [r for r in wanted if r not in REGIMES]
    if unknown:
        raise UsageError(f"unknown regime {', '.join(unknown)}; choose from {', '.join(REGIMES)}")
    if not synth and any(r in NEEDS_SYNTH for r in wanted):
        raise UsageError("regimes with synth need --synth DIR (a `saae-augment synth` output)")
    for spec in synth:
        check_synth_complete(spec)
    chosen, source = choose_task(task, train, synth)
    with claim_output(out, "eval-ocr", EVAL_ENTRIES, overwrite=overwrite):
        return _evaluate(
            chosen,
            source,
            train,
            test,
            Path(out),
            synth,
            ratios,
            seeds,
            steps,
            minutes,
            size,
            wanted,
            batch_size,
            val_fraction,
            augment,
            on_progress,
            ckpt,
            rare,
        )


def _evaluate(
    task: Task,
    task_source: str,
    train: str | Path,
    test: str | Path,
    out: Path,
    synth: Sequence[str | Path],
    ratios: Sequence[float],
    seeds: int,
    steps: int,
    minutes: float | None,
    size: tuple[int, int] | None,
    wanted: list[str],
    batch_size: int,
    val_fraction: float,
    augment: str,
    on_progress: Callable[[int, int, dict[str, Any], Task], None] | None,
    ckpt: str | Path | None,
    rare_spec: str,
) -> EvalResult:
    t_start = time.perf_counter()
    size, size_from, test_loaded = eval_size(task, size, test, synth)
    train_data, train_report = labeled_pool(train, size, task, None)
    classes = task.vocabulary(train_data.labels)  # classes (chars) or characters (lines, read by CTC)
    if len(classes) < 2:
        raise UsageError(f"{train} has {len(classes)} class(es); a recognizer needs at least 2")
    rare, rare_from = rare_units(rare_spec, train_data.labels, classes, task.units)
    if test_loaded is None:
        test_data, test_report = labeled_pool(test, size, task, classes)
    else:
        test_data, test_report = pool_of(test_loaded, task, classes), test_loaded.report
    size_notes = [
        n
        for n in (
            size_note(name, report.sizes, size, size_from)
            for name, report in (("training set", train_report), ("test set", test_report))
        )
        if n
    ]
    rare_set = set(rare)
    n_rare_test = sum(has_rare(t, rare_set, task.units) for t in test_data.labels)
    scored_rare = rare if n_rare_test else []  # no test item holds one: nothing to score apart
    fit_idx, val_idx = task.split(train_data.labels, val_fraction, 0)
    # one image per class (few-shot) leaves nothing to validate on: every run then keeps its last weights
    real, val = train_data.take(np.array(fit_idx)), train_data.take(np.array(val_idx, dtype=int))
    synth_pool = None
    for spec in synth:
        p, synth_report = labeled_pool(spec, size, task, classes)
        synth_pool = p if synth_pool is None else concat(synth_pool, p)
        size_notes += [n for n in [size_note(f"synthetic set {spec}", synth_report.sizes, size, size_from)] if n]
    invert = dark_on_light(train_data.images)
    font_texts = task.font_texts(real.labels, classes)
    fonts, font_names = font_pool(font_texts, size, invert) if NEEDS_FONTS & set(wanted) else (None, [])
    augmenter = Augmenter(augment)

    plan: list[tuple[str, float | None]] = []
    for regime in wanted:
        if regime in ("real", "real+aug"):
            plan.append((regime, 0.0))
        elif regime == "synth":
            plan.append((regime, None))
        else:
            plan.extend((regime, float(r)) for r in ratios if r > 0)
    total = len(plan) * seeds
    runs: list[dict[str, Any]] = []
    done = 0
    for seed in range(seeds):
        for regime, ratio in plan:
            data, aug = training_set(regime, ratio or 0.0, seed, real, synth_pool, fonts, augmenter)
            sampler = batch_sampler(data, augmenter if aug else None, batch_size, seed, f"{regime}@{ratio}")
            rec = task.recognizer(classes, size)
            fit = rec.fit(sampler, val.images, val.labels, steps, minutes, seed)
            pred = rec.predict(test_data.images)
            row = {
                "regime": regime,
                "ratio": ratio,
                "seed": seed,
                **task.score(pred, test_data.labels),
                **(task.rare_score(pred, test_data.labels, scored_rare) if scored_rare else {}),
                "val_acc": fit["val_acc"],
                "n_real": len(real) if regime != "synth" else 0,
                "n_train": len(data),
                "steps": fit["steps"],
                "seconds": round(fit["seconds"], 2),
                "derived_from": None,
            }
            row["_pred"] = pred
            runs.append(row)
            done += 1
            if on_progress:
                on_progress(done, total, row, task)
    # At ratio 0 an additive regime *is* its base: rows say so instead of training twice.
    if 0 in ratios:
        for regime, base in ADDITIVE.items():
            if regime in wanted and base in wanted:
                for r in [r for r in runs if r["regime"] == base and r["ratio"] == 0.0 and r["derived_from"] is None]:
                    runs.append({**r, "regime": regime, "derived_from": base})
    summary = summarize(runs, task)
    settings = {
        "train": str(train),
        "test": str(test),
        "synth": [str(s) for s in synth],
        "ratios": list(ratios),
        "seeds": seeds,
        "steps": steps,
        "minutes": minutes,
        "size": list(size),
        "size_from": size_from,
        "size_notes": size_notes,
        "batch_size": batch_size,
        "val_fraction": val_fraction,
        "augment": augment,
        "regimes": wanted,
        "task": task.name,
        "task_from": task_source,
        "recognizer": task.recognizer_name,
        "classes": classes,
        "n_real_fit": len(real),
        "n_val": len(val),
        "n_test": len(test_data),
        "n_synth_pool": len(synth_pool) if synth_pool is not None else 0,
        "fonts": font_names,
        "rare": rare,
        "rare_from": rare_from,
        "n_rare_test": n_rare_test,
        "train_skipped": train_report.skipped,
        "version": __version__,
    }
    extra = _report_images(out, task, train, synth, ckpt)
    settings["elapsed_s"] = round(time.perf_counter() - t_start, 1)
    write_outputs(out, task, settings, runs, summary, classes, test_data.labels, extra)
    public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in runs]
    return EvalResult(out, public, summary, task, settings)
