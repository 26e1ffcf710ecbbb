import json

import pytest

from saae_augment.data.fonts import default_font_path, find_family, open_font, resolve_fonts
from saae_augment.errors import FontError


def test_default_font_is_dejavu_from_matplotlib():
    (font,) = resolve_fonts(None)
    assert font.path == default_font_path() and "DejaVu Sans" in font.name
    assert font.missing("AZaz09") == ""


def test_missing_reports_each_absent_character_once_and_ignores_spaces():
    font = open_font(default_font_path())
    assert font.missing("A 京京沪") == "京沪"


def test_a_file_that_is_not_a_font_is_a_clear_error(tmp_path):
    fake = tmp_path / "fake.ttf"
    fake.write_bytes(b"this is not a font at all" * 10)
    with pytest.raises(FontError, match="not a usable font"):
        resolve_fonts(str(fake))


def test_missing_font_file_and_unknown_family(tmp_path):
    with pytest.raises(FontError, match="does not exist"):
        resolve_fonts(str(tmp_path / "nope.ttf"))
    with pytest.raises(FontError, match="no installed font is named"):
        resolve_fonts("Definitely Not A Font Family")


def test_family_lookup_finds_dejavu_serif_case_insensitively():
    assert find_family("dejavu serif").family == "DejaVu Serif"


def test_empty_font_folder(tmp_path):
    with pytest.raises(FontError, match="holds no"):
        resolve_fonts(str(tmp_path))


def test_missing_cjk_message_suggests_what_to_install_or_use():
    from saae_augment.data.fonts import missing_glyphs_message

    msg = missing_glyphs_message(open_font(default_font_path()), "京沪")
    assert "京沪" in msg and ("fonts-wqy-zenhei" in msg or "--font" in msg)


def test_without_any_cjk_font_the_message_says_what_to_install(monkeypatch):
    from saae_augment.data import fonts

    monkeypatch.setattr(fonts, "installed_fonts", lambda: [fonts.open_font(default_font_path())])
    msg = fonts.missing_glyphs_message(fonts.open_font(default_font_path()), "京")
    assert "apt-get install fonts-wqy-zenhei" in msg and "fonts-noto-cjk" in msg


LAST_RESORT = default_font_path().parent / "LastResortHE-Regular.ttf"


@pytest.mark.skipif(not LAST_RESORT.exists(), reason="this matplotlib ships no Last Resort font")
def test_a_fallback_font_of_boxes_has_no_characters_however_few_are_asked():
    boxes = open_font(LAST_RESORT)
    assert boxes.missing("京") == "京" and boxes.missing("京A") == "京A"
    assert open_font(default_font_path()).missing("A") == ""


@pytest.mark.parametrize("args", [["--chars", "京"], ["--text", "京A"]])
def test_render_never_draws_with_a_font_of_boxes(tmp_path, args):
    from typer.testing import CliRunner

    from saae_augment.cli.app import app

    result = CliRunner().invoke(app, ["render", *args, "--size", "32x64", "--out", str(tmp_path / "o")])
    assert "Last Resort" not in result.output
    if result.exit_code == 0:  # a CJK font is installed: it draws the character
        manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
        assert all("Last Resort" not in f["name"] for f in manifest["settings"]["fonts"])
    else:
        assert "install a CJK font" in result.output
