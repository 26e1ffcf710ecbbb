"""One output policy: nothing a user owns is overwritten, one writer per folder, --overwrite
removes only what we wrote. Each case is one from issue 16, run the way a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import filelock
import pytest

from tests.conftest import assert_one_line_error, digit_image, invoke, mounted_tmpfs, save_png


def labeled_folder(root: Path, n: int = 30) -> Path:
    """A user's own labeled data set: images/ + labels.csv, nothing of ours."""
    rows = ["path,label"]
    for i in range(n):
        save_png(root / "images" / f"{i}.png", digit_image(i % 3))
        rows.append(f"images/{i}.png,{i % 3}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def synth_args(run: Path, out: Path, n: int = 20, *extra: str) -> list[str]:
    return ["synth", "--ckpt", str(run), "-n", str(n), "--out", str(out), "--batch-size", "16", *extra]


# --- overwrites --------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", [[], ["--overwrite"], ["--resume"]])
def test_synth_into_a_users_labeled_folder_is_refused_and_changes_nothing(smoke_run, tmp_path, flag):
    data = labeled_folder(tmp_path / "mine")
    before = snapshot(data)
    result = invoke(*synth_args(smoke_run, data), *flag)
    assert_one_line_error(result, str(data))
    assert snapshot(data) == before


def test_synth_over_an_earlier_set_with_an_empty_manifest_needs_overwrite_and_leaves_nothing_unlisted(
    smoke_run, tmp_path
):
    out = tmp_path / "s"
    assert invoke(*synth_args(smoke_run, out, 40)).exit_code == 0
    (out / "manifest.json").write_text("")
    assert_one_line_error(invoke(*synth_args(smoke_run, out, 20)), "--overwrite")
    assert_one_line_error(invoke(*synth_args(smoke_run, out, 20, "--resume")), "damaged")
    assert len(list((out / "images").rglob("*.png"))) == 40  # nothing lost by the refusals
    result = invoke(*synth_args(smoke_run, out, 20, "--overwrite"))
    assert result.exit_code == 0, result.output
    assert len(list((out / "images").rglob("*.png"))) == 20
    assert (out / "labels.csv").read_text().count("\n") == 21
    assert json.loads((out / "manifest.json").read_text())["samples"] == 20


def test_overwrite_never_removes_a_file_we_did_not_write(smoke_run, tmp_path):
    out = tmp_path / "s"
    assert invoke(*synth_args(smoke_run, out)).exit_code == 0
    (out / "notes.txt").write_text("mine")
    assert_one_line_error(invoke(*synth_args(smoke_run, out, 20, "--overwrite")), "notes.txt", "did not write")
    assert (out / "notes.txt").read_text() == "mine" and (out / "labels.csv").exists()


def test_render_again_needs_overwrite_and_then_leaves_no_stale_images(tmp_path):
    out = tmp_path / "glyphs"
    assert invoke("render", "--charset", "digits", "--size", "16", "--out", out).exit_code == 0
    assert_one_line_error(invoke("render", "--chars", "ab", "--size", "16", "--out", out), "--overwrite")
    result = invoke("render", "--chars", "ab", "--size", "16", "--out", out, "--overwrite")
    assert result.exit_code == 0, result.output
    assert len(list((out / "images").glob("*.png"))) == 2
    assert (out / "labels.txt").read_text().count("\n") == 2


def test_data_split_and_make_plates_refuse_a_folder_that_holds_something(tmp_path):
    for args in (["data", "split", "digits", "--per-class", "2"], ["data", "make-plates", "--n", "3"]):
        out = tmp_path / args[1]
        out.mkdir()
        (out / "old.png").write_bytes(b"x")
        assert_one_line_error(invoke(*args, "--out", out), "old.png")
        assert sorted(p.name for p in out.iterdir()) == ["old.png"]


def test_data_split_overwrite_replaces_its_own_split(tmp_path):
    out = tmp_path / "split"
    assert invoke("data", "split", "digits", "--per-class", "5", "--out", out).exit_code == 0
    assert invoke("data", "split", "digits", "--per-class", "2", "--out", out, "--overwrite").exit_code == 0
    assert len(list((out / "train" / "images").glob("*.png"))) == 20


def test_eval_ocr_refuses_an_old_folder_before_any_training(tmp_path):
    out = tmp_path / "eval"
    out.mkdir()
    (out / "synth-sheet.png").write_bytes(b"old")
    result = invoke("eval-ocr", "--train", "digits", "--test", "digits", "--steps", "1", "--seeds", "1", "--out", out)
    assert_one_line_error(result, "synth-sheet.png")


# --- paths that cannot be folders ----------------------------------------------------------------


@pytest.mark.parametrize("under", [False, True])
def test_an_out_that_is_a_file_or_under_one_is_one_line(smoke_run, tmp_path, under):
    afile = tmp_path / "afile"
    afile.write_text("keep")
    out = afile / "sub" if under else afile
    for args in (
        synth_args(smoke_run, out),
        ["render", "--chars", "a", "--out", str(out)],
        ["train", "--max-steps", "1", "--recipe", "smoke", "--out", str(out)],
    ):
        assert_one_line_error(invoke(*args), "is a file" if not under else "which is a file")
    assert afile.read_text() == "keep"


@pytest.fixture
def read_only_disk(tmp_path):
    """A real read-only file system (tmpfs mounted ro): what root cannot write either."""
    yield from mounted_tmpfs(tmp_path / "ro", "ro,size=1m")


def test_a_read_only_out_for_train_is_one_line(read_only_disk):
    for out in (read_only_disk, read_only_disk / "run"):
        assert_one_line_error(
            invoke("train", "--recipe", "smoke", "--max-steps", "1", "--out", out), "cannot", "ead-only", str(out)
        )


def test_a_failed_start_leaves_no_folder_behind(tmp_path):
    out = tmp_path / "new" / "glyphs"
    assert_one_line_error(invoke("render", "--chars", "a", "--font", tmp_path / "nofont.ttf", "--out", out))
    assert not (tmp_path / "new").exists()


# --- one writer per folder -----------------------------------------------------------------------


def hold(folder: Path, command: str = "synth") -> filelock.BaseFileLock:
    """What a running saae-augment command holds: the folder's lock and its ledger."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(folder / ".saae-lock"))
    lock.acquire(timeout=0)
    (folder / ".saae-output.json").write_text(json.dumps({"command": command, "entries": [], "pid": 4242}))
    return lock


@pytest.mark.parametrize("resume", [False, True])
def test_a_second_synth_into_a_folder_in_use_is_refused_with_the_holders_pid(smoke_run, tmp_path, resume):
    out = tmp_path / "busy"
    lock = hold(out)
    try:
        result = invoke(*synth_args(smoke_run, out), *(["--resume"] if resume else []))
        assert_one_line_error(result, "in use", "pid 4242")
    finally:
        lock.release()
    assert not (out / "labels.csv").exists()


def test_a_second_train_on_a_run_in_use_is_refused(smoke_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(smoke_run, run)
    lock = hold(run, "train")
    metrics = (run / "metrics.jsonl").read_bytes()
    try:
        assert_one_line_error(invoke("train", "--resume", run, "--max-steps", "30"), "in use", "pid 4242")
        assert_one_line_error(invoke("train", "--recipe", "smoke", "--out", run, "--overwrite"), "in use")
    finally:
        lock.release()
    assert (run / "metrics.jsonl").read_bytes() == metrics


@pytest.mark.slow
def test_two_synth_processes_started_together_write_one_set(smoke_run, tmp_path):
    out = tmp_path / "race"
    cmd = [sys.executable, "-m", "saae_augment", *synth_args(smoke_run, out, 300)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    assert "in use" in loser or "already holds" in loser, loser
    assert (out / "labels.csv").read_text().count("\n") == 301


# --- a run killed before its first checkpoint ----------------------------------------------------


def test_a_run_stopped_before_its_first_checkpoint_can_be_started_again(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / ".saae-output.json").write_text(
        json.dumps({"command": "train", "entries": ["config.yaml", "metrics.jsonl", "grids", "checkpoints"]})
    )
    (run / "config.yaml").write_text("name: smoke\n")
    (run / "grids").mkdir()
    (run / "checkpoints").mkdir()
    assert_one_line_error(invoke("train", "--resume", run), "before its first checkpoint", "--overwrite")
    assert_one_line_error(invoke("train", "--recipe", "smoke", "--out", run, "--max-steps", "2"), "--overwrite")
    result = invoke("train", "--recipe", "smoke", "--out", run, "--max-steps", "2", "--overwrite")
    assert result.exit_code == 0, result.output
    assert (run / "checkpoints" / "last.pt").exists()


def test_an_out_that_no_file_system_takes_is_one_line(tmp_path):
    assert_one_line_error(invoke("render", "--chars", "a", "--out", f"{tmp_path}/{'x' * 300}"), "--out", "too long")
    nul = invoke("render", "--chars", "a", "--out", f"{tmp_path}/bad\0name")  # refused by the parser itself
    assert nul.exit_code == 2 and "null byte" in nul.output and "Traceback" not in nul.output


def test_eval_ocr_refuses_a_synthesis_that_is_not_complete(smoke_run, tmp_path):
    synth = tmp_path / "s"
    assert invoke(*synth_args(smoke_run, synth, 20)).exit_code == 0
    manifest = json.loads((synth / "manifest.json").read_text())
    (synth / "manifest.json").write_text(json.dumps(manifest | {"status": "interrupted"}))
    args = ["eval-ocr", "--train", "digits", "--test", "digits", "--synth", synth, "--steps", "1", "--seeds", "1"]
    assert_one_line_error(invoke(*args, "--out", tmp_path / "e"), "not complete", "--resume")
    assert not (tmp_path / "e").exists()


def test_our_lock_and_ledger_are_not_reported_as_stray_files_of_a_data_set(smoke_run, tmp_path):
    from saae_augment.data.load import load_dataset

    synth = tmp_path / "s"
    assert invoke(*synth_args(smoke_run, synth, 20)).exit_code == 0
    assert (synth / ".saae-lock").exists() and (synth / ".saae-output.json").exists()
    data = load_dataset(f"images:{synth}", labels_required=False)
    assert len(data) == 20 and data.report.ignored_files == [
        "labels.csv", "labels.txt", "manifest.json"
    ]  # fmt: skip


def test_resume_after_a_kill_between_the_label_files_and_the_manifest_starts_over(smoke_run, tmp_path):
    out = tmp_path / "s"
    assert invoke(*synth_args(smoke_run, out, 20)).exit_code == 0
    (out / "manifest.json").unlink()  # killed after the label files were created, before the manifest
    (out / "labels.csv").write_text("path,label,style,seed,judge\n")
    (out / "labels.txt").write_text("")
    result = invoke(*synth_args(smoke_run, out, 20, "--resume"))
    assert result.exit_code == 0, result.output
    assert json.loads((out / "manifest.json").read_text())["samples"] == 20
    assert (out / "labels.csv").read_text().count("\n") == 21
