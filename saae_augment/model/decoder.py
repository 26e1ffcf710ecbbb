"""The decoders: content map in, style in, an image in [0, 1] out.

`Decoder` (the paper's) reads the content map and a spatial style map side by side. `FiLMDecoder`
reads the style as a vector that scales and shifts every feature channel (FiLM / AdaIN-like
modulation): the style then has no spatial layout through which it could carry the *shape* of
its own character into the output, so it can only change how strokes are drawn.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from saae_augment.model.blocks import LEAK, conv_bn_lrelu


class Decoder(nn.Module):
    """The paper's decoder: content map and spatial style map concatenated, then convs to an image."""

    def __init__(self, width: int, out_channels: int):
        super().__init__()
        self.net = nn.Sequential(
            conv_bn_lrelu(2 * width, width),
            conv_bn_lrelu(width, width),
            nn.Conv2d(width, out_channels, 3, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, content_map: torch.Tensor, style_map: torch.Tensor) -> torch.Tensor:
        """An image from a content map and a style map of the same size."""
        return self.net(torch.cat([content_map, style_map], dim=1))


class FiLMDecoder(nn.Module):
    """A decoder whose channels the style vector scales and shifts, so style cannot carry a glyph's shape."""

    def __init__(self, width: int, out_channels: int, style_dim: int, layers: int = 2):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1, bias=False) for _ in range(layers))
        self.norms = nn.ModuleList(nn.BatchNorm2d(width, affine=False) for _ in range(layers))
        self.film = nn.Linear(style_dim, 2 * width * layers)
        nn.init.zeros_(self.film.weight)  # start as plain BatchNorm (scale 1, shift 0)
        nn.init.zeros_(self.film.bias)
        self.last = nn.Conv2d(width, out_channels, 3, padding=1)

    def forward(self, content_map: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """An image from a content map, modulated by the style vector."""
        params = self.film(style)[:, :, None, None].chunk(2 * len(self.convs), dim=1)
        h = content_map
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            scale, shift = params[2 * i], params[2 * i + 1]
            h = F.leaky_relu_(torch.addcmul(shift, norm(conv(h)), 1 + scale), LEAK)  # one pass, no copy
        return torch.sigmoid(self.last(h))
