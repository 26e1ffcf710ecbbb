"""Inference-only speed: fold each BatchNorm into the convolution before it.

In eval mode a BatchNorm is a per-channel affine map, so conv → BN is one conv with adjusted
weights and bias. At 32×128 the separate BN passes cost about a tenth of synthesis time; folding
them changes results only by float rounding. Never used for training (BN must keep learning).
"""

from __future__ import annotations

import copy

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


def _fuse_pairs(convs: list[nn.Module], norms: list[nn.Module]) -> list[tuple[nn.Module, nn.Module]]:
    return [(fuse_conv_bn_eval(c, b), nn.Identity()) for c, b in zip(convs, norms, strict=True)]


def fuse_conv_bn(module: nn.Module) -> nn.Module:
    """A copy of `module` (in eval mode) with every Conv2d → BatchNorm2d pair folded into the conv:
    pairs that follow each other in an nn.Sequential, and the parallel `convs`/`norms` lists of
    the FiLM decoder."""
    fused = copy.deepcopy(module).eval()
    for m in list(fused.modules()):
        if isinstance(m, nn.Sequential):
            keys = list(m._modules)
            for a, b in zip(keys, keys[1:], strict=False):
                conv, norm = m._modules[a], m._modules[b]
                if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                    m._modules[a], m._modules[b] = fuse_conv_bn_eval(conv, norm), nn.Identity()
        convs, norms = getattr(m, "convs", None), getattr(m, "norms", None)
        if isinstance(convs, nn.ModuleList) and isinstance(norms, nn.ModuleList):
            if all(isinstance(c, nn.Conv2d) for c in convs) and all(isinstance(b, nn.BatchNorm2d) for b in norms):
                pairs = _fuse_pairs(list(convs), list(norms))
                m.convs = nn.ModuleList(c for c, _ in pairs)
                m.norms = nn.ModuleList(b for _, b in pairs)
    return fused
