"""CTC decoding, error rates, line text sources and the inference-only BatchNorm folding."""

from __future__ import annotations

import pytest
import torch

from saae_augment.config import ModelConfig
from saae_augment.core.textmetrics import character_error_rate, edit_distance, word_accuracy
from saae_augment.errors import UsageError
from saae_augment.model.crnn import CRNN, greedy_decode
from saae_augment.model.fusion import fuse_conv_bn
from saae_augment.model.saae import Generator
from saae_augment.tasks.texts import line_texts


def _scores(frames: list[int], k: int = 4) -> torch.Tensor:
    s = torch.full((1, len(frames), k + 1), -5.0)
    for t, c in enumerate(frames):
        s[0, t, c] = 5.0
    return s


def test_greedy_decode_merges_repeats_and_drops_blanks():
    # frames: A A blank A B B blank -> "AAB" (a blank separates the two A's)
    assert greedy_decode(_scores([1, 1, 0, 1, 2, 2, 0]), "ABCD") == ["AAB"]
    assert greedy_decode(_scores([0, 0, 0]), "ABCD") == [""]


def test_error_rates():
    assert edit_distance("京A12345", "京A12345") == 0
    assert edit_distance("京A12345", "京A1245") == 1
    assert edit_distance("", "abc") == 3
    assert character_error_rate(["京A1245", "B"], ["京A12345", "B"]) == pytest.approx(1 / 8)
    assert word_accuracy(["a", "b", "c"], ["a", "x", "c"]) == pytest.approx(2 / 3)


def test_crnn_reads_any_width_at_a_quarter_of_it():
    model = CRNN(3, 10, width=8).eval()
    assert model(torch.rand(2, 3, 32, 128)).shape == (2, 32, 11)
    assert model(torch.rand(2, 3, 24, 96)).shape == (2, 24, 11)


def test_folding_batchnorm_keeps_outputs():
    torch.manual_seed(0)
    G = Generator(ModelConfig(channels=8), 3)
    x = torch.rand(4, 3, 16, 64)
    G.train()
    for _ in range(3):  # move the running statistics away from their defaults
        G(x, x)
    G.eval()
    fused = fuse_conv_bn(G)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    assert torch.allclose(fused(x, x), G(x, x), atol=1e-5)


def test_line_texts_sources():
    cs = "0123456789ABC"
    fixed = line_texts(cs, labels=["12", "AB"])
    assert [fixed.text(0, i) for i in range(4)] == ["12", "AB", "12", "AB"]
    pool = line_texts(cs, texts=["1A", "2B", "3C"])
    assert {pool.text(0, i) for i in range(30)} == {"1A", "2B", "3C"}
    assert line_texts(cs, pattern="{digit:3}").text(0, 5).isdigit()
    with pytest.raises(UsageError, match="only one"):
        line_texts(cs, labels=["1"], pattern="{digit}")
    with pytest.raises(UsageError, match="'Z'"):
        line_texts(cs, texts=["1Z"])
    with pytest.raises(UsageError, match="no texts of its own"):
        line_texts(cs)


def test_line_fonts_leave_out_fonts_that_draw_boxes(cjk_font):
    """Fallback fonts (Last Resort) claim every character but draw boxes: never content."""
    from saae_augment.data.charsets import CHARSETS
    from saae_augment.data.fontchoice import line_fonts

    fonts = line_fonts(CHARSETS["plate-cn"], None, 8)
    assert fonts and all("Last Resort" not in f.name for f in fonts)
    assert all(not f.missing(CHARSETS["plate-cn"]) for f in fonts)
