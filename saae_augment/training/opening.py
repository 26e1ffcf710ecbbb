"""Opening a run: a new one (recipe, data spec, folder) or one to resume (its checkpoint supplies
recipe, data and state), and claiming its folder for the whole run. Both tasks' sessions start
from an `OpenedRun`.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saae_augment.config import Recipe, apply_overrides, load_recipe, recipe_from_dict, recipe_to_dict
from saae_augment.core.checkpoint import CheckpointError, load_checkpoint
from saae_augment.data.formats import absolute_spec, is_relative_spec
from saae_augment.data.load import LabeledImages
from saae_augment.data.sizing import load_sized
from saae_augment.distributed import World
from saae_augment.errors import SaaeError, UsageError
from saae_augment.outfolder import claim_output
from saae_augment.tasks import CHARS, Task, task_of_checkpoint, task_of_recipe
from saae_augment.training.bases import AUTO, NONE, BaseChoice, choose_base
from saae_augment.training.basestart import check_base_covers
from saae_augment.training.rundir import RUN_ENTRIES, RunDir


def _resolve_recipe(recipe: str | Path | Recipe, overrides: list[str]) -> Recipe:
    if isinstance(recipe, Recipe):
        return recipe_from_dict(apply_overrides(recipe_to_dict(recipe), overrides)) if overrides else recipe
    return load_recipe(recipe, overrides)


@dataclass
class OpenedRun:
    """A new or resumed run: its recipe, data, folder, and (when resuming) the checkpoint."""

    recipe: Recipe
    data_spec: str
    run: RunDir
    payload: dict[str, Any] | None
    task: Task
    accept_changed_data: bool = False
    init: dict[str, Any] | None = None  # `--init BASE`: the base model's checkpoint, checked
    init_from: str | None = None
    init_candidates: BaseChoice | None = None  # `--init auto`: packaged bases, picked by the data's classes

    def check_data(self, dataset: LabeledImages) -> str:
        """The data's fingerprint; on resume it must be the one the checkpoint recorded, unless
        the user said the change is intended (their data set grew, say)."""
        fingerprint = dataset.fingerprint()
        recorded = (self.payload or {}).get("data", {}).get("fingerprint")
        if recorded is not None and recorded != fingerprint and not self.accept_changed_data:
            raise CheckpointError(
                f"--resume: the data at {self.data_spec} changed since the checkpoint was written (other images or "
                "labels); resume with --data-changed-ok if that is intended, or train a new run"
            )
        return fingerprint

    def load_data(
        self, charset: str | None, emit: Callable[[str, dict[str, Any]], None], world: World
    ) -> LabeledImages:
        """The run's data at the recipe's size, or at the data's own (size.py) when the recipe
        names none: that size is then written into the recipe, so config.yaml, the checkpoint and
        every later synthesis use it. A resize is said in one line."""
        r = self.recipe
        dataset, size, note = load_sized(
            self.data_spec, r.data.size, r.data.mode, charset, "training data", "the recipe's data.size"
        )
        if self.init is not None:  # before anything is said: a base without the data's classes is refused
            check_base_covers(self.init, dataset.classes, self.init_from or "")
        elif self.init_candidates is not None and self.init_candidates.candidates:  # new runs only
            picked = self.init_candidates.pick(dataset.classes)
            if picked is not None:
                self.init_from, self.init = picked
            elif world.is_main:
                emit(
                    "status",
                    {
                        "message": "no packaged base model knows every class of the data: training from "
                        f"scratch (saae-augment pretrain --charset ... makes one; --init {NONE} says so)"
                    },
                )
        if r.data.size is None:
            self.recipe = dataclasses.replace(r, data=dataclasses.replace(r.data, size=size))
        if self.init is not None:  # new runs only: a resume keeps the budget its recipe recorded
            self.recipe = fine_tune_budget(self.recipe)
        if note and world.is_main and self.payload is None:  # said when the run began, not on each resume
            emit("status", {"message": note})
        return dataset


def fine_tune_budget(recipe: Recipe) -> Recipe:
    """A run from a base model trains `train.base_steps` steps when that is fewer than max_steps
    (written into the recipe, so config.yaml and a resume see the budget the run really had)."""
    t = recipe.train
    if t.base_steps is None or t.base_steps >= t.max_steps:
        return recipe
    return dataclasses.replace(recipe, train=dataclasses.replace(t, max_steps=t.base_steps))


def _with_base(recipe: Recipe, base: dict[str, Any], where: Path) -> Recipe:
    """The run's recipe with the base model's network, mode and glyphs: the weights only fit the
    network they were trained in. The size stays the run's: the base is resampled to it."""
    if task_of_checkpoint(base) is not CHARS or recipe.data.task != "chars":
        raise UsageError(f"--init {where}: base models are for characters; lines train from their recipe")
    b = recipe_from_dict(base["recipe"])
    return dataclasses.replace(
        recipe,
        model=b.model,
        glyph=b.glyph,
        data=dataclasses.replace(recipe.data, mode=b.data.mode),
    )


def open_run(
    data: str | Path | None,
    recipe: str | Path | Recipe,
    overrides: list[str],
    out: str | Path | None,
    resume: str | Path | None,
    world: World | None = None,
    init: str | Path | None = AUTO,
) -> OpenedRun:
    """With `resume=RUN`, the run's checkpoint supplies recipe, data and state; overrides may
    then only change `train.*` budgets. A new character run starts from a base model's weights
    (training/bases.py: `auto` picks a packaged one that fits, `none` none, or a name or path), in
    its network. Every rank opens the same folder."""
    world = world or World()
    if resume is None:
        recipe_obj = _resolve_recipe(recipe, overrides)
        choice = choose_base(init, recipe_obj)
        if choice.payload is not None:
            recipe_obj = _with_base(recipe_obj, choice.payload, Path(choice.where or ""))
        run = RunDir(Path(out) if out else world.broadcast(RunDir.default_path(recipe_obj.name)))
        task = task_of_recipe(recipe_obj)  # refuses options of the other task before any folder exists
        spec = absolute_spec(data) if data is not None else "digits"
        return OpenedRun(
            recipe_obj, spec, run, None, task, init=choice.payload, init_from=choice.where, init_candidates=choice
        )
    if init is not None and str(init) not in (AUTO, NONE):
        raise UsageError("--init starts a new run from a base model; --resume continues a run: use one")
    resume_dir = Path(resume)
    if (
        resume_dir.is_dir()
        and not (resume_dir / "checkpoints" / "last.pt").exists()
        and (resume_dir / "config.yaml").exists()
    ):
        raise UsageError(
            f"--resume: {resume_dir} stopped before its first checkpoint, so there is nothing to continue; "
            f"start it again with --out {resume_dir} --overwrite"
        )
    payload = load_checkpoint(resume)
    for o in overrides:
        if not o.startswith(("train.max_steps=", "train.base_steps=", "train.minutes=", "train.threads=")):
            raise UsageError(f"--resume keeps the run's recipe; only step/time/thread budgets may change, not {o!r}")
    recipe_obj = recipe_from_dict(apply_overrides(payload["recipe"], overrides))
    data_spec = payload["data"]["spec"]
    if is_relative_spec(data_spec):  # older checkpoints: relative to a folder nobody recorded
        if data is None:
            raise UsageError(
                f"--resume: the checkpoint names its data by a relative path ({data_spec}), which would resolve "
                "against the current folder; give --data with the path of that data set"
            )
        data_spec = absolute_spec(data)
    elif data is not None and absolute_spec(data) != data_spec:
        raise UsageError(f"--resume continues on the run's own data ({data_spec}), not {data}")
    run = RunDir(Path(resume) if Path(resume).is_dir() else Path(resume).parent.parent)
    return OpenedRun(recipe_obj, data_spec, run, payload, task_of_checkpoint(payload))


@contextlib.contextmanager
def claim_run(opened: OpenedRun, world: World, overwrite: bool) -> Iterator[None]:
    """Rank 0 claims the run folder for the whole run (outfolder.py); every rank learns whether
    it could, so that no rank waits for a partner that has already given up."""
    resuming = opened.payload is not None
    with contextlib.ExitStack() as stack:
        error: SaaeError | None = None
        if world.is_main:
            try:
                stack.enter_context(
                    claim_output(
                        opened.run.path,
                        "train",
                        RUN_ENTRIES,
                        resume=resuming,
                        overwrite=overwrite and not resuming,
                        flag="--resume" if resuming else "--out",
                        resume_hint=f", --resume {opened.run.path} to continue it",
                    )
                )
            except SaaeError as exc:
                error = exc
        (failed,) = world.any(error is not None)
        if failed:
            raise error or UsageError(f"process 0 could not claim {opened.run.path}; see its message")
        yield
