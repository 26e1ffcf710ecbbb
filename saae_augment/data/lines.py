"""Content for text lines: which fonts can draw a charset, and the rendered lines themselves.

A line's content image is the whole text rendered at the line size (see `glyphs.render_text`):
the content encoder keeps its 2-D layout, so the decoder writes each character where the
rendering put it. Fonts must cover the whole charset (no tofu); for CJK plates that means a CJK
font, and the error says which package to install.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from saae_augment.data.datasets import glyph_bank, reads_as_itself
from saae_augment.data.fonts import Font, covering_font, installed_fonts
from saae_augment.data.glyphs import render_text


def line_fonts(charset: str, font: str | Path | None, n: int) -> list[Font]:
    """The covering font first, then up to n-1 other installed fonts that cover the charset and
    draw it recognisably: fallback fonts such as Last Resort claim every character in their
    character map but draw boxes, and symbol fonts draw other shapes (same check as for glyphs)."""
    first = covering_font(charset, font)
    fonts = [first]
    banks = []
    for candidate in installed_fonts():
        if len(fonts) >= n:
            break
        if candidate.missing(charset) or any(candidate.path == f.path and candidate.index == f.index for f in fonts):
            continue
        if not banks:
            banks.append(glyph_bank(list(charset), first, (32, 32), 1, False))
        bank = glyph_bank(list(charset), candidate, (32, 32), 1, False)
        # the same drawings under another file (a second copy of DejaVu Sans) add no variety
        if any(torch.equal(bank, b) for b in banks) or not reads_as_itself(bank, banks[0]):
            continue
        banks.append(bank)
        fonts.append(candidate)
    return fonts


def render_lines(
    texts: Sequence[str], font_ids: Sequence[int], fonts: Sequence[Font], size: tuple[int, int], invert: bool
) -> np.ndarray:
    """N×H×W uint8: text i drawn with fonts[font_ids[i]]."""
    out = np.empty((len(texts), *size), np.uint8)
    for i, (t, f) in enumerate(zip(texts, font_ids, strict=True)):
        out[i] = render_text(t, fonts[f], size, invert)
    return out
