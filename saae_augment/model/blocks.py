"""The one building block every SAAE network repeats: conv → BatchNorm → LeakyReLU."""

from __future__ import annotations

from torch import nn

LEAK = 0.2


def conv_bn_lrelu(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    """The paper's building block: 3x3 conv, BatchNorm, LeakyReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.LeakyReLU(LEAK, inplace=True),
    )
