"""Opening a file must never run code, and a checkpoint that does not fit is refused up front.

Every command that opens a checkpoint is tried with each hostile or unfitting file: the answer
is one line (exit 1) and nothing else happens (the pickle payload below would create a folder).
(`eval-ocr --ckpt` never opens the checkpoint: it only copies the run's last style grid.)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from saae_augment.cli.app import app
from saae_augment.core.checkpoint import payload_digest


class Payload:
    """Unpickling this object calls os.mkdir(marker): what an attacker's checkpoint would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def as_run(tmp_path: Path, name: str, payload) -> Path:
    """A run folder whose checkpoints/last.pt holds `payload` (saved as torch.save writes it)."""
    run = tmp_path / name
    (run / "checkpoints").mkdir(parents=True)
    if isinstance(payload, bytes):
        (run / "checkpoints" / "last.pt").write_bytes(payload)
    else:
        torch.save(payload, run / "checkpoints" / "last.pt")
    return run


def commands(run: Path, tmp_path: Path) -> dict[str, list[str]]:
    out = str(tmp_path / "out")
    return {
        "synth": ["synth", "--ckpt", str(run), "-n", "10", "--out", out],
        "train --resume": ["train", "--resume", str(run)],
        "eval-gen": ["eval-gen", "--ckpt", str(run), "--out", out],
    }


def assert_refused(args: list[str], *needles: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("command", ["synth", "train --resume", "eval-gen"])
def test_a_checkpoint_carrying_a_pickle_payload_is_refused_before_anything_runs(smoke_run, tmp_path, command):
    marker = tmp_path / "payload-ran"
    payload = torch.load(smoke_run / "checkpoints" / "last.pt", weights_only=True)
    payload["metrics"] = {"note": Payload(marker)}
    run = as_run(tmp_path, "evil", payload)
    assert_refused(commands(run, tmp_path)[command], "refused to load", "pickled Python objects")
    assert not marker.exists(), "the payload ran"
    assert not (tmp_path / "out").exists()


def edited(smoke_run: Path, change) -> dict:
    """A careful edit: the change, with the digest written anew (a careless one is caught by the
    digest alone; see test_checkpoint_trust.py), so the deeper checks are what must refuse it."""
    payload = torch.load(smoke_run / "checkpoints" / "last.pt", weights_only=True)
    change(payload)
    payload["digest"] = payload_digest(payload)
    return payload


def _size(p):
    p["recipe"]["data"]["size"] = [32, 32]


def _classes(p):
    p["classes"] = p["classes"][:5]


def _version(p):
    p["format_version"] = 99


def _weights(p):
    p["state"]["generator"] = {k: v[..., :1] if v.dim() == 4 else v for k, v in p["state"]["generator"].items()}


UNFITTING = {
    "other format version": (_version, "checkpoint format 99"),
    "image size edited": (_size, "its recipe says images of 32x32"),
    "classes edited": (_classes, "it lists 5 classes, its glyph bank holds 10"),
    "weights of another shape": (_weights, "generator weights do not fit"),
}


@pytest.mark.parametrize("case", list(UNFITTING))
@pytest.mark.parametrize("command", ["synth", "train --resume"])
def test_checkpoints_of_another_version_size_or_charset_are_refused(smoke_run, tmp_path, case, command):
    change, needle = UNFITTING[case]
    run = as_run(tmp_path, "edited", edited(smoke_run, change))
    assert_refused(commands(run, tmp_path)[command], needle)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "not a readable checkpoint"),
        (b"PK\x03\x04 half a zip", "not a readable checkpoint"),
        ("truncated", "not a readable checkpoint"),
        ({"weights": torch.zeros(2)}, "not a saae-augment checkpoint"),
    ],
)
def test_files_that_are_not_our_checkpoints(smoke_run, tmp_path, content, needle):
    if content == "truncated":
        data = (smoke_run / "checkpoints" / "last.pt").read_bytes()
        content = data[: len(data) // 2]
    run = as_run(tmp_path, "broken", content)
    assert_refused(commands(run, tmp_path)["synth"], needle)


def test_resume_on_data_with_another_charset_is_refused(smoke_run, glyph_folder, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(smoke_run, run)
    fewer = tmp_path / "fewer"
    shutil.copytree(glyph_folder, fewer)
    kept = [line for line in (fewer / "labels.csv").read_text().splitlines() if not line.endswith(",9")]
    (fewer / "labels.csv").write_text("\n".join(kept) + "\n")
    payload = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    payload["data"]["spec"] = str(fewer)  # the run's data set lost a class since it was trained
    payload["digest"] = payload_digest(payload)
    torch.save(payload, run / "checkpoints" / "last.pt")
    assert_refused(["train", "--resume", str(run)], "classes '0123456789'", "'012345678'")
