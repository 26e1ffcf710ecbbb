"""Which precision a synthesis computes in when the user says `auto`: chosen by measurement.

bf16 halves the generator's time on a CPU with native bf16 (AMX or AVX512-BF16) and on CUDA,
but it rounds: a checkpoint whose samples bf16 makes harder to read must stay in fp32. So on a
CPU with native bf16, `auto` writes a fixed calibration set (the run's own first samples, from
its seed and content plan: never the shard's or the resume point's) in both precisions and keeps
bf16 only where the judge reads its samples at least as well as fp32's, less TOLERANCE. The
measurement depends on the checkpoint, the options and the machine alone, so every shard and
every resume of one run makes the same choice; the manifest records it with its figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from saae_augment.core.device import native_bf16
from saae_augment.synthesis.sampling import SamplePlan

CALIBRATION_SAMPLES = 512
TOLERANCE = 0.005  # half a point of the judge's read


@dataclass(frozen=True)
class PrecisionChoice:
    """The precision a run uses, why, and the judge's reads that decided it (where measured)."""

    precision: str
    why: str
    read_fp32: float | None = None
    read_bf16: float | None = None

    def record(self) -> dict:
        """The manifest's account of the choice."""
        return {
            "why": self.why,
            "calibration_samples": CALIBRATION_SAMPLES if self.read_fp32 is not None else None,
            "judge_read_fp32": self.read_fp32,
            "judge_read_bf16": self.read_bf16,
        }


class Calibratable(Protocol):
    """What a synthesizer offers the choice: its device, a precision switch and generate()."""

    device: torch.device

    def use_precision(self, precision: str) -> None:
        """Compute the generator in `precision` from now on."""

    def generate(self, plans: Sequence[SamplePlan]) -> tuple[object, list[str]]:
        """Images and the judge's read of each."""


def _read_rate(synth: Calibratable, plans: Sequence[SamplePlan], precision: str) -> float:
    synth.use_precision(precision)
    _, reads = synth.generate(plans)
    return sum(r == p.label for r, p in zip(reads, plans, strict=True)) / len(plans)


def choose_precision(
    synth: Calibratable,
    requested: str,
    n: int,
    calibration_plans: Callable[[int], list[SamplePlan]],
    resumed: str | None = None,
) -> PrecisionChoice:
    """`fp32`/`bf16` as asked; `auto`: the precision a resumed run began in (`resumed`), bf16 on
    CUDA, fp32 without native bf16, and on a CPU with it bf16 where the calibration set's read
    stays within TOLERANCE of fp32's. A run of at most CALIBRATION_SAMPLES samples stays fp32:
    measuring would cost more than bf16 saves."""
    if requested in ("fp32", "bf16"):
        choice = PrecisionChoice(requested, f"--precision {requested}")
    elif resumed in ("fp32", "bf16"):  # its rows so far were written so: never measured again
        choice = PrecisionChoice(resumed, f"auto: resumed in {resumed}, as the run began")
    elif synth.device.type == "cuda":
        choice = PrecisionChoice("bf16", "auto: CUDA computes bf16 natively")
    elif not native_bf16(synth.device):
        choice = PrecisionChoice("fp32", f"auto: this {synth.device.type} has no native bf16 (it would be emulated)")
    elif n <= CALIBRATION_SAMPLES:
        why = f"auto: fp32 for a run of {n} samples (measuring bf16 costs more than it saves)"
        choice = PrecisionChoice("fp32", why)
    else:
        plans = calibration_plans(CALIBRATION_SAMPLES)
        fp32, bf16 = _read_rate(synth, plans, "fp32"), _read_rate(synth, plans, "bf16")
        keep = bf16 >= fp32 - TOLERANCE
        verdict = "within" if keep else "more than"
        why = (
            f"auto: native bf16; on {len(plans)} calibration samples the judge reads {bf16:.2%} in bf16 against "
            f"{fp32:.2%} in fp32, {verdict} {TOLERANCE:.1%} below"
        )
        choice = PrecisionChoice("bf16" if keep else "fp32", why, round(fp32, 4), round(bf16, 4))
    synth.use_precision(choice.precision)
    return choice
