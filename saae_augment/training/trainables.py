"""What every run trains, whatever its task: G and D (and a task's extra networks, such as the
line reader), their Adam optimizers, their DDP views, and the EMA of G; and the one way a
resumed run gets them back from its checkpoint.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from saae_augment.config import Recipe
from saae_augment.core.checkpoint import load_optimizer, load_weights
from saae_augment.distributed import World

# One kernel per optimizer step instead of a dozen small ops per parameter tensor (the same
# Adam): on 2 CPU cores 1-2% of a digits step; not for MPS, where fused Adam is not in every torch.
FUSED_ADAM = ("cpu", "cuda")


@dataclass
class Extra:
    """A task's extra trained network (the line reader): its optimizer, DDP view and display name."""

    module: nn.Module
    optimizer: torch.optim.Optimizer
    step_view: nn.Module
    label: str


@dataclass
class Trainables:
    """The run's networks and optimizers. `G_step`/`D_step` are what the steps call (DDP-wrapped
    when distributed); `G_out` is what grids, monitors and synthesis use (the EMA when kept)."""

    G: nn.Module
    D: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    G_step: nn.Module
    D_step: nn.Module
    G_ema: nn.Module | None
    extras: dict[str, Extra] = field(default_factory=dict)

    @property
    def G_out(self) -> nn.Module:
        """The generator that draws: the averaged weights where the recipe keeps an EMA."""
        return self.G_ema if self.G_ema is not None else self.G

    def networks(self, judge: nn.Module | None) -> dict[str, nn.Module | None]:
        """What the checkpoint's `state` holds, in its order."""
        extra = {name: e.module for name, e in self.extras.items()}
        return {"generator": self.G, "discriminator": self.D, **extra, "judge": judge, "generator_ema": self.G_ema}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """What the checkpoint's `optim` holds."""
        extra = {name: e.optimizer for name, e in self.extras.items()}
        return {"generator": self.opt_g, "discriminator": self.opt_d, **extra}

    def restore(self, payload: Mapping[str, Any]) -> tuple[int, float]:
        """Weights and optimizer states from a checkpoint (each checked); (step, elapsed seconds)."""
        state = payload["state"]
        load_weights(self.G, state["generator"], "generator")
        if self.G_ema is not None:  # a run that kept no EMA before starts it from G
            load_weights(self.G_ema, state.get("generator_ema", state["generator"]), "generator")
        load_weights(self.D, state["discriminator"], "discriminator")
        for name, e in self.extras.items():
            load_weights(e.module, state[name], e.label)
        for name, opt in self.optimizers().items():
            load_optimizer(opt, payload["optim"][name], name)
        return int(payload["step"]), float(payload.get("elapsed_s", 0.0))

    def train_mode(self) -> None:
        """Every trained network in training mode (BatchNorm batch statistics, dropout)."""
        for m in (self.G, self.D, *(e.module for e in self.extras.values())):
            m.train()


def build_trainables(
    G: nn.Module,
    D: nn.Module,
    recipe: Recipe,
    dev: torch.device,
    world: World,
    extras: Mapping[str, tuple[nn.Module, float, str]] | None = None,
) -> Trainables:
    """Optimizers, DDP views and EMA for networks already built (so their initial weights come
    from the task's seeded construction). `extras`: name → (module, learning rate, label)."""
    r = recipe
    if r.train.channels_last and dev.type != "mps":  # G and D only: the reader's LSTM wants contiguous input
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    betas = (r.optim.beta1, r.optim.beta2)
    adam = functools.partial(torch.optim.Adam, fused=True) if dev.type in FUSED_ADAM else torch.optim.Adam
    opt_g = adam(G.parameters(), lr=r.optim.lr_g, betas=betas)
    opt_d = adam(D.parameters(), lr=r.optim.lr_d, betas=betas)
    G_step, D_step = world.wrap(G, dev, r.train.sync_bn), world.wrap(D, dev, r.train.sync_bn)
    wrapped = {
        name: Extra(m, adam(m.parameters(), lr=lr), world.wrap(m, dev, r.train.sync_bn), label)
        for name, (m, lr, label) in (extras or {}).items()
    }
    # EMA of the generator's weights: what synthesis, grids and monitors use when the recipe asks
    # (averaging over the last few hundred steps smooths away the GAN's step-to-step swings).
    G_ema = copy.deepcopy(G).eval().requires_grad_(False) if r.train.ema > 0 else None
    return Trainables(G, D, opt_g, opt_d, G_step, D_step, G_ema, wrapped)
