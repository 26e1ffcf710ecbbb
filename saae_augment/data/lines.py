"""Content for text lines: the rendered lines themselves (which fonts draw them: fontchoice.py).

A line's content image is the whole text rendered at the line size (see `glyphs.render_text`):
the content encoder keeps its 2-D layout, so the decoder writes each character where the
rendering put it. Fonts must cover the whole charset (no tofu); for CJK plates that means a CJK
font, and the error says which package to install.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from saae_augment.data.fonts import Font
from saae_augment.data.glyphs import render_text


def render_lines(
    texts: Sequence[str], font_ids: Sequence[int], fonts: Sequence[Font], size: tuple[int, int], invert: bool
) -> np.ndarray:
    """N×H×W uint8: text i drawn with fonts[font_ids[i]]."""
    out = np.empty((len(texts), *size), np.uint8)
    for i, (t, f) in enumerate(zip(texts, font_ids, strict=True)):
        out[i] = render_text(t, fonts[f], size, invert)
    return out
