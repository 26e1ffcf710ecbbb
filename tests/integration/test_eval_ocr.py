"""eval-ocr: budgets, validation hygiene, a harness that can learn, and results that match the table."""

import json

import pandas as pd
import pytest

from saae_augment.core import recognizers as recognizer_module
from saae_augment.evaluation.run import evaluate_ocr
from saae_augment.synthesis.run import synthesize
from tests.conftest import digit_crops


def glyph_set(root, noise_seed, copies=3):
    """Digits in three DejaVu faces, `copies` noisy copies each: clean and separable."""
    faces = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
    return digit_crops(root, 16, faces, copies, noise_seed, noise=25)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    base = tmp_path_factory.mktemp("toy")
    return glyph_set(base / "train", 1), glyph_set(base / "test", 2, copies=2)


@pytest.fixture(scope="module")
def toy_synth(smoke_run, tmp_path_factory):
    return synthesize(smoke_run, 400, tmp_path_factory.mktemp("synth") / "S", seed=1).out


@pytest.mark.slow
def test_the_harness_learns_clean_separable_data(toy, tmp_path):
    train, test = toy
    result = evaluate_ocr(train, test, tmp_path / "E", regimes=["real"], seeds=1, steps=150, size=(16, 16))
    assert result.summary[0]["mean"] >= 0.9


@pytest.mark.slow
def test_every_regime_gets_the_same_budget_and_results_match(toy, toy_synth, tmp_path):
    train, test = toy
    out = tmp_path / "E"
    result = evaluate_ocr(train, test, out, synth=[toy_synth], ratios=[0, 1], seeds=2, steps=40)
    trained = [r for r in result.runs if r["derived_from"] is None]
    assert {r["steps"] for r in trained} == {40}
    regimes = {r["regime"] for r in result.runs}
    assert regimes == {"real", "real+aug", "real+fonts", "real+aug+fonts", "real+synth", "real+aug+synth", "synth"}
    for regime in ("real+fonts", "real+aug+fonts", "real+synth", "real+aug+synth"):
        assert sorted((r["ratio"], r["seed"]) for r in result.runs if r["regime"] == regime) == [
            (0.0, 0),
            (0.0, 1),
            (1.0, 0),
            (1.0, 1),
        ]
    table = pd.read_csv(out / "results.csv")
    assert len(table) == len(result.runs) == 22
    saved = json.loads((out / "results.json").read_text())
    for row in saved["summary"]:
        accs = table[
            (table.regime == row["regime"]) & (table.ratio.fillna(-1) == (-1 if row["ratio"] is None else row["ratio"]))
        ].test_acc
        assert row["mean"] == pytest.approx(accs.mean()) and row["seeds"] == len(accs)
    for name in ("accuracy.png", "confusion.png", "report.md", "synth-sheet.png", "real-vs-synth.png"):
        assert (out / name).is_file()
    assert "real-vs-synth.png" in (out / "report.md").read_text()
    n_extra = (
        table[(table.regime == "real+synth") & (table.ratio == 1.0)].n_train
        - table[table.regime == "real"].n_train.iloc[0]
    )
    assert (n_extra == saved["settings"]["n_real_fit"]).all()  # ratio 1 = one synthetic per real sample
    per_class = pd.read_csv(out / "per_class.csv", dtype={"class": str})
    assert set(per_class["class"]) == set("0123456789") and (per_class.n_test == 6).all()
    for row in saved["summary"]:  # each regime's mean over classes is its accuracy (the test set is balanced)
        ratio = -1 if row["ratio"] is None else row["ratio"]
        rows = per_class[(per_class.regime == row["regime"]) & (per_class.ratio.fillna(-1) == ratio)]
        assert len(rows) == 10 and rows.accuracy.mean() == pytest.approx(row["mean"])
    assert "## Per class" in (out / "report.md").read_text()
    # the verdict: best regime with our images against the best without them, from the same table
    v = saved["verdict"]
    by_key = {(r["regime"], r["ratio"]): r["mean"] for r in saved["summary"]}
    ours = max(m for (regime, r), m in by_key.items() if regime in ("real+synth", "real+aug+synth") and r)
    others = max(m for (regime, _), m in by_key.items() if "synth" not in regime)
    assert v["best_with_ours"]["mean"] == ours and v["best_without"]["mean"] == others
    assert v["difference"] == pytest.approx(ours - others)
    assert f"difference {100 * (ours - others):+.2f} points" in (out / "report.md").read_text()


def test_validation_comes_from_training_data_only(toy, tmp_path, monkeypatch):
    train, test = toy
    seen = {}
    real_fit = recognizer_module.CharRecognizer.fit

    def spy(self, sample, val_images, val_labels, *args, **kwargs):
        seen["val"] = val_images.copy()
        return real_fit(self, sample, val_images, val_labels, *args, **kwargs)

    monkeypatch.setattr(recognizer_module.CharRecognizer, "fit", spy)
    evaluate_ocr(train, test, tmp_path / "E", regimes=["real"], seeds=1, steps=5, size=(16, 16))
    from saae_augment.data.load import load_dataset

    train_imgs = {im.tobytes() for im in load_dataset(train, size=(16, 16)).images}
    test_imgs = {im.tobytes() for im in load_dataset(test, size=(16, 16)).images}
    val_imgs = {im.tobytes() for im in seen["val"]}
    assert val_imgs and val_imgs <= train_imgs and not (val_imgs & test_imgs)


def test_ratio_larger_than_the_synthetic_pool_is_a_clear_error(toy, toy_synth, tmp_path):
    from saae_augment.errors import SaaeError

    train, test = toy
    with pytest.raises(SaaeError, match="synthesize more"):
        evaluate_ocr(
            train, test, tmp_path / "E", synth=[toy_synth], regimes=["real+synth"], ratios=[10], seeds=1, steps=2
        )
