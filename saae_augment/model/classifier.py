"""A small CNN that reads one character: the training run's judge, and the downstream recognizer.

Kept deliberately plain (LeNet-sized), so that what it reads in generated images says more
about the images than about the classifier.
"""

from __future__ import annotations

import torch
from torch import nn


class CharClassifier(nn.Module):
    """A LeNet-sized CNN: the run's judge and eval-ocr's character recognizer."""

    def __init__(self, in_channels: int, size: tuple[int, int], n_classes: int, width: int = 32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        flat = 2 * width * (size[0] // 4) * (size[1] // 4)
        self.head = nn.Sequential(
            nn.Dropout(0.3), nn.Linear(flat, 128), nn.ReLU(inplace=True), nn.Linear(128, n_classes)
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Class logits for a batch of images."""
        return self.head(self.features(image).flatten(1))
