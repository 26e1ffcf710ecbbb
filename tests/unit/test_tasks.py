"""The task is chosen once and asked everywhere: what each task answers, and the one-line refusals
when a user mixes the two (a recipe option, a synth option, an eval-ocr --task)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from saae_augment.config import load_recipe
from saae_augment.errors import RecipeError, UsageError
from saae_augment.evaluation.inputs import choose_task
from saae_augment.synthesis.options import SynthOptions
from saae_augment.synthesis.sampling import plan
from saae_augment.tasks import CHARS, LINES, task_of_checkpoint, task_of_labels, task_of_manifest, task_of_recipe
from saae_augment.tasks.classes import ContentSpec
from saae_augment.tasks.texts import line_texts
from tests.conftest import assert_one_line_error, invoke


@pytest.mark.parametrize(
    ("recipe", "option", "needle"),
    [
        ("digits", "data.pattern=plate-cn", "data.pattern"),
        ("digits", "loss.w_ctc=2.0", "loss.w_ctc"),
        ("words", "train.style_source=other", "train.style_source"),
        ("words", "model.disc=binary", "model.disc"),
    ],
)
def test_an_option_of_the_other_task_is_refused(recipe, option, needle):
    with pytest.raises(RecipeError, match=needle):
        task_of_recipe(load_recipe(recipe, [option]))


def test_options_of_the_recipes_own_task_are_accepted():
    assert task_of_recipe(load_recipe("words", ["data.pattern=plate-us", "loss.w_ctc=2.0"])) is LINES
    assert task_of_recipe(load_recipe("digits", ["train.style_source=other", "model.disc=binary"])) is CHARS


def test_train_refuses_a_foreign_option_in_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    result = invoke("train", "--recipe", "smoke", "--set", "data.pattern=plate-cn", "--out", out)
    assert_one_line_error(result, "data.pattern", "chars")
    assert not out.exists()


def test_the_checkpoint_names_its_task():
    assert task_of_checkpoint({"task": "lines"}) is LINES
    assert task_of_checkpoint({"task": "chars"}) is CHARS
    assert task_of_checkpoint({}) is CHARS  # character checkpoints from before the key existed


def test_a_synthesis_manifest_names_its_task():
    assert task_of_manifest({"task": "lines"}) is LINES
    assert task_of_manifest({"content_cer": 0.1}) is LINES  # written before the key existed
    assert task_of_manifest({"content_accuracy": 0.9}) is CHARS


def test_labels_declare_lines_as_soon_as_one_is_longer_than_a_character():
    assert task_of_labels(list("0123")) is CHARS
    assert task_of_labels(["0", "12"]) is LINES


def test_the_split_rules_differ_by_task():
    labels = ["a"] * 10 + ["b"] * 3 + ["c"] * 2
    train, val = CHARS.split(labels, 0.25, 0)
    assert {labels[i] for i in val} == {"a", "b"}  # stratified: a class of three is in both parts...
    assert {labels[i] for i in train} == {"a", "b", "c"}  # ...a class of two keeps both for training
    train, val = LINES.split(labels, 0.25, 0)
    assert sorted(train + val) == list(range(15)) and len(val) == 4


def test_vocabulary_and_scores():
    assert CHARS.vocabulary(["b", "a", "b"]) == ["a", "b"]
    assert LINES.vocabulary(["AB1", "B2"]) == ["1", "2", "A", "B"]
    assert CHARS.score(["a", "b"], ["a", "a"]) == {"test_acc": 0.5}
    lines = LINES.score(["AB1", "AB2"], ["AB1", "AB1"])
    assert lines["test_acc"] == 0.5 and lines["test_cer"] == pytest.approx(1 / 6)
    rows = [{"test_cer": 0.1}, {"test_cer": 0.3}]
    assert LINES.summary_row(rows)["cer"] == pytest.approx(0.2)
    assert CHARS.summary_row(rows) == {}


def test_a_line_plan_leaves_the_samples_own_draws_alone():
    """Sample i's style, mix and augmentation seed do not depend on where its text came from."""
    texts = line_texts("AB12", texts=["AB", "12", "A1"])
    by_plan = plan(5, 3, texts, 7, True, 2)
    by_label = plan(5, 3, None, 7, True, 2, label=texts.text(5, 3))
    assert by_plan == by_label


def test_a_class_plan_draws_from_the_samples_rng():
    spec = ContentSpec(("a", "b", "c"))
    drawn = {plan(0, i, spec, 4, False).label for i in range(60)}
    assert drawn == {"a", "b", "c"}
    fixed = ContentSpec(("a", "b"), labels=("b", "a"))
    assert [plan(0, i, fixed, 4, False).label for i in range(4)] == ["b", "a", "b", "a"]


class _Checkpoint:
    """What content_plan reads of a synthesizer."""

    classes = ["0", "1"]
    charset = "01AB"
    section = type("Section", (), {"class_counts": [3, 1], "texts": ["0A", "1B"]})()
    pool = type("Pool", (), {"labels": ["0A"]})()
    recipe = load_recipe("words")


def test_synth_options_of_the_other_task_are_refused():
    with pytest.raises(UsageError, match="--texts-file and --pattern are for line checkpoints"):
        CHARS.content_plan(_Checkpoint(), SynthOptions(n=4, pattern="{digit:3}"))
    with pytest.raises(UsageError, match="--content match and --classes choose classes"):
        LINES.content_plan(_Checkpoint(), SynthOptions(n=4, content="match"))
    assert LINES.content_plan(_Checkpoint(), SynthOptions(n=4)).describe() == {"mode": "training-labels", "texts": 2}
    weighted = CHARS.content_plan(_Checkpoint(), SynthOptions(n=4, content="match"))
    assert weighted.weights == pytest.approx((0.75, 0.25))


def test_eval_ocr_task_comes_from_the_option_or_the_labels(txt_folder, csv_folder):
    assert choose_task(None, txt_folder, []) == (LINES, "the training labels")
    assert choose_task(None, csv_folder, []) == (CHARS, "the training labels")
    assert choose_task("lines", csv_folder, []) == (LINES, "--task")
    with pytest.raises(UsageError, match="labels longer than one character"):
        choose_task("chars", txt_folder, [])
    with pytest.raises(UsageError, match="unknown task"):
        choose_task("words", csv_folder, [])


def test_eval_ocr_refuses_a_char_task_on_lines_in_one_line(txt_folder, tmp_path):
    result = invoke("eval-ocr", "--train", txt_folder, "--test", txt_folder, "--out", tmp_path / "e", "--task", "chars")
    assert_one_line_error(result, "--task lines")
    assert not (tmp_path / "e").exists()


def test_the_sheets_show_what_each_task_writes(txt_folder, csv_folder):
    from saae_augment.data.load import load_dataset

    lines = LINES.sheet(load_dataset(txt_folder, mode="L"))
    chars = CHARS.sheet(load_dataset(csv_folder, mode="L"))
    assert lines.size[0] > 0 and chars.size[0] > 0
    assert np.asarray(chars).std() > 0  # glyphs, not a blank canvas


def test_each_tasks_checkpoint_section_reads_back_what_it_wrote():
    from saae_augment.data.fonts import resolve_font
    from saae_augment.tasks.sections import CharSection, LineSection

    banks = torch.rand(2, 3, 1, 8, 8)
    chars = CharSection(["a", "b", "c"], banks, ["F1", "F2"], {"name": "F1"}, (8, 8), True, [4, 5, 6])
    top, data = chars.write()
    back = CHARS.section({**top, "data": data})
    assert back.classes == ["a", "b", "c"] and back.fonts == ["F1", "F2"] and back.class_counts == [4, 5, 6]
    assert torch.equal(back.banks, banks) and torch.equal(back.bank, banks[0]) and back.invert is True
    # a checkpoint from before content variety: one bank, one font, no counts
    old = CHARS.section({"classes": ["a"], "glyph": {"bank": banks[0, :1], "font": {"name": "Old"}}, "data": {}})
    assert old.banks.shape == (1, 1, 1, 8, 8) and old.fonts == ["Old"] and old.class_counts is None

    font = resolve_font(None)
    lines = LineSection("AB12", [font], ["AB", "12"], (16, 64), False)
    top, data = lines.write()
    assert top["classes"] == ["A", "B", "1", "2"] and data == {"texts": "AB\n12"}
    back = LINES.section({**top, "data": data})
    assert back.charset == "AB12" and back.texts == ["AB", "12"] and back.fonts[0].sha256 == font.sha256
    assert LINES.section({**top, "data": {}}).texts == []  # older line checkpoints carried none


def test_a_line_checkpoint_whose_font_is_gone_names_it(tmp_path):
    from saae_augment.errors import FontError
    from saae_augment.tasks.sections import LineSection

    gone = {"path": str(tmp_path / "gone.ttf"), "index": 0, "sha256": "0" * 64}
    top = {"charset": "AB", "glyph": {"font_files": [gone], "size": [16, 64]}}
    with pytest.raises(FontError, match="gone.ttf"):
        LineSection.read({**top, "data": {}})


def test_a_line_checkpoint_refuses_another_font_at_its_fonts_path(tmp_path):
    """A different file where the run's font was is never used in its place: it would write
    other shapes under the same labels."""
    import shutil

    from saae_augment.data.fonts import resolve_font
    from saae_augment.errors import FontError
    from saae_augment.tasks.sections import LineSection

    font = resolve_font(None)
    moved = tmp_path / "Run.ttf"
    shutil.copy(font.path, moved)
    entry = {"path": str(moved), "index": 0, "sha256": "f" * 64}  # the run's font had another hash
    top = {"charset": "AB", "glyph": {"fonts": ["RunSans"], "font_files": [entry], "size": [16, 64]}}
    with pytest.raises(FontError, match=r"RunSans .*Run\.ttf.*different file there"):
        LineSection.read({**top, "data": {}})
    # the same bytes at the recorded path are the run's font: used as they are
    entry["sha256"] = font.sha256
    assert LineSection.read({**top, "data": {}}).fonts[0].path == moved
