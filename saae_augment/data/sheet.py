"""Contact sheets: a grid of images with their labels underneath, for people to look at.

Small images (8×8 digits) are enlarged with nearest-neighbour so pixels stay honest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from saae_augment.data.fonts import Font, open_font, default_font_path

MAX_TILES = 400
MIN_TILE_HEIGHT = 48
GAP = 4
BACKGROUND = (64, 64, 64)
CAPTION_COLOUR = (255, 255, 255)


def _to_rgb(image: np.ndarray) -> Image.Image:
    img = Image.fromarray(image)
    return img.convert("RGB")


def contact_sheet(images: Sequence[np.ndarray], labels: Sequence[str], font: Font | None = None) -> Image.Image:
    """A grid of at most MAX_TILES images, each captioned with its label, in reading order."""
    if not images:
        raise ValueError("contact_sheet needs at least one image")
    shown = min(len(images), MAX_TILES)
    h = max(im.shape[0] for im in images[:shown])
    w = max(im.shape[1] for im in images[:shown])
    scale = max(1, math.ceil(MIN_TILE_HEIGHT / h))
    th, tw = h * scale, w * scale
    caption_px = max(10, min(18, th // 3))
    font = font or open_font(default_font_path())
    pil_font = ImageFont.truetype(str(font.path), size=caption_px, index=font.index)
    cols = max(1, min(shown, round(math.sqrt(shown * th / tw * 1.6))))
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
