"""Contact sheets: a grid of images with their labels underneath, for people to look at.

Small images (8×8 digits) are enlarged with nearest-neighbour so pixels stay honest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from saae_augment.data.fonts import Font, covering_font, default_font_path, open_font
from saae_augment.errors import FontError

if TYPE_CHECKING:
    from saae_augment.data.load import LabeledImages

MAX_TILES = 400
MIN_TILE_HEIGHT = 48
GAP = 4
BACKGROUND = (64, 64, 64)
CAPTION_COLOUR = (255, 255, 255)


def _to_rgb(image: np.ndarray) -> Image.Image:
    img = Image.fromarray(image)
    return img.convert("RGB")


def _caption_font(labels: Sequence[str]) -> Font:
    """DejaVu Sans, or an installed font that draws every caption: plate labels start with a
    Chinese province, which DejaVu draws as a box. Boxes stay only where no installed font has them."""
    try:
        return covering_font("".join(sorted(set("".join(labels)))))
    except FontError:
        return open_font(default_font_path())


def contact_sheet(
    images: Sequence[np.ndarray], labels: Sequence[str], font: Font | None = None, columns: int | None = None
) -> Image.Image:
    """A grid of at most MAX_TILES images, each captioned with its label, in reading order."""
    if not images:
        raise ValueError("contact_sheet needs at least one image")
    shown = min(len(images), MAX_TILES)
    h = max(im.shape[0] for im in images[:shown])
    w = max(im.shape[1] for im in images[:shown])
    scale = max(1, math.ceil(MIN_TILE_HEIGHT / h))
    th, tw = h * scale, w * scale
    caption_px = max(10, min(18, th // 3))
    font = font or _caption_font(labels[:shown])
    pil_font = ImageFont.truetype(str(font.path), size=caption_px, index=font.index)
    cols = columns or max(1, min(shown, round(math.sqrt(shown * th / tw * 1.6))))
    rows = math.ceil(shown / cols)
    cell_h = th + caption_px + 2 * GAP
    cell_w = tw + GAP
    header = caption_px + 2 * GAP if shown < len(images) else 0
    sheet = Image.new("RGB", (cols * cell_w + GAP, header + rows * cell_h + GAP), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    if header:
        draw.text((GAP, GAP), f"first {shown} of {len(images)}", fill=CAPTION_COLOUR, font=pil_font)
    for i in range(shown):
        r, c = divmod(i, cols)
        x, y = GAP + c * cell_w, header + GAP + r * cell_h
        tile = _to_rgb(images[i]).resize((images[i].shape[1] * scale, images[i].shape[0] * scale), Image.NEAREST)
        sheet.paste(tile, (x, y))
        draw.text((x + tw / 2, y + th + GAP), labels[i], fill=CAPTION_COLOUR, font=pil_font, anchor="ma")
    return sheet


def class_sheet(data: LabeledImages, per_class: int = 8, max_classes: int = 40) -> Image.Image:
    """Up to `per_class` samples of each of the first `max_classes` classes, one class per row,
    all brought to the data set's most common size so a person can compare them at a glance."""

    from saae_augment.data.images import fit

    (w, h), _ = data.report.sizes.most_common(1)[0]
    scale = min(1.0, 64 / h, 256 / w)
    size = (max(4, round(h * scale)), max(4, round(w * scale)))
    picked: dict[str, list[int]] = {}
    for i, label in enumerate(data.labels):
        row = picked.setdefault(label, []) if len(picked) < max_classes or label in picked else None
        if row is not None and len(row) < per_class:
            row.append(i)
    order = [i for label in sorted(picked) for i in picked[label]]
    images = [fit(data.images[i], size) for i in order]
    return contact_sheet(images, [data.labels[i] for i in order], columns=per_class)


def real_beside_synthetic(
    real: Sequence[np.ndarray],
    real_labels: Sequence[str],
    synth: Sequence[np.ndarray],
    synth_labels: Sequence[str],
    per_row: int = 4,
    rows: int = 6,
) -> Image.Image:
    """Rows of real images, each followed by a row of synthetic ones, all at the synthetic
    size: whether the generated set looks like the user's own data is judged by eye first, and
    rows side by side make a different-looking object (no rim, no tilt, wrong colours) obvious."""
    from saae_augment.data.images import fit

    if not len(real) or not len(synth):
        raise ValueError("real_beside_synthetic needs real and synthetic images")
    size = synth[0].shape[:2]
    channels = 3 if any(im.ndim == 3 for im in [*real[:1], *synth[:1]]) else 1

    def shaped(im: np.ndarray) -> np.ndarray:
        im = fit(im, size)
        if channels == 3 and im.ndim == 2:
            im = np.repeat(im[..., None], 3, axis=2)
        return im

    per_row = min(per_row, len(real), len(synth))
    rows = min(rows, len(real) // per_row, len(synth) // per_row)  # whole rows only: pairs stay aligned
    images, labels = [], []
    for r in range(rows):
        block = range(r * per_row, (r + 1) * per_row)
        images += [shaped(real[i]) for i in block] + [shaped(synth[i]) for i in block]
        labels += [f"real {real_labels[i]}" for i in block] + [f"ours {synth_labels[i]}" for i in block]
    return contact_sheet(images, labels, columns=per_row)
