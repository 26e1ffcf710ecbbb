"""The placing U-Net (`model.generator: unet`, and `layered`): it starts by writing the content where it was
rendered, its placement moves the text, and it folds and loads like the paper's generator."""

from __future__ import annotations

import torch

from saae_augment.config import ModelConfig
from saae_augment.model.fusion import fuse_conv_bn
from saae_augment.model.placed import SHRINK, ZOOM, PlacedUNet, text_mask
from saae_augment.model.saae import Generator, build_generator


def _bar(h: int = 16, w: int = 64) -> torch.Tensor:
    """A rendered 'text': a bright block in the left half of a dark line."""
    x = torch.zeros(1, 3, h, w)
    x[..., 4:12, 8:24] = 1.0
    return x


def test_the_recipe_chooses_the_generator():
    assert isinstance(build_generator(ModelConfig(channels=8), 3), Generator)
    assert isinstance(build_generator(ModelConfig(channels=8, generator="unet"), 3), PlacedUNet)


def test_any_line_size_comes_out_at_its_own_size():
    G = PlacedUNet(ModelConfig(channels=8), 3)
    for size in [(32, 128), (24, 96), (18, 70)]:  # 18×70: not a multiple of 4
        x = torch.rand(2, 3, *size)
        with torch.no_grad():
            y = G(x, x)
        assert y.shape == x.shape and float(y.min()) >= 0 and float(y.max()) <= 1


def test_placement_starts_as_the_identity_and_never_cuts_much_text_off():
    G = PlacedUNet(ModelConfig(channels=8), 3)
    glyph = _bar()
    s = G.encode_style(torch.rand(1, 3, 16, 64))
    with torch.no_grad():
        assert torch.allclose(G.placed(glyph, s), glyph, atol=1e-5)  # untrained: the text stays put
        text = torch.zeros(1, 3, 16, 64)
        text[..., 4:12, :] = 1.0  # a line of text from edge to edge
        for bias in ([9, 9, 9, 9, 0, 0], [9, 9, -9, -9, 0, 0], [-9, -9, 9, 9, 0, 0]):  # pushed to the bounds
            G.place.bias.copy_(torch.tensor(bias, dtype=torch.float))
            sx, sy = G.theta(s)[0, 0, 0], G.theta(s)[0, 1, 1]
            assert 1 - ZOOM - 1e-6 <= float(sx) <= 1 + SHRINK + 1e-6
            kept = float(G.placed(text, s).sum()) * float(sx * sy) / float(text.sum())
            assert kept > 0.85  # shrunk and moved; at most the 5% zoom and shift cut off the ends


def test_placement_moves_the_text_where_the_style_says():
    """A shift predicted from the style moves the content: what reconstruction trains it to do."""
    G = PlacedUNet(ModelConfig(channels=8), 3)
    glyph, s = _bar(), torch.zeros(1, 64)
    with torch.no_grad():
        G.place.bias.copy_(torch.tensor([9.0, 0, -2.0, 0, 0, 0]))  # window 1.6 wide, shifted −0.63
    moved = G.placed(glyph, s)[0, 0]
    cols = moved.sum(0).nonzero().flatten()
    assert cols.float().mean() > 16 + 5  # the block was centred on column 15.5; it moved right


def test_placement_learns_from_a_reconstruction_loss():
    """The place layer gets a gradient through the sampling grid (it is not a dead branch)."""
    G = PlacedUNet(ModelConfig(channels=8), 3)
    x = _bar()
    torch.nn.functional.l1_loss(G(x, torch.roll(x, 12, dims=3)), torch.roll(x, 12, dims=3)).backward()
    assert G.place.weight.grad is not None and float(G.place.weight.grad.abs().sum()) > 0


def test_folding_batchnorm_keeps_the_unet_outputs():
    torch.manual_seed(0)
    G = PlacedUNet(ModelConfig(channels=8), 3)
    x = torch.rand(4, 3, 16, 64)
    G.train()
    for _ in range(3):
        G(x, x)
    G.eval()
    fused = fuse_conv_bn(G)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    assert torch.allclose(fused(x, x), G(x, x), atol=1e-5)


def test_the_layered_generator_writes_the_text_where_it_was_rendered_in_either_polarity():
    """`generator: layered` starts with the font's own shapes: the output is the ink layer where
    the rendered text is and the background layer elsewhere, for a white-on-black or a black-on-
    white rendering (`glyph.invert`)."""
    torch.manual_seed(0)
    cfg = ModelConfig(channels=8, generator="layered")
    assert isinstance(build_generator(cfg, 3), PlacedUNet)
    G = PlacedUNet(cfg, 3).eval()
    layers: list[torch.Tensor] = []
    G.last.register_forward_hook(lambda m, i, o: layers.append(o))
    text = _bar()[:, :1]
    for glyph in (_bar(), 1 - _bar()):
        assert torch.equal(text_mask(glyph), text)
        with torch.no_grad():
            y = G(glyph, torch.rand(1, 3, 16, 64))
        out = layers.pop()
        ink, background = torch.sigmoid(out[:, :3]), torch.sigmoid(out[:, 3:6])
        assert torch.allclose(y, text * ink + (1 - text) * background, atol=1e-6)
        assert not torch.allclose(ink, background, atol=1e-3)  # two layers, not one picture


def test_the_layered_mask_correction_learns_and_the_layers_stay_in_range():
    G = PlacedUNet(ModelConfig(channels=8, generator="layered"), 3)
    x = _bar()
    target = torch.roll(x, 2, dims=2)  # text one step lower: the mask must move or change
    torch.nn.functional.l1_loss(G(x, target), target).backward()
    assert float(G.last.weight.grad[-1].abs().sum()) > 0  # the correction is not a dead branch
    assert float(G.place.weight.grad.abs().sum()) > 0


def test_the_layered_generator_writes_under_bf16_autocast_as_synthesis_bf16_runs_it():
    G = fuse_conv_bn(PlacedUNet(ModelConfig(channels=8, generator="layered"), 3).eval())
    x = torch.rand(2, 3, 32, 128)
    with torch.no_grad():
        plain = G(x, x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = G(x, x)
    assert low.shape == plain.shape and low.dtype == torch.float32  # the mask keeps the composite in fp32
    assert float((low - plain).abs().max()) < 0.05  # bf16's rounding, not another image
