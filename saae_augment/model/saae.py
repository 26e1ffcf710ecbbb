"""The generator G(content glyph, style image) and `build_model(cfg)`."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from saae_augment.config import ModelConfig
from saae_augment.model.decoder import Decoder, FiLMDecoder
from saae_augment.model.discriminator import Discriminator
from saae_augment.model.encoders import ContentEncoder, StyleEncoder, StyleToMap, repeated
from saae_augment.model.placed import PlacedUNet


class Generator(nn.Module):
    """Content encoder, style encoder and decoder: G(glyph, style image) -> image."""

    def __init__(self, cfg: ModelConfig, channels: int):
        super().__init__()
        w = cfg.width
        self.film = cfg.style_inject == "film"
        self.content = ContentEncoder(channels, w)
        self.style = StyleEncoder(channels, w, cfg.style_dim, cfg.style_grid)
        self.style_map: StyleToMap | None = None if self.film else StyleToMap(cfg.style_dim, w, cfg.style_grid)
        self.decoder: nn.Module = FiLMDecoder(w, channels, cfg.style_dim) if self.film else Decoder(w, channels)

    def encode_style(self, style_image: torch.Tensor) -> torch.Tensor:
        """Style vectors of a batch of images (synthesis caches these per pool image)."""
        return self.style(style_image)

    def decode(self, glyph: torch.Tensor, style_vector: torch.Tensor) -> torch.Tensor:
        """Write `glyph` in the style `style_vector` (separate, so styles can be mixed or reused)."""
        return self.decode_map(self.content(glyph), style_vector)

    def decode_map(self, content_map: torch.Tensor, style_vector: torch.Tensor) -> torch.Tensor:
        """The decoder from an already encoded content map (synthesis caches them per class)."""
        if self.style_map is None:
            return self.decoder(content_map, style_vector)
        return self.decoder(content_map, self.style_map(style_vector, content_map.shape[-2:]))

    def forward(self, glyph: torch.Tensor, style_image: torch.Tensor, repeat: int = 1) -> torch.Tensor:
        """G(glyph, style image): the glyph written in the style image's style. `repeat` r: the
        glyphs are r batches that share `style_image`, whose styles are encoded once."""
        return self.decode(glyph, repeated(self.encode_style(style_image), repeat))


def build_generator(cfg: ModelConfig, channels: int) -> nn.Module:
    """The recipe's generator: the paper's (`flat`) or the placing U-Net (`unet` or `layered`,
    model/placed.py)."""
    if cfg.generator in ("unet", "layered"):
        return PlacedUNet(cfg, channels)
    return Generator(cfg, channels)


@dataclass
class SAAE:
    """The generator and discriminator a character run trains together."""

    generator: nn.Module
    discriminator: Discriminator


def build_model(cfg: ModelConfig, channels: int, size: tuple[int, int], n_classes: int) -> SAAE:
    """G and D for `n_classes` classes of `channels`-channel images of `size` (H, W)."""
    n_out = n_classes + 1 if cfg.disc == "kplus1" else 1
    return SAAE(
        generator=build_generator(cfg, channels),
        discriminator=Discriminator(channels, size, n_out, cfg.disc_channels, cfg.disc_hidden),
    )
