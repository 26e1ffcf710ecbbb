"""The layouts OCR people keep labeled images in, each read into one list of raw samples.

A reader only lists samples (where, which label, how to get the pixels) and reports listing
problems (bad lines, missing files, paths escaping the folder); decoding, conversion and
checks happen once, in `load.py`, for every format alike.
"""

from __future__ import annotations

import gzip
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from saae_augment.data.images import ImageProblem, open_image
from saae_augment.data.labelfiles import CSV_NAME, TXT_NAME, LabelEntry, read_labels_csv, read_labels_txt
from saae_augment.data.report import LoadReport, Problem
from saae_augment.errors import DatasetError
from saae_augment.outfolder import is_control_file

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp", ".pgm", ".ppm", ".pbm", ".pnm"}
FORMATS = ("digits", "csv", "txt", "folders", "idx", "lmdb", "ccpd", "images")
FORMAT_HELP = (
    "digits (embedded), csv (folder with labels.csv), txt (folder with labels.txt, or a PaddleOCR "
    "path<TAB>label file), folders (one sub-folder per class), idx (MNIST/EMNIST idx files), lmdb, "
    "ccpd (CCPD plate photos, labels in file names), images (a folder of unlabeled images, for style pools)"
)


@dataclass(frozen=True)
class RawSample:
    """One listed sample: `read` returns a path or encoded bytes (decoded later) or a uint8 array."""

    source: str
    label: str
    read: Callable[[], Path | bytes | np.ndarray | Image.Image]


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
    file = path if path.is_file() else path / CSV_NAME
    if not file.is_file():
        raise DatasetError(f"{path} has no {CSV_NAME}")
    return _from_entries(file.parent, *read_labels_csv(file), report)


def read_txt_folder(path: Path, report: LoadReport) -> list[RawSample]:
    file = path if path.is_file() else path / TXT_NAME
    if not file.is_file():
        raise DatasetError(f"{path} has no {TXT_NAME}")
    return _from_entries(file.parent, *read_labels_txt(file), report)


# --- class folders --------------------------------------------------------------------------


def _leaves(root: Path, f: Path, rel: str, report: LoadReport) -> bool:
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


def _images_under(root: Path, folder: Path, label: str, report: LoadReport) -> list[RawSample]:
    """Every image file below `folder`, labelled `label`; other files are listed as ignored."""
    samples = []
    for f in sorted(p for p in folder.rglob("*") if p.is_file() and not is_control_file(p.name)):
        rel = f.relative_to(root).as_posix()
        if f.suffix.lower() not in IMAGE_SUFFIXES:
            report.ignored_files.append(rel)
            continue
        if _leaves(root, f, rel, report):
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


# --- MNIST / EMNIST idx ---------------------------------------------------------------------

_IDX_NAME = re.compile(r"idx[13]-ubyte(\.gz)?$")
# EMNIST label indices by split when no *-mapping.txt lies beside the files.
_EMNIST_MAPPINGS = {
    "byclass": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "bymerge": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt",
    "balanced": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt",
    "letters": "?ABCDEFGHIJKLMNOPQRSTUVWXYZ",  # labels 1..26
    "digits": "0123456789",
    "mnist": "0123456789",
}


def _read_idx(file: Path) -> np.ndarray:
    opener = gzip.open if file.suffix == ".gz" else open
    try:
        with opener(file, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:
        raise DatasetError(f"{file} cannot be read ({exc}); is it a complete idx file?") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DatasetError(f"{file} is not an unsigned-byte idx file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{file} is truncated (header incomplete)")
    dims = struct.unpack(f">{ndim}i", data[4:header])
    need = int(np.prod(dims))
    if len(data) - header < need:
        raise DatasetError(f"{file} is truncated: {len(data) - header} of {need} bytes of data")
    return np.frombuffer(data, dtype=np.uint8, count=need, offset=header).reshape(dims)


def _emnist_mapping(images_file: Path) -> str | None:
    name = images_file.name
    if not name.startswith("emnist-"):
        return None
    split = name.split("-")[1]
    mapping_file = images_file.parent / f"emnist-{split}-mapping.txt"
    if mapping_file.is_file():
        pairs = [line.split() for line in mapping_file.read_text().splitlines() if line.strip()]
        top = max(int(k) for k, _ in pairs)
        chars = ["?"] * (top + 1)
        for k, code in pairs:
            chars[int(k)] = chr(int(code))
        return "".join(chars)
    if split not in _EMNIST_MAPPINGS:
        raise DatasetError(f"unknown EMNIST split {split!r} in {name}; put emnist-{split}-mapping.txt beside it")
    return _EMNIST_MAPPINGS[split]


def _idx_pairs(path: Path) -> list[tuple[Path, Path]]:
    if path.is_file():
        images = [path]
    else:
        images = sorted(p for p in path.iterdir() if _IDX_NAME.search(p.name) and "idx3" in p.name)
    pairs = []
    for img in images:
        lab = img.with_name(img.name.replace("images-idx3", "labels-idx1"))
        if lab == img or not lab.is_file():
            raise DatasetError(f"no labels file for {img.name}: expected {lab.name} beside it")
        pairs.append((img, lab))
    if not pairs:
        raise DatasetError(f"{path} holds no *-images-idx3-ubyte[.gz] files")
    return pairs


def read_idx(path: Path, report: LoadReport) -> list[RawSample]:
    """MNIST-style idx pairs (`X-images-idx3-ubyte[.gz]` + `X-labels-idx1-ubyte[.gz]`).

    A folder loads every pair in it (train, then t10k, by name); point at one images file to
    load one split. EMNIST files are stored transposed and are turned upright here.
    """
    samples = []
    for img_file, lab_file in _idx_pairs(path):
        images, labels = _read_idx(img_file), _read_idx(lab_file)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DatasetError(f"{img_file.name} ({images.shape}) and {lab_file.name} ({labels.shape}) do not match")
        mapping = _emnist_mapping(img_file)
        if mapping is not None:
            images = images.transpose(0, 2, 1)
        for i, (im, lab) in enumerate(zip(images, labels, strict=True)):
            report.listed += 1
            name = f"{img_file.name}#{i}"
            if mapping is not None and (lab >= len(mapping) or mapping[lab] == "?"):
                report.problems.append(
                    Problem("bad-line", name, f"label index {lab} has no character in the EMNIST mapping")
                )
                continue
            label = mapping[lab] if mapping is not None else str(int(lab))
            samples.append(RawSample(name, label, (lambda a=im: a)))
    return samples


# --- LMDB -----------------------------------------------------------------------------------


def read_lmdb(path: Path, report: LoadReport) -> list[RawSample]:
    """deep-text-recognition-benchmark layout: `num-samples`, `image-%09d`, `label-%09d` (1-based)."""
    try:
        import lmdb
    except ImportError:
        raise DatasetError("reading LMDB needs the optional extra: pip install 'saae-augment[lmdb]'") from None
    folder = path.parent if path.is_file() else path
    try:
        env = lmdb.open(str(folder), readonly=True, lock=False, readahead=False, meminit=False, subdir=True)
    except lmdb.Error as exc:
        raise DatasetError(f"{folder} is not a readable LMDB ({exc})") from None
    samples = []
    with env.begin() as txn:
        raw_n = txn.get(b"num-samples")
        if raw_n is None:
            raise DatasetError(
                f"LMDB {folder} has no `num-samples` key (not the deep-text-recognition-benchmark layout)"
            )
        try:
            n = int(raw_n.decode())
        except ValueError:
            raise DatasetError(f"LMDB {folder}: `num-samples` is {raw_n[:40]!r}, not a number") from None
        entries = txn.stat()["entries"]  # a sample takes two (image, label): more samples than entries cannot be
        if not 0 <= n <= entries:
            raise DatasetError(
                f"LMDB {folder} declares num-samples = {n:,} but holds only {entries:,} entries; "
                "it is damaged or not written by an OCR tool: rebuild it"
            )
        for i in range(1, n + 1):
            report.listed += 1
            key = f"image-{i:09d}"
            image = txn.get(key.encode())
            label = txn.get(f"label-{i:09d}".encode())
            if image is None or label is None:
                report.problems.append(Problem("missing-file", key, "image or label key missing from the LMDB"))
                continue
            try:
                text = label.decode("utf-8")
            except UnicodeDecodeError:
                report.problems.append(Problem("bad-line", key, "label is not UTF-8"))
                continue
            samples.append(RawSample(key, text, (lambda b=bytes(image): b)))
    env.close()
    return samples


# --- CCPD ---------------------------------------------------------------------------------

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
        if _leaves(path, f, rel, report):
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


def _looks_like_ccpd(path: Path, probe: int = 200) -> bool:
    names = []
    for f in path.rglob("*"):
        if f.suffix.lower() in IMAGE_SUFFIXES:
            names.append(f.stem)
            if len(names) >= probe:
                break
    return bool(names) and sum(_CCPD_NAME.match(n) is not None for n in names) * 2 >= len(names)


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
        if _IDX_NAME.search(path.name):
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
    if any(_IDX_NAME.search(c.name) for c in children):
        return "idx"
    if _looks_like_ccpd(path):
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
