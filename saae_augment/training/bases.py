"""Which base model a new character run starts from.

`auto` (the default) picks a base that ships with the package (saae_augment/bases/NAME.pt, made by
`make base`, with NAME.json saying how) when its network is the recipe's and it knows every class
of the data: a user with ten images per class gets a generator that already knows how characters
are shaped without asking for it. `none` trains from scratch; NAME takes a packaged base by name;
PATH one that `pretrain` wrote. Every base is a checkpoint, verified before use like any other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from saae_augment.config import Recipe, recipe_from_dict
from saae_augment.core.checkpoint import CheckpointError, file_sha256, load_checkpoint, resolve_checkpoint_path
from saae_augment.errors import UsageError
from saae_augment.tasks import CHARS, task_of_checkpoint
from saae_augment.tasks.sections import CharSection

PACKAGED_DIR = Path(__file__).resolve().parent.parent / "bases"
AUTO, NONE = "auto", "none"


def packaged_bases() -> dict[str, Path]:
    """The bases shipped in the package, by name."""
    return {p.stem: p for p in sorted(PACKAGED_DIR.glob("*.pt"))}


def load_packaged(path: Path) -> dict[str, Any]:
    """A packaged base, checked against the manifest that `make base` wrote beside it before it is
    loaded (and then verified like any checkpoint): a damaged install is one line, not a run."""
    manifest = path.with_suffix(".json")
    try:
        expected = json.loads(manifest.read_text(encoding="utf-8"))["base_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        raise CheckpointError(
            f"the packaged base model {path} has no readable manifest ({manifest.name} with base_sha256); "
            "reinstall saae-augment, or train with --init none"
        ) from None
    if file_sha256(path) != expected:
        raise CheckpointError(
            f"the packaged base model {path} does not match its manifest's sha256 (damaged or replaced); "
            "reinstall saae-augment, or train with --init none"
        )
    return load_checkpoint(path)


def base_checkpoint(base: str | Path) -> Path:
    """A base as `pretrain` writes it (BASE/base.pt), a run folder or a checkpoint file."""
    p = Path(base)
    if (p / "base.pt").is_file():
        return p / "base.pt"
    return resolve_checkpoint_path(p / "run" if (p / "run" / "checkpoints").is_dir() else p)


@dataclass
class BaseChoice:
    """A base named by the user (loaded and checked), or, for `auto`, the packaged bases that fit
    the recipe's network; which of those knows the data's classes is known once the data is read."""

    payload: dict[str, Any] | None = None
    where: str | None = None
    candidates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def pick(self, classes: Sequence[str]) -> tuple[str, dict[str, Any]] | None:
        """The first packaged candidate that knows every one of `classes`."""
        for where, payload in self.candidates:
            if set(classes) <= set(CharSection.recorded(payload)):
                return where, payload
        return None


def choose_base(init: str | Path | None, recipe: Recipe) -> BaseChoice:
    """Resolve `--init`: nothing, `auto`'s candidates, or one base loaded and checked."""
    if init is None or str(init) == NONE:
        return BaseChoice()
    packaged = packaged_bases()
    if str(init) == AUTO:
        if recipe.data.task != "chars":
            return BaseChoice()
        fits = []
        for name, path in packaged.items():
            payload = load_packaged(path)
            b = recipe_from_dict(payload["recipe"])
            if task_of_checkpoint(payload) is CHARS and b.model == recipe.model and b.data.mode == recipe.data.mode:
                fits.append((f"{name} (packaged with saae-augment)", payload))
        return BaseChoice(candidates=fits)
    if str(init) in packaged:
        return BaseChoice(payload=load_packaged(packaged[str(init)]), where=str(packaged[str(init)]))
    if not Path(init).exists() and "/" not in str(init) and "\\" not in str(init):
        names = ", ".join(packaged) or "none"
        raise UsageError(
            f"--init {init}: no packaged base model of that name (packaged: {names}) and no such folder; "
            f"give a `saae-augment pretrain` folder, {AUTO} or {NONE}"
        )
    where = base_checkpoint(init)
    return BaseChoice(payload=load_checkpoint(where), where=str(where))
