"""CRNN (Shi et al., 2015): a conv stack that squeezes the height away, a BiLSTM along the width,
and per-frame scores over blank + charset for CTC. The line recognizer of eval-ocr, the line
SAAE's recognition head, and its judge.

Conv-only by default (`rnn=False`): with a BiLSTM on top, a few hundred training plates were
memorised instead of read (training CTC 0.46, held-out CER 0.95 after 900 steps; the conv-only
reader had a held-out CER of 0.29 after 400). The BiLSTM stays available for larger sets.

The width is downsampled 4×, so a 128-pixel line gives 32 frames: room for CTC's blanks
between repeated characters of a plate or a word (a label may have up to about 15 characters).

The height is collapsed by a learned layer (`collapse=True`, the default): the last feature map
is max-pooled to two rows and a (2×1) convolution with its own normalisation folds them into a
frame. Readers before it averaged each column (`rows=1`) or kept four rows for a linear head
(`rows=4`); on procedural plates at 32×128 (240 to learn from, 400 steps) the learned collapse
left CTC's all-blank plateau for 3 of 3 seeds (held-out CER 0.47–0.61) where the column mean
left it for 1 of 3 (0.63, 0.90, 0.91). Saved readers of either older shape still load
(`build_reader` reads the shape from the weights).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

BLANK = 0
READER_WIDTH = 16  # channels of the first layer of every reader but the line run's judge
LUMA = torch.tensor([0.299, 0.587, 0.114])  # ITU-R 601, as PIL's convert("L")


def _conv(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class CRNN(nn.Module):
    """Conv layers that collapse height, a BiLSTM along width, per-column logits for CTC."""

    def __init__(
        self,
        in_channels: int,
        n_chars: int,
        width: int = READER_WIDTH,
        hidden: int = 64,
        rnn: bool = False,
        rows: int = 1,
        collapse: bool = True,
        dropout: float = 0.0,
    ):
        super().__init__()
        w = width
        self.dropout = dropout  # before the head, in training only; it has no weights to save
        self.in_channels = in_channels
        if collapse:  # whatever the line height (8 px or more): two rows, folded by a learned layer
            rows = 1
            self.rows: nn.Module = nn.Sequential(
                nn.AdaptiveMaxPool2d((2, None)),
                nn.Conv2d(4 * w, 4 * w, (2, 1), bias=False),
                nn.BatchNorm2d(4 * w),
                nn.ReLU(inplace=True),
            )
        else:  # the older readers: `rows` column means per frame
            self.rows = nn.AdaptiveAvgPool2d((rows, None))
        self.features = nn.Sequential(
            *_conv(1, w),
            nn.MaxPool2d(2),
            *_conv(w, 2 * w),
            nn.MaxPool2d(2),
            *_conv(2 * w, 4 * w),
            *_conv(4 * w, 4 * w),
            nn.MaxPool2d((2, 1)),
            *_conv(4 * w, 4 * w),
        )
        self.rnn = nn.LSTM(4 * w * rows, hidden, bidirectional=True, batch_first=True) if rnn else None
        self.head = nn.Linear((2 * hidden if rnn else 0) + 4 * w * rows, n_chars + 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """B×C×H×W → B×T×(k+1) scores (T = W / 4)."""
        if images.shape[1] == 3:  # read luminance: colour only made CTC's start much slower (measured)
            images = (images * LUMA.to(images.device, images.dtype)[None, :, None, None]).sum(1, keepdim=True)
        # each line normalised on its own: blue, yellow and green plates, dark or light text, all
        # look alike to the first layer (measured: CTC left its all-blank plateau ~3x sooner)
        flat = images.flatten(1)
        images = (images - flat.mean(1)[:, None, None, None]) / (flat.std(1)[:, None, None, None] + 1e-3)
        h = self.rows(self.features(images)).flatten(1, 2).transpose(1, 2)  # B×T×(C·rows)
        if self.rnn is not None:
            # the conv features go to the head beside the LSTM's: measured to leave CTC's long
            # all-blank plateau sooner on a few hundred plates
            h = torch.cat([h, self.rnn(h)[0]], dim=2)
        if self.dropout > 0:
            h = F.dropout(h, self.dropout, self.training)
        return self.head(h)


def encode(texts: Sequence[str], index: dict[str, int], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenated targets (character index + 1, as 0 is the blank) and their lengths, for CTC."""
    flat = [index[c] + 1 for t in texts for c in t]
    return (
        torch.tensor(flat, dtype=torch.long, device=device),
        torch.tensor([len(t) for t in texts], dtype=torch.long, device=device),
    )


def ctc_loss(scores: torch.Tensor, targets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean CTC loss per character of B×T×(k+1) scores; fp32, as CTC is unstable in bf16."""
    log_probs = F.log_softmax(scores.float(), dim=2).transpose(0, 1)  # T×B×(k+1)
    frames = torch.full((scores.shape[0],), scores.shape[1], dtype=torch.long, device=scores.device)
    return F.ctc_loss(log_probs, targets, frames, lengths, blank=BLANK, reduction="mean", zero_infinity=True)


def greedy_decode(scores: torch.Tensor, charset: Sequence[str]) -> list[str]:
    """Best path: the top class per frame, repeats merged, blanks dropped."""
    best = scores.argmax(2).cpu()
    out = []
    for row in best.tolist():
        chars, prev = [], BLANK
        for k in row:
            if k != prev and k != BLANK:
                chars.append(charset[k - 1])
            prev = k
        out.append("".join(chars))
    return out


def width_of(state: Mapping[str, torch.Tensor] | None, default: int = READER_WIDTH) -> int:
    """The first layer's channels a saved reader was built with (`default` for a new one)."""
    if state is None or "features.0.weight" not in state:
        return default
    return int(state["features.0.weight"].shape[0])


def rows_of(state: Mapping[str, torch.Tensor] | None, width: int = READER_WIDTH) -> int:
    """The feature rows a saved reader was built with (1, the default, for a new one)."""
    if state is None or "head.weight" not in state:
        return 1
    return max(1, int(state["head.weight"].shape[1]) // (4 * width))


def collapses(state: Mapping[str, torch.Tensor] | None) -> bool:
    """Whether a saved reader folds its rows with a learned layer (every new one does)."""
    return state is None or "rows.1.weight" in state


def build_reader(
    channels: int,
    charset: str,
    state: Mapping[str, torch.Tensor] | None = None,
    width: int = READER_WIDTH,
    dropout: float = 0.0,
) -> CRNN:
    """The CRNN every line reader uses (recognition head, judge, synthesis' judge, eval-ocr's
    recognizer): its defaults, conv-only (see model/crnn.py for why), `width` channels in its
    first layer, `dropout` before its head while it trains; shaped like `state` when it is to
    load one (its width, and the older readers saved before the learned collapse)."""
    width = width_of(state, width)
    if collapses(state):
        return CRNN(channels, len(charset), width=width, dropout=dropout)
    return CRNN(channels, len(charset), width=width, rows=rows_of(state, width), collapse=False, dropout=dropout)


@torch.no_grad()
def read_lines(reader: torch.nn.Module, images: torch.Tensor, charset: str, batch_size: int = 256) -> list[str]:
    """What `reader` reads in each image (greedy CTC decoding), in batches, in eval mode."""
    was_training = reader.training
    reader.eval()
    out = [
        t for i in range(0, len(images), batch_size) for t in greedy_decode(reader(images[i : i + batch_size]), charset)
    ]
    reader.train(was_training)
    return out
