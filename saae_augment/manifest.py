"""Every output folder says how it was made: package version, command, settings, seed, time.

A data set someone finds in a year must be traceable to the font, checkpoint and seed that
produced it; the manifest is that trace.
"""

from __future__ import annotations

import json
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from saae_augment._version import __version__
from saae_augment.atomicio import write_text_atomic

MANIFEST_NAME = "manifest.json"


def build_manifest(command: str, settings: dict[str, Any], seed: int | None = None) -> dict[str, Any]:
    """The manifest's common part: tool, version, command, seed, settings, time, Python, platform."""
    return {
        "tool": "saae-augment",
        "version": __version__,
        "command": command,
        "seed": seed,
        "settings": settings,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def write_manifest(
    out_dir: Path,
    command: str,
    settings: dict[str, Any],
    seed: int | None = None,
    name: str = MANIFEST_NAME,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Written atomically; `extra` holds what is measured rather than chosen (status, times)."""
    path = Path(out_dir) / name
    manifest = build_manifest(command, settings, seed) | (extra or {})
    write_text_atomic(path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return path
