"""`render`: a labeled set of clean glyphs from fonts, written as a folder (images, label files,
contact sheet, manifest). Drawing is data/glyphs.py's; this module owns the folder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image

from saae_augment.data.glyphs import Glyph, RenderReport, parse_size, render_glyphs
from saae_augment.data.labelfiles import write_label_files
from saae_augment.data.sheet import contact_sheet
from saae_augment.manifest import write_manifest
from saae_augment.outfolder import claim_output

# What a labeled set we write (render, make-plates) holds (the ledger lists these; see outfolder.py).
SET_ENTRIES = ["images", "labels.csv", "labels.txt", "sheet.png", "manifest.json"]


def write_glyph_set(
    out_dir: str | Path,
    texts: Sequence[str],
    font: str | Path | None = None,
    size: str | int | tuple[int, int] = 32,
    invert: bool = False,
    on_missing: str = "error",
    on_progress: Callable[[int, int], None] | None = None,
    overwrite: bool = False,
) -> RenderReport:
    """Render and write `images/NNNNNN.png`, `labels.csv`, `labels.txt`, `sheet.png`, `manifest.json`.

    File names are indices, never labels: a label may hold `/`, `:` or characters a file system
    refuses. Everything is rendered before the first file is written, so a font error leaves
    no half-written folder. `out_dir` must be new or empty unless `overwrite` (outfolder.py).
    """
    hw = parse_size(size)
    out = Path(out_dir)
    with claim_output(out, "render", SET_ENTRIES, overwrite=overwrite):
        glyphs, report = render_glyphs(texts, font, hw, invert, on_missing, on_progress)
        _write_glyphs(out, glyphs, report, texts, hw, invert, on_missing)
    return report


def _write_glyphs(
    out: Path,
    glyphs: list[Glyph],
    report: RenderReport,
    texts: Sequence[str],
    hw: tuple[int, int],
    invert: bool,
    on_missing: str,
) -> None:
    images_dir = out / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    many_fonts = len({g.font for g in glyphs}) > 1
    for i, g in enumerate(glyphs):
        rel = f"images/{i:06d}.png"
        Image.fromarray(g.image).save(out / rel)
        row = {"path": rel, "label": g.text}
        if many_fonts:
            row["font"] = g.font.name
        rows.append(row)
    write_label_files(out, rows)
    contact_sheet([g.image for g in glyphs], [g.text for g in glyphs], glyphs[0].font).save(out / "sheet.png")
    fonts = list({g.font: None for g in glyphs})
    write_manifest(
        out,
        command="render",
        settings={
            "size": list(hw),
            "invert": invert,
            "on_missing": on_missing,
            "fonts": [f.describe() for f in fonts],
            "texts": len(texts),
            "rendered": report.rendered,
            "skipped_texts": report.skipped_texts,
            "skipped_characters": report.skipped,
        },
    )
