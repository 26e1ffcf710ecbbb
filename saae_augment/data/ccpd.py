"""CCPD plate photos: the plate string and box decoded from each file name, the photo cropped."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from saae_augment.data.images import ImageProblem, open_image
from saae_augment.data.report import LoadReport, Problem
from saae_augment.data.samples import IMAGE_SUFFIXES, RawSample, leaves_dataset
from saae_augment.errors import DatasetError

# The index tables of the CCPD data set (Xu et al., ECCV 2018), as its README gives them; "O" is
# its placeholder for "no character".
CCPD_PROVINCES = "皖沪津渝冀晋蒙辽吉黑苏浙京闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新警学O"
CCPD_ALPHABETS = "ABCDEFGHJKLMNPQRSTUVWXYZO"
CCPD_ADS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789O"
# area-tilt-x1&y1_x2&y2-four corners-plate indices-brightness-blurriness
_CCPD_NAME = re.compile(r"^\d+-\d+_\d+-(\d+)&(\d+)_(\d+)&(\d+)-[\d&_]+-(\d+(?:_\d+)+)-\d+-\d+$")


def decode_ccpd_name(stem: str) -> tuple[str, tuple[int, int, int, int]] | None:
    """(plate string, box x1, y1, x2, y2) from a CCPD file name (without suffix), or None."""
    m = _CCPD_NAME.match(stem)
    if m is None:
        return None
    box = tuple(int(v) for v in m.groups()[:4])
    idx = [int(v) for v in m.group(5).split("_")]
    tables = [CCPD_PROVINCES, CCPD_ALPHABETS] + [CCPD_ADS] * (len(idx) - 2)
    if any(i >= len(t) for i, t in zip(idx, tables, strict=True)):
        raise ValueError(f"plate index out of range in {stem}")
    plate = "".join(t[i] for i, t in zip(idx, tables, strict=True))
    if "O" in plate:
        raise ValueError(f"placeholder character in plate of {stem}")
    return plate, box  # type: ignore[return-value]


def _crop(path: Path, box: tuple[int, int, int, int]) -> Image.Image:
    img = open_image(path)
    x1, y1, x2, y2 = box
    x1, y1, x2, y2 = max(0, x1), max(0, y1), min(img.width, x2), min(img.height, y2)
    if x2 - x1 < 2 or y2 - y1 < 2:
        raise ImageProblem("unreadable-image", f"plate box {box} lies outside the {img.width}x{img.height} image")
    return img.crop((x1, y1, x2, y2))


def read_ccpd(path: Path, report: LoadReport) -> list[RawSample]:
    """CCPD photos (any folder depth): the plate string and box are decoded from each file name,
    and each sample is the photo cropped to its plate box. Names that are not CCPD plate names
    (such as ccpd_np's plate-less photos) are listed as ignored files."""
    if not path.is_dir():
        raise DatasetError(f"{path} is not a folder")
    samples = []
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = f.relative_to(path).as_posix()
        if f.suffix.lower() not in IMAGE_SUFFIXES:
            report.ignored_files.append(rel)
            continue
        if leaves_dataset(path, f, rel, report):
            continue
        try:
            decoded = decode_ccpd_name(f.stem)
        except ValueError as exc:
            report.listed += 1
            report.problems.append(Problem("bad-line", rel, str(exc)))
            continue
        if decoded is None:
            report.ignored_files.append(rel)
            continue
        report.listed += 1
        plate, box = decoded
        samples.append(RawSample(rel, plate, (lambda p=f, b=box: _crop(p, b))))
    return samples


def looks_like_ccpd(path: Path, probe: int = 200) -> bool:
    """Whether a folder's image names follow CCPD's scheme, so it can be read without a labels file."""
    names = []
    for f in path.rglob("*"):
        if f.suffix.lower() in IMAGE_SUFFIXES:
            names.append(f.stem)
            if len(names) >= probe:
                break
    return bool(names) and sum(_CCPD_NAME.match(n) is not None for n in names) * 2 >= len(names)
