"""The line run's judge: a CRNN trained on real lines only, so it reads the generator's lines
with no stake in them."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from saae_augment.core.fit import fit
from saae_augment.model.crnn import CRNN, build_reader, ctc_loss, encode
from saae_augment.seeding import derive_seed, torch_generator


def train_line_judge(
    images: torch.Tensor, labels: list[str], charset: str, steps: int, seed: int, device: torch.device
) -> CRNN:
    """A CRNN trained on real lines only (jittered batches): the run's independent reader."""
    torch.manual_seed(derive_seed(seed, "judge-init"))
    model = build_reader(images.shape[1], charset).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps))
    index = {c: i for i, c in enumerate(charset)}

    def losses() -> Iterator[torch.Tensor]:
        model.train()
        for step in range(steps):
            g = torch_generator(seed, "judge-step", step)
            idx = torch.randint(len(images), (min(64, len(images)),), generator=g)
            targets, lengths = encode([labels[i] for i in idx.tolist()], index, device)
            yield ctc_loss(model(images[idx].to(device)), targets, lengths)

    fit(opt, sched, losses())
    return model.eval()
