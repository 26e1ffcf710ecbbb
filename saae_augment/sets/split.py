"""Split a labeled set into train/test folders: K images per class (a low-data setting), a long
tail (a few rare classes get fewer), and a balanced test set however skewed the source is.

Lines group by their first character (`by="first"`: a plate's province), characters by label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from saae_augment.data.labelfiles import write_label_files
from saae_augment.data.load import load_dataset
from saae_augment.errors import UsageError
from saae_augment.manifest import write_manifest
from saae_augment.outfolder import claim_output
from saae_augment.seeding import derive_seed

GROUPINGS = ("label", "first")


@dataclass(frozen=True)
class SplitPlan:
    """How many images of each group go where. `per_class`: to train (the rest to test unless
    `test_per_class` is set); `test_per_class`: to test (the rest to train, up to `per_class`);
    `rare`: groups that get fewer training images than `per_class`."""

    per_class: int | None = None
    test_per_class: int | None = None
    rare: Mapping[str, int] = field(default_factory=dict)
    by: str = "label"

    def __post_init__(self) -> None:
        if self.per_class is None and self.test_per_class is None:
            raise UsageError("give --per-class K (training images per class) or --test-per-class T, or both")
        for name, value in (("--per-class", self.per_class), ("--test-per-class", self.test_per_class)):
            if value is not None and value < 1:
                raise UsageError(f"{name} must be at least 1")
        if any(k < 1 for k in self.rare.values()):
            raise UsageError("--rare counts must be at least 1 (e.g. --rare 5,6:2)")
        if self.by not in GROUPINGS:
            raise UsageError(f"--by {self.by!r}: choose {' or '.join(GROUPINGS)}")

    def describe(self) -> dict[str, object]:
        """What the manifest records."""
        return {
            "per_class": self.per_class,
            "test_per_class": self.test_per_class,
            "rare": dict(self.rare),
            "by": self.by,
        }


def parse_rare_counts(specs: list[str]) -> dict[str, int]:
    """`["5,6,7:2", "9:1"]` → {'5': 2, '6': 2, '7': 2, '9': 1}."""
    out: dict[str, int] = {}
    for spec in specs:
        names, sep, count = spec.rpartition(":")
        groups = [g for g in names.split(",") if g]
        if not sep or not groups or not count.strip().isdigit():
            raise UsageError(f"--rare {spec!r}: write GROUPS:K, e.g. 5,6,7,8,9:2 or 皖,沪:3")
        out.update(dict.fromkeys(groups, int(count)))
    return out


def split_dataset(
    spec: str | Path, per_class: int | SplitPlan, out: str | Path, seed: int = 0, overwrite: bool = False
) -> dict[str, int]:
    """Images to `out/train` and `out/test` (labels.csv folders) as the plan says (an int: K per class
    to train, the rest to test). `out` must be new or empty unless `overwrite` (outfolder.py)."""
    plan = per_class if isinstance(per_class, SplitPlan) else SplitPlan(per_class=per_class)
    with claim_output(out, "data split", ["train", "test", "manifest.json"], overwrite=overwrite):
        return _split(spec, plan, Path(out), seed)


def _group_key(label: str, by: str) -> str:
    return label if by == "label" else label[:1]


def _choose(groups: dict[str, list[int]], plan: SplitPlan, rng: np.random.Generator) -> tuple[list[int], list[int]]:
    unknown = sorted(set(plan.rare) - set(groups))
    if unknown:
        raise UsageError(f"--rare names {', '.join(map(repr, unknown))}, which the set has no images of (by {plan.by})")
    train: list[int] = []
    test: list[int] = []
    for key in sorted(groups):
        idx = groups[key]
        n_train = plan.rare.get(key, plan.per_class)
        test_k = plan.test_per_class or 0
        need = test_k + (n_train or 1) + (0 if test_k else 1)  # without a test count: the rest, 1+, is the test
        if len(idx) < need:
            what = f"{test_k} to test and " if test_k else ""
            group = "class" if plan.by == "label" else "first character"
            raise UsageError(
                f"{group} {key!r} has {len(idx)} image(s); the split needs {need} "
                f"({what}{n_train or 'at least 1'} to train{'' if test_k else ', 1+ to test'}): lower the counts"
                + (
                    " or group lines by their first character (--by first)"
                    if plan.by == "label" and len(idx) == 1
                    else ""
                )
            )
        if not test_k:  # K to train, the rest to test (the draw every earlier version made)
            chosen = rng.choice(idx, size=n_train, replace=False).tolist()
            train.extend(chosen)
            test.extend(sorted(set(idx) - set(chosen)))
            continue
        order = rng.permutation(idx).tolist()
        test.extend(order[:test_k])
        train.extend(order[test_k:] if n_train is None else order[test_k : test_k + n_train])
    return sorted(train), sorted(test)


def _split(spec: str | Path, plan: SplitPlan, out: Path, seed: int) -> dict[str, int]:
    data = load_dataset(spec)
    groups: dict[str, list[int]] = {}
    for i, label in enumerate(data.labels):
        groups.setdefault(_group_key(label, plan.by), []).append(i)
    rng = np.random.default_rng(derive_seed(seed, "split-per-class"))
    train, test = _choose(groups, plan, rng)
    parts = {"train": train, "test": test}
    for name, indices in parts.items():
        folder = out / name
        (folder / "images").mkdir(parents=True, exist_ok=True)
        rows = []
        for k, i in enumerate(indices):
            rel = f"images/{k:06d}.png"
            Image.fromarray(data.images[i]).save(folder / rel)
            rows.append({"path": rel, "label": data.labels[i], "source": data.sources[i]})
        write_label_files(folder, rows)
    counts = {"train": len(train), "test": len(test), "unused": len(data) - len(train) - len(test)}
    write_manifest(out, "data split", {"spec": str(spec), **plan.describe(), **counts}, seed)
    return counts
