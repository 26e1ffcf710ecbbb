"""`merge_shards()`: join the shards of one synthesis into exactly what one unsharded run writes.

Shard folders may come from other machines or other people, so nothing in them is trusted:
every row must name `images/<i // 10000>/<i>.png` for the very index i it stands for, every
image must be a regular file inside its shard (no symlink anywhere on the way), the two label
files and the manifest must agree, and the shards must share their settings. The merged folder
is claimed like any output (outfolder.py): never written over unless `overwrite`.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from saae_augment.atomicio import temporary_name, write_text_atomic
from saae_augment.core.textmetrics import edit_distance
from saae_augment.errors import UsageError
from saae_augment.manifest import write_manifest
from saae_augment.outfolder import Ledger, claim_output
from saae_augment.synthesis.writers import image_relpath
from saae_augment.tasks import task_of_manifest

MERGED_ENTRIES = ["labels.csv", "labels.txt", "manifest.json", "images"]
SHARD_FILES = ["labels-*-of-*.csv", "labels-*-of-*.txt", "manifest-*-of-*.json"]


def shard_range(n: int, shard: tuple[int, int] | None) -> tuple[int, int]:
    """The contiguous global indices [lo, hi) shard i of k writes."""
    if shard is None:
        return 0, n
    i, k = shard
    return i * n // k, (i + 1) * n // k


def judged(labels_csv: Path) -> tuple[int, int, int, int]:
    """(rows, rows whose judge reading equals the label, edit distance summed, label characters)
    of a synthesis label file: content accuracy, and for lines the character error rate."""
    total = correct = errors = chars = 0
    with labels_csv.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            total += 1
            correct += row["judge"] == row["label"]
            errors += edit_distance(row["judge"], row["label"])
            chars += len(row["label"])
    return total, correct, errors, chars


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _shard_of(data: dict[str, Any], path: Path) -> tuple[int, int, int]:
    """(i, n, total samples) from a shard manifest, or one line saying it is not one."""
    try:
        i, n = (int(x) for x in data["settings"]["shard"])
        total = int(data["settings"]["n"])
        samples = int(data["samples"])
    except (KeyError, TypeError, ValueError):
        raise UsageError(f"{path} is not a shard manifest of saae-augment synth (no shard, n or samples)") from None
    if not (0 <= i < n and total >= 1):
        raise UsageError(f"{path} names shard {i}/{n} of {total} samples, which cannot be")
    lo, hi = shard_range(total, (i, n))
    if samples != hi - lo:
        raise UsageError(f"{path} says {samples} samples, but shard {i}/{n} of {total} holds {hi - lo}")
    return i, n, total


def _regular_inside(folder: Path, rel: str) -> Path:
    """`folder/rel` if every step below `folder` is a real folder and the image a regular file."""
    here = folder
    parts = rel.split("/")
    for k, part in enumerate(parts):
        here = here / part
        try:
            mode = os.lstat(here).st_mode
        except FileNotFoundError:
            raise UsageError(f"{here} is missing: shard {folder} lists it in its labels; rerun that shard") from None
        last = k == len(parts) - 1
        if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) if last else stat.S_ISDIR(mode)):
            kind = "a symlink" if stat.S_ISLNK(mode) else "not a regular file" if last else "not a folder"
            raise UsageError(f"{here} is {kind}; a shard's images must be plain files inside it, refused")
    return here


def _shard_rows(folder: Path, suffix: str, lo: int, hi: int) -> tuple[list[str], list[str], list[str]]:
    """(csv lines without header, txt lines, image paths) of one shard, checked row by row."""
    csv_path, txt_path = folder / f"labels{suffix}.csv", folder / f"labels{suffix}.txt"
    try:
        csv_text = csv_path.read_text(encoding="utf-8")
        txt_lines = txt_path.read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError as exc:
        raise UsageError(f"{exc.filename} is missing: the shard is incomplete; rerun it with --resume") from None
    except UnicodeDecodeError:
        raise UsageError(f"the label files of shard {folder}{suffix} are not UTF-8 text; rerun that shard") from None
    csv_lines = csv_text.splitlines(keepends=True)
    try:
        rows = list(csv.DictReader(csv_lines))
    except csv.Error as exc:
        raise UsageError(f"{csv_path} is not valid CSV ({exc}); rerun that shard") from None
    expected = hi - lo
    if not (len(rows) == len(txt_lines) == expected == len(csv_lines) - 1):
        raise UsageError(
            f"shard {folder}{suffix} disagrees with itself: its manifest says {expected} samples, "
            f"labels{suffix}.csv holds {len(rows)} rows and labels{suffix}.txt {len(txt_lines)}; rerun that shard"
        )
    paths = []
    for k, (row, txt) in enumerate(zip(rows, txt_lines, strict=True)):
        want = image_relpath(lo + k)
        if row.get("path") != want:
            raise UsageError(
                f"{csv_path} row {k + 2} names {str(row.get('path'))[:80]!r}, not {want!r}: refused "
                "(a shard lists exactly its own images, in order)"
            )
        if txt != f"{want}\t{row.get('label')}\n":
            raise UsageError(f"{txt_path} line {k + 1} does not match row {k + 2} of {csv_path.name}; rerun that shard")
        _regular_inside(folder, want)
        paths.append(want)
    return csv_lines, txt_lines, paths


def _place(src: Path, dst: Path) -> None:
    """dst becomes src's content, whatever was there (a hard link where possible, else a copy)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(dst)
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp, follow_symlinks=False)
    os.replace(tmp, dst)


def _is_shard_ledger(ledger: Ledger) -> bool:
    return ledger.command == "synth" and ledger.suffix != ""


def merge_shards(
    shard_dirs: Sequence[str | Path], out: str | Path, of: int | None = None, overwrite: bool = False
) -> Path:
    """Join the shards of one synthesis into `out` (labels.csv, labels.txt, manifest.json).

    Every shard i/n must be present exactly once and complete, with the same settings; images
    from shard folders other than `out` are linked (or copied) into `out/images/`. Folders holding
    shards of different splits (say 2 and 3 shards) are refused unless `of` picks the split.
    `out` may be a shard folder; otherwise it must be empty or new, unless `overwrite`.
    """
    out = Path(out)
    dirs = [Path(d) for d in shard_dirs]
    for d in dirs:
        if not d.is_dir():
            raise UsageError(f"{d} is not a folder of shards")
    found: dict[int, tuple[Path, dict[str, Any]]] = {}
    pattern = f"manifest-*-of-{of}.json" if of is not None else "manifest-*-of-*.json"
    splits = {m.stem.rsplit("-", 1)[1] for d in dirs for m in d.glob(pattern)}
    if len(splits) > 1:
        raise UsageError(
            f"{', '.join(map(str, dirs))} hold shards of {len(splits)} different splits "
            f"({', '.join(f'{k} shards' for k in sorted(splits))}); merge the folders of one split"
        )
    for d in dirs:
        for m in sorted(d.glob(pattern)):
            data = _read_json(m)
            if data is None or data.get("status") != "complete":
                raise UsageError(f"{m} is not a complete shard; finish it with --resume first")
            i, n, _ = _shard_of(data, m)
            if m.name != f"manifest-{i}-of-{n}.json":
                raise UsageError(f"{m} describes shard {i}/{n}: its name says otherwise, refused")
            if i in found and found[i][0] != d:
                raise UsageError(f"shard {i}/{n} appears in both {found[i][0]} and {d}")
            found[i] = (d, data)
    if not found:
        raise UsageError("no shard manifests (manifest-<i>-of-<n>.json) in " + ", ".join(map(str, dirs)))
    ref = next(iter(found.values()))[1]
    _, n_shards, total_n = _shard_of(ref, Path("manifest"))
    missing = sorted(set(range(n_shards)) - set(found))
    if missing:
        raise UsageError(f"shards {', '.join(f'{i}/{n_shards}' for i in missing)} are missing")

    def strip(settings: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in settings.items() if k != "shard"}

    for i, (d, data) in found.items():
        if strip(data["settings"]) != strip(ref["settings"]) or data.get("seed") != ref.get("seed"):
            raise UsageError(f"shard {i} in {d} was made with other settings than shard 0; they cannot be merged")
    if ref["settings"].get("format", "png") != "png":
        raise UsageError("only PNG shards can be merged")

    # everything is read and checked before the first byte of the merged set is written
    parts = []
    for i in range(n_shards):
        d, _ = found[i]
        lo, hi = shard_range(total_n, (i, n_shards))
        parts.append((d, *_shard_rows(d, f"-{i}-of-{n_shards}", lo, hi)))
    headers = {p[1][0] for p in parts}
    if len(headers) != 1:
        raise UsageError("the shards' labels files have different columns; they cannot be merged")

    in_place = any(d.resolve() == out.resolve() for d in dirs if out.exists())
    with claim_output(
        out,
        "synth-merge",
        MERGED_ENTRIES,
        overwrite=overwrite,
        siblings=_is_shard_ledger,
        shared=SHARD_FILES + (["images"] if in_place else []),
    ):
        csv_parts = [parts[0][1][0]]
        txt_parts: list[str] = []
        for d, csv_lines, txt_lines, paths in parts:
            csv_parts.extend(csv_lines[1:])
            txt_parts.extend(txt_lines)
            if d.resolve() != out.resolve():
                for rel in paths:
                    _place(d / rel, out / rel)
        write_text_atomic(out / "labels.csv", "".join(csv_parts))
        write_text_atomic(out / "labels.txt", "".join(txt_parts))
        total = correct = char_errors = chars = 0
        for i in range(n_shards):
            d, _ = found[i]
            n_rows, n_right, n_errors, n_chars = judged(d / f"labels-{i}-of-{n_shards}.csv")
            total, correct = total + n_rows, correct + n_right
            char_errors, chars = char_errors + n_errors, chars + n_chars
        settings = dict(ref["settings"], shard=None)
        task = task_of_manifest(ref)
        return write_manifest(
            out,
            "synth",
            settings,
            ref.get("seed"),
            extra={
                "status": "complete",
                "task": task.name,
                "samples": total,
                "merged_from": [str(found[i][0] / f"manifest-{i}-of-{n_shards}.json") for i in range(n_shards)],
                "content_accuracy": round(correct / total, 4) if total else None,
                **task.synth_figures(char_errors, chars),
            },
        )
