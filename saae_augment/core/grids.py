"""Style-transfer grids: the picture that shows at a glance whether style transfer works.

Row 0 holds the content glyphs; every other row starts with a real style image, followed by
every class written in that style. Good: each row looks like its style image, each column reads
as its glyph. Copying: each row repeats its style image's character.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image

from saae_augment.data.datasets import to_uint8

MAX_COLUMNS = 40
GAP = 2
SEPARATOR = 6
BACKGROUND = 96


@torch.no_grad()
def generate(
    G: torch.nn.Module, glyphs: torch.Tensor, styles: torch.Tensor, requested: torch.Tensor, batch_size: int = 256
) -> torch.Tensor:
    """G(glyph(requested[i]), styles[i]) in eval mode (BatchNorm running statistics)."""
    was_training = G.training
    G.eval()
    device = glyphs.device
    out = [
        G(glyphs[requested[i : i + batch_size].to(device)], styles[i : i + batch_size].to(device)).float()
        for i in range(0, len(requested), batch_size)
    ]
    G.train(was_training)
    return torch.cat(out)


def style_transfer_grid(G: torch.nn.Module, glyphs: torch.Tensor, styles: torch.Tensor) -> Image.Image:
    """`glyphs` k×C×H×W (one per class), `styles` R×C×H×W real images → a PIL RGB grid."""
    k = min(glyphs.shape[0], MAX_COLUMNS)
    rows = styles.shape[0]
    requested = torch.arange(k).repeat(rows)
    style_rows = styles.repeat_interleave(k, dim=0)
    samples = to_uint8(generate(G, glyphs[:k], style_rows, requested))
    glyph_tiles = to_uint8(glyphs[:k])
    style_tiles = to_uint8(styles)
    h, w = glyph_tiles.shape[1:3]
    scale = max(1, math.ceil(32 / h))
    th, tw = h * scale, w * scale
    width = SEPARATOR + (k + 1) * (tw + GAP) + GAP
    height = SEPARATOR + (rows + 1) * (th + GAP) + GAP
    canvas = Image.new("RGB", (width, height), (BACKGROUND,) * 3)

    def paste(tile: np.ndarray, row: int, col: int) -> None:
        x = GAP + col * (tw + GAP) + (SEPARATOR if col > 0 else 0)
        y = GAP + row * (th + GAP) + (SEPARATOR if row > 0 else 0)
        canvas.paste(Image.fromarray(tile).convert("RGB").resize((tw, th), Image.NEAREST), (x, y))

    for c in range(k):
        paste(glyph_tiles[c], 0, c + 1)
    for r in range(rows):
        paste(style_tiles[r], r + 1, 0)
        for c in range(k):
            paste(samples[r * k + c], r + 1, c + 1)
    return canvas
