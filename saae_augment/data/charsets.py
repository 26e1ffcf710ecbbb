"""Named character sets, so users and recipes can say `plate-cn` instead of pasting 65 characters."""

from __future__ import annotations

import string
from pathlib import Path

from saae_augment.data.textfiles import read_user_text
from saae_augment.errors import UsageError

# The 31 province abbreviations used on mainland Chinese plates (CCPD's own index order is in formats.py).
PLATE_CN_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Plate letters leave out I and O, which would be confused with 1 and 0.
PLATE_CN_LETTERS = "".join(c for c in string.ascii_uppercase if c not in "IO")

CHARSETS: dict[str, str] = {
    "digits": string.digits,
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "alnum": string.digits + string.ascii_uppercase + string.ascii_lowercase,
    "plate-cn": PLATE_CN_PROVINCES + PLATE_CN_LETTERS + string.digits,
}


def unique_chars(text: str) -> str:
    """Characters of `text` in first-seen order, without duplicates (order is the class order)."""
    return "".join(dict.fromkeys(text))


def resolve_charset(
    name: str | None = None, chars: str | None = None, chars_file: str | Path | None = None
) -> str | None:
    """One charset from exactly one of: a preset name, literal characters, or a file of them.

    A chars file may hold the characters on one line or spread over many; line breaks are not
    characters. Returns None when none of the three is given (no charset constraint).
    """
    given = [x for x in (name, chars, chars_file) if x is not None]
    if len(given) > 1:
        raise UsageError("give only one of --charset, --chars and --chars-file")
    if name is not None:
        if name not in CHARSETS:
            raise UsageError(f"unknown charset {name!r}; choose one of {', '.join(CHARSETS)} (or use --chars)")
        return CHARSETS[name]
    if chars is not None:
        if not chars:
            raise UsageError("--chars is empty: give the characters to use, e.g. --chars 0123456789")
        return unique_chars(chars)
    if chars_file is not None:
        text = read_user_text(chars_file, "chars file")
        result = unique_chars(text.replace("\r", "").replace("\n", ""))
        if not result:
            raise UsageError(f"chars file {chars_file} holds no characters")
        return result
    return None
