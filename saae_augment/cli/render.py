"""`saae-augment render`: clean content glyphs from fonts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from saae_augment.cli.output import err, out, progress_bar, user_errors
from saae_augment.data.charsets import CHARSETS, resolve_charset
from saae_augment.data.glyphs import parse_size
from saae_augment.data.textfiles import read_texts_file
from saae_augment.errors import UsageError
from saae_augment.sets.render import write_glyph_set


@user_errors
def render(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write images/, labels.csv, labels.txt, sheet.png.")],
    charset: Annotated[
        str | None, typer.Option(help=f"Named charset: {', '.join(CHARSETS)}. One glyph per character.")
    ] = None,
    chars: Annotated[str | None, typer.Option(help="Literal characters, one glyph each.")] = None,
    chars_file: Annotated[Path | None, typer.Option(help="File of characters (UTF-8), one glyph each.")] = None,
    text: Annotated[list[str] | None, typer.Option(help="A whole line to render, e.g. 京A12345 (repeatable).")] = None,
    texts_file: Annotated[Path | None, typer.Option(help="File with one text line per line (UTF-8).")] = None,
    font: Annotated[
        str | None,
        typer.Option(
            help="Font file, folder of fonts, or installed family name. Default: DejaVu Sans, or an "
            "installed font that has every character (e.g. a CJK font for plate-cn)."
        ),
    ] = None,
    size: Annotated[str, typer.Option(help="N (square) or HxW, e.g. 32 or 32x128.")] = "32",
    invert: Annotated[bool, typer.Option(help="Black text on white instead of white on black.")] = False,
    on_missing: Annotated[
        str, typer.Option(help="error: stop if a font lacks a character; skip: leave those texts out, and say so.")
    ] = "error",
    overwrite: Annotated[
        bool, typer.Option(help="Replace what saae-augment wrote in --out before (never other files).")
    ] = False,
) -> None:
    """Render content glyphs (single characters or whole lines) from fonts, never a tofu box.

    With --text/--texts-file, whole lines are rendered and a charset (if given) checks them;
    otherwise every character of the charset is rendered on its own.
    """
    hw = parse_size(size)
    allowed = resolve_charset(charset, chars, chars_file)
    texts = list(text or []) + (read_texts_file(texts_file) if texts_file else [])
    if texts:
        if allowed is not None:
            outside = "".join(dict.fromkeys(c for t in texts for c in t if c not in allowed and not c.isspace()))
            if outside:
                raise UsageError(f"text has characters outside the charset: {outside!r}")
    elif allowed is not None:
        texts = list(allowed)
    else:
        raise UsageError("nothing to render: give --charset, --chars, --chars-file, --text or --texts-file")
    with progress_bar("rendering") as on_progress:
        report = write_glyph_set(out_dir, texts, font, hw, invert, on_missing, on_progress, overwrite=overwrite)
    for font_name, missing in report.skipped.items():
        err.print(f"[yellow]skipped:[/] {escape(font_name)} lacks {escape(repr(missing))}", markup=True)
    if report.skipped_texts:
        err.print(f"[yellow]skipped {report.skipped_texts} text/font pair(s) with missing glyphs[/]", markup=True)
    out.print(
        f"rendered {report.rendered} glyph image(s) at {hw[0]}x{hw[1]} to {out_dir}/ "
        "(images/, labels.csv, labels.txt, sheet.png, manifest.json)"
    )
