"""Size follows the data: a recipe without data.size trains, synthesizes and is evaluated at the
data's own size, and every resize is said (issue 19: 28×28 digits were silently read at 16×16)."""

import json

import yaml
from PIL import Image

from saae_augment.evaluation.run import evaluate_ocr
from tests.conftest import digit_crops, invoke


def digits_at(root, size, copies=2, seed=0):
    """A labels.csv folder of the ten digits drawn at `size`×`size`, with noise."""
    return digit_crops(root, size, copies=copies, seed=seed)


def test_a_recipe_without_size_trains_and_synthesizes_at_the_datas_own_size(tmp_path):
    data = digits_at(tmp_path / "d28", 28, copies=3)
    run = tmp_path / "run"
    result = invoke(
        "train", "--data", data, "--recipe", "smoke", "--set", "data.size=null", "--max-steps", "2", "--out", run
    )
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((run / "config.yaml").read_text())["data"]["size"] == [28, 28]
    assert "brought to" not in result.stderr  # nothing was resized, so nothing is said
    synth = invoke("synth", "--ckpt", run, "--n", "4", "--out", tmp_path / "s")
    assert synth.exit_code == 0, synth.output
    first = sorted((tmp_path / "s" / "images").rglob("*.png"))[0]
    assert Image.open(first).size == (28, 28)


def test_a_resize_in_training_and_in_synthesis_styles_is_said_in_one_line(tmp_path):
    data = digits_at(tmp_path / "d8", 8)  # smaller than the networks want: brought to 16×16
    run = tmp_path / "run"
    result = invoke(
        "train", "--data", data, "--recipe", "smoke", "--set", "data.size=null", "--max-steps", "2", "--out", run
    )
    assert result.exit_code == 0, result.output
    assert "training data: all images (8×8) brought to 16×16" in result.stderr
    styles = digits_at(tmp_path / "s28", 28, copies=1)
    synth = invoke("synth", "--ckpt", run, "--n", "4", "--styles", styles, "--out", tmp_path / "s")
    assert synth.exit_code == 0, synth.output
    assert f"--styles {styles}: all images (28×28) brought to 16×16 (the checkpoint's size)" in synth.stderr
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["settings"]["styles"]["resized"].startswith(f"--styles {styles}: all images")


def test_eval_ocr_reads_characters_at_the_test_sets_size_and_says_what_it_resized(smoke_run, tmp_path):
    train, test = digits_at(tmp_path / "train", 28, copies=3), digits_at(tmp_path / "test", 28, seed=1)
    synth = tmp_path / "synth"
    assert invoke("synth", "--ckpt", smoke_run, "--n", "20", "--out", synth).exit_code == 0  # 16×16 samples
    result = evaluate_ocr(
        train, test, tmp_path / "E", synth=[synth], ratios=[1], seeds=1, steps=2, regimes=["real", "real+synth"]
    )
    assert result.settings["size"] == [28, 28] and result.settings["size_from"] == "the test set's own size"
    assert any(
        n.startswith(f"synthetic set {synth}: all images (16×16) brought to 28×28")
        for n in result.settings["size_notes"]
    )
    report = (tmp_path / "E" / "report.md").read_text()
    assert "image size 28x28 (the test set's own size)" in report


def test_eval_ocr_runs_with_one_image_per_class_keeping_each_runs_last_weights(tmp_path):
    train, test = digits_at(tmp_path / "train", 16, copies=1), digits_at(tmp_path / "test", 16, seed=1)
    result = evaluate_ocr(train, test, tmp_path / "E", ratios=[1], seeds=1, steps=3, regimes=["real", "real+fonts"])
    assert result.settings["n_val"] == 0 and result.settings["n_real_fit"] == 10
    assert {r["steps"] for r in result.runs} == {3} and all(r["val_acc"] != r["val_acc"] for r in result.runs)  # NaN
    assert "last weights (no image left to validate on)" in (tmp_path / "E" / "report.md").read_text()


def test_two_images_per_class_train_with_nothing_held_out_and_synthesize(tmp_path):
    data = digits_at(tmp_path / "two", 16, copies=2)  # every class keeps both images for training
    run = tmp_path / "run"
    result = invoke("train", "--data", data, "--recipe", "smoke", "--max-steps", "2", "--out", run)
    assert result.exit_code == 0, result.output
    assert "20 training / 0 held-out images" in result.stderr
    synth = invoke("synth", "--ckpt", run, "--n", "10", "--out", tmp_path / "s")
    assert synth.exit_code == 0, synth.output
