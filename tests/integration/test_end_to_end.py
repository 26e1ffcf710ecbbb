"""The installed tool as a user runs it: separate processes, real console script."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def tool() -> list[str]:
    exe = Path(sys.executable).with_name("saae-augment")
    return [str(exe)] if exe.exists() else [shutil.which("saae-augment") or "saae-augment"]


def test_console_script_and_module_render_then_inspect_the_output(tmp_path):
    out = tmp_path / "glyphs"
    rendered = subprocess.run(
        tool() + ["render", "--charset", "alnum", "--size", "24x20", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rendered.returncode == 0, rendered.stderr
    inspected = subprocess.run(
        [sys.executable, "-m", "saae_augment", "data", "inspect", str(out), "--charset", "alnum", "--strict", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert inspected.returncode == 0, inspected.stderr
    report = json.loads(inspected.stdout)
    assert report["images"] == 62 and report["classes"] == 62 and report["sizes"] == {"20x24": 62}


def test_user_error_in_a_real_process_has_no_traceback(tmp_path):
    result = subprocess.run(
        tool() + ["data", "inspect", str(tmp_path / "missing")], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.startswith("error:")


def test_library_example_runs():
    example = Path(__file__).parents[2] / "examples" / "render_and_load.py"
    result = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "loaded 1797 images, 10 classes, array (1797, 28, 28)" in result.stdout
