"""Content and style encoders.

The content encoder keeps full resolution (no downsampling), so the 2-D layout of a glyph or a
whole text line survives into the decoder. The style encoder summarises an image of any size
into one vector: only *how* things are written should pass through it, not *what*.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from saae_augment.model.blocks import LEAK, conv_bn_lrelu


class ContentEncoder(nn.Module):
    """Reads a clean rendered glyph into a content map at full resolution."""

    def __init__(self, in_channels: int, width: int):
        super().__init__()
        self.net = nn.Sequential(
            conv_bn_lrelu(in_channels, width), conv_bn_lrelu(width, width), conv_bn_lrelu(width, width)
        )

    def forward(self, glyph: torch.Tensor) -> torch.Tensor:
        """The content map of a batch of glyphs."""
        return self.net(glyph)


class StyleEncoder(nn.Module):
    """3 convs (two of them strided), pooled to a fixed grid, then a linear layer to the style vector.

    The pooling makes the vector independent of the style image's size: a word or a plate can
    be the style of a single character.
    """

    def __init__(self, in_channels: int, width: int, style_dim: int, grid: int):
        super().__init__()
        self.grid = grid
        self.net = nn.Sequential(
            conv_bn_lrelu(in_channels, width), conv_bn_lrelu(width, width, 2), conv_bn_lrelu(width, width, 2)
        )
        self.fc = nn.Linear(width * grid * grid, style_dim)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """One style vector per image."""
        h = F.adaptive_avg_pool2d(self.net(image), self.grid)
        return self.fc(h.flatten(1))


def repeated(style: torch.Tensor, r: int) -> torch.Tensor:
    """The style vectors of r batches that share their style images (encoded once, not r times)."""
    return style.repeat(r, 1) if r > 1 else style


class StyleToMap(nn.Module):
    """Turn the style vector into a map the size of the content map (decode to a grid, resize)."""

    def __init__(self, style_dim: int, width: int, grid: int):
        super().__init__()
        self.width, self.grid = width, grid
        self.fc = nn.Linear(style_dim, width * grid * grid)
        self.act = nn.LeakyReLU(LEAK)

    def forward(self, style: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """A style vector as a spatial map of the content map's size."""
        grid = self.act(self.fc(style)).view(-1, self.width, self.grid, self.grid)
        return F.interpolate(grid, size=size, mode="bilinear", align_corners=False)
