"""A procedural "plate photo" set: rendered plates through a camera-like augmentation.

This exists so the line pipeline can be shown and tested end to end offline, with no real plate
data on the machine. It is *not* a substitute for real plates: train the SAAE on the user's own
crops. Each plate is drawn clean (background, rim, text in the layout's colours), set into a
car-coloured surround, then passed through the `plate-photo` albumentations recipe (perspective,
tilt, shadow, mud, blur, noise, lighting, JPEG). Sample i depends only on (seed, i).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from saae_augment.data.augment import Augmenter
from saae_augment.data.fonts import Font, covering_font
from saae_augment.data.glyphs import SET_ENTRIES, render_text
from saae_augment.data.labelfiles import write_label_files
from saae_augment.data.plates import Layout, PlateTexts
from saae_augment.data.sheet import contact_sheet
from saae_augment.errors import UsageError
from saae_augment.manifest import write_manifest
from saae_augment.outfolder import claim_output
from saae_augment.seeding import derive_seed

PHOTO_AUGMENT = "plate-photo"


def draw_plate(text: str, layout: Layout, font: Font, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A clean plate (H×W×3 uint8) in a surround: the plate fills most of the frame, as a detector's crop."""
    h, w = size
    canvas = np.empty((h, w, 3), np.float32)
    canvas[:] = rng.uniform(30, 200, size=3)  # the car around the plate
    my, mx = int(round(h * rng.uniform(0.05, 0.12))), int(round(w * rng.uniform(0.04, 0.08)))
    ph, pw = h - 2 * my, w - 2 * mx
    bg = np.array(layout.background, np.float32) * rng.uniform(0.85, 1.1)
    shade = np.linspace(1.05, 0.9, ph, dtype=np.float32)[:, None, None]  # light from above
    plate = np.clip(bg[None, None] * shade, 0, 255) * np.ones((ph, pw, 3), np.float32)
    ink = np.array(layout.ink, np.float32)
    rim = max(1, ph // 24)
    plate[:rim], plate[-rim:], plate[:, :rim], plate[:, -rim:] = ink, ink, ink, ink
    inner = (ph - 4 * rim, pw - 8 * rim)
    mask = render_text(text, font, inner).astype(np.float32)[..., None] / 255.0
    region = plate[2 * rim : 2 * rim + inner[0], 4 * rim : 4 * rim + inner[1]]
    region[:] = region * (1 - mask) + ink * mask
    canvas[my : my + ph, mx : mx + pw] = plate
    return np.clip(canvas, 0, 255).astype(np.uint8)


def make_plate_photos(
    out: str | Path,
    n: int,
    preset: str = "plate-cn",
    size: tuple[int, int] = (64, 224),
    seed: int = 0,
    font: str | Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write n plate photos to `out` (images/, labels.csv, labels.txt, sheet.png, manifest.json).

    `out` must be new or empty unless `overwrite` (outfolder.py)."""
    if n < 1:
        raise UsageError("--n must be at least 1")
    texts = PlateTexts(preset)
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
            "note": "procedural demo data: train on real plates for real use",
        },
        seed,
    )
