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

from saae_augment import __version__
from saae_augment.atomicio import write_text_atomic

MANIFEST_NAME = "manifest.json"


def build_manifest(command: str, settings: dict[str, Any], seed: int | None = None) -> dict[str, Any]:
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


def write_manifest(out_dir: Path, command: str, settings: dict[str, Any], seed: int | None = None) -> Path:
    """Written last and atomically, so a manifest's presence means the folder is complete."""
    path = Path(out_dir) / MANIFEST_NAME
    write_text_atomic(path, json.dumps(build_manifest(command, settings, seed), indent=2, ensure_ascii=False) + "\n")
    return path
