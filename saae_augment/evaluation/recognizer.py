"""Recognizers that eval-ocr trains: the interface, and the single-character CNN.

A recognizer is trained from a *sampler* (step → batch of images and label strings) for a
fixed number of steps, keeps the weights that read the validation split best, and predicts
label strings. A line recognizer (CRNN + CTC, for plates and words) implements the same two
methods, so the regimes and the report do not care which one runs.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F

from saae_augment.data.datasets import to_tensor
from saae_augment.model.classifier import CharClassifier
from saae_augment.seeding import derive_seed

BatchSampler = Callable[[int], tuple[np.ndarray, list[str]]]  # step -> (uint8 images, labels)


class Recognizer(Protocol):
    def fit(
        self,
        sample: BatchSampler,
        val_images: np.ndarray,
        val_labels: Sequence[str],
        steps: int,
        minutes: float | None,
        seed: int,
    ) -> dict[str, float]: ...

    def predict(self, images: np.ndarray) -> list[str]: ...


class CharRecognizer:
    """LeNet-sized CNN over `classes`; Adam with a cosine schedule; best-on-validation weights."""

    def __init__(self, classes: Sequence[str], size: tuple[int, int], channels: int = 1, device: str = "cpu"):
        self.classes = list(classes)
        self.index = {c: i for i, c in enumerate(self.classes)}
        self.size, self.channels, self.device = size, channels, torch.device(device)
        self.model: CharClassifier | None = None

    def _targets(self, labels: Sequence[str]) -> torch.Tensor:
        return torch.tensor([self.index[x] for x in labels], dtype=torch.long, device=self.device)

    def fit(self, sample, val_images, val_labels, steps, minutes, seed) -> dict[str, float]:
        torch.manual_seed(derive_seed(seed, "recognizer-init"))
        model = CharClassifier(self.channels, self.size, len(self.classes)).to(self.device)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps))
        val_x = to_tensor(val_images).to(self.device)
        val_y = self._targets(val_labels)
        best, best_acc, t0 = None, -1.0, time.perf_counter()
        check_every = max(1, steps // 10)
        done = 0
        for step in range(steps):
            if minutes is not None and time.perf_counter() - t0 > minutes * 60:
                break
            images, labels = sample(step)
            model.train()
            loss = F.cross_entropy(model(to_tensor(images).to(self.device)), self._targets(labels))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            done = step + 1
            if done % check_every == 0 or done == steps:
                acc = self._accuracy(model, val_x, val_y)
                if acc >= best_acc:  # ties go to the later, longer-trained weights
                    best_acc, best = acc, copy.deepcopy(model.state_dict())
        if best is None:  # time ran out before the first check
            best_acc, best = self._accuracy(model, val_x, val_y), model.state_dict()
        model.load_state_dict(best)
        self.model = model.eval()
        return {"val_acc": best_acc, "steps": done, "seconds": time.perf_counter() - t0}

    @torch.no_grad()
    def _accuracy(self, model, x, y) -> float:
        model.eval()
        if len(y) == 0:
            return float("nan")
        return (torch.cat([model(x[i : i + 512]).argmax(1) for i in range(0, len(x), 512)]) == y).float().mean().item()

    @torch.no_grad()
    def predict(self, images: np.ndarray) -> list[str]:
        if self.model is None:
            raise RuntimeError("predict() before fit()")
        x = to_tensor(images).to(self.device)
        pred = torch.cat([self.model(x[i : i + 512]).argmax(1) for i in range(0, len(x), 512)])
        return [self.classes[i] for i in pred.tolist()]
