"""Content variety (several fonts, warped glyphs) and what the discriminator sees (DiffAugment)."""

import torch

from saae_augment.data.fontchoice import glyph_bank, glyph_banks, reads_as_itself
from saae_augment.data.fonts import default_font_path, open_font, resolve_font
from saae_augment.data.warp import affine_warp, warp_params
from saae_augment.training.diffaug import diff_augment

DIGITS = list("0123456789")


def test_glyph_banks_put_the_recipe_font_first_and_take_distinct_fonts():
    font = resolve_font(None)
    banks, fonts = glyph_banks(DIGITS, font, 6, (16, 16), 1, invert=False)
    assert banks.shape[1:] == (10, 1, 16, 16) and len(fonts) == banks.shape[0] >= 2
    assert fonts[0] == font and torch.equal(banks[0], glyph_bank(DIGITS, font, (16, 16), 1, False))
    for i in range(len(banks)):
        for j in range(i):
            assert not torch.equal(banks[i], banks[j])
    assert glyph_banks(DIGITS, font, 1, (16, 16), 1, invert=False)[0].shape[0] == 1


def test_a_font_that_draws_other_characters_than_it_claims_is_refused():
    reference = glyph_bank(DIGITS, resolve_font(None), (16, 16), 1, False)
    serif = glyph_bank(DIGITS, open_font(default_font_path().parent / "DejaVuSerif.ttf"), (16, 16), 1, False)
    assert reads_as_itself(serif, reference)
    shuffled = serif[torch.tensor([3, 7, 0, 9, 1, 8, 2, 5, 4, 6])]  # a cmap that lies: "0" draws a 3, ...
    assert not reads_as_itself(shuffled, reference)
    one_box = serif[:1].expand_as(serif)  # a fallback font: the same box for every character
    assert not reads_as_itself(one_box, reference)


def test_warp_depends_on_each_sample_seed_alone_and_fill_draws_no_stripes():
    glyph = torch.zeros(1, 1, 16, 16)
    glyph[..., :, 7:9] = 1.0  # a vertical bar touching the top and bottom edge
    u = warp_params([11, 12, 13])
    assert torch.equal(u[1:2], warp_params([12]))
    shifted = torch.tensor([[0.0, 0.0, 0.0, 0.0, 1.0]])  # a vertical shift of about 2 pixels at strength 2
    border = affine_warp(glyph, shifted, 2.0)
    filled = affine_warp(glyph, shifted, 2.0, fill=0.0)
    assert border[0, 0, :, 7:9].min() > 0.9  # border mode extends the bar into the uncovered rows
    uncovered = min(filled[0, 0, 0].max(), filled[0, 0, -1].max())
    assert uncovered < 0.01  # a glyph warp uncovers background, not more stroke
    assert torch.allclose(filled[0, 0, 8], border[0, 0, 8])


def test_diff_augment_is_seeded_differentiable_and_off_at_zero():
    x = torch.rand(8, 1, 16, 16, requires_grad=True)
    a = diff_augment(x, torch.Generator().manual_seed(1), 1.0)
    b = diff_augment(x, torch.Generator().manual_seed(1), 1.0)
    c = diff_augment(x, torch.Generator().manual_seed(2), 1.0)
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, c)
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0  # the generator learns through it
    assert diff_augment(x, torch.Generator(), 0.0) is x
    holes = (a.detach() == 0).flatten(1).sum(1)
    assert (holes >= 16).all()  # every image lost a 4×4 square (cutout) at least
