"""Errors a user can cause (bad data, bad font, bad flag value).

The CLI shows these as one line and a non-zero exit code; anything else is a bug and keeps its
traceback. Messages say what went wrong, which file, and what to do.
"""

from __future__ import annotations


class SaaeError(Exception):
    """Base class for errors caused by input, not by a bug in saae-augment."""


class FontError(SaaeError):
    """A font that cannot be found, read, or that lacks glyphs we must draw."""


class DatasetError(SaaeError):
    """A data set that cannot be read, or (with strict loading) a bad sample in it."""


class UsageError(SaaeError):
    """A value that is well-formed for the shell but meaningless for us (e.g. size 0x32)."""


class RecipeError(SaaeError):
    """A recipe file or override that does not fit the schema."""
