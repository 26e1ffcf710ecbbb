"""synth-merge reads shard folders that may come from anywhere: each hostile or damaged shard is
one line (exit 1), nothing is written outside --out, and a refused merge writes nothing."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from saae_augment.cli.app import app
from saae_augment.synthesis.run import synthesize
from tests.conftest import assert_one_line_error, tree_digest

N = 40


@pytest.fixture(scope="module")
def shards(smoke_run, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("shards")
    for i in range(2):
        synthesize(smoke_run, N, root / f"s{i}", seed=3, batch_size=16, shard=(i, 2))
    return root / "s0", root / "s1"


@pytest.fixture
def copies(shards, tmp_path) -> tuple[Path, Path]:
    return tuple(Path(shutil.copytree(s, tmp_path / s.name, symlinks=True)) for s in shards)


def merge(*args) -> object:
    return CliRunner().invoke(app, ["synth-merge", *[str(a) for a in args]])


def edit_row(shard: Path, name: str, row: int, new_path: str) -> None:
    """Point row `row` (0-based) of both label files at `new_path`, as an attacker would."""
    csv_path, txt_path = shard / f"labels{name}.csv", shard / f"labels{name}.txt"
    csv_lines = csv_path.read_text().splitlines(keepends=True)
    old = csv_lines[row + 1].split(",", 1)[0]
    csv_lines[row + 1] = csv_lines[row + 1].replace(old, new_path, 1)
    csv_path.write_text("".join(csv_lines))
    txt_lines = txt_path.read_text().splitlines(keepends=True)
    txt_lines[row] = txt_lines[row].replace(old, new_path, 1)
    txt_path.write_text("".join(txt_lines))


def test_a_clean_merge_still_equals_the_unsharded_run(smoke_run, copies, tmp_path):
    whole = synthesize(smoke_run, N, tmp_path / "whole", seed=3, batch_size=16).out
    result = merge(*copies, "--out", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert tree_digest(tmp_path / "m") == tree_digest(whole)


def test_a_row_path_leading_outside_is_refused_and_nothing_written(copies, tmp_path):
    edit_row(copies[1], "-1-of-2", 0, "../x")
    assert_one_line_error(merge(*copies, "--out", tmp_path / "m"), "../x")
    assert not (tmp_path / "m").exists() and not (tmp_path / "x").exists()


def test_a_symlinked_shard_image_is_assert_one_line_error(copies, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    image = copies[0] / "images" / "0" / "3.png"
    image.unlink()
    os.symlink(secret, image)
    assert_one_line_error(merge(*copies, "--out", tmp_path / "m"), "symlink")
    assert not (tmp_path / "m").exists()


def test_a_symlinked_images_folder_is_assert_one_line_error(copies, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    shutil.move(str(copies[1] / "images"), elsewhere)
    os.symlink(elsewhere, copies[1] / "images")
    assert_one_line_error(merge(*copies, "--out", tmp_path / "m"), "symlink")


def test_a_label_file_shorter_than_its_manifest_is_assert_one_line_error(copies, tmp_path):
    csv_path = copies[0] / "labels-0-of-2.csv"
    lines = csv_path.read_text().splitlines(keepends=True)
    csv_path.write_text("".join(lines[:-11]))
    assert_one_line_error(merge(*copies, "--out", tmp_path / "m"), "disagrees", "20 samples", "9 rows")


def test_label_files_that_disagree_are_assert_one_line_error(copies, tmp_path):
    txt = copies[0] / "labels-0-of-2.txt"
    lines = txt.read_text().splitlines(keepends=True)
    lines[4] = lines[4].rsplit("\t", 1)[0] + "\tZ\n"
    txt.write_text("".join(lines))
    assert_one_line_error(merge(*copies, "--out", tmp_path / "m"), "does not match")


def test_a_missing_image_is_one_line(copies, tmp_path):
    (copies[1] / "images" / "0" / "25.png").unlink()
    assert_one_line_error(merge(*copies, "--out", tmp_path / "m"), "25.png", "missing")


def test_merging_into_an_existing_synthesis_needs_overwrite_and_then_keeps_no_old_image(smoke_run, copies, tmp_path):
    out = synthesize(smoke_run, 60, tmp_path / "old", seed=9, batch_size=16).out
    assert_one_line_error(merge(*copies, "--out", out), "--overwrite")
    result = merge(*copies, "--out", out, "--overwrite")
    assert result.exit_code == 0, result.output
    assert len(list((out / "images").rglob("*.png"))) == N
    assert tree_digest(out) == tree_digest(synthesize(smoke_run, N, tmp_path / "w", seed=3, batch_size=16).out)


def test_shards_whose_manifest_claims_another_sample_count_are_assert_one_line_error(copies, tmp_path):
    path = copies[0] / "manifest-0-of-2.json"
    data = json.loads(path.read_text())
    data["samples"] = 7
    path.write_text(json.dumps(data))
    assert_one_line_error(merge(*copies, "--out", tmp_path / "m"), "says 7 samples")
