"""Font choice: which installed fonts a run draws its content in.

One selection loop for both tasks: the recipe's (or covering) font first, then installed fonts
that cover the characters, draw them recognisably and differ from every font already taken. The
one fallback check (`reads_as_itself`) refuses fonts that claim characters in their character map
but draw boxes (Last Resort) or other shapes (symbol fonts such as cmex10).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from saae_augment.data.datasets import to_tensor
from saae_augment.data.fonts import Font, covering_font, installed_fonts
from saae_augment.data.glyphs import render_glyphs

LINE_PROBE = (32, 32)  # lines compare fonts on their charset drawn at this size


def glyph_bank(
    classes: Sequence[str], font: str | Font | None, size: tuple[int, int], channels: int, invert: bool
) -> torch.Tensor:
    """One rendered glyph per class, k×C×H×W: the content input for "write class c"."""
    glyphs, _ = render_glyphs(list(classes), font, size, invert=invert, on_missing="error")
    bank = to_tensor([g.image for g in glyphs])
    return bank.repeat(1, channels, 1, 1) if channels > 1 else bank


def _normalised(bank: torch.Tensor) -> torch.Tensor:
    """Glyphs blurred and centred to unit length, so fonts compare by shape, not by weight."""
    x = torch.nn.functional.avg_pool2d(bank.mean(1, keepdim=True), 3, 1, 1).flatten(1)
    x = x - x.mean(1, keepdim=True)
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-6)


def reads_as_itself(candidate: torch.Tensor, reference: torch.Tensor, agreement: float = 0.8) -> bool:
    """Whether a font draws the characters it claims: for most classes, its glyph must be nearest
    to the reference font's glyph of the same class. Symbol fonts (cmex10, cmsy10) and fallback
    fonts (Last Resort) map digits in their cmap but draw something else; they fail this."""
    sim = _normalised(candidate) @ _normalised(reference).T
    hits = (sim.argmax(1) == torch.arange(len(sim))).float().mean().item()
    return hits >= agreement


def choose_fonts(
    first: Font, chars: str, n: int, probe: Callable[[Font], torch.Tensor]
) -> tuple[list[Font], list[torch.Tensor]]:
    """`first`, then up to n-1 installed fonts that cover `chars`, pass the fallback check against
    `first`, and draw differently from every font taken (a second copy of DejaVu Sans adds no
    variety). `probe` draws a font's comparison bank; the banks come back beside the fonts."""
    fonts, banks = [first], [probe(first)]
    # in an order that does not depend on where fonts are installed: sorted by path, a venv's
    # matplotlib fonts came before /usr/share/fonts in one checkout and after it in another, so
    # the same seed chose other fonts
    for candidate in sorted(installed_fonts(), key=lambda f: (f.name, f.path.name, f.index, f.path.stat().st_size)):
        if len(fonts) >= n:
            break
        if candidate.missing(chars) or any(candidate.path == f.path and candidate.index == f.index for f in fonts):
            continue
        bank = probe(candidate)
        if any(torch.equal(bank, b) for b in banks) or not reads_as_itself(bank, banks[0]):
            continue
        banks.append(bank)
        fonts.append(candidate)
    return fonts, banks


def glyph_banks(
    classes: Sequence[str], font: Font, n_fonts: int, size: tuple[int, int], channels: int, invert: bool
) -> tuple[torch.Tensor, list[Font]]:
    """F×k×C×H×W content glyphs of a character run, in the fonts `choose_fonts` takes."""
    fonts, banks = choose_fonts(
        font, "".join(classes), n_fonts, lambda f: glyph_bank(classes, f, size, channels, invert)
    )
    return torch.stack(banks), fonts


def line_fonts(charset: str, font: str | Path | None, n: int) -> list[Font]:
    """The content fonts of a line run: the covering font first, then what `choose_fonts` takes,
    compared on the charset drawn at LINE_PROBE (lines are rendered per sample, not banked)."""
    first = covering_font(charset, font)
    if n <= 1:
        return [first]
    fonts, _ = choose_fonts(first, charset, n, lambda f: glyph_bank(list(charset), f, LINE_PROBE, 1, False))
    return fonts
