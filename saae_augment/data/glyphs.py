"""Clean content glyphs: the SAAE's content input, and what the `render` command writes (sets/render.py).

Every glyph of a render is drawn at one em scale with one baseline, so a lowercase 'a' stays
smaller than 'A', '1' stays thinner than 'M', and descenders hang below the line: the content
encoder must see the shapes' true proportions, not each character stretched to fill its box.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from saae_augment.data.fonts import Font, covering_font, missing_glyphs_message, resolve_fonts
from saae_augment.errors import FontError, UsageError

# The font's ascent + descent fills this share of the image height; the rest is margin, so
# accents and descenders are never clipped.
LINE_FILL = 0.92
# Ink never comes closer than this share of the width to the left and right edges.
SIDE_FILL = 0.94
# A line shrunk below this share of its size to fit the canvas is refused: at 32 px high it would
# be under 7 px, a grey smear rather than text (a 10,000-character line drew a flat grey image).
MIN_TEXT_SCALE = 0.3
_REFERENCE_PX = 1000


@dataclass(frozen=True)
class Glyph:
    """One rendered text: the image (uint8, H×W, white ink on black unless inverted) and its label."""

    text: str
    image: np.ndarray
    font: Font


@dataclass(frozen=True)
class RenderReport:
    """What was drawn and what was left out (with --on-missing skip): never silent."""

    rendered: int
    skipped: dict[str, str]  # font name -> characters it lacks, for every font that lacked some
    skipped_texts: int


def parse_size(size: str | int | Sequence[int]) -> tuple[int, int]:
    """`32` → (32, 32); `32x128` → (32, 128): height × width, as OCR people write line sizes."""
    if isinstance(size, int):
        h = w = size
    elif isinstance(size, str):
        parts = size.lower().replace("×", "x").split("x")
        try:
            nums = [int(p) for p in parts]
        except ValueError:
            raise UsageError(f"size {size!r} is not N or HxW (e.g. 32 or 32x128)") from None
        if len(nums) == 1:
            h = w = nums[0]
        elif len(nums) == 2:
            h, w = nums
        else:
            raise UsageError(f"size {size!r} is not N or HxW (e.g. 32 or 32x128)")
    else:
        h, w = (int(v) for v in size)
    if not (4 <= h <= 4096 and 4 <= w <= 4096):
        raise UsageError(f"size {h}x{w} is out of range: height and width must be between 4 and 4096")
    return h, w


@lru_cache(maxsize=64)
def _pil_font(path: str, index: int, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=px, index=index)


def _em_px(font: Font, height: int) -> int:
    """Pixel size at which the font's ascent + descent fills LINE_FILL of the height."""
    ascent, descent = _pil_font(str(font.path), font.index, _REFERENCE_PX).getmetrics()
    return max(1, int(LINE_FILL * height * _REFERENCE_PX / (ascent + descent)))


def text_scale(text: str, font: Font, size: tuple[int, int]) -> float:
    """The scale (1.0 = the font's em scale for the canvas height) `text` is drawn at to fit."""
    height, width = size
    pil = _pil_font(str(font.path), font.index, _em_px(font, height))
    left, _, right, _ = pil.getbbox(text, anchor="ls")
    return min(1.0, SIDE_FILL * width / max(1, right - left))


def check_fits(texts: Sequence[str], font: Font, size: tuple[int, int]) -> None:
    """Refuse a text so long for the canvas that it would be drawn below MIN_TEXT_SCALE of its
    size: the model would get a grey smear and its label would be a lie."""
    for text in dict.fromkeys(texts):
        scale = text_scale(text, font, size)
        if scale < MIN_TEXT_SCALE:
            fits = max(1, int(len(text) * scale / MIN_TEXT_SCALE))
            shown = text if len(text) <= 24 else text[:24] + "…"
            raise UsageError(
                f"text {shown!r} ({len(text):,} characters) is too long for a {size[0]}x{size[1]} canvas: about "
                f"{fits} characters fit readably (drawn at least {MIN_TEXT_SCALE:.0%} of full size); "
                "give shorter texts or a wider size"
            )


def render_text(text: str, font: Font, size: tuple[int, int], invert: bool = False) -> np.ndarray:
    """Draw `text` centred on a black H×W canvas at the font's em scale for that height.

    Text wider than the canvas at that scale (a long line) is drawn smaller until it fits,
    with the same baseline: never clipped, and never below MIN_TEXT_SCALE (UsageError). The
    caller checks glyph coverage first.
    """
    height, width = size
    px = _em_px(font, height)
    pil = _pil_font(str(font.path), font.index, px)
    left, _, right, _ = pil.getbbox(text, anchor="ls")
    if right - left > SIDE_FILL * width:
        if SIDE_FILL * width / (right - left) < MIN_TEXT_SCALE:
            check_fits([text], font, size)
        px = max(1, int(px * SIDE_FILL * width / (right - left)))
        pil = _pil_font(str(font.path), font.index, px)
        left, _, right, _ = pil.getbbox(text, anchor="ls")
    ascent, descent = pil.getmetrics()
    baseline = (height - (ascent + descent)) / 2 + ascent
    x = (width - (right - left)) / 2 - left
    canvas = Image.new("L", (width, height), 0)
    ImageDraw.Draw(canvas).text((x, baseline), text, fill=255, font=pil, anchor="ls")
    arr = np.asarray(canvas)
    return 255 - arr if invert else arr.copy()


def render_glyphs(
    texts: Sequence[str],
    font: str | Path | Font | Sequence[Font] | None = None,
    size: str | int | tuple[int, int] = 32,
    invert: bool = False,
    on_missing: str = "error",
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Glyph], RenderReport]:
    """Render each text with each font (one font unless a folder was given).

    `on_missing="error"` raises FontError naming the font and the characters it lacks;
    `"skip"` leaves out every text that needs a missing character and reports them.
    """
    if on_missing not in ("error", "skip"):
        raise UsageError(f"on_missing must be 'error' or 'skip', not {on_missing!r}")
    texts = list(texts)
    if not texts:
        raise UsageError("nothing to render: give a charset, characters or texts")
    for t in texts:
        if not t.strip():
            raise UsageError("cannot render an empty or blank text: remove empty lines from the texts")
        if "\n" in t or "\r" in t:
            raise UsageError(f"text {t!r} holds a line break; give one text per line")
    if isinstance(font, Font):
        fonts = [font]
    elif isinstance(font, (list, tuple)):
        fonts = list(font)
    elif font is None:  # DejaVu Sans where it covers the texts, else an installed font that does
        fonts = [covering_font("".join(dict.fromkeys("".join(texts))))]
    else:
        fonts = resolve_fonts(font)
    hw = parse_size(size)
    all_chars = "".join(texts)
    skipped: dict[str, str] = {}
    jobs: list[tuple[str, Font]] = []
    skipped_texts = 0
    for f in fonts:
        missing = f.missing(all_chars)
        if missing:
            if on_missing == "error":
                raise FontError(missing_glyphs_message(f, missing))
            skipped[f.name] = missing
        usable = [t for t in texts if not any(c in missing for c in t)] if missing else texts
        skipped_texts += len(texts) - len(usable)
        jobs.extend((t, f) for t in usable)
    if not jobs:
        raise FontError("no text could be rendered: " + "; ".join(f"{k} lacks {v}" for k, v in skipped.items()))
    glyphs: list[Glyph] = []
    for i, (t, f) in enumerate(jobs):
        glyphs.append(Glyph(text=t, image=render_text(t, f, hw, invert), font=f))
        if on_progress:
            on_progress(i + 1, len(jobs))
    return glyphs, RenderReport(rendered=len(glyphs), skipped=skipped, skipped_texts=skipped_texts)
