"""Which device a run uses, and the autocast context its precision asks for."""

from __future__ import annotations

import contextlib

import torch

from saae_augment.errors import UsageError


def pick_device(name: str = "auto") -> torch.device:
    """`auto` prefers CUDA, then MPS, then CPU; an unknown or unavailable name is one clear error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name not in ("cpu", "cuda", "mps"):
        raise UsageError(f"device must be auto, cpu, cuda or mps, not {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for, but torch sees no CUDA GPU (use --device cpu or auto)")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UsageError("--device mps was asked for, but this torch has no MPS support (use --device cpu or auto)")
    return torch.device(name)


def native_bf16(device: torch.device) -> bool:
    """Whether `device` computes bf16 in hardware: CUDA, or a CPU with AMX tiles or AVX512-BF16.

    Elsewhere bf16 is emulated and slower than fp32, so `auto` must not ask for it there. On a
    2-core Xeon with AMX, bf16 autocast made a plates-cn training step 1.5x faster (1.14 s ->
    0.75 s at batch 32), a CRNN reader's step 1.4x (0.17 s -> 0.12 s at batch 64) and a step of
    its pretraining on rendered lines 1.6x (0.30 s -> 0.18 s, rendering included).
    """
    if device.type == "cuda":
        return True
    if device.type != "cpu":
        return False
    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")  # private: absent means no
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in probes)


def uses_bf16(device: torch.device, precision: str, cpu_auto: bool = False) -> bool:
    """`bf16` always; `auto` where the device computes bf16 natively, on a CPU only where the caller
    opts in with `cpu_auto` (a character run's steps and the line readers' fits do; a line run's
    adversarial steps keep fp32 there, and synthesis measures: synthesis/precision.py); `fp32` never."""
    if precision != "auto":
        return precision == "bf16"
    return native_bf16(device) and (cpu_auto or device.type != "cpu")


def computed_precision(device: torch.device, precision: str, cpu_auto: bool = False) -> str:
    """ "bf16" or "fp32": what `precision` computes in on `device` (uses_bf16), as summaries say it."""
    return "bf16" if uses_bf16(device, precision, cpu_auto) else "fp32"


def autocast_for(device: torch.device, precision: str, cpu_auto: bool = False) -> contextlib.AbstractContextManager:
    """bf16 autocast where `precision` asks for it (uses_bf16); otherwise plain fp32."""
    if not uses_bf16(device, precision, cpu_auto):
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def to_device(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Host → device copy of a batch: through pinned memory and without blocking on CUDA (the
    copy overlaps the previous step's kernels), a plain `.to` elsewhere."""
    if device.type != "cuda" or x.device.type != "cpu":
        return x.to(device)
    return x.pin_memory().to(device, non_blocking=True)
