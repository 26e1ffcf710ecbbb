"""The character SAAE's session: one glyph per class as content, a (k+1)-class discriminator,
a CNN judge trained on the real training split; what the shared step loop (runner.py) runs.
"""

from __future__ import annotations

import torch

from saae_augment.config import Recipe
from saae_augment.core.checkpoint import (
    CheckpointError,
    load_weights,
)
from saae_augment.core.device import autocast_for, computed_precision
from saae_augment.core.grids import style_transfer_grid
from saae_augment.data.charsets import CHARSETS
from saae_augment.data.datasets import LabeledTensors, tensors_for
from saae_augment.data.fontchoice import glyph_banks
from saae_augment.data.fonts import resolve_font
from saae_augment.distributed import World
from saae_augment.errors import DatasetError
from saae_augment.model.saae import build_model
from saae_augment.seeding import derive_seed
from saae_augment.tasks.sections import CharSection
from saae_augment.training.basestart import init_note, start_from_base
from saae_augment.training.ema import ema_update
from saae_augment.training.judge import accuracy, train_classifier
from saae_augment.training.monitors import content_metrics
from saae_augment.training.objective import Objective
from saae_augment.training.opening import OpenedRun
from saae_augment.training.payload import payload_writer
from saae_augment.training.runner import Event, Session
from saae_augment.training.sampler import CharSampler
from saae_augment.training.trainables import build_trainables

GRID_ROWS = 8


def _charset(recipe: Recipe) -> str | None:
    cs = recipe.data.charset
    return CHARSETS.get(cs, cs) if cs else None


def _grid_styles(val: LabeledTensors, n: int) -> torch.Tensor:
    """Up to n held-out images, one per class first, so the grid shows many different styles."""
    seen, picks = set(), []
    for i, t in enumerate(val.targets.tolist()):
        if t not in seen:
            seen.add(t)
            picks.append(i)
    picks += [i for i in range(len(val)) if i not in picks]
    return val.images[picks[:n]]


def char_session(opened: OpenedRun, dev: torch.device, emit: Event, world: World) -> Session:
    """Build everything the shared step loop needs for a character run (new or resumed)."""
    data_spec, run, payload = opened.data_spec, opened.run, opened.payload
    rows = world.batch_rows(opened.recipe.train.batch_size)
    if opened.recipe.train.threads:
        torch.set_num_threads(opened.recipe.train.threads)

    # --- data, glyphs ---------------------------------------------------------------------
    dataset = opened.load_data(_charset(opened.recipe), emit, world)
    r = opened.recipe  # with the size the data set chose, where the recipe named none
    classes = dataset.classes
    if len(classes) < 2:
        raise DatasetError(f"{data_spec} has {len(classes)} class(es); the SAAE needs at least 2 to learn content")
    if payload is not None and CharSection.recorded(payload) != classes:
        raise CheckpointError(
            f"the checkpoint was trained on classes {''.join(CharSection.recorded(payload))!r} but {data_spec} now has "
            f"{''.join(classes)!r}; train a new run"
        )
    fingerprint = opened.check_data(dataset)
    channels = 1 if r.data.mode == "L" else 3
    font = resolve_font(r.glyph.font)
    banks, content_fonts = glyph_banks(classes, font, r.glyph.fonts, r.data.size, channels, r.glyph.invert)
    banks = banks.to(dev)
    glyphs = banks[0]  # the recipe's font: reconstruction, grids and monitors
    train_idx, val_idx = opened.task.split(dataset.labels, r.data.val_fraction, r.train.seed)
    train_set = tensors_for(dataset, classes, train_idx)
    val_set = tensors_for(dataset, classes, val_idx)
    k = len(classes)

    # --- models -------------------------------------------------------------------------
    torch.manual_seed(derive_seed(r.train.seed, "init"))
    model = build_model(r.model, channels, r.data.size, k)
    if opened.init is not None and payload is None:
        start_from_base(model, opened.init, classes, r.data.size, opened.init_from or "")
        if world.is_main:
            note = init_note(opened.init, r.data.size)
            emit("status", {"message": f"starting from base model {opened.init_from}: {note}"})
    nets = build_trainables(model.generator.to(dev), model.discriminator.to(dev), r, dev, world)

    step, elapsed_before = 0, 0.0
    judge = None  # only rank 0 measures, so only rank 0 has a judge
    if payload is None:
        if world.is_main:
            run.create(r)
            emit("status", {"message": f"training the judge on {len(train_set)} real images"})
            judge = train_classifier(train_set, k, r.train.judge_epochs, r.train.seed, dev)
    else:
        step, elapsed_before = nets.restore(payload)
        if world.is_main:
            judge = opened.task.judge(channels, r.data.size, classes, payload["state"]["judge"]).to(dev)
            load_weights(judge, payload["state"]["judge"], "judge")
            judge.eval()
            run.truncate_metrics(step)
    judge_val_acc = accuracy(judge, val_set, dev) if judge is not None else float("nan")

    sampler = CharSampler(
        train_set,
        k,
        r.train.batch_size,
        r.train.seed,
        r.train.style_source,
        r.glyph.warp,
        glyph_background=1.0 if r.glyph.invert else 0.0,
        rows=rows,
    )
    # auto: bf16 also on a CPU with native bf16: about 1.9x the steps per second at 16x16 on 2 AMX
    # cores, content accuracy and CAS within seed noise of fp32 (CHANGELOG, issue 20)
    precision = computed_precision(dev, r.train.precision, cpu_auto=True)
    autocast = autocast_for(dev, precision)
    grid_styles = _grid_styles(val_set if len(val_set) else train_set, GRID_ROWS).to(dev)
    monitor_styles = val_set if len(val_set) else train_set

    section = CharSection(
        classes,
        banks,
        [f.name for f in content_fonts],
        {k_: str(v) for k_, v in font.describe().items()},
        r.data.size,
        r.glyph.invert,
        torch.bincount(train_set.targets, minlength=k).tolist(),
    )
    sizes = (len(train_set), len(val_set))
    payload_at = payload_writer(opened, section, fingerprint, sizes, dataset.report.skipped, world, nets, judge)

    def evaluate() -> dict[str, float]:
        m = content_metrics(nets.G_out, judge, glyphs, monitor_styles, r.train.eval_samples, r.train.seed)
        m["judge_val_acc"] = judge_val_acc
        return m

    d_rows = world.diffaug_rows(r.train.batch_size)

    objective = Objective(nets, r, autocast, d_rows)

    def do_step(step: int) -> dict[str, float]:
        losses = objective.run(sampler.batch(step, banks, dev), step)
        if nets.G_ema is not None:
            ema_update(nets.G_ema, nets.G, r.train.ema)
        return losses

    nets.train_mode()
    return Session(
        run=run,
        recipe=r,
        do_step=do_step,
        evaluate=evaluate,
        write_grid=lambda path: style_transfer_grid(nets.G_out, glyphs, grid_styles).save(path),
        payload=payload_at,
        start_info={
            "task": opened.task.name,
            "content": opened.task.vocabulary_text(classes),
            "classes": classes,
            "n_train": len(train_set),
            "n_val": len(val_set),
            "device": str(dev),
            "precision": precision,
            "judge_val_acc": judge_val_acc,
            **world.describe(r.train.batch_size, r.train.sync_bn),
        },
        summary_info={
            "data": data_spec,
            **({"init_from": opened.init_from, "init_sha256": opened.init.get("digest")} if opened.init else {}),
            "classes": classes,
            "n_train": len(train_set),
            "n_val": len(val_set),
            "device": str(dev),
            "precision": precision,
            **world.describe(r.train.batch_size, r.train.sync_bn),
        },
        world=world,
        step=step,
        elapsed_before=elapsed_before,
    )
