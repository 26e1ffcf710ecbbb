"""Write a file so that it exists whole or not at all, even if the process dies mid-write."""

from __future__ import annotations

import os
from pathlib import Path


def temporary_name(path: str | Path) -> Path:
    """`.NAME.PID.tmp` beside `path`: unique per process, so two writers never share a temporary
    file, and hidden, so a crash's leftover is recognised as ours (see outfolder.is_control_file)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write through a temporary name and rename, so a reader never sees half a file."""
    path = Path(path)
    tmp = temporary_name(path)
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
