"""Plate patterns, presets, CCPD file names and the procedural plate-photo set."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from saae_augment.data.ccpd import decode_ccpd_name
from saae_augment.data.charsets import CHARSETS
from saae_augment.data.load import load_dataset
from saae_augment.data.plates import PRESETS, PlateTexts, parse_pattern
from saae_augment.errors import DatasetError, UsageError


def test_cn_pattern_makes_valid_plates():
    texts = PlateTexts("{province}{letter}{alnum:5}")
    plates = [texts.text(0, i) for i in range(200)]
    assert all(len(p) == 7 for p in plates)
    assert all(p[0] in CHARSETS["plate-cn"][:31] for p in plates)
    assert all(p[1].isupper() and p[1] not in "IO" for p in plates)
    assert all(set(p) <= set(CHARSETS["plate-cn"]) for p in plates)
    assert len(set(plates)) > 190  # varied, not one plate repeated


def test_text_depends_only_on_seed_and_index():
    texts = PlateTexts("plate-cn")
    assert [texts.text(3, i) for i in range(50)] == [PlateTexts("plate-cn").text(3, i) for i in range(50)]
    assert texts.text(3, 7) != texts.text(4, 7) or texts.text(3, 8) != texts.text(4, 8)


def test_presets_cover_the_layouts():
    green = PlateTexts("plate-cn-green").text(0, 0)
    assert len(green) == 8 and green[2] in "DF"
    us = PlateTexts("plate-us").text(0, 0)
    assert us[0].isdigit() and us[1:4].isalpha() and us[4:].isdigit()
    mix = {PlateTexts("plate-cn").draw(0, i)[1].name for i in range(300)}
    assert mix == {"cn-blue", "cn-yellow", "cn-green"}
    assert set(PRESETS) >= {"plate-cn", "plate-eu", "plate-us"}


def test_literal_text_in_patterns_is_kept():
    assert parse_pattern("AB-{digit:3}").draw(np.random.default_rng(0))[:3] == "AB-"


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("{foo}", "unknown field {foo}"), ("{digit:0}", "1 to 64"), ("ABC", "has no field"), ("{digit", "brace")],
)
def test_bad_patterns_say_what_is_wrong(pattern, message):
    with pytest.raises(UsageError, match=message):
        parse_pattern(pattern)


def test_unknown_preset_lists_the_presets():
    with pytest.raises(UsageError, match="plate-cn"):
        PlateTexts("plate-xx")


def test_ccpd_names_decode_to_plates():
    # The example of CCPD's README: indices 0_0_22_27_27_33_16 are 皖AY339S.
    plate, box = decode_ccpd_name("025-95_113-154&383_386&473-386&473_177&454_154&383_363&402-0_0_22_27_27_33_16-37-15")
    assert plate == "皖AY339S"
    assert box == (154, 383, 386, 473)
    assert decode_ccpd_name("holiday-photo") is None
    with pytest.raises(ValueError, match="placeholder"):
        decode_ccpd_name("1-1_1-1&1_9&9-9&9_1&9_1&1_9&1-0_24_1_1_1_1_1-1-1")


@pytest.fixture
def ccpd_folder(tmp_path):
    root = tmp_path / "CCPD2019" / "ccpd_base"
    root.mkdir(parents=True)
    photo = np.zeros((120, 240, 3), np.uint8)
    photo[50:70, 60:180] = (30, 60, 200)  # the plate
    names = {
        "0019-1_1-60&50_180&70-180&70_60&70_60&50_180&50-0_0_22_27_27_33_16-66-3.png": "皖AY339S",
        "0020-2_3-60&50_180&70-180&70_60&70_60&50_180&50-12_1_27_26_25_28_30-80-9.png": "京B32146",
    }
    for name in names:
        Image.fromarray(photo).save(root / name)
    Image.fromarray(photo).save(root / "not-a-ccpd-name.jpg")
    return tmp_path / "CCPD2019", names


def test_ccpd_folder_loads_plates_and_crops(ccpd_folder):
    root, names = ccpd_folder
    data = load_dataset(root, mode="RGB")
    assert data.report.format == "ccpd"
    assert sorted(data.labels) == sorted(names.values())
    for img in data.images:
        assert img.shape == (20, 120, 3)  # cropped to the plate box
        assert (img.reshape(-1, 3) == (30, 60, 200)).all()  # and only the plate is in it
    assert data.report.ignored_files == ["ccpd_base/not-a-ccpd-name.jpg"]


def test_ccpd_box_outside_the_photo_is_reported(tmp_path):
    name = "1-1_1-100&100_200&120-1&1_1&1_1&1_1&1-0_0_1_1_1_1_1-1-1.jpg"
    Image.fromarray(np.zeros((40, 40), np.uint8)).save(tmp_path / name)
    with pytest.raises(DatasetError, match="outside"):
        load_dataset(f"ccpd:{tmp_path}")


def test_plate_photos_are_labelled_and_reproducible(tmp_path, cjk_font):
    from saae_augment.sets.plates import make_plate_photos

    a = make_plate_photos(tmp_path / "a", 6, "plate-cn", (48, 160), seed=1, font=cjk_font.path)
    b = make_plate_photos(tmp_path / "b", 6, "plate-cn", (48, 160), seed=1, font=cjk_font.path)
    data = load_dataset(a, mode="RGB")
    assert len(data) == 6 and all(len(x) in (7, 8) for x in data.labels)
    assert all(im.shape == (48, 160, 3) for im in data.images)
    assert (a / "sheet.png").is_file() and (a / "manifest.json").is_file()
    assert (a / "images/000003.png").read_bytes() == (b / "images/000003.png").read_bytes()


def test_plate_photos_need_a_font_with_the_characters(tmp_path):
    from saae_augment.data.fonts import default_font_path
    from saae_augment.errors import FontError
    from saae_augment.sets.plates import make_plate_photos

    with pytest.raises(FontError, match="lacks"):
        make_plate_photos(tmp_path, 2, "plate-cn", font=default_font_path())
