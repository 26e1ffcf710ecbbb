"""The trained generator, ready for bulk work: content maps and style vectors computed once.

A style pool of a few thousand images is reused many times over in a large run, so the style
encoder runs once per pool image. With one clean glyph per class (no content variety) there are
only k distinct contents: the content encoder then runs once per class and each sample costs
only the decoder. With content variety (several fonts, warped glyphs: what the default recipes
train with) each sample's glyph is its own, and the content encoder runs per sample.

The decoder always runs on exactly CHUNK samples (the last chunk padded). Two reasons, both
measured here: CPU kernels for other batch sizes round differently (1–2 pixels in 512 images
flipped by one grey level at batch 1 or 7), and a sample must come out the same bytes whatever
batch it falls in; and 64 samples at 32×32 keep the activations in cache (1,691 img/s against
922 img/s for calls of 512, channels_last, fp32, 2 cores).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from saae_augment.config import Recipe, recipe_from_dict
from saae_augment.core.checkpoint import file_sha256, load_checkpoint, load_weights, resolve_checkpoint_path
from saae_augment.core.device import autocast_for
from saae_augment.data.charsets import CHARSETS
from saae_augment.data.datasets import to_tensor, to_uint8
from saae_augment.data.formats import is_relative_spec
from saae_augment.data.load import load_dataset
from saae_augment.data.sizing import size_note
from saae_augment.data.warp import affine_warp, warp_params
from saae_augment.errors import UsageError
from saae_augment.model.fusion import fuse_conv_bn
from saae_augment.model.saae import build_generator
from saae_augment.synthesis.fastdecoder import CachedDecoder
from saae_augment.synthesis.sampling import SamplePlan
from saae_augment.tasks import ContentPlan, Task, task_of_checkpoint

CHUNK = 64
POOL_CHUNK = 256


@dataclass
class StylePool:
    """The style images a synthesis draws from, with where each came from."""

    images: torch.Tensor  # P×C×H×W
    sources: list[str]
    spec: str
    labels: list[str]  # "" where the style set has no labels
    resized: str | None = None  # one line saying which style images were brought to the model's size


def _pad(t: torch.Tensor, multiple: int) -> torch.Tensor:
    extra = (-t.shape[0]) % multiple
    return torch.cat([t, t[:1].expand(extra, *t.shape[1:])]) if extra else t


def load_style_pool(payload: dict, recipe: Recipe, styles: str | Path | None) -> StylePool:
    """`styles` (any data set, labels optional) or, by default, the run's own training split."""
    size, mode = recipe.data.size, recipe.data.mode
    if styles is not None:
        data = load_dataset(styles, size=size, mode=mode, labels_required=False)
        note = size_note(f"--styles {styles}", data.report.sizes, size, "the checkpoint's size")
        return StylePool(to_tensor(data.images), list(data.sources), str(styles), list(data.labels), note)
    spec = payload["data"]["spec"]
    if is_relative_spec(spec):
        raise UsageError(
            f"the checkpoint names its training data by a relative path ({spec}), which would resolve against "
            f"the current folder; give --styles with the path of that data set (or any style images)"
        )
    cs = recipe.data.charset
    data = load_dataset(spec, size=size, mode=mode, charset=CHARSETS.get(cs, cs) if cs else None)
    recorded = payload["data"].get("fingerprint")
    if recorded is not None and recorded != data.fingerprint():
        raise UsageError(
            f"the run's training data {spec} changed since training, so it is not the style pool the run "
            f"learned from; give --styles {spec} to draw styles from it as it is now"
        )
    train_idx, _ = task_of_checkpoint(payload).split(data.labels, recipe.data.val_fraction, recipe.train.seed)
    return StylePool(
        to_tensor([data.images[i] for i in train_idx]),
        [data.sources[i] for i in train_idx],
        spec,
        [data.labels[i] for i in train_idx],
    )


class Synthesizer:
    """Loads a checkpoint and writes any of its classes in the style of any pool image."""

    def __init__(
        self,
        ckpt: str | Path,
        device: torch.device,
        styles: str | Path | None = None,
        precision: str = "fp32",
        payload: dict | None = None,
    ):
        path = resolve_checkpoint_path(ckpt)
        payload = payload if payload is not None else load_checkpoint(path)
        self.checkpoint_path, self.checkpoint_sha256 = path, file_sha256(path)
        self.task: Task = task_of_checkpoint(payload)
        self.recipe = recipe_from_dict(payload["recipe"])
        self.section = self.task.section(payload)  # classes and what draws them (tasks/sections.py)
        self.classes: list[str] = self.section.classes
        self.device = device
        self.channels = 1 if self.recipe.data.mode == "L" else 3
        self.G = build_generator(self.recipe.model, self.channels).to(device).eval()
        state = payload["state"]
        # the averaged weights, where the run kept an EMA
        load_weights(self.G, state.get("generator_ema", state["generator"]), "generator")
        fmt = torch.channels_last if device.type != "mps" else torch.contiguous_format
        self.G = self.G.to(memory_format=fmt)
        self.use_precision(precision)  # `auto` until synthesis/precision.py has measured (bf16 on CUDA)
        self.pool = load_style_pool(payload, self.recipe, styles)
        self.warp = self.recipe.glyph.warp
        self.judge = self._load_judge(payload).to(device).eval()
        self.judge_precision = "fp32"  # the line judge reads as it was fitted (synthesis/lines.py)
        self.decoder: CachedDecoder | None = None  # _load_content sets one where it serves
        with torch.no_grad():
            vectors = [
                self.G.encode_style(_pad(self.pool.images[i : i + POOL_CHUNK], POOL_CHUNK).to(device))
                for i in range(0, len(self.pool.images), POOL_CHUNK)
            ]
            self.style_vectors = torch.cat(vectors)[: len(self.pool.images)]
            self._load_content(payload)
        # Every sample runs the generator and the judge: fold their BatchNorms into the convs.
        # Measured at 32x32, digits recipe, 2 AMX cores: 3,469 -> 4,573 img/s in bf16, 1,570 ->
        # 1,678 in fp32. The cached decoder folds its own first layer, so it keeps the generator
        # as trained.
        if self.decoder is None:
            self.G = fuse_conv_bn(self.G).to(memory_format=fmt)
        self.judge = fuse_conv_bn(self.judge).to(memory_format=fmt)

    def use_precision(self, precision: str) -> None:
        """Compute the generator in `precision` (fp32, bf16; auto: bf16 on CUDA) from now on."""
        self.precision = precision
        self.autocast = autocast_for(self.device, precision)

    def _load_judge(self, payload: dict) -> torch.nn.Module:
        judge = self.task.judge(self.channels, self.recipe.data.size, self.classes, payload["state"]["judge"])
        load_weights(judge, payload["state"]["judge"], "judge")
        return judge

    def _load_content(self, payload: dict) -> None:
        device = self.device
        self._index = {c: i for i, c in enumerate(self.classes)}
        self.glyph_bank: torch.Tensor = self.section.bank.to(device)  # one rendered glyph per class
        # Content variety (recipe glyph.fonts / glyph.warp): each sample's glyph from its own font
        # and warp, so the content encoder runs per sample instead of once per class.
        self.banks: torch.Tensor = self.section.banks.to(device)
        self.content_fonts: list[str] = list(self.section.fonts)
        self.varied = self.banks.shape[0] > 1 or self.warp > 0
        self.content_maps = self.G.content(self.glyph_bank)
        # The cached decoder folds the concat decoder's first layer per class: only for one clean
        # glyph per class; FiLM decoders and varied content run the generator as it is.
        cached = not self.G.film and not self.varied
        self.decoder = CachedDecoder(self.G, self.content_maps).eval() if cached else None
        if self.decoder is not None and device.type != "mps":
            self.decoder = self.decoder.to(memory_format=torch.channels_last)

    def check_content(self, spec: ContentPlan, seed: int) -> None:
        """Every class the plan asks for is one the checkpoint writes (content_spec checked that)."""

    def _glyphs(self, plans: Sequence[SamplePlan]) -> torch.Tensor | None:
        """Each sample's content image, or None where the per-class content maps serve."""
        if not self.varied:
            return None
        cls = torch.tensor([self._index[p.label] for p in plans], device=self.device)
        font = torch.tensor([p.font for p in plans], device=self.device)
        glyphs = self.banks[font, cls]
        if self.warp > 0:
            u = warp_params([p.warp_seed for p in plans]).to(self.device)
            glyphs = affine_warp(glyphs, u, self.warp, fill=1.0 if self.recipe.glyph.invert else 0.0)
        return glyphs

    def _read(self, written: torch.Tensor) -> list[str]:
        with autocast_for(self.device, self.judge_precision):
            return self.task.read(self.judge, written, self.classes)

    @property
    def size(self) -> tuple[int, int]:
        """(H, W) of every sample, the checkpoint's."""
        return self.recipe.data.size

    @torch.no_grad()
    def generate(self, plans: Sequence[SamplePlan]) -> tuple[np.ndarray, list[str]]:
        """uint8 images (N×H×W or N×H×W×3) and the judge's reading of each."""
        n = len(plans)
        a = torch.tensor([p.style for p in plans], device=self.device)
        style = self.style_vectors[a]
        mixing = [p.mix for p in plans]
        if any(mixing):
            b = torch.tensor([p.style_b for p in plans], device=self.device)
            w = torch.tensor(mixing, device=self.device, dtype=style.dtype)[:, None]
            style = style * (1 - w) + self.style_vectors[b] * w
        glyphs = self._glyphs(plans)
        cls = None if glyphs is not None else torch.tensor([self._index[p.label] for p in plans], device=self.device)
        outs, reads = [], []
        for c0 in range(0, n, CHUNK):
            m = min(CHUNK, n - c0)
            with self.autocast:
                chunk_style = _pad(style[c0 : c0 + CHUNK], CHUNK)
                if glyphs is not None:
                    glyph = _pad(glyphs[c0 : c0 + CHUNK], CHUNK).contiguous(memory_format=torch.channels_last)
                    out = self.G.decode(glyph, chunk_style)
                elif self.decoder is None:
                    out = self.G.decode_map(self.content_maps[_pad(cls[c0 : c0 + CHUNK], CHUNK)], chunk_style)
                else:
                    out = self.decoder(_pad(cls[c0 : c0 + CHUNK], CHUNK), self.G.style_map(chunk_style, self.size))
            written = out.float().mul(255).round().div(255)  # exactly what the PNG will hold
            reads.extend(self._read(written)[:m])
            outs.append(written[:m])
        return to_uint8(torch.cat(outs)), reads
