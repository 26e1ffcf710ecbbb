"""Where the real lines' text sits: the placing generator's starting layout.

A content line is rendered to fill its frame; a real crop holds its text inside margins (a
plate's rim and the car around it, a word's padding). A placing generator that starts at the
identity spends its first steps reconstructing full-frame text against text that sits
elsewhere, and the pixel loss blurs what it writes before the placement has moved (seen in
the grids of `generator: layered` at 100 steps, and in one seed of three for `unet`). So the
start is measured instead: each real line is compared with its own label's rendering under a
grid of placements, by the correlation of their edge maps, and the median of the best
placements is where every line starts. Cheap (a few hundred lines, one pass), no labels
beyond the texts the run already has, and the same for every seed.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F

from saae_augment.model.placed import SHRINK, affine, place

GROWS = torch.linspace(0, SHRINK, 7)  # the text at 1, 1/1.1, …, 1/1.6 of the frame on each axis
SHIFTS = torch.linspace(-1, 1, 5)  # where in the room that leaves
MAX_LINES = 48
CHUNK = 49  # placements tried at once (memory: lines × CHUNK frames)
SCALE = 2  # compared at half size: 4× faster, and text edges survive it


def _edges(x: torch.Tensor) -> torch.Tensor:
    """Unit-norm, zero-mean edge strength of each line's luminance (B×D)."""
    lum = x.float().mean(1, keepdim=True)
    e = (lum[..., :-1, 1:] - lum[..., :-1, :-1]).abs() + (lum[..., 1:, :-1] - lum[..., :-1, :-1]).abs()
    e = e.flatten(1)
    e = e - e.mean(1, keepdim=True)
    return e / e.norm(dim=1, keepdim=True).clamp_min(1e-6)


def candidates() -> torch.Tensor:
    """Every placement tried, N×4: grow x, grow y, shift x, shift y."""
    return torch.tensor(list(itertools.product(GROWS.tolist(), GROWS.tolist(), SHIFTS.tolist(), SHIFTS.tolist())))


def estimate_layout(real: torch.Tensor, content: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(grow, shift), two values each, for `affine`: the median over lines of the placement of
    each line's rendered label (`content`, same order as `real`) that best lines up with it."""
    real, content = real[:MAX_LINES].float(), content[:MAX_LINES].float()
    b, c, h, w = content.shape
    small = [b, c, max(4, h // SCALE), max(4, w // SCALE)]
    target = _edges(F.interpolate(real, size=small[-2:], mode="area"))  # B×D
    cands = candidates()
    scores = []
    for chunk in cands.split(CHUNK):
        n = chunk.shape[0]
        theta = affine(chunk[:, :2], chunk[:, 2:], torch.zeros(n, 2))  # n×2×3
        theta = theta.repeat(b, 1, 1)  # line-major: (line 0, every placement), (line 1, …)
        placed = place(content.repeat_interleave(n, 0), theta, small[-2:])
        e = _edges(placed).view(b, n, -1)
        scores.append(torch.einsum("bnd,bd->bn", e, target))
    best = cands[torch.cat(scores, 1).argmax(1)]  # B×4
    middle = best.median(0).values
    return middle[:2].clone(), middle[2:].clone()


def describe_layout(grow: torch.Tensor, shift: torch.Tensor) -> str:
    """The layout in words, for the run's status line."""
    w, h = (100 / (1 + float(g)) for g in grow)
    # a positive shift samples the content further right or down: the text moves left or up
    where = {1: "left", 0: "centred", -1: "right"}[int(torch.sign(shift[0]))]
    height = {1: "high", 0: "middle", -1: "low"}[int(torch.sign(shift[1]))]
    return f"text {w:.0f}% of the width and {h:.0f}% of the height, {where}, {height}"
