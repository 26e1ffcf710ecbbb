"""`train()`: the SAAE training run, from a data spec and a recipe to a run folder.

Every random choice of step t derives from (seed, t), and the checkpoint holds weights,
optimizer states and the step: so a run stopped at any checkpoint and resumed ends with the
same weights (on the same device and thread count) as one that never stopped.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from saae_augment import __version__
from saae_augment.config import Recipe, apply_overrides, load_recipe, recipe_from_dict, recipe_to_dict
from saae_augment.data.charsets import CHARSETS
from saae_augment.data.datasets import LabeledTensors, glyph_banks, stratified_split, tensors_for
from saae_augment.data.fonts import resolve_font
from saae_augment.data.load import load_dataset
from saae_augment.data.warp import jitter
from saae_augment.errors import DatasetError, SaaeError, UsageError
from saae_augment.model.classifier import CharClassifier
from saae_augment.model.saae import build_model
from saae_augment.seeding import derive_seed, torch_generator
from saae_augment.training.checkpoint import (
    FORMAT_VERSION,
    CheckpointError,
    file_sha256,
    load_checkpoint,
    save_checkpoint,
)
from saae_augment.training.diffaug import diff_augment
from saae_augment.training.grids import style_transfer_grid
from saae_augment.training.judge import accuracy, train_classifier
from saae_augment.training.monitors import content_metrics
from saae_augment.training.rundir import RunDir
from saae_augment.training.steps import Batch, adversarial_steps, reconstruction_step

Event = Callable[[str, dict[str, Any]], None]
GRID_ROWS = 8


class TrainingError(SaaeError):
    """Training cannot go on (e.g. the loss became NaN); the last good checkpoint is kept."""


@dataclass
class TrainResult:
    run_dir: Path
    status: str  # completed | interrupted | time-budget
    step: int
    summary: dict[str, Any]


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name not in ("cpu", "cuda", "mps"):
        raise UsageError(f"device must be auto, cpu, cuda or mps, not {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for, but torch sees no CUDA GPU (use --device cpu or auto)")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UsageError("--device mps was asked for, but this torch has no MPS support (use --device cpu or auto)")
    return torch.device(name)


def autocast_for(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """bf16 autocast where asked for (or `auto` on CUDA); otherwise plain fp32."""
    use_bf16 = precision == "bf16" or (precision == "auto" and device.type == "cuda")
    if not use_bf16:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


@contextlib.contextmanager
def _stop_on_signals(flag: threading.Event) -> Iterator[None]:
    """Ctrl-C / SIGTERM ask the loop to stop at the end of the current step (and save)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handler(signum, frame):  # noqa: ARG001
        if flag.is_set():  # a second Ctrl-C means "now"
            raise KeyboardInterrupt
        flag.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, h in previous.items():
            signal.signal(sig, h)


def _charset(recipe: Recipe) -> str | None:
    cs = recipe.data.charset
    return CHARSETS.get(cs, cs) if cs else None


class _Sampler:
    """Per-step batches: which real images, which style for step 1, which cross content."""

    def __init__(
        self,
        train: LabeledTensors,
        n_classes: int,
        batch_size: int,
        seed: int,
        style_source: str,
        warp: float = 0.0,
        glyph_background: float = 0.0,
    ):
        self.train, self.k, self.batch_size, self.seed, self.style_source = (
            train,
            n_classes,
            batch_size,
            seed,
            style_source,
        )
        self.warp, self.glyph_background = warp, glyph_background
        order = torch.argsort(train.targets, stable=True)
        counts = torch.bincount(train.targets, minlength=n_classes)
        self.by_class, self.counts = order, counts
        self.offsets = torch.cumsum(counts, 0) - counts

    def batch(self, step: int, banks: torch.Tensor, device: torch.device) -> Batch:
        """`banks` F×k×C×H×W: the cross content comes from a random font (and warp, where the
        recipe asks), the reconstruction content always from the first font."""
        g = torch_generator(self.seed, "step", step)
        idx = torch.randint(len(self.train), (self.batch_size,), generator=g)
        y = self.train.targets[idx]
        cross = (y + torch.randint(1, self.k, (self.batch_size,), generator=g)) % self.k
        images = self.train.images
        if self.style_source == "self":
            style = images[idx]
        elif self.style_source == "augmented":
            style = jitter(images[idx], g)
        elif self.style_source == "same-class":
            pos = (torch.rand(self.batch_size, generator=g) * self.counts[y]).long()
            style = images[self.by_class[self.offsets[y] + pos]]
        else:  # "other": any training image
            style = images[torch.randint(len(self.train), (self.batch_size,), generator=g)]
        real = images[idx].to(device)
        glyph_cross = banks[0][cross.to(device)]
        if banks.shape[0] > 1:  # drawn only when used, so a one-font recipe keeps its random stream
            font = torch.randint(banks.shape[0], (self.batch_size,), generator=g)
            glyph_cross = banks[font.to(device), cross.to(device)]
        if self.warp > 0:
            glyph_cross = jitter(glyph_cross, g, self.warp, fill=self.glyph_background)
        return Batch(
            real=real,
            targets=y.to(device),
            glyph_own=banks[0][y.to(device)],
            style_rec=real if self.style_source == "self" else style.to(device),
            glyph_cross=glyph_cross,
            cross_targets=cross.to(device),
        )


@torch.no_grad()
def _ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    for e, p in zip(ema.parameters(), model.parameters(), strict=True):
        e.lerp_(p, 1 - decay)
    for e, b in zip(ema.buffers(), model.buffers(), strict=True):
        e.copy_(b)


def _grid_styles(val: LabeledTensors, n: int) -> torch.Tensor:
    """Up to n held-out images, one per class first, so the grid shows many different styles."""
    seen, picks = set(), []
    for i, t in enumerate(val.targets.tolist()):
        if t not in seen:
            seen.add(t)
            picks.append(i)
    picks += [i for i in range(len(val)) if i not in picks]
    return val.images[picks[:n]]


def _resolve_recipe(recipe: str | Path | Recipe, overrides: list[str]) -> Recipe:
    if isinstance(recipe, Recipe):
        return recipe_from_dict(apply_overrides(recipe_to_dict(recipe), overrides)) if overrides else recipe
    return load_recipe(recipe, overrides)


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
) -> TrainResult:
    """Train an SAAE on a labeled data set (`data`, default the embedded digits).

    `overrides` are dotted recipe keys (`train.max_steps=200`). With `resume=RUN`, the run's
    checkpoint supplies recipe, data and state; overrides may then only change `train.*` budgets.
    """
    emit = on_event or (lambda kind, payload: None)
    overrides = list(overrides or [])
    payload = None
    if resume is not None:
        payload = load_checkpoint(resume)
        base = payload["recipe"]
        for o in overrides:
            if not o.startswith(("train.max_steps=", "train.minutes=", "train.threads=")):
                raise UsageError(
                    f"--resume keeps the run's recipe; only step/time/thread budgets may change, not {o!r}"
                )
        recipe_obj = recipe_from_dict(apply_overrides(base, overrides))
        data_spec = payload["data"]["spec"]
        if data is not None and str(data) != data_spec:
            raise UsageError(f"--resume continues on the run's own data ({data_spec}), not {data}")
        run = RunDir(Path(resume) if Path(resume).is_dir() else Path(resume).parent.parent)
    else:
        recipe_obj = _resolve_recipe(recipe, overrides)
        data_spec = str(data) if data is not None else "digits"
        run = RunDir(Path(out) if out else RunDir.default_path(recipe_obj.name))
    r = recipe_obj
    dev = pick_device(device)
    if r.train.threads:
        torch.set_num_threads(r.train.threads)

    # --- data, glyphs ---------------------------------------------------------------------
    dataset = load_dataset(data_spec, size=r.data.size, mode=r.data.mode, charset=_charset(r))
    classes = dataset.classes
    if len(classes) < 2:
        raise DatasetError(f"{data_spec} has {len(classes)} class(es); the SAAE needs at least 2 to learn content")
    if payload is not None and payload["classes"] != classes:
        raise CheckpointError(
            f"the checkpoint was trained on classes {''.join(payload['classes'])!r} but {data_spec} now has "
            f"{''.join(classes)!r}; train a new run"
        )
    channels = 1 if r.data.mode == "L" else 3
    font = resolve_font(r.glyph.font)
    banks, content_fonts = glyph_banks(classes, font, r.glyph.fonts, r.data.size, channels, r.glyph.invert)
    banks = banks.to(dev)
    glyphs = banks[0]  # the recipe's font: reconstruction, grids and monitors
    train_idx, val_idx = stratified_split(dataset.labels, r.data.val_fraction, r.train.seed)
    train_set = tensors_for(dataset, classes, train_idx)
    val_set = tensors_for(dataset, classes, val_idx)
    k = len(classes)

    # --- models -------------------------------------------------------------------------
    torch.manual_seed(derive_seed(r.train.seed, "init"))
    model = build_model(r.model, channels, r.data.size, k)
    G, D = model.generator.to(dev), model.discriminator.to(dev)
    if r.train.channels_last and dev.type != "mps":
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    opt_g = torch.optim.Adam(G.parameters(), lr=r.optim.lr_g, betas=(r.optim.beta1, r.optim.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=r.optim.lr_d, betas=(r.optim.beta1, r.optim.beta2))

    # EMA of the generator's weights: what synthesis, grids and monitors use when the recipe asks
    # (averaging over the last few hundred steps smooths away the GAN's step-to-step swings).
    G_ema = copy.deepcopy(G).eval().requires_grad_(False) if r.train.ema > 0 else None
    G_out = G_ema if G_ema is not None else G

    step, elapsed_before = 0, 0.0
    if payload is None:
        run.create(r)
        emit("status", {"message": f"training the judge on {len(train_set)} real images"})
        judge = train_classifier(train_set, k, r.train.judge_epochs, r.train.seed, dev)
    else:
        G.load_state_dict(payload["state"]["generator"])
        if G_ema is not None:
            G_ema.load_state_dict(payload["state"].get("generator_ema", payload["state"]["generator"]))
        D.load_state_dict(payload["state"]["discriminator"])
        opt_g.load_state_dict(payload["optim"]["generator"])
        opt_d.load_state_dict(payload["optim"]["discriminator"])
        judge = CharClassifier(channels, r.data.size, k).to(dev)
        judge.load_state_dict(payload["state"]["judge"])
        judge.eval()
        step, elapsed_before = int(payload["step"]), float(payload.get("elapsed_s", 0.0))
        run.truncate_metrics(step)
    judge_val_acc = accuracy(judge, val_set, dev)

    sampler = _Sampler(
        train_set,
        k,
        r.train.batch_size,
        r.train.seed,
        r.train.style_source,
        r.glyph.warp,
        glyph_background=1.0 if r.glyph.invert else 0.0,
    )
    autocast = autocast_for(dev, r.train.precision)
    grid_styles = _grid_styles(val_set if len(val_set) else train_set, GRID_ROWS).to(dev)
    monitor_styles = val_set if len(val_set) else train_set
    last_metrics: dict[str, float] = {}

    def checkpoint_payload() -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "package_version": __version__,
            "recipe": recipe_to_dict(r),
            "data": {
                "spec": data_spec,
                "n_train": len(train_set),
                "n_val": len(val_set),
                "class_counts": torch.bincount(train_set.targets, minlength=k).tolist(),
                "skipped": dataset.report.skipped,
            },
            "classes": classes,
            "glyph": {
                "bank": glyphs.cpu(),
                "banks": banks.cpu(),  # F×k×C×H×W, the content variety synthesis draws from
                "fonts": [f.name for f in content_fonts],
                "font": {k_: str(v) for k_, v in font.describe().items()},
                "size": list(r.data.size),
                "invert": r.glyph.invert,
            },
            "state": {
                "generator": G.state_dict(),
                "discriminator": D.state_dict(),
                "judge": judge.state_dict(),
                **({"generator_ema": G_ema.state_dict()} if G_ema is not None else {}),
            },
            "optim": {"generator": opt_g.state_dict(), "discriminator": opt_d.state_dict()},
            "step": step,
            "seed": r.train.seed,
            "elapsed_s": elapsed_before + (time.perf_counter() - t_start),
            "metrics": dict(last_metrics),
        }

    def evaluate() -> dict[str, float]:
        m = content_metrics(G_out, judge, glyphs, monitor_styles, r.train.eval_samples, r.train.seed)
        m["judge_val_acc"] = judge_val_acc
        return m

    def write_grid() -> Path:
        path = run.grids / f"step-{step:06d}.png"
        style_transfer_grid(G_out, glyphs, grid_styles).save(path)
        return path

    stop_flag = threading.Event()
    status = "completed"
    t_start = time.perf_counter()
    window: dict[str, float] = {}
    window_n, window_t = 0, time.perf_counter()
    emit(
        "start",
        {
            "run_dir": str(run.path),
            "step": step,
            "max_steps": r.train.max_steps,
            "classes": classes,
            "n_train": len(train_set),
            "n_val": len(val_set),
            "device": str(dev),
            "judge_val_acc": judge_val_acc,
        },
    )
    G.train()
    D.train()
    with _stop_on_signals(stop_flag) if handle_signals else contextlib.nullcontext():
        while step < r.train.max_steps:
            if stop_flag.is_set() or (should_stop is not None and should_stop()):
                status = "interrupted"
                break
            if r.train.minutes is not None and time.perf_counter() - t_start > r.train.minutes * 60:
                status = "time-budget"
                break
            batch = sampler.batch(step, banks, dev)
            losses = reconstruction_step(G, opt_g, batch, r.loss, autocast)
            extra = ()
            if r.train.d_augment > 0:
                d_gen = torch_generator(r.train.seed, "d-augment", step)
                extra = (functools.partial(diff_augment, generator=d_gen, strength=r.train.d_augment),)
            losses.update(adversarial_steps(G, D, opt_g, opt_d, batch, r.loss, autocast, *extra))
            if G_ema is not None:
                _ema_update(G_ema, G, r.train.ema)
            bad = [name for name, v in losses.items() if not math.isfinite(v)]
            if bad:
                message = (
                    f"loss {', '.join(bad)} became NaN/inf at step {step + 1}; stopped. The last good checkpoint "
                    f"is {run.last if run.last.exists() else '(none yet)'}; lower the learning rates "
                    "(--set optim.lr_g=... optim.lr_d=...) and train again"
                )
                run.write_summary({"status": "failed", "step": step, "error": message})
                raise TrainingError(message)
            step += 1
            for name, v in losses.items():
                window[name] = window.get(name, 0.0) + v
            window_n += 1
            if step % r.train.log_every == 0 or step == r.train.max_steps:
                now = time.perf_counter()
                record = {"kind": "train", "step": step, "it_s": window_n / max(now - window_t, 1e-9)}
                record.update({name: v / window_n for name, v in window.items()})
                run.log(record)
                emit("step", record)
                window, window_n, window_t = {}, 0, now
            if step % r.train.eval_every == 0:
                last_metrics = evaluate()
                run.log({"kind": "eval", "step": step, **last_metrics})
                emit("eval", {"step": step, **last_metrics})
            if step % r.train.grid_every == 0:
                emit("grid", {"path": str(write_grid())})
            if step % r.train.ckpt_every == 0:
                save_checkpoint(run.last, checkpoint_payload())
                if r.train.keep_every and step % r.train.keep_every == 0:
                    save_checkpoint(run.checkpoints / f"step-{step:06d}.pt", checkpoint_payload())
            emit("progress", {"step": step, "max_steps": r.train.max_steps})

    # --- the end (completed, interrupted or out of time): measure, draw, save, summarise ----
    last_metrics = evaluate()
    run.log({"kind": "eval", "step": step, **last_metrics})
    grid = write_grid()
    save_checkpoint(run.last, checkpoint_payload())
    elapsed = elapsed_before + (time.perf_counter() - t_start)
    train_records = [m for m in run.read_metrics() if m.get("kind") == "train"]
    summary = {
        "status": status,
        "step": step,
        "max_steps": r.train.max_steps,
        "elapsed_s": round(elapsed, 2),
        "it_s": round(sum(m["it_s"] for m in train_records) / len(train_records), 3) if train_records else None,
        "recipe": r.name,
        "arch": r.model.arch,
        "disc": r.model.disc,
        "data": data_spec,
        "classes": classes,
        "n_train": len(train_set),
        "n_val": len(val_set),
        "device": str(dev),
        **{k_: round(v, 4) for k_, v in last_metrics.items()},
        "grid": str(grid.relative_to(run.path)),
        "checkpoint": str(run.last.relative_to(run.path)),
        "checkpoint_sha256": file_sha256(run.last),
        "version": __version__,
    }
    run.write_summary(summary)
    emit("end", summary)
    return TrainResult(run_dir=run.path, status=status, step=step, summary=summary)
