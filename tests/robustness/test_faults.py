"""Faults during long jobs: kill -9, Ctrl-C/SIGTERM, a full disk, a NaN loss.

The promise: nothing that was reported done is lost, nothing half-written is listed, and the
same command with --resume ends exactly where an uninterrupted run would.
"""

from __future__ import annotations

import csv
import errno
import json
import math
import os
import pathlib
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from saae_augment.cli.app import app
from saae_augment.core.checkpoint import load_checkpoint
from saae_augment.synthesis.run import synthesize
from saae_augment.training import steps as steps_module
from tests.conftest import mounted_tmpfs, tree_digest


def listed(folder: Path) -> list[dict]:
    """The rows of labels.csv that are complete lines (a cut last line is not a row yet)."""
    data = (folder / "labels.csv").read_bytes()
    complete = data[: data.rfind(b"\n") + 1].decode("utf-8")
    return list(csv.DictReader(complete.splitlines()))


def assert_every_listed_image_is_whole(folder: Path) -> None:
    for row in listed(folder):
        Image.open(folder / row["path"]).load()  # raises on a missing or truncated image


def synth_cmd(run: Path, out: Path, n: int) -> list[str]:
    return [sys.executable, "-m", "saae_augment", "synth", "--ckpt", str(run), "-n", str(n), "--out", str(out)]


@pytest.mark.slow
def test_sigkill_at_six_points_then_resume_is_byte_identical(smoke_run, tmp_path):
    n = 6000
    whole = synthesize(smoke_run, n, tmp_path / "whole", seed=5, batch_size=128).out
    out = tmp_path / "killed"
    cmd = synth_cmd(smoke_run, out, n) + ["--seed", "5", "--batch-size", "128"]
    # the very start (before the first row), then five points drawn at random (fixed seed)
    cuts = [0] + sorted(random.Random(10).sample(range(200, n - 600), 5))
    landed = []
    for k, cut in enumerate(cuts):
        proc = subprocess.Popen(cmd + (["--resume"] if k else []), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if (out / "labels.csv").exists() and (out / "labels.csv").read_bytes().count(b"\n") > cut:
                break
            time.sleep(0.01)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]  # still running: the kill lands midway
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        landed.append(len(listed(out)))
        assert_every_listed_image_is_whole(out)
    assert landed == sorted(landed) and landed[-1] < n, landed  # progress kept, never lost
    done = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert tree_digest(out) == tree_digest(whole)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["samples"] == n


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_train_leaves_a_loadable_checkpoint_and_resume_continues(tmp_path, sig):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "saae_augment", "train", "--recipe", "smoke", "--out", str(run)]
    # no checkpoint of its own before the signal: the one it leaves is the one the signal wrote
    proc = subprocess.Popen(
        cmd + ["--max-steps", "100000", "--set", "train.ckpt_every=1000000", "--set", "train.eval_every=1000000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not (run / "metrics.jsonl").exists():
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-2000:]
    assert "interrupted: checkpoint saved; continue with --resume" in stderr
    payload = load_checkpoint(run)
    stopped = payload["step"]
    assert stopped > 0
    assert all(torch.isfinite(v).all() for v in payload["state"]["generator"].values() if v.is_floating_point())
    assert json.loads((run / "summary.json").read_text())["status"] == "interrupted"
    resumed = subprocess.run(
        [sys.executable, "-m", "saae_augment", "train", "--resume", str(run), "--max-steps", str(stopped + 10)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert load_checkpoint(run)["step"] == stopped + 10
    steps = [
        r["step"] for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines()) if r["kind"] == "train"
    ]
    assert steps == sorted(set(steps))  # the log continues where it stopped: no step twice


class FullDisk:
    """A write to an image's temporary file (the writer's os.write) or an append to a label file
    fails with ENOSPC from the k-th call on; an append first writes half its text, as a real full
    disk can."""

    def __init__(self, monkeypatch, where: str, after: int):
        self.calls, self.after = 0, after
        real_open = pathlib.Path.open
        real_os_open, real_os_write = os.open, os.write
        image_fds: set[int] = set()
        disk = self

        def os_open(path, flags, *args, **kwargs):
            fd = real_os_open(path, flags, *args, **kwargs)
            if str(path).endswith(".png.tmp"):
                image_fds.add(fd)
            return fd

        def os_write(fd, data):
            if where == "images" and fd in image_fds and disk.full():
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_os_write(fd, data)

        def os_close(fd, _close=os.close):
            image_fds.discard(fd)
            return _close(fd)

        def open_(path, mode="r", *args, **kwargs):
            fh = real_open(path, mode, *args, **kwargs)
            if where == "labels" and mode == "a" and path.name == "labels.txt" and disk.full():
                return HalfWriter(fh)
            return fh

        monkeypatch.setattr(os, "open", os_open)
        monkeypatch.setattr(os, "write", os_write)
        monkeypatch.setattr(os, "close", os_close)
        monkeypatch.setattr(pathlib.Path, "open", open_)

    def full(self) -> bool:
        self.calls += 1
        return self.calls > self.after


class HalfWriter:
    def __init__(self, fh):
        self.fh = fh

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()

    def write(self, text: str) -> int:
        self.fh.write(text[: len(text) // 2])
        self.fh.flush()
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.slow
@pytest.mark.parametrize(("where", "after"), [("images", 700), ("labels", 3)])
def test_a_full_disk_stops_synth_with_one_line_and_consistent_label_files(
    smoke_run, tmp_path, monkeypatch, where, after
):
    n = 2000
    args = ["synth", "--ckpt", str(smoke_run), "-n", str(n), "--out", str(tmp_path / "full"), "--batch-size", "128"]
    with monkeypatch.context() as m:
        FullDisk(m, where, after)
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "disk full while writing" in lines[0] and "--resume" in lines[0], result.stderr
    committed = int(lines[0].split("; ")[1].split()[0])
    out = tmp_path / "full"
    assert 0 < len(listed(out)) <= committed + 128 < n  # what is listed was said to be complete (+ a cut batch)
    assert_every_listed_image_is_whole(out)
    # space is back: the same command with --resume ends as an uninterrupted run
    assert CliRunner().invoke(app, args + ["--resume"]).exit_code == 0
    whole = synthesize(smoke_run, n, tmp_path / "whole", batch_size=128).out
    assert tree_digest(out) == tree_digest(whole)


@pytest.fixture
def small_disk(tmp_path):
    """A real 2 MB file system (tmpfs), where the machine lets us mount one (root on Linux)."""
    yield from mounted_tmpfs(tmp_path / "disk", "size=2m")


@pytest.mark.slow
def test_a_really_full_disk_stops_synth_and_resume_finishes_after_space_is_freed(smoke_run, tmp_path, small_disk):
    out, n = small_disk / "synth", 3000
    cmd = synth_cmd(smoke_run, out, n) + ["--batch-size", "128"]
    full = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert full.returncode == 1, full.stderr[-2000:]
    lines = [line for line in full.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "disk full while writing" in lines[0] and "Traceback" not in full.stderr, full.stderr
    assert 0 < len(listed(out)) < n
    assert_every_listed_image_is_whole(out)
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)  # space is freed
    done = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    whole = synthesize(smoke_run, n, tmp_path / "whole", batch_size=128).out
    assert tree_digest(out) == tree_digest(whole)


def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(glyph_folder, tmp_path, monkeypatch):
    real = steps_module.reconstruction
    calls = {"n": 0}

    def poisoned(kind, output, target):  # from the 13th call (step 7) on, the loss is NaN for real
        calls["n"] += 1
        loss = real(kind, output, target)
        return loss * math.nan if calls["n"] >= 13 else loss

    monkeypatch.setattr(steps_module, "reconstruction", poisoned)
    run = tmp_path / "nan"
    args = ["train", "--data", str(glyph_folder), "--recipe", "smoke", "--out", str(run)]
    result = CliRunner().invoke(app, args + ["--set", "train.ckpt_every=2", "--set", "train.eval_every=1000"])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip().startswith("error:")]
    assert len(lines) == 1 and "became NaN/inf at step 7" in lines[0] and "last.pt" in lines[0]
    payload = load_checkpoint(run)
    assert payload["step"] == 6  # the last good one, not the poisoned step
    weights = [v for part in ("generator", "discriminator") for v in payload["state"][part].values()]
    assert all(torch.isfinite(v).all() for v in weights if v.is_floating_point())
    assert json.loads((run / "summary.json").read_text())["status"] == "failed"
