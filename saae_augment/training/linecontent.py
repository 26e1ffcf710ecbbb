"""Content for line training: every training label pre-rendered in every content font, and new
texts (a plate pattern) rendered on demand, drawn per step from (seed, step) alone."""

from __future__ import annotations

import numpy as np
import torch

from saae_augment.config import Recipe
from saae_augment.data.datasets import to_tensor
from saae_augment.data.fontchoice import line_fonts
from saae_augment.data.lines import render_lines
from saae_augment.data.plates import PlateTexts
from saae_augment.errors import DatasetError


class LineContent:
    """Rendered content lines: the training labels pre-rendered in every content font, and new
    texts (from the recipe's pattern) rendered on demand."""

    def __init__(self, recipe: Recipe, charset: str, labels: list[str], channels: int, device: torch.device):
        r = recipe
        self.size, self.invert, self.channels, self.device = r.data.size, r.glyph.invert, channels, device
        self.fonts = line_fonts(charset, r.glyph.font, r.glyph.fonts)
        self.labels = labels
        self.pattern = PlateTexts(r.data.pattern) if r.data.pattern else None
        if self.pattern is not None and set(self.pattern.charset) - set(charset):
            extra = "".join(sorted(set(self.pattern.charset) - set(charset)))
            raise DatasetError(f"data.pattern {r.data.pattern!r} writes {extra!r}, which the charset lacks")
        rendered = [
            render_lines(labels, [f] * len(labels), self.fonts, self.size, self.invert) for f in range(len(self.fonts))
        ]
        self.bank = torch.from_numpy(np.stack(rendered))  # F×N×H×W uint8, the training labels

    def tensor(self, images: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Rendered lines as a float batch on the run's device."""
        x = to_tensor(images.numpy() if isinstance(images, torch.Tensor) else images).to(self.device)
        return x.repeat(1, self.channels, 1, 1) if self.channels > 1 else x

    def own(self, idx: torch.Tensor) -> torch.Tensor:
        """Training sample idx's own label in the recipe's font: the reconstruction content."""
        return self.tensor(self.bank[0][idx])

    def render(self, texts: list[str], font_ids: list[int]) -> torch.Tensor:
        """`texts` rendered in fonts `fonts` (indices into the run's content fonts)."""
        return self.tensor(render_lines(texts, font_ids, self.fonts, self.size, self.invert))

    def cross(
        self, step_seed: int, n: int, g: torch.Generator, rows: slice = slice(None)
    ) -> tuple[list[str], torch.Tensor]:
        """n requested texts and their content images (random font each); drawn for all n, made
        for `rows` only (a rank's share of a distributed batch)."""
        fonts = torch.randint(len(self.fonts), (n,), generator=g)[rows]
        if self.pattern is not None:
            texts = [self.pattern.text(step_seed, k) for k in range(n)[rows]]
            return texts, self.render(texts, fonts.tolist())
        j = torch.randint(len(self.labels), (n,), generator=g)[rows]
        return [self.labels[i] for i in j.tolist()], self.tensor(self.bank[fonts, j])
