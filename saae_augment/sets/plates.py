"""`data make-plates`: a procedural plate-photo set written as a folder (images, label files,
sheet, manifest). Each photo is drawn by data/platephotos.py; sample i depends only on (seed, i).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from saae_augment.data.augment import Augmenter
from saae_augment.data.fonts import Font, covering_font
from saae_augment.data.labelfiles import write_label_files
from saae_augment.data.platephotos import PHOTO_AUGMENT, draw_plate
from saae_augment.data.plates import PlateTexts, Skew
from saae_augment.data.sheet import contact_sheet
from saae_augment.errors import UsageError
from saae_augment.manifest import write_manifest
from saae_augment.outfolder import claim_output
from saae_augment.seeding import derive_seed
from saae_augment.sets.render import SET_ENTRIES


def make_plate_photos(
    out: str | Path,
    n: int,
    preset: str = "plate-cn",
    size: tuple[int, int] = (64, 224),
    seed: int = 0,
    font: str | Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    overwrite: bool = False,
    skew: Skew | None = None,
) -> Path:
    """Write n plate photos to `out` (images/, labels.csv, labels.txt, sheet.png, manifest.json).

    `skew` makes a long-tailed set (one first character on most plates, as in CCPD); without it
    every first character is equally likely. `out` must be new or empty unless `overwrite` (outfolder.py)."""
    if n < 1:
        raise UsageError("--n must be at least 1")
    texts = PlateTexts(preset, skew)
    chosen = covering_font(texts.charset, font)
    augment = Augmenter(PHOTO_AUGMENT)
    out = Path(out)
    with claim_output(out, "data make-plates", SET_ENTRIES, overwrite=overwrite):
        _draw_all(out, n, texts, chosen, augment, preset, size, seed, on_progress)
    return out


def _draw_all(
    out: Path,
    n: int,
    texts: PlateTexts,
    chosen: Font,
    augment: Augmenter,
    preset: str,
    size: tuple[int, int],
    seed: int,
    on_progress: Callable[[int, int], None] | None,
) -> None:
    (out / "images").mkdir(parents=True, exist_ok=True)
    rows, sheet_images, sheet_labels = [], [], []
    for i in range(n):
        text, layout = texts.draw(derive_seed(seed, "plate-photos"), i)  # not the texts synth draws
        rng = np.random.default_rng(derive_seed(seed, "plate-photo", i))
        photo = augment(draw_plate(text, layout, chosen, size, rng), derive_seed(seed, "plate-augment", i))
        rel = f"images/{i:06d}.png"
        Image.fromarray(photo).save(out / rel)
        rows.append({"path": rel, "label": text, "layout": layout.name})
        if len(sheet_images) < 48:
            sheet_images.append(photo)
            sheet_labels.append(text)
        if on_progress:
            on_progress(i + 1, n)
    write_label_files(out, rows)
    contact_sheet(sheet_images, sheet_labels, chosen, columns=4).save(out / "sheet.png")
    write_manifest(
        out,
        "data make-plates",
        {
            "n": n,
            "preset": preset,
            "size": list(size),
            "font": {k: str(v) for k, v in chosen.describe().items()},
            "augment": PHOTO_AUGMENT,
            "skew": texts.skew.describe() if texts.skew is not None else None,
            "note": "procedural demo data: train on real plates for real use",
        },
        seed,
    )
