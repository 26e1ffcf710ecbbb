"""Words in a style the tool did not make: examples/captcha_words.py's crops, the words recipe.

The example draws with fonts and damage from the multicolorcaptcha package (the dev and
words-demo extras), so the style encoder meets images our renderer never produced.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from saae_augment.data.load import load_dataset
from saae_augment.synthesis.run import synthesize
from saae_augment.training.loop import train
from tests.conftest import tree_digest

EXAMPLE = Path(__file__).parents[2] / "examples" / "captcha_words.py"
WORD = re.compile(r"^[A-Z0-9]{3,8}$")


def _example():
    spec = importlib.util.spec_from_file_location("captcha_words", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("source", ["fonts", "captcha"])
def test_the_example_writes_a_labeled_word_set_the_same_for_a_seed(source, tmp_path):
    words = _example()
    words.write_words(tmp_path / "a", 12, seed=3, source=source)
    words.write_words(tmp_path / "b", 12, seed=3, source=source)
    data = load_dataset(tmp_path / "a")
    assert len(data) == 12 and data.report.skipped == 0
    assert all(WORD.match(label) for label in data.labels) and len(set(data.labels)) > 6
    assert {img.shape[:2] for img in data.images} == {(32, 128)}
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    with pytest.raises(SystemExit, match="not empty"):
        words.write_words(tmp_path / "a", 2, seed=3, source=source)


@pytest.mark.slow
def test_the_words_recipe_trains_on_foreign_crops_and_writes_new_words(tmp_path):
    _example().write_words(tmp_path / "words", 48, seed=0)
    tiny = ["train.max_steps=4", "train.batch_size=8", "train.judge_epochs=2", "train.eval_every=2"]
    tiny += ["train.grid_every=2", "train.ckpt_every=2", "train.eval_samples=16", "glyph.fonts=2"]
    run = train(tmp_path / "words", "words", tiny, tmp_path / "run", device="cpu")
    assert run.summary["task"] == "lines" and run.summary["step"] == 4
    wanted = ["NEW1", "WORD42", "ZQX9"]
    synthesize(run.run_dir, 9, tmp_path / "s", device="cpu", texts=wanted)
    written = load_dataset(tmp_path / "s")
    assert set(written.labels) <= set(wanted) and {img.shape[:2] for img in written.images} == {(32, 128)}
