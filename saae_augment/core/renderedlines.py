"""Rendered lines: labeled lines the tool draws itself, as many as a reader needs, degraded the
way photos are (blur, noise, low contrast, either polarity, small warps).

A CRNN trained with CTC on a few hundred hard real lines sits on its all-blank plateau for much
of its budget; pretrained on these lines first (core/readerstart.py), it only has to adapt to
the real lines' look. Texts are random strings of the charset, as long as real lines are, so
the reader learns characters, not a lexicon.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from saae_augment.data.fontchoice import line_fonts
from saae_augment.data.fonts import Font
from saae_augment.data.glyphs import render_text
from saae_augment.data.warp import jitter
from saae_augment.errors import FontError, UsageError
from saae_augment.seeding import derive_seed, torch_generator

N_FONTS = 4


class RenderedLines:
    """Degraded rendered lines over `charset` at `size`; batch k depends on (seed, k) alone."""

    def __init__(self, charset: str, size: tuple[int, int], fonts: Sequence[Font]):
        self.charset, self.size, self.fonts = charset, size, list(fonts)

    @classmethod
    def for_charset(cls, charset: str, size: tuple[int, int]) -> RenderedLines | None:
        """Lines in up to N_FONTS installed fonts that draw the whole charset; None where no
        installed font covers it (a CJK charset without a CJK font): the reader then starts cold."""
        fonts = _fonts_for(charset)
        return cls(charset, size, list(fonts)) if fonts else None

    def batch(self, lengths: Sequence[int], seed: int, step: int) -> tuple[np.ndarray, list[str]]:
        """One line per entry of `lengths` (uint8 N×H×W) and its text."""
        rng = np.random.default_rng(derive_seed(seed, "rendered-lines", step))
        texts, images = [], []
        for n in lengths:
            for _ in range(8):  # a text too wide for the canvas in this font: draw another
                text = "".join(rng.choice(list(self.charset), size=max(1, n)))
                font = self.fonts[int(rng.integers(len(self.fonts)))]
                try:
                    images.append(render_text(text, font, self.size))
                    texts.append(text)
                    break
                except UsageError:
                    n = max(1, n - 1)
        x = torch.from_numpy(np.stack(images)).float().div_(255.0)[:, None]
        return _degrade(x, torch_generator(seed, "rendered-degrade", step)), texts


@functools.lru_cache(maxsize=8)
def _fonts_for(charset: str) -> tuple[Font, ...]:
    """The fonts for a charset, chosen once per process: eval-ocr fits a reader per regime and
    seed, and choosing renders every installed font's probe."""
    try:
        return tuple(line_fonts(charset, None, N_FONTS))
    except FontError:
        return ()


def _degrade(x: torch.Tensor, g: torch.Generator) -> np.ndarray:
    """Warp, blur, contrast, polarity and noise, each drawn per line."""
    n = x.shape[0]
    x = jitter(x, g, 0.5, fill=0.0)  # half the content warp: a line stays inside its canvas
    sigma = torch.rand(n, generator=g) * 1.5  # up to 1.5 px of blur
    k = torch.arange(-3, 4, dtype=torch.float32)
    kernels = torch.exp(-(k[None] ** 2) / (2 * sigma[:, None].clamp_min(0.3) ** 2))
    kernels = kernels / kernels.sum(1, keepdim=True)
    x = x.transpose(0, 1)  # 1×N×H×W: one grouped conv blurs each line with its own kernel
    x = F.conv2d(F.pad(x, (3, 3, 0, 0), mode="replicate"), kernels[:, None, None, :], groups=n)
    x = F.conv2d(F.pad(x, (0, 0, 3, 3), mode="replicate"), kernels[:, None, :, None], groups=n).transpose(0, 1)
    paper = torch.rand(n, 1, 1, 1, generator=g) * 0.6  # ink and paper grey levels, contrast 0.2..1
    ink = paper + 0.2 + torch.rand(n, 1, 1, 1, generator=g) * (1.0 - 0.2 - paper)
    x = paper + x * (ink - paper)
    flip = torch.rand(n, 1, 1, 1, generator=g) < 0.5  # dark on light as often as light on dark
    x = torch.where(flip, 1.0 - x, x)
    x = x + torch.randn(x.shape, generator=g) * torch.rand(n, 1, 1, 1, generator=g) * 0.08
    return x.clamp(0, 1).mul(255).round().to(torch.uint8)[:, 0].numpy()
