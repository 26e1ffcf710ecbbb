"""The `Task` interface: everything that differs between writing characters and writing lines.

A task is chosen once (from the recipe when training starts, from the checkpoint afterwards, from
the synthetic set or the labels for eval-ocr) and then asked: the training loop, synthesis,
eval-ocr and eval-gen never test which task they run. `chars` and `lines` are the two answers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import numpy as np
import torch
from PIL import Image

from saae_augment.config import Recipe
from saae_augment.core.recognizers import Recognizer
from saae_augment.data.load import LabeledImages
from saae_augment.data.rarity import has_rare
from saae_augment.errors import RecipeError


class ContentPlan(Protocol):
    """Where sample i's label comes from in a synthesis: drawn from `rng` (classes) or from its
    own seed (texts); either way from (seed, i) alone."""

    def draw(self, seed: int, index: int, rng: np.random.Generator) -> str:
        """Sample `index`'s label; `rng` is the sample's own generator, at its first draw."""
        ...

    def describe(self) -> dict[str, Any]:
        """What the manifest records about the plan."""
        ...


def _value(recipe: Recipe, dotted: str) -> Any:
    section, key = dotted.split(".")
    return getattr(getattr(recipe, section), key)


def _default(dotted: str) -> Any:
    section, key = dotted.split(".")
    return getattr(getattr(Recipe(), section), key)


class Task(ABC):
    """One task's answers. Subclasses are stateless singletons: `CHARS` and `LINES`."""

    name: ClassVar[str]
    # recipe keys only the other task reads: set here they would be silently ignored, so they are refused
    foreign_options: ClassVar[tuple[str, ...]]
    eval_size: ClassVar[tuple[int, int]]  # eval-ocr's size when neither --size nor a synthetic set says
    eval_size_from_test: ClassVar[bool]  # eval-ocr reads at the test set's own size (evaluation/run.py)
    recognizer_name: ClassVar[str]  # what eval-ocr's report calls the recognizer
    metric_columns: ClassVar[tuple[str, ...]]  # eval-ocr's table columns after regime and ratio
    rare_columns: ClassVar[tuple[str, ...]]  # and after them, when rare units were given or detected
    confusion: ClassVar[bool]  # whether eval-ocr draws a confusion matrix (one class per image)

    def __repr__(self) -> str:
        return f"<task {self.name}>"

    def check_recipe(self, recipe: Recipe) -> None:
        """Refuse, in one line, an option of the other task set to something other than its default."""
        for key in self.foreign_options:
            if _value(recipe, key) != _default(key):
                raise RecipeError(
                    f"{key} applies to the other task, and this recipe trains {self.name} (data.task: {self.name}); "
                    f"remove {key} from the recipe or --set"
                )

    @abstractmethod
    def split(self, labels: Sequence[str], val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
        """(train, validation) indices: the one split rule training, synthesis and eval-ocr share."""

    @abstractmethod
    def vocabulary(self, labels: Sequence[str]) -> list[str]:
        """What a recognizer of this task tells apart: whole labels, or the characters in them."""

    @abstractmethod
    def keeps(self, label: str, vocabulary: Sequence[str]) -> bool:
        """Whether a test or synthetic label is one a recognizer trained on `vocabulary` can read."""

    @abstractmethod
    def recognizer(self, vocabulary: Sequence[str], size: tuple[int, int]) -> Recognizer:
        """eval-ocr's and CAS's recognizer for this task."""

    @abstractmethod
    def units(self, label: str) -> Sequence[str]:
        """What a label is made of, in the recognizer's vocabulary: its class, or its characters."""

    @abstractmethod
    def score(self, predicted: Sequence[str], truth: Sequence[str]) -> dict[str, float]:
        """Test metrics of one recognizer: `test_acc` always, more where the task has them."""

    def rare_score(self, predicted: Sequence[str], truth: Sequence[str], rare: Sequence[str]) -> dict[str, float]:
        """The same metrics on the test items holding a rare unit (`rare_accuracy`, `rare_cer`, …),
        and how many there were; NaN figures when none holds one."""
        wanted = set(rare)
        idx = [i for i, t in enumerate(truth) if has_rare(t, wanted, self.units)]
        sub = self.score([predicted[i] for i in idx], [truth[i] for i in idx])
        named = {"rare_accuracy" if k == "test_acc" else k.replace("test_", "rare_", 1): v for k, v in sub.items()}
        if not idx:
            named = {k: float("nan") for k in named}
        return named | {"n_rare_test": len(idx)}

    def rare_cells(self, row: dict[str, Any]) -> tuple[str, ...]:
        """A summary row's rare-unit figures as the eval-ocr table prints them."""
        keys = [k for k in ("rare_accuracy", "rare_cer", "rare_char_accuracy") if k in row]
        return tuple(f"{100 * row[k]:.2f} ± {100 * row[k + '_std']:.2f}" for k in keys)

    def summary_cells(self, row: dict[str, Any]) -> tuple[str, ...]:
        """A summary row's figures as the eval-ocr table prints them, one per metric column."""
        return (f"{100 * row['mean']:.2f} ± {100 * row['std']:.2f}",)

    def content_text(self, accuracy: float, cer: float | None = None) -> str:
        """The judge's reading of generated samples in a few words (train's evals, synth's summary)."""
        return f"content accuracy {accuracy:.1%}"

    @abstractmethod
    def vocabulary_text(self, vocabulary: Sequence[str]) -> str:
        """What a run writes, in a few words: '10 classes', '36 characters (lines)'."""

    def score_text(self, row: dict[str, Any]) -> str:
        """A run's test figures in a few words, for progress lines."""
        return f"{row['test_acc']:.1%}"

    @abstractmethod
    def summary_row(self, group: Sequence[dict[str, Any]]) -> dict[str, float]:
        """Extra summary fields for one regime × ratio beside its mean accuracy."""

    @abstractmethod
    def font_texts(self, real_labels: Sequence[str], vocabulary: Sequence[str]) -> list[str]:
        """What the fonts regime renders: each class, or each training text."""

    @abstractmethod
    def sheet(self, data: LabeledImages) -> Image.Image:
        """A picture of a few labeled samples for a report."""

    @abstractmethod
    def judge(
        self, channels: int, size: tuple[int, int], vocabulary: Sequence[str], state: dict[str, Any] | None = None
    ) -> torch.nn.Module:
        """An untrained judge network, shaped to load `state` (a checkpoint's judge weights) into."""

    @abstractmethod
    def read(self, judge: torch.nn.Module, images: torch.Tensor, vocabulary: Sequence[str]) -> list[str]:
        """The judge's reading of a batch of images, as label strings."""

    @abstractmethod
    def synth_figures(self, char_errors: int, chars: int) -> dict[str, float]:
        """Extra content figures for a synthesis manifest (lines: the judge's CER)."""

    @abstractmethod
    def section(self, payload: dict[str, Any]) -> Any:
        """The task's typed part of a loaded checkpoint (tasks/sections.py)."""

    @abstractmethod
    def content_plan(self, synth: Any, options: Any) -> ContentPlan:
        """The content plan a synthesis's options ask for, checked against what the checkpoint can
        write; options of the other task are refused in one line."""
