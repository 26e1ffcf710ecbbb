"""The line SAAE: plates, words and text lines in the style of a real image.

The generator is the character SAAE's, unchanged: its content encoder reads the whole rendered
line at the target size (no downsampling, so the 2-D layout survives) and the style encoder
pools any image to one vector. What changes is how "the right class" is enforced, since a
line's class is a sequence (this is ScrabbleGAN's split of the (k+1)-class discriminator):

- a **recognition head** R (a CRNN, model/crnn.py) is trained with CTC on *real* lines only,
  and G is trained so that R reads G(line(t'), x) as t' (loss.w_ctc): the "k classes";
- a **patch discriminator** D says real or generated (model/discriminator.py): the "+1".

The three steps keep their meaning: (1) reconstruction G(line(t), x) ≈ x; (2) D: real vs
G(line(t'), x), and R on real lines; (3) G: look real, read as t', plus reconstruction.
Cross texts t' come from the recipe's pattern (`data.pattern`, e.g. plate-cn) when it has one,
else from other training labels; each is drawn in a random content font and gently warped.

Content accuracy here is the share of generated lines a separate judge CRNN (trained on the real
training split before the run, never on generated images) reads exactly as requested; CER too.
"""

from __future__ import annotations

import math

import torch

from saae_augment.config import Recipe
from saae_augment.core.checkpoint import CheckpointError, load_weights
from saae_augment.core.device import autocast_for, to_device
from saae_augment.core.grids import generate, style_transfer_grid
from saae_augment.core.readerstart import PRETRAIN_STEPS
from saae_augment.core.textmetrics import character_error_rate, word_accuracy
from saae_augment.data.charsets import CHARSETS
from saae_augment.data.datasets import to_tensor
from saae_augment.data.warp import affine_warp, jitter_params
from saae_augment.distributed import World
from saae_augment.errors import DatasetError
from saae_augment.model.crnn import build_reader, read_lines
from saae_augment.model.discriminator import PatchDiscriminator
from saae_augment.model.layout import MAX_LINES, describe_layout, estimate_layout
from saae_augment.model.placed import PlacedUNet
from saae_augment.model.saae import build_generator
from saae_augment.seeding import derive_seed, torch_generator
from saae_augment.tasks.sections import LineSection
from saae_augment.training.ema import ema_update
from saae_augment.training.linecontent import LineContent
from saae_augment.training.linejudge import JUDGE_START_STEPS, reader_start, train_line_judge
from saae_augment.training.objective import LineBatch, LineObjective
from saae_augment.training.opening import OpenedRun
from saae_augment.training.payload import payload_writer
from saae_augment.training.runner import Event, Session
from saae_augment.training.trainables import build_trainables

GRID_ROWS, GRID_TEXTS = 8, 4
MAX_LINE_EVAL = 256  # cross samples per content-accuracy measurement (lines cost 4× a character)


def _charset(r: Recipe, labels: list[str]) -> str:
    cs = r.data.charset
    if cs:
        return CHARSETS.get(cs, cs)
    return "".join(sorted(set("".join(labels))))


def line_session(opened: OpenedRun, dev: torch.device, emit: Event, world: World | None = None) -> Session:
    """Build everything the shared step loop needs for a line run (new or resumed)."""
    data_spec, run, payload = opened.data_spec, opened.run, opened.payload
    world = world or World()
    rows = world.batch_rows(opened.recipe.train.batch_size)
    if opened.recipe.train.threads:
        torch.set_num_threads(opened.recipe.train.threads)
    cs = opened.recipe.data.charset
    dataset = opened.load_data(CHARSETS.get(cs, cs) if cs else None, emit, world)
    r = opened.recipe  # with the size the data set chose, where the recipe named none
    charset = _charset(r, dataset.labels)
    if len(charset) < 2:
        raise DatasetError(f"{data_spec} uses {len(charset)} character(s); the line SAAE needs at least 2")
    if payload is not None and LineSection.recorded(payload) != charset:
        raise CheckpointError(
            f"the checkpoint was trained on charset {LineSection.recorded(payload)!r}, {data_spec} now has {charset!r}"
        )
    fingerprint = opened.check_data(dataset)
    channels = 1 if r.data.mode == "L" else 3
    train_idx, val_idx = opened.task.split(dataset.labels, r.data.val_fraction, r.train.seed)
    images = to_tensor(dataset.images)
    train_x, val_x = images[train_idx], images[val_idx]
    train_y, val_y = [dataset.labels[i] for i in train_idx], [dataset.labels[i] for i in val_idx]
    content = LineContent(r, charset, train_y, channels, dev)

    torch.manual_seed(derive_seed(r.train.seed, "init"))
    G = build_generator(r.model, channels)
    if payload is None and isinstance(G, PlacedUNet):  # start where the real lines' text sits
        first = torch.arange(min(len(train_x), MAX_LINES))
        grow, shift = estimate_layout(train_x[first], content.own(first).cpu())
        G.start_at(grow, shift)
        if world.is_main:
            emit("status", {"message": f"placing text as the real lines show it: {describe_layout(grow, shift)}"})
    G = G.to(dev)
    D = PatchDiscriminator(channels, r.model.disc_channels).to(dev)
    saved_r = payload["state"].get("recognizer") if payload else None  # an older run's head keeps its shape
    R = build_reader(channels, charset, saved_r)  # the recognition head, trained with the lr of D
    judge_steps = r.train.judge_epochs * math.ceil(len(train_x) / 64)
    if payload is None and world.is_main:
        pretrain = min(PRETRAIN_STEPS, judge_steps)
        budgets = f"{pretrain} steps, the judge {min(JUDGE_START_STEPS, judge_steps)}"
        emit("status", {"message": f"pretraining the readers on rendered lines of the charset ({budgets})"})
    start = None
    if payload is None:
        start = reader_start(train_x, train_y, charset, judge_steps, r.train.seed, r.train.precision)
    if start is not None:  # the generator's CTC loss means something from the first step
        R.load_state_dict(start)
    R = R.to(dev)
    nets = build_trainables(G, D, r, dev, world, {"recognizer": (R, r.optim.lr_d, "recognition head")})

    step, elapsed_before = 0, 0.0
    judge = None  # only rank 0 measures, so only rank 0 has a judge
    if payload is None:
        if world.is_main:
            run.create(r)
            emit("status", {"message": f"training the judge (CRNN, {judge_steps} steps) on {len(train_x)} real lines"})
            judge = train_line_judge(train_x, train_y, charset, judge_steps, r.train.seed, dev, r.train.precision)
    else:
        step, elapsed_before = nets.restore(payload)
        if world.is_main:
            judge = opened.task.judge(channels, r.data.size, list(charset), payload["state"]["judge"]).to(dev)
            load_weights(judge, payload["state"]["judge"], "judge")
            judge.eval()
            run.truncate_metrics(step)
    monitor_x, monitor_y = (val_x, val_y) if len(val_x) else (train_x, train_y)
    judge_val_acc = judge_val_cer = float("nan")
    if judge is not None:
        judge_reads = read_lines(judge, monitor_x.to(dev), charset)
        judge_val_acc = word_accuracy(judge_reads, monitor_y)
        judge_val_cer = character_error_rate(judge_reads, monitor_y)

    # fixed monitor pairs: held-out styles, requested texts from the pattern or the training labels
    g_mon = torch_generator(r.train.seed, "monitor-pairs")
    n_eval = min(r.train.eval_samples, MAX_LINE_EVAL)
    mon_style = torch.randint(len(monitor_x), (n_eval,), generator=g_mon)
    mon_texts, mon_content = content.cross(derive_seed(r.train.seed, "monitor-texts"), n_eval, g_mon)
    mon_content = content.render(mon_texts, [0] * n_eval)  # the recipe's font, unwarped
    grid_content = mon_content[:GRID_TEXTS]
    grid_styles = monitor_x[:GRID_ROWS].to(dev)
    # the adversarial steps keep fp32 on a CPU under `auto`: in bf16 (1.5x faster per step) the
    # judge read 84.0% and 59.2% of 2,000 plates (seeds 0, 1) against 93.5% and 72.7% in fp32, but
    # a 300-step run's last step moves that much with any change of its numerics (seed 0 with only
    # the readers in bf16: 48.0%), so two seeds cannot tell; not landed until measured wider
    autocast = autocast_for(dev, r.train.precision)
    zeros = torch.zeros(rows.stop - rows.start, dtype=torch.long, device=dev)
    d_rows = world.diffaug_rows(r.train.batch_size)

    def evaluate() -> dict[str, float]:
        samples = generate(nets.G_out, mon_content, monitor_x[mon_style].to(dev), torch.arange(n_eval))
        read = read_lines(judge, samples, charset)
        own = [monitor_y[i] for i in mon_style.tolist()]
        return {
            "content_acc": word_accuracy(read, mon_texts),
            "content_cer": character_error_rate(read, mon_texts),
            "copy_rate": word_accuracy(read, own),
            "judge_val_acc": judge_val_acc,
            "judge_val_cer": judge_val_cer,
        }

    objective = LineObjective(nets, charset, r, autocast, d_rows)

    def do_step(step: int) -> dict[str, float]:
        g = torch_generator(r.train.seed, "step", step)
        n = r.train.batch_size  # every draw is for the global batch; this rank keeps its rows
        idx = torch.randint(len(train_x), (n,), generator=g)[rows]
        real = to_device(train_x[idx], dev)
        texts, cross = content.cross(derive_seed(r.train.seed, "cross-texts", step), n, g, rows)
        if r.glyph.warp > 0:
            cross = affine_warp(cross, jitter_params(n, g)[rows], r.glyph.warp, fill=1.0 if r.glyph.invert else 0.0)
        own_texts = [train_y[i] for i in idx.tolist()]
        losses = objective.run(LineBatch(real, zeros, content.own(idx), real, cross, zeros, own_texts, texts), step)
        if nets.G_ema is not None:
            ema_update(nets.G_ema, nets.G, r.train.ema)
        return losses

    section = LineSection(charset, content.fonts, train_y, r.data.size, r.glyph.invert)
    sizes = (len(train_x), len(val_x))
    payload_at = payload_writer(opened, section, fingerprint, sizes, dataset.report.skipped, world, nets, judge)

    nets.train_mode()
    info = {
        "task": opened.task.name,
        "charset": charset,
        "n_train": len(train_x),
        "n_val": len(val_x),
        "device": str(dev),
        **world.describe(r.train.batch_size, r.train.sync_bn),
    }
    return Session(
        run=run,
        recipe=r,
        do_step=do_step,
        evaluate=evaluate,
        write_grid=lambda path: style_transfer_grid(nets.G_out, grid_content, grid_styles).save(path),
        payload=payload_at,
        start_info={**info, "content": opened.task.vocabulary_text(charset), "judge_val_acc": judge_val_acc},
        summary_info={"data": data_spec, **info, "content_fonts": [f.name for f in content.fonts]},
        world=world,
        step=step,
        elapsed_before=elapsed_before,
    )
