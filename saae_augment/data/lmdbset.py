"""LMDB in the deep-text-recognition-benchmark layout, its declared size checked against its entries."""

from __future__ import annotations

from pathlib import Path

from saae_augment.data.report import LoadReport, Problem
from saae_augment.data.samples import RawSample
from saae_augment.errors import DatasetError


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
