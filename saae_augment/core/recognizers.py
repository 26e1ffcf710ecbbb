"""Recognizers that eval-ocr trains: the interface, the single-character CNN and the CRNN.

A recognizer is trained from a *sampler* (step → batch of images and label strings) for a
fixed number of steps, keeps the weights that read the validation split best, and predicts
label strings. A line recognizer (CRNN + CTC, for plates and words) implements the same two
methods, so the regimes and the report do not care which one runs.
"""

from __future__ import annotations

import copy
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F

from saae_augment.core.device import autocast_for
from saae_augment.core.fit import fit
from saae_augment.core.readerstart import PRETRAIN_STEPS, one_cycle, pretrained_reader
from saae_augment.core.textmetrics import word_accuracy
from saae_augment.data.datasets import to_tensor
from saae_augment.model.classifier import CharClassifier
from saae_augment.model.crnn import build_reader, ctc_loss, encode, greedy_decode
from saae_augment.seeding import derive_seed

BatchSampler = Callable[[int], tuple[np.ndarray, list[str]]]  # step -> (uint8 images, labels)


class Recognizer(Protocol):
    """What eval-ocr, CAS and the regimes need of a recognizer, whatever the task."""

    def fit(
        self,
        sample: BatchSampler,
        val_images: np.ndarray,
        val_labels: Sequence[str],
        steps: int,
        minutes: float | None,
        seed: int,
    ) -> dict[str, float]:
        """Train for `steps` (or `minutes`) on `sample(step)`; keep the weights best on validation."""
        ...

    def predict(self, images: np.ndarray) -> list[str]:
        """Label strings for a batch of uint8 images."""
        ...


class _Recognizer(ABC):
    """The fit/predict loop both recognizers share: Adam, cosine schedule, best-on-validation weights.

    Subclasses say how to build the network, the loss of a batch and how to read images.
    """

    lr = 2e-3
    precision = "fp32"  # the character CNN is tiny: bf16 was not measured to pay there

    def __init__(self, size: tuple[int, int], channels: int = 1, device: str = "cpu"):
        self.size, self.channels, self.device = size, channels, torch.device(device)
        self.model: torch.nn.Module | None = None

    @abstractmethod
    def _build(self) -> torch.nn.Module:
        """See CharRecognizer and LineRecognizer."""

    @abstractmethod
    def _loss(self, model: torch.nn.Module, x: torch.Tensor, labels: Sequence[str]) -> torch.Tensor:
        """See CharRecognizer and LineRecognizer."""

    @abstractmethod
    def _read(self, model: torch.nn.Module, x: torch.Tensor) -> list[str]:
        """See CharRecognizer and LineRecognizer."""

    def fit(self, sample, val_images, val_labels, steps, minutes, seed) -> dict[str, float]:
        torch.manual_seed(derive_seed(seed, "recognizer-init"))
        model = self._build().to(self.device)
        opt = torch.optim.Adam(model.parameters(), lr=self.lr)
        sched = self._schedule(opt, steps)
        val_x = to_tensor(val_images).to(self.device) if len(val_labels) else None  # None: keep the last weights
        best, best_acc, t0 = None, -1.0, time.perf_counter()
        check_every = max(1, steps // 10)

        batches = self._batches(sample, steps, seed)

        def losses() -> Iterator[torch.Tensor]:
            for step in range(steps):
                if minutes is not None and time.perf_counter() - t0 > minutes * 60:
                    return
                images, labels = batches(step)
                model.train()
                yield self._loss(model, to_tensor(images).to(self.device), labels)

        def keep_best(done: int) -> None:
            nonlocal best, best_acc
            if val_x is not None and (done % check_every == 0 or done == steps):
                acc = self._accuracy(model, val_x, val_labels)
                if acc >= best_acc:  # ties go to the later, longer-trained weights
                    best_acc, best = acc, copy.deepcopy(model.state_dict())

        done = fit(opt, sched, losses(), keep_best, autocast_for(self.device, self.precision, cpu_auto=True))
        if best is None:  # time ran out before the first check, or nothing to validate on
            best_acc = self._accuracy(model, val_x, val_labels) if val_x is not None else float("nan")
            best = model.state_dict()
        model.load_state_dict(best)
        self.model = model.eval()
        return {"val_acc": best_acc, "steps": done, "seconds": time.perf_counter() - t0}

    def _batches(self, sample: BatchSampler, steps: int, seed: int) -> BatchSampler:
        """The batches the network trains on: the sampler's, as they are."""
        return sample

    def _schedule(self, opt: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LRScheduler:
        """Cosine decay over the budget."""
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps))

    @torch.no_grad()
    def _read_all(self, model: torch.nn.Module, x: torch.Tensor) -> list[str]:
        model.eval()
        return [r for i in range(0, len(x), 512) for r in self._read(model, x[i : i + 512])]

    def _accuracy(self, model: torch.nn.Module, x: torch.Tensor, labels: Sequence[str]) -> float:
        if len(labels) == 0:
            return float("nan")
        return word_accuracy(self._read_all(model, x), labels)

    def predict(self, images: np.ndarray) -> list[str]:
        if self.model is None:
            raise RuntimeError("predict() before fit()")
        return self._read_all(self.model, to_tensor(images).to(self.device))


class CharRecognizer(_Recognizer):
    """LeNet-sized CNN over `classes` (one character per image)."""

    def __init__(self, classes: Sequence[str], size: tuple[int, int], channels: int = 1, device: str = "cpu"):
        super().__init__(size, channels, device)
        self.classes = list(classes)
        self.index = {c: i for i, c in enumerate(self.classes)}

    def _build(self) -> torch.nn.Module:
        return CharClassifier(self.channels, self.size, len(self.classes))

    def _loss(self, model, x, labels):
        targets = torch.tensor([self.index[t] for t in labels], dtype=torch.long, device=self.device)
        return F.cross_entropy(model(x), targets)

    def _read(self, model, x):
        return [self.classes[i] for i in model(x).argmax(1).tolist()]


class LineRecognizer(_Recognizer):
    """CRNN + CTC with greedy decoding, for plates, words and lines of any length up to ~W/8.

    It starts from a reader pretrained on rendered lines of its charset (core/readerstart.py) for
    as many steps as it will fit, up to `pretrain_steps`: the same start for every regime of a
    seed. It warms its rate up before annealing it. Where no installed font draws the charset it
    starts cold.
    """

    lr = 3e-3
    pretrain_steps = PRETRAIN_STEPS
    # the fit in bf16 where native (400 steps: 68 s against 87 s, same 64.8% read, real+aug seed 0
    # of the plate demo); its rendered-line start in fp32: from a bf16 start that fit read 2.0-2.4%
    precision = "auto"
    pretrain_precision = "fp32"

    def __init__(self, charset: str, size: tuple[int, int], channels: int = 1, device: str = "cpu"):
        super().__init__(size, channels, device)
        self.charset = charset
        self.index = {c: i for i, c in enumerate(charset)}
        self._start: dict[str, torch.Tensor] | None = None

    def fit(self, sample, val_images, val_labels, steps, minutes, seed) -> dict[str, float]:
        """Pretrain (or take this seed's pretrained start), then fit as every recognizer does."""
        lengths = [len(t) for t in [*sample(0)[1], *val_labels] if t]
        pretrain = min(self.pretrain_steps, steps)  # a short fit (a test, a smoke run) pretrains as briefly
        self._start = pretrained_reader(
            self.charset, self.size, self.channels, lengths, seed, pretrain, self.pretrain_precision
        )
        return super().fit(sample, val_images, val_labels, steps, minutes, seed)

    def _schedule(self, opt: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LRScheduler:
        return one_cycle(opt, self.lr, steps)

    def _build(self) -> torch.nn.Module:
        model = build_reader(self.channels, self.charset)
        if self._start is not None:
            model.load_state_dict(self._start)
        return model

    def _loss(self, model, x, labels):
        targets, lengths = encode(labels, self.index, self.device)
        return ctc_loss(model(x), targets, lengths)

    def _read(self, model, x):
        return greedy_decode(model(x), self.charset)
