"""The one checkpoint writer: what every run's checkpoint holds, whatever its task.

The common frame (versions, task, recipe, data, job, weights, optimizer states, step, time,
metrics) is assembled here; the task's own part (classes and glyph banks, or charset, fonts and
texts) comes from its section (tasks/sections.py), so each layout is written in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from saae_augment._version import __version__
from saae_augment.config import recipe_to_dict
from saae_augment.core.checkpoint import FORMAT_VERSION
from saae_augment.distributed import World
from saae_augment.training.opening import OpenedRun
from saae_augment.training.trainables import Trainables


def payload_writer(
    opened: OpenedRun,
    section: Any,
    fingerprint: str,
    sizes: tuple[int, int],
    skipped: int,
    world: World,
    nets: Trainables,
    judge: torch.nn.Module | None,
) -> Callable[[int, float, Mapping[str, float]], dict[str, Any]]:
    """The session's checkpoint writer: (step, elapsed seconds, metrics) → the checkpoint's
    content. `sizes` are the training and held-out image counts, `skipped` the unreadable ones."""
    r = opened.recipe
    data = {
        "spec": opened.data_spec,
        "fingerprint": fingerprint,
        "n_train": sizes[0],
        "n_val": sizes[1],
        "skipped": skipped,
    }

    def payload(step: int, elapsed: float, metrics: Mapping[str, float]) -> dict[str, Any]:
        top, data_part = section.write()
        return {
            "format_version": FORMAT_VERSION,
            "package_version": __version__,
            "task": opened.task.name,
            "recipe": recipe_to_dict(r),
            "data": {**data, **data_part},
            "distributed": world.describe(r.train.batch_size, r.train.sync_bn),
            **top,
            "state": {name: m.state_dict() for name, m in nets.networks(judge).items() if m is not None},
            "optim": {name: o.state_dict() for name, o in nets.optimizers().items()},
            "step": step,
            "seed": r.train.seed,
            "elapsed_s": elapsed,
            "metrics": dict(metrics),
        }

    return payload
