"""What a character run computes in: `train.precision: auto` is bf16 where the CPU computes bf16
natively (AMX, AVX512-BF16) and fp32 where it would be emulated; the summary says which, and
the optimizers are fused Adam on a CPU."""

import json

import pytest
import torch

from saae_augment.core.checkpoint import load_checkpoint
from saae_augment.training.loop import train

SMOKE = ["train.max_steps=2", "train.eval_samples=16", "train.judge_epochs=1"]


def _cpu_with_bf16(monkeypatch: pytest.MonkeyPatch, native: bool) -> None:
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: native, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: native, raising=False)


@pytest.mark.parametrize(
    ("native", "asked", "computed"), [(True, "auto", "bf16"), (False, "auto", "fp32"), (True, "fp32", "fp32")]
)
def test_a_character_run_says_the_precision_its_steps_computed_in(
    glyph_folder, tmp_path, monkeypatch, native, asked, computed
):
    _cpu_with_bf16(monkeypatch, native)
    seen = []
    real_autocast = torch.autocast

    def spy(*args, **kwargs):  # every autocast region the steps open
        seen.append(kwargs.get("dtype"))
        return real_autocast(*args, **kwargs)

    monkeypatch.setattr(torch, "autocast", spy)
    result = train(
        glyph_folder, "smoke", [*SMOKE, f"train.precision={asked}"], tmp_path / "run", device="cpu", init=None
    )
    summary = json.loads((result.run_dir / "summary.json").read_text())
    assert summary["precision"] == computed
    assert (torch.bfloat16 in seen) == (computed == "bf16")


def test_a_resumed_run_keeps_fused_adam_state(glyph_folder, tmp_path):
    run = tmp_path / "run"
    train(glyph_folder, "smoke", SMOKE, run, device="cpu", init=None)
    state = load_checkpoint(run)["optim"]["generator"]
    assert state["param_groups"][0]["fused"] is True
    again = train(resume=run, overrides=["train.max_steps=3"], device="cpu")
    assert again.step == 3 and again.status == "completed"
