"""Built-in YAML files by name (`digits`, `light`) or any YAML file by path, read safely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from saae_augment.errors import SaaeError


def builtin_names(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def load_named_yaml(name_or_path: str | Path, folder: Path, kind: str, error: type[SaaeError]) -> tuple[Path, Any]:
    """(path, parsed YAML); `error` with one clear line when it is missing or not YAML."""
    path = Path(name_or_path)
    if not path.suffix and (folder / f"{name_or_path}.yaml").is_file():
        path = folder / f"{name_or_path}.yaml"
    if not path.is_file():
        raise error(f"no {kind} {str(name_or_path)!r}: give a YAML file or one of {', '.join(builtin_names(folder))}")
    try:
        return path, yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise error(f"{kind} {path} is not valid YAML ({str(exc).splitlines()[0]})") from None
