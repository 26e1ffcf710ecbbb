"""The line task: plates, words and text lines. A label is a sequence of characters, read by a
CRNN with CTC (the run's recognition head, its judge and eval-ocr's recognizer); the
discriminator only says real or generated."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

import torch
from PIL import Image

from saae_augment.core.recognizers import LineRecognizer, Recognizer
from saae_augment.core.textmetrics import aligned_hits, character_error_rate, word_accuracy
from saae_augment.data.datasets import random_split
from saae_augment.data.load import LabeledImages
from saae_augment.data.sheet import contact_sheet
from saae_augment.errors import UsageError
from saae_augment.model.crnn import build_reader, read_lines
from saae_augment.tasks.base import Task
from saae_augment.tasks.sections import LineSection
from saae_augment.tasks.texts import LineTexts, line_texts

SHEET_LINES = 48


class LinesTask(Task):
    """Lines: plates, words, any text of one or more characters per image."""

    name = "lines"
    foreign_options = ("train.style_source", "model.disc", "model.disc_hidden")
    eval_size = (32, 128)
    eval_size_from_test = False
    recognizer_name = "CRNN + CTC, greedy decoding"
    metric_columns = ("word accuracy % (mean ± std)", "CER % (mean ± std)")
    rare_columns = ("rare lines: word acc %", "rare lines: CER %", "rare chars read %")
    confusion = False  # classes are characters inside lines: no one class per image to confuse

    def vocabulary_text(self, vocabulary: Sequence[str]) -> str:
        """How many characters the lines are written with."""
        return f"{len(vocabulary)} characters (lines)"

    def summary_cells(self, row: dict[str, Any]) -> tuple[str, ...]:
        """Word accuracy, then the CER."""
        return (*super().summary_cells(row), f"{100 * row['cer']:.2f} ± {100 * row['cer_std']:.2f}")

    def content_text(self, accuracy: float, cer: float | None = None) -> str:
        """Exact reads, and how far the others are off."""
        return f"content accuracy {accuracy:.1%} (CER {cer:.1%})"

    def split(self, labels: Sequence[str], val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
        """Random: most texts occur once, so there is nothing to stratify by."""
        return random_split(len(labels), val_fraction, seed)

    def vocabulary(self, labels: Sequence[str]) -> list[str]:
        """Each distinct character is a class of the CTC reader."""
        return sorted(set("".join(labels)))

    def keeps(self, label: str, vocabulary: Sequence[str]) -> bool:
        """Every line: the loader already refused characters outside the charset."""
        return True

    def recognizer(self, vocabulary: Sequence[str], size: tuple[int, int]) -> Recognizer:
        """A CRNN over the characters."""
        return LineRecognizer("".join(vocabulary), size)

    def units(self, label: str) -> Sequence[str]:
        """Its characters: a rare province is a rare character."""
        return tuple(label)

    def score(self, predicted: Sequence[str], truth: Sequence[str]) -> dict[str, float]:
        """Word accuracy (lines read exactly) and the character error rate."""
        return {"test_acc": word_accuracy(predicted, truth), "test_cer": character_error_rate(predicted, truth)}

    def rare_score(self, predicted: Sequence[str], truth: Sequence[str], rare: Sequence[str]) -> dict[str, float]:
        """The lines holding a rare character, and the rare characters themselves: the share of
        their occurrences an alignment reads right (a plate's province, whatever the rest)."""
        wanted = set(rare)
        hits = [
            hit
            for p, t in zip(predicted, truth, strict=True)
            for hit, c in zip(aligned_hits(p, t), t, strict=True)
            if c in wanted
        ]
        share = sum(hits) / len(hits) if hits else float("nan")
        return super().rare_score(predicted, truth, rare) | {"rare_char_accuracy": share}

    def score_text(self, row: dict[str, Any]) -> str:
        """Word accuracy, and the CER beside it."""
        return f"{row['test_acc']:.1%} (CER {row['test_cer']:.1%})"

    def summary_row(self, group: Sequence[dict[str, Any]]) -> dict[str, float]:
        """The CER's mean and std beside the word accuracy's."""
        cers = [r["test_cer"] for r in group]
        return {"cer": statistics.fmean(cers), "cer_std": statistics.stdev(cers) if len(cers) > 1 else 0.0}

    def font_texts(self, real_labels: Sequence[str], vocabulary: Sequence[str]) -> list[str]:
        """The training texts, each drawn in every font."""
        return sorted(set(real_labels))

    def sheet(self, data: LabeledImages) -> Image.Image:
        """The first lines with their labels, four to a row."""
        return contact_sheet(data.images[:SHEET_LINES], data.labels[:SHEET_LINES], columns=4)

    def judge(
        self, channels: int, size: tuple[int, int], vocabulary: Sequence[str], state: dict[str, Any] | None = None
    ) -> torch.nn.Module:
        """The CRNN the run trained on its real lines (older runs' judges keep their one row)."""
        return build_reader(channels, "".join(vocabulary), state)

    def read(self, judge: torch.nn.Module, images: torch.Tensor, vocabulary: Sequence[str]) -> list[str]:
        """Greedy CTC decoding of each line."""
        return read_lines(judge, images, "".join(vocabulary))

    def synth_figures(self, char_errors: int, chars: int) -> dict[str, float]:
        """A misread line is often one character off: the CER says how far."""
        return {"content_cer": round(char_errors / max(1, chars), 4)}

    def section(self, payload: dict[str, Any]) -> LineSection:
        """Charset, content fonts (opened) and training texts."""
        return LineSection.read(payload)

    def content_plan(self, synth: Any, options: Any) -> LineTexts:
        """Texts from a labels file, a word list, a pattern, or the run's own; never classes.
        `--content balance` favours the characters the training texts have few of."""
        if options.content not in ("uniform", "balance") or options.classes:
            raise UsageError(
                "--content match and --classes choose classes of a character checkpoint; this one writes lines: "
                "use --texts-file, --labels-file or --pattern (and --content balance for rare characters)"
            )
        own = synth.section.texts or (synth.pool.labels if options.styles is None else [])
        training = synth.section.texts or synth.pool.labels
        balance = list(training) if options.content == "balance" else None
        return line_texts(
            synth.charset, options.labels, options.texts, options.pattern, synth.recipe.data.pattern, own, balance
        )


LINES = LinesTask()
