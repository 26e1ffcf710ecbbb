"""`train()`: the SAAE training run, from a data spec and a recipe to a run folder.

Every random choice of step t derives from (seed, t), and the checkpoint holds weights,
optimizer states and the step: so a run stopped at any checkpoint and resumed ends with the
same weights (on the same device and thread count) as one that never stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from saae_augment.config import Recipe
from saae_augment.core.device import pick_device
from saae_augment.distributed import World, joined, rank_device
from saae_augment.tasks import CHARS, LINES, Task
from saae_augment.training.chars import char_session
from saae_augment.training.lines import line_session
from saae_augment.training.opening import OpenedRun, claim_run, open_run
from saae_augment.training.runner import Event, Session, TrainingError, TrainResult, run_steps

__all__ = ["TrainResult", "TrainingError", "train"]

# What each task trains: its networks, losses, judge and checkpoint layout behind one Session.
SESSIONS: dict[Task, Callable[[OpenedRun, torch.device, Event, World], Session]] = {
    CHARS: char_session,
    LINES: line_session,
}


def train(
    data: str | Path | None = None,
    recipe: str | Path | Recipe = "digits",
    overrides: list[str] | None = None,
    out: str | Path | None = None,
    resume: str | Path | None = None,
    device: str = "auto",
    on_event: Event | None = None,
    should_stop: Callable[[], bool] | None = None,
    handle_signals: bool = True,
    overwrite: bool = False,
    accept_changed_data: bool = False,
    init: str | Path | None = "auto",
) -> TrainResult:
    """Train an SAAE on a labeled data set (`data`, default the embedded digits).

    `overrides` are dotted recipe keys (`train.max_steps=200`). With `resume=RUN`, the run's
    checkpoint supplies recipe, data and state; overrides may then only change `train.*` budgets.
    `out` must be new or empty unless `overwrite` (which replaces what saae-augment wrote there).
    Resuming on data whose fingerprint differs from the checkpoint's needs `accept_changed_data`.
    A new character run starts from a base model (training/bases.py): `init="auto"` takes a base
    packaged with saae-augment when its network is the recipe's and it knows the data's classes,
    `None`/"none" trains from scratch, a name or a `pretrain` folder picks one; its weights are
    resampled to the run's size (training/basestart.py).
    The recipe's task (`data.task`) chooses the session: characters (training/chars.py) or lines
    (plates, words; training/lines.py).

    Under `torchrun` (WORLD_SIZE > 1) the ranks train one run with DDP (see distributed.py):
    `train.batch_size` is the global batch, and only rank 0 writes or reports.
    """
    world = World.from_env()
    dev = rank_device(pick_device(device), world)
    emit = (on_event or (lambda kind, payload: None)) if world.is_main else (lambda kind, payload: None)

    def run() -> TrainResult:
        opened = open_run(data, recipe, list(overrides or []), out, resume, world, init)
        opened.accept_changed_data = accept_changed_data
        with claim_run(opened, world, overwrite):
            session = SESSIONS[opened.task](opened, dev, emit, world)
            return run_steps(session, emit, should_stop, handle_signals)

    with joined(world, dev):  # the session (its DDP wrappers) lives in run's frame, gone before the group
        return run()
