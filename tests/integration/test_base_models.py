"""Base models: `pretrain` renders a degraded set from installed fonts and trains on it; `train
--init BASE` starts a user's run from its weights, in its network, at the data's size; `--init auto`
(the default) does so from a packaged base when one fits."""

import json

import numpy as np
import pytest
import torch
import yaml

from saae_augment.config import load_recipe
from saae_augment.core.checkpoint import file_sha256, load_checkpoint
from saae_augment.data.load import load_dataset
from saae_augment.model.saae import build_model
from saae_augment.sets.baseset import degrade, make_base_set
from saae_augment.sets.pretrain import pretrain
from saae_augment.training import bases
from saae_augment.training.basestart import resample_first_dense, start_from_base
from tests.conftest import assert_one_line_error, invoke


def smoke_train(data, out, *args):
    """`train` with the smoke recipe: the CLI as a user runs it, in seconds."""
    return invoke("train", "--data", data, "--recipe", "smoke", *args, "--out", out)


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
    start_from_base(model, payload, ["3", "5", "7"], (16, 16), str(base))
    for k, v in model.generator.state_dict().items():
        assert torch.equal(v, payload["state"]["generator"][k]), k
    head = payload["state"]["discriminator"]
    last = max(int(k.split(".")[1]) for k in head if k.startswith("head."))
    w = model.discriminator.state_dict()[f"head.{last}.weight"]
    assert torch.equal(w, head[f"head.{last}.weight"][[3, 5, 7, 10]])  # the three classes, then "fake"


def test_the_base_file_is_the_run_in_half_precision_without_optimizer_or_glyph_banks(base):
    packed, run = load_checkpoint(base / "base.pt"), load_checkpoint(base / "run")
    assert set(packed["state"]) == {"generator", "discriminator"} and "optim" not in packed
    assert "bank" not in packed["glyph"] and packed["classes"] == run["classes"] == list("0123456789")
    for net in ("generator", "discriminator"):
        for k, v in run["state"][net].items():
            assert packed["state"][net][k].dtype == (torch.float16 if v.is_floating_point() else v.dtype), k
            assert torch.allclose(packed["state"][net][k].float(), v.float(), rtol=1e-3, atol=1e-3), k
    assert (base / "base.pt").stat().st_size < (base / "run" / "checkpoints" / "last.pt").stat().st_size / 2
    manifest = json.loads((base / "manifest.json").read_text())
    assert manifest["command"] == "pretrain" and manifest["settings"]["charset"] == "0123456789"
    assert manifest["base_sha256"] == file_sha256(base / "base.pt")


def test_a_uniform_feature_map_reads_the_same_through_a_resampled_first_layer():
    torch.manual_seed(0)
    weight = torch.randn(5, 3 * 8 * 8)  # 5 hidden units over 3 channels of an 8×8 map (a 16×16 image)
    uniform = torch.ones(3, 8, 8)
    for size in [(32, 32), (28, 20), (8, 8)]:
        resized = resample_first_dense(weight, (16, 16), size)
        h, w = size[0] // 2, size[1] // 2
        assert resized.shape == (5, 3 * h * w)
        same = resized @ torch.ones(3 * h * w)
        assert torch.allclose(same, weight @ uniform.flatten(), rtol=1e-4, atol=1e-4), size
    assert resample_first_dense(weight, (16, 16), (16, 16)) is weight


def test_train_init_fine_tunes_at_the_datas_size_and_records_it(base, glyph_folder, tmp_path):
    run = tmp_path / "run"
    result = smoke_train(glyph_folder, run, "--set", "data.size=[24,24]", "--init", base, "--max-steps", "2")
    assert result.exit_code == 0, result.output
    assert f"starting from base model {base / 'base.pt'}" in result.stderr
    assert "trained at 16×16, its discriminator resampled to 24×24" in result.stderr
    assert yaml.safe_load((run / "config.yaml").read_text())["data"]["size"] == [24, 24]  # the run's, not the base's
    summary = json.loads((run / "summary.json").read_text())
    assert summary["init_from"] == str(base / "base.pt") and summary["init_sha256"]


@pytest.fixture
def packaged(base, tmp_path, monkeypatch):
    """The package's base folder holding the smoke base, as `make base` would ship it."""
    folder = tmp_path / "bases"
    folder.mkdir()
    (folder / "smokedigits.pt").write_bytes((base / "base.pt").read_bytes())
    (folder / "smokedigits.json").write_text((base / "manifest.json").read_text())
    monkeypatch.setattr(bases, "PACKAGED_DIR", folder)
    return folder


def test_by_default_a_run_starts_from_a_packaged_base_that_fits(packaged, glyph_folder, tmp_path):
    run = tmp_path / "run"
    result = smoke_train(glyph_folder, run, "--max-steps", "2")
    assert result.exit_code == 0, result.output
    assert "starting from base model smokedigits (packaged with saae-augment)" in result.stderr
    assert json.loads((run / "summary.json").read_text())["init_from"].startswith("smokedigits")
    scratch = smoke_train(glyph_folder, tmp_path / "s", "--init", "none", "--max-steps", "2")
    assert scratch.exit_code == 0 and "starting from base model" not in scratch.stderr
    assert "init_from" not in json.loads((tmp_path / "s" / "summary.json").read_text())
    named = smoke_train(glyph_folder, tmp_path / "n", "--init", "smokedigits", "--max-steps", "2")
    assert named.exit_code == 0 and f"starting from base model {packaged / 'smokedigits.pt'}" in named.stderr


def test_auto_trains_from_scratch_when_no_packaged_base_fits(packaged, glyph_folder, tmp_path, letters):
    # the smoke base's network is not the recipe's once the width changes
    other_net = smoke_train(glyph_folder, tmp_path / "w", "--set", "model.channels=4", "--max-steps", "2")
    assert other_net.exit_code == 0 and "base model" not in other_net.stderr
    other_classes = smoke_train(letters, tmp_path / "l", "--max-steps", "2")
    assert other_classes.exit_code == 0, other_classes.output
    assert "no packaged base model knows every class of the data: training from scratch" in other_classes.stderr


@pytest.fixture
def letters(tmp_path):
    from tests.conftest import digit_image, save_png

    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "labels.csv").write_text("path,label\n" + "".join(f"{i}.png,{c}\n" for i, c in enumerate("ABAB" * 3)))
    for i in range(12):
        save_png(folder / f"{i}.png", digit_image(i))
    return folder


def test_init_refusals_are_one_line(base, glyph_folder, tmp_path, letters):
    assert_one_line_error(invoke("train", "--resume", tmp_path / "x", "--init", base), "--init starts a new run")
    assert_one_line_error(
        smoke_train(letters, tmp_path / "r", "--init", base),
        "the base model knows '0123456789'",
        "'AB'",
    )
    assert_one_line_error(
        invoke("train", "--data", glyph_folder, "--init", tmp_path / "nothing", "--out", tmp_path / "r2"),
        "no checkpoint at",
    )


def test_a_damaged_packaged_base_is_refused_in_one_line(packaged, glyph_folder, tmp_path):
    pt = packaged / "smokedigits.pt"
    pt.write_bytes(pt.read_bytes()[:-1] + b"x")
    assert_one_line_error(
        smoke_train(glyph_folder, tmp_path / "r"),
        "does not match its manifest's sha256",
        "--init none",
    )
    (packaged / "smokedigits.json").unlink()
    assert_one_line_error(
        smoke_train(glyph_folder, tmp_path / "r", "--init", "smokedigits"),
        "has no readable manifest",
    )
    assert_one_line_error(
        invoke("train", "--data", glyph_folder, "--init", "digitz", "--out", tmp_path / "r"),
        "--init digitz: no packaged base model of that name",
    )


def test_the_packaged_digits_base_fits_the_default_recipe():
    """What ships: a 32×32 digits base in the default recipe's network, small enough for the wheel."""
    shipped = bases.packaged_bases()
    assert "digits" in shipped and shipped["digits"].stat().st_size <= 5_000_000
    choice = bases.choose_base("auto", load_recipe("digits"))
    assert [where for where, _ in choice.candidates] == ["digits (packaged with saae-augment)"]
    picked = choice.pick(list("0123456789"))
    assert picked is not None and picked[1]["recipe"]["data"]["size"] == [32, 32]
    assert choice.pick(list("0123A")) is None
    recipe = load_recipe("digits", ["data.size=[28,28]"])
    model = build_model(recipe.model, 1, (28, 28), 10)
    start_from_base(model, picked[1], list("0123456789"), (28, 28), "digits")  # a 28×28 run starts from it
    assert bases.choose_base("auto", load_recipe("words")).candidates == []


def test_a_run_from_a_base_trains_base_steps_and_an_explicit_budget_holds(packaged, glyph_folder, tmp_path):
    from saae_augment.training.loop import train

    short = train(glyph_folder, "smoke", ["train.base_steps=3"], tmp_path / "b", device="cpu")  # smoke: 20 steps
    assert short.summary["step"] == 3 and short.summary["init_from"].startswith("smokedigits")
    assert yaml.safe_load((tmp_path / "b" / "config.yaml").read_text())["train"]["max_steps"] == 3
    scratch = train(glyph_folder, "smoke", ["train.base_steps=3"], tmp_path / "s", device="cpu", init=None)
    assert scratch.summary["step"] == 20  # base_steps is a budget for fine-tuning only
    result = smoke_train(glyph_folder, tmp_path / "c", "--set", "train.base_steps=3", "--max-steps", "5")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "c" / "summary.json").read_text())["step"] == 5
