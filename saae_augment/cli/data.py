"""`saae-augment data inspect`: what a data set holds and everything wrong with it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from saae_augment.cli.output import err, out, progress_bar, user_errors
from saae_augment.data.charsets import CHARSETS, resolve_charset
from saae_augment.data.load import LabeledImages, load_dataset
from saae_augment.data.report import PROBLEM_KINDS
from saae_augment.data.sheet import class_sheet

app = typer.Typer(help="Look at labeled data sets.", no_args_is_help=True, rich_markup_mode=None)

MAX_CLASS_ROWS = 40
MAX_PROBLEM_LINES = 100


def summary(data: LabeledImages) -> dict:
    """The inspect report as plain data (also what --json prints)."""
    r = data.report
    counts = Counter(data.labels)
    return {
        "source": r.source,
        "format": r.format,
        "listed": r.listed,
        "images": len(data),
        "classes": len(counts),
        "per_class": dict(sorted(counts.items())),
        "charset": data.charset,
        "sizes": {f"{w}x{h}": n for (w, h), n in r.sizes.most_common()},
        "modes": dict(r.modes.most_common()),
        "converted": dict(r.converted),
        "skipped": r.skipped,
        "problem_counts": dict(r.problem_counts()),
        "outside_charset": dict(r.outside_charset.most_common()),
        "problems": [{"kind": p.kind, "source": p.source, "detail": p.detail} for p in r.problems],
        "ignored_files": r.ignored_files,
    }


def _print(s: dict) -> None:
    out.print(
        f"[bold]{escape(s['source'])}[/] (format: {s['format']}): {s['images']:,} image(s) in "
        f"{s['classes']:,} class(es); {s['listed']:,} listed, {s['skipped']:,} skipped",
        markup=True,
    )
    table = Table("class", "images", title="images per class", title_justify="left")
    for label, n in list(s["per_class"].items())[:MAX_CLASS_ROWS]:
        table.add_row(label, f"{n:,}")
    out.print(table)
    if len(s["per_class"]) > MAX_CLASS_ROWS:
        out.print(f"… and {len(s['per_class']) - MAX_CLASS_ROWS:,} more classes (use --json for all)")
    out.print(f"charset ({len(s['charset'])}): {s['charset']}")
    out.print("sizes (WxH): " + ", ".join(f"{k} ×{v:,}" for k, v in list(s["sizes"].items())[:8]))
    out.print("modes: " + ", ".join(f"{k} ×{v:,}" for k, v in s["modes"].items()))
    if s["converted"]:
        out.print("converted: " + ", ".join(f"{k} ×{v:,}" for k, v in s["converted"].items()))
    if s["ignored_files"]:
        shown = ", ".join(s["ignored_files"][:10])
        out.print(f"ignored {len(s['ignored_files'])} non-image file(s): {shown}")
    if not s["problems"]:
        out.print("[green]no problems found[/]", markup=True)
        return
    out.print(f"[bold yellow]{len(s['problems']):,} problem(s); these samples are skipped:[/]", markup=True)
    for kind, n in s["problem_counts"].items():
        out.print(f"  {kind} ×{n:,} ({PROBLEM_KINDS.get(kind, kind)})")
    if s["outside_charset"]:
        out.print(
            "  characters outside the charset: " + ", ".join(f"{c!r} ×{n:,}" for c, n in s["outside_charset"].items())
        )
    for p in s["problems"][:MAX_PROBLEM_LINES]:
        out.print(f"  {p['source']}: {p['detail']}", markup=False)
    if len(s["problems"]) > MAX_PROBLEM_LINES:
        out.print(f"  … and {len(s['problems']) - MAX_PROBLEM_LINES:,} more (use --json for all)")


@app.command("inspect")
@user_errors
def inspect(
    spec: Annotated[str, typer.Argument(help="digits, a folder, or FORMAT:PATH (csv, txt, folders, idx, lmdb).")],
    charset: Annotated[
        str | None, typer.Option(help=f"Named charset to check labels against: {', '.join(CHARSETS)}.")
    ] = None,
    chars: Annotated[str | None, typer.Option(help="Literal charset to check labels against.")] = None,
    chars_file: Annotated[Path | None, typer.Option(help="File of allowed characters.")] = None,
    strict: Annotated[bool, typer.Option(help="Exit non-zero if any problem is found.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report as JSON instead of tables.")] = False,
    sheet: Annotated[
        Path | None, typer.Option(help="Also write a contact sheet PNG: a few samples of each class.")
    ] = None,
) -> None:
    """Count images per class, sizes, modes and charset, and list every problem found."""
    allowed = resolve_charset(charset, chars, chars_file)
    with progress_bar("reading") as on_progress:
        data = load_dataset(spec, charset=allowed, on_progress=on_progress)
    s = summary(data)
    if sheet is not None:
        class_sheet(data).save(sheet)
        err.print(f"wrote {sheet}")
    if as_json:
        typer.echo(json.dumps(s, ensure_ascii=False, indent=2))
    else:
        _print(s)
    if strict and s["problems"]:
        err.print(
            f"[bold red]error:[/] {len(s['problems'])} problem(s) in {escape(s['source'])} (--strict)", markup=True
        )
        raise typer.Exit(1)


@app.command("split")
@user_errors
def split(
    spec: Annotated[str, typer.Argument(help="Data set SPEC to split.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for train/ and test/ (labels.csv folders).")],
    per_class: Annotated[
        int | None, typer.Option(help="Training images per class; without --test-per-class the rest are the test set.")
    ] = None,
    test_per_class: Annotated[
        int | None, typer.Option(help="Test images per class (a balanced test set); the rest train, up to --per-class.")
    ] = None,
    rare: Annotated[
        list[str] | None,
        typer.Option(
            help="GROUPS:K, e.g. 5,6,7,8,9:2 or 皖,沪:3: these get K training images (a long tail; repeatable)."
        ),
    ] = None,
    by: Annotated[
        str, typer.Option(help="Group by the whole label, or by its first character (lines: a plate's province).")
    ] = "label",
    seed: Annotated[int, typer.Option(help="Which images go to train.")] = 0,
    overwrite: Annotated[
        bool, typer.Option(help="Replace what saae-augment wrote in --out before (never other files).")
    ] = False,
) -> None:
    """Split a labeled set into train/ and test/: K training images per class, a long tail, a balanced test set."""
    from saae_augment.sets.split import SplitPlan, parse_rare_counts, split_dataset

    plan = SplitPlan(per_class, test_per_class, parse_rare_counts(rare or []), by)
    counts = split_dataset(spec, plan, out_dir, seed, overwrite=overwrite)
    unused = f"; {counts['unused']:,} left out" if counts["unused"] else ""
    out.print(
        f"wrote {out_dir}/train ({counts['train']:,} images) and {out_dir}/test ({counts['test']:,} images){unused}"
    )


@app.command("make-plates")
@user_errors
def make_plates(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for images/, labels.csv, labels.txt, sheet.png.")],
    n: Annotated[int, typer.Option("--n", help="How many plate photos.")] = 500,
    preset: Annotated[
        str, typer.Option(help="Plate preset (plate-cn, plate-cn-blue, plate-eu, plate-us, ...) or a pattern.")
    ] = "plate-cn",
    size: Annotated[str, typer.Option(help="Photo size HxW.")] = "64x224",
    seed: Annotated[int, typer.Option(help="Which plates: the same seed gives the same files.")] = 0,
    font: Annotated[str | None, typer.Option(help="Font file, folder or family (default: one that covers).")] = None,
    skew: Annotated[
        str | None,
        typer.Option(help="A long tail like CCPD's: CHAR=SHARE puts CHAR first on SHARE of the plates, e.g. 皖=0.8."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace what saae-augment wrote in --out before (never other files).")
    ] = False,
) -> None:
    """Make a procedural plate-photo set (demo and test data; train on real plates for real use)."""
    from saae_augment.data.glyphs import parse_size
    from saae_augment.data.plates import parse_skew
    from saae_augment.sets.plates import make_plate_photos

    skewed = parse_skew(skew) if skew is not None else None
    with progress_bar("drawing plates") as on_progress:
        make_plate_photos(
            out_dir, n, preset, parse_size(size), seed, font, on_progress, overwrite=overwrite, skew=skewed
        )
    out.print(f"wrote {n:,} plate photos to {out_dir} (see {out_dir / 'sheet.png'})")
