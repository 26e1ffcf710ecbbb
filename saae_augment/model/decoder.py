"""The decoder: content map and style map side by side in, an image in [0, 1] out."""

from __future__ import annotations

import torch
from torch import nn

from saae_augment.model.blocks import conv_bn_lrelu


class Decoder(nn.Module):
    def __init__(self, width: int, out_channels: int):
        super().__init__()
        self.net = nn.Sequential(
            conv_bn_lrelu(2 * width, width),
            conv_bn_lrelu(width, width),
            nn.Conv2d(width, out_channels, 3, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, content_map: torch.Tensor, style_map: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([content_map, style_map], dim=1))
