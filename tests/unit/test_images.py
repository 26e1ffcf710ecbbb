import numpy as np
import pytest
from PIL import Image

from saae_augment.data.images import ImageProblem, fit, open_image, to_array


def test_fit_keeps_aspect_and_pads_with_the_border_colour():
    plate = np.full((10, 40), 200, np.uint8)  # light plate, wide
    plate[3:7, 5:35] = 10  # dark text
    out = fit(plate, (32, 32))
    assert out.shape == (32, 32)
    # 40 wide → 32 wide, 10 high → 8 high: padding rows above/below carry the border colour 200
    assert (out[:10] == 200).all() and (out[-10:] == 200).all()
    assert out[16].min() < 60  # the text survived


def test_fit_rgb_and_enlarging_small_digits():
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 0] = 255
    out = fit(rgb, (32, 32))
    assert out.shape == (32, 32, 3) and (out[..., 0] == 255).all()
    assert fit(np.zeros((8, 8), np.uint8), (32, 32)).shape == (32, 32)


@pytest.mark.parametrize(
    "mode,make",
    [
        ("CMYK", lambda: Image.new("CMYK", (6, 6), (0, 0, 0, 255))),
        ("P", lambda: Image.new("L", (6, 6), 0).convert("P")),
        ("LA", lambda: Image.new("LA", (6, 6), (0, 0))),
        ("RGBA", lambda: Image.new("RGBA", (6, 6), (0, 0, 0, 0))),
        ("I;16", lambda: Image.fromarray(np.full((6, 6), 65535, np.uint16))),
        ("1", lambda: Image.new("1", (6, 6), 1)),
        ("F", lambda: Image.fromarray(np.full((6, 6), 0.5, np.float32))),
    ],
)
def test_every_common_mode_becomes_8bit_grey(mode, make):
    img = make()
    assert img.mode == mode
    arr, note = to_array(img, "L")
    assert arr.dtype == np.uint8 and arr.shape == (6, 6)
    assert note == f"{mode}->L"


def test_transparent_pixels_become_white_and_16bit_scales_down():
    assert to_array(Image.new("RGBA", (2, 2), (0, 0, 0, 0)), "L")[0].min() == 255
    assert to_array(Image.fromarray(np.full((2, 2), 65535, np.uint16)), "L")[0].max() == 255
    assert to_array(Image.fromarray(np.full((2, 2), 256, np.uint16)), "L")[0].max() == 1


def test_cmyk_to_rgb_and_rgb_to_grey():
    arr, _ = to_array(Image.new("CMYK", (3, 3), (0, 255, 255, 0)), "RGB")
    assert tuple(arr[0, 0]) == (255, 0, 0)


def test_unsupported_mode_is_reported():
    img = Image.new("HSV", (3, 3))
    with pytest.raises(ImageProblem) as info:
        to_array(img, "L")
    assert info.value.kind == "unsupported-mode"


def test_truncated_non_image_and_bomb_are_problems(tmp_path):
    from tests.conftest import png_with_size_header

    good = tmp_path / "g.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (50, 50), dtype=np.uint8)).save(good)
    trunc = tmp_path / "t.png"
    trunc.write_bytes(good.read_bytes()[:150])
    text = tmp_path / "x.png"
    text.write_text("hello")
    bomb = png_with_size_header(tmp_path / "bomb.png", 30000, 30000)
    assert open_image(good).size == (50, 50)
    kinds = {}
    for name, p in [("trunc", trunc), ("text", text), ("bomb", bomb)]:
        with pytest.raises(ImageProblem) as info:
            open_image(p)
        kinds[name] = info.value.kind
    assert kinds == {"trunc": "unreadable-image", "text": "unreadable-image", "bomb": "too-large"}
