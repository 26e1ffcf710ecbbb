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


def autocast_for(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """bf16 autocast where asked for (or `auto` on CUDA); otherwise plain fp32."""
    use_bf16 = precision == "bf16" or (precision == "auto" and device.type == "cuda")
    if not use_bf16:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def to_device(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Host → device copy of a batch: through pinned memory and without blocking on CUDA (the
    copy overlaps the previous step's kernels), a plain `.to` elsewhere."""
    if device.type != "cuda" or x.device.type != "cpu":
        return x.to(device)
    return x.pin_memory().to(device, non_blocking=True)
