"""Tiny hostile inputs must not take huge memory or time: YAML alias bombs, oversized recipes, an
LMDB that declares a billion samples. Each is one short line, at once."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import assert_one_line_error, invoke

BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def one_short_line(result, *needles: str) -> str:
    line = assert_one_line_error(result, *needles)
    assert len(line) < 400, line
    return line


def test_a_yaml_alias_bomb_as_recipe_is_refused_at_once(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    assert bomb.stat().st_size < 600
    one_short_line(invoke("train", "--recipe", bomb, "--out", tmp_path / "r"), "aliases")
    assert not (tmp_path / "r").exists()


def test_a_yaml_alias_bomb_as_augmentation_is_refused_at_once(smoke_run, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    one_short_line(
        invoke("synth", "--ckpt", smoke_run, "-n", "5", "--augment", bomb, "--out", tmp_path / "o"), "aliases"
    )


def test_a_recipe_of_megabytes_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("description: " + "x" * (8 << 20) + "\n")
    one_short_line(invoke("train", "--recipe", big, "--out", tmp_path / "r"), "bytes", "at most 1,048,576")


def test_a_huge_override_value_is_cut_in_the_message(tmp_path):
    line = one_short_line(invoke("train", "--set", "model.channels=" + "9" * 20 + "x" * 5000, "--out", tmp_path / "r"))
    assert "model.channels" in line and ("..." in line or "…" in line) and "x" * 200 not in line


def test_an_lmdb_declaring_a_billion_samples_is_one_line(tmp_path):
    lmdb = pytest.importorskip("lmdb", reason="lmdb is in the dev install; this runs in CI")
    env = lmdb.open(str(tmp_path / "db"), map_size=1 << 22)
    with env.begin(write=True) as txn:
        txn.put(b"num-samples", str(10**9).encode())
        txn.put(b"label-000000001", b"A")
    env.close()
    one_short_line(invoke("data", "inspect", tmp_path / "db"), "num-samples = 1,000,000,000", "entries")


# --- docs vs tool ------------------------------------------------------------------------------


def test_several_overrides_after_one_set_as_the_readme_writes_them(glyph_folder, tmp_path):
    run = tmp_path / "r"
    result = invoke(
        "train", "--data", glyph_folder, "--recipe", "smoke", "--max-steps", "1", "--out", run,
        "--set", "glyph.fonts=1", "glyph.warp=0", "model.style_inject=concat", "train.d_augment=0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["glyph"]["fonts"] == 1 and config["glyph"]["warp"] == 0
    assert config["model"]["style_inject"] == "concat" and config["train"]["d_augment"] == 0


def test_a_stray_argument_to_train_is_one_line(tmp_path):
    one_short_line(invoke("train", "nonsense", "--out", tmp_path / "r"), "not KEY=VALUE")


def test_synth_labels_file_without_n_writes_one_sample_per_line(smoke_run, tmp_path):
    labels = tmp_path / "labels.txt"
    labels.write_text("3\n1\n4\n1\n5\n9\n2\n")
    result = invoke("synth", "--ckpt", smoke_run, "--labels-file", labels, "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "o" / "labels.txt").read_text().splitlines()
    assert [r.split("\t")[1] for r in rows] == list("3141592")
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["samples"] == 7


def test_synth_without_n_or_labels_file_is_one_line(smoke_run, tmp_path):
    one_short_line(invoke("synth", "--ckpt", smoke_run, "--out", tmp_path / "o"), "--n", "--labels-file")


def test_built_in_recipes_and_augmentations_are_found_as_package_data():
    from saae_augment.config import recipe_names
    from saae_augment.data.augment import augment_names

    assert {"digits", "smoke", "plates-cn", "words"} <= set(recipe_names())
    assert {"light", "scan", "classic", "plate-photo"} <= set(augment_names())


def test_a_recipe_file_that_is_not_utf8_is_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"name: \xff\xfe\n")
    one_short_line(invoke("train", "--recipe", bad, "--out", tmp_path / "r"), "UTF-8")


@pytest.mark.parametrize("name", ["smoke", "digits"])
def test_builtin_recipes_still_load(name):
    from saae_augment.config import load_recipe

    assert load_recipe(name).name == name


def test_unknown_builtin_name_lists_the_known_ones(tmp_path):
    one_short_line(invoke("train", "--recipe", "nope", "--out", tmp_path / "r"), "digits", "smoke")
