import numpy as np
import pytest
from PIL import Image

from saae_augment.data.charsets import CHARSETS, resolve_charset
from saae_augment.data.fonts import resolve_font
from saae_augment.data.glyphs import parse_size, render_glyphs, render_text
from saae_augment.data.textfiles import read_texts_file
from saae_augment.errors import FontError, UsageError
from saae_augment.sets.render import write_glyph_set


def ink_box(img: np.ndarray, threshold: int = 128) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of pixels brighter than threshold, inclusive."""
    ys, xs = np.nonzero(img > threshold)
    return ys.min(), ys.max(), xs.min(), xs.max()


@pytest.fixture(scope="module")
def font():
    return resolve_font(None)


def test_parse_size_square_and_line():
    assert parse_size("32") == (32, 32)
    assert parse_size("32x128") == (32, 128)
    assert parse_size(48) == (48, 48)


@pytest.mark.parametrize("bad", ["0", "32x", "x", "axb", "2x2", "32x128x3", "99999"])
def test_parse_size_rejects_nonsense(bad):
    with pytest.raises(UsageError, match="size"):
        parse_size(bad)


def test_lowercase_is_smaller_than_uppercase_and_shares_baseline(font):
    a = render_text("a", font, (64, 64))
    A = render_text("A", font, (64, 64))
    top_a, bottom_a, _, _ = ink_box(a)
    top_A, bottom_A, _, _ = ink_box(A)
    assert bottom_a - top_a < 0.85 * (bottom_A - top_A)
    assert abs(bottom_a - bottom_A) <= 1  # same baseline


def test_one_is_thinner_than_m(font):
    _, _, l1, r1 = ink_box(render_text("1", font, (64, 64)))
    _, _, lm, rm = ink_box(render_text("M", font, (64, 64)))
    assert (r1 - l1) < 0.8 * (rm - lm)


def test_descender_hangs_below_baseline(font):
    _, bottom_g, _, _ = ink_box(render_text("g", font, (64, 64)))
    _, bottom_x, _, _ = ink_box(render_text("x", font, (64, 64)))
    assert bottom_g > bottom_x + 5


def test_glyph_is_centred_and_inside_the_canvas(font):
    img = render_text("O", font, (32, 32))
    top, bottom, left, right = ink_box(img)
    assert img.shape == (32, 32) and img.dtype == np.uint8
    assert abs((left + right) / 2 - 15.5) <= 1
    assert top > 0 and bottom < 31 and left > 0 and right < 31


def test_invert_gives_dark_ink_on_white(font):
    img = render_text("8", font, (32, 32), invert=True)
    assert img[0, 0] == 255 and img.min() < 64


def test_long_line_shrinks_instead_of_clipping(font):
    img = render_text("THE QUICK BROWN FOX JUMPS", font, (32, 128))
    top, bottom, left, right = ink_box(img, threshold=40)
    assert left > 0 and right < 127, "ink touches the side: clipped"
    assert img.shape == (32, 128)


def test_render_glyphs_missing_characters_is_an_error_naming_them(font):
    with pytest.raises(FontError) as info:
        render_glyphs(["A", "京", "B", "沪"], font)
    assert "京" in str(info.value) and "沪" in str(info.value) and "DejaVu" in str(info.value)


def test_render_glyphs_skip_reports_what_it_left_out(font):
    glyphs, report = render_glyphs(["A", "京", "B"], font, on_missing="skip")
    assert [g.text for g in glyphs] == ["A", "B"]
    assert report.skipped_texts == 1
    assert list(report.skipped.values()) == ["京"]


def test_render_glyphs_rejects_blank_text(font):
    with pytest.raises(UsageError, match="blank"):
        render_glyphs(["A", " "], font)


def test_write_glyph_set_writes_images_labels_sheet_and_manifest(tmp_path):
    out = tmp_path / "g"
    report = write_glyph_set(out, list(CHARSETS["digits"]), size=32)
    assert report.rendered == 10
    pngs = sorted((out / "images").glob("*.png"))
    assert len(pngs) == 10
    assert Image.open(pngs[0]).size == (32, 32)
    csv_lines = (out / "labels.csv").read_text().splitlines()
    assert csv_lines[0] == "path,label"
    assert csv_lines[1:] == [f"images/{i:06d}.png,{i}" for i in range(10)]
    txt_lines = (out / "labels.txt").read_text().splitlines()
    assert txt_lines[3] == "images/000003.png\t3"
    sheet = Image.open(out / "sheet.png")
    assert sheet.size[0] > 100 and sheet.size[1] > 40
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "render" and manifest["settings"]["rendered"] == 10
    assert len(manifest["settings"]["fonts"][0]["sha256"]) == 64


def test_write_glyph_set_with_missing_glyph_writes_nothing(tmp_path):
    from saae_augment.data.fonts import default_font_path

    with pytest.raises(FontError):
        write_glyph_set(tmp_path / "g", ["A", "京"], font=default_font_path(), size=32)
    assert not (tmp_path / "g").exists()


def test_without_a_font_the_first_covering_font_draws(tmp_path, cjk_font):
    glyphs, _ = render_glyphs(["A", "京"], size=32)
    assert not glyphs[0].font.missing("A京")


def test_without_any_covering_font_the_error_says_what_to_install(monkeypatch):
    import saae_augment.data.fonts as fonts

    monkeypatch.setattr(fonts, "installed_fonts", lambda: [])
    with pytest.raises(FontError, match="fonts-wqy-zenhei"):
        render_glyphs(["A", "京"], size=32)


def test_font_folder_renders_every_font_and_records_which(tmp_path):
    import shutil

    folder = tmp_path / "fonts"
    folder.mkdir()
    dejavu = resolve_font(None).path
    shutil.copy(dejavu, folder / "a.ttf")
    shutil.copy(dejavu.with_name("DejaVuSerif.ttf"), folder / "b.ttf")
    out = tmp_path / "g"
    report = write_glyph_set(out, ["A", "B"], font=folder, size=32)
    assert report.rendered == 4
    assert (out / "labels.csv").read_text().splitlines()[0] == "path,label,font"


def test_cjk_plate_charset_renders_all_65_classes(tmp_path, cjk_font):
    out = tmp_path / "cn"
    report = write_glyph_set(out, list(CHARSETS["plate-cn"]), font=cjk_font, size=32)
    assert report.rendered == 65
    assert len(list((out / "images").glob("*.png"))) == 65


def test_cjk_plate_line_renders_inside_canvas(cjk_font):
    img = render_text("京A12345", cjk_font, (32, 128))
    top, bottom, left, right = ink_box(img, threshold=40)
    assert img.shape == (32, 128) and left > 0 and right < 127 and right - left > 60


def test_no_tofu_rendered_glyphs_differ_from_each_other(font):
    glyphs, _ = render_glyphs(list(CHARSETS["alnum"]), font, size=24)
    distinct = {g.image.tobytes() for g in glyphs}
    assert len(distinct) == 62


def test_texts_file_rejects_blank_lines(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("ABC\n\nDEF\n")
    with pytest.raises(UsageError, match="line 2"):
        read_texts_file(f)
    f.write_text("\ufeffABC\r\nDEF\r\n", encoding="utf-8")
    assert read_texts_file(f) == ["ABC", "DEF"]


def test_charset_presets_and_literal():
    assert resolve_charset("digits") == "0123456789"
    assert len(resolve_charset("plate-cn")) == 65
    assert "I" not in resolve_charset("plate-cn") and "O" not in resolve_charset("plate-cn")
    assert resolve_charset(chars="aab") == "ab"
    with pytest.raises(UsageError, match="unknown charset"):
        resolve_charset("klingon")
    with pytest.raises(UsageError, match="only one"):
        resolve_charset("digits", chars="abc")


def test_chars_file_and_its_errors(tmp_path):
    f = tmp_path / "chars.txt"
    f.write_text("abc\ncba\n")
    assert resolve_charset(chars_file=f) == "abc"
    with pytest.raises(UsageError, match="does not exist"):
        resolve_charset(chars_file=tmp_path / "nope.txt")
    f.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UsageError, match="not UTF-8"):
        resolve_charset(chars_file=f)
