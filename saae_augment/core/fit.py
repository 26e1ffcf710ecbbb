"""The one supervised-fit loop: the run's judges and eval-ocr's recognizers all train through it.

Each caller says what a step is (a generator that yields one loss per batch, drawing its batch
from its own seeded generator) and what happens after it (validation, best weights); the
optimizer bookkeeping lives here once, in one order, so every fit is reproducible the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

import torch


def fit(
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    losses: Iterable[torch.Tensor],
    after_step: Callable[[int], None] | None = None,
    autocast: contextlib.AbstractContextManager | None = None,
) -> int:
    """Step the optimizer on every loss `losses` yields; returns how many steps were taken.

    `losses` is lazy: each loss is computed when the loop asks for it, so a generator that stops
    early (a time budget) ends the fit, and `after_step(done)` sees the weights of step `done`.
    `autocast` (core/device.py: autocast_for) wraps each loss's computation, the forward pass,
    and not the backward pass or the optimizer, as torch recommends.
    """
    done = 0
    it = iter(losses)
    while True:
        with autocast or contextlib.nullcontext():
            loss = next(it, None)
        if loss is None:
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        done += 1
        if after_step is not None:
            after_step(done)
    return done
