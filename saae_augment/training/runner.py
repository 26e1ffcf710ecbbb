"""The step loop every SAAE training run shares (characters and lines alike).

A run supplies what differs (one training step, an evaluation, a grid, the checkpoint payload);
this module owns what must not differ: stopping on Ctrl-C/SIGTERM, the minutes budget, NaN
checks that keep the last good checkpoint, the logging window, the eval/grid/checkpoint cadence,
and the final measure-draw-save-summarise.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from saae_augment._version import __version__
from saae_augment.config import Recipe
from saae_augment.core.checkpoint import file_sha256, save_checkpoint
from saae_augment.distributed import World
from saae_augment.errors import SaaeError
from saae_augment.stopsignals import stop_on_signals
from saae_augment.training.rundir import RunDir

Event = Callable[[str, dict[str, Any]], None]


class TrainingError(SaaeError):
    """Training cannot go on (e.g. the loss became NaN); the last good checkpoint is kept."""


@dataclass
class TrainResult:
    """What a finished (or stopped) run reports: its folder, steps, figures and why it stopped."""

    run_dir: Path
    status: str  # completed | interrupted | time-budget
    step: int
    summary: dict[str, Any]  # empty on ranks other than 0 (they write and report nothing)
    main: bool = True


@dataclass
class Session:
    """One run's parts: `do_step(step)` → losses; `payload(step, elapsed, metrics)` → checkpoint."""

    run: RunDir
    recipe: Recipe
    do_step: Callable[[int], dict[str, float]]
    evaluate: Callable[[], dict[str, float]]
    write_grid: Callable[[Path], None]
    payload: Callable[[int, float, dict[str, float]], dict[str, Any]]
    start_info: dict[str, Any]
    summary_info: dict[str, Any]
    world: World = field(default_factory=World)
    step: int = 0
    elapsed_before: float = 0.0
    last_metrics: dict[str, float] = field(default_factory=dict)


def run_steps(
    s: Session, emit: Event, should_stop: Callable[[], bool] | None = None, handle_signals: bool = True
) -> TrainResult:
    """The loop every rank runs; rank 0 alone logs, evaluates, draws and saves (`s.world`)."""
    r, run, world = s.recipe, s.run, s.world
    main = world.is_main
    if not main:
        emit = lambda kind, payload: None  # noqa: E731
    step = s.step
    stop_flag = threading.Event()
    status = "completed"
    t_start = time.perf_counter()

    def elapsed() -> float:
        return s.elapsed_before + (time.perf_counter() - t_start)

    def grid() -> Path:
        path = run.grids / f"step-{step:06d}.png"
        s.write_grid(path)
        return path

    window: dict[str, float] = {}
    window_n, window_t = 0, time.perf_counter()
    emit("start", {"run_dir": str(run.path), "step": step, "max_steps": r.train.max_steps, **s.start_info})
    signals = stop_on_signals(stop_flag, escalate=not world.distributed)
    with signals if handle_signals else contextlib.nullcontext():
        while step < r.train.max_steps:
            asked = stop_flag.is_set() or (should_stop is not None and should_stop())
            out_of_time = r.train.minutes is not None and time.perf_counter() - t_start > r.train.minutes * 60
            asked, out_of_time = world.any(asked, out_of_time)  # every rank stops at the same step
            if asked:
                status = "interrupted"
                break
            if out_of_time:
                status = "time-budget"
                break
            losses = world.mean(s.do_step(step))
            bad = [name for name, v in losses.items() if not math.isfinite(v)]
            if bad:
                message = (
                    f"loss {', '.join(bad)} became NaN/inf at step {step + 1}; stopped. The last good checkpoint "
                    f"is {run.last if run.last.exists() else '(none yet)'}; lower the learning rates "
                    "(--set optim.lr_g=... --set optim.lr_d=...) and train again"
                )
                if main:
                    run.write_summary({"status": "failed", "step": step, "error": message})
                raise TrainingError(message)
            step += 1
            if not main:
                continue
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
                s.last_metrics = s.evaluate()
                run.log({"kind": "eval", "step": step, **s.last_metrics})
                emit("eval", {"step": step, **s.last_metrics})
            if step % r.train.grid_every == 0:
                emit("grid", {"path": str(grid())})
            if step % r.train.ckpt_every == 0:
                save_checkpoint(run.last, s.payload(step, elapsed(), s.last_metrics))
                if r.train.keep_every and step % r.train.keep_every == 0:
                    save_checkpoint(run.checkpoints / f"step-{step:06d}.pt", s.payload(step, elapsed(), s.last_metrics))
            emit("progress", {"step": step, "max_steps": r.train.max_steps})

    if not main:
        return TrainResult(run_dir=run.path, status=status, step=step, summary={}, main=False)
    # --- the end (completed, interrupted or out of time): measure, draw, save, summarise ----
    s.last_metrics = s.evaluate()
    run.log({"kind": "eval", "step": step, **s.last_metrics})
    last_grid = grid()
    save_checkpoint(run.last, s.payload(step, elapsed(), s.last_metrics))
    train_records = [m for m in run.read_metrics() if m.get("kind") == "train"]
    summary = {
        "status": status,
        "step": step,
        "max_steps": r.train.max_steps,
        "elapsed_s": round(elapsed(), 2),
        "it_s": round(sum(m["it_s"] for m in train_records) / len(train_records), 3) if train_records else None,
        "recipe": r.name,
        "arch": r.model.arch,
        "disc": r.model.disc,
        **s.summary_info,
        **{k: round(v, 4) for k, v in s.last_metrics.items()},
        "grid": str(last_grid.relative_to(run.path)),
        "checkpoint": str(run.last.relative_to(run.path)),
        "checkpoint_sha256": file_sha256(run.last),
        "version": __version__,
    }
    run.write_summary(summary)
    emit("end", summary)
    return TrainResult(run_dir=run.path, status=status, step=step, summary=summary)
