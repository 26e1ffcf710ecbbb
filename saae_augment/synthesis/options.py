"""`SynthOptions`: everything a synthesis is asked for, checked once, passed as one value.

The CLI builds it from its flags and the library call takes it whole, so no layer repeats the
twenty-odd parameters or passes them by position. Output bytes depend on the options that choose
content, style, augmentation and precision; never on `batch_size`, `workers`, shards or resumes.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from saae_augment.data.augment import Augmenter
from saae_augment.errors import UsageError

FORMATS = ("png", "lmdb")
PRECISIONS = ("auto", "fp32", "bf16")


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """`i/n` with 0 ≤ i < n."""
    if text is None:
        return None
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise UsageError(f"--shard {text!r} is not i/n (e.g. 0/4)") from None
    if not (n >= 1 and 0 <= i < n):
        raise UsageError(f"--shard {text}: need 0 <= i < n")
    return i, n


def shard_suffix(shard: tuple[int, int] | None) -> str:
    """What shard i of n adds to its file names (`labels-0-of-4.csv`); nothing when unsharded."""
    return "" if shard is None else f"-{shard[0]}-of-{shard[1]}"


def default_batch_size(device: torch.device) -> int:
    """Samples per model call when the user does not say: the output never depends on it, only
    speed and memory do (a GPU wants large batches to be busy; 2,048 lines of 32×128 in bf16
    stay within a few GB)."""
    return 2048 if device.type == "cuda" else 512


def _tuple(values: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


@dataclass(frozen=True)
class SynthOptions:
    """What to write: `n` samples (over all shards) from seed `seed`.

    `content` uniform|match and `classes`: which classes (characters); `labels`: sample i gets
    labels[i] (cycled); `texts`/`pattern`: where line texts come from. `styles`: the style pool
    (default: the run's training split); `style_mix` interpolates two styles. `augment`: a
    post-augmentation recipe. `select`: a sample the judge misreads is drawn again. `precision`:
    auto (bf16 on CUDA; on a CPU with native bf16 where the judge reads it as well: precision.py),
    fp32 or bf16. `resume`/`overwrite`: what to do with an
    existing folder (outfolder.py). `shard` (i, n): write only slice i of n.
    """

    n: int
    seed: int = 0
    batch_size: int | None = None
    content: str = "uniform"
    classes: Sequence[str] | None = None
    labels: Sequence[str] | None = None
    styles: str | Path | None = None
    style_mix: bool = False
    augment: str | None = None
    fmt: str = "png"
    resume: bool = False
    shard: tuple[int, int] | None = None
    device: str | torch.device = "auto"
    workers: int | None = None
    precision: str = "auto"
    select: bool = False
    texts: Sequence[str] | None = None
    pattern: str | None = None
    overwrite: bool = False

    def __post_init__(self) -> None:
        for name in ("classes", "labels", "texts"):  # frozen all the way down
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        if self.precision not in PRECISIONS:
            raise UsageError(f"--precision must be auto, fp32 or bf16, not {self.precision!r}")
        if self.n < 1:
            raise UsageError("--n must be at least 1")
        if self.batch_size is not None and self.batch_size < 1:
            raise UsageError("--batch-size must be at least 1")
        if self.fmt not in FORMATS:
            raise UsageError(f"--format must be png or lmdb, not {self.fmt!r}")
        if self.fmt == "lmdb" and self.shard is not None:
            raise UsageError("--format lmdb cannot be sharded; write PNG shards and merge them")
        if self.augment is not None:
            Augmenter(self.augment)  # fail now, with one line, not in a writer thread

    def replace(self, **changes: object) -> SynthOptions:
        """A copy with some fields changed (torchrun gives each rank its shard)."""
        return dataclasses.replace(self, **changes)

    def labels_digest(self) -> str | None:
        """sha256 of the labels or texts file's lines: the manifest's trace of which were used."""
        given = self.labels if self.labels is not None else self.texts
        return None if given is None else hashlib.sha256("\n".join(given).encode()).hexdigest()
