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
DIGEST_KEY = "digest"
# Plain data in a checkpoint is small (a recipe, class names, metrics, state dicts): a structure
# that takes more visits than this is built from shared references to expand into gigabytes.
MAX_VISITS = 200_000
MAX_STRING = 1 << 20


class CheckpointError(SaaeError):
    """A checkpoint that cannot be used: missing, not ours, unsafe, or from another format."""


class _Budget:
    """Counts visits while walking plain data; too many is a hostile file, not a checkpoint."""

    def __init__(self, path: Path):
        self.path, self.left = path, MAX_VISITS

    def visit(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise CheckpointError(
                f"{self.path} holds a structure of over {MAX_VISITS:,} items (shared references that expand "
                "without end?); it is not a saae-augment checkpoint"
            )


def _feed(h: Any, obj: Any, budget: _Budget) -> None:
    """Hash `obj` canonically: dicts by sorted key, tensors by dtype, shape and bytes."""
    budget.visit()
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif isinstance(obj, dict):
        h.update(f"D{len(obj)}".encode())
        for key in sorted(obj, key=repr):
            _feed(h, key, budget)
            _feed(h, obj[key], budget)
    elif isinstance(obj, (list, tuple)):
        h.update(f"L{len(obj)}".encode())
        for item in obj:
            _feed(h, item, budget)
    elif isinstance(obj, str):
        if len(obj) > MAX_STRING:
            raise CheckpointError(f"{budget.path} holds a string of {len(obj):,} characters; not a checkpoint of ours")
        h.update(b"S" + obj.encode("utf-8", "surrogatepass") + b"\0")
    else:
        h.update(f"V{type(obj).__name__}:{obj!r}".encode())


def payload_digest(payload: dict[str, Any], path: Path | str = "checkpoint") -> str:
    """sha256 of everything in the payload except the digest itself; written at save, checked at
    load, so flipped bytes (a bad disk, a careless edit) are one line instead of black images."""
    h = hashlib.sha256()
    _feed(h, {k: v for k, v in payload.items() if k != DIGEST_KEY}, _Budget(Path(path)))
    return h.hexdigest()


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Atomic: a crash while saving leaves the previous checkpoint intact."""
    payload = dict(payload, **{DIGEST_KEY: payload_digest(payload, path)})
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
    """Load and verify a checkpoint (digest, structure budget, recipe, finite weights) before any use."""
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
    digest = payload.get(DIGEST_KEY)
    if digest is not None and digest != payload_digest(payload, path):
        raise CheckpointError(
            f"{path} is damaged: its content no longer matches the digest written when it was saved "
            "(flipped bytes or an edit); use an earlier checkpoint (checkpoints/step-*.pt) or train again"
        )
    if digest is None:  # an older checkpoint: still walk it once, within the budget
        payload_digest(payload, path)
    if payload["format_version"] != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format {payload['format_version']}, this saae-augment reads format "
            f"{FORMAT_VERSION}; use the saae-augment version that wrote it ({payload.get('package_version')})"
        )
    _check_recipe(payload, path)
    _check_consistent(payload, path)
    _check_finite(payload, path)
    return payload


def _check_recipe(payload: dict[str, Any], path: Path) -> None:
    """The recipe inside is validated (keys, types, bounds) before any network is built from it."""
    from saae_augment.config import RecipeError, recipe_from_dict

    try:
        recipe = recipe_from_dict(payload["recipe"])
    except RecipeError as exc:
        raise CheckpointError(f"{path} holds an invalid recipe ({str(exc)[:160]}); it was edited or damaged") from None
    if recipe.data.size is None:  # training always writes the size it chose
        raise CheckpointError(f"{path} holds a recipe without data.size; it was edited or damaged")


def _tensors(obj: Any, where: str) -> Any:
    if isinstance(obj, torch.Tensor):
        yield where, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _tensors(v, f"{where}.{k}" if where else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _tensors(v, f"{where}[{i}]")


def _check_finite(payload: dict[str, Any], path: Path) -> None:
    """NaN or inf in a weight turns every sample black: refuse the file instead."""
    for name, t in _tensors({"state": payload["state"], "glyph": payload["glyph"]}, ""):
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise CheckpointError(
                f"{path} holds NaN or infinite values in {name[:120]}; it is damaged: use an earlier checkpoint "
                "(checkpoints/step-*.pt) or train again"
            )


def load_optimizer(opt: torch.optim.Optimizer, state: Any, what: str) -> None:
    """`opt.load_state_dict(state)`, checked: every moment the shape of its parameter and finite,
    so an edited optimizer state is one line here rather than a traceback at the first step."""

    def refuse(detail: str) -> None:
        raise CheckpointError(
            f"the checkpoint's {what} optimizer state does not fit ({detail[:160]}); it was edited or damaged: "
            "train a new run"
        )

    try:
        opt.load_state_dict(state)
    except (ValueError, KeyError, TypeError, RuntimeError, IndexError, AttributeError) as exc:
        lines = str(exc).strip().splitlines()
        refuse(lines[0] if lines else type(exc).__name__)
    for group in opt.param_groups:
        for p in group["params"]:
            for key, value in opt.state.get(p, {}).items():
                if not isinstance(value, torch.Tensor):
                    refuse(f"{key} is {type(value).__name__}, not a tensor")
                if value.dim() > 0 and value.shape != p.shape:
                    refuse(f"{key} of shape {list(value.shape)} for a parameter of shape {list(p.shape)}")
                if value.is_floating_point() and not bool(torch.isfinite(value).all()):
                    refuse(f"{key} holds NaN or infinite values")


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
    """The checkpoint file's hash, as manifests record it to say which weights made an output."""
    h = hashlib.sha256()
    with open(resolve_checkpoint_path(path), "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
