"""Issue 16's "silently wrong" and "tracebacks" cases for data and terminal output: each now gives
the right result or one clear line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from saae_augment.data.load import load_dataset
from tests.conftest import assert_one_line_error, digit_image, invoke, save_png

CCPD_NAME = "025-95_113-154&383_386&473-386&473_177&454_154&383_363&402-0_0_22_27_27_33_16-37-15"


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "saae_augment", *map(str, args)], capture_output=True, timeout=300, **kwargs
    )


# --- symlinks leaving the data set, in every format -----------------------------------------------


@pytest.fixture
def outside(tmp_path) -> Path:
    return save_png(tmp_path / "private" / "secret.png", digit_image(9))


def test_class_folders_refuse_a_symlink_leading_out(tmp_path, outside):
    root = tmp_path / "classes"
    save_png(root / "a" / "1.png", digit_image(1))
    save_png(root / "b" / "2.png", digit_image(2))
    os.symlink(outside, root / "a" / "evil.png")
    data = load_dataset(f"folders:{root}")
    assert sorted(data.sources) == ["a/1.png", "b/2.png"]
    assert [p.kind for p in data.report.problems] == ["outside-dataset"]


def test_a_symlinked_class_folder_leading_out_is_refused(tmp_path, outside):
    root = tmp_path / "classes"
    save_png(root / "a" / "1.png", digit_image(1))
    os.symlink(outside.parent, root / "b")
    data = load_dataset(f"folders:{root}")
    assert data.labels == ["a"]
    assert {p.kind for p in data.report.problems} == {"outside-dataset"}


def test_an_unlabelled_style_folder_refuses_a_symlink_leading_out(tmp_path, outside):
    root = tmp_path / "styles"
    save_png(root / "1.png", digit_image(1))
    os.symlink(outside, root / "2.png")
    data = load_dataset(f"images:{root}", labels_required=False)
    assert data.sources == ["1.png"]
    assert data.report.problems[0].kind == "outside-dataset"


def test_ccpd_refuses_a_symlink_leading_out(tmp_path):
    root = tmp_path / "ccpd"
    photo = np.full((500, 500, 3), 128, np.uint8)
    save_png(root / f"{CCPD_NAME}.png", photo)
    save_png(tmp_path / "elsewhere" / "x.png", photo)
    os.symlink(tmp_path / "elsewhere" / "x.png", root / f"{CCPD_NAME.replace('025', '026')}.png")
    data = load_dataset(f"ccpd:{root}")
    assert len(data) == 1
    assert [p.kind for p in data.report.problems] == ["outside-dataset"]


# --- CSV quoting, NUL bytes, EXIF ------------------------------------------------------------------


def csv_set(root: Path, lines: list[str]) -> Path:
    for i in range(6):
        save_png(root / f"{i}.png", digit_image(i % 3))
    (root / "labels.csv").write_text("\n".join(["path,label", *lines]) + "\n")
    return root


def test_an_unterminated_quote_is_one_line_with_its_line_number(tmp_path):
    root = csv_set(tmp_path / "q", ["0.png,0", '1.png,"1', "2.png,2", "3.png,0", "4.png,1"])
    assert_one_line_error(invoke("data", "inspect", root), "line 3", "quote")
    assert_one_line_error(
        invoke("train", "--data", root, "--recipe", "smoke", "--out", tmp_path / "r"), "line 3", "quote"
    )
    assert not (tmp_path / "r").exists()


def test_a_nul_byte_in_a_csv_path_is_a_reported_problem_not_a_traceback(tmp_path):
    root = csv_set(tmp_path / "n", ["0.png,0", "1\0.png,1", "2.png,2"])
    result = invoke("data", "inspect", root, "--json")
    assert result.exit_code in (0, 1) and "Traceback" not in result.output, result.output
    if result.exit_code == 0:
        report = json.loads(result.stdout)
        assert report["images"] == 2 and any("NUL" in p["detail"] or "NUL" in p["kind"] for p in report["problems"])
    else:
        assert_one_line_error(result, "NUL")


def test_jpeg_exif_orientation_is_applied(tmp_path):
    arr = np.zeros((8, 24), np.uint8)
    arr[:, :4] = 255  # a bright stripe on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    root = tmp_path / "exif"
    root.mkdir()
    Image.fromarray(arr).save(root / "p.jpg", exif=exif.tobytes(), quality=100)
    (root / "labels.csv").write_text("path,label\np.jpg,x\n")
    image = load_dataset(root).images[0]
    assert image.shape == (24, 8)  # upright, as a viewer, OpenCV or PaddleOCR shows it
    assert image[:4].mean() > 200 and image[-4:].mean() < 50


def test_a_line_too_long_for_its_canvas_is_refused_naming_the_limit(tmp_path):
    line = assert_one_line_error(
        invoke("render", "--text", "A" * 10_000, "--size", "32x128", "--out", tmp_path / "o"), "too long"
    )
    assert "characters fit" in line and "32x128" in line
    assert not (tmp_path / "o").exists()
    assert invoke("render", "--text", "京A12345", "--size", "32x128", "--out", tmp_path / "ok").exit_code in (0, 1)


# --- text printed as it is -------------------------------------------------------------------------


def test_labels_and_paths_that_look_like_markup_print_as_they_are(tmp_path):
    root = tmp_path / "m"
    for i in range(4):
        save_png(root / f"{i}.png", digit_image(i))
    (root / "labels.csv").write_text("path,label\n0.png,Y[/i]\n1.png,[b]X\n2.png,Y[/i]\n3.png,[b]X\n")
    result = invoke("data", "inspect", root)
    assert result.exit_code == 0, result.output
    assert "Y[/i]" in result.stdout and "[b]X" in result.stdout
    assert_one_line_error(invoke("data", "inspect", tmp_path / "nope[red]dir"), "nope[red]dir")


# --- the terminal itself ---------------------------------------------------------------------------


def chinese_set(root: Path) -> Path:
    for i in range(3):
        save_png(root / f"{i}.png", digit_image(i))
    (root / "labels.csv").write_text("path,label\n0.png,京A\n1.png,沪B\n2.png,京A\n", encoding="utf-8")
    return root


@pytest.mark.slow
def test_chinese_labels_print_whatever_the_locale(tmp_path):
    root = chinese_set(tmp_path / "cn")
    env = dict(os.environ, LC_ALL="C", LANG="C", PYTHONIOENCODING="ascii", PYTHONUTF8="0")
    result = cli("data", "inspect", root, env=env)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert "京A".encode() in result.stdout


@pytest.mark.slow
def test_a_full_stdout_is_one_line_not_a_traceback(tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "saae_augment", "data", "inspect", "digits"],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=300,
        )
    err = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in err, err
    assert err.strip().splitlines() == ["error: cannot write to standard output (No space left on device)"]


@pytest.mark.slow
def test_a_reader_that_goes_away_ends_the_command_quietly():
    proc = subprocess.Popen(
        [sys.executable, "-m", "saae_augment", "data", "inspect", "digits", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # like `| head -0`: gone before the first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) != 0
    assert err == "", err  # quiet: no traceback, no "Exception ignored", no error line


# --- synth: signals and logs -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_synth_finishes_the_batch_marks_the_manifest_and_says_how_to_continue(smoke_run, tmp_path, sig):
    out = tmp_path / "s"
    n = 6_000
    args = [sys.executable, "-m", "saae_augment", "synth", "--ckpt", str(smoke_run), "-n", str(n), "--out", str(out)]
    proc = subprocess.Popen([*args, "--batch-size", "256"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline:
        csv_path = out / "labels.csv"
        if csv_path.exists() and csv_path.read_bytes().count(b"\n") > 600:
            break
        time.sleep(0.2)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=240)
    err = err.decode()
    assert proc.returncode == 130, err
    assert "continue with the same command and --resume" in err and "Traceback" not in err
    manifest = json.loads((out / "manifest.json").read_text())
    rows = (out / "labels.csv").read_text().count("\n") - 1
    assert manifest["status"] == "interrupted" and manifest["samples"] == rows and 0 < rows < n
    done = subprocess.run([*args, "--resume", "--batch-size", "512"], capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert (out / "labels.csv").read_text().count("\n") - 1 == n


@pytest.mark.slow
def test_synth_writes_plain_progress_lines_when_stderr_is_a_log(smoke_run, tmp_path):
    result = cli("synth", "--ckpt", smoke_run, "-n", "300", "--batch-size", "100", "--out", tmp_path / "s")
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "synthesizing: 300/300 samples (100%)" in err


def test_a_data_spec_with_a_nul_byte_is_assert_one_line_error(tmp_path):
    assert_one_line_error(invoke("data", "inspect", "digits\0x"), "NUL")
