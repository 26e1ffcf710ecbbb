"""A checkpoint is checked before it is used: damaged, edited or hostile files are one line
(exit 1) for every command that opens one, and resume refuses data that changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from saae_augment.core.checkpoint import load_checkpoint, payload_digest
from tests.conftest import assert_one_line_error, digit_image, invoke, save_png


def run_with(tmp_path: Path, smoke_run: Path, change, redigest: bool = True) -> Path:
    """A copy of the smoke run whose last.pt went through `change` (and, for a careful edit, a
    fresh digest)."""
    run = Path(shutil.copytree(smoke_run, tmp_path / "run"))
    payload = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    change(payload)
    if redigest:
        payload["digest"] = payload_digest(payload)
    torch.save(payload, run / "checkpoints" / "last.pt")
    return run


def commands(run: Path, tmp_path: Path) -> dict[str, list]:
    out = tmp_path / "out"
    return {
        "synth": ["synth", "--ckpt", run, "-n", "10", "--out", out],
        "train --resume": ["train", "--resume", run, "--max-steps", "30"],
        "eval-gen": ["eval-gen", "--ckpt", run, "--n", "10", "--out", out],
    }


def _nan(p):
    name = next(k for k, v in p["state"]["generator"].items() if v.is_floating_point() and v.dim() == 4)
    p["state"]["generator"][name].view(-1)[3] = float("nan")


def _bomb(p):
    nest: list = ["x"]
    for _ in range(40):  # 2**40 leaves once expanded; a few hundred bytes pickled
        nest = [nest, nest]
    p["recipe"]["description"] = nest


DAMAGED = {
    "one NaN in a generator weight": (_nan, True, "NaN or infinite"),
    "a weight edited without its digest": (_nan, False, "damaged"),
    "model.channels 100000": (lambda p: p["recipe"]["model"].update(channels=100000), True, "at most 1024"),
    "shared references that expand": (_bomb, False, "structure of over"),
    "data.size removed": (lambda p: p["recipe"]["data"].update(size=None), True, "without data.size"),
}


@pytest.mark.parametrize("case", list(DAMAGED))
@pytest.mark.parametrize("command", ["synth", "train --resume", "eval-gen"])
def test_damaged_or_edited_checkpoints_are_one_line_before_anything_is_written(smoke_run, tmp_path, case, command):
    change, redigest, needle = DAMAGED[case]
    run = run_with(tmp_path, smoke_run, change, redigest)
    metrics = (run / "metrics.jsonl").read_bytes()
    assert_one_line_error(invoke(*commands(run, tmp_path)[command]), needle)
    assert not (tmp_path / "out").exists()
    assert (run / "metrics.jsonl").read_bytes() == metrics


def test_two_flipped_bytes_inside_a_weight_are_caught_by_the_digest(smoke_run, tmp_path):
    run = Path(shutil.copytree(smoke_run, tmp_path / "run"))
    path = run / "checkpoints" / "last.pt"
    payload = torch.load(path, weights_only=True)
    weight = max(payload["state"]["generator"].values(), key=lambda t: t.numel())
    raw = bytearray(path.read_bytes())
    at = raw.find(weight.contiguous().view(torch.uint8).numpy().tobytes()[:64])
    assert at > 0
    raw[at + 40] ^= 0x10
    raw[at + 41] ^= 0x01
    path.write_bytes(bytes(raw))
    for command in ("synth", "train --resume"):
        assert_one_line_error(invoke(*commands(run, tmp_path)[command]), "damaged")


def test_edited_optimizer_state_is_one_line_on_resume(smoke_run, tmp_path):
    def change(p):
        state = p["optim"]["generator"]["state"]
        first = next(iter(state))
        state[first]["exp_avg"] = state[first]["exp_avg"].flatten()[:3].clone()

    run = run_with(tmp_path, smoke_run, change)
    assert_one_line_error(invoke("train", "--resume", run, "--max-steps", "30"), "optimizer state does not fit")


def test_a_relative_data_spec_is_never_resolved_against_the_current_folder(smoke_run, tmp_path, monkeypatch):
    run = run_with(tmp_path, smoke_run, lambda p: p["data"].update(spec="glyphs", fingerprint=None))
    decoy = tmp_path / "elsewhere" / "glyphs"
    for i in range(20):
        save_png(decoy / "images" / f"{i}.png", digit_image(i % 10))
    (decoy / "labels.csv").write_text("path,label\n" + "".join(f"images/{i}.png,{i % 10}\n" for i in range(20)))
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert_one_line_error(
        invoke("synth", "--ckpt", run, "-n", "5", "--out", tmp_path / "o"), "relative path", "--styles"
    )
    assert_one_line_error(invoke("train", "--resume", run, "--max-steps", "30"), "relative path", "--data")


def test_runs_record_their_data_by_absolute_path_and_fingerprint(smoke_run):
    data = load_checkpoint(smoke_run)["data"]
    assert Path(data["spec"]).is_absolute() and len(data["fingerprint"]) == 64


def test_resume_and_synth_on_changed_data_are_refused_unless_the_user_says_so(glyph_folder, tmp_path):
    data = Path(shutil.copytree(glyph_folder, tmp_path / "data"))
    run = tmp_path / "run"
    assert invoke("train", "--data", data, "--recipe", "smoke", "--max-steps", "2", "--out", run).exit_code == 0
    first = sorted((data / "img").glob("*.png"))[0]
    save_png(first, digit_image(7, 16))
    assert_one_line_error(invoke("train", "--resume", run, "--max-steps", "4"), "changed since", "--data-changed-ok")
    assert_one_line_error(
        invoke("synth", "--ckpt", run, "-n", "5", "--out", tmp_path / "o"), "changed since", "--styles"
    )
    result = invoke("train", "--resume", run, "--max-steps", "4", "--data-changed-ok")
    assert result.exit_code == 0, result.output
    result = invoke("synth", "--ckpt", run, "-n", "5", "--out", tmp_path / "o", "--styles", data)
    assert result.exit_code == 0, result.output
