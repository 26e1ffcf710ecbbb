"""The decoder, rearranged for bulk inference. The same function, computed in fewer operations.

The first decoder layer convolves the concatenation [content map, style map]. A convolution of
a concatenation is the sum of convolutions of its parts (zero padding is per channel), and the
content part depends only on the class: so it is computed once per class, and each sample pays
for the style half only. BatchNorm in eval mode is an affine map per channel and is folded into
the convolutions before it. For the `fast` arch at 32×32 this is about a third fewer
multiply-adds per sample, and no concatenation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from saae_augment.model.blocks import LEAK
from saae_augment.model.saae import Generator


def _bn_affine(bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


class CachedDecoder(nn.Module):
    """The concat decoder with its first layer folded per class: only the style part runs per sample."""

    def __init__(self, G: Generator, content_maps: torch.Tensor):
        super().__init__()
        first, second, last = G.decoder.net[0], G.decoder.net[1], G.decoder.net[2]
        conv1, bn1 = first[0], first[1]
        width = content_maps.shape[1]
        scale, shift = _bn_affine(bn1)
        w_content, w_style = conv1.weight[:, :width], conv1.weight[:, width:]
        with torch.no_grad():
            content_part = F.conv2d(content_maps, w_content, padding=1)
            self.register_buffer("content_part", content_part * scale[:, None, None] + shift[:, None, None])
            self.register_buffer("w_style", w_style * scale[:, None, None, None])
        self.second = fuse_conv_bn_eval(second[0].eval(), second[1].eval())
        self.last = last

    def forward(self, classes: torch.Tensor, style_map: torch.Tensor) -> torch.Tensor:
        """Images for classes `cls` in styles `style_map`, the content part precomputed."""
        h = F.conv2d(style_map, self.w_style, padding=1) + self.content_part[classes]
        h = F.leaky_relu(h, LEAK)
        h = F.leaky_relu(self.second(h), LEAK)
        return torch.sigmoid(self.last(h))
