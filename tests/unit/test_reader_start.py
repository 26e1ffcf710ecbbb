"""The line reader's start options: rendered lines that teach it shapes first (warm_start), and
frames of several feature rows (model/crnn.py), with a saved reader rebuilt in its own shape."""

from __future__ import annotations

import numpy as np
import torch

from saae_augment.core.recognizers import LineRecognizer
from saae_augment.core.renderedlines import RenderedLines
from saae_augment.model.crnn import CRNN, build_reader, rows_of

CHARSET = "0123456789ABC"


def test_rendered_lines_are_reproducible_labeled_and_varied():
    lines = RenderedLines.for_charset(CHARSET, (32, 128))
    assert lines is not None
    images, texts = lines.batch([7, 3, 5, 7], seed=1, step=2)
    again, same = lines.batch([7, 3, 5, 7], seed=1, step=2)
    assert images.dtype == np.uint8 and images.shape == (4, 32, 128)
    assert np.array_equal(images, again) and texts == same
    assert [len(t) for t in texts] == [7, 3, 5, 7] and set("".join(texts)) <= set(CHARSET)
    other, _ = lines.batch([7, 3, 5, 7], seed=1, step=3)
    assert not np.array_equal(images, other)
    many, _ = lines.batch([6] * 64, seed=0, step=0)
    # both polarities: the mean grey of a line is above mid-grey for some and below for others
    means = many.reshape(64, -1).mean(1)
    assert means.min() < 110 < 140 < means.max()


def test_no_font_for_the_charset_means_a_cold_start():
    assert RenderedLines.for_charset("\U0010fffd\U0010fffc", (32, 128)) is None  # private use, plane 16


def test_the_reader_trains_on_rendered_lines_in_the_first_half_only():
    real = np.zeros((8, 32, 128), np.uint8)

    def sample(step: int):
        return real, ["AB12"] * 8

    mixed = LineRecognizer(CHARSET + "ABCD", (32, 128), warm_start=True)._batches(sample, steps=10, seed=0)
    early_images, early_labels = mixed(0)
    assert early_labels[:4] == ["AB12"] * 4 and all(len(t) == 4 for t in early_labels[4:])
    assert early_labels[4:] != ["AB12"] * 4 and early_images[4:].any()  # drawn lines, not the real zeros
    late_images, late_labels = mixed(5)
    assert late_labels == ["AB12"] * 8 and not late_images.any()
    cold = LineRecognizer(CHARSET, (32, 128))._batches(sample, steps=10, seed=0)  # the default
    assert cold(0)[1] == ["AB12"] * 8


def test_a_saved_reader_is_rebuilt_with_its_own_shape():
    old = CRNN(1, len(CHARSET), rows=4)
    state = old.state_dict()
    assert rows_of(state) == 4 and rows_of(CRNN(1, len(CHARSET)).state_dict()) == 1 and rows_of(None) == 1
    again = build_reader(1, CHARSET, state)
    again.load_state_dict(state)
    x = torch.rand(2, 1, 32, 128)
    old.eval(), again.eval()
    assert torch.equal(old(x), again(x))
    assert old(x).shape == (2, 32, len(CHARSET) + 1)  # 4 rows or 1, one frame per 4 pixels of width
