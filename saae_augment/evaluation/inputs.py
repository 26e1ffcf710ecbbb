"""What eval-ocr reads: its task (chosen once), labeled pools at one size, and whether a
synthetic set is whole (finished and merged) before it is measured as if it were.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from saae_augment.data.load import LabeledImages, list_labels, load_dataset
from saae_augment.data.sizing import load_sized
from saae_augment.errors import UsageError
from saae_augment.evaluation.regimes import Pool
from saae_augment.tasks import CHARS, Task, task_named, task_of_labels, task_of_synthesis


def labeled_pool(
    spec: str | Path, size: tuple[int, int], task: Task, vocabulary: Sequence[str] | None
) -> tuple[Pool, Any]:
    """Images of `spec` at `size`; with a `vocabulary`, only what a recognizer of it can read."""
    data = load_dataset(spec, size=size, mode="L", charset="".join(vocabulary) if vocabulary else None)
    return pool_of(data, task, vocabulary), data.report


def eval_size(
    task: Task, size: tuple[int, int] | None, test: str | Path, synth: Sequence[str | Path]
) -> tuple[tuple[int, int], str, LabeledImages | None]:
    """(size, why, the test set when loading it chose the size). Characters are read at the test
    set's own size (data/sizing.py): what the user's recognizer will read. Lines keep the
    synthetic set's size (else the task's), because plate and word crops come at camera sizes
    and a line recognizer works at a fixed height."""
    if size is not None:
        return (int(size[0]), int(size[1])), "--size", None
    if task.eval_size_from_test:
        data, chosen, _ = load_sized(test, None, "L", None, "test set")
        return chosen, "the test set's own size", data
    if synth:
        return _synth_size(synth[0]), "the synthetic set's size", None
    return task.eval_size, f"the {task.name} task's default", None


def _synth_size(spec: str | Path) -> tuple[int, int]:
    """A synthetic set's size from its manifest (written by synth), without decoding the whole
    set; a set without one (another tool's folder) is read for it."""
    manifest = Path(spec) / "manifest.json"
    try:
        h, w = json.loads(manifest.read_text(encoding="utf-8"))["settings"]["size"]
        return int(h), int(w)
    except (OSError, ValueError, KeyError, TypeError):
        h, w = load_dataset(spec, mode="L").images[0].shape[:2]
        return int(h), int(w)


def pool_of(data: LabeledImages, task: Task, vocabulary: Sequence[str] | None) -> Pool:
    """A loaded set (at one size) as a pool; with a `vocabulary`, only what a recognizer of it reads."""
    keep = [i for i, x in enumerate(data.labels) if vocabulary is None or task.keeps(x, vocabulary)]
    if not keep:
        raise UsageError(
            f"{data.report.source} has no image a recognizer of {task.vocabulary_text(vocabulary or [])} can read"
        )
    return Pool(np.stack([data.images[i] for i in keep]), [data.labels[i] for i in keep])


def check_synth_complete(spec: str | Path) -> None:
    """A synthesis that was interrupted, is still running or was never merged would be measured
    as if it were the whole set: refuse it, saying how to finish it."""
    folder = Path(spec)
    if not folder.is_dir():
        return
    manifest = folder / "manifest.json"
    if not manifest.exists():
        if any(folder.glob("manifest-*-of-*.json")):
            raise UsageError(f"--synth {folder} holds shards, not a merged set: join them with synth-merge first")
        return
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UsageError(f"--synth {folder}: its manifest.json is damaged, so the set cannot be trusted") from None
    if isinstance(data, dict) and data.get("command") == "synth" and data.get("status") != "complete":
        raise UsageError(
            f"--synth {folder} is not complete (status {str(data.get('status'))[:20]}, "
            f"{data.get('samples', '?')} samples): finish it with the same synth command and --resume"
        )


def choose_task(name: str | None, train: str | Path, synth: Sequence[str | Path]) -> tuple[Task, str]:
    """eval-ocr's task and where it came from: `--task`, else the synthetic set's manifest, else the
    training labels (lines as soon as one label is longer than one character). A character task on
    line labels is refused: its recognizer would treat every text as a class of its own."""
    labels = list_labels(train)
    if name is not None:
        task, source = task_named(name), "--task"
    else:
        found = [t for t in (task_of_synthesis(s) for s in synth) if t is not None]
        task, source = (found[0], "the synthetic set") if found else (task_of_labels(labels), "the training labels")
    if task_of_labels(labels) is not task and task is CHARS:
        raise UsageError(
            f"{train} has labels longer than one character, which the {task.name} task ({source}) cannot read; "
            "use --task lines, or a line synthesis"
        )
    return task, source
