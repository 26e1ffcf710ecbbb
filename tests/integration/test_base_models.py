"""Base models: `pretrain` renders a degraded set from installed fonts and trains on it; `train
--init BASE` starts a user's run from its weights, in its network and at its size."""

import json

import numpy as np
import pytest
import torch
import yaml

from saae_augment.config import load_recipe
from saae_augment.core.checkpoint import load_checkpoint
from saae_augment.data.load import load_dataset
from saae_augment.model.saae import build_model
from saae_augment.sets.baseset import degrade, make_base_set
from saae_augment.sets.pretrain import pretrain
from saae_augment.training.basestart import start_from_base
from tests.conftest import assert_one_line_error, invoke


def test_degrade_is_seeded_and_changes_the_glyph():
    glyph = np.zeros((16, 16), np.uint8)
    glyph[4:12, 7:9] = 255
    a, b = degrade(glyph, 3), degrade(glyph, 3)
    assert np.array_equal(a, b) and a.shape == glyph.shape and a.dtype == np.uint8
    assert not np.array_equal(degrade(glyph, 3), degrade(glyph, 4))
    assert a[4:12, 7:9].mean() > a[:, :3].mean() + 60  # still ink on paper


def test_the_base_set_is_a_labeled_folder_of_every_class_in_many_fonts(tmp_path):
    made = make_base_set(tmp_path / "set", "0123456789", (16, 16), per_class=6, seed=1)
    data = load_dataset(tmp_path / "set")
    assert len(data) == made["images"] == 60 and made["fonts"] >= 2
    assert sorted(set(data.labels)) == list("0123456789") and {im.shape for im in data.images} == {(16, 16)}
    manifest = json.loads((tmp_path / "set" / "manifest.json").read_text())
    assert manifest["settings"]["per_class"] == 6 and len(manifest["settings"]["fonts"]) == made["fonts"]
    again = make_base_set(tmp_path / "again", "0123456789", (16, 16), per_class=6, seed=1)
    assert again == made and all(
        np.array_equal(x, y) for x, y in zip(data.images, load_dataset(tmp_path / "again").images, strict=True)
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    out = tmp_path_factory.mktemp("base") / "base"
    pretrain(out, "0123456789", (16, 16), per_class=8, recipe="smoke", overrides=["train.max_steps=4"], device="cpu")
    return out


def test_a_run_for_some_classes_keeps_the_base_generator_and_its_classes_rows(base):
    payload = load_checkpoint(base / "run")
    recipe = load_recipe("smoke", ["data.size=[16,16]"])
    model = build_model(recipe.model, 1, (16, 16), 3)
    start_from_base(model, payload, ["3", "5", "7"], str(base))
    for k, v in model.generator.state_dict().items():
        assert torch.equal(v, payload["state"]["generator"][k]), k
    head = payload["state"]["discriminator"]
    last = max(int(k.split(".")[1]) for k in head if k.startswith("head."))
    w = model.discriminator.state_dict()[f"head.{last}.weight"]
    assert torch.equal(w, head[f"head.{last}.weight"][[3, 5, 7, 10]])  # the three classes, then "fake"


def test_train_init_fine_tunes_at_the_bases_size_and_records_it(base, glyph_folder, tmp_path):
    run = tmp_path / "run"
    result = invoke(
        "train", "--data", glyph_folder, "--recipe", "smoke", "--init", base, "--max-steps", "2", "--out", run
    )
    assert result.exit_code == 0, result.output
    assert f"starting from base model {base}" in result.stderr
    assert "brought to 16×16 (the base model's size)" in result.stderr  # 20×20 crops, a 16×16 base
    assert yaml.safe_load((run / "config.yaml").read_text())["data"]["size"] == [16, 16]  # the base's, not 20×20
    summary = json.loads((run / "summary.json").read_text())
    assert summary["init_from"].startswith(str(base)) and summary["init_sha256"]
    manifest = json.loads((base / "manifest.json").read_text())
    assert manifest["command"] == "pretrain" and manifest["settings"]["charset"] == "0123456789"


def test_init_refusals_are_one_line(base, glyph_folder, tmp_path, csv_folder):
    assert_one_line_error(invoke("train", "--resume", tmp_path / "x", "--init", base), "--init starts a new run")
    letters = tmp_path / "letters"
    letters.mkdir()
    (letters / "labels.csv").write_text("path,label\n" + "".join(f"{i}.png,{c}\n" for i, c in enumerate("ABAB")))
    from tests.conftest import digit_image, save_png

    for i in range(4):
        save_png(letters / f"{i}.png", digit_image(i))
    assert_one_line_error(
        invoke("train", "--data", letters, "--recipe", "smoke", "--init", base, "--out", tmp_path / "r"),
        "the base model knows '0123456789'",
        "'AB'",
    )
    assert_one_line_error(
        invoke("train", "--data", glyph_folder, "--init", tmp_path / "nothing", "--out", tmp_path / "r2"),
        "no checkpoint at",
    )
