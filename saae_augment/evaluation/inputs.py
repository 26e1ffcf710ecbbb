"""What eval-ocr reads: labeled pools at one size, line or character sets, and whether a
synthetic set is whole (finished and merged) before it is measured as if it were.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from saae_augment.data.load import load_dataset
from saae_augment.errors import UsageError
from saae_augment.evaluation.regimes import Pool


def labeled_pool(
    spec: str | Path, size: tuple[int, int], classes: Sequence[str] | None, lines: bool = False
) -> tuple[Pool, Any]:
    """Images of `spec` at `size`; with `classes` only those labels (chars) or characters (lines)."""
    data = load_dataset(spec, size=size, mode="L", charset="".join(classes) if classes else None)
    keep = [i for i, x in enumerate(data.labels) if classes is None or lines or x in classes]
    return Pool(np.stack([data.images[i] for i in keep]), [data.labels[i] for i in keep]), data.report


def check_synth_complete(spec: str | Path) -> None:
    """A synthesis that was interrupted, is still running or was never merged would be measured
    as if it were the whole set: refuse it, saying how to finish it."""
    folder = Path(spec)
    if not folder.is_dir():
        return
    manifest = folder / "manifest.json"
    if not manifest.exists():
        if any(folder.glob("manifest-*-of-*.json")):
            raise UsageError(f"--synth {folder} holds shards, not a merged set: join them with synth-merge first")
        return
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UsageError(f"--synth {folder}: its manifest.json is damaged, so the set cannot be trusted") from None
    if isinstance(data, dict) and data.get("command") == "synth" and data.get("status") != "complete":
        raise UsageError(
            f"--synth {folder} is not complete (status {str(data.get('status'))[:20]}, "
            f"{data.get('samples', '?')} samples): finish it with the same synth command and --resume"
        )


def is_line_data(labels: Sequence[str]) -> bool:
    """Plates, words, lines: any label longer than one character makes the set a line set."""
    return any(len(x) != 1 for x in labels)
