"""Built-in YAML files by name (`digits`, `light`) or any YAML file by path, read safely and
within bounds.

Safe is not enough: a 411-byte file of nested aliases (a "billion laughs") expands to gigabytes
in whatever walks it, and an 8 MB recipe is not a recipe. So files over MAX_BYTES are refused
before they are read, and a document with more than MAX_ALIASES aliases while it is composed.
Built-in files ship inside the package and are found through `importlib.resources`, so a
wheel installed anywhere has them.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from saae_augment.errors import SaaeError

MAX_BYTES = 1 << 20  # 1 MB: our largest recipe is under 2 KB
MAX_ALIASES = 20  # no recipe needs one; a few are harmless, hundreds are a bomb


class _TooManyAliases(yaml.YAMLError):
    pass


class BoundedLoader(yaml.SafeLoader):
    """yaml.SafeLoader that counts aliases as it composes the document."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Count aliases while composing, so a billion-laughs file is refused early."""
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _TooManyAliases(
                    f"more than {MAX_ALIASES} aliases (*name): refused, it would expand without bound"
                )
        return super().compose_node(parent, index)


def safe_load_bounded(text: str) -> Any:
    """`yaml.safe_load`, refusing documents with more than MAX_ALIASES aliases."""
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def builtin_folder(*parts: str) -> Traversable:
    """A folder of package data (`recipes`, `recipes/augment`), wherever the package is installed."""
    here = resources.files("saae_augment")
    for part in parts:
        here = here / part
    return here


def builtin_names(folder: Traversable | Path) -> list[str]:
    """Names of the YAML files a built-in folder ships."""
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml") and p.is_file())


def load_named_yaml(
    name_or_path: str | Path, folder: Traversable | Path, kind: str, error: type[SaaeError]
) -> tuple[Path, Any]:
    """(path, parsed YAML); `error` with one clear line when it is missing, too big or not YAML."""
    path = Path(name_or_path)
    builtin = folder / f"{name_or_path}.yaml"
    if not path.suffix and builtin.is_file():
        text = builtin.read_text(encoding="utf-8")
        path = Path(str(builtin))
    else:
        if not path.is_file():
            raise error(
                f"no {kind} {str(name_or_path)[:80]!r}: give a YAML file or one of {', '.join(builtin_names(folder))}"
            )
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise error(
                f"{kind} {path} is {size:,} bytes; a {kind} file is at most {MAX_BYTES:,} (is it the right file?)"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise error(f"{kind} {path} is not UTF-8 text") from None
        except OSError as exc:
            raise error(f"cannot read {kind} {path} ({exc.strerror or exc})") from None
    try:
        return path, safe_load_bounded(text)
    except yaml.YAMLError as exc:
        raise error(
            f"{kind} {path} is not valid YAML ({(str(exc).splitlines() or [type(exc).__name__])[0][:120]})"
        ) from None
