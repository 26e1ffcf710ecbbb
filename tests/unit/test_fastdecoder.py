"""The cached decoder (the paper's concat decoder, first layer split per class, BatchNorm folded)
must compute what the generator computes; synthesis uses it for one-glyph-per-class recipes."""

import torch

from saae_augment.config import ModelConfig
from saae_augment.model.saae import build_model
from saae_augment.synthesis.fastdecoder import CachedDecoder


def test_cached_decoder_equals_the_generator():
    torch.manual_seed(0)
    G = build_model(ModelConfig(style_inject="concat", channels=8, style_dim=16), 1, (16, 16), 10).generator
    G.train()
    with torch.no_grad():  # give BatchNorm non-trivial running statistics
        for _ in range(5):
            G(torch.rand(32, 1, 16, 16), torch.rand(32, 1, 16, 16))
    G.eval()
    glyphs, styles = torch.rand(10, 1, 16, 16), torch.rand(20, 1, 16, 16)
    cls = torch.arange(20) % 10
    with torch.no_grad():
        vectors = G.encode_style(styles)
        expected = G.decode(glyphs[cls], vectors)
        fast = CachedDecoder(G, G.content(glyphs)).eval()
        got = fast(cls, G.style_map(vectors, (16, 16)))
    assert torch.allclose(got, expected, atol=1e-5)


def test_film_generator_has_no_spatial_style_path():
    G = build_model(ModelConfig(style_inject="film", channels=8, style_dim=16), 1, (16, 16), 10).generator
    assert G.style_map is None and G.film
    out = G.eval()(torch.rand(3, 1, 16, 16), torch.rand(3, 1, 24, 40))  # a style image of any size
    assert out.shape == (3, 1, 16, 16) and 0 <= out.min() and out.max() <= 1
