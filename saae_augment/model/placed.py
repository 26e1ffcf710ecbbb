"""A generator that can move and shape text: the line SAAE's `generator: unet`.

The paper's generator (model/saae.py) decodes a full-resolution content map with 3×3
convolutions: each output pixel sees a few pixels of the rendered text, so the text stays
where the renderer put it, at the renderer's scale, and nothing can draw a plate's surround
around it. Two changes let the style image decide where and how big the text is:

- **placement**: an affine transform predicted from the style vector (a spatial transformer,
  Jaderberg et al. 2015) shrinks and moves the rendered content before it is read, so a
  reconstruction of a real line teaches it where that line's text sits and how big it is. It
  starts as the exact identity; the text may shrink to 1/(1+SHRINK) of its size and move
  within the room the shrinking made, zoom in or shift beyond it by 5% at most, and shear a
  little: the rendering fills the frame, so a zoom in cuts characters off. Measured on
  procedural plates, seed 0, 300 steps (the judge's exact reads of generated plates): a free
  affine (±0.5 on every entry) zoomed in and cut the first characters off many lines, 40.2%
  (CER 20.3%); this placement 46.5% (CER 11.0%); the same, started 1.8% off the identity
  (every line resampled from the first step), 1.2%. The flat generator: 11.3% (CER 22.5%).
- **an encoder–decoder with skips** (U-Net): two stride-2 levels give the middle a receptive
  field that spans several characters and the margins, and every decoder level is scaled and
  shifted by the style vector (FiLM), as the FiLM decoder is, so style carries no glyph shape.

- **layers** (`generator: layered`): instead of painting every pixel, the U-Net paints an ink
  layer, a background layer and a correction of the placed text's own mask, and the output is
  ink where the mask says text and background elsewhere. The characters start as the font's
  shapes, placed, so a line reads as its requested text from the first step; the correction
  (zero at the start) lets the adversary thicken, blur or bend them toward the real lines'.
  Text-in-a-scene synthesis has long been made this way (a mask composited over a background);
  here the layers and the placement come from the style image.

Same interface as `Generator` (encode_style, decode, decode_map, content), so training,
synthesis and eval-gen use it unchanged; `content` is the identity, since placement depends
on the style and no content map can be cached per class.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from saae_augment.config import ModelConfig
from saae_augment.model.blocks import LEAK, conv_bn_lrelu
from saae_augment.model.encoders import StyleEncoder, repeated

SHRINK = 0.6  # the text may shrink to 1/1.6 of its rendered size on each axis
ZOOM = 0.05  # and grow by at most 5%: the rendering fills the frame, a zoom in cuts characters off
SHEAR = 0.1  # largest shear (about ±6°)


def affine(grow: torch.Tensor, shift: torch.Tensor, shear: torch.Tensor) -> torch.Tensor:
    """B×2×3 maps from output to content coordinates. `grow` (B×2, x then y): how much larger
    than the content the output's window is (0.6: the text shrinks to 1/1.6; −0.05: a 5% zoom
    in); `shift` (B×2, −1 to 1): where the text sits in the room that leaves, plus 5% either way;
    `shear` (B×2)."""
    scale = 1 + grow
    room = grow.clamp_min(0) + ZOOM  # the window still holds the content, give or take 5%
    offset = room * shift
    row_x = torch.stack([scale[:, 0], shear[:, 0], offset[:, 0]], 1)
    row_y = torch.stack([shear[:, 1], scale[:, 1], offset[:, 1]], 1)
    return torch.stack([row_x, row_y], 1)


def place(content: torch.Tensor, theta: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
    """`content` seen through the affine maps `theta` (one per frame), at `size` (H, W; the
    content's own by default); border pixels extend, so the background stays background."""
    n, c = content.shape[:2]
    h, w = size or content.shape[-2:]
    grid = F.affine_grid(theta, [n, c, h, w], align_corners=False)
    return F.grid_sample(content, grid, padding_mode="border", align_corners=False)


class FiLMConv(nn.Module):
    """3×3 conv, BatchNorm without its own affine, then the style's scale and shift, LeakyReLU."""

    def __init__(self, c_in: int, c_out: int, style_dim: int):
        super().__init__()
        # conv → BatchNorm in one Sequential, so model/fusion.py folds them for synthesis
        self.conv = nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out, affine=False))
        self.film = nn.Linear(style_dim, 2 * c_out)
        nn.init.zeros_(self.film.weight)  # start as plain BatchNorm
        nn.init.zeros_(self.film.bias)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """The block on x, modulated by the style vector."""
        scale, shift = self.film(style)[:, :, None, None].chunk(2, dim=1)
        # one pass for the modulation and none for a copy: every sample of a synthesis runs four
        # of these at full or half resolution (with the layers' lerp: ≈ +5% img/s, plates 32×128)
        return F.leaky_relu_(torch.addcmul(shift, self.conv(x), 1 + scale), LEAK)


def text_mask(content: torch.Tensor) -> torch.Tensor:
    """B×1×H×W: how much of each pixel is text, 0 to 1, in either polarity (white on black or
    black on white, `glyph.invert`): the background is the level of the frame's border, which
    placement extends, and text is the distance from it."""
    lum = content.float().mean(1, keepdim=True)
    border = torch.cat([lum[..., 0, :], lum[..., -1, :], lum[..., :, 0], lum[..., :, -1]], -1).mean(-1)[..., None, None]
    span = torch.maximum(border, 1 - border).clamp_min(1e-3)
    return ((lum - border).abs() / span).to(content.dtype)


class PlacedUNet(nn.Module):
    """G(content line, style image): content placed by the style, then a FiLM U-Net."""

    film = True  # style enters by FiLM only: synthesis runs it per sample, never the cached decoder

    def __init__(self, cfg: ModelConfig, channels: int):
        super().__init__()
        w, s = cfg.width, cfg.style_dim
        self.layered = cfg.generator == "layered"
        self.style = StyleEncoder(channels, w, s, cfg.style_grid)
        self.place = nn.Linear(s, 6)  # shrink x, y; shift x, y; shear x, y
        nn.init.zeros_(self.place.weight)
        nn.init.zeros_(self.place.bias)  # the identity, exactly: no resampling blur at the start
        self.enc1 = conv_bn_lrelu(channels, w)
        self.enc2 = conv_bn_lrelu(w, 2 * w, 2)
        self.enc3 = conv_bn_lrelu(2 * w, 4 * w, 2)
        self.mid = nn.ModuleList([FiLMConv(4 * w, 4 * w, s), FiLMConv(4 * w, 4 * w, s)])
        self.dec2 = FiLMConv(4 * w + 2 * w, 2 * w, s)
        self.dec1 = FiLMConv(2 * w + w, w, s)
        # layered: ink, background (channels each) and the mask's correction (one channel)
        self.last = nn.Conv2d(w, 2 * channels + 1 if self.layered else channels, 3, padding=1)
        if self.layered:
            with torch.no_grad():  # the mask starts as the placed text's, exactly
                self.last.weight[-1].zero_()
                self.last.bias[-1].zero_()

    def encode_style(self, style_image: torch.Tensor) -> torch.Tensor:
        """Style vectors of a batch of images."""
        return self.style(style_image)

    def theta(self, style_vector: torch.Tensor) -> torch.Tensor:
        """B×2×3 affine maps from output to content coordinates: the output frame sees a window
        of the content about as large as the content or larger, so the text can shrink and move
        but (within 5%) not leave the frame."""
        p = self.place(style_vector.float())
        a = torch.tanh(p[:, :2])
        grow = torch.where(a > 0, SHRINK * a, ZOOM * a)  # how much larger the window is than the content
        return affine(grow, torch.tanh(p[:, 2:4]), SHEAR * torch.tanh(p[:, 4:6]))

    def start_at(self, grow: torch.Tensor, shift: torch.Tensor) -> None:
        """Place every line at (grow, shift) before any training (`affine`'s terms, one pair
        each): the layout the real lines show (model/layout.py), so the first reconstructions
        already compare text with text. The style still moves each line from there."""
        with torch.no_grad():
            self.place.bias[:2] = torch.atanh((grow / SHRINK).clamp(0, 0.95))
            self.place.bias[2:4] = torch.atanh(shift.clamp(-0.95, 0.95))

    def placed(self, glyph: torch.Tensor, style_vector: torch.Tensor) -> torch.Tensor:
        """The content moved and scaled where the style puts text (border pixels extend: background)."""
        return place(glyph.float(), self.theta(style_vector)).to(glyph.dtype)

    def content(self, glyph: torch.Tensor) -> torch.Tensor:
        """The identity: placement needs the style, so there is no per-class content map."""
        return glyph

    def decode(self, glyph: torch.Tensor, style_vector: torch.Tensor) -> torch.Tensor:
        """Write `glyph` in the style `style_vector`."""
        s = style_vector
        placed = self.placed(glyph, s)
        h1 = self.enc1(placed)
        h2 = self.enc2(h1)
        h = self.enc3(h2)
        for block in self.mid:
            h = block(h, s)
        h = self.dec2(torch.cat([F.interpolate(h, size=h2.shape[-2:], mode="nearest"), h2], 1), s)
        h = self.dec1(torch.cat([F.interpolate(h, size=h1.shape[-2:], mode="nearest"), h1], 1), s)
        out = self.last(h)
        if not self.layered:
            return torch.sigmoid(out)
        c = glyph.shape[1]
        mask = (text_mask(placed) + out[:, 2 * c :]).clamp(0, 1)
        ink, background = torch.sigmoid(out[:, :c]), torch.sigmoid(out[:, c : 2 * c])
        dtype = torch.promote_types(mask.dtype, ink.dtype)  # under bf16 autocast the layers are bf16, the mask not
        return torch.lerp(background.to(dtype), ink.to(dtype), mask.to(dtype))  # ink where text

    def decode_map(self, content_map: torch.Tensor, style_vector: torch.Tensor) -> torch.Tensor:
        """`decode`: the content map is the content itself."""
        return self.decode(content_map, style_vector)

    def forward(self, glyph: torch.Tensor, style_image: torch.Tensor, repeat: int = 1) -> torch.Tensor:
        """G(glyph, style image); `repeat` as in saae.Generator."""
        return self.decode(glyph, repeated(self.encode_style(style_image), repeat))
