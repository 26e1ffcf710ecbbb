import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from saae_augment.config import (
    Recipe,
    RecipeError,
    apply_overrides,
    load_recipe,
    parse_override,
    recipe_from_dict,
    recipe_names,
    recipe_to_dict,
)


def test_builtin_recipes_load():
    assert {"digits", "smoke", "mnist"} <= set(recipe_names())
    r = load_recipe("digits")
    assert r.name == "digits" and r.data.size is None and r.model.arch == "fast"  # the data's own size


def test_unknown_key_is_an_error_with_a_suggestion():
    with pytest.raises(RecipeError, match=r"unknown recipe key optim\.lr_gg \(did you mean optim\.lr_g\?\)"):
        recipe_from_dict({"optim": {"lr_gg": 0.1}})
    with pytest.raises(RecipeError, match="unknown recipe key modle"):
        recipe_from_dict({"modle": {}})


@pytest.mark.parametrize(
    "values,needle",
    [
        ({"train": {"batch_size": "many"}}, "train.batch_size must be int"),
        ({"train": {"batch_size": True}}, "train.batch_size must be int"),
        ({"model": {"disc": "ternary"}}, "model.disc must be 'kplus1' | 'binary'"),
        ({"data": {"size": [16]}}, "data.size must be"),
        ({"train": {"batch_size": 1}}, "batch_size must be at least 2"),
        ({"optim": {"lr_g": -1}}, "learning rates must be positive"),
        ({"train": "fast"}, "recipe key train must be"),
    ],
)
def test_wrong_types_and_ranges_name_the_key(values, needle):
    with pytest.raises(RecipeError, match=needle.replace("(", r"\(").replace("|", r"\|")):
        recipe_from_dict(values)


def test_overrides_are_typed_by_yaml_and_validated():
    r = load_recipe("smoke", ["model.channels=12", "train.minutes=0.5", "data.size=24x32", "model.disc=binary"])
    assert r.model.channels == 12 and r.train.minutes == 0.5 and r.data.size == (24, 32)
    assert r.model.disc == "binary"
    with pytest.raises(RecipeError, match="not KEY=VALUE"):
        load_recipe("smoke", ["model.channels"])
    with pytest.raises(RecipeError, match="unknown recipe key train.max_step "):
        load_recipe("smoke", ["train.max_step=3"])


def test_recipe_round_trips_through_yaml(tmp_path):
    r = load_recipe("mnist", ["train.seed=7"])
    f = tmp_path / "config.yaml"
    f.write_text(yaml.safe_dump(recipe_to_dict(r)))
    assert load_recipe(f) == r


def test_missing_and_broken_recipe_files(tmp_path):
    with pytest.raises(RecipeError, match="no recipe 'nope'"):
        load_recipe("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: [unclosed")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(bad)


@given(
    st.lists(st.sampled_from(["train.seed", "train.max_steps", "model.style_dim"]), max_size=4),
    st.integers(min_value=1, max_value=4096),  # 4096: the bound of model.style_dim
)
def test_any_integer_override_lands_where_it_says(keys, value):
    values = apply_overrides({}, [f"{k}={value}" for k in keys])
    r = recipe_from_dict(values)
    for k in keys:
        section, field = k.split(".")
        assert getattr(getattr(r, section), field) == value
    assert isinstance(r, Recipe)


def test_parse_override_keeps_strings():
    assert parse_override("glyph.font=DejaVu Serif") == (["glyph", "font"], "DejaVu Serif")
