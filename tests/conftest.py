"""Fixtures that build small data sets in tmp, in every layout we read, good and bad."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from saae_augment.data.charsets import CHARSETS
from saae_augment.data.glyphs import render_glyphs


def tree_digest(folder: Path) -> str:
    """Hash of every image (by path) plus the label files: equal digests = byte-identical sets."""
    h = hashlib.sha256()
    for p in sorted((folder / "images").rglob("*.png")):
        h.update(p.relative_to(folder).as_posix().encode())
        h.update(p.read_bytes())
    for name in ("labels.csv", "labels.txt"):
        h.update((folder / name).read_bytes())
    return h.hexdigest()


def digit_image(value: int, size: int = 12) -> np.ndarray:
    """A tiny image whose brightness encodes `value`, so tests can tell samples apart."""
    img = np.zeros((size, size), np.uint8)
    img[2:-2, 2:-2] = 20 + 20 * value
    return img


def save_png(path: Path, arr: np.ndarray, mode: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr, mode).save(path) if mode else Image.fromarray(arr).save(path)
    return path


def digit_crops(
    root: Path,
    size: int = 16,
    faces: tuple[str, ...] = ("DejaVuSans.ttf",),
    copies: int = 1,
    seed: int = 0,
    noise: int | tuple[int, ...] = 20,
) -> Path:
    """A labels.csv folder of the ten digits drawn at `size` in each DejaVu face, `copies` noisy
    copies of each (±`noise` grey levels, from `seed`; a tuple gives each copy its own level)."""
    from saae_augment.data.fonts import default_font_path, open_font

    ttf = default_font_path().parent
    rng = np.random.default_rng(seed)
    lines, n = ["path,label"], 0
    for face in faces:
        for g in render_glyphs(list("0123456789"), open_font(ttf / face), size=size)[0]:
            for level in noise if isinstance(noise, tuple) else (noise,) * copies:
                img = np.clip(g.image.astype(int) + rng.integers(-level, level + 1, g.image.shape), 0, 255)
                save_png(root / "img" / f"{n}.png", img.astype(np.uint8))
                lines.append(f"img/{n}.png,{g.text}")
                n += 1
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture
def csv_folder(tmp_path: Path) -> Path:
    """6 good samples listed in labels.csv, with an extra column like synth writes."""
    root = tmp_path / "csvset"
    lines = ["path,label,style"]
    for i in range(6):
        save_png(root / "img" / f"{i}.png", digit_image(i % 3))
        lines.append(f"img/{i}.png,{i % 3},x")
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture
def txt_folder(tmp_path: Path) -> Path:
    root = tmp_path / "txtset"
    rows = []
    for i, label in enumerate(["京A12345", "hello world", "a,b", "007"]):
        save_png(root / f"{i}.png", digit_image(i))
        rows.append(f"{i}.png\t{label}")
    (root / "labels.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


@pytest.fixture
def class_folders(tmp_path: Path) -> Path:
    root = tmp_path / "classes"
    for label in ("A", "b", "7"):
        for i in range(2):
            save_png(root / label / f"{i}.png", digit_image(i))
    (root / "README.txt").write_text("not a sample")
    (root / "A" / "notes.md").write_text("not an image")
    return root


def write_idx(path: Path, arr: np.ndarray, gz: bool = False) -> Path:
    header = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}i", *arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)
    return path


@pytest.fixture
def idx_folder(tmp_path: Path) -> Path:
    """A train split (gzipped) of 5 and a t10k split (raw) of 3, 28×28, MNIST names."""
    root = tmp_path / "mnist"
    rng = np.random.default_rng(0)
    write_idx(root / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (5, 28, 28)), gz=True)
    write_idx(root / "train-labels-idx1-ubyte.gz", np.array([5, 0, 4, 1, 9]), gz=True)
    write_idx(root / "t10k-images-idx3-ubyte", rng.integers(0, 256, (3, 28, 28)))
    write_idx(root / "t10k-labels-idx1-ubyte", np.array([7, 2, 1]))
    return root


def png_with_size_header(path: Path, width: int, height: int) -> Path:
    """A tiny file whose PNG header claims width×height pixels: a decompression bomb's signature."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 16)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


@pytest.fixture
def bad_csv_folder(tmp_path: Path) -> Path:
    """The issue's acceptance folder: a truncated PNG, a missing file, a `../` path and a label
    outside the digits charset, beside two good samples."""
    root = tmp_path / "bad"
    save_png(root / "good0.png", digit_image(0))
    save_png(root / "good1.png", digit_image(1))
    full = save_png(root / "trunc.png", np.random.default_rng(1).integers(0, 256, (64, 64), dtype=np.uint8))
    full.write_bytes(full.read_bytes()[:200])
    save_png(tmp_path / "outside.png", digit_image(2))
    save_png(root / "letter.png", digit_image(3))
    (root / "labels.csv").write_text(
        "path,label\ngood0.png,0\ngood1.png,1\ntrunc.png,2\nmissing.png,3\n../outside.png,4\nletter.png,7x\n"
    )
    return root


def find_cjk_font():
    from saae_augment.data.fonts import covering_font
    from saae_augment.errors import FontError

    try:
        return covering_font(CHARSETS["plate-cn"])  # a font that draws them, not Last Resort's boxes
    except FontError:
        return None


@pytest.fixture(scope="session")
def cjk_font():
    """An installed font covering plate-cn. `.ci/run` installs fonts-wqy-zenhei, so in CI its
    absence is a failure; on a developer machine without one the CJK tests are skipped."""
    font = find_cjk_font()
    if font is None:
        if os.environ.get("CI"):
            pytest.fail("no CJK font installed; .ci/run should have installed fonts-wqy-zenhei")
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-zenhei)")
    return font


@pytest.fixture(scope="session")
def glyph_folder(tmp_path_factory) -> Path:
    """A labels.csv folder of digits drawn in 3 fonts at 2 weights of noise: 60 images, 10 classes."""
    faces = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
    return digit_crops(tmp_path_factory.mktemp("glyphset"), 20, faces, noise=(10, 30))


@pytest.fixture(scope="session")
def smoke_run(glyph_folder, tmp_path_factory) -> Path:
    """A tiny trained run (smoke recipe, 20 steps) that synthesis tests can load."""
    from saae_augment.training.loop import train

    run = tmp_path_factory.mktemp("smoke") / "run"
    train(glyph_folder, "smoke", out=run)
    return run


def invoke(*args) -> object:
    """The CLI as a user types it (CliRunner), every argument as text."""
    from typer.testing import CliRunner

    from saae_augment.cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *needles: str) -> str:
    """Exit 1, no traceback, exactly one line on stderr starting `error:` and holding each needle."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def mounted_tmpfs(mount: Path, options: str):
    """A real tmpfs at `mount` (root on Linux), or pytest.skip; unmounted when the generator ends."""
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({made.stderr.decode().strip()[:80]})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
