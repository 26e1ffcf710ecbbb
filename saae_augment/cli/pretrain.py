"""`saae-augment pretrain`: a base SAAE for a charset, from rendered fonts, for `train --init`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from saae_augment.cli.output import err, make_progress, out, user_errors
from saae_augment.data.glyphs import parse_size


@user_errors
def pretrain(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the base model (set/, run/, manifest.json).")],
    charset: Annotated[str | None, typer.Option(help="digits, upper, lower or alnum (default digits).")] = None,
    chars: Annotated[str | None, typer.Option(help="Literal characters instead of a named charset.")] = None,
    size: Annotated[str, typer.Option(help="Image size N or HxW; a run started from the base works at it.")] = "32",
    per_class: Annotated[int, typer.Option(min=1, help="Rendered, degraded images per character.")] = 300,
    max_steps: Annotated[int | None, typer.Option(min=1, help="Training steps (default: the recipe's).")] = None,
    recipe: Annotated[str, typer.Option(help="Recipe name or YAML file for the base's training.")] = "digits",
    set_: Annotated[list[str] | None, typer.Option("--set", help="Recipe override KEY=VALUE; repeatable.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the set and the training.")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or mps.")] = "auto",
    overwrite: Annotated[
        bool, typer.Option(help="Replace the base saae-augment wrote in --out before (never other files).")
    ] = False,
) -> None:
    """Train a base model on every installed font that draws the charset (with warps, stroke-width
    changes, blur, noise); fine-tune it on your images with `train --data DIR --init BASE`."""
    from saae_augment.data.charsets import CHARSETS, resolve_charset
    from saae_augment.sets.pretrain import pretrain as run_pretrain

    chosen = resolve_charset(charset, chars) if charset or chars else CHARSETS["digits"]
    hw = parse_size(size)
    overrides = [*(set_ or []), *([f"train.max_steps={max_steps}"] if max_steps else [])]
    progress = make_progress()
    bar = progress.add_task("rendering the base set", total=None)

    def on_progress(done: int, total: int) -> None:
        progress.update(bar, completed=done, total=total)

    def on_event(kind: str, p: dict[str, Any]) -> None:
        if kind == "status":
            err.print(p["message"])
        elif kind == "start":
            progress.update(bar, description="training the base", completed=p["step"], total=p["max_steps"])
        elif kind == "progress":
            progress.update(bar, completed=p["step"])
        elif kind == "eval":
            err.print(f"step {p['step']}: content accuracy {p['content_acc']:.1%}, copy rate {p['copy_rate']:.1%}")

    with progress:
        result = run_pretrain(
            out_dir,
            chosen or "",
            hw,
            per_class,
            recipe,
            overrides,
            seed,
            device,
            on_event,
            on_progress,
            overwrite,
        )
    s = result.summary
    out.print(
        f"base model {out_dir}: {len(s['classes'])} classes at {hw[0]}×{hw[1]}, "
        f"{s['step']} steps in {s['elapsed_s']:.0f} s, content accuracy {s['content_acc']:.1%}; "
        f"fine-tune it with: saae-augment train --data YOUR_DATA --init {out_dir}"
    )
