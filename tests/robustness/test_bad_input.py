"""The bad-input catalogue: every kind of broken or odd input users feed us, and what it gets.

Each case names the outcome a user sees: a problem kind (the sample is skipped and listed in the
report, never dropped silently), a conversion (kept, and counted), or a one-line error.
"""

from __future__ import annotations

import os
import string
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from typer.testing import CliRunner

from saae_augment.cli.app import app
from saae_augment.config import RecipeError, apply_overrides, load_recipe, recipe_from_dict, recipe_to_dict
from saae_augment.data.fonts import default_font_path, open_font
from saae_augment.data.glyphs import render_glyphs
from saae_augment.data.load import load_dataset
from saae_augment.data.textfiles import read_texts_file
from saae_augment.errors import DatasetError, FontError, SaaeError
from tests.conftest import png_with_size_header

GOOD = (np.arange(144, dtype=np.uint8).reshape(12, 12) * 2 + 10).astype(np.uint8)


def _png(path: Path, image: Image.Image) -> None:
    image.save(path)


def _truncated(path: Path) -> None:
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 40), dtype=np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:120])


IMAGE_CASES: dict[str, tuple[str, Callable[[Path], None], str, str]] = {
    # name: (file name, how to make it, outcome kind, text the report line holds)
    "truncated": ("t.png", _truncated, "unreadable-image", "truncated or corrupt image"),
    "zero-byte": ("z.png", lambda p: p.write_bytes(b""), "unreadable-image", "empty file (0 bytes)"),
    "text named .png": ("x.png", lambda p: p.write_text("not an image"), "unreadable-image", "not an image file"),
    "decompression bomb": ("b.png", lambda p: png_with_size_header(p, 30000, 30000), "too-large", "decompression bomb"),
    "over the pixel limit": ("o.png", lambda p: png_with_size_header(p, 8000, 8000), "too-large", "8000x8000 pixels"),
    "tiny 1x1": ("s.png", lambda p: _png(p, Image.new("L", (1, 1), 200)), "too-small", "1x1 pixels"),
    "tiny 3x40": ("s3.png", lambda p: _png(p, Image.new("L", (40, 3), 200)), "too-small", "40x3 pixels"),
    "16-bit": ("w.png", lambda p: _png(p, Image.fromarray(GOOD.astype(np.uint16) * 257)), "converted", "I;16->L"),
    "CMYK": ("c.jpg", lambda p: _png(p, Image.fromarray(GOOD).convert("CMYK")), "converted", "CMYK->L"),
    "palette": ("p.png", lambda p: _png(p, Image.fromarray(GOOD).convert("P")), "converted", "P->L"),
    "alpha": ("a.png", lambda p: _png(p, Image.fromarray(GOOD).convert("RGBA")), "converted", "RGBA->L"),
    "huge but under the pixel limit": ("h.png", lambda p: _png(p, Image.new("L", (6000, 60), 90)), "kept", ""),
}


@pytest.mark.parametrize("case", list(IMAGE_CASES))
def test_bad_and_odd_images(tmp_path, case):
    name, make, outcome, text = IMAGE_CASES[case]
    root = tmp_path / "set"
    root.mkdir()
    Image.fromarray(GOOD).save(root / "good.png")
    make(root / name)
    (root / "labels.txt").write_text(f"good.png\t1\n{name}\t2\n")
    data = load_dataset(root, size=(16, 16))
    if outcome in ("converted", "kept"):
        assert data.labels == ["1", "2"] and data.report.problems == []
        assert all(im.shape == (16, 16) for im in data.images)
        if outcome == "converted":
            assert data.report.converted[text] == 1
        return
    assert data.labels == ["1"]
    (problem,) = data.report.problems
    assert problem.kind == outcome and problem.source == name and text in str(problem)


LABEL_CASES = {
    # name: (labels.csv text after the header, outcome kind or "kept", text in the report line)
    "empty": ("a.png,\n", "empty-label", "empty or blank"),
    "whitespace": ("a.png,   \n", "empty-label", "empty or blank"),
    "newline inside a quoted label": ('a.png,"7\n1"\n', "bad-label", "control character"),
    "tab inside a label": ("a.png,7\t1\n", "bad-label", "control character"),
    "outside the charset": ("a.png,Z\n", "outside-charset", "'Z' outside the charset"),
    "duplicate row": ("a.png,3\na.png,3\n", "duplicate", "listed again with the same label"),
    "same file, two labels": ("a.png,3\na.png,5\n", "duplicate", "label '5' after '3'; kept the first"),
    "path escaping the folder": ("../a.png,3\n", "outside-dataset", "leads outside the data set folder"),
    "absolute path": ("/etc/passwd,3\n", "outside-dataset", "absolute path '/etc/passwd'"),
    "missing file": ("nothere.png,3\n", "missing-file", "nothere.png"),
}


@pytest.mark.parametrize("case", list(LABEL_CASES))
def test_bad_labels_and_rows(tmp_path, case):
    text, outcome, needle = LABEL_CASES[case]
    root = tmp_path / "set"
    root.mkdir()
    Image.fromarray(GOOD).save(root / "a.png")
    Image.fromarray(GOOD).save(root / "b.png")
    (tmp_path / "a.png").write_bytes((root / "a.png").read_bytes())  # what ../a.png would reach
    (root / "labels.csv").write_text("path,label\nb.png,1\n" + text, encoding="utf-8")
    data = load_dataset(root, charset="0123456789")
    kinds = [p.kind for p in data.report.problems]
    assert outcome in kinds, (kinds, [str(p) for p in data.report.problems])
    assert any(needle in str(p) for p in data.report.problems), [str(p) for p in data.report.problems]
    assert "1" in data.labels  # the good row is never lost


def test_labels_with_path_characters_are_kept_exactly_and_never_become_file_names(tmp_path):
    hostile = ["a/b", "c\\d", "e:f", "g*h", "i?j", 'k"l', "m<n", "o>p", "q|r"]
    root = tmp_path / "set"
    root.mkdir()
    lines = ["path,label"]
    for i, label in enumerate(hostile):
        Image.fromarray(GOOD).save(root / f"{i}.png")
        quoted = '"' + label.replace('"', '""') + '"'
        lines.append(f"{i}.png,{quoted}")
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    assert load_dataset(root).labels == hostile
    # render writes them as glyphs named by index; its label files give them back unchanged
    result = CliRunner().invoke(app, ["render", "--chars", '/\\:*?"<>|', "--out", str(tmp_path / "glyphs")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "glyphs" / "images").iterdir()) == [f"{i:06d}.png" for i in range(9)]
    assert load_dataset(tmp_path / "glyphs").labels == list('/\\:*?"<>|')


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("\ufeffpath,label\r\na.png,7\r\n", None),  # BOM and CRLF: read as if they were not there
        ("file,text\na.png,7\n", "columns"),  # wrong column names
        (b"path,label\na.png,\xff\xfe7\n", "UTF-8"),  # not UTF-8
    ],
)
def test_label_file_encodings_and_columns(tmp_path, content, needle):
    root = tmp_path / "set"
    root.mkdir()
    Image.fromarray(GOOD).save(root / "a.png")
    path = root / "labels.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    if needle is None:
        assert load_dataset(root).labels == ["7"]
        return
    with pytest.raises(DatasetError) as exc:
        load_dataset(root)
    assert needle in str(exc.value) and "labels.csv" in str(exc.value) and "\n" not in str(exc.value)


def test_symlink_pointing_outside_the_data_set_is_refused(tmp_path):
    root = tmp_path / "set"
    root.mkdir()
    Image.fromarray(GOOD).save(root / "a.png")
    Image.fromarray(GOOD).save(tmp_path / "secret.png")
    os.symlink(tmp_path / "secret.png", root / "link.png")
    os.symlink(root / "a.png", root / "inside.png")  # a link that stays inside is fine
    (root / "labels.txt").write_text("a.png\t1\nlink.png\t2\ninside.png\t3\n")
    data = load_dataset(root)
    assert data.labels == ["1", "3"]
    assert [(p.kind, p.source) for p in data.report.problems] == [("outside-dataset", "labels.txt:2")]


def test_fonts_that_are_not_fonts_or_lack_glyphs(tmp_path):
    fake = tmp_path / "font.ttf"
    fake.write_bytes(b"\x00\x01\x00\x00 certainly not a font")
    with pytest.raises(FontError, match="font.ttf"):
        open_font(fake)
    with pytest.raises(FontError) as exc:
        render_glyphs(list("A京"), open_font(default_font_path()), size=16)
    assert "京" in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (["train.max_step=5"], "max_step"),  # a typo
        (["model.chanels=8"], "chanels"),
        (["train.batch_size=many"], "train.batch_size must be"),
        (["train.batch_size=1"], "batch_size"),
        (["optim.lr_g=-1"], "learning rates must be positive"),
        (["optim.lr_g=.inf"], "optim.lr_g"),
        (["data.size=[0, 16]"], "data.size"),
        (["nosection.key=1"], "nosection"),
    ],
)
def test_recipes_with_unknown_keys_or_wrong_values(overrides, needle):
    with pytest.raises(RecipeError) as exc:
        load_recipe("smoke", overrides)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_scientific_notation_is_a_number_where_yaml_1_1_would_read_a_string():
    assert load_recipe("smoke", ["optim.lr_g=1e-4"]).optim.lr_g == pytest.approx(1e-4)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["synth", "--ckpt", "nowhere", "-n", "0", "--out", "o"], "-n"),
        (["train", "--max-steps", "0"], "--max-steps"),
        (["train", "--batch-size", "1"], "--batch-size"),
        (["train", "--device", "tpu", "--max-steps", "1"], "device must be auto, cpu, cuda or mps"),
        (["render", "--chars", "A", "--size", "0x16", "--out", "o"], "size"),
        (["eval-ocr", "--train", "digits", "--test", "digits", "--ratios", "x", "--out", "o"], "ratios"),
    ],
)
def test_cli_values_out_of_range_are_refused_before_any_work(tmp_path, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (1, 2), result.output  # 2: Typer's own range check
    assert "Traceback" not in result.output and needle in result.output
    assert not (tmp_path / "runs").exists() and not (tmp_path / "o").exists()


# --- property-based: parsers and overrides never crash, and what they accept round-trips ---------

LABEL_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=12
).filter(lambda s: s.strip())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=st.lists(LABEL_TEXT, min_size=1, max_size=6))
def test_any_label_written_to_labels_csv_and_txt_reads_back_unchanged(tmp_path_factory, labels):
    import csv
    import io

    root = tmp_path_factory.mktemp("prop")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["path", "label"])
    for i, label in enumerate(labels):
        Image.fromarray(GOOD).save(root / f"{i}.png")
        w.writerow([f"{i}.png", label])
    (root / "labels.csv").write_text(buf.getvalue(), encoding="utf-8")
    assert load_dataset(root).labels == labels
    txt = tmp_path_factory.mktemp("prop_txt")
    for i in range(len(labels)):
        Image.fromarray(GOOD).save(txt / f"{i}.png")
    (txt / "labels.txt").write_text("".join(f"{i}.png\t{label}\n" for i, label in enumerate(labels)), "utf-8")
    assert load_dataset(txt).labels == labels


@pytest.mark.parametrize(("name", "header"), [("labels.csv", b"path,label\n"), ("labels.txt", b"")])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_any_bytes_as_a_label_file_load_or_fail_with_one_clear_line(tmp_path_factory, name, header, raw):
    root = tmp_path_factory.mktemp("junk")
    Image.fromarray(GOOD).save(root / "a.png")
    (root / name).write_bytes(header + raw)
    try:
        data = load_dataset(root)
    except SaaeError as exc:  # never another exception type, never a multi-line message
        assert "\n" not in str(exc)
        return
    assert len(data.labels) + data.report.skipped >= 1


@settings(max_examples=80, deadline=None)
@given(key=st.text(alphabet=string.ascii_letters + "._", min_size=1, max_size=20), value=st.text(max_size=12))
def test_any_dotted_override_applies_or_is_one_clear_recipe_error(key, value):
    base = recipe_to_dict(load_recipe("smoke"))
    try:
        recipe = recipe_from_dict(apply_overrides(base, [f"{key}={value}"]))
    except RecipeError as exc:
        assert "\n" not in str(exc)
        return
    assert recipe_to_dict(recipe)  # what was accepted is a valid recipe that round-trips


def test_texts_files_with_bom_crlf_and_blank_lines(tmp_path):
    path = tmp_path / "words.txt"
    path.write_bytes("\ufeffHELLO\r\nWORLD\r\n".encode())
    assert read_texts_file(path) == ["HELLO", "WORLD"]
    path.write_bytes(b"HELLO\n\nWORLD\n")
    with pytest.raises(SaaeError, match="line 2 is blank"):
        read_texts_file(path)
