"""`load_dataset(spec)`: the one way every command reads labeled images.

Each sample is listed by its format's reader, then decoded, converted and checked here, the
same way for every format. A bad sample is skipped and named in the report (or, with
`strict=True`, stops the load at once); it is never dropped silently.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from saae_augment.data.formats import READERS, parse_spec
from saae_augment.data.images import DEFAULT_MAX_PIXELS, ImageProblem, check_size, fit, open_image, to_array
from saae_augment.data.report import LoadReport, Problem
from saae_augment.data.samples import RawSample
from saae_augment.errors import DatasetError, UsageError


@dataclass
class LabeledImages:
    """Images (uint8, H×W or H×W×3), their string labels, where each came from, and the report."""

    images: list[np.ndarray]
    labels: list[str]
    sources: list[str]
    report: LoadReport

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def classes(self) -> list[str]:
        """Distinct labels, sorted: the class order of every model trained on this set."""
        return sorted(set(self.labels))

    @property
    def charset(self) -> str:
        """Distinct characters over all labels, sorted."""
        return "".join(sorted(set("".join(self.labels))))

    def fingerprint(self) -> str:
        """sha256 of every label and image as loaded: a checkpoint records it so that resuming or
        drawing styles from data that changed since training is noticed, not done silently."""
        h = hashlib.sha256()
        for label, image in zip(self.labels, self.images, strict=True):
            h.update(label.encode("utf-8", "surrogatepass") + b"\0" + str(image.shape).encode())
            h.update(np.ascontiguousarray(image).tobytes())
        return h.hexdigest()

    def stack(self) -> np.ndarray:
        """All images as one N×H×W[×3] array; they must share a size (load with `size=`)."""
        shapes = {im.shape for im in self.images}
        if len(shapes) > 1:
            raise ValueError(f"images have {len(shapes)} different shapes; load with size=(H, W) to stack them")
        return np.stack(self.images)


def _check_label(label: str, charset: str | None, source: str, report: LoadReport) -> Problem | None:
    if not label.strip():
        return Problem("empty-label", source, "empty or blank label")
    controls = [c for c in dict.fromkeys(label) if unicodedata.category(c) == "Cc"]
    if controls:  # a line break would split labels.txt and every line-based label file we write
        return Problem("bad-label", source, f"label {label!r} holds control character(s) {''.join(controls)!r}")
    if charset is not None:
        outside = [c for c in dict.fromkeys(label) if c not in charset]
        if outside:
            report.outside_charset.update(outside)
            return Problem("outside-charset", source, f"label {label!r} has {''.join(outside)!r} outside the charset")
    return None


def _duplicate(raw: RawSample, first_label: dict[str, str]) -> Problem | None:
    """A file listed twice would silently count double (or, with two labels, teach both)."""
    if raw.source not in first_label:
        first_label[raw.source] = raw.label
        return None
    first = first_label[raw.source]
    if first == raw.label:
        return Problem("duplicate", raw.source, f"listed again with the same label {raw.label!r}; kept once")
    return Problem(
        "duplicate", raw.source, f"listed again with label {raw.label!r} after {first!r}; kept the first listing"
    )


def _decode(raw: RawSample, mode: str, max_pixels: int, report: LoadReport) -> np.ndarray:
    data = raw.read()
    if isinstance(data, np.ndarray):
        check_size(data.shape[1], data.shape[0])
        report.sizes[(data.shape[1], data.shape[0])] += 1
        report.modes["L" if data.ndim == 2 else "RGB"] += 1
        if mode == "RGB" and data.ndim == 2:
            return np.repeat(data[..., None], 3, axis=2)
        return data
    img = data if isinstance(data, Image.Image) else open_image(data, max_pixels)
    check_size(*img.size)
    report.sizes[img.size] += 1
    report.modes[img.mode] += 1
    arr, note = to_array(img, mode)
    if note:
        report.converted[note] += 1
    return arr


def load_dataset(
    spec: str | Path = "digits",
    size: tuple[int, int] | None = None,
    mode: str = "L",
    charset: str | None = None,
    strict: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    on_progress: Callable[[int, int], None] | None = None,
    labels_required: bool = True,
) -> LabeledImages:
    """Load a labeled data set from `spec` (see `formats.parse_spec`).

    `size=(H, W)` brings every image to that size by the policy in `images.py` (keep aspect,
    pad with the border colour); None keeps each image's own size. `charset` makes labels with
    other characters problems (counted per character in the report). `labels_required=False`
    (style pools) also reads a folder of unlabeled images and does not check labels.
    """
    if mode not in ("L", "RGB"):
        raise UsageError(f"mode must be L (grey) or RGB, not {mode!r}")
    fmt, path = parse_spec(spec, labels_required)
    if fmt == "images" and labels_required:
        raise DatasetError(f"{path}: a folder of unlabeled images cannot be used here; it needs labels")
    report = LoadReport(format=fmt, source=str(path))
    raws = READERS[fmt](path, report)
    if strict and report.problems:
        _fail_strict(report.problems[0])
    images, labels, sources = [], [], []
    first_label: dict[str, str] = {}  # source -> label of its first listing
    total = len(raws)
    for i, raw in enumerate(raws):
        problem = _duplicate(raw, first_label)
        if problem is None and labels_required:
            problem = _check_label(raw.label, charset, raw.source, report)
        if problem is None:
            try:
                arr = _decode(raw, mode, max_pixels, report)
            except ImageProblem as exc:
                problem = Problem(exc.kind, raw.source, exc.detail)
        if problem is not None:
            report.problems.append(problem)
            if strict:
                _fail_strict(problem)
        else:
            images.append(fit(arr, size) if size else arr)
            labels.append(raw.label)
            sources.append(raw.source)
        if on_progress and (i + 1 == total or (i + 1) % 256 == 0):
            on_progress(i + 1, total)
    if not labels:
        if report.listed == 0:
            raise DatasetError(f"data set {path} is empty: no samples are listed in it")
        worst = report.problem_counts().most_common(1)[0]
        raise DatasetError(
            f"no usable samples in {path}: all {report.listed} were skipped "
            f"(most often: {worst[0]}, {worst[1]}x; first: {report.problems[0]})"
        )
    return LabeledImages(images, labels, sources, report)


def list_labels(spec: str | Path) -> list[str]:
    """The labels a data set lists, without decoding a single image (to choose settings first)."""
    fmt, path = parse_spec(spec)
    return [raw.label for raw in READERS[fmt](path, LoadReport(format=fmt, source=str(path)))]


def _fail_strict(problem: Problem) -> None:
    raise DatasetError(f"{problem} [{problem.kind}] (strict mode stops at the first bad sample)")
