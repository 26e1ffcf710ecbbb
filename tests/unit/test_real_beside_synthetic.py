"""The report's real-beside-synthetic sheet: real rows and synthetic rows alternate, pairs aligned."""

import numpy as np
import pytest

from saae_augment.data.sheet import MIN_TILE_HEIGHT, contact_sheet, real_beside_synthetic


def _lines(n: int, value: int, shape: tuple[int, ...]) -> list[np.ndarray]:
    return [np.full(shape, value, np.uint8) for _ in range(n)]


def test_rows_alternate_real_then_synthetic_at_the_synthetic_size():
    real = _lines(10, 250, (64, 224, 3))  # the user's crops, at their own size
    ours = _lines(10, 5, (32, 128, 3))
    sheet = np.asarray(real_beside_synthetic(real, list("ABCDEFGHIJ"), ours, list("abcdefghij"), per_row=4, rows=6))
    scale = -(-MIN_TILE_HEIGHT // 32)
    tile_h = 32 * scale
    # two whole rows of 4 real (10 // 4), each followed by a row of 4 synthetic: 4 rows of tiles
    assert sheet.shape[1] == 4 * (128 * scale + 4) + 4
    rows = [y for y in range(sheet.shape[0]) if (sheet[y, 4:8] >= 200).all() or (sheet[y, 4:8] <= 10).all()]
    bright = [y for y in rows if sheet[y, 5, 0] >= 200]
    dark = [y for y in rows if sheet[y, 5, 0] <= 10]
    assert len(bright) == len(dark) == 2 * tile_h  # real tiles (padded to the synthetic size) and ours
    assert min(bright) < min(dark) < max(bright) < max(dark)  # real, ours, real, ours


def test_grey_real_beside_colour_synthetic_and_too_few_images():
    sheet = real_beside_synthetic(_lines(3, 200, (32, 128)), ["A1", "B2", "C3"], _lines(2, 9, (32, 128, 3)), ["x", "y"])
    assert sheet.mode == "RGB" and sheet.size[0] > 2 * 128  # two pairs, one row each
    with pytest.raises(ValueError, match="real and synthetic"):
        real_beside_synthetic([], [], _lines(1, 0, (8, 8)), ["0"])


def test_chinese_captions_are_drawn_not_boxed(cjk_font):
    """Plate labels start with a province: drawn in DejaVu, every one would be the same box."""
    tile = [np.zeros((32, 128, 3), np.uint8)]
    jing = np.asarray(contact_sheet(tile, ["京A12345"]))
    hu = np.asarray(contact_sheet(tile, ["沪A12345"]))
    assert jing.shape == hu.shape and not np.array_equal(jing, hu)
