"""Checkpoints: one plain dict of tensors and plain data, never a pickled object.

Loading uses `torch.load(weights_only=True)`, which refuses any pickled class or function, so
opening a checkpoint from someone else cannot run code; the networks are rebuilt from the
recorded config. A wrong format version or a broken file is one clear line, not a traceback.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

import torch

from saae_augment.atomicio import temporary_name
from saae_augment.errors import SaaeError

FORMAT_VERSION = 1
REQUIRED_KEYS = ("format_version", "package_version", "recipe", "classes", "glyph", "state", "step")


class CheckpointError(SaaeError):
    """A checkpoint that cannot be used: missing, not ours, unsafe, or from another format."""


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Atomic: a crash while saving leaves the previous checkpoint intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        torch.save(payload, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def resolve_checkpoint_path(ckpt: str | Path) -> Path:
    """A run folder (→ checkpoints/last.pt) or a checkpoint file."""
    p = Path(ckpt)
    if p.is_dir():
        p = p / "checkpoints" / "last.pt"
    if not p.is_file():
        raise CheckpointError(f"no checkpoint at {p}; give a run folder (with checkpoints/last.pt) or a .pt file")
    return p


def load_checkpoint(ckpt: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    path = resolve_checkpoint_path(ckpt)
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        globals_ = [line.strip() for line in str(exc).splitlines() if "GLOBAL" in line]
        if globals_:
            raise CheckpointError(
                f"refused to load {path}: it holds pickled Python objects, not only tensors and plain data "
                f"({globals_[0][:160]}); only load checkpoints written by saae-augment"
            ) from None
        raise CheckpointError(
            f"{path} is not a readable checkpoint (not a torch file of tensors and plain data)"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        lines = str(exc).strip().splitlines()
        detail = lines[0][:160] if lines else "the file ends early: empty or truncated"
        raise CheckpointError(f"{path} is not a readable checkpoint ({detail})") from None
    if not isinstance(payload, dict) or any(k not in payload for k in REQUIRED_KEYS):
        raise CheckpointError(f"{path} is not a saae-augment checkpoint (missing keys)")
    if payload["format_version"] != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format {payload['format_version']}, this saae-augment reads format "
            f"{FORMAT_VERSION}; use the saae-augment version that wrote it ({payload.get('package_version')})"
        )
    _check_consistent(payload, path)
    return payload


def _check_consistent(payload: dict[str, Any], path: Path) -> None:
    """The recorded sizes and classes must agree with the stored tensors: an edited or damaged
    checkpoint would otherwise fail deep inside torch, or worse, synthesize garbage quietly."""

    def refuse(what: str) -> None:
        raise CheckpointError(f"{path} is inconsistent ({what}); it was edited or damaged: train a new run")

    try:
        size = [int(v) for v in payload["recipe"]["data"]["size"]]
        glyph = payload["glyph"]
        if [int(v) for v in glyph.get("size", size)] != size:
            refuse(f"its recipe says images of {size[0]}x{size[1]}, its glyphs {glyph['size']}")
        bank = glyph.get("banks", glyph.get("bank"))
        if isinstance(bank, torch.Tensor):
            if list(bank.shape[-2:]) != size:
                refuse(f"its recipe says images of {size[0]}x{size[1]}, its glyph bank holds {list(bank.shape[-2:])}")
            k = bank.shape[1] if bank.dim() == 5 else bank.shape[0]
            if k != len(payload["classes"]):
                refuse(f"it lists {len(payload['classes'])} classes, its glyph bank holds {k}")
    except (KeyError, TypeError, ValueError, AttributeError):
        refuse("its recipe or glyph record is malformed")


def load_weights(module: torch.nn.Module, state: Any, what: str) -> None:
    """`module.load_state_dict(state)`, or one line when the weights do not fit the network."""
    try:
        module.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, AttributeError) as exc:
        first = str(exc).strip().splitlines()
        fallback = first[0] if first else type(exc).__name__
        detail = next((line.strip() for line in first if "size mismatch" in line or "Missing" in line), fallback)
        raise CheckpointError(
            f"the checkpoint's {what} weights do not fit the network its recipe describes ({detail[:160]}); "
            "it was edited or damaged: train a new run"
        ) from None


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(resolve_checkpoint_path(path), "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
