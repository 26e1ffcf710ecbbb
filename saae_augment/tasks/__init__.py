"""The two tasks (chars, lines) behind one interface, and the one place a run's task is chosen.

A task is never guessed twice: training takes it from the recipe (`data.task`), everything after
training from the checkpoint, eval-ocr from its synthetic set or, with none, from its labels.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from saae_augment.config import Recipe
from saae_augment.errors import UsageError
from saae_augment.tasks.base import ContentPlan, Task
from saae_augment.tasks.chars import CHARS
from saae_augment.tasks.lines import LINES

TASKS: dict[str, Task] = {t.name: t for t in (CHARS, LINES)}
__all__ = [
    "CHARS",
    "LINES",
    "TASKS",
    "ContentPlan",
    "Task",
    "task_named",
    "task_of_checkpoint",
    "task_of_labels",
    "task_of_manifest",
    "task_of_recipe",
    "task_of_synthesis",
]


def task_named(name: str) -> Task:
    """The task called `name`, or one line listing the tasks there are."""
    try:
        return TASKS[name]
    except KeyError:
        raise UsageError(f"unknown task {name!r}; choose {' or '.join(TASKS)}") from None


def task_of_recipe(recipe: Recipe) -> Task:
    """A run's task, from its recipe, after refusing the other task's options."""
    task = TASKS[recipe.data.task]
    task.check_recipe(recipe)
    return task


def task_of_checkpoint(payload: dict[str, Any]) -> Task:
    """A trained run's task. Character checkpoints written before tasks were named carry no key."""
    return TASKS[str(payload.get("task", CHARS.name))]


def task_of_labels(labels: Sequence[str]) -> Task:
    """The task a labeled set declares by its labels: lines as soon as one label is not one character."""
    return LINES if any(len(x) != 1 for x in labels) else CHARS


def task_of_manifest(manifest: dict[str, Any]) -> Task:
    """The task a synthesis manifest records; manifests written before the key existed tell a line
    synthesis by the CER only lines report."""
    name = manifest.get("task")
    if isinstance(name, str) and name in TASKS:
        return TASKS[name]
    return LINES if manifest.get("content_cer") is not None else CHARS


def task_of_synthesis(folder: str | Path) -> Task | None:
    """The task of a `synth` output folder (None for a folder that is not one)."""
    try:
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("command") != "synth":
        return None
    return task_of_manifest(manifest)
