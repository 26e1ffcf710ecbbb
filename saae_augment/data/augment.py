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
import yaml

from saae_augment.errors import SaaeError

AUGMENT_DIR = Path(__file__).resolve().parent.parent / "recipes" / "augment"


class AugmentError(SaaeError):
    """An augmentation recipe that does not describe a valid albumentations pipeline."""


def augment_names() -> list[str]:
    return sorted(p.stem for p in AUGMENT_DIR.glob("*.yaml"))


def read_augment_recipe(name_or_path: str | Path) -> list[dict[str, dict[str, Any]]]:
    path = Path(name_or_path)
    if not path.suffix and (AUGMENT_DIR / f"{name_or_path}.yaml").is_file():
        path = AUGMENT_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise AugmentError(f"no augmentation {name_or_path!r}: give a YAML file or one of {', '.join(augment_names())}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise AugmentError(f"augmentation {path} is not valid YAML ({str(exc).splitlines()[0]})") from None
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
