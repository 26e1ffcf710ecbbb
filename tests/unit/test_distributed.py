"""The pieces that make N processes compute what one process computes (distributed.py).

The full torchrun runs live in tests/integration/test_distributed.py; these check the arithmetic
(global BatchNorm, row splits of random draws) directly and fast.
"""

from __future__ import annotations

import gc
import weakref

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from saae_augment.data.datasets import LabeledTensors
from saae_augment.distributed import GlobalBatchNorm2d, World, global_batch_norm, joined
from saae_augment.errors import UsageError
from saae_augment.seeding import torch_generator
from saae_augment.synthesis.run import synthesize
from saae_augment.training.diffaug import diff_augment
from saae_augment.training.loop import train
from saae_augment.training.sampler import CharSampler


def test_the_global_batch_splits_into_equal_contiguous_shares():
    assert [World(r, 4).batch_rows(16) for r in range(4)] == [slice(0, 4), slice(4, 8), slice(8, 12), slice(12, 16)]
    assert World().batch_rows(16) == slice(0, 16)
    with pytest.raises(UsageError, match="batch_size 10 does not split evenly over 4 processes"):
        World(1, 4).batch_rows(10)


def test_a_sampler_split_by_rank_gives_the_rows_of_the_single_process_batch():
    g = torch.Generator().manual_seed(0)
    train = LabeledTensors(torch.rand(40, 1, 8, 8, generator=g), torch.arange(40) % 4, [f"{i}.png" for i in range(40)])
    banks = torch.rand(3, 4, 1, 8, 8, generator=g)  # 3 fonts: the font draw and the warp are exercised

    def batch(rows: slice):
        sampler = CharSampler(train, 4, 8, seed=5, style_source="augmented", warp=1.0, rows=rows)
        return sampler.batch(step=7, banks=banks, device=torch.device("cpu"))

    whole = batch(slice(None))
    parts = [batch(World(r, 2).batch_rows(8)) for r in range(2)]
    for name in ("real", "targets", "glyph_own", "style_rec", "glyph_cross", "cross_targets"):
        joined = torch.cat([getattr(p, name) for p in parts])
        assert torch.allclose(joined, getattr(whole, name), atol=1e-6), name


def test_diff_augment_on_a_ranks_rows_equals_those_rows_of_the_whole_batch():
    x = torch.rand(16, 1, 12, 12, generator=torch.Generator().manual_seed(1))  # cat([real, fake]), 8 + 8
    whole = diff_augment(x, torch_generator(3, "d"), 1.0)
    for rank in range(2):
        rows = World(rank, 2).diffaug_rows(8)
        part = diff_augment(x[rows["rows"]], torch_generator(3, "d"), 1.0, **rows)
        assert torch.allclose(part, whole[rows["rows"]], atol=1e-6)


def test_global_batch_norm_keeps_the_parameters_an_optimizer_already_holds():
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    global_batch_norm(net)
    assert isinstance(net[1], GlobalBatchNorm2d)
    assert {id(p) for group in opt.param_groups for p in group["params"]} == {id(p) for p in net.parameters()}
    assert set(net.state_dict()) == {
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    }  # loads into a plain model


def _two_rank_batch_norm(rank: int, init: str, x: torch.Tensor, out: dict) -> None:
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=2)
    try:
        bn = GlobalBatchNorm2d(3)
        with torch.no_grad():
            bn.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
            bn.bias.copy_(torch.tensor([0.0, -1.0, 1.0]))
        mine = x[rank * 4 : (rank + 1) * 4].clone().requires_grad_(True)
        y = bn(mine)
        # the loss of the whole batch, split: each rank's share of the mean
        (y * torch.arange(1.0, 4.0)[None, :, None, None]).pow(2).mean().div(2).backward()
        grads = {"x": mine.grad, "weight": bn.weight.grad.clone(), "bias": bn.bias.grad.clone()}
        for name in ("weight", "bias"):
            dist.all_reduce(grads[name])
        out[rank] = {"y": y.detach(), **grads, "running_var": bn.running_var.clone()}
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_global_batch_norm_over_two_processes_equals_batch_norm_over_the_whole_batch(tmp_path):
    x = torch.randn(8, 3, 5, 5, generator=torch.Generator().manual_seed(0)) * 3 + 1
    with mp.Manager() as manager:
        out = manager.dict()
        mp.spawn(_two_rank_batch_norm, args=(f"file://{tmp_path / 'pg'}", x, out), nprocs=2)
        ranks = [out[0], out[1]]
    ref_bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        ref_bn.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        ref_bn.bias.copy_(torch.tensor([0.0, -1.0, 1.0]))
    xr = x.clone().requires_grad_(True)
    y = ref_bn(xr)
    (y * torch.arange(1.0, 4.0)[None, :, None, None]).pow(2).mean().backward()
    assert torch.allclose(torch.cat([r["y"] for r in ranks]), y.detach(), atol=1e-5)
    assert torch.allclose(torch.cat([r["x"] for r in ranks]), xr.grad, atol=1e-5)
    assert torch.allclose(ranks[0]["weight"], ref_bn.weight.grad, atol=1e-5)
    assert torch.allclose(ranks[0]["bias"], ref_bn.bias.grad, atol=1e-5)
    assert torch.allclose(ranks[0]["running_var"], ref_bn.running_var, atol=1e-5)


def test_synth_under_torchrun_refuses_shard_and_lmdb(monkeypatch, tmp_path):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(UsageError, match="--shard and torchrun both split"):
        synthesize(tmp_path / "run", 10, tmp_path / "out", shard=(0, 2))
    with pytest.raises(UsageError, match="lmdb"):
        synthesize(tmp_path / "run", 10, tmp_path / "out", fmt="lmdb")


def test_a_broken_torchrun_environment_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "2")
    with pytest.raises(UsageError, match="RANK=2 WORLD_SIZE=2 is not a valid torchrun world"):
        World.from_env()


def test_world_size_without_torchrun_is_one_clear_error(monkeypatch, tmp_path):
    for key in ("MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(UsageError, match="WORLD_SIZE=2 is set but MASTER_ADDR and MASTER_PORT not"):
        train(None, "smoke", [], tmp_path / "run", device="cpu")


class _Held:
    """Stands in for a dropped DDP wrapper caught in a reference cycle (its reducer holds the group)."""

    def __init__(self, events: list[str]) -> None:
        self.me = self
        weakref.finalize(self, events.append, "wrapper collected")


def _fake_group(monkeypatch) -> list[str]:
    events: list[str] = []
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "29500")
    monkeypatch.setattr(dist, "is_initialized", lambda: False)
    monkeypatch.setattr(dist, "init_process_group", lambda **kw: events.append("joined"))
    monkeypatch.setattr(dist, "barrier", lambda: events.append("barrier"))
    monkeypatch.setattr(dist, "destroy_process_group", lambda: events.append("destroyed"))
    return events


def test_a_finished_command_frees_what_held_the_group_then_leaves_it_with_every_rank(monkeypatch):
    events = _fake_group(monkeypatch)
    gc.disable()  # only the leaving may collect the cycle, as at a process's quiet end
    try:
        with joined(World(rank=1, size=2), torch.device("cpu")):
            _Held(events)
    finally:
        gc.enable()
    assert events == ["joined", "wrapper collected", "barrier", "destroyed"]


def test_a_failed_command_leaves_the_group_without_waiting_for_ranks_that_may_never_come(monkeypatch):
    events = _fake_group(monkeypatch)
    with pytest.raises(RuntimeError, match="disk full"):
        with joined(World(rank=0, size=2), torch.device("cpu")):
            raise RuntimeError("disk full")
    assert events == ["joined", "destroyed"]
