"""The (k+1)-class discriminator: k real classes plus "fake" (index k).

Asking D for the class, not only real/fake, is what pushes G to write the *requested* content;
`binary` keeps the single real/fake output for the paper's ablation.
"""

from __future__ import annotations

import torch
from torch import nn

from saae_augment.model.blocks import LEAK, conv_bn_lrelu


class Discriminator(nn.Module):
    """The (k+1)-class discriminator: k real classes and `fake` (or real/fake with disc: binary)."""

    def __init__(self, in_channels: int, size: tuple[int, int], n_outputs: int, width: int, hidden: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1),
            nn.LeakyReLU(LEAK, inplace=True),
            nn.MaxPool2d(2),
            conv_bn_lrelu(width, 2 * width),
            conv_bn_lrelu(2 * width, 2 * width),
        )
        flat = 2 * width * (size[0] // 2) * (size[1] // 2)
        self.head = nn.Sequential(
            nn.Linear(flat, hidden), nn.LeakyReLU(LEAK, inplace=True), nn.Linear(hidden, n_outputs)
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """k+1 logits per image (or one, binary)."""
        return self.head(self.features(image).flatten(1))


class PatchDiscriminator(nn.Module):
    """Real/fake for text lines: strided convs score overlapping patches, averaged to one logit.

    A line's class is a sequence, so the "k classes" part of the (k+1)-class discriminator moves
    to a CTC recognition head (model/crnn.py) and this network keeps only the "+1": does it look
    real. Scoring patches keeps it size-agnostic and cheap at 32×128.
    """

    def __init__(self, in_channels: int, width: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1),
            nn.LeakyReLU(LEAK, inplace=True),
            conv_bn_lrelu(width, 2 * width, 2),
            conv_bn_lrelu(2 * width, 2 * width, 2),
            nn.Conv2d(2 * width, 1, 3, padding=1),
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """One real/fake logit per image, the mean of its patches' scores."""
        return self.net(image).mean((2, 3))  # B×1
