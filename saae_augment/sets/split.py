"""Split a labeled set into train/test folders, e.g. a low-data setting of K images per class."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from saae_augment.data.labelfiles import write_label_files
from saae_augment.data.load import load_dataset
from saae_augment.errors import UsageError
from saae_augment.manifest import write_manifest
from saae_augment.outfolder import claim_output
from saae_augment.seeding import derive_seed


def split_dataset(
    spec: str | Path, per_class: int, out: str | Path, seed: int = 0, overwrite: bool = False
) -> dict[str, int]:
    """`per_class` images of each class to `out/train`, the rest to `out/test` (labels.csv folders).

    `out` must be new or empty unless `overwrite` (outfolder.py)."""
    if per_class < 1:
        raise UsageError("--per-class must be at least 1")
    with claim_output(out, "data split", ["train", "test", "manifest.json"], overwrite=overwrite):
        return _split(spec, per_class, Path(out), seed)


def _split(spec: str | Path, per_class: int, out: Path, seed: int) -> dict[str, int]:
    data = load_dataset(spec)
    rng = np.random.default_rng(derive_seed(seed, "split-per-class"))
    train: list[int] = []
    for label in data.classes:
        idx = [i for i, x in enumerate(data.labels) if x == label]
        if len(idx) <= per_class:
            raise UsageError(
                f"class {label!r} has {len(idx)} image(s); --per-class {per_class} would leave none to test"
            )
        train.extend(rng.choice(idx, size=per_class, replace=False).tolist())
    chosen = set(train)
    parts = {"train": sorted(chosen), "test": [i for i in range(len(data)) if i not in chosen]}
    for name, indices in parts.items():
        folder = out / name
        (folder / "images").mkdir(parents=True, exist_ok=True)
        rows = []
        for k, i in enumerate(indices):
            rel = f"images/{k:06d}.png"
            Image.fromarray(data.images[i]).save(folder / rel)
            rows.append({"path": rel, "label": data.labels[i], "source": data.sources[i]})
        write_label_files(folder, rows)
    write_manifest(
        out,
        "data split",
        {"spec": str(spec), "per_class": per_class, "train": len(parts["train"]), "test": len(parts["test"])},
        seed,
    )
    return {name: len(ix) for name, ix in parts.items()}
