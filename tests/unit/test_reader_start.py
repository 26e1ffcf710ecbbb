"""Where the line reader starts: rendered lines that teach it shapes first (core/readerstart.py),
and saved readers of every shape (model/crnn.py) rebuilt as they were."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from saae_augment.core.readerstart import pretrained_reader
from saae_augment.core.renderedlines import RenderedLines
from saae_augment.core.textmetrics import character_error_rate
from saae_augment.data.datasets import to_tensor
from saae_augment.model.crnn import CRNN, build_reader, collapses, read_lines, rows_of, width_of
from saae_augment.training import linejudge
from saae_augment.training.linejudge import light_jitter

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


@pytest.mark.slow
def test_a_pretrained_reader_reads_rendered_lines_it_never_saw():
    digits = "0123456789"
    state = pretrained_reader(digits, (16, 64), 1, [3, 4], seed=0, steps=150)
    assert state is not None
    reader = build_reader(1, digits, state)
    reader.load_state_dict(state)
    images, texts = RenderedLines.for_charset(digits, (16, 64)).batch([3, 4] * 32, seed=99, step=0)
    untrained = build_reader(1, digits)
    cold = character_error_rate(read_lines(untrained, to_tensor(images), digits), texts)  # 0.89-1.0
    warm = character_error_rate(read_lines(reader, to_tensor(images), digits), texts)  # measured 0.50
    assert warm < 0.7 and warm < cold - 0.2
    # one start per (charset, size, lengths, seed), handed out as a copy the caller may train
    again = pretrained_reader(digits, (16, 64), 1, [4, 3, 3], seed=0, steps=150)
    assert all(torch.equal(state[k], again[k]) for k in state) and again is not state
    assert pretrained_reader("\U0010fffd\U0010fffc", (16, 64), 1, [3], seed=0) is None  # no font: cold


def test_a_saved_reader_is_rebuilt_with_its_own_shape():
    x = torch.rand(2, 1, 32, 128)
    olds = (
        CRNN(1, len(CHARSET), rows=4, collapse=False),
        CRNN(1, len(CHARSET), collapse=False),
        CRNN(1, 13),
        CRNN(1, 13, width=32),  # the line run's judge
        CRNN(1, 13, width=32, rows=4, collapse=False),
    )
    for old in olds:
        state = old.state_dict()
        again = build_reader(1, CHARSET, state)
        again.load_state_dict(state)  # strict: every weight of the saved shape has its place
        old.eval(), again.eval()
        assert torch.equal(old(x), again(x))
        assert old(x).shape == (2, 32, len(CHARSET) + 1)  # one frame per 4 pixels of width, whatever the shape
    assert rows_of(CRNN(1, 13, rows=4, collapse=False).state_dict()) == 4 and rows_of(None) == 1
    assert collapses(None) and collapses(CRNN(1, 13).state_dict())
    assert not collapses(CRNN(1, 13, collapse=False).state_dict())
    assert width_of(CRNN(1, 13, width=32).state_dict()) == 32 and width_of(None) == 16 and width_of(None, 32) == 32
    # a wider state asked for at the default width still loads: the weights say how wide it is
    assert build_reader(1, CHARSET, CRNN(1, 13, width=32).state_dict(), width=16).head.in_features == 4 * 32


def test_the_reader_reads_lines_of_any_height_from_8_pixels():
    reader = build_reader(1, CHARSET).eval()
    for height in (8, 16, 24, 32, 64):
        assert reader(torch.rand(1, 1, height, 96)).shape == (1, 24, len(CHARSET) + 1)


def test_the_pretrained_start_is_computed_in_the_asked_precision_and_cached_per_precision():
    digits = "0123456789"
    fp32 = pretrained_reader(digits, (16, 64), 1, [3], seed=0, steps=3, precision="fp32")
    bf16 = pretrained_reader(digits, (16, 64), 1, [3], seed=0, steps=3, precision="bf16")
    assert fp32 is not None and bf16 is not None
    assert all(v.dtype == fp32[k].dtype for k, v in bf16.items())  # weights stay fp32 either way
    assert any(not torch.equal(fp32[k], bf16[k]) for k in fp32)  # not one cached start for both
    again = pretrained_reader(digits, (16, 64), 1, [3], seed=0, steps=3, precision="fp32")
    assert all(torch.equal(fp32[k], again[k]) for k in fp32)


def test_each_width_gets_its_own_pretrained_start():
    digits = "0123456789"
    narrow = pretrained_reader(digits, (16, 64), 1, [3], seed=0, steps=2, precision="fp32")
    wide = pretrained_reader(digits, (16, 64), 1, [3], seed=0, steps=2, precision="fp32", width=32)
    assert narrow is not None and wide is not None
    assert width_of(narrow) == 16 and width_of(wide) == 32
    build_reader(1, digits, wide).load_state_dict(wide)  # strict: the start fits the reader it is for


def test_dropout_changes_how_a_reader_learns_not_what_it_saves_or_reads():
    x = torch.rand(4, 1, 32, 128)
    torch.manual_seed(0)
    plain = CRNN(1, 13, width=32)
    dropped = build_reader(1, CHARSET, plain.state_dict(), dropout=0.3)
    dropped.load_state_dict(plain.state_dict())  # strict: dropout adds no weight, so any saved judge loads
    plain.eval(), dropped.eval()
    assert torch.equal(plain(x), dropped(x))  # reading: no dropout
    dropped.train()
    assert not torch.equal(dropped(x), dropped(x))  # learning: a new mask each step


def test_a_start_with_dropout_is_its_own_and_leaves_the_callers_random_stream_alone():
    digits = "0123456789"
    torch.manual_seed(5)
    plain = pretrained_reader(digits, (16, 64), 1, [3], seed=0, steps=2, precision="fp32", width=32)
    after_plain = torch.rand(3)
    torch.manual_seed(5)
    dropped = pretrained_reader(digits, (16, 64), 1, [3], seed=0, steps=2, precision="fp32", width=32, dropout=0.3)
    assert torch.equal(torch.rand(3), after_plain)  # its masks came from its own stream
    assert plain is not None and dropped is not None
    assert any(not torch.equal(plain[k], dropped[k]) for k in plain)  # not the cached start without dropout
    again = pretrained_reader(digits, (16, 64), 1, [3], seed=0, steps=2, precision="fp32", width=32, dropout=0.3)
    assert all(torch.equal(dropped[k], again[k]) for k in dropped)  # one start per key, cached


def test_the_judges_jitter_inverts_half_the_lines_and_keeps_them_legible():
    dark_on_light = torch.full((64, 1, 32, 128), 0.9)
    dark_on_light[:, :, 12:20, 20:108] = 0.1  # one dark stroke across a light plate
    out = light_jitter(dark_on_light, torch.Generator().manual_seed(0))
    assert out.shape == dark_on_light.shape and out.min() >= 0 and out.max() <= 1
    background = out[:, 0, 2, 20:108].median(1).values
    stroke = out[:, 0, 16, 20:108].median(1).values
    inverted = background < stroke
    assert 16 <= int(inverted.sum()) <= 48  # about half the lines, each whole: light text on dark
    assert ((background - stroke).abs() > 0.4).all()  # the stroke stays distinct in every line
    again = light_jitter(dark_on_light, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)


def test_the_judges_start_takes_twice_the_rendered_steps_and_a_short_run_stays_short(monkeypatch):
    asked: list[int] = []
    monkeypatch.setattr(linejudge, "pretrained_reader", lambda *a, **k: asked.append(a[5]))  # a[5]: steps
    monkeypatch.setattr(linejudge, "fit", lambda *a, **k: None)  # the fit itself is not what is asked here
    x, y = torch.rand(4, 3, 32, 128), ["A1", "B2", "C3", "12"]
    linejudge.train_line_judge(x, y, CHARSET, 5000, 0, torch.device("cpu"))
    linejudge.reader_start(x, y, CHARSET, 5000, 0)  # the recognition head's start
    linejudge.train_line_judge(x, y, CHARSET, 30, 0, torch.device("cpu"))  # a smoke run
    # 400 rendered steps left the 32-wide judge on CTC's plateau for some seeds (linejudge.py)
    assert asked == [800, 400, 30]


def test_the_judges_jitter_shuffles_the_colours_of_about_a_third_of_colour_lines():
    orange = torch.tensor([0.8, 0.5, 0.2])[None, :, None, None].expand(64, 3, 32, 128).clone()
    out = light_jitter(orange, torch.Generator().manual_seed(0))
    ranking = out.median(3).values.median(2).values.argsort(1)  # channels, darkest first, per line
    as_drawn = torch.tensor([2, 1, 0])  # blue darkest, red brightest; inverted: the reverse
    kept = (ranking == as_drawn).all(1) | (ranking == as_drawn.flip(0)).all(1)
    # half the lines shuffled, and 4 of the 6 orders are neither the drawn one nor its reverse
    assert 8 <= int((~kept).sum()) <= 36
    assert torch.equal(light_jitter(orange, torch.Generator().manual_seed(0)), out)
