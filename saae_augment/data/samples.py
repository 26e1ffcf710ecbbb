"""What every format reader hands to `load.py`: raw samples, which files count as images, and the
one rule that keeps a data set inside its folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from saae_augment.data.report import LoadReport, Problem

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp", ".pgm", ".ppm", ".pbm", ".pnm"}


@dataclass(frozen=True)
class RawSample:
    """One listed sample: `read` returns a path or encoded bytes (decoded later) or a uint8 array."""

    source: str
    label: str
    read: Callable[[], Path | bytes | np.ndarray | Image.Image]


def leaves_dataset(root: Path, f: Path, rel: str, report: LoadReport) -> bool:
    """True (and reported) when `f` is a symlink, or lies under one, that leads out of `root`:
    a data set must not read whatever file on the machine a link points at."""
    try:
        inside = f.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        inside = False
    if not inside:
        report.listed += 1
        report.problems.append(Problem("outside-dataset", rel, "a symlink leading outside the data set folder"))
    return not inside
