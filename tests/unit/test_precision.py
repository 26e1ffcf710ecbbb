"""Which precision a run computes in (core/device.py) and where the supervised fits honour it
(core/fit.py): `auto` asks for bf16 only where the hardware computes it, never where it is
emulated and slower than fp32."""

from __future__ import annotations

import pytest
import torch

from saae_augment.core.device import autocast_for, native_bf16, uses_bf16
from saae_augment.core.fit import fit

CPU = torch.device("cpu")


def _cpu_with(monkeypatch: pytest.MonkeyPatch, amx: bool, avx512_bf16: bool) -> None:
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16, raising=False)


@pytest.mark.parametrize(("amx", "avx512_bf16"), [(True, False), (False, True), (True, True)])
def test_auto_is_bf16_on_a_cpu_that_computes_bf16(monkeypatch, amx, avx512_bf16):
    _cpu_with(monkeypatch, amx, avx512_bf16)
    assert native_bf16(CPU)
    assert uses_bf16(CPU, "auto", cpu_auto=True)  # the readers' fits opt in
    assert not uses_bf16(CPU, "auto")  # a line run's adversarial steps keep fp32 on a CPU
    with autocast_for(CPU, "auto"):
        assert not torch.is_autocast_enabled("cpu")
    with autocast_for(CPU, "auto", cpu_auto=True):
        assert torch.get_autocast_dtype("cpu") == torch.bfloat16 and torch.is_autocast_enabled("cpu")


def test_auto_is_fp32_on_a_cpu_without_bf16_and_asked_precisions_are_kept(monkeypatch):
    _cpu_with(monkeypatch, False, False)
    assert not native_bf16(CPU) and not uses_bf16(CPU, "auto", cpu_auto=True)
    with autocast_for(CPU, "auto", cpu_auto=True):
        assert not torch.is_autocast_enabled("cpu")
    assert uses_bf16(CPU, "bf16") and uses_bf16(CPU, "bf16", cpu_auto=False)
    _cpu_with(monkeypatch, True, True)
    assert not uses_bf16(CPU, "fp32")
    with autocast_for(CPU, "fp32"):
        assert not torch.is_autocast_enabled("cpu")


def test_a_torch_without_the_cpu_probes_counts_as_no_bf16(monkeypatch):
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported", raising=False)
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported", raising=False)
    assert not native_bf16(CPU)


@pytest.mark.parametrize(("precision", "dtype"), [("bf16", torch.bfloat16), ("fp32", torch.float32)])
def test_fit_computes_the_forward_in_the_asked_precision_and_keeps_fp32_weights(precision, dtype):
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.ConstantLR(opt, factor=1.0)
    x, y = torch.randn(64, 8), torch.randn(64, 1)
    seen: list[torch.dtype] = []

    def losses():
        for _ in range(20):
            out = model(x)
            seen.append(out.dtype)
            yield ((out.float() - y) ** 2).mean()

    first = ((model(x) - y) ** 2).mean().item()
    assert fit(opt, sched, losses(), autocast=autocast_for(CPU, precision)) == 20
    assert seen == [dtype] * 20
    assert model.weight.dtype == torch.float32 and not torch.is_autocast_enabled("cpu")
    assert ((model(x) - y) ** 2).mean().item() < first  # it still learns
