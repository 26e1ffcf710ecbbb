"""`pretrain`: a base SAAE for a charset, learned from what the tool can render (sets/baseset.py),
for `train --init BASE` to fine-tune on a user's few images.

BASE/set holds the rendered, degraded set; BASE/run the trained run; BASE/base.pt the base itself
(`pack_base`: what `--init BASE` loads, and what `make base` ships); BASE/manifest.json says how
all three were made. Everything comes from the seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from saae_augment.core.checkpoint import file_sha256, load_checkpoint, save_checkpoint
from saae_augment.manifest import write_manifest
from saae_augment.outfolder import claim_output
from saae_augment.sets.baseset import make_base_set
from saae_augment.training.loop import train
from saae_augment.training.runner import Event, TrainResult

BASE_ENTRIES = ["set", "run", "base.pt", "manifest.json"]


def pretrain(
    out: str | Path,
    charset: str,
    size: tuple[int, int] = (32, 32),
    per_class: int = 300,
    recipe: str | Path = "digits",
    overrides: Sequence[str] = (),
    seed: int = 0,
    device: str = "auto",
    on_event: Event | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    overwrite: bool = False,
) -> TrainResult:
    """Render `per_class` degraded images of each character of `charset` at `size`, then train
    the SAAE on them with `recipe` (plus `overrides`) at that size. `out` must be new or empty
    unless `overwrite`."""
    out = Path(out)
    with claim_output(out, "pretrain", BASE_ENTRIES, overwrite=overwrite):
        made = make_base_set(out / "set", charset, size, per_class, seed, on_progress=on_progress, overwrite=overwrite)
        over = [
            f"data.size=[{size[0]},{size[1]}]",
            f"data.charset={''.join(sorted(set(charset)))}",
            f"train.seed={seed}",
        ]
        result = train(
            out / "set",
            recipe,
            [*over, *overrides],
            out / "run",
            device=device,
            on_event=on_event,
            overwrite=overwrite,
            init=None,  # a base is learned from scratch, never from another base
        )
        save_checkpoint(out / "base.pt", pack_base(load_checkpoint(out / "run")))
        write_manifest(
            out,
            command="pretrain",
            seed=seed,
            settings={
                "charset": "".join(sorted(set(charset))),
                "size": list(size),
                "per_class": per_class,
                "recipe": str(recipe),
                "overrides": list(overrides),
                "fonts": made["fonts"],
                "images": made["images"],
            },
            extra={
                "checkpoint": "run/checkpoints/last.pt",
                "checkpoint_sha256": result.summary.get("checkpoint_sha256"),
                "base": "base.pt",
                "base_sha256": file_sha256(out / "base.pt"),
                "content_acc": result.summary.get("content_acc"),
                "status": result.status,
            },
        )
    return result


def pack_base(run_checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The part of a pretrained run that starts another: its recipe, classes and the generator's
    and discriminator's weights in half precision (a 32×32 base in under 5 MB, small enough to ship
    in the package). No optimizer, no judge, no glyph banks: a fine-tune renders its own."""
    keep = ("format_version", "package_version", "task", "recipe", "classes", "step", "seed", "metrics")
    glyph = {k: v for k, v in run_checkpoint["glyph"].items() if k not in ("bank", "banks")}
    state = {
        net: {k: v.half() if v.is_floating_point() else v for k, v in run_checkpoint["state"][net].items()}
        for net in ("generator", "discriminator")
    }
    data = {k: v for k, v in run_checkpoint["data"].items() if k in ("fingerprint", "n_train", "class_counts")}
    return {**{k: run_checkpoint[k] for k in keep}, "glyph": glyph, "state": state, "data": data}
