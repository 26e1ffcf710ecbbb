"""Several processes, one run: what `torchrun` gives us and how training and synthesis use it.

`torchrun --nproc-per-node N -m saae_augment train ...` starts N copies of the command with
RANK/WORLD_SIZE/LOCAL_RANK set; `World.from_env()` reads them. Without torchrun (or with one
process) the world is a single rank and every method here is the identity, so single-process
runs are exactly what they were.

Training splits each step's *global* batch by rank: every rank draws the same random indices
from (seed, step) as a single process would and keeps its own rows. Together with BatchNorm
statistics taken over the global batch (`GlobalBatchNorm2d`) and DDP's gradient averaging, the
ranks compute the step one process computes on the whole batch, so the recipe's batch size and
learning rates mean the same at any world size, and a run resumes at another world size.
We do not use torch's `DistributedSampler`: it deals out epochs, while a training step here
draws its batch (with replacement) from (seed, step); the row split above is its equivalent.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from saae_augment.errors import UsageError

# A rank waits this long for the others at a collective (rank 0 trains the judge alone before the
# first step; shards of a large synthesis finish minutes apart). Override in minutes.
TIMEOUT_ENV = "SAAE_DIST_TIMEOUT_MIN"
DEFAULT_TIMEOUT_MIN = 180.0

M = TypeVar("M", bound=nn.Module)


@dataclass(frozen=True)
class World:
    """This process's place in a torchrun job (or a world of one), and the collectives training needs."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> World:
        """The world torchrun describes (RANK, WORLD_SIZE, LOCAL_RANK), or a single process."""
        try:
            size = int(os.environ.get("WORLD_SIZE", "1"))
            rank = int(os.environ.get("RANK", "0"))
            local = int(os.environ.get("LOCAL_RANK", str(rank)))
        except ValueError as exc:
            raise UsageError(f"RANK/WORLD_SIZE/LOCAL_RANK must be integers ({exc}); launch with torchrun") from None
        if size < 1 or not 0 <= rank < size:
            raise UsageError(f"RANK={rank} WORLD_SIZE={size} is not a valid torchrun world")
        return cls(rank, size, local)

    @property
    def distributed(self) -> bool:
        """True under torchrun with more than one process."""
        return self.size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes logs, grids, checkpoints and merged outputs."""
        return self.rank == 0

    # --- splitting work --------------------------------------------------------------------
    def batch_rows(self, global_batch: int) -> slice:
        """This rank's rows of a global batch (contiguous, equal shares)."""
        if global_batch % self.size:
            raise UsageError(
                f"train.batch_size {global_batch} does not split evenly over {self.size} processes; "
                f"use a multiple of {self.size} (it is the global batch: each process takes batch_size / processes)"
            )
        per = global_batch // self.size
        return slice(self.rank * per, (self.rank + 1) * per)

    def diffaug_rows(self, global_batch: int) -> dict[str, Any]:
        """diff_augment's `rows`/`batch` for what D sees, `cat([real, fake])`: this rank's rows of
        the global 2 × global_batch (nothing when alone)."""
        if not self.distributed:
            return {}
        rows = self.batch_rows(global_batch)
        local = torch.arange(rows.start, rows.stop)
        return {"rows": torch.cat([local, local + global_batch]), "batch": 2 * global_batch}

    # --- agreeing ----------------------------------------------------------------------------
    def any(self, *flags: bool) -> tuple[bool, ...]:
        """Each flag, true if it is true on any rank (stop requests, time budgets)."""
        if not self.distributed:
            return tuple(flags)
        t = torch.tensor([float(f) for f in flags], device=_collective_device())
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return tuple(bool(v) for v in t.tolist())

    def mean(self, values: dict[str, float]) -> dict[str, float]:
        """Losses averaged over ranks (a NaN on any rank makes the mean NaN on all of them)."""
        if not self.distributed or not values:
            return values
        t = torch.tensor(list(values.values()), dtype=torch.float64, device=_collective_device())
        dist.all_reduce(t)
        return {k: v / self.size for k, v in zip(values, t.tolist(), strict=True)}

    def broadcast(self, obj: Any) -> Any:
        """Rank 0's value of `obj` on every rank (e.g. a run folder named after the clock)."""
        if not self.distributed:
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        """Wait for every rank (a no-op alone), e.g. before rank 0 merges shards."""
        if self.distributed:
            dist.barrier()

    # --- models --------------------------------------------------------------------------------
    def wrap(self, module: nn.Module, device: torch.device, sync_bn: bool = True) -> nn.Module:
        """The module DDP trains (BatchNorms made global first, unless `sync_bn` is off); the
        module itself when alone.

        Keep using the unwrapped module for evaluation, EMA and checkpoints: its state_dict keys
        are the single-process ones, so checkpoints load anywhere.
        """
        if not self.distributed:
            return module
        if sync_bn:
            global_batch_norm(module)
        ids = [device.index] if device.type == "cuda" else None
        # No per-forward buffer sync: with global statistics the BatchNorm buffers are equal on every
        # rank; without, each rank keeps its own running statistics and rank 0's are saved.
        params = inspect.signature(nn.parallel.DistributedDataParallel).parameters
        no_sync = {"forward_sync_buffers": False} if "forward_sync_buffers" in params else {"broadcast_buffers": False}
        return nn.parallel.DistributedDataParallel(module, device_ids=ids, **no_sync)

    def describe(self, global_batch: int, sync_bn: bool = True) -> dict[str, Any]:
        """What a manifest records about the job: world size, global and per-rank batch, BatchNorm mode."""
        return {
            "world_size": self.size,
            "backend": dist.get_backend() if self.distributed else None,
            "global_batch": global_batch,
            "batch_per_process": global_batch // self.size,
            "batch_norm": "global" if sync_bn or not self.distributed else "per-process",
        }


def unwrap(module: nn.Module) -> nn.Module:
    """The module inside a DDP wrapper, for checkpoints and EMA."""
    return module.module if isinstance(module, nn.parallel.DistributedDataParallel) else module


def _collective_device() -> torch.device:
    """NCCL reduces CUDA tensors only; gloo reduces CPU tensors."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _timeout() -> timedelta:
    raw = os.environ.get(TIMEOUT_ENV, str(DEFAULT_TIMEOUT_MIN))
    try:
        minutes = float(raw)
    except ValueError:
        raise UsageError(f"{TIMEOUT_ENV}={raw!r} is not a number of minutes") from None
    return timedelta(minutes=minutes)


def rank_device(device: torch.device, world: World) -> torch.device:
    """Under torchrun each process on a node takes its own GPU (LOCAL_RANK)."""
    if device.type != "cuda" or not world.distributed:
        return device
    if world.local_rank >= torch.cuda.device_count():
        raise UsageError(
            f"LOCAL_RANK {world.local_rank} but this node has {torch.cuda.device_count()} GPU(s); "
            "start at most one process per GPU (--nproc-per-node)"
        )
    torch.cuda.set_device(world.local_rank)
    return torch.device("cuda", world.local_rank)


@contextlib.contextmanager
def joined(world: World, device: torch.device, backend: str | None = None) -> Iterator[World]:
    """The process group for the duration of a command (nccl on CUDA, gloo otherwise); nothing alone.

    A group the caller already started (their own script) is used as it is and left open.
    """
    if not world.distributed or dist.is_initialized():
        yield world
        return
    if not dist.is_available():
        raise UsageError("this torch build has no torch.distributed; run one process")
    missing = [k for k in ("MASTER_ADDR", "MASTER_PORT") if not os.environ.get(k)]
    if missing:
        raise UsageError(
            f"WORLD_SIZE={world.size} is set but {' and '.join(missing)} not: start several processes with "
            "torchrun (torchrun --nproc-per-node N -m saae_augment ...), or unset WORLD_SIZE for one process"
        )
    chosen = backend or ("nccl" if device.type == "cuda" else "gloo")
    dist.init_process_group(backend=chosen, timeout=_timeout())
    finished = False
    try:
        yield world
        finished = True
    finally:
        _leave(finished)


def _leave(finished: bool) -> None:
    """Tear the group down while Python is whole, and together when the command finished.

    `destroy_process_group` only forgets the group: a DDP wrapper the command dropped but that
    sits in a reference cycle keeps it (its reducer holds the group) until the interpreter's
    last collection, and a gloo group torn down then aborted a rank ("terminate called without
    an active exception", seen once in CI: rank 1 had left while rank 0 still wrote the run's
    end). So collect first, and let every rank leave at once; after an error no barrier, since
    the other ranks may never reach it.
    """
    gc.collect()
    if finished:
        dist.barrier()
    dist.destroy_process_group()


# --- BatchNorm over the global batch ------------------------------------------------------------


class GlobalBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm whose training statistics are those of the global batch, on any backend.

    torch's SyncBatchNorm refuses CPU tensors, and gloo on CPU is how CI (and anyone without
    GPUs) runs DDP; with per-rank statistics, N processes would not compute what one process
    computes. One all-reduce of (count, Σx, Σx²) per call keeps it exact; the autograd-aware
    all-reduce carries the statistics' gradient across ranks. In eval mode, or
    alone, it is a plain BatchNorm2d (same parameters and buffers, same state_dict keys).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """BatchNorm over the global batch, so every world size trains the single-process run."""
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        xf = x.float()
        channels = xf.shape[1]
        # one all-reduce: each rank's count, Σx and Σx², rebuilt in float64 from its own stable
        # fp32 mean and variance (so the global variance does not lose digits to cancellation)
        var_l, mean_l = torch.var_mean(xf, dim=(0, 2, 3), unbiased=False)
        n_l = float(xf.numel() // channels)
        mean64 = mean_l.double()
        local = torch.cat([mean64 * n_l, (var_l.double() + mean64 * mean64) * n_l, mean64.new_full((1,), n_l)])
        total = _AllReduceSum.apply(local)
        n = total[-1]
        mean = total[:channels] / n
        var = (total[channels : 2 * channels] / n - mean * mean).clamp_min(0.0)
        mean, var = mean.float(), var.float()
        y = (xf - mean[None, :, None, None]) * torch.rsqrt(var + self.eps)[None, :, None, None]
        if self.affine:
            y = y * self.weight[None, :, None, None] + self.bias[None, :, None, None]
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                factor = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                unbiased = var.detach() * (n / (n - 1.0).clamp_min(1.0)).float()  # tensors: no GPU sync
                self.running_mean.lerp_(mean.detach(), factor)
                self.running_var.lerp_(unbiased, factor)
        return y.type_as(x)


class _AllReduceSum(torch.autograd.Function):
    """Sum over ranks, with the gradient summed over ranks too (each rank's loss depends on every
    rank's statistics)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:  # noqa: ARG004
        y = x.clone()
        dist.all_reduce(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:  # noqa: ARG004
        g = grad.contiguous().clone()
        dist.all_reduce(g)
        return g


def global_batch_norm(module: M) -> M:
    """Make every BatchNorm2d of `module` a GlobalBatchNorm2d, in place.

    The layers keep their very Parameter and buffer objects (only the class changes; the subclass
    adds no state), so optimizers built before the conversion still update them.
    """
    for child in module.modules():
        if type(child) is nn.BatchNorm2d:
            child.__class__ = GlobalBatchNorm2d
    return module
