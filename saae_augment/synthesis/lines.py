"""Line synthesis: any text, rendered in a content font, written in the style of a real line.

Texts come from exactly one source: `--labels-file` (sample i gets line i, cycled), a word
list `--texts-file` (each sample draws one), a plate preset or pattern (`--pattern plate-cn`,
`{province}{letter}{alnum:5}`), or by default the recipe's pattern, else the training labels.
Each choice depends on (seed, i) alone, like every other per-sample choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from saae_augment.core.checkpoint import load_weights
from saae_augment.core.device import to_device
from saae_augment.data.fonts import CJK_HINT, Font, installed_fonts, open_font
from saae_augment.data.glyphs import check_fits
from saae_augment.data.lines import render_lines
from saae_augment.data.plates import PlateTexts
from saae_augment.data.warp import affine_warp, warp_params
from saae_augment.errors import FontError, UsageError
from saae_augment.model.crnn import build_reader, read_lines
from saae_augment.model.fusion import fuse_conv_bn
from saae_augment.seeding import derive_seed
from saae_augment.synthesis.generate import Synthesizer
from saae_augment.synthesis.sampling import SamplePlan


@dataclass(frozen=True)
class LineTexts:
    """Where sample i's text comes from: fixed `labels` (cycled), a `pool` drawn from, or a pattern."""

    mode: str  # labels-file | texts-file | pattern | training-labels
    labels: tuple[str, ...] = ()
    pattern: PlateTexts | None = None

    def text(self, seed: int, index: int) -> str:
        if self.pattern is not None:
            return self.pattern.text(seed, index)
        if self.mode == "labels-file":
            return self.labels[index % len(self.labels)]
        rng = np.random.default_rng(derive_seed(seed, "line-text", index))
        return self.labels[int(rng.integers(len(self.labels)))]

    def describe(self) -> dict:
        if self.pattern is not None:
            return {"mode": "pattern", "pattern": self.pattern.spec}
        return {"mode": self.mode, "texts": len(self.labels)}


def line_texts(
    charset: str,
    labels: Sequence[str] | None = None,
    texts: Sequence[str] | None = None,
    pattern: str | None = None,
    recipe_pattern: str | None = None,
    training_labels: Sequence[str] | None = None,
) -> LineTexts:
    """The one text source the options ask for, checked against the checkpoint's charset."""
    given = [x for x in (labels, texts, pattern) if x is not None]
    if len(given) > 1:
        raise UsageError("give only one of --labels-file, --texts-file and --pattern")
    if labels is not None:
        source = LineTexts("labels-file", tuple(labels))
    elif texts is not None:
        source = LineTexts("texts-file", tuple(texts))
    elif pattern is not None or recipe_pattern is not None:
        source = LineTexts("pattern", pattern=PlateTexts(pattern or recipe_pattern))  # type: ignore[arg-type]
    elif training_labels:
        source = LineTexts("training-labels", tuple(training_labels))
    else:
        raise UsageError("this checkpoint has no texts of its own: give --texts-file, --labels-file or --pattern")
    chars = source.pattern.charset if source.pattern is not None else "".join(set("".join(source.labels)))
    unknown = "".join(sorted(set(chars) - set(charset)))
    if unknown:
        raise UsageError(f"the texts use {unknown!r}, which this checkpoint cannot write; it knows {charset!r}")
    if source.pattern is None and not source.labels:
        raise UsageError("the texts file is empty")
    return source


def _open_fonts(entries: Sequence[dict]) -> list[Font]:
    """The checkpoint's content fonts, by file; a font that moved is found again by its hash."""
    fonts = []
    for e in entries:
        path = Path(e["path"])
        if path.is_file():
            fonts.append(open_font(path, int(e["index"])))
            continue
        match = next((f for f in installed_fonts() if f.sha256 == e["sha256"] and f.index == e["index"]), None)
        if match is None:
            raise FontError(f"the checkpoint's content font {path} is not on this machine; {CJK_HINT}")
        fonts.append(match)
    return fonts


class LineSynthesizer(Synthesizer):
    """A line checkpoint, ready for bulk work: each sample's text rendered, warped and styled."""

    lines = True

    def _load_judge(self, payload: dict) -> torch.nn.Module:
        self.charset: str = payload["charset"]
        judge = build_reader(self.channels, self.charset)
        load_weights(judge, payload["state"]["judge"], "judge")
        return judge

    def _load_content(self, payload: dict) -> None:
        # every sample runs the content encoder, decoder and judge: fold their BatchNorms (≈10%)
        fmt = torch.channels_last if self.device.type != "mps" else torch.contiguous_format
        self.G = fuse_conv_bn(self.G).to(memory_format=fmt)
        self.judge = fuse_conv_bn(self.judge).to(memory_format=fmt)
        self.fonts = _open_fonts(payload["glyph"]["font_files"])
        self.content_fonts = [f.name for f in self.fonts]
        texts = payload["data"].get("texts", "")
        self.training_texts: list[str] = texts.split("\n") if isinstance(texts, str) and texts else []
        self.varied = True

    def check_texts(self, spec: LineTexts, seed: int) -> None:
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

    def _read(self, written: torch.Tensor) -> list[str]:
        return read_lines(self.judge, written, self.charset)
