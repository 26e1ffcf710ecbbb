"""MNIST / EMNIST idx files: image and label pairs, EMNIST turned upright and mapped to characters."""

from __future__ import annotations

import gzip
import re
import struct
from pathlib import Path

import numpy as np

from saae_augment.data.report import LoadReport, Problem
from saae_augment.data.samples import RawSample
from saae_augment.errors import DatasetError

IDX_NAME = re.compile(r"idx[13]-ubyte(\.gz)?$")
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
        images = sorted(p for p in path.iterdir() if IDX_NAME.search(p.name) and "idx3" in p.name)
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
