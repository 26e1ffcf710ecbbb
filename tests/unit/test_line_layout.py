"""Where the real lines' text sits (model/layout.py): the placing generators' starting layout."""

from __future__ import annotations

import torch

from saae_augment.config import ModelConfig
from saae_augment.model.layout import describe_layout, estimate_layout
from saae_augment.model.placed import PlacedUNet, affine, place


def _texts(n: int, h: int = 32, w: int = 128) -> torch.Tensor:
    """n full-frame 'renderings': a few bright strokes each, at different places per line."""
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(n, 3, h, w)
    for i in range(n):
        for _ in range(6):
            c = int(torch.randint(4, w - 12, (1,), generator=g))
            x[i, :, 3 : h - 3, c : c + 3] = 1.0
            x[i, :, h // 2 - 1 : h // 2 + 1, c : c + 9] = 1.0
    return x


def _place(x: torch.Tensor, grow: tuple[float, float], shift: tuple[float, float]) -> torch.Tensor:
    n = x.shape[0]
    theta = affine(torch.tensor([grow]).expand(n, 2), torch.tensor([shift]).expand(n, 2), torch.zeros(n, 2))
    return place(x, theta)


def test_the_layout_of_lines_with_margins_is_found():
    content = _texts(16)
    # real lines: the text shrunk into the lower left of a noisy, coloured crop
    real = _place(content, (0.4, 0.3), (0.5, -0.5)) * 0.6 + 0.2 + torch.rand(16, 3, 32, 128) * 0.05
    grow, shift = estimate_layout(real, content)
    assert torch.allclose(grow, torch.tensor([0.4, 0.3]), atol=0.051)
    assert torch.allclose(shift, torch.tensor([0.5, -0.5]), atol=0.01)
    assert describe_layout(grow, shift) == "text 71% of the width and 77% of the height, left, low"


def test_full_frame_lines_start_at_the_identity():
    content = _texts(8)
    grow, shift = estimate_layout(content * 0.8 + 0.1, content)
    assert torch.equal(grow, torch.zeros(2)) and torch.equal(shift, torch.zeros(2))


def test_a_generator_started_at_a_layout_places_every_line_there():
    G = PlacedUNet(ModelConfig(channels=8, generator="layered"), 3)
    G.start_at(torch.tensor([0.4, 0.3]), torch.tensor([0.5, -0.5]))
    content = _texts(2)
    with torch.no_grad():
        placed = G.placed(content, G.encode_style(torch.rand(2, 3, 32, 128)))
    assert torch.allclose(placed, _place(content, (0.4, 0.3), (0.5, -0.5)), atol=1e-4)
