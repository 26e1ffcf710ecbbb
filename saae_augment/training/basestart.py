"""Starting a character run from a base model (`train --init BASE`): the base's generator as it is,
its discriminator with the class outputs of the run's classes (and "fake") picked out.

The generator does not depend on the classes (it writes whatever glyph it is given), so it carries
over whole: what the base learned about shapes is what a user with a few images per class lacks.
The discriminator's last layer has one output per base class plus "fake"; the run keeps the rows of
its own classes, in its own order, so a digits run can start from an alphanumeric base.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from saae_augment.core.checkpoint import load_weights
from saae_augment.errors import UsageError
from saae_augment.model.saae import SAAE
from saae_augment.tasks.sections import CharSection


def check_base_covers(base: dict[str, Any], classes: Sequence[str], where: str) -> None:
    """A base can only start a run whose classes it has: one line naming the others."""
    base_classes = CharSection.recorded(base)
    missing = [c for c in classes if c not in base_classes]
    if missing:
        raise UsageError(
            f"--init {where}: the base model knows {''.join(base_classes)!r} but the data has "
            f"{''.join(missing)!r}; pretrain a base for a charset that covers them"
        )


def start_from_base(model: SAAE, base: dict[str, Any], classes: Sequence[str], where: str) -> None:
    """Load the base's weights into a freshly built `model` for `classes` (checked against the base's)."""
    check_base_covers(base, classes, where)
    base_classes = CharSection.recorded(base)
    load_weights(model.generator, base["state"]["generator"], "generator")
    d_state = dict(base["state"]["discriminator"])
    last = max(int(k.split(".")[1]) for k in d_state if k.startswith("head."))
    head = [f"head.{last}.weight", f"head.{last}.bias"]
    if d_state[head[0]].shape[0] == len(base_classes) + 1:  # (k+1) classes, not binary: the run's rows, "fake"
        rows = torch.tensor([base_classes.index(c) for c in classes] + [len(base_classes)])
        for key in head:
            d_state[key] = d_state[key][rows]
    load_weights(model.discriminator, d_state, "discriminator")
