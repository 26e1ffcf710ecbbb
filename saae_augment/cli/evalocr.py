"""`saae-augment eval-ocr`: does our synthetic data make a recognizer better? Every regime, one table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from saae_augment.cli.output import err, make_progress, out, user_errors
from saae_augment.data.glyphs import parse_size
from saae_augment.errors import UsageError
from saae_augment.tasks import Task


def _ratios(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"--ratios {text!r} is not a comma-separated list of numbers (e.g. 0,1,2,5,10)") from None


@user_errors
def eval_ocr(
    train: Annotated[str, typer.Option(help="Real training set SPEC (a validation split is taken from it).")],
    test: Annotated[str, typer.Option(help="Real test set SPEC (read only for the final accuracy).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for results.json/.csv, plots, report.md.")],
    synth: Annotated[list[str] | None, typer.Option(help="Synthetic set folder(s) from `synth` (repeatable).")] = None,
    ratios: Annotated[str, typer.Option(help="Extra samples per real sample, e.g. 0,1,2,5,10.")] = "0,1,2,5,10",
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per regime and ratio (mean ± std).")] = 3,
    steps: Annotated[int, typer.Option(min=1, help="Training steps per run, the same for every regime.")] = 400,
    minutes: Annotated[float | None, typer.Option(min=0.01, help="Also stop each run after this long.")] = None,
    size: Annotated[
        str | None,
        typer.Option(help="Image size N or HxW (default: characters the test set's own, lines the synthetic set's)."),
    ] = None,
    regime: Annotated[list[str] | None, typer.Option(help="Only these regimes (repeatable).")] = None,
    ckpt: Annotated[Path | None, typer.Option(help="SAAE run that made --synth: its grid goes in the report.")] = None,
    task_name: Annotated[
        str | None,
        typer.Option(
            "--task", help="chars or lines (default: the synthetic set's task, else lines when a label is longer)."
        ),
    ] = None,
    rare: Annotated[
        str,
        typer.Option(
            help="Classes or characters to score apart, e.g. 5,6 or 皖,沪; auto: the training set's long tail "
            "(below a 4-fold gap in the training counts); none: off."
        ),
    ] = "auto",
    overwrite: Annotated[
        bool, typer.Option(help="Replace what saae-augment wrote in --out before (never other files).")
    ] = False,
) -> None:
    """Train a recognizer per regime (real, real+aug, real+fonts, real+aug+fonts, real+synth, real+aug+synth,
    synth) and compare."""
    from saae_augment.evaluation.report import metric_columns, table_rows, verdict, verdict_line
    from saae_augment.evaluation.run import evaluate_ocr

    progress = make_progress()
    bar = progress.add_task("training recognizers", total=None)

    def on_progress(done: int, total: int, row: dict[str, Any], task: Task) -> None:
        line = f"{row['regime']} r={row['ratio']} seed {row['seed']}: {task.score_text(row)}"
        progress.update(bar, completed=done, total=total, description=line)
        if not err.is_terminal:
            err.print(f"[{done}/{total}] {line}")

    with progress:
        result = evaluate_ocr(
            train,
            test,
            out_dir,
            synth or [],
            _ratios(ratios),
            seeds,
            steps,
            minutes,
            parse_size(size) if size else None,
            regime,
            on_progress=on_progress,
            ckpt=ckpt,
            overwrite=overwrite,
            task=task_name,
            rare=rare,
        )
    table = Table(
        Column("regime", no_wrap=True),
        Column("ratio", no_wrap=True),
        *metric_columns(result.summary, result.task),
        "seeds",
        title=f"eval-ocr: {train} → {test}",
        title_justify="left",
    )
    for row in table_rows(result.summary, result.task):
        table.add_row(*row)
    out.print(table)
    settings = result.settings
    err.print(f"read at {settings['size'][0]}×{settings['size'][1]} ({settings['size_from']})")
    for note in settings["size_notes"]:
        err.print(note)
    if settings["rare"]:
        rare = ", ".join(settings["rare"])
        err.print(f"rare ({settings['rare_from']}): {rare}; {settings['n_rare_test']:,} test item(s) hold one")
    v = verdict(result.summary)
    if v is not None:
        out.print(verdict_line(v))
    pictures = "accuracy.png, confusion.png, per_class.csv" if result.task.confusion else "accuracy.png"
    out.print(f"wrote {out_dir}/results.json, results.csv, {pictures}, report.md")
