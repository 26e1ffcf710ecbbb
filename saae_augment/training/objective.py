"""Each task's loss, as an object that owns the math of named phases (the way StyleGAN2-ADA's
`Loss` does), while the session only draws the batch and the runner only counts steps.

Characters: `reconstruction` (step 1), then `adversarial` (steps 2 and 3 on one generator pass).
Lines add `reader` between them: the recognition head learns to read *real* lines with CTC, and
step 3 adds a CTC term that the frozen head must read each generated line as its requested text
(ScrabbleGAN's split of the (k+1)-class discriminator into a reader and a real/fake critic).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch

from saae_augment.config import Recipe
from saae_augment.model.crnn import ctc_loss, encode
from saae_augment.seeding import torch_generator
from saae_augment.training.diffaug import diff_augment
from saae_augment.training.steps import Batch, adversarial_steps, reconstruction_step
from saae_augment.training.trainables import Trainables


@dataclass
class LineBatch(Batch):
    """A line step's batch: the tensors of `Batch`, and the texts the reader is taught and asked."""

    real_texts: list[str] | None = None  # the real lines' labels
    cross_texts: list[str] | None = None  # the texts G is asked to write


class Objective:
    """The character SAAE's loss over the run's networks (G and D as the steps call them:
    DDP-wrapped when distributed)."""

    phases: tuple[str, ...] = ("reconstruction", "adversarial")

    def __init__(self, nets: Trainables, recipe: Recipe, autocast: AbstractContextManager, d_rows: Mapping[str, int]):
        self.G, self.D, self.opt_g, self.opt_d = nets.G_step, nets.D_step, nets.opt_g, nets.opt_d
        self.recipe, self.autocast, self.d_rows = recipe, autocast, dict(d_rows)

    def run(self, batch: Batch, step: int) -> dict[str, float]:
        """Every phase in order on one batch; the logged losses of all of them."""
        losses: dict[str, float] = {}
        for phase in self.phases:
            losses.update(getattr(self, phase)(batch, step))
        return losses

    def reconstruction(self, batch: Batch, step: int) -> dict[str, float]:
        """Step 1: G(glyph(y), x) must rebuild x."""
        return reconstruction_step(self.G, self.opt_g, batch, self.recipe.loss, self.autocast)

    def adversarial(self, batch: Batch, step: int) -> dict[str, float]:
        """Steps 2 and 3: D learns real vs G(glyph(y'), x); G learns to be read as y'."""
        loss = self.recipe.loss
        return adversarial_steps(
            self.G, self.D, self.opt_g, self.opt_d, batch, loss, self.autocast, self.d_view(step), self.content(batch)
        )

    def d_view(self, step: int) -> Callable[[torch.Tensor], torch.Tensor]:
        """What D sees of a batch: DiffAugment seeded by the step, or the images as they are."""
        t = self.recipe.train
        if t.d_augment <= 0:
            return lambda x: x
        return functools.partial(
            diff_augment, generator=torch_generator(t.seed, "d-augment", step), strength=t.d_augment, **self.d_rows
        )

    def content(self, batch: Batch) -> Callable[[torch.Tensor], torch.Tensor] | None:
        """An extra step-3 term on the generated batch; characters need none (D's k classes judge content)."""
        return None


class LineObjective(Objective):
    """The line SAAE's loss: the character phases plus the recognition head R."""

    phases = ("reconstruction", "reader", "adversarial")

    def __init__(
        self,
        nets: Trainables,
        charset: str,
        recipe: Recipe,
        autocast: AbstractContextManager,
        d_rows: Mapping[str, int],
    ):
        super().__init__(nets, recipe, autocast, d_rows)
        reader = nets.extras["recognizer"]  # R_step: DDP-wrapped when distributed; R: itself
        self.R, self.R_step, self.opt_r = reader.module, reader.step_view, reader.optimizer
        self.index = {c: i for i, c in enumerate(charset)}

    def reader(self, batch: LineBatch, step: int) -> dict[str, float]:
        """R learns to read real lines, and only real ones (as in ScrabbleGAN)."""
        targets, lengths = encode(batch.real_texts or [], self.index, batch.real.device)
        with self.autocast:
            scores = self.R_step(batch.real)
        r_loss = ctc_loss(scores, targets, lengths)
        self.opt_r.zero_grad(set_to_none=True)
        r_loss.backward()
        self.opt_r.step()
        return {"r_ctc": r_loss.item()}

    def adversarial(self, batch: Batch, step: int) -> dict[str, float]:
        """Steps 2 and 3, with R frozen: G's reading loss flows through it without training it."""
        self.R.requires_grad_(False)
        try:
            return super().adversarial(batch, step)
        finally:
            self.R.requires_grad_(True)

    def content(self, batch: LineBatch) -> Callable[[torch.Tensor], torch.Tensor]:
        """CTC of the unwrapped, frozen R reading each generated line as its requested text."""
        targets, lengths = encode(batch.cross_texts or [], self.index, batch.real.device)
        w_ctc = self.recipe.loss.w_ctc
        return lambda fake: w_ctc * ctc_loss(self.R(fake), targets, lengths)
