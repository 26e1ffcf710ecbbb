"""The size a run works at when the recipe names none: the data's own.

A recipe without `data.size` trains at its data set's dominant size (the most common width ×
height, the larger on a tie), each side rounded up to a multiple of `SIDE_MULTIPLE` and at least
`MIN_WORK_SIDE`: 28×28 handwriting stays 28×28 (before, a recipe's fixed 16×16 silently shrank
it), 32×32 crops stay 32×32, and the embedded 8×8 digits work at 16×16 as they always have. The
networks need no more: the character models keep full resolution, the line generator halves a
side twice. A resize is never silent: `size_note` says in one line what was brought to what.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from saae_augment.data.images import fit
from saae_augment.data.load import LabeledImages, load_dataset

SIDE_MULTIPLE = 4  # the line generator's two stride-2 levels halve each side twice
MIN_WORK_SIDE = 16  # below this a 3×3 network sees little more than a blob (the embedded 8×8 digits)


def dominant_size(sizes: Mapping[tuple[int, int], int]) -> tuple[int, int]:
    """(H, W) of the most common image size in a load report's `sizes` ((W, H) → count)."""
    if not sizes:
        raise ValueError("no image sizes to choose from")
    (w, h), _ = max(sizes.items(), key=lambda item: (item[1], item[0][0] * item[0][1]))
    return h, w


def working_size(sizes: Mapping[tuple[int, int], int]) -> tuple[int, int]:
    """The size to work at for data of these sizes: the dominant one, rounded as above."""
    h, w = dominant_size(sizes)
    return _round_side(h), _round_side(w)


def _round_side(side: int) -> int:
    return max(MIN_WORK_SIDE, -(-side // SIDE_MULTIPLE) * SIDE_MULTIPLE)


def size_note(what: str, sizes: Mapping[tuple[int, int], int], target: tuple[int, int], why: str) -> str | None:
    """One line saying which images of `what` are brought to `target` (H, W), or None when none is."""
    counts = Counter({(h, w): n for (w, h), n in sizes.items()})
    other = {s: n for s, n in counts.items() if s != tuple(target)}
    if not other:
        return None
    total, moved = sum(counts.values()), sum(other.values())
    h, w = dominant_size(sizes)
    shown = f"{h}×{w}" if len(counts) == 1 else f"mostly {h}×{w}, {len(counts)} sizes"
    share = "all" if moved == total else f"{moved:,} of {total:,}"
    return f"{what}: {share} images ({shown}) brought to {target[0]}×{target[1]} ({why})"


def load_sized(
    spec: str | Path,
    size: tuple[int, int] | None,
    mode: str,
    charset: str | None,
    what: str,
    why: str = "the recipe's data.size",
) -> tuple[LabeledImages, tuple[int, int], str | None]:
    """`spec` loaded at `size`, or at its own working size when `size` is None; with the size
    used and the one-line note on what was resized (None when nothing was; `why` says where a
    given size came from). Without a size the
    images are held at their own size until the size is known: fine for character crops, which
    is why the line recipes (camera-sized plates) name theirs."""
    if size is not None:
        data = load_dataset(spec, size=size, mode=mode, charset=charset)
        target = (int(size[0]), int(size[1]))
    else:
        data = load_dataset(spec, size=None, mode=mode, charset=charset)
        target, why = working_size(data.report.sizes), "its own size, rounded for the networks"
        data.images = [fit(im, target) for im in data.images]
    return data, target, size_note(what, data.report.sizes, target, why)
