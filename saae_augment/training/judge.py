"""The judge: a classifier trained on the real training split only, used to *measure* the SAAE.

Its readings give the two numbers that tell whether style transfer works: content accuracy
(generated images read as the class they were asked to be) and copy rate (read as the class of
the style image, i.e. the decoder copied its style input instead of writing the content).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F

from saae_augment.core.fit import fit
from saae_augment.data.datasets import LabeledTensors
from saae_augment.data.warp import jitter
from saae_augment.model.classifier import CharClassifier
from saae_augment.seeding import derive_seed, torch_generator


def train_classifier(
    train: LabeledTensors,
    n_classes: int,
    epochs: int,
    seed: int,
    device: torch.device,
    batch_size: int = 64,
    augment: bool = True,
) -> CharClassifier:
    """Adam, cross-entropy, jittered batches; everything random derives from `seed`."""
    torch.manual_seed(derive_seed(seed, "judge-init"))
    size = tuple(train.images.shape[-2:])
    model = CharClassifier(train.images.shape[1], size, n_classes).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps_per_epoch = max(1, math.ceil(len(train) / batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * steps_per_epoch)
    images, targets = train.images.to(device), train.targets.to(device)

    def losses() -> Iterator[torch.Tensor]:
        model.train()
        for epoch in range(epochs):
            g = torch_generator(seed, "judge-epoch", epoch)
            order = torch.randperm(len(train), generator=g).to(device)
            for start in range(0, len(train), batch_size):
                idx = order[start : start + batch_size]
                if len(idx) < 2:
                    continue
                x = jitter(images[idx], g) if augment else images[idx]
                yield F.cross_entropy(model(x), targets[idx])

    fit(opt, sched, losses())
    model.eval()
    return model


@torch.no_grad()
def predict(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Predicted class indices, in batches that fit memory."""
    model.eval()
    return torch.cat([model(images[i : i + batch_size]).argmax(1) for i in range(0, len(images), batch_size)])


def accuracy(model: torch.nn.Module, data: LabeledTensors, device: torch.device) -> float:
    """Share of `data` the model reads as its class (NaN for an empty split)."""
    if len(data) == 0:
        return float("nan")
    return (predict(model, data.images.to(device)).cpu() == data.targets).float().mean().item()
