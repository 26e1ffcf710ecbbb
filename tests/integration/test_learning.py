"""Does the SAAE learn what the paper says it learns? Short real runs on the embedded digits."""

import pytest

from saae_augment.training.loop import train

pytestmark = pytest.mark.slow

SHORT = [
    "train.max_steps=120",
    "train.eval_every=120",
    "train.grid_every=120",
    "train.ckpt_every=120",
    "train.eval_samples=300",
    "train.judge_epochs=8",
]


def test_kplus1_writes_the_requested_content_and_binary_copies_the_style(tmp_path):
    """Measured on held-out styles by a judge trained on the real training split only
    (120 steps on this 2-core CPU gave 100% / 0% for k+1 and 0.7% / 90.7% for binary)."""
    kplus1 = train("digits", "digits", SHORT, out=tmp_path / "kplus1").summary
    binary = train("digits", "digits", SHORT + ["model.disc=binary"], out=tmp_path / "binary").summary
    assert kplus1["judge_val_acc"] >= 0.95
    assert kplus1["content_acc"] >= 0.90 and kplus1["copy_rate"] <= 0.05
    assert binary["content_acc"] < kplus1["content_acc"] - 0.5
    assert binary["copy_rate"] > kplus1["copy_rate"]
