"""saae-augment: realistic, correctly labeled OCR training images from a small labeled set.

The public API is re-exported here lazily, so that `import saae_augment` (and the CLI's
start-up) does not pay for torch, pandas or matplotlib until a function that needs them runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from saae_augment._version import __version__

__all__ = [
    "__version__",
    "render_glyphs",
    "write_glyph_set",
    "load_dataset",
    "resolve_font",
    "resolve_charset",
    "train",
    "synthesize",
    "evaluate_ocr",
    "make_plate_photos",
]

_EXPORTS = {
    "render_glyphs": "saae_augment.data.glyphs",
    "write_glyph_set": "saae_augment.sets.render",
    "load_dataset": "saae_augment.data.load",
    "resolve_font": "saae_augment.data.fonts",
    "resolve_charset": "saae_augment.data.charsets",
    "train": "saae_augment.training.loop",
    "synthesize": "saae_augment.synthesis.run",
    "evaluate_ocr": "saae_augment.evaluation.run",
    "make_plate_photos": "saae_augment.sets.plates",
}

if TYPE_CHECKING:  # pragma: no cover
    from saae_augment.data.charsets import resolve_charset
    from saae_augment.data.fonts import resolve_font
    from saae_augment.data.glyphs import render_glyphs
    from saae_augment.data.load import load_dataset
    from saae_augment.evaluation.run import evaluate_ocr
    from saae_augment.sets.plates import make_plate_photos
    from saae_augment.sets.render import write_glyph_set
    from saae_augment.synthesis.run import synthesize
    from saae_augment.training.loop import train


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'saae_augment' has no attribute {name!r}")
