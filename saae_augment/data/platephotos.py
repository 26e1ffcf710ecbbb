"""A procedural "plate photo" set: rendered plates through a camera-like augmentation.

This exists so the line pipeline can be shown and tested end to end offline, with no real plate
data on the machine. It is *not* a substitute for real plates: train the SAAE on the user's own
crops. Each plate is drawn clean (background, rim, text in the layout's colours), set into a
car-coloured surround, then passed through the `plate-photo` albumentations recipe (perspective,
tilt, shadow, mud, blur, noise, lighting, JPEG). Sample i depends only on (seed, i).
"""

from __future__ import annotations

import numpy as np

from saae_augment.data.fonts import Font
from saae_augment.data.glyphs import render_text
from saae_augment.data.plates import Layout

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
