"""The task's part of a checkpoint, one typed layout per task, written and read here only.

A character checkpoint carries its classes and the glyph banks it learned to write (so it needs
no font to synthesize); a line checkpoint carries its charset, its content fonts (by file and
sha256) and its training texts. The on-disk keys are the ones checkpoints have always had, so
older checkpoints still load; what they lack gets the default they were trained with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from saae_augment.data.fonts import Font, installed_fonts, open_font
from saae_augment.errors import FontError


@dataclass(frozen=True)
class CharSection:
    """A character run's content: its classes, their glyph banks and how they were drawn."""

    classes: list[str]
    banks: torch.Tensor  # F×k×C×H×W: the recipe's font first, then the content-variety fonts
    fonts: list[str]  # the banks' font names
    font: dict[str, str]  # the recipe's font, described
    size: tuple[int, int]
    invert: bool
    class_counts: list[int] | None  # training images per class (`synth --content match`)

    @property
    def bank(self) -> torch.Tensor:
        """One glyph per class in the recipe's font: reconstruction, grids and monitors."""
        return self.banks[0]

    def write(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(top-level keys, keys of the payload's `data` section)."""
        top = {
            "classes": list(self.classes),
            "glyph": {
                "bank": self.bank.cpu(),
                "banks": self.banks.cpu(),
                "fonts": list(self.fonts),
                "font": dict(self.font),
                "size": list(self.size),
                "invert": self.invert,
            },
        }
        return top, {"class_counts": self.class_counts}

    @staticmethod
    def recorded(payload: dict[str, Any]) -> list[str]:
        """The classes a checkpoint was trained on, without loading anything else."""
        return list(payload["classes"])

    @classmethod
    def read(cls, payload: dict[str, Any]) -> CharSection:
        """The section of a loaded (already verified) checkpoint; older ones had one bank and font."""
        glyph = payload["glyph"]
        bank = glyph["bank"]
        return cls(
            classes=list(payload["classes"]),
            banks=glyph.get("banks", bank[None]),
            fonts=list(glyph.get("fonts", [glyph["font"]["name"]])),
            font=dict(glyph["font"]),
            size=tuple(glyph.get("size", bank.shape[-2:])),  # type: ignore[arg-type]
            invert=bool(glyph.get("invert", False)),
            class_counts=payload["data"].get("class_counts"),
        )


@dataclass(frozen=True)
class LineSection:
    """A line run's content: its charset, content fonts (by file) and training texts."""

    charset: str
    fonts: list[Font]
    texts: list[str]
    size: tuple[int, int]
    invert: bool

    @property
    def classes(self) -> list[str]:
        """The characters, in the reader's order."""
        return list(self.charset)

    def write(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(top-level keys, keys of the payload's `data` section). The texts are one string: one
        item for the checkpoint's structure budget however many there are."""
        top = {
            "classes": list(self.charset),
            "charset": self.charset,
            "glyph": {
                "fonts": [f.name for f in self.fonts],
                "font_files": [{"path": str(f.path), "index": f.index, "sha256": f.sha256} for f in self.fonts],
                "size": list(self.size),
                "invert": self.invert,
            },
        }
        return top, {"texts": "\n".join(self.texts)}

    @staticmethod
    def recorded(payload: dict[str, Any]) -> str:
        """The charset a checkpoint was trained on, without opening its fonts."""
        return str(payload["charset"])

    @classmethod
    def read(cls, payload: dict[str, Any]) -> LineSection:
        """The section of a loaded checkpoint, its fonts opened (found by hash where they moved)."""
        glyph = payload["glyph"]
        texts = payload["data"].get("texts", "")
        return cls(
            charset=str(payload["charset"]),
            fonts=open_fonts(glyph["font_files"], glyph.get("fonts", ())),
            texts=texts.split("\n") if isinstance(texts, str) and texts else [],
            size=tuple(glyph["size"]),  # type: ignore[arg-type]
            invert=bool(glyph.get("invert", False)),
        )


def open_fonts(entries: Sequence[dict[str, Any]], names: Sequence[str] = ()) -> list[Font]:
    """The checkpoint's content fonts, checked by hash before use: the file at the recorded path
    where it is still the same font, else an installed face with the same sha256 (the run was
    trained on another machine, or the font moved). A different file at the old path is refused,
    as a font the run never learned would write other shapes under the same labels."""
    fonts = []
    for k, e in enumerate(entries):
        path = Path(e["path"])
        if path.is_file():
            font = open_font(path, int(e["index"]))
            if font.sha256 == e["sha256"]:
                fonts.append(font)
                continue
        match = next((f for f in installed_fonts() if f.sha256 == e["sha256"] and f.index == e["index"]), None)
        if match is None:
            name = names[k] if k < len(names) else path.stem
            found = "is a different file there" if path.is_file() else "is not on this machine"
            raise FontError(
                f"the checkpoint's content font {name} ({path}, sha256 {e['sha256'][:12]}…) {found}, "
                "and no installed font has its hash; install that font file (Debian/Ubuntu packages hold "
                "most: fonts-dejavu, fonts-wqy-zenhei, fonts-noto-cjk)"
            )
        fonts.append(match)
    return fonts
