"""Line synthesis: each sample's text (its plan, tasks/texts.py) rendered in one of the run's
content fonts, warped, and written in the style of a real line; the run's CRNN judge reads it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from saae_augment.core.device import to_device
from saae_augment.data.glyphs import check_fits
from saae_augment.data.lines import render_lines
from saae_augment.data.warp import affine_warp, warp_params
from saae_augment.synthesis.generate import Synthesizer
from saae_augment.synthesis.sampling import SamplePlan
from saae_augment.tasks.texts import LineTexts
from saae_augment.training.linejudge import judge_precision


class LineSynthesizer(Synthesizer):
    """A line checkpoint, ready for bulk work: each sample's text rendered, warped and styled."""

    @property
    def charset(self) -> str:
        """The characters the run can write (its classes, in the judge's order)."""
        return "".join(self.classes)

    def _load_content(self, payload: dict) -> None:
        # The judge reads in the precision it was fitted in, whatever --precision asks of the
        # pixels: 3x less time per read at 32x128 on a 2-core AMX CPU (a third of a sample's
        # time in fp32), with the samples' read within rounding of fp32 (CHANGELOG).
        self.judge_precision = judge_precision(self.device, self.recipe.train.precision)
        self.fonts = self.section.fonts
        self.content_fonts = [f.name for f in self.fonts]
        self.varied = True

    def check_content(self, spec: LineTexts, seed: int) -> None:
        """Every text the run will draw fits the canvas in every content font (glyphs.check_fits);
        a pattern's texts all have its length, so a few of them stand for all."""
        texts = spec.labels if spec.pattern is None else [spec.text(seed, i) for i in range(8)]
        for font in self.fonts:
            check_fits(texts, font, self.size)

    def _glyphs(self, plans: Sequence[SamplePlan]) -> torch.Tensor:
        r = self.recipe
        images = render_lines([p.label for p in plans], [p.font for p in plans], self.fonts, self.size, r.glyph.invert)
        glyphs = to_device(torch.from_numpy(images), self.device).float().div_(255.0)[:, None]
        if self.channels > 1:
            glyphs = glyphs.repeat(1, self.channels, 1, 1)
        if self.warp > 0:
            u = warp_params([p.warp_seed for p in plans]).to(self.device)
            glyphs = affine_warp(glyphs, u, self.warp, fill=1.0 if r.glyph.invert else 0.0)
        return glyphs
