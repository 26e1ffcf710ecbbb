"""The character task: one character per image, one class per label, a (k+1)-class discriminator,
a small CNN as judge and as eval-ocr's recognizer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from PIL import Image

from saae_augment.core.recognizers import CharRecognizer, Recognizer
from saae_augment.core.textmetrics import word_accuracy
from saae_augment.data.datasets import stratified_split
from saae_augment.data.load import LabeledImages
from saae_augment.data.sheet import class_sheet
from saae_augment.errors import UsageError
from saae_augment.model.classifier import CharClassifier
from saae_augment.tasks.base import Task
from saae_augment.tasks.classes import ContentSpec, content_spec
from saae_augment.tasks.sections import CharSection


class CharsTask(Task):
    """Characters: digits, letters, symbols, one per image."""

    name = "chars"
    foreign_options = ("data.pattern", "loss.w_ctc")
    eval_size = (28, 28)
    eval_size_from_test = True
    recognizer_name = "small CNN"
    metric_columns = ("test accuracy % (mean ± std)",)
    rare_columns = ("rare classes: accuracy % (mean ± std)",)
    confusion = True

    def vocabulary_text(self, vocabulary: Sequence[str]) -> str:
        """How many classes."""
        return f"{len(vocabulary)} classes"

    def split(self, labels: Sequence[str], val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
        """Stratified: every class keeps its share in both parts."""
        return stratified_split(labels, val_fraction, seed)

    def vocabulary(self, labels: Sequence[str]) -> list[str]:
        """Each distinct label is a class."""
        return sorted(set(labels))

    def keeps(self, label: str, vocabulary: Sequence[str]) -> bool:
        """Only the classes the recognizer was trained on."""
        return label in vocabulary

    def recognizer(self, vocabulary: Sequence[str], size: tuple[int, int]) -> Recognizer:
        """A LeNet-sized CNN over the classes."""
        return CharRecognizer(vocabulary, size)

    def units(self, label: str) -> Sequence[str]:
        """One class per image."""
        return (label,)

    def score(self, predicted: Sequence[str], truth: Sequence[str]) -> dict[str, float]:
        """Accuracy: the share read as their class."""
        return {"test_acc": word_accuracy(predicted, truth)}

    def summary_row(self, group: Sequence[dict[str, Any]]) -> dict[str, float]:
        """Nothing beyond the accuracy."""
        return {}

    def font_texts(self, real_labels: Sequence[str], vocabulary: Sequence[str]) -> list[str]:
        """Every class, in every font."""
        return list(vocabulary)

    def sheet(self, data: LabeledImages) -> Image.Image:
        """A row per class, a few samples each, so a miswritten class shows at once."""
        return class_sheet(data)

    def judge(
        self, channels: int, size: tuple[int, int], vocabulary: Sequence[str], state: dict[str, Any] | None = None
    ) -> torch.nn.Module:
        """The classifier the run trained on its real images."""
        return CharClassifier(channels, size, len(vocabulary))

    def read(self, judge: torch.nn.Module, images: torch.Tensor, vocabulary: Sequence[str]) -> list[str]:
        """The most likely class of each image."""
        return [vocabulary[i] for i in judge(images).argmax(1).tolist()]

    def synth_figures(self, char_errors: int, chars: int) -> dict[str, float]:
        """Content accuracy says it all for one character."""
        return {}

    def section(self, payload: dict[str, Any]) -> CharSection:
        """Classes, glyph banks, fonts and class counts."""
        return CharSection.read(payload)

    def content_plan(self, synth: Any, options: Any) -> ContentSpec:
        """Classes: uniform, matched to training, a subset or a labels file; never texts or patterns."""
        if options.texts is not None or options.pattern is not None:
            raise UsageError("--texts-file and --pattern are for line checkpoints (plates, words); use --labels-file")
        counts = synth.section.class_counts
        return content_spec(synth.classes, options.content, counts, options.classes, options.labels, options.n)


CHARS = CharsTask()
