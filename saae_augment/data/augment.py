"""Post-augmentation pipelines (albumentations) described as data.

A pipeline recipe is a YAML list of `TransformName: {param: value}`; every name must be an
albumentations transform and every parameter one its constructor takes (albumentations itself
only warns about unknown parameters, so a typo would silently do nothing). Each sample is
augmented with its own seed, so the result does not depend on batching or workers.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np

from saae_augment.errors import SaaeError
from saae_augment.yamlfiles import builtin_folder, builtin_names, load_named_yaml

AUGMENT_DIR = builtin_folder("recipes", "augment")


class AugmentError(SaaeError):
    """An augmentation recipe that does not describe a valid albumentations pipeline."""


def augment_names() -> list[str]:
    """Names of the augmentation recipes that ship with the package."""
    return builtin_names(AUGMENT_DIR)


def read_augment_recipe(name_or_path: str | Path) -> list[dict[str, dict[str, Any]]]:
    """An augmentation recipe's transforms, validated as data (unknown keys are errors)."""
    path, data = load_named_yaml(name_or_path, AUGMENT_DIR, "augmentation", AugmentError)
    steps = data.get("transforms") if isinstance(data, dict) else None
    if not isinstance(data, dict) or set(data) - {"transforms", "description"} or not isinstance(steps, list):
        raise AugmentError(
            f"augmentation {path} must be a mapping with a `transforms:` list (and optional description)"
        )
    for n, step in enumerate(steps, 1):
        if not (isinstance(step, dict) and len(step) == 1 and isinstance(next(iter(step.values())) or {}, dict)):
            raise AugmentError(f"augmentation {path}, transform {n}: write it as `- Name: {{param: value}}`")
    return [{name: dict(params or {})} for step in steps for name, params in step.items()]


class Augmenter:
    """A compiled pipeline; `__call__(image, seed)` is deterministic in (image, seed)."""

    def __init__(self, name_or_path: str | Path):
        import albumentations as A

        self.name = str(name_or_path)
        self.spec = read_augment_recipe(name_or_path)
        transforms = []
        for step in self.spec:
            ((tname, params),) = step.items()
            cls = getattr(A, tname, None)
            if not (isinstance(cls, type) and issubclass(cls, A.BasicTransform)):
                raise AugmentError(f"augmentation {self.name}: {tname!r} is not an albumentations transform")
            accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "args", "kwargs"}
            unknown = sorted(set(params) - accepted)
            if unknown:
                raise AugmentError(
                    f"augmentation {self.name}: {tname} takes no parameter {', '.join(unknown)} "
                    f"(it takes {', '.join(sorted(accepted))})"
                )
            try:
                transforms.append(cls(**params))
            except (ValueError, TypeError) as exc:
                first = " ".join(str(exc).split())[:200]
                raise AugmentError(f"augmentation {self.name}: bad parameters for {tname} ({first})") from None
        self.pipeline = A.Compose(transforms, seed=0)

    def __call__(self, image: np.ndarray, seed: int) -> np.ndarray:
        self.pipeline.set_random_seed(seed)
        return self.pipeline(image=image)["image"]
