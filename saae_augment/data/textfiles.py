"""Text files users hand us (a chars file, a texts file): read strictly, fail with one clear line."""

from __future__ import annotations

from pathlib import Path

from saae_augment.errors import UsageError


def read_user_text(path: str | Path, what: str) -> str:
    """The file's text as UTF-8 (a BOM is dropped); `what` names the file in messages."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{what} {p} does not exist") from None
    except UnicodeDecodeError:
        raise UsageError(f"{what} {p} is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise UsageError(f"{what} {p} cannot be read ({exc.strerror})") from None


def read_texts_file(path: str | Path) -> list[str]:
    """One text per line (CRLF tolerated); a blank line is an error, never skipped silently.

    Lines are split on \\n only, as in labels.txt, so other Unicode separators stay in the text.
    """
    lines = [line.removesuffix("\r") for line in read_user_text(path, "texts file").split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise UsageError(f"texts file {path} is empty")
    for n, line in enumerate(lines, 1):
        if not line.strip():
            raise UsageError(f"texts file {path} line {n} is blank; remove blank lines")
    return lines
