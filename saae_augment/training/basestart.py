"""Starting a character run from a base model (`train --init BASE`): the base's generator as it is,
its discriminator with the class outputs of the run's classes (and "fake") picked out, and its
first dense layer resampled to the run's image size.

The generator does not depend on the classes (it writes whatever glyph it is given), so it carries
over whole: what the base learned about shapes is what a user with a few images per class lacks.
The discriminator's last layer has one output per base class plus "fake"; the run keeps the rows of
its own classes, in its own order, so a digits run can start from an alphanumeric base.

Only that dense layer depends on the image size (the generator is convolutional, its style
vector pooled), so one base serves runs at any size: a 32×32 base starts a 28×28 or a 16×16 run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

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


def resample_first_dense(weight: torch.Tensor, base_size: Sequence[int], size: Sequence[int]) -> torch.Tensor:
    """The discriminator's first dense layer reads its feature map (channels × h/2 × w/2) flattened:
    each hidden unit's weights are an image per channel, resized like one (area-weighted when
    shrinking), then scaled and shifted so that a uniform feature map gives the same input."""
    (hb, wb), (h, w) = (base_size[0] // 2, base_size[1] // 2), (size[0] // 2, size[1] // 2)
    if (hb, wb) == (h, w):
        return weight
    hidden, flat = weight.shape
    grid = weight.float().reshape(hidden, flat // (hb * wb), hb, wb)
    resized = F.interpolate(grid, size=(h, w), mode="bilinear", align_corners=False, antialias=h < hb or w < wb)
    resized = resized * (hb * wb / (h * w))
    # interpolation keeps each map's sum only roughly: shift it to the exact sum
    resized += ((grid.sum((2, 3)) - resized.sum((2, 3))) / (h * w))[:, :, None, None]
    return resized.reshape(hidden, -1).to(weight.dtype)


def start_from_base(model: SAAE, base: dict[str, Any], classes: Sequence[str], size: Sequence[int], where: str) -> None:
    """Load the base's weights into a freshly built `model` for `classes` (checked against the
    base's) at the run's image `size`."""
    check_base_covers(base, classes, where)
    base_classes = CharSection.recorded(base)
    load_weights(model.generator, base["state"]["generator"], "generator")
    d_state = dict(base["state"]["discriminator"])
    first = "head.0.weight"
    d_state[first] = resample_first_dense(d_state[first], base["recipe"]["data"]["size"], size)
    last = max(int(k.split(".")[1]) for k in d_state if k.startswith("head."))
    head = [f"head.{last}.weight", f"head.{last}.bias"]
    if d_state[head[0]].shape[0] == len(base_classes) + 1:  # (k+1) classes, not binary: the run's rows, "fake"
        rows = torch.tensor([base_classes.index(c) for c in classes] + [len(base_classes)])
        for key in head:
            d_state[key] = d_state[key][rows]
    load_weights(model.discriminator, d_state, "discriminator")


def init_note(base: dict[str, Any], size: Sequence[int]) -> str:
    """What the run took from the base, for the one status line that says a run did not start from scratch."""
    (bh, bw), (h, w) = base["recipe"]["data"]["size"], size
    at = f"trained at {bh}×{bw}" + ("" if (bh, bw) == (h, w) else f", its discriminator resampled to {h}×{w}")
    return f"{len(base['classes'])} classes, {at}"
