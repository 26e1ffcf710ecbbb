"""`saae-augment synth` and `synth-merge`: bulk labeled samples from a trained checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TextColumn

from saae_augment.cli.output import PlainProgress, err, make_progress, out, user_errors
from saae_augment.data.textfiles import read_texts_file
from saae_augment.errors import UsageError


@user_errors
def synth(
    ckpt: Annotated[Path, typer.Option(help="Run folder or checkpoint file.")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Output folder (new or empty, unless --resume or --overwrite).")
    ],
    n: Annotated[
        int | None,
        typer.Option(
            "--n",
            "-n",
            min=1,
            help="Number of samples (over all shards; under torchrun write -n). Default: the length of --labels-file.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Sample i depends only on (seed, i).")] = 0,
    batch_size: Annotated[
        int | None,
        typer.Option(min=1, help="Samples per model call (never changes the output; default 512, 2048 on CUDA)."),
    ] = None,
    content: Annotated[
        str,
        typer.Option(
            help="uniform; match (the training set's class frequencies); balance (classes filled up so real + "
            "synthetic are even: the rarest first; lines: the training texts' rare characters more often)."
        ),
    ] = "uniform",
    classes: Annotated[str | None, typer.Option(help="Only these classes, comma-separated: A,B,C.")] = None,
    labels_file: Annotated[
        Path | None, typer.Option(help="One label per line; sample i gets line i (cycled). --n defaults to its length.")
    ] = None,
    texts_file: Annotated[
        Path | None, typer.Option(help="Lines: a word/text list, one per line; each sample draws one.")
    ] = None,
    pattern: Annotated[
        str | None,
        typer.Option(help="Lines: a plate preset (plate-cn, plate-eu, plate-us, ...) or {province}{letter}{alnum:5}."),
    ] = None,
    styles: Annotated[str | None, typer.Option(help="Style images: any data set SPEC, labels not needed.")] = None,
    style_mix: Annotated[bool, typer.Option(help="Interpolate the style vectors of two style images.")] = False,
    augment: Annotated[str | None, typer.Option(help="Post-augmentation: light, scan, or a YAML file.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="png (folders + label files) or lmdb.")] = "png",
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run in --out.")] = False,
    overwrite: Annotated[
        bool, typer.Option(help="Replace what saae-augment wrote in --out before (never other files).")
    ] = False,
    shard: Annotated[str | None, typer.Option(help="i/n: write only shard i of n (merge with synth-merge).")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or mps.")] = "auto",
    workers: Annotated[int | None, typer.Option(min=1, help="Encoder/writer threads.")] = None,
    precision: Annotated[
        str,
        typer.Option(
            help=(
                "auto (bf16 on CUDA, and on a CPU with native bf16 where the judge reads its samples "
                "as well as fp32's), fp32 or bf16."
            )
        ),
    ] = "auto",
    select: Annotated[
        bool, typer.Option(help="Draw again (new style, font, warp) any sample the judge does not read as its label.")
    ] = False,
) -> None:
    """Write N correctly labeled samples in the style of real images; resumable and shardable."""
    from saae_augment.distributed import World
    from saae_augment.synthesis.options import SynthOptions, parse_shard
    from saae_augment.synthesis.run import run_synthesis

    labels = read_texts_file(labels_file) if labels_file else None
    if n is None:
        if labels is None:
            raise UsageError("give --n (how many samples), or --labels-file (one sample per line)")
        n = len(labels)
    texts = read_texts_file(texts_file) if texts_file else None
    only = [c.strip() for c in classes.split(",") if c.strip()] if classes else None
    if classes is not None and not only:
        raise UsageError("--classes is empty: give classes separated by commas, e.g. --classes 3,5,8")
    main_rank = World.from_env().is_main
    progress = make_progress(TextColumn("{task.fields[rate]}"), quiet=not main_rank)
    task = progress.add_task("synthesizing", total=None, rate="")
    plain = PlainProgress("synthesizing", "samples") if main_rank and not err.is_terminal else None

    def on_progress(done: int, total: int) -> None:
        elapsed = progress.tasks[0].elapsed or 0.0
        progress.update(task, completed=done, total=total, rate=f"{done / elapsed:,.0f} img/s" if elapsed else "")
        if plain is not None:
            plain(done, total)

    with progress:
        options = SynthOptions(
            n=n,
            seed=seed,
            batch_size=batch_size,
            content=content,
            classes=only,
            labels=labels,
            styles=styles,
            style_mix=style_mix,
            augment=augment,
            fmt=fmt,
            resume=resume,
            shard=parse_shard(shard),
            device=device,
            workers=workers,
            precision=precision,
            select=select,
            texts=texts,
            pattern=pattern,
            overwrite=overwrite,
        )
        result = run_synthesis(ckpt, out_dir, options, on_progress)
    if result.status == "interrupted":
        if result.main:
            err.print(
                f"interrupted: {result.written:,} samples are complete and listed in {result.out}/; "
                "continue with the same command and --resume"
            )
        raise typer.Exit(130)
    if not result.main:  # under torchrun, rank 0 reports the merged set
        return
    if result.resized:
        err.print(result.resized)
    rate = result.generated_now / result.elapsed_s if result.elapsed_s else 0.0
    out.print(
        f"wrote {result.written:,} samples to {result.out}/ ({result.generated_now:,} now, {rate:,.0f} img/s); "
        f"{result.task.content_text(result.content_accuracy, result.content_cer)} (judge); "
        f"manifest {result.manifest.name}"
    )


@user_errors
def synth_merge(
    shards: Annotated[list[Path], typer.Argument(help="Folders holding the shards (one folder may hold several).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the merged set (may be a shard folder).")],
    overwrite: Annotated[
        bool, typer.Option(help="Replace what saae-augment wrote in --out before (never other files).")
    ] = False,
) -> None:
    """Join the shards of one `synth` run into one set, identical to an unsharded run."""
    from saae_augment.synthesis.run import merge_shards

    manifest = merge_shards(shards, out_dir, overwrite=overwrite)
    out.print(f"merged into {out_dir}/ (labels.csv, labels.txt, {manifest.name})")
