"""The layouts OCR people keep labeled images in, each read into one list of raw samples.

A reader only lists samples (where, which label, how to get the pixels) and reports listing
problems (bad lines, missing files, paths escaping the folder); decoding, conversion and
checks happen once, in `load.py`, for every format alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from saae_augment.data.ccpd import looks_like_ccpd, read_ccpd
from saae_augment.data.idx import IDX_NAME, read_idx
from saae_augment.data.labelfiles import CSV_NAME, TXT_NAME, LabelEntry, read_labels_csv, read_labels_txt
from saae_augment.data.lmdbset import read_lmdb
from saae_augment.data.report import LoadReport, Problem
from saae_augment.data.samples import IMAGE_SUFFIXES, RawSample, leaves_dataset
from saae_augment.errors import DatasetError
from saae_augment.outfolder import is_control_file

FORMATS = ("digits", "csv", "txt", "folders", "idx", "lmdb", "ccpd", "images")
FORMAT_HELP = (
    "digits (embedded), csv (folder with labels.csv), txt (folder with labels.txt, or a PaddleOCR "
    "path<TAB>label file), folders (one sub-folder per class), idx (MNIST/EMNIST idx files), lmdb, "
    "ccpd (CCPD plate photos, labels in file names), images (a folder of unlabeled images, for style pools)"
)


Reader = Callable[[Path, LoadReport], list[RawSample]]


# --- embedded -------------------------------------------------------------------------------


def read_digits(_: Path, report: LoadReport) -> list[RawSample]:
    """scikit-learn's 1,797 bundled 8×8 digits (17 grey levels, ink high): offline, always there."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)
    report.listed += len(images)
    return [
        RawSample(f"digits#{i}", str(int(t)), (lambda a=img: a))
        for i, (img, t) in enumerate(zip(images, bunch.target, strict=True))
    ]


# --- label files ----------------------------------------------------------------------------


def _resolve_inside(root: Path, entry: LabelEntry, report: LoadReport) -> Path | None:
    """The entry's file, or None after reporting why it cannot be used.

    Paths are relative to the label file's folder and must stay inside it: an absolute path, a
    `../` path or a symlink pointing out could read any file on the machine.
    """
    raw = entry.path.strip()
    if not raw:
        report.problems.append(Problem("bad-line", entry.where, "empty path"))
        return None
    if "\0" in raw:
        report.problems.append(Problem("bad-line", entry.where, f"path {raw!r} holds a NUL byte"))
        return None
    p = Path(raw)
    if p.is_absolute() or re.match(r"^[A-Za-z]:[\\/]", raw):
        report.problems.append(
            Problem("outside-dataset", entry.where, f"absolute path {raw!r}; paths must be relative to {root}")
        )
        return None
    full = root / p
    try:
        inside = full.resolve().is_relative_to(root.resolve())
    except OSError:
        inside = False
    if not inside:
        report.problems.append(
            Problem("outside-dataset", entry.where, f"path {raw!r} leads outside the data set folder {root}")
        )
        return None
    if not full.is_file():
        report.problems.append(Problem("missing-file", entry.where, f"{raw} does not exist"))
        return None
    return full


def _from_entries(
    root: Path, entries: list[LabelEntry], problems: list[Problem], report: LoadReport
) -> list[RawSample]:
    report.problems.extend(problems)
    report.listed += len(problems)
    samples = []
    for e in entries:
        report.listed += 1
        path = _resolve_inside(root, e, report)
        if path is not None:
            samples.append(RawSample(e.path.strip(), e.label, (lambda p=path: p)))
    return samples


def read_csv_folder(path: Path, report: LoadReport) -> list[RawSample]:
    """Samples listed in a folder's labels.csv (or that file itself), paths kept inside the set."""
    file = path if path.is_file() else path / CSV_NAME
    if not file.is_file():
        raise DatasetError(f"{path} has no {CSV_NAME}")
    return _from_entries(file.parent, *read_labels_csv(file), report)


def read_txt_folder(path: Path, report: LoadReport) -> list[RawSample]:
    """Samples listed in a folder's labels.txt (path TAB label), paths kept inside the set."""
    file = path if path.is_file() else path / TXT_NAME
    if not file.is_file():
        raise DatasetError(f"{path} has no {TXT_NAME}")
    return _from_entries(file.parent, *read_labels_txt(file), report)


# --- class folders --------------------------------------------------------------------------


def _images_under(root: Path, folder: Path, label: str, report: LoadReport) -> list[RawSample]:
    """Every image file below `folder`, labelled `label`; other files are listed as ignored."""
    samples = []
    for f in sorted(p for p in folder.rglob("*") if p.is_file() and not is_control_file(p.name)):
        rel = f.relative_to(root).as_posix()
        if f.suffix.lower() not in IMAGE_SUFFIXES:
            report.ignored_files.append(rel)
            continue
        if leaves_dataset(root, f, rel, report):
            continue
        report.listed += 1
        samples.append(RawSample(rel, label, (lambda p=f: p)))
    return samples


def read_class_folders(path: Path, report: LoadReport) -> list[RawSample]:
    """torchvision's ImageFolder layout: the sub-folder's name is the label."""
    if not path.is_dir():
        raise DatasetError(f"{path} is not a folder")
    samples = []
    for item in sorted(path.iterdir()):
        if not item.is_dir():
            if not is_control_file(item.name):  # our lock and ledger are not data
                report.ignored_files.append(item.name)
            continue
        samples.extend(_images_under(path, item, item.name, report))
    return samples


def read_image_folder(path: Path, report: LoadReport) -> list[RawSample]:
    """Every image under a folder, without labels: a style pool needs no labels."""
    if not path.is_dir():
        raise DatasetError(f"{path} is not a folder")
    return _images_under(path, path, "", report)


READERS: dict[str, Reader] = {
    "digits": read_digits,
    "csv": read_csv_folder,
    "txt": read_txt_folder,
    "folders": read_class_folders,
    "idx": read_idx,
    "lmdb": read_lmdb,
    "ccpd": read_ccpd,
    "images": read_image_folder,
}


def detect_format(path: Path, labels_required: bool = True) -> str:
    """Which reader a folder or file needs; labels files win over the layout of the images."""
    if path.is_file():
        if path.name == CSV_NAME or path.suffix.lower() == ".csv":
            return "csv"
        if path.name.endswith(".mdb"):
            return "lmdb"
        if IDX_NAME.search(path.name):
            return "idx"
        if path.suffix.lower() == ".txt":
            return "txt"
        raise DatasetError(f"cannot tell the format of file {path}; use FORMAT:PATH with one of {FORMAT_HELP}")
    if (path / CSV_NAME).is_file():
        return "csv"
    if (path / TXT_NAME).is_file():
        return "txt"
    if (path / "data.mdb").is_file():
        return "lmdb"
    children = list(path.iterdir())
    if any(IDX_NAME.search(c.name) for c in children):
        return "idx"
    if looks_like_ccpd(path):
        return "ccpd"
    if any(c.is_dir() for c in children):
        return "folders"
    if any(c.suffix.lower() in IMAGE_SUFFIXES for c in children):
        if not labels_required:
            return "images"
        raise DatasetError(
            f"{path} holds images but no labels: add {CSV_NAME} (path,label) or {TXT_NAME} "
            "(path<TAB>label), or put each class in its own sub-folder"
        )
    raise DatasetError(f"{path} holds no data set this tool can read ({FORMAT_HELP})")


def absolute_spec(spec: str | Path) -> str:
    """The spec with an absolute path, as a checkpoint records it: a relative one would resolve
    against whatever folder a later command runs in, and silently read other data there."""
    text = str(spec)
    if text == "digits":
        return text
    fmt, sep, rest = text.partition(":")
    if sep and fmt in READERS:
        return fmt if fmt == "digits" else f"{fmt}:{Path(rest).expanduser().resolve()}"
    return str(Path(text).expanduser().resolve())


def is_relative_spec(spec: str) -> bool:
    """True for a path spec that is not absolute (older checkpoints recorded the user's words)."""
    if spec == "digits":
        return False
    fmt, sep, rest = spec.partition(":")
    path = rest if sep and fmt in READERS else spec
    return fmt != "digits" and not Path(path).expanduser().is_absolute()


def parse_spec(spec: str | Path, labels_required: bool = True) -> tuple[str, Path]:
    """`digits`, a path (format detected), or `FORMAT:PATH` (format forced)."""
    text = str(spec)
    if text == "digits":
        return "digits", Path("digits")
    if "\0" in text:
        raise DatasetError(f"data set {text!r} holds a NUL byte; give a folder or FORMAT:PATH")
    fmt, sep, rest = text.partition(":")
    if sep and fmt in READERS:
        path = Path(rest).expanduser()
        if fmt != "digits" and not path.exists():
            raise DatasetError(f"data set {rest} does not exist")
        return fmt, path
    path = Path(text).expanduser()
    if not path.exists():
        raise DatasetError(f"data set {text} does not exist; give `digits`, a folder, or FORMAT:PATH ({FORMAT_HELP})")
    return detect_format(path, labels_required), path
