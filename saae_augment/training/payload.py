"""The one checkpoint writer: what every run's checkpoint holds, whatever its task.

The common frame (versions, task, recipe, data, job, weights, optimizer states, step, time,
metrics) is assembled here; the task's own part (classes and glyph banks, or charset, fonts and
texts) comes from its section (tasks/sections.py), so each layout is written in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from saae_augment._version import __version__
from saae_augment.config import recipe_to_dict
from saae_augment.core.checkpoint import FORMAT_VERSION
from saae_augment.distributed import World
from saae_augment.training.opening import OpenedRun


def checkpoint_payload(
    opened: OpenedRun,
    section: Any,
    data: Mapping[str, Any],
    world: World,
    networks: Mapping[str, torch.nn.Module | None],
    optimizers: Mapping[str, torch.optim.Optimizer],
    step: int,
    elapsed: float,
    metrics: Mapping[str, float],
) -> dict[str, Any]:
    """A checkpoint's content. `data` is what the run knows of its data set (spec, fingerprint,
    sizes); `networks` with None (no EMA kept) are left out."""
    r = opened.recipe
    top, data_part = section.write()
    return {
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "task": opened.task.name,
        "recipe": recipe_to_dict(r),
        "data": {**data, **data_part},
        "distributed": world.describe(r.train.batch_size, r.train.sync_bn),
        **top,
        "state": {name: m.state_dict() for name, m in networks.items() if m is not None},
        "optim": {name: o.state_dict() for name, o in optimizers.items()},
        "step": step,
        "seed": r.train.seed,
        "elapsed_s": elapsed,
        "metrics": dict(metrics),
    }
