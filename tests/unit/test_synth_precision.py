"""`synth --precision auto` on a CPU: bf16 only where native and where the judge reads it as well as fp32."""

import pytest
import torch

from saae_augment.synthesis import precision as P
from saae_augment.synthesis.sampling import SamplePlan


def plans(k: int) -> list[SamplePlan]:
    return [SamplePlan(i, i, str(i % 10), 0, 0, 0.0, 0) for i in range(k)]


class FakeSynth:
    """Reads every sample right in fp32 and `bf16_misreads` of the calibration set wrong in bf16."""

    def __init__(self, bf16_misreads: int, device: str = "cpu"):
        self.device = torch.device(device)
        self.bf16_misreads = bf16_misreads
        self.precision = "auto"
        self.calls: list[str] = []

    def use_precision(self, precision: str) -> None:
        self.precision = precision

    def generate(self, batch):
        self.calls.append(self.precision)
        wrong = self.bf16_misreads if self.precision == "bf16" else 0
        return None, ["x" if i < wrong else p.label for i, p in enumerate(batch)]


def never_called(k):
    raise AssertionError("no calibration expected")


@pytest.mark.parametrize("asked", ["fp32", "bf16"])
def test_an_asked_precision_is_kept_without_measuring(asked, monkeypatch):
    monkeypatch.setattr(P, "native_bf16", lambda device: True)
    synth = FakeSynth(100)
    choice = P.choose_precision(synth, asked, 10_000, never_called)
    assert choice.precision == synth.precision == asked and synth.calls == []
    assert choice.record()["judge_read_fp32"] is None


def test_auto_keeps_fp32_where_bf16_would_be_emulated(monkeypatch):
    monkeypatch.setattr(P, "native_bf16", lambda device: False)
    synth = FakeSynth(0)
    choice = P.choose_precision(synth, "auto", 10_000, never_called)
    assert choice.precision == synth.precision == "fp32" and "no native bf16" in choice.why


def test_auto_on_cuda_is_bf16_without_measuring():
    synth = FakeSynth(100, device="cuda")  # never runs a kernel: the fake only has a device
    assert P.choose_precision(synth, "auto", 10_000, never_called).precision == "bf16"


def test_a_run_smaller_than_the_calibration_set_stays_fp32(monkeypatch):
    monkeypatch.setattr(P, "native_bf16", lambda device: True)
    choice = P.choose_precision(FakeSynth(0), "auto", P.CALIBRATION_SAMPLES, never_called)
    assert choice.precision == "fp32" and f"{P.CALIBRATION_SAMPLES} samples" in choice.why


@pytest.mark.parametrize(("misreads", "expected"), [(0, "bf16"), (2, "bf16"), (3, "fp32"), (40, "fp32")])
def test_auto_keeps_bf16_only_within_half_a_point_of_fp32(misreads, expected, monkeypatch):
    # 512 samples: 2 misreads are 0.39 points (kept), 3 are 0.59 points (refused)
    monkeypatch.setattr(P, "native_bf16", lambda device: True)
    synth = FakeSynth(misreads)
    choice = P.choose_precision(synth, "auto", 10_000, plans)
    assert choice.precision == synth.precision == expected
    assert synth.calls == ["fp32", "bf16"]
    assert choice.read_fp32 == 1.0 and choice.read_bf16 == round(1 - misreads / P.CALIBRATION_SAMPLES, 4)
    assert choice.record()["calibration_samples"] == P.CALIBRATION_SAMPLES
    assert ("within" if expected == "bf16" else "more than") in choice.why


@pytest.mark.parametrize("began", ["fp32", "bf16"])
def test_a_resumed_run_goes_on_in_the_precision_it_began_in_without_measuring(began, monkeypatch):
    monkeypatch.setattr(P, "native_bf16", lambda device: began == "fp32")  # the other choice, were it measured
    synth = FakeSynth(100)
    choice = P.choose_precision(synth, "auto", 10_000, never_called, resumed=began)
    assert choice.precision == synth.precision == began and "resumed" in choice.why
    assert P.choose_precision(FakeSynth(0), "fp32", 10_000, never_called, resumed="bf16").precision == "fp32"
