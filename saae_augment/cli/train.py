"""`saae-augment train`: train an SAAE on a labeled set (default: the embedded digits)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import TextColumn, TimeElapsedColumn

from saae_augment.cli.output import err, make_progress, out, user_errors
from saae_augment.config import recipe_names
from saae_augment.tasks import CHARS, task_named


def _overrides(
    sets: list[str] | None,
    max_steps: int | None,
    minutes: float | None,
    batch_size: int | None,
    seed: int | None,
    threads: int | None,
    disc: str | None,
    arch: str | None,
) -> list[str]:
    """Flags are shorthands for recipe keys, so config.yaml records what was really used."""
    result = list(sets or [])
    for key, value in [
        ("train.max_steps", max_steps),
        ("train.base_steps", max_steps),  # an explicit budget holds from a base model too
        ("train.minutes", minutes),
        ("train.batch_size", batch_size),
        ("train.seed", seed),
        ("train.threads", threads),
        ("model.disc", disc),
        ("model.arch", arch),
    ]:
        if value is not None:
            result.append(f"{key}={value}")
    return result


def _fmt_losses(record: dict[str, Any]) -> str:
    keys = ("rec", "d", "g_adv", "g_read", "r_ctc")
    parts = [f"{k} {record[k]:.3f}" for k in keys if k in record]
    return "  ".join(parts) + f"  {record.get('it_s', 0):.1f} it/s"


@user_errors
def train(
    data: Annotated[str | None, typer.Option(help="Data set SPEC (default: the embedded digits).")] = None,
    recipe: Annotated[str, typer.Option(help=f"Recipe name ({', '.join(recipe_names())}) or YAML file.")] = "digits",
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Recipe override KEY=VALUE; repeatable, or several after one --set."),
    ] = None,
    max_steps: Annotated[
        int | None, typer.Option(min=1, help="Training steps (train.max_steps, and train.base_steps from a base).")
    ] = None,
    minutes: Annotated[float | None, typer.Option(min=0.01, help="Wall-clock budget in minutes.")] = None,
    batch_size: Annotated[int | None, typer.Option(min=2, help="Batch size.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed; the same seed gives the same run.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or mps.")] = "auto",
    threads: Annotated[int | None, typer.Option(min=1, help="CPU threads for torch.")] = None,
    disc: Annotated[
        str | None, typer.Option(help="kplus1 (k classes + fake) or binary (the paper's ablation).")
    ] = None,
    arch: Annotated[str | None, typer.Option(help="fast (default) or paper (64 channels, as published).")] = None,
    resume: Annotated[
        Path | None, typer.Option(help="Continue the run in this folder from its last checkpoint.")
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Run folder (default runs/<date>-<recipe>).")] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace the run saae-augment wrote in --out before (never other files).")
    ] = False,
    init: Annotated[
        str,
        typer.Option(
            help="Start characters from a base model: auto (a packaged one whose network and classes fit), "
            "none (from scratch), a packaged name (digits) or a `saae-augment pretrain` folder."
        ),
    ] = "auto",
    data_changed_ok: Annotated[
        bool, typer.Option(help="With --resume: continue although the run's data set changed since.")
    ] = False,
    more_sets: Annotated[
        list[str] | None,
        typer.Argument(hidden=True, metavar="[KEY=VALUE]...", help="More KEY=VALUE overrides after --set."),
    ] = None,
) -> None:
    """Train the SAAE (content encoder + style encoder + decoder, against a (k+1)-class discriminator;
    for lines, a CTC recognition head plus a real/fake discriminator)."""
    from saae_augment.distributed import World
    from saae_augment.training.loop import train as run_training

    overrides = _overrides(
        [*(set_ or []), *(more_sets or [])], max_steps, minutes, batch_size, seed, threads, disc, arch
    )
    quiet = not World.from_env().is_main  # under torchrun, rank 0 reports for every rank
    progress = make_progress(TimeElapsedColumn(), TextColumn("{task.fields[losses]}"), quiet=quiet)
    task = None

    run_task = CHARS  # the start event names the run's task

    def on_event(kind: str, p: dict[str, Any]) -> None:
        nonlocal task, run_task
        if kind == "status":
            err.print(p["message"])
        elif kind == "start":
            run_task = task_named(p["task"])
            if p.get("world_size", 1) > 1:
                err.print(
                    f"{p['world_size']} processes ({p['backend']}): global batch {p['global_batch']} = "
                    f"{p['world_size']} × {p['batch_per_process']} per process; learning rates as the recipe "
                    f"says (the global batch is the recipe's, so no scaling); BatchNorm statistics {p['batch_norm']}"
                )
            err.print(
                f"run {p['run_dir']}: {p['n_train']} training / {p['n_val']} held-out images, "
                + f"{p['content']}, "
                + f"{p['device']}; judge reads held-out real images at "
                f"{p['judge_val_acc']:.1%}"
            )
            task = progress.add_task("training", total=p["max_steps"], completed=p["step"], losses="")
        elif kind == "progress" and task is not None:
            progress.update(task, completed=p["step"])
        elif kind == "step" and task is not None:
            progress.update(task, losses=_fmt_losses(p))
            if not err.is_terminal:
                err.print(f"step {p['step']}: {_fmt_losses(p)}")
        elif kind == "eval":
            content = run_task.content_text(p["content_acc"], p.get("content_cer"))
            err.print(f"step {p['step']}: {content}, copy rate {p['copy_rate']:.1%}")

    with progress:
        result = run_training(
            data,
            recipe,
            overrides,
            out_dir,
            resume,
            device,
            on_event=on_event,
            overwrite=overwrite,
            accept_changed_data=data_changed_ok,
            init=init,
        )
    if not result.main:
        return
    s = result.summary
    out.print(
        f"{s['status']} at step {s['step']} in {s['elapsed_s']:.0f} s: content accuracy {s['content_acc']:.1%}, "
        f"copy rate {s['copy_rate']:.1%} (judge on held-out real images: {s['judge_val_acc']:.1%})"
    )
    out.print(
        f"run folder {result.run_dir}: grid {result.run_dir / s['grid']}, checkpoint {result.run_dir / s['checkpoint']}"
    )
    if result.status == "interrupted":
        err.print(f"interrupted: checkpoint saved; continue with --resume {result.run_dir}")
        raise typer.Exit(130)
